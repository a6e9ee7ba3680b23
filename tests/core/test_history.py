"""TrainingHistory and HistoryRecorder: what training leaves behind, bounded and checked."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from visnet.core.history import MAX_POINTS, STATS_EVERY, HistoryRecorder, TrainingHistory
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
    recorder.add_snapshot(run(make_trainer(), 2))  # an earlier step: a new run, as the panels see it
    h = recorder.history()
    assert len(h.batch_x) == 2 and h.steps == 2


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


def test_memory_is_bounded_and_the_run_stays_evenly_sampled():
    recorder = HistoryRecorder(1, max_points=1000)
    n = 50_001
    for i in range(n):
        recorder.add_batch(i / 100, float(i))
    recorder.set_progress(TrainingProgress(n, 500, 10 * n))
    h = recorder.history()
    assert 500 <= len(h.batch_x) <= 1001
    assert h.batch_loss[0] == 0 and h.batch_loss[-1] == n - 1  # the ends survive
    gaps = np.diff(h.batch_loss)[:-1]  # the newest point is added whatever the stride
    assert np.all(gaps == gaps[0]) and gaps[0] == 64  # an even sample: every 64th batch
    assert MAX_POINTS == 20_000


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


def test_thinned_keeps_ends_and_counters():
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


@given(
    sizes=st.lists(st.integers(0, 700), min_size=1, max_size=12),
    max_points=st.integers(2, 300),
)
@settings(max_examples=60, deadline=None)
def test_a_series_extended_in_runs_keeps_evenly_spaced_points_within_its_bound(sizes, max_points):
    """extend() is append() without a call per point: the kept points are every stride-th
    point offered, at most max_points of them (plus the newest), in order."""
    from visnet.core.history import _Series

    series = _Series([np.empty(0), np.empty(0)], max_points)
    series.CHUNK = 64  # flushes (and thinning) happen between the runs too
    start = 0
    for n in sizes:
        x = np.arange(start, start + n, dtype=np.float64)  # x is the point's index
        series.extend(x, -x)
        start += n
        kept, loss = series.flush()
        assert len(kept) <= max_points
        np.testing.assert_array_equal(kept % series.stride, 0)  # every stride-th point...
        np.testing.assert_array_equal(kept, np.arange(0, start, series.stride)[: len(kept)])  # ...all of them
        np.testing.assert_array_equal(loss, -kept)
        if start:
            assert series.with_last()[0][-1] == start - 1  # the newest point is always there
