"""TrainingHistory and HistoryRecorder: what training leaves behind, bounded and checked."""

import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from visnet.core.history import (
    MAX_POINTS,
    STATS_EVERY,
    BoundedSeries,
    HistoryRecorder,
    TrainingHistory,
    merge_groups,
)
from visnet.core.network import Network
from visnet.core.snapshot import merge_snapshots, take_snapshot
from visnet.core.training import EpochRecord, TrainConfig, Trainer, TrainingProgress


def make_trainer(progress=None):
    rng = np.random.default_rng(1)
    x = rng.random((60, 12), dtype=np.float32)
    y = rng.integers(0, 3, 60)
    return Trainer(
        Network((12, 5, 4, 3), seed=0), x, y, x[:20], y[:20], TrainConfig(eta=0.5, batch_size=10), progress=progress
    )


def run(trainer, steps):
    """Train `steps` batches; the snapshot a worker would send afterwards."""
    epochs, losses, records = [], [], []
    for _ in range(steps):
        result = trainer.step()
        epochs.append(trainer.epoch_progress)
        losses.append(result.loss)
        if result.epoch_finished:
            records.append(trainer.history[-1])
    return take_snapshot(trainer, epochs, losses, records)


def test_recorder_keeps_every_batch_epoch_and_counter_from_snapshots():
    trainer = make_trainer()  # 6 batches per epoch
    recorder = HistoryRecorder(3)
    losses = []
    for steps in (4, 1, 9, 7):
        snap = run(trainer, steps)
        losses.extend(snap.batch_losses)
        recorder.add_snapshot(snap)
        recorder.add_snapshot(snap)  # seen before: adds nothing
    h = recorder.history()
    np.testing.assert_array_equal(h.batch_loss, losses)
    assert np.all(np.diff(h.batch_x) > 0) and h.batch_x[-1] == trainer.epoch_progress
    assert h.epochs == tuple(trainer.history)
    assert (h.steps, h.epochs_done, h.samples_seen) == (21, 3, 210)
    assert h.progress == trainer.progress
    assert h.grad_rms.shape == h.update_ratio.shape == (4, 3)  # one row per snapshot with stats
    np.testing.assert_array_equal(h.grad_rms[-1], trainer.layer_stats().grad_rms)
    assert h.last_test_accuracy == trainer.history[-1].test_accuracy
    assert h.summary().startswith("3 epochs, 21 steps, 210 samples, last test accuracy ")


def test_arrays_are_read_only_copies():
    x = np.array([0.1, 0.2])
    h = TrainingHistory(1, batch_x=x, batch_loss=[1.0, 0.5], steps=2)
    x[0] = 5.0
    assert h.batch_x[0] == 0.1
    for a in h.arrays().values():
        assert not a.flags.writeable
    assert h.arrays()["epoch"].dtype == np.int64 and h.grad_rms.shape == (0, 1)


def test_merged_snapshots_and_a_new_run():
    trainer = make_trainer()
    recorder = HistoryRecorder(3)
    recorder.add_snapshot(merge_snapshots(run(trainer, 3), run(trainer, 4)))
    assert len(recorder.history().batch_x) == 7
    new_run = run(make_trainer(), 2)
    recorder.add_snapshot(new_run)  # an earlier step: a new run, as the panels see it
    h = recorder.history()
    assert h.steps == 2
    np.testing.assert_array_equal(h.batch_loss, new_run.batch_losses)


def test_a_divergence_undone_cuts_the_history_back_to_the_restored_step_only():
    trainer = make_trainer()  # 6 batches per epoch
    recorder = HistoryRecorder(3)
    first = run(trainer, 8)
    recorder.add_snapshot(first)
    state = trainer.state()
    recorder.add_snapshot(run(trainer, 10))  # then training diverges and goes back to step 8
    trainer.load_state(state)
    again = run(trainer, 3)
    recorder.add_snapshot(again)
    h = recorder.history()
    np.testing.assert_array_equal(h.batch_loss, list(first.batch_losses) + list(again.batch_losses))
    assert h.epochs == tuple(trainer.history) and h.epochs_done == 1
    assert h.steps == 11 and np.all(np.diff(h.batch_x) > 0)


def test_continuing_from_a_saved_history_numbers_on():
    first = make_trainer()
    recorder = HistoryRecorder(3)
    recorder.add_snapshot(run(first, 12))
    saved = recorder.history()
    trainer = make_trainer(progress=saved.progress)
    again = HistoryRecorder(3, start=saved)
    again.add_snapshot(run(trainer, 6))
    h = again.history()
    assert [r.epoch for r in h.epochs] == [1, 2, 3]
    assert (h.steps, h.epochs_done, h.samples_seen) == (18, 3, 180)
    assert len(h.batch_x) == 18 and np.all(np.diff(h.batch_x) > 0)


