"""Frames per second of the playground while it trains: every surface redrawn live.

Runs the real main window (offscreen unless DISPLAY is set and --screen is given) on the
spirals playground set with a 2-8-8-8-1 tanh network, trains at full speed and prints
frames drawn per second by the decision surface panel and by the network view (a 100x100
heatmap per neuron), the time a frame's shared surface evaluation takes, training
throughput, and the p50/p99 lateness of a 10 ms GUI timer.

    python benchmarks/playground_speed.py [--seconds 8] [--screen]

Target: the decision surface and all neuron surfaces redraw at >= 20 frames/s.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gui_speed import start_application, train_in_window  # noqa: E402

SPEC = "playground:spirals?noise=0.1&seed=0&points=500&train=0.5"
CASES = [(8, 8, 8), (32, 32, 32)]


def measure(app, hidden, seconds: float, warmup: float) -> dict:
    from visnet.app.main_window import MainWindow
    from visnet.app.plane import Plane
    from visnet.core.network import Network
    from visnet.core.surface import choose_resolution
    from visnet.core.training import TrainConfig

    window = MainWindow(dataset_spec=SPEC, load_example=False)
    net = Network([2, *hidden, 1], "tanh", output="sigmoid", cost="cross-entropy", init="xavier", seed=0)
    window.install_network(
        net, window.dataset, SPEC, TrainConfig(eta=0.03, momentum=0.9, batch_size=10, epochs=10**6), window.playground
    )

    counts = {"surface": 0, "network": 0}
    evaluations: list[float] = []

    def counted(name, original):
        def show_snapshot(snap):
            counts[name] += 1
            original(snap)

        return show_snapshot

    window.surface_panel.show_snapshot = counted("surface", window.surface_panel.show_snapshot)
    window.network_view.show_snapshot = counted("network", window.network_view.show_snapshot)
    plane_surface_for = Plane.surface_for

    def timed_surface_for(self, source):
        start = time.perf_counter()
        fresh = source is not self._key
        result = plane_surface_for(self, source)
        if fresh:
            evaluations.append(time.perf_counter() - start)
        return result

    def measuring():
        counts.update(surface=0, network=0)
        evaluations.clear()

    Plane.surface_for = timed_surface_for
    try:
        samples, wall, late = train_in_window(app, window, seconds, warmup, measuring)
    finally:
        Plane.surface_for = plane_surface_for
    return {
        "surface_fps": counts["surface"] / wall,
        "network_fps": counts["network"] / wall,
        "eval_ms": 1000 * float(np.median(evaluations)) if evaluations else float("nan"),
        "resolution": choose_resolution(net.sizes),
        "samples": samples,
        "p50": np.percentile(late, 50),
        "p99": np.percentile(late, 99),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=8.0, help="measuring time per network")
    parser.add_argument("--warmup", type=float, default=4.0, help="seconds of training before measuring")
    parser.add_argument("--screen", action="store_true", help="draw on $DISPLAY instead of offscreen")
    args = parser.parse_args()
    app = start_application(args.screen)
    print(f"platform {app.platformName()}, {args.seconds:g} s per network, data {SPEC}")
    print(
        f"{'network':<16} {'grid':>7} {'surface fps':>12} {'network fps':>12} {'eval ms':>8} "
        f"{'samples/s':>10} {'timer p50':>10} {'timer p99':>10}"
    )
    for hidden in CASES:
        r = measure(app, hidden, args.seconds, args.warmup)
        name = "-".join(map(str, (2, *hidden, 1)))
        grid = f"{r['resolution']}x{r['resolution']}"
        print(
            f"{name:<16} {grid:>7} {r['surface_fps']:>12.1f} {r['network_fps']:>12.1f} {r['eval_ms']:>8.2f} "
            f"{r['samples']:>10,.0f} {r['p50']:>8.1f}ms {r['p99']:>8.1f}ms",
            flush=True,
        )


if __name__ == "__main__":
    main()
