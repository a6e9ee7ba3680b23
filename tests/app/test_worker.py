"""The training thread and its controller: commands, snapshots, divergence, shutdown."""

from __future__ import annotations

import math
import os
import re
import signal
import time
from dataclasses import replace

import numpy as np
import pytest

from visnet.app.training.controller import TrainingController
from visnet.app.training.process import CHECKPOINT_INTERVAL_S
from visnet.app.training.worker import MAX_SNAPSHOT_RATE, GentleStart, gentle_start_delay
from visnet.core.network import Network
from visnet.core.snapshot import merge_snapshots, take_snapshot
from visnet.core.training import TrainConfig, Trainer


def make_trainer(data, sizes=(784, 16, 16, 10), activations="sigmoid", **config) -> Trainer:
    config.setdefault("epochs", 10_000)
    net = Network(list(sizes), activations, seed=0)
    return Trainer(net, data.x_train, data.y_train, data.x_test, data.y_test, TrainConfig(**config))


@pytest.fixture(params=["process", "thread"])
def controller(qtbot, request):
    """Every test runs twice: full-speed training in the child process, and all on the thread."""
    c = TrainingController(use_process=request.param == "process")
    yield c
    assert c.shutdown(1000)
    assert not c.is_thread_running()


def trained(controller) -> int:
    """Mini-batches trained so far, as the newest snapshot tells (while training runs in the
    process, controller.trainer is brought up to date only when the run ends)."""
    return controller.latest_snapshot.step


class SnapshotCollector:
    """Takes every snapshot the controller holds as soon as it arrives (GUI thread)."""

    def __init__(self, controller: TrainingController):
        self.controller = controller
        self.snapshots = []
        controller.snapshot_arrived.connect(self.take)

    def take(self):
        snap = self.controller.take_pending_snapshot()
        if snap is not None:
            self.snapshots.append(snap)

    @property
    def n_losses(self) -> int:
        return sum(len(s.batch_losses) for s in self.snapshots)


def wait_paused(qtbot, controller):
    qtbot.waitUntil(lambda: controller.latest_snapshot.state == "paused", timeout=3000)


def test_set_trainer_shows_the_untrained_network_at_once(qtbot, controller, small_mnist):
    trainer = make_trainer(small_mnist)
    with qtbot.waitSignal(controller.trainer_replaced):
        controller.set_trainer(trainer)
    snap = controller.take_pending_snapshot()
    assert snap.state == "idle" and snap.step == 0
    assert snap.evaluation is not None  # the first picture already has a test accuracy
    assert not controller.is_thread_running()  # the thread starts with the first command


def test_running_sends_snapshots_with_every_batch_loss(qtbot, controller, small_mnist):
    controller.set_trainer(make_trainer(small_mnist))
    collector = SnapshotCollector(controller)
    collector.take()
    controller.start()
    assert controller.state == "running"
    qtbot.waitUntil(lambda: controller.snapshot_count > 5, timeout=5000)
    controller.pause()
    wait_paused(qtbot, controller)
    collector.take()
    assert collector.n_losses == controller.trainer.steps
    epochs = np.concatenate([s.batch_epochs for s in collector.snapshots])
    assert np.all(np.diff(epochs) > 0)  # in order, none twice
    assert any(s.samples_per_second > 0 for s in collector.snapshots if s.state == "running")


def test_snapshots_are_limited_to_the_frame_rate(qtbot, controller, small_mnist):
    controller.set_trainer(make_trainer(small_mnist))
    controller.start()
    qtbot.waitUntil(lambda: controller.steps_trained > 0, timeout=5000)  # the training process is up
    start_count = controller.snapshot_count
    t0 = time.monotonic()
    qtbot.wait(600)
    controller.pause()
    elapsed = time.monotonic() - t0
    wait_paused(qtbot, controller)
    sent = controller.snapshot_count - start_count
    assert controller.trainer.steps > 2 * sent  # far more batches than snapshots
    assert sent <= MAX_SNAPSHOT_RATE * elapsed + 3


def test_pause_stops_snapshots_and_training(qtbot, controller, small_mnist):
    controller.set_trainer(make_trainer(small_mnist))
    controller.start()
    qtbot.waitUntil(lambda: controller.snapshot_count > 3, timeout=5000)
    controller.pause()
    assert controller.state == "paused"
    wait_paused(qtbot, controller)
    count, steps = controller.snapshot_count, controller.trainer.steps
    qtbot.wait(300)
    assert controller.snapshot_count == count
    assert controller.trainer.steps == steps
    assert controller.is_thread_running()  # paused, waiting for the next command