def test_a_million_batches_stay_within_the_bound_in_flat_memory():
    recorder = HistoryRecorder(1)
    rng = np.random.default_rng(0)
    chunk, chunks = 500, 2000  # a million batches, as snapshots bring them
    tracemalloc.start()
    try:
        for k in range(chunks):
            i = np.arange(k * chunk, (k + 1) * chunk)
            recorder.add_batches(i / 1000, 2.0 / (1.0 + i / 10_000) + rng.random(chunk))
            if k == chunks // 4:
                settled = tracemalloc.get_traced_memory()[0]
        grown = tracemalloc.get_traced_memory()[0] - settled
    finally:
        tracemalloc.stop()
    recorder.set_progress(TrainingProgress(chunk * chunks, 1000, 10 * chunk * chunks))
    h = recorder.history()
    assert len(h.batch_x) <= MAX_POINTS
    assert grown < 100_000  # bytes; every point kept would be 12 MB more
    assert h.batch_x[0] == 0 and h.batch_x[-1] == (chunk * chunks - 1) / 1000  # the ends, exactly
    assert np.all(np.diff(h.batch_x) > 0)
    # The trend survives: each merged point is a mean of batches around its x.
    trend = 2.0 / (1.0 + h.batch_x / 10) + 0.5  # the noise's mean is 0.5
    old = slice(1, 3000)  # means of hundreds of batches each
    assert np.all(np.diff(h.batch_x[old]) > 0.1)
    np.testing.assert_allclose(h.batch_loss[old], trend[old], atol=0.1)
    assert MAX_POINTS == 20_000


def test_the_newest_batches_are_kept_exactly_and_older_ones_as_means():
    recorder = HistoryRecorder(1, max_points=100)
    loss = 3.0 - np.arange(10_000) / 10_000
    recorder.add_batches(np.arange(10_000) / 60, loss)
    recorder.set_progress(TrainingProgress(10_000, 166, 100_000))
    h = recorder.history()
    assert len(h.batch_x) <= 100
    np.testing.assert_array_equal(h.batch_loss[-25:], loss[-25:])  # the newest quarter
    assert h.batch_loss[0] == loss[0]
    assert len(np.unique(np.diff(h.batch_x[:-25]))) > 1  # older points stand for many batches
    # Merged points lie on the line at their x: each is the mean of a stretch of it.
    np.testing.assert_allclose(h.batch_loss, 3.0 - 60 * h.batch_x / 10_000)


def test_a_long_playground_run_keeps_whole_epoch_records_within_the_bound():
    recorder = HistoryRecorder(2, max_points=64)
    recorder.add_epochs(EpochRecord(k, 1.0 / k, 2.0 / k, 1 - 1.0 / (k + 1)) for k in range(1, 5001))
    recorder.set_progress(TrainingProgress(50_000, 5000, 500_000))
    h = recorder.history()
    assert len(h.epoch) <= 64 and h.epoch[0] == 1 and h.epoch[-1] == 5000
    np.testing.assert_array_equal(h.train_loss, 1.0 / h.epoch)  # real records, not blends
    np.testing.assert_array_equal(h.test_accuracy, 1 - 1.0 / (h.epoch + 1))


def test_x_never_goes_back_and_non_finite_points_are_skipped():
    recorder = HistoryRecorder(2)
    recorder.add_batches([0.1, 0.2, 0.15, 0.3], [1.0, np.nan, 0.8, 0.7])
    recorder.add_batch(0.05, 0.6)  # the playground's data changed mid-epoch: x fell back
    recorder.add_epochs([EpochRecord(1, np.inf, 1.0, 0.5), EpochRecord(1, 0.9, np.nan, np.nan)])
    recorder.set_progress(TrainingProgress(5, 1, 50))
    h = recorder.history()
    np.testing.assert_array_equal(h.batch_x, [0.1, 0.15, 0.3, 0.3])
    np.testing.assert_array_equal(h.batch_loss, [1.0, 0.8, 0.7, 0.6])
    assert len(h.epoch) == 1 and np.isnan(h.test_loss[0])  # no test split: NaN


def test_thinned_keeps_ends_and_counters_and_merges_the_rest_into_means():
    n = 10_001
    h = TrainingHistory(
        2,
        batch_x=np.arange(n) / 100,
        batch_loss=np.linspace(2, 0.1, n),
        stats_x=np.arange(100) / 10,
        grad_rms=np.ones((100, 2)),
        update_ratio=np.full((100, 2), 1e-3),
        steps=n,
        epochs_done=100,
        samples_seen=10 * n,
    )
    t = h.thinned(1000)
    assert len(t.batch_x) == 1000 and t.batch_x[0] == 0 and t.batch_x[-1] == h.batch_x[-1]
    assert np.all(np.diff(t.batch_x) > 0)
    # Means of stretches of a straight line lie on it.
    np.testing.assert_allclose(t.batch_loss, np.interp(t.batch_x, h.batch_x, h.batch_loss))
    assert len(t.stats_x) == 100  # short series stay whole
    assert t.progress == h.progress


