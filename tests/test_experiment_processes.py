"""An experiment's runs trained side by side in worker processes equal separate runs."""

from dataclasses import replace

import numpy as np
import pytest

from visnet.core.experiment import RunSettings, RunTraining, parse_vary, vary_experiment
from visnet.experiment_processes import EpochFinished, ExperimentRunner, RunFailed, RunFinished, RunProgress

TINY = RunSettings(layers=(12, 6, 3), epochs=3, batch_size=8)


def tiny_data(n_train=120, n_test=40, n_in=12, k=3, seed=0):
    """Three clusters of points: a few milliseconds an epoch."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(k, n_in))
    y_train, y_test = rng.integers(0, k, n_train), rng.integers(0, k, n_test)
    x_train = (centres[y_train] + 0.5 * rng.normal(size=(n_train, n_in))).astype(np.float32)
    x_test = (centres[y_test] + 0.5 * rng.normal(size=(n_test, n_in))).astype(np.float32)
    return x_train, y_train, x_test, y_test


def alone(spec, data):
    """The run trained by itself, in this process."""
    run = RunTraining(spec, *data)
    while not run.done:
        run.train_epoch()
    return run.finish(0.0)


def assert_same_run(a, b):
    for x, y in zip(a.network.weights + a.network.biases, b.network.weights + b.network.biases):
        assert x.dtype == y.dtype and np.array_equal(x, y)
    assert a.history.epochs == b.history.epochs
    for name, series in a.history.arrays().items():
        assert np.array_equal(series, b.history.arrays()[name], equal_nan=True), name
    assert a.result.best_test_accuracy == b.result.best_test_accuracy
    assert a.result.final_train_accuracy == b.result.final_train_accuracy


@pytest.mark.parametrize("processes", [2, 0])
def test_the_runs_equal_separate_runs_bit_for_bit(processes):
    data = tiny_data()
    experiment = vary_experiment(
        replace(TINY, momentum=0.5), [parse_vary("cost=quadratic,cross-entropy,quadratic"), parse_vary("seed=0,0,7")]
    )
    with ExperimentRunner(experiment, *data, processes=processes) as runner:
        events = list(runner.events())
    assert not runner.failures
    epochs = [e for e in events if isinstance(e, EpochFinished)]
    assert sorted((e.run, e.record.epoch) for e in epochs) == [(i, k) for i in range(3) for k in (1, 2, 3)]
    # each run's epochs arrive in order, and every run finishes once
    for i in range(3):
        assert [e.record.epoch for e in epochs if e.run == i] == [1, 2, 3]
    assert sorted(e.run for e in events if isinstance(e, RunFinished)) == [0, 1, 2]
    for spec, outcome in zip(experiment.runs, runner.outcomes):
        assert outcome is not None and outcome.label == spec.label
        assert outcome.result.seconds > 0
        assert_same_run(outcome, alone(spec, data))
    # runs with other settings really differ
    assert not np.array_equal(runner.outcomes[0].network.weights[0], runner.outcomes[1].network.weights[0])


@pytest.mark.parametrize("processes", [2, 1, 0])
def test_a_run_that_cannot_train_fails_in_one_line_and_the_others_finish(processes):
    x_train, y_train, x_test, y_test = tiny_data()
    experiment = vary_experiment(TINY, [parse_vary("layers=12-6-3,12-6-2")])  # labels 0..2 need 3 outputs
    with ExperimentRunner(experiment, x_train, y_train, x_test, y_test, processes=processes) as runner:
        events = list(runner.events())
    failed = [e for e in events if isinstance(e, RunFailed)]
    assert [e.run for e in failed] == [1] and "\n" not in failed[0].message and "labels" in failed[0].message
    assert runner.outcomes[0] is not None and runner.outcomes[1] is None


@pytest.mark.parametrize("processes", [2, 0])
def test_snapshots_carry_every_loss_and_leave_the_runs_unchanged(processes):
    data = tiny_data(n_train=400)
    experiment = vary_experiment(TINY, [parse_vary("lr=0.1,0.5,1")])
    with ExperimentRunner(experiment, *data, processes=processes, snapshot_every=0.0) as runner:
        events = list(runner.events())
    assert not runner.failures
    for i, spec in enumerate(experiment.runs):
        snapshots = [e.snapshot for e in events if isinstance(e, RunProgress) and e.run == i]
        assert len(snapshots) > 3
        outcome = runner.outcomes[i]
        losses = np.concatenate([s.batch_losses for s in snapshots])
        assert np.array_equal(losses, outcome.history.batch_loss)
        assert [r for s in snapshots for r in s.new_epochs] == list(outcome.history.epochs)
        assert [s.step for s in snapshots] == sorted({s.step for s in snapshots})
        assert np.array_equal(snapshots[-1].weights[0], outcome.network.weights[0])
        assert_same_run(outcome, alone(spec, data))