def test_a_pause_right_after_start_is_still_confirmed(qtbot, controller, small_mnist):
    controller.set_trainer(make_trainer(small_mnist))
    controller.start()
    controller.pause()  # possibly before the thread has trained anything
    wait_paused(qtbot, controller)
    assert controller.latest_snapshot.step == controller.trainer.steps


def test_step_batch_trains_exactly_one_mini_batch(qtbot, controller, small_mnist):
    controller.set_trainer(make_trainer(small_mnist))
    for expected in (1, 2, 3):
        with qtbot.waitSignal(controller.snapshot_arrived, timeout=3000):
            controller.step_batch()
        qtbot.waitUntil(lambda n=expected: controller.latest_snapshot.step == n, timeout=3000)
    qtbot.wait(200)
    assert controller.trainer.steps == 3
    assert controller.latest_snapshot.state == "paused"


def test_step_epoch_trains_to_the_end_of_the_epoch(qtbot, controller, small_mnist):
    trainer = make_trainer(small_mnist)
    controller.set_trainer(trainer)
    controller.step_batch()
    qtbot.waitUntil(lambda: controller.latest_snapshot.step == 1, timeout=3000)
    controller.step_epoch()
    qtbot.waitUntil(lambda: controller.latest_snapshot.epochs_done == 1, timeout=5000)
    wait_paused(qtbot, controller)
    assert trainer.steps == trainer.batches_per_epoch and trainer.position == 0
    assert len(controller.latest_snapshot.new_epochs) >= 1


def test_hyperparameters_apply_at_the_next_batch(qtbot, controller, small_mnist):
    trainer = make_trainer(small_mnist, eta=0.5)
    controller.set_trainer(trainer)
    controller.step_batch()
    qtbot.waitUntil(lambda: controller.latest_snapshot.step == 1, timeout=3000)
    controller.set_hyperparameters(eta=0.05, batch_size=20, momentum=0.5)
    assert trainer.config.eta == 0.5  # the paused worker has not taken a batch yet
    controller.step_batch()
    qtbot.waitUntil(lambda: controller.latest_snapshot.step == 2, timeout=3000)
    assert (trainer.config.eta, trainer.config.batch_size, trainer.config.momentum) == (0.05, 20, 0.5)
    assert controller.latest_snapshot.samples_seen == 10 + 20


def test_invalid_hyperparameters_are_refused(controller, small_mnist):
    trainer = make_trainer(small_mnist)
    controller.set_trainer(trainer)
    with pytest.raises(ValueError, match="momentum"):
        controller.set_hyperparameters(momentum=1.5)
    controller.step_batch()  # now through a worker
    with pytest.raises(ValueError, match="learning rate"):
        controller.set_hyperparameters(eta=-1.0)
    with pytest.raises(ValueError, match="cannot change"):
        controller.set_hyperparameters(seed=3)
    assert trainer.config.momentum == 0.0 and trainer.config.eta == 0.5


@pytest.mark.timing
def test_slow_motion_waits_per_batch_and_pause_cuts_the_wait_short(qtbot, controller, small_mnist):
    controller.set_trainer(make_trainer(small_mnist))
    controller.set_delay(1.0)
    controller.start()
    qtbot.waitUntil(lambda: controller.trainer.steps == 1, timeout=3000)
    qtbot.wait(300)
    assert controller.trainer.steps == 1  # still waiting out the one second
    t0 = time.monotonic()
    controller.pause()
    wait_paused(qtbot, controller)
    assert time.monotonic() - t0 < 0.5
    controller.set_delay(0.0)
    controller.start()
    qtbot.waitUntil(lambda: trained(controller) > 50, timeout=3000)


def test_stop_ends_the_thread_and_start_continues(qtbot, controller, small_mnist):
    controller.set_trainer(make_trainer(small_mnist))
    controller.start()
    qtbot.waitUntil(lambda: trained(controller) > 20, timeout=3000)
    controller.stop()
    assert controller.state == "stopped"
    assert not controller.is_thread_running()
    qtbot.waitUntil(lambda: controller.latest_snapshot.state == "stopped", timeout=3000)
    steps = controller.trainer.steps
    assert steps == trained(controller) > 20  # the trainer is back in this process, up to date
    controller.start()
    qtbot.waitUntil(lambda: trained(controller) > steps + 20, timeout=3000)


