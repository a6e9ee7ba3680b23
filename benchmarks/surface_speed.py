"""How fast the playground's decision surface redraws (target: >= 20 frames/s for 2-8-8-8-1).

Each update is DecisionSurfacePanel.show_network on a network whose weights changed since
the last one (as while training): one forward pass over the grid, the heatmap, the boundary
line and the accuracies, then a forced repaint of the panel into a pixmap (widget.grab()),
the upper bound of what a screen refresh costs. Figures are medians (and the slowest) in ms.

    python benchmarks/surface_speed.py [--updates 100]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402

from visnet.app.main import create_application  # noqa: E402
from visnet.core.network import Network  # noqa: E402
from visnet.core.surface import choose_resolution  # noqa: E402
from visnet.data.toy2d import make_toy2d  # noqa: E402

NETWORKS = [(2, 4, 1), (2, 8, 8, 8, 1), (2, 32, 32, 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=100, help="timed updates per network")
    args = parser.parse_args()

    app = create_application([])
    from visnet.app.panels.surface import DecisionSurfacePanel

    panel = DecisionSurfacePanel()
    panel.resize(600, 640)
    panel.show()
    panel.set_data(make_toy2d("spirals", n_points=500, noise=0.2, seed=0))
    app.processEvents()
    rng = np.random.default_rng(0)
    print(f"{'network':>14} {'res':>4} {'update':>14} {'update + paint':>16} {'frames/s':>9}")
    for sizes in NETWORKS:
        net = Network(list(sizes), "tanh", output="sigmoid", seed=0)
        update, total = [], []
        for i in range(args.updates + 5):
            for w in net.weights:  # a training step's worth of change
                w += rng.normal(0.0, 0.01, w.shape).astype(w.dtype)
            t0 = time.perf_counter()
            panel.show_network(net)
            t1 = time.perf_counter()
            panel.grab()
            app.processEvents()
            t2 = time.perf_counter()
            if i >= 5:  # warm-up: caches, first layout
                update.append(1e3 * (t1 - t0))
                total.append(1e3 * (t2 - t0))
        median = statistics.median(total)
        print(
            f"{'-'.join(map(str, sizes)):>14} {choose_resolution(sizes):>4} "
            f"{statistics.median(update):6.2f} ({max(update):5.1f}) "
            f"{median:8.2f} ({max(total):5.1f}) {1e3 / median:9.0f}"
        )


if __name__ == "__main__":
    main()
