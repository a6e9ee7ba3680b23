"""The run's timeline: which steps are recorded, that moments are the trainer's parameters
bit for bit, the memory budget, going back and branching."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from visnet.core.network import Network
from visnet.core.snapshot import merge_snapshots, take_snapshot
from visnet.core.timeline import (
    DENSE_STEPS,
    MomentRecorder,
    Timeline,
    as_moment,
    is_recorded_step,
    moment_bytes,
)
from visnet.core.training import TrainConfig, Trainer, TrainingProgress


def make_trainer(sizes=(6, 5, 3), n=40, batch=4, dtype="float32", seed=0):
    rng = np.random.default_rng(seed)
    x = rng.random((n, sizes[0]))
    y = rng.integers(0, sizes[-1], n)
    net = Network(list(sizes), seed=seed, dtype=dtype)
    return Trainer(net, x, y, x[:10], y[:10], TrainConfig(batch_size=batch, eta=0.5, seed=seed))


def test_every_early_step_then_a_count_growing_with_the_logarithm():
    recorded = [s for s in range(1, 200_001) if is_recorded_step(s)]
    assert recorded[:DENSE_STEPS] == list(range(1, DENSE_STEPS + 1))
    # each tenfold of steps past the dense start adds about the same number of moments
    per_decade = [sum(10**k < s <= 10 ** (k + 1) for s in recorded) for k in (2, 3, 4)]
    assert all(abs(c - per_decade[0]) <= 2 for c in per_decade)
    assert per_decade[0] == pytest.approx(math.log(10) / math.log(1.02), abs=2)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_moments_hold_the_trainers_parameters_bit_for_bit(dtype):
    trainer = make_trainer(dtype=dtype)
    recorder = MomentRecorder()
    expected = {}
    for _ in range(130):
        trainer.step()
        if recorder.after_step(trainer):
            expected[trainer.steps] = [w.copy() for w in trainer.net.weights] + [b.copy() for b in trainer.net.biases]
    moments = recorder.take()
    assert [m.step for m in moments] == sorted(expected) == [s for s in range(1, 131) if is_recorded_step(s)]
    for m in moments:
        got = [*m.weights, *m.biases]
        assert all(g.dtype == np.dtype(dtype) and np.array_equal(g, e) for g, e in zip(got, expected[m.step]))
        assert not any(g.flags.writeable for g in got)
        assert not len(m.batch_losses) and not m.new_epochs and not m.moments
    assert recorder.take() == ()


def test_a_saved_model_trained_on_is_recorded_densely_from_where_it_began():
    trainer = make_trainer()
    net = trainer.net
    trainer = Trainer(
        net, trainer.x_train, trainer.y_train, config=trainer.config, progress=TrainingProgress(steps=8000)
    )
    recorder = MomentRecorder()
    for _ in range(120):
        trainer.step()
        recorder.after_step(trainer)
    steps = [m.step for m in recorder.take()]
    assert steps[:DENSE_STEPS] == list(range(8001, 8001 + DENSE_STEPS))
    assert steps == [8000 + s for s in range(1, 121) if is_recorded_step(s)]


def test_a_recorder_after_a_divergence_forgets_the_steps_undone():
    trainer = make_trainer()
    recorder = MomentRecorder()
    for _ in range(10):
        trainer.step()
        recorder.after_step(trainer)
    trainer.go_back(trainer.net.weights, trainer.net.biases, TrainingProgress(steps=6))
    trainer.step()  # step 7 again
    recorder.after_step(trainer)
    assert [m.step for m in recorder.take()] == [1, 2, 3, 4, 5, 6, 7]


def test_merged_snapshots_carry_every_moment_once():
    trainer = make_trainer()
    recorder = MomentRecorder()
    snaps = []
    for _ in range(3):
        for _ in range(4):
            trainer.step()
            recorder.after_step(trainer)
        snaps.append(take_snapshot(trainer, moments=recorder.take()))
    merged = merge_snapshots(merge_snapshots(snaps[0], snaps[1]), snaps[2])
    assert [m.step for m in merged.moments] == list(range(1, 13))


def moments_of(trainer, steps):
    """Moments at every step up to `steps` (as a timeline would be offered them)."""
    out = []
    for _ in range(steps):
        trainer.step()
        out.append(as_moment(take_snapshot(trainer)))
    return out


def test_the_budget_holds_and_the_ends_and_lived_moments_stay():
    trainer = make_trainer(sizes=(30, 20, 4))
    moments = moments_of(trainer, 400)
    size = moment_bytes(moments[0])
    timeline = Timeline(budget=40 * size)
    for m in moments:
        timeline.add(m, kept=m.step in (50, 333))
        assert timeline.nbytes <= timeline.budget
    steps = timeline.steps
    assert 36 <= len(timeline) <= 40 and timeline.dropped == 400 - len(
        timeline
    )  # moments with an evaluation weigh more
    assert steps[0] == 1 and steps[-1] == 400 and {50, 333} <= set(steps.tolist())
    assert np.all(np.diff(steps) > 0)
    # what remains is spread evenly on a log axis: no gap more than a few times another
    gaps = np.diff(np.log1p(steps))
    assert gaps.max() < 4 * np.median(gaps)
    assert timeline.nbytes == sum(moment_bytes(m) for m in timeline)


def test_a_wide_network_keeps_fewer_moments_never_more_memory():
    trainer = make_trainer(sizes=(784, 512, 512, 10), n=40, batch=1)
    budget = 12 * 2**20
    timeline = Timeline(budget=budget)
    recorder = MomentRecorder()
    for _ in range(5):  # five epochs
        for _ in range(trainer.batches_per_epoch):
            trainer.step()
            recorder.after_step(trainer)
            timeline.add_all(recorder.take())
            assert timeline.nbytes <= budget
    assert 2 <= len(timeline) <= budget // moment_bytes(timeline[0])
    assert timeline.steps[-1] == max(s for s in range(201) if is_recorded_step(s))


def test_a_step_seen_again_replaces_and_going_back_cuts_after():
    trainer = make_trainer()
    moments = moments_of(trainer, 8)
    timeline = Timeline()
    timeline.add_all(moments)
    timeline.add(moments[7], kept=True)  # the newest again, now lived through (a pause)
    timeline.keep(3)
    assert len(timeline) == 8 and timeline.is_kept(7) and timeline.is_kept(3) and not timeline.is_kept(2)
    timeline.add(moments[2])  # back to step 3 (a divergence undone)
    assert timeline.steps.tolist() == [1, 2, 3]
    assert timeline.nbytes == sum(moment_bytes(m) for m in timeline)


def test_a_branch_keeps_the_original_timeline():
    trainer = make_trainer()
    timeline = Timeline()
    timeline.add_all(moments_of(trainer, 10))
    branch = timeline.branch(4)
    branch.add_all(moments_of(make_trainer(seed=1), 7)[5:])  # steps 6, 7 of another run
    assert timeline.steps.tolist() == list(range(1, 11))
    assert branch.steps.tolist() == [1, 2, 3, 4, 5, 6, 7]
    assert branch[4] is timeline[4]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 10_000), min_size=1, max_size=40), st.floats(0, 12_000))
def test_nearest_is_the_closest_moment(steps, target):
    trainer = make_trainer(sizes=(2, 2))
    base = as_moment(take_snapshot(trainer))
    import dataclasses

    timeline = Timeline()
    for s in sorted(set(steps)):
        timeline.add(dataclasses.replace(base, step=s))
    i = timeline.nearest(target)
    distances = np.abs(timeline.steps - target)
    assert distances[i] == distances.min()
    assert timeline.index_of(int(timeline.steps[i])) == i


def test_going_back_continues_training_from_a_moment():
    trainer = make_trainer()
    moments = moments_of(trainer, 25)  # 10 batches an epoch: epoch records 1 and 2 exist
    m = moments[13]  # step 14, in epoch 2
    progress = TrainingProgress(m.step, m.epochs_done, m.samples_seen, m.epoch_progress - m.epochs_done)
    trainer.go_back(m.weights, m.biases, progress)
    assert trainer.steps == 14 and trainer.epochs_done == 1 and len(trainer.history) == 1
    assert all(np.array_equal(a, b) for a, b in zip(trainer.net.weights, m.weights))
    assert trainer.epoch_progress == pytest.approx(m.epoch_progress)
    trainer.step()
    assert trainer.steps == 15 and all(np.all(np.isfinite(w)) for w in trainer.net.weights)
    with pytest.raises(ValueError):
        trainer.go_back(m.weights[:1], m.biases, progress)