def test_planned_epochs_pause_training(qtbot, controller, small_mnist):
    controller.set_trainer(make_trainer(small_mnist, epochs=2))
    with qtbot.waitSignal(controller.paused_itself, timeout=5000) as blocker:
        controller.start()
    assert "2 planned epochs" in blocker.args[0]
    assert controller.state == "paused"
    assert controller.trainer.epochs_done == 2 and controller.trainer.position == 0


def test_divergence_pauses_keeps_good_parameters_and_reports(qtbot, controller, small_mnist):
    trainer = make_trainer(small_mnist, activations="relu", eta=1e6)
    controller.set_trainer(trainer)
    with qtbot.waitSignal(controller.diverged, timeout=5000) as blocker:
        controller.start()
    assert "smaller learning rate" in blocker.args[0]
    assert controller.state == "diverged"
    qtbot.waitUntil(lambda: controller.latest_snapshot.state == "diverged", timeout=3000)
    snap = controller.latest_snapshot
    assert "diverged" in snap.message
    assert all(np.isfinite(w).all() for w in snap.weights)
    assert controller.is_thread_running()  # paused, not dead: a smaller eta can carry on
    controller.set_hyperparameters(eta=0.01)
    steps = trainer.steps
    controller.start()
    qtbot.waitUntil(lambda: trained(controller) > steps + 20, timeout=3000)


def test_replacing_the_trainer_drops_the_old_networks_snapshots(qtbot, controller, small_mnist):
    controller.set_trainer(make_trainer(small_mnist))
    controller.start()
    qtbot.waitUntil(lambda: trained(controller) > 50, timeout=3000)
    controller.set_trainer(make_trainer(small_mnist, sizes=(784, 30, 10)))
    assert not controller.is_thread_running()
    qtbot.wait(100)  # any snapshot of the old network still queued would arrive now
    snap = controller.take_pending_snapshot()
    assert snap.sizes == (784, 30, 10) and snap.step == 0
    assert controller.latest_snapshot.sizes == (784, 30, 10)


def test_locked_trainer_reads_a_consistent_state_while_running(qtbot, controller, small_mnist):
    controller.set_trainer(make_trainer(small_mnist))
    controller.start()
    qtbot.waitUntil(lambda: trained(controller) > 20, timeout=3000)
    with controller.locked_trainer() as trainer:
        steps = trainer.steps
        assert steps >= trained(controller) > 20  # brought back up to date
        weights = [w.copy() for w in trainer.net.weights]
        time.sleep(0.05)  # the worker must not train while the lock is held
        assert trainer.steps == steps
        assert all(np.array_equal(a, b) for a, b in zip(weights, trainer.net.weights))
        trainer.net.biases[0][:] = 0.25  # a hand edit made inside the block must survive
    qtbot.waitUntil(lambda: trained(controller) > steps + 20, timeout=3000)  # and training goes on
    controller.pause()
    wait_paused(qtbot, controller)
    moved = np.abs(controller.trainer.net.biases[0] - 0.25).mean()
    assert 0 < moved < 0.4  # trained on from 0.25 (from the N(0, 1) init it would be ~0.8)


@pytest.mark.timing
def test_shutdown_joins_a_running_thread_quickly(qtbot, small_mnist):
    controller = TrainingController()
    controller.set_trainer(make_trainer(small_mnist))
    controller.start()
    qtbot.waitUntil(lambda: trained(controller) > 20, timeout=3000)
    t0 = time.monotonic()
    assert controller.shutdown(1000)
    assert time.monotonic() - t0 < 1.0
    assert not controller.is_thread_running()


def test_merge_snapshots_keeps_every_loss(small_mnist):
    trainer = make_trainer(small_mnist)
    older = take_snapshot(trainer, [0.1, 0.2], [2.0, 1.9])
    newer = take_snapshot(trainer, [0.3], [1.8])
    merged = merge_snapshots(older, newer)
    assert merged.batch_losses.tolist() == [2.0, 1.9, 1.8]
    assert merged.batch_epochs.tolist() == [0.1, 0.2, 0.3]
    assert not merged.batch_losses.flags.writeable
    assert merge_snapshots(take_snapshot(trainer), newer) is newer


