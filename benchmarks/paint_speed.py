"""What each panel of the window costs per frame: GUI-thread CPU time in show_snapshot and in
painting its plots, with no training process running beside it.

Opens the real main window (offscreen, 1600x1000, the Watch it learn workspace) on a network,
then draws snapshots of a headless Trainer one after another, about a frame apart, the way
the frame pacer hands them out at full speed. Thread CPU time is counted, so other programs
on a shared machine change these figures far less than they change gui_speed.py's frames
per second; run both checkouts in turn to compare them:

    python benchmarks/paint_speed.py [--sizes 784-512-512-10] [--frames 60] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gui_speed import start_application  # noqa: E402

FRAME_S = 0.035  # about a frame apart, so the panels' own throttles behave as while training


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="784-512-512-10", help="the network, e.g. 784-30-10")
    parser.add_argument("--frames", type=int, default=60, help="frames per round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds; the figures are their medians")
    args = parser.parse_args()
    sizes = tuple(int(n) for n in args.sizes.split("-"))

    app = start_application(False)
    import pyqtgraph as pg

    from visnet.app.main_window import MainWindow
    from visnet.core.network import Network
    from visnet.core.snapshot import take_snapshot
    from visnet.core.training import TrainConfig, Trainer
    from visnet.data import load_embedded

    painting: dict[int, float] = {}  # id(GraphicsView) -> CPU seconds in paintEvent
    original_paint = pg.GraphicsView.paintEvent

    def timed_paint(view, ev):
        start = time.thread_time()
        try:
            return original_paint(view, ev)
        finally:
            painting[id(view)] = painting.get(id(view), 0.0) + time.thread_time() - start

    pg.GraphicsView.paintEvent = timed_paint  # before the window paints: PySide looks the override up once

    data = load_embedded()
    window = MainWindow(dataset=data, load_example=False)
    window._ask_save_changes = lambda doing: "discard"  # no dialog when the benchmark closes it
    net = Network(sizes, "sigmoid", init="normal", seed=0)
    window.install_network(net, data, "embedded", TrainConfig(eta=0.1, batch_size=32, epochs=10_000))
    window.resize(1600, 1000)
    window.show()
    settle = time.monotonic() + 1.0
    while time.monotonic() < settle:
        app.processEvents()
    trainer = Trainer(net.copy(), data.x_train, data.y_train, data.x_test, data.y_test, TrainConfig(batch_size=32))

    panels = [p for p in window.display_panels if p.isVisible()]
    views = {type(p).__name__: [id(v) for v in p.findChildren(pg.GraphicsView)] for p in panels}
    results: dict[str, list[tuple[float, float]]] = {type(p).__name__: [] for p in panels}
    for _ in range(args.rounds):
        for panel in panels:
            name = type(panel).__name__
            painting.clear()
            shown = 0.0
            for _ in range(args.frames):
                trainer.step()
                snap = take_snapshot(trainer, state="running")
                window.session.show_snapshot(snap)
                app.processEvents()
                start = time.thread_time()
                panel.show_snapshot(snap)
                shown += time.thread_time() - start
                app.processEvents()
                app.processEvents()
                time.sleep(FRAME_S)
            painted = sum(painting.get(v, 0.0) for v in views[name])
            results[name].append((1000 * shown / args.frames, 1000 * painted / args.frames))
    window.close()

    print(f"{'-'.join(map(str, sizes))}: GUI-thread CPU per frame, medians of {args.rounds} x {args.frames} frames")
    print(f"{'panel':<24} {'show ms':>8} {'paint ms':>9} {'total ms':>9}")
    for name, rows in sorted(results.items(), key=lambda kv: -sum(np.median(np.array(kv[1]), axis=0))):
        show, paint = np.median(np.array(rows), axis=0)
        print(f"{name:<24} {show:>8.2f} {paint:>9.2f} {show + paint:>9.2f}")


if __name__ == "__main__":
    main()