@pytest.mark.parametrize(
    "changes, fragment",
    [
        (dict(batch_x=[0.2, 0.1]), "never decrease"),
        (dict(batch_loss=[1.0]), "batch_loss has 1 values"),
        (dict(batch_loss=[1.0, np.nan]), "NaN"),
        (dict(grad_rms=np.ones((3, 3))), "shape"),
        (dict(grad_rms=-np.ones((3, 2))), ">= 0"),
        (dict(epoch=[2, 2], train_loss=[1, 1], test_loss=[1, 1], test_accuracy=[0.5, 0.5]), "increase"),
        (dict(epoch=[9], train_loss=[1], test_loss=[1], test_accuracy=[0.5]), "epochs done"),
        (dict(epoch=[1], train_loss=[1], test_loss=[np.nan], test_accuracy=[0.5]), "NaN together"),
        (dict(epoch=[1], train_loss=[1], test_loss=[1], test_accuracy=[3.0]), "between 0 and 1"),
        (dict(steps=1), "only 1 steps"),
        (dict(steps=-3), "steps"),
        (dict(n_layers=0), "n_layers"),
        (dict(batch_x=np.array(["a", "b"])), "not numbers"),
    ],
)
def test_invalid_histories_are_refused_in_one_line(changes, fragment):
    fields = dict(
        n_layers=2,
        batch_x=[0.1, 0.2],
        batch_loss=[1.0, 0.9],
        stats_x=[0.1, 0.2, 0.2],
        grad_rms=np.ones((3, 2)),
        update_ratio=np.ones((3, 2)),
        steps=2,
        epochs_done=1,
    )
    fields.update(changes)
    with pytest.raises(ValueError, match=fragment) as err:
        TrainingHistory(**fields)
    assert "\n" not in str(err.value)


def test_add_step_records_straight_from_a_trainer():
    trainer = make_trainer()  # 6 batches per epoch
    recorder = HistoryRecorder(3)
    for _ in range(STATS_EVERY + 5):
        recorder.add_step(trainer, trainer.step())
    h = recorder.history()
    assert len(h.batch_x) == STATS_EVERY + 5 and len(h.stats_x) == 1
    assert h.epochs == tuple(trainer.history) and h.progress == trainer.progress


def original_groups(series: BoundedSeries) -> list[slice]:
    """The original points each point of a series (added with weight 1) stands for."""
    ends = np.cumsum(series.weight).astype(int)
    return [slice(end - int(w), end) for end, w in zip(ends, series.weight)]


@given(
    sizes=st.lists(st.integers(0, 700), min_size=1, max_size=12),
    max_points=st.integers(BoundedSeries.MIN_POINTS, 300),
)
@settings(max_examples=60, deadline=None)
def test_a_bounded_series_is_a_faithful_summary_of_every_point_added(sizes, max_points):
    """Whatever the runs added, the series holds at most max_points points, in order; the
    first and the newest quarter are the points themselves; every other point is the mean
    of the consecutive points it stands for, and together they stand for all of them."""
    series = BoundedSeries((2,), max_points)
    total = 0
    for n in sizes:
        x = np.arange(total, total + n, dtype=np.float64)
        series.append(x, np.column_stack([np.sqrt(x), -x]))
        total += n
        assert series.n <= max_points
        if not total:
            continue
        everything = np.arange(total, dtype=np.float64)
        assert series.weight.sum() == total
        assert np.all(np.diff(series.x) > 0)
        assert series.x[0] == 0 and series.x[-1] == total - 1
        newest = min(series.recent, total)
        np.testing.assert_array_equal(series.x[-newest:], everything[-newest:])
        groups = original_groups(series)
        means = np.array([[everything[g].mean(), np.sqrt(everything[g]).mean()] for g in groups])
        np.testing.assert_allclose(series.x, means[:, 0])
        np.testing.assert_allclose(series.y, np.column_stack([means[:, 1], -means[:, 0]]))


def test_a_series_of_records_keeps_the_newest_record_of_each_bucket():
    series = BoundedSeries((1,), 16, merge="last", x_dtype=np.int64)
    for k in range(1, 1001):
        series.append_one(k, (10.0 * k,))
    assert series.n <= 16 and series.x.dtype == np.int64
    assert series.x[0] == 1 and series.x[-1] == 1000
    np.testing.assert_array_equal(series.x, [group.stop for group in original_groups(series)])
    np.testing.assert_array_equal(series.y[:, 0], 10.0 * series.x)


def test_merged_means_leave_out_nan_values():
    x = np.arange(6.0)
    y = np.array([[1.0, np.nan], [3.0, np.nan], [np.nan, np.nan], [5.0, 2.0], [np.nan, 4.0], [7.0, np.nan]])
    mx, my, weight = merge_groups(x, y, np.ones(6), np.array([0, 3]))
    np.testing.assert_array_equal(mx, [1.0, 4.0])
    np.testing.assert_array_equal(my[0], [2.0, np.nan])  # NaN only where every value is
    np.testing.assert_array_equal(my[1], [6.0, 3.0])
    np.testing.assert_array_equal(weight, [3.0, 3.0])


def test_truncating_then_adding_goes_on_from_there():
    series = BoundedSeries((), 8)
    series.append(np.arange(30.0), np.arange(30.0))
    series.truncate_after(27.5)
    assert series.x[-1] <= 27.5
    series.append([28.0, 29.0], [0.0, 0.0])
    assert np.all(np.diff(series.x) > 0) and series.n <= 8