def test_training_runs_in_a_child_process_and_ends_with_the_window(qtbot, small_mnist):
    controller = TrainingController()
    trainer = make_trainer(small_mnist)
    controller.set_trainer(trainer)
    controller.start()
    qtbot.waitUntil(lambda: trained(controller) > 20, timeout=5000)
    child = controller._process._process
    assert child.is_alive() and child.pid != os.getpid()
    assert trainer.steps < trained(controller)  # the steps were taken elsewhere
    controller.stop()
    qtbot.waitUntil(lambda: controller.latest_snapshot.state == "stopped", timeout=3000)
    assert trainer.steps == trained(controller)  # and their result came back
    assert controller.shutdown(1000)
    assert not child.is_alive()


def test_a_training_process_that_dies_keeps_the_training_it_reported(qtbot, small_mnist):
    """kill -9 of the child mid-run: training stays at the last snapshot shown (not where
    Train was pressed), the user is told, and the next run starts a new child."""
    controller = TrainingController()
    controller.set_trainer(make_trainer(small_mnist))
    collector = SnapshotCollector(controller)
    controller.start()
    qtbot.waitUntil(lambda: controller.training_pid is not None, timeout=10_000)
    started = time.monotonic()
    qtbot.waitUntil(
        lambda: time.monotonic() - started > 2.5 * CHECKPOINT_INTERVAL_S, timeout=10_000
    )  # checkpoints sent
    pid = controller.training_pid
    with qtbot.waitSignal(controller.process_died, timeout=5000) as died:
        os.kill(pid, signal.SIGKILL)
    last_running = [s for s in collector.snapshots if s.state == "running"][-1]
    assert "killed by signal 9" in died.args[0] and "press Space to continue" in died.args[0]
    assert controller.state == "paused"
    trainer = controller.trainer
    assert trainer.steps == last_running.step > 300
    for w, shown in zip(trainer.net.weights, last_running.weights):
        np.testing.assert_array_equal(w, shown)  # retrained bit for bit from the last checkpoint
    qtbot.waitUntil(lambda: collector.snapshots[-1].state == "paused", timeout=3000)
    assert collector.snapshots[-1].step == last_running.step  # the curve goes on from there
    assert f"epoch {trainer.epoch_progress:.1f}" in collector.snapshots[-1].message

    controller.start()
    qtbot.waitUntil(lambda: controller.training_pid not in (None, pid), timeout=5000)  # a new child
    qtbot.waitUntil(lambda: trained(controller) > last_running.step + 50, timeout=5000)
    assert controller.shutdown(1000)


def test_the_blas_thread_count_is_settled_before_any_run(monkeypatch):
    """OpenBLAS may hang when its thread count changes while another thread is inside a BLAS
    call, so the GUI process sets it once, when the controller makes its TrainingProcess
    (on the GUI thread), and never as a run starts."""
    import visnet.app.training.process as tp

    calls = []
    monkeypatch.setattr(tp, "threadpool_limits", lambda n, user_api: calls.append((n, user_api)))
    tp._limit_blas_threads_once.cache_clear()
    process = tp.TrainingProcess()
    assert calls == [(tp.BLAS_THREADS, "blas")]
    tp.TrainingProcess()  # a controller replacing a child it cut loose: not again
    assert calls == [(tp.BLAS_THREADS, "blas")]
    monkeypatch.setattr(process, "_context", None)  # no child may be started by this test
    with pytest.raises(AttributeError):
        process._ensure_started()
    assert calls == [(tp.BLAS_THREADS, "blas")]


def test_gentle_start_schedule_slows_the_first_epochs_then_reaches_full_speed():
    """Embedded MNIST: 800 batches an epoch; the epochs last 30 s, 10 s, 3.3 s, 1.1 s, then 0."""
    batches = 800

    def epoch_seconds(k: int) -> float:
        return sum(gentle_start_delay(k + b / batches, batches) for b in range(batches))

    durations = [epoch_seconds(k) for k in range(5)]
    assert durations[0] == pytest.approx(30.0, rel=0.02)
    for k in (1, 2, 3):
        assert durations[k] == pytest.approx(durations[k - 1] / 3, rel=0.02)
    assert durations[4] == 0.0
    assert gentle_start_delay(0.0, batches) == pytest.approx(30 * math.log(3) / (2 / 3 * batches))
    delays = [gentle_start_delay(p / 10, batches) for p in range(40)]
    assert all(a > b > 0 for a, b in zip(delays, delays[1:]))  # smooth: faster with every batch
    assert gentle_start_delay(0.0, 3) == 0.25  # a tiny data set is capped at four batches a second
    assert GentleStart(first_epoch_s=2.0).delay(0.5, 100) == gentle_start_delay(0.5, 100, first_epoch_s=2.0)


