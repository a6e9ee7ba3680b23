"""What recording a timeline costs, and what it holds.

1. What recording costs a fresh 784-30-10 (batch 10, the issue's case) and 784-16-16-10 over
   their first epochs: the time spent recording (MomentRecorder.after_step and Timeline.add,
   as the training thread and process do: every step of the first 100, then log-spaced ones)
   as a share of the time spent training (Trainer.step), both timed inside the same run, so
   other programs on a shared machine slow both alike; the median of several runs. Whole-run
   throughput with and without recording is printed too, but it swings by ±15 % on a shared
   machine from one run to the next, more than recording costs.
2. The memory budget on a wide network: 784-512-512-10 trained for some epochs with the
   default 256 MB budget: moments kept, bytes held, and the time spent dropping moments.

    python benchmarks/timeline_speed.py [--epochs 30] [--repeats 5] [--wide-epochs 5]
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


def run(sizes, data, epochs: int, batch: int, record: bool) -> tuple[float, Timeline | None, list[float]]:
    """(samples/s, the timeline, [seconds recording / seconds training over the first e epochs
    for e = 1..epochs]) of `epochs` epochs of a fresh network (evaluation at each epoch's end
    included)."""
    net = Network(list(sizes), "sigmoid", output="softmax", seed=0)
    trainer = Trainer(net, data.x_train, data.y_train, data.x_test, data.y_test, TrainConfig(eta=0.5, batch_size=batch))
    timeline = Timeline() if record else None
    recorder = MomentRecorder()
    if timeline is not None:
        timeline.add(take_snapshot(trainer, state="idle"), kept=True)
    steps = epochs * trainer.batches_per_epoch
    training = recording = 0.0
    shares = []
    clock = time.perf_counter
    start = clock()
    for step in range(1, steps + 1):
        t0 = clock()
        trainer.step()
        t1 = clock()
        if timeline is not None and recorder.after_step(trainer):
            timeline.add_all(recorder.take())
        t2 = clock()
        training += t1 - t0
        recording += t2 - t1
        if step % trainer.batches_per_epoch == 0:
            shares.append(recording / training)
    seconds = clock() - start
    return trainer.samples_seen / seconds, timeline, shares


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--wide-epochs", type=int, default=5)
    args = parser.parse_args()
    data = load_embedded()

    print(f"recording cost, {args.epochs} epochs of a fresh network, medians of {args.repeats} alternating runs")
    for sizes in [(784, 30, 10), (784, 16, 16, 10)]:
        plain, recorded, shares = [], [], []
        timeline = None
        for _ in range(args.repeats):
            plain.append(run(sizes, data, args.epochs, 10, record=False)[0])
            speed, timeline, share = run(sizes, data, args.epochs, 10, record=True)
            recorded.append(speed)
            shares.append(share)
        name = "-".join(map(str, sizes))
        at = sorted({1, min(5, args.epochs), args.epochs})
        medians = [statistics.median(share[e - 1] for share in shares) for e in at]
        print(
            f"  {name:>14} batch 10: recording takes "
            + ", ".join(f"{100 * m:.1f} %" for m in medians)
            + " of the training time over the first "
            + ", ".join(map(str, at))
            + f" epochs; {len(timeline)} moments, {timeline.nbytes / 2**20:.1f} MiB after {args.epochs}; "
            f"whole runs {statistics.median(plain):,.0f} samples/s plain, {statistics.median(recorded):,.0f} recording"
        )

    print(f"memory budget, 784-512-512-10 batch 10, {args.wide_epochs} epochs, default budget")
    start = time.perf_counter()
    _, timeline, _ = run((784, 512, 512, 10), data, args.wide_epochs, 10, record=True)
    seconds = time.perf_counter() - start
    print(
        f"  {len(timeline)} moments kept ({timeline.dropped} dropped) from step {timeline.steps[0]} to "
        f"{timeline.steps[-1]:,}: {timeline.nbytes / 2**20:.1f} MiB of a {timeline.budget / 2**20:.0f} MiB budget "
        f"({seconds:.0f} s)"
    )


if __name__ == "__main__":
    main()
