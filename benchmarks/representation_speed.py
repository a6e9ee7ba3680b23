"""How fast the representation map updates: 2,000 test digits in the 512-wide hidden layer
of a 784-512-512-10 network while it trains (target < 30 ms a frame).

Each frame trains a few mini-batches, then maps the layer as the panel does: a fresh PCA
(core.representation.project), warm-started from and turned onto the previous frame's map.
Printed: the median time of the map alone (the target), of the forward pass that gives the
2,000 x 512 activations (shared by every layer of the map), of a map with no previous frame
to start from (the first frame, or another layer), and the median subspace-iteration rounds.
Then the panel's whole refresh (RepresentationMapPanel.refresh_now: forward pass, map, 2,000
points drawn; offscreen) for 784-16-16-10 and 784-512-512-10, which sets how often the panel
maps while training (at most a fifth of the GUI thread's time).

    python benchmarks/representation_speed.py [--frames 40] [--batches 5] [--skip-panel]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numpy as np  # loaded before threadpool_limits, which limits only libraries already loaded
from threadpoolctl import threadpool_limits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=40)
    parser.add_argument("--batches", type=int, default=5, help="mini-batches trained between frames")
    parser.add_argument("--skip-panel", action="store_true", help="only the map, not the panel's refresh")
    args = parser.parse_args()
    # The window does its BLAS on one thread while a training process keeps the other core
    # busy (app/training/process.py); the map is timed the same way.
    threadpool_limits(1, user_api="blas")

    from visnet.core.network import Network
    from visnet.core.representation import MAX_POINTS, every_layer, project
    from visnet.core.training import TrainConfig, Trainer
    from visnet.data import load_embedded

    data = load_embedded()
    x = np.ascontiguousarray(data.x_test[:MAX_POINTS])
    net = Network((784, 512, 512, 10), "relu", seed=0)
    trainer = Trainer(net, data.x_train, data.y_train, config=TrainConfig(eta=0.05, batch_size=10))
    layer = 2  # the second hidden layer: 512 neurons
    forward_ms, map_ms, cold_ms, rounds = [], [], [], []
    previous = None
    for _ in range(args.frames):
        for _ in range(args.batches):
            trainer.step()
        start = time.perf_counter()
        acts = every_layer(net, x)
        forward_ms.append(1000 * (time.perf_counter() - start))
        start = time.perf_counter()
        previous = project(acts[layer], previous)
        map_ms.append(1000 * (time.perf_counter() - start))
        rounds.append(previous.rounds)
        start = time.perf_counter()
        project(acts[layer])
        cold_ms.append(1000 * (time.perf_counter() - start))
    shape = f"{len(x):,} x {net.sizes[layer]}"
    print(f"representation map of {shape} (784-512-512-10, hidden layer 2), {args.frames} frames:")
    print(f"  map per frame (PCA, warm start, aligned): median {statistics.median(map_ms):.1f} ms (target < 30 ms)")
    print(f"  map with no previous frame:               median {statistics.median(cold_ms):.1f} ms")
    print(f"  forward pass for the {len(x):,} points:      median {statistics.median(forward_ms):.1f} ms")
    print(f"  subspace-iteration rounds:                median {statistics.median(rounds):g}")
    first = previous.explained if previous is not None else None
    if first is not None:
        print(f"  last frame's explained variance: PC1 {100 * first[0]:.1f} %, PC2 {100 * first[1]:.1f} %")
    if not args.skip_panel:
        panel_refresh(data, args.frames, args.batches)


def panel_refresh(data, frames: int, batches: int) -> None:
    """Median time of the panel's refresh_now, offscreen, for two networks while they train."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from gui_speed import start_application

    app = start_application(screen=False)
    from visnet.app.panels.representation_map import RepresentationMapPanel
    from visnet.app.session import Session
    from visnet.app.training.controller import TrainingController
    from visnet.core.network import Network
    from visnet.core.snapshot import take_snapshot
    from visnet.core.training import TrainConfig, Trainer

    print("the panel's refresh (forward pass, map and drawing, 2,000 test digits, offscreen, 540x560):")
    for sizes, activation in (((784, 16, 16, 10), "sigmoid"), ((784, 512, 512, 10), "relu")):
        session = Session(TrainingController(use_process=False))
        session.set_dataset(data, "embedded")
        panel = RepresentationMapPanel(session=session)
        panel.resize(540, 560)
        panel.show()
        app.processEvents()
        net = Network(sizes, activation, seed=0)
        trainer = Trainer(net, data.x_train, data.y_train, config=TrainConfig(eta=0.05, batch_size=10))
        took = []
        for _ in range(frames):
            for _ in range(batches):
                trainer.step()
            snap = take_snapshot(trainer, state="running")
            session.show_snapshot(snap)
            panel.show_snapshot(snap)
            start = time.perf_counter()
            panel.refresh_now()
            took.append(1000 * (time.perf_counter() - start))
            app.processEvents()
        arch = "-".join(map(str, sizes))
        print(f"  {arch:>16}: median {statistics.median(took):.1f} ms (layer: {panel.layer_chooser.currentText()})")
        panel.close()


if __name__ == "__main__":
    main()