@pytest.mark.timing
def test_gentle_start_paces_a_fresh_run_then_speeds_up_to_full_speed(qtbot, controller, small_mnist):
    schedule = GentleStart(first_epoch_s=1.5, speedup=4.0, epochs=2.0)  # 100 batches: 1.5 s, then 0.4 s
    controller.set_gentle_start(True, schedule)
    controller.set_trainer(make_trainer(small_mnist))
    assert controller.gentle_start and controller.gentle_pace
    t0 = time.monotonic()
    controller.start()
    qtbot.wait(500)
    steps, elapsed = controller.steps_trained, time.monotonic() - t0
    expected = sum(1 for b in range(100) if sum(schedule.delay(i / 100, 100) for i in range(b)) < elapsed)
    assert 0.5 * expected <= steps <= 1.5 * expected + 2  # ~20 batches, not the hundreds of full speed
    snap = controller.latest_snapshot
    assert snap.gentle and snap.delay == pytest.approx(schedule.delay(snap.epoch_progress, 100), rel=0.2)
    assert controller.gentle_pace
    qtbot.waitUntil(lambda: controller.latest_snapshot.epochs_done >= 2, timeout=6000)
    assert not controller.gentle_pace and controller.gentle_start
    qtbot.waitUntil(lambda: not controller.latest_snapshot.gentle, timeout=2000)
    at = controller.steps_trained
    qtbot.waitUntil(lambda: controller.steps_trained > at + 500, timeout=3000)  # full speed now


@pytest.mark.timing
def test_the_speed_slider_and_full_speed_override_the_gentle_start(qtbot, controller, small_mnist):
    controller.set_gentle_start(True, GentleStart(first_epoch_s=20.0))
    controller.set_trainer(make_trainer(small_mnist))
    controller.start()
    qtbot.waitUntil(lambda: controller.latest_snapshot.gentle, timeout=3000)
    controller.full_speed()
    assert not controller.gentle_pace
    at = controller.steps_trained
    qtbot.waitUntil(lambda: controller.steps_trained > at + 300, timeout=3000)
    controller.set_delay(0.2)  # the slider: its delay, not the gentle start's
    qtbot.waitUntil(lambda: controller.latest_snapshot.delay == 0.2, timeout=3000)
    assert not controller.latest_snapshot.gentle
    controller.set_delay(0.0)
    controller.set_gentle_start(True, GentleStart(first_epoch_s=20.0))  # on again: from here
    assert controller.gentle_pace
    qtbot.waitUntil(lambda: controller.latest_snapshot.gentle, timeout=3000)
    controller.set_gentle_start(False)
    assert not controller.gentle_pace and not controller.gentle_start


@pytest.mark.timing
def test_slow_motion_holds_its_delay_and_reports_the_true_rate(qtbot, controller, small_mnist):
    """0.15 s/batch is 6.7 batches a second, in the steps taken and in the rate reported."""
    controller.set_trainer(make_trainer(small_mnist))
    collector = SnapshotCollector(controller)
    controller.set_delay(0.15)
    controller.start()
    qtbot.waitUntil(lambda: controller.latest_snapshot.step >= 2, timeout=3000)
    t2 = time.monotonic()
    qtbot.waitUntil(lambda: controller.latest_snapshot.step >= 8, timeout=3000)
    period = (time.monotonic() - t2) / 6
    assert period == pytest.approx(0.15, abs=0.03)
    running = [s for s in collector.snapshots if s.state == "running" and s.step >= 2]
    assert len(running) >= 5 and all(s.delay == 0.15 for s in running)
    for snap in running:  # every figure shown, from the first one measured
        assert snap.samples_per_second == pytest.approx(10 / 0.15, rel=0.15)


@pytest.mark.timing
def test_pause_takes_effect_within_a_batch_or_two(qtbot, controller, small_mnist):
    controller.set_trainer(make_trainer(small_mnist, sizes=(784, 64, 10), batch_size=50))
    for _ in range(3):
        controller.start()
        at = controller.steps_trained
        qtbot.waitUntil(lambda a=at: controller.steps_trained > a + 30, timeout=5000)
        at_pause = controller.steps_trained
        controller.pause()
        qtbot.waitUntil(
            lambda a=at_pause: controller.latest_snapshot.state == "paused" and controller.latest_snapshot.step >= a,
            timeout=3000,
        )
        assert at_pause <= controller.trainer.steps <= at_pause + 2
        assert controller.latest_snapshot.step == controller.trainer.steps == controller.steps_trained


