"""What recording a timeline costs, and what it holds.

1. Headless throughput of a fresh 784-30-10 (batch 10, the issue's case) and 784-16-16-10
   over the first epochs, the same loop with and without a MomentRecorder feeding a
   Timeline (as the training thread and process do); the recorded run records every step of
   the first 100 and then log-spaced ones. Runs alternate, and the figure is the median.
2. The memory budget on a wide network: 784-512-512-10 trained for some epochs with the
   default 256 MB budget: moments kept, bytes held, and the time spent dropping moments.

    python benchmarks/timeline_speed.py [--epochs 5] [--repeats 5] [--wide-epochs 5]
"""

from __future__ import annotations

import argparse
import statistics
import time

from visnet.core.network import Network
from visnet.core.snapshot import take_snapshot
from visnet.core.timeline import MomentRecorder, Timeline
from visnet.core.training import TrainConfig, Trainer
from visnet.data import load_embedded


def run(sizes, data, epochs: int, batch: int, record: bool) -> tuple[float, Timeline | None]:
    """Samples/s of `epochs` epochs of a fresh network (evaluation at each epoch's end included)."""
    net = Network(list(sizes), "sigmoid", output="softmax", seed=0)
    trainer = Trainer(net, data.x_train, data.y_train, data.x_test, data.y_test, TrainConfig(eta=0.5, batch_size=batch))
    timeline = Timeline() if record else None
    recorder = MomentRecorder()
    if timeline is not None:
        timeline.add(take_snapshot(trainer, state="idle"), kept=True)
    steps = epochs * trainer.batches_per_epoch
    start = time.perf_counter()
    for _ in range(steps):
        trainer.step()
        if timeline is not None and recorder.after_step(trainer):
            timeline.add_all(recorder.take())
    seconds = time.perf_counter() - start
    return trainer.samples_seen / seconds, timeline


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--wide-epochs", type=int, default=5)
    args = parser.parse_args()
    data = load_embedded()

    print(f"recording cost, {args.epochs} epochs of a fresh network, median of {args.repeats} alternating runs")
    for sizes in [(784, 30, 10), (784, 16, 16, 10)]:
        plain, recorded = [], []
        timeline = None
        for _ in range(args.repeats):
            plain.append(run(sizes, data, args.epochs, 10, record=False)[0])
            speed, timeline = run(sizes, data, args.epochs, 10, record=True)
            recorded.append(speed)
        p, r = statistics.median(plain), statistics.median(recorded)
        name = "-".join(map(str, sizes))
        print(
            f"  {name:>14} batch 10: {p:9,.0f} samples/s plain, {r:9,.0f} recording "
            f"({100 * (1 - r / p):+.1f} % cost); {len(timeline)} moments, {timeline.nbytes / 2**20:.1f} MiB"
        )

    print(f"memory budget, 784-512-512-10 batch 10, {args.wide_epochs} epochs, default budget")
    start = time.perf_counter()
    _, timeline = run((784, 512, 512, 10), data, args.wide_epochs, 10, record=True)
    seconds = time.perf_counter() - start
    print(
        f"  {len(timeline)} moments kept ({timeline.dropped} dropped) from step {timeline.steps[0]} to "
        f"{timeline.steps[-1]:,}: {timeline.nbytes / 2**20:.1f} MiB of a {timeline.budget / 2**20:.0f} MiB budget "
        f"({seconds:.0f} s)"
    )


if __name__ == "__main__":
    main()
