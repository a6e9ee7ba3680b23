"""How fast the "look inside" panels answer. Prints medians.

- select a neuron and fill the neuron inspector (statistics over the test split cached
  for the snapshot), including the repaint: target < 100 ms for 784-512-512-10;
- the first fill after a new snapshot, which computes those statistics (once per snapshot);
- one drawn stroke segment: render it on the canvas, preprocess to 28x28, forward pass,
  output bars, network view lit up, repaint: target < 20 ms.

    python benchmarks/inspect_speed.py [--repeats 30]

Runs offscreen unless DISPLAY is set and --screen is given.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

CASES = [(784, 16, 16, 10), (784, 512, 512, 10)]


def trained_snapshot(sizes, data, steps: int = 200):
    from visnet.core.network import Network
    from visnet.core.snapshot import take_snapshot
    from visnet.core.training import TrainConfig, Trainer

    net = Network(sizes, "sigmoid", output="softmax", seed=0)
    trainer = Trainer(net, data.x_train, data.y_train, data.x_test, data.y_test, TrainConfig(eta=0.5, batch_size=32))
    for _ in range(steps):
        trainer.step()
    trainer.evaluate()
    return trainer, take_snapshot(trainer, state="paused")


def settle(app, rounds: int = 3) -> None:
    for _ in range(rounds):
        app.processEvents()


def bench_inspector(app, snap, data, repeats: int) -> tuple[float, float]:
    from visnet.app.panels.neuron_inspector import NeuronInspector
    from visnet.app.split_activations import SplitActivations

    inspector = NeuronInspector(SplitActivations())
    inspector.resize(520, 720)
    inspector.show()
    inspector.set_dataset(data.x_test, data.y_test, data.class_names)
    inspector.show_snapshot(snap)
    inspector.set_sample(data.x_test[0], int(data.y_test[0]))
    settle(app)
    rng = np.random.default_rng(0)
    fresh, cached = [], []
    for r in range(repeats):
        layer = r % (len(snap.sizes) - 1)
        j = int(rng.integers(snap.sizes[layer + 1]))
        if r % 5 == 0:  # a new snapshot (same weights, new object): the statistics are recomputed
            snap = type(snap)(**{f: getattr(snap, f) for f in snap.__dataclass_fields__})
            t0 = time.perf_counter()
            inspector.show_snapshot(snap)
            inspector.select_neuron(layer, j)
            inspector.refresh_now()  # the refresh the new snapshot asked for, now
            inspector.repaint()
            settle(app, 1)
            fresh.append(time.perf_counter() - t0)
            continue
        inspector.tabs.setCurrentIndex(r % 4)
        settle(app)
        t0 = time.perf_counter()
        inspector.select_neuron(layer, j)
        inspector.repaint()
        settle(app, 1)
        cached.append(time.perf_counter() - t0)
    inspector.shutdown()
    inspector.close()
    return 1000 * float(np.median(cached)), 1000 * float(np.median(fresh))


def bench_drawing(app, snap, data, repeats: int) -> tuple[float, float]:
    from visnet.app.panels.drawing import DrawDigitPanel
    from visnet.app.panels.network_view import NetworkView

    panel = DrawDigitPanel()
    view = NetworkView()
    panel.digit_changed.connect(lambda x: view.set_sample(x, None, data.class_names))
    panel.resize(600, 400)
    view.resize(900, 600)
    panel.show()
    view.show()
    panel.set_class_names(data.class_names)
    panel.show_snapshot(snap)
    view.show_snapshot(snap)
    settle(app)
    times, compute = [], []
    # A "2": down the curve, along the bottom; every segment is one mouse move.
    t = np.linspace(0, 1, repeats + 1)
    xs = 80 + 120 * np.sin(np.pi * t) + 60 * t
    ys = 50 + 190 * t
    last = (xs[0], ys[0])
    panel.canvas.draw_stroke([last])
    for x, y in zip(xs[1:], ys[1:]):
        t0 = time.perf_counter()
        panel.canvas.draw_stroke([last, (x, y)])  # like a mouse move: ink, then one update
        panel.update_prediction()
        panel.repaint()
        view.repaint()
        settle(app, 1)
        times.append(time.perf_counter() - t0)
        compute.append(panel.update_ms / 1000)
        last = (x, y)
    panel.close()
    view.close()
    return 1000 * float(np.median(times)), 1000 * float(np.median(compute))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--screen", action="store_true", help="use the real display (needs DISPLAY)")
    args = parser.parse_args(argv)
    if not (args.screen and os.environ.get("DISPLAY")):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
    from visnet.app.main import create_application
    from visnet.data import load_embedded

    app = create_application([])
    data = load_embedded()
    print(f"test split: {len(data.x_test):,} images; medians of {args.repeats} repeats")
    for sizes in CASES:
        name = "-".join(map(str, sizes))
        _, snap = trained_snapshot(sizes, data)
        cached, fresh = bench_inspector(app, snap, data, args.repeats)
        stroke, compute = bench_drawing(app, snap, data, args.repeats)
        print(
            f"{name:>16}: select a neuron + fill inspector {cached:6.1f} ms (target < 100)"
            f" | first fill after a new snapshot {fresh:6.1f} ms"
            f" | drawn stroke: forward + redraw {stroke:5.1f} ms (target < 20; preprocess+forward+bars {compute:4.1f} ms)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