def test_the_divergence_message_names_the_step_the_snapshots_show(qtbot, controller, small_mnist):
    controller.set_trainer(make_trainer(small_mnist, activations="relu", eta=1e6))
    with qtbot.waitSignal(controller.diverged, timeout=5000) as blocker:
        controller.start()
    restored = int(re.search(r"Went back to step (\d+)", blocker.args[0]).group(1))
    assert restored < int(re.search(r"diverged at step (\d+)", blocker.args[0]).group(1))
    qtbot.waitUntil(lambda: controller.latest_snapshot.state == "diverged", timeout=3000)
    snap = controller.latest_snapshot
    assert snap.step == controller.trainer.steps == restored
    assert np.all(snap.batch_epochs <= snap.epoch_progress + 1e-9)  # no loss of an undone step


def test_a_pause_checks_the_networks_health(qtbot, controller, small_mnist):
    controller.set_trainer(make_trainer(small_mnist, eta=1000.0))
    assert controller.latest_snapshot.health is None  # the fresh network is fine
    controller.start()
    qtbot.waitUntil(lambda: trained(controller) > 30, timeout=5000)
    controller.pause()
    wait_paused(qtbot, controller)
    health = controller.latest_snapshot.health
    assert health is not None and health.kind == "saturated"


def test_snapshots_name_the_newest_batch(qtbot, controller, small_mnist):
    trainer = make_trainer(small_mnist)
    controller.set_trainer(trainer)
    assert controller.latest_snapshot.batch_indices.size == 0
    x_next = trainer.next_batch()[0].copy()
    controller.step_batch()
    qtbot.waitUntil(lambda: controller.latest_snapshot.step == 1, timeout=3000)
    indices = controller.latest_snapshot.batch_indices
    np.testing.assert_array_equal(trainer.x_train[indices], x_next)
    controller.start()
    qtbot.waitUntil(lambda: trained(controller) > 50, timeout=5000)
    snap = controller.latest_snapshot
    assert len(snap.batch_indices) == 10 and snap.batch_indices.max() < 1000


def test_merging_drops_the_losses_of_steps_a_divergence_undid(small_mnist):
    trainer = make_trainer(small_mnist)
    older = replace(take_snapshot(trainer, [0.24, 0.25, 0.26], [2.0, 1.9, 9.0]), step=26)
    newer = replace(take_snapshot(trainer, state="diverged"), step=25, epoch_progress=0.25)
    merged = merge_snapshots(older, newer)
    assert merged.batch_epochs.tolist() == [0.24, 0.25] and merged.batch_losses.tolist() == [2.0, 1.9]


def test_a_new_network_while_the_data_is_still_on_its_way_to_the_child_trains(qtbot, embedded_mnist, monkeypatch):
    """Train, then at once another network: the first worker is still blocked sending the
    data set to a child that is starting, so it is cut loose. Its messages must not
    interleave with the next worker's in one pipe (the child then read a corrupt message
    and never trained), nor its snapshots and reports reach the new run."""
    import shiboken6

    import visnet.app.training.controller as tc

    monkeypatch.setattr(tc, "SHUTDOWN_TIMEOUT_MS", 1)
    controller = TrainingController()
    controller.set_trainer(make_trainer(embedded_mnist))  # 8,000 digits: a 25 MB first message
    controller.start()
    qtbot.waitUntil(lambda: controller.training_pid is not None, timeout=10_000)
    first_pid = controller.training_pid
    failures = []
    controller.training_failed.connect(failures.append)
    controller.process_died.connect(failures.append)
    second = make_trainer(embedded_mnist, sizes=(784, 20, 10))
    controller.set_trainer(second)
    controller.start()
    qtbot.waitUntil(lambda: trained(controller) > 200, timeout=30_000)
    assert controller.training_pid not in (None, first_pid)
    assert controller.latest_snapshot.sizes == (784, 20, 10) and not failures
    monkeypatch.setattr(tc, "SHUTDOWN_TIMEOUT_MS", 1000)
    assert controller.shutdown(5000)

    def cut_loose_threads_ended():  # their children were ended, so they end too
        return all(not shiboken6.isValid(t) or t.isFinished() for t, _ in list(tc._unfinished_threads))

    qtbot.waitUntil(cut_loose_threads_ended, timeout=10_000)
