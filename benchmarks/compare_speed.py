"""How fast an experiment's runs train side by side, against one run alone.

Trains 784-30-10 (sigmoid, softmax, cross-entropy, batch 10) on the embedded digits:
- alone: one run in this process, as `visnet train` trains it, with BLAS threads as they
  come and with one BLAS thread (as each worker has);
- side by side: an experiment of two such runs (learning rates 0.5 and 0.4, so the work is
  the same) in worker processes, one per core, as `visnet compare` trains them.
Prints samples/s for each (training time only: process start and data transfer excluded,
as each run's result.seconds counts) and each run's share of the lone run's speed.

    python benchmarks/compare_speed.py [--epochs 3] [--repeats 3]

Target: each of two runs side by side keeps >= 40 % of a single headless run on a
2-core machine.
"""

from __future__ import annotations

import argparse
import statistics
import time

from threadpoolctl import threadpool_limits

from visnet.core.experiment import RunSettings, RunTraining, parse_vary, vary_experiment
from visnet.data import load_dataset
from visnet.experiment_processes import ExperimentRunner, cores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    data = load_dataset("embedded")
    settings = RunSettings(layers=(784, 30, 10), epochs=args.epochs)
    samples = data.n_train * args.epochs

    def lone_run() -> float:
        run = RunTraining(settings, data.x_train, data.y_train, data.x_test, data.y_test)
        start = time.perf_counter()
        while not run.done:
            run.train_epoch()
        return samples / (time.perf_counter() - start)

    alone = [lone_run() for _ in range(args.repeats)]
    with threadpool_limits(1, user_api="blas"):
        alone_one_thread = [lone_run() for _ in range(args.repeats)]
    experiment = vary_experiment(settings, [parse_vary("lr=0.5,0.4")])
    side_by_side: list[list[float]] = [[], []]
    for _ in range(args.repeats):
        with ExperimentRunner(experiment, data.x_train, data.y_train, data.x_test, data.y_test) as runner:
            for _event in runner.events():
                pass
        for i, outcome in enumerate(runner.outcomes):
            assert outcome is not None
            side_by_side[i].append(samples / outcome.result.seconds)
    single = statistics.median(alone)
    print(f"{cores()} cores, 784-30-10, {data.n_train:,} images x {args.epochs} epochs, median of {args.repeats}")
    print(f"alone:        {single:>9,.0f} samples/s")
    print(f"alone, 1 BLAS thread: {statistics.median(alone_one_thread):,.0f} samples/s")
    for i, rates in enumerate(side_by_side):
        rate = statistics.median(rates)
        print(
            f"side by side: {rate:>9,.0f} samples/s  run {i + 1} ({experiment.labels[i]}), {rate / single:.0%} of alone"
        )


if __name__ == "__main__":
    main()
