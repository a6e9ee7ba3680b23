"""The training thread: a QObject that drives a core Trainer one mini-batch at a time.

A worker that is busy training has no running event loop, so queued signals could never
reach it. It is commanded instead through plain methods that set flags under a
threading.Condition (any thread may call them) and it checks those flags between
mini-batches; while paused it sleeps in Condition.wait(), it does not spin. The slow-motion
delay is a wait on the same condition, so pause and stop cut it short at once. The delay
is the time from the start of one mini-batch to the start of the next, so 1 s/batch is one
batch a second however long the batch and its snapshot take. With no delay set, a gentle
start (gentle_start_delay) slows the first epochs of a run down so they can be watched.

Given a TrainingProcess, the worker trains at full speed in that child process instead
(see process.py: the GUI and training then stop competing for the interpreter)
and only relays what the child sends; single steps, epochs and slow motion run here.
If the child dies, the worker goes back to the child's last checkpoint, retrains up to the
last snapshot it relayed (at most about a second of training), pauses and says so; the
next run starts a new child.

What it tells the GUI travels as immutable Snapshots (core.snapshot), emitted at most
max_rate times a second while running, plus one after every pause, step, stop and
divergence. The loss of every mini-batch trained since the previous snapshot rides in the
next one, so the loss curve misses no batch however few frames are drawn.
"""

from __future__ import annotations

import bisect
import math
import sys
import threading
import time
import traceback
from contextlib import contextmanager
from dataclasses import dataclass, replace

import numpy as np
from PySide6.QtCore import QObject, Signal, Slot

from visnet.core.snapshot import Snapshot, merge_snapshots, take_snapshot
from visnet.core.timeline import MomentRecorder
from visnet.core.training import DivergenceError, TrainConfig, Trainer

from .process import Halted, RateMeter, TrainingProcess, TrainingProcessError, TrainingProcessUnavailable

MAX_SNAPSHOT_RATE = 30.0  # snapshots per second while running: the display's frame rate
FRAME_WAIT_S = 0.05  # longest training waits for the GUI to draw a snapshot (see share_with_gui)
RELAY_POLL_S = 0.005  # how often the relay of a training process checks for commands
LIVE_SETTINGS = ("eta", "momentum", "lmbda", "batch_size", "epochs", "schedule", "gamma", "step_epochs")


@dataclass(frozen=True)
class GentleStart:
    """The timings of gentle_start_delay (see there); tests pass shorter ones."""

    first_epoch_s: float = 30.0
    speedup: float = 3.0
    epochs: float = 4.0
    max_delay: float = 0.25

    def delay(self, epochs_run: float, batches_per_epoch: int) -> float:
        return gentle_start_delay(epochs_run, batches_per_epoch, **vars(self))


def gentle_start_delay(
    epochs_run: float,
    batches_per_epoch: int,
    first_epoch_s: float = 30.0,
    speedup: float = 3.0,
    epochs: float = 4.0,
    max_delay: float = 0.25,
) -> float:
    """Seconds to wait per mini-batch after epochs_run epochs of a run: slow enough at first
    to watch the network learn, then smoothly faster, then full speed (0).

        delay(p) = d0 · speedup^(−p)   for p < epochs;   0 from p = epochs on,

    with d0 chosen so that the first epoch of batches_per_epoch (B) batches lasts
    first_epoch_s: ∫₀¹ B d0 speedup^(−p) dp = B d0 (1 − 1/speedup) / ln(speedup).
    Each epoch then takes 1/speedup of the one before. The defaults make the epochs last
    30 s, 10 s, 3.3 s and 1.1 s (~45 s in all), then training runs at full speed; for
    embedded MNIST (8,000 images, batch 10: B = 800) the delay falls from 62 ms per batch to
    21 ms at the end of the first epoch and 0.8 ms at the end of the fourth, where the
    step to 0 cannot be seen. The delay never exceeds max_delay (four batches a second), so a
    tiny data set does not crawl: the playground's 25 batches of XOR take about 6 s at first.
    """
    if epochs_run >= epochs or batches_per_epoch < 1:
        return 0.0
    ln = math.log(speedup)
    d0 = first_epoch_s * ln / ((1 - 1 / speedup) * batches_per_epoch)
    return min(max_delay, d0 * math.exp(-ln * max(epochs_run, 0.0)))


GENTLE_START = GentleStart()


def planned_epochs_message(epochs: int) -> str:
    return f"Finished the {epochs} planned epoch{'s' if epochs != 1 else ''}; Train continues beyond them."


def checked_config(config: TrainConfig, values: dict) -> TrainConfig:
    """config with values replaced, validated; ValueError names the bad setting."""
    unknown = set(values) - set(LIVE_SETTINGS)
    if unknown:
        raise ValueError(f"cannot change {', '.join(sorted(unknown))} during training")
    changed = replace(config, **values)
    changed.validate()
    return changed


class SnapshotMailbox:
    """Snapshots on their way from a worker thread to the GUI thread.

    The worker's signal only says "look in the mailbox": a Python object sent in a signal
    across threads is copied by Qt while it holds a lock, and the copy needs the
    interpreter lock; if the GUI thread, holding the interpreter in a Qt call, needs the
    same Qt lock, both wait for ever (a rare hang, seen with the activation maximiser).
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._snapshots: list[Snapshot] = []

    def put(self, snap: Snapshot) -> None:
        with self._lock:
            self._snapshots.append(snap)

    def take_all(self) -> list[Snapshot]:
        with self._lock:
            snapshots, self._snapshots = self._snapshots, []
        return snapshots


class TrainingWorker(QObject):
    """Trains `trainer` on the thread it is moved to; run() is the thread's body.

    Commands (resume, pause, step_batch, step_epoch, stop, set_delay, set_gentle_start,
    update_config) may be called from any thread. The trainer belongs to this worker while its thread runs:
    other threads touch it only inside `with worker.locked_trainer():`, which also brings a
    run in the training process back here for as long as the block lasts.
    """

    snapshot_ready = Signal()  # a snapshot waits in the mailbox
    diverged = Signal(str)  # the DivergenceError message; the worker has paused itself
    paused_itself = Signal(str)  # why the worker stopped training on its own (planned epochs done)
    failed = Signal(str)  # an unexpected error ended training; the traceback's last lines
    process_died = Signal(str)  # the training process ended unexpectedly; training is kept and paused
    finished = Signal()  # run() has returned; the thread may quit

    def __init__(
        self,
        trainer: Trainer,
        *,
        delay: float = 0.0,
        max_rate: float = MAX_SNAPSHOT_RATE,
        process: TrainingProcess | None = None,
        mailbox: SnapshotMailbox | None = None,
    ):
        super().__init__()
        self._trainer = trainer
        self.mailbox = mailbox or SnapshotMailbox()
        self._process = process
        self._trainer_lock = threading.Lock()
        self._cond = threading.Condition()
        # Guarded by _cond: what the GUI asked for.
        self._running = False
        self._pending_batches = 0
        self._pending_epoch = False
        self._pause_requested = False  # a pause to confirm with a snapshot
        self._stop_requested = False
        self._delay = float(delay)
        self._gentle: GentleStart | None = None  # the gentle start in force, until its schedule ends
        self._gentle_from = 0.0  # the epoch progress at which it began
        self._config_updates: dict = {}
        self._lock_waiters = 0  # threads waiting in locked_trainer()
        # Used only on the worker thread.
        self._max_rate = max_rate
        self._batch_epochs: list[float] = []
        self._batch_losses: list[float] = []
        self._recorder = MomentRecorder()  # the timeline's moments, sent with the next snapshot
        self._history_sent = len(trainer.history)
        self._last_emit = 0.0
        self._last_state: str | None = None
        self._meter: RateMeter | None = None
        self._relaying = False  # a run in the training process is under way
        self._relayed_step = 0  # the step of the last snapshot relayed from the training process
        self._share_with_gui = False
        self._frame_drawn = threading.Event()
        self._frame_drawn.set()

    # -- sharing the interpreter with the GUI --------------------------------------------
    def share_with_gui(self, on: bool = True) -> None:
        """After each snapshot sent while running, wait until the GUI has drawn it.

        Python runs one thread at a time: a thread training flat out makes every callback
        of the GUI thread queue for its turn, and a 10 ms frame took 50-100 ms. Taking turns
        (train ~33 ms, let the GUI draw the result) keeps the window fluid for a small cost
        in training speed. Training in a process does not wait; the relay then holds back
        (and merges) snapshots until the GUI has drawn the previous one.
        """
        self._share_with_gui = on
        if not on:
            self._frame_drawn.set()

    def frame_drawn(self) -> None:
        """The GUI has drawn (or, while training runs in the process, taken) the newest
        snapshot and is ready for the next one (any thread)."""
        self._frame_drawn.set()

    # -- commands (any thread) ------------------------------------------------------------
    def resume(self) -> None:
        """Train continuously until paused or stopped."""
        with self._cond:
            self._running = True
            self._pending_batches = 0
            self._pending_epoch = False
            self._cond.notify_all()
        self._frame_drawn.set()  # do not wait for a frame to confirm the pause

    def pause(self) -> None:
        """Stop after the current mini-batch and wait; cancels a pending step."""
        with self._cond:
            self._halt_process()
            self._pause_requested = True
            self._running = False
            self._pending_batches = 0
            self._pending_epoch = False
            self._cond.notify_all()

    def step_batch(self) -> None:
        """Pause, then train exactly one more mini-batch."""
        with self._cond:
            self._halt_process()
            self._running = False
            self._pending_epoch = False
            self._pending_batches += 1
            self._cond.notify_all()

    def step_epoch(self) -> None:
        """Pause, then train until the current epoch ends (full speed, no delay)."""
        with self._cond:
            self._halt_process()
            self._running = False
            self._pending_batches = 0
            self._pending_epoch = True
            self._cond.notify_all()

    def stop(self) -> None:
        """End run() after the current mini-batch (and a last snapshot)."""
        with self._cond:
            self._halt_process()
            self._stop_requested = True
            self._cond.notify_all()
        self._frame_drawn.set()

    def set_delay(self, seconds: float) -> None:
        """Seconds from the start of one mini-batch to the start of the next while running
        (0 = full speed); a gentle start in force overrides it until its schedule ends."""
        with self._cond:
            self._delay = max(0.0, float(seconds))
            if self._delay > 0:
                self._halt_process()  # slow motion runs on this thread
            self._cond.notify_all()

    def set_gentle_start(self, schedule: GentleStart | None, from_epoch: float = 0.0) -> None:
        """Pace the run by schedule.delay(epoch progress − from_epoch) until that reaches 0;
        None ends a gentle start (the set_delay delay applies again)."""
        with self._cond:
            self._gentle, self._gentle_from = schedule, float(from_epoch)
            if schedule is not None:
                self._halt_process()
            self._cond.notify_all()

    def _halt_process(self) -> None:
        """Make a run in the training process end before its next batch (with _cond held);
        the relay sees the command under the same lock and collects the state."""
        if self._process is not None:
            self._process.request_halt()

    def update_config(self, **values) -> None:
        """Hyperparameters (see LIVE_SETTINGS) to use from the next mini-batch on."""
        checked_config(self._trainer.config, values)  # fail here, on the caller's thread
        with self._cond:
            self._config_updates.update(values)

    @property
    def running(self) -> bool:
        with self._cond:
            return self._running

    @property
    def steps_trained(self) -> int:
        """Mini-batches trained so far, counting a run in the training process as it goes."""
        with self._cond:
            relaying, process = self._relaying, self._process
        return process.steps_trained if relaying and process is not None else self._trainer.steps

    @contextmanager
    def locked_trainer(self):
        """The trainer, held still between two mini-batches for as long as the block runs."""
        with self._cond:
            self._lock_waiters += 1
            self._halt_process()
            self._cond.notify_all()
        try:
            with self._trainer_lock:
                yield self._trainer
        finally:
            with self._cond:
                self._lock_waiters -= 1
                self._cond.notify_all()

    # -- the thread's body --------------------------------------------------------------
    @Slot()
    def run(self) -> None:
        try:
            self._loop()
        except Exception:  # a bug, not a training outcome: report it rather than die silently
            lines = traceback.format_exc().strip().splitlines()
            self.failed.emit("\n".join(lines[-6:]))
        finally:
            self.finished.emit()

    def _loop(self) -> None:
        while True:
            if not self._frame_drawn.is_set():  # releases the interpreter to the GUI meanwhile
                if self._frame_drawn.wait(FRAME_WAIT_S):
                    self._last_emit = time.monotonic()  # the next snapshot after a full slice of training
                else:
                    self._frame_drawn.set()  # no answer (window hidden?): do not wait again
            with self._cond:
                while self._lock_waiters:  # someone needs the trainer: let them have it first
                    self._cond.wait()
                action = self._next_action()
                announce = self._pause_requested or self._batch_losses or self._last_state == "running"
                if action == "wait" and not announce:
                    self._cond.wait()
                    continue
                if action == "batch":
                    self._pending_batches -= 1
                self._pause_requested = False
                in_process = action == "run" and self._process is not None and self._pace()[0] == 0
            if action == "wait":  # just paused: say so once, then wait
                self._emit("paused")
                continue
            if action == "stop":
                self._emit("stopped")
                return
            if in_process:
                self._run_in_process()
                continue
            batch_start = time.monotonic()
            result = self._train_one_batch()
            if result is None:  # diverged: already paused and reported
                continue
            if action == "run":
                self._after_running_batch(result.epoch_finished, batch_start)
            elif action == "batch" or result.epoch_finished:
                if action == "epoch":
                    with self._cond:
                        self._pending_epoch = False
                self._emit("paused")
            else:  # in the middle of an epoch step
                self._emit_if_due("running")

    def _pace(self) -> tuple[float, bool]:
        """(seconds per batch, whether it is the gentle start's) in force now; call on the
        worker thread with _cond held."""
        if self._gentle is not None:
            tr = self._trainer
            delay = self._gentle.delay(tr.epoch_progress - self._gentle_from, tr.batches_per_epoch)
            if delay > 0:
                return delay, True
            self._gentle = None  # its schedule has ended: full speed (or the slider's delay) from now on
        return self._delay, False

    def _next_action(self) -> str:
        """What to do next, decided under the lock: stop, run, epoch, batch or wait."""
        if self._stop_requested:
            return "stop"
        if self._running:
            return "run"
        if self._pending_epoch:
            return "epoch"
        if self._pending_batches > 0:
            return "batch"
        return "wait"

    def _take_config_updates(self) -> dict:
        with self._cond:
            updates, self._config_updates = self._config_updates, {}
        return updates

    def _train_one_batch(self):
        updates = self._take_config_updates()
        tr = self._trainer
        try:
            with self._trainer_lock:
                for name, value in updates.items():
                    setattr(tr.config, name, value)
                result = tr.step()
                self._recorder.after_step(tr)
        except DivergenceError as err:
            self._report_divergence(str(err))
            return None
        self._batch_epochs.append(tr.epoch_progress)
        self._batch_losses.append(result.loss)
        return result

    def _report_divergence(self, message: str) -> None:
        with self._cond:
            self._running = False
            self._pending_batches = 0
            self._pending_epoch = False
        # The trainer went back to its checkpoint: the losses of the steps it undid are not
        # sent, so the curve ends where training continues (the snapshot's step goes back too).
        kept = bisect.bisect_right(self._batch_epochs, self._trainer.epoch_progress + 1e-9)
        del self._batch_epochs[kept:], self._batch_losses[kept:]
        self._emit("diverged", message)
        self.diverged.emit(message)

    def _after_running_batch(self, epoch_finished: bool, batch_start: float) -> None:
        tr = self._trainer
        if epoch_finished and tr.epochs_done == tr.config.epochs:
            self._report_planned_epochs_done()
            return
        self._emit_if_due("running")
        self._slow_motion_wait(batch_start)

    def _report_planned_epochs_done(self) -> None:
        with self._cond:
            self._running = False
        message = planned_epochs_message(self._trainer.config.epochs)
        self._emit("paused", message)
        self.paused_itself.emit(message)

    def _slow_motion_wait(self, batch_start: float) -> None:
        """Wait until the delay in force has passed since batch_start, the time the batch
        and its snapshot took included; any command (pause, stop, step, new delay) wakes it."""
        with self._cond:
            while self._running and not self._stop_requested:
                remaining = batch_start + self._pace()[0] - time.monotonic()
                if remaining <= 0:
                    return
                self._cond.wait(remaining)

    # -- training in the process ----------------------------------------------------------
    def _run_in_process(self) -> None:
        """Let the child train at full speed, relay its snapshots, take the trainer back when
        a command needs it here. Falls back to this thread if the process cannot be used."""
        tr = self._trainer
        with self._trainer_lock:
            for name, value in self._take_config_updates().items():
                setattr(tr.config, name, value)
            try:
                with self._cond:
                    self._relaying = True
                halted = self._relay(tr)
            except TrainingProcessUnavailable as err:
                self._process = None  # train on this thread from now on
                self._last_state = None
                print(f"visnet: {err}; training continues on a thread", file=sys.stderr)
                return
            finally:
                with self._cond:
                    self._relaying = False
            if halted.reason == "died":
                self._redo_since_checkpoint(halted.state)
            else:
                tr.load_state(halted.state)
        self._meter = None
        if halted.reason == "died":
            self._report_process_death(halted.message)
            return
        self._history_sent = halted.history_sent
        self._batch_epochs.extend(halted.batch_epochs)
        self._batch_losses.extend(halted.batch_losses)
        self._recorder.extend(halted.moments)
        if halted.reason == "diverged":
            self._report_divergence(halted.message)
        elif halted.reason == "planned":
            self._report_planned_epochs_done()

    def _redo_since_checkpoint(self, checkpoint) -> None:
        """Bring the trainer to the last snapshot relayed from a child that died: from its
        last checkpoint (None: the state the run began from, which the trainer still holds),
        retrain the same mini-batches, which gives the same parameters bit for bit. Their
        losses are not sent again: the GUI has them. Settings sent after the checkpoint that
        the child never applied apply from now on."""
        tr = self._trainer
        newest = {name: getattr(tr.config, name) for name in LIVE_SETTINGS}
        if checkpoint is not None:
            tr.load_state(checkpoint)
        try:
            while tr.steps < self._relayed_step and not self._stop_requested:
                tr.step()
        except DivergenceError:  # the child did not diverge here; keep the restored step
            pass
        for name, value in newest.items():
            setattr(tr.config, name, value)

    def _report_process_death(self, how: str) -> None:
        with self._cond:
            self._running = False
            self._pending_batches = 0
            self._pending_epoch = False
        message = (
            f"The training process stopped unexpectedly ({how}); training is kept up to epoch "
            f"{self._trainer.epoch_progress:.1f} — press Space to continue."
        )
        self._emit("paused", message)
        self.process_died.emit(message)

    def _relay(self, trainer: Trainer) -> Halted:
        """Run the child from trainer's state until it halts; Halted("died", ...) with its
        last checkpoint if it ends unexpectedly."""
        process = self._process
        self._relayed_step = trainer.steps
        try:
            process.begin(
                trainer,
                history_sent=self._history_sent,
                max_rate=self._max_rate,
                batch_epochs=self._batch_epochs,
                batch_losses=self._batch_losses,
            )
        except TrainingProcessUnavailable:
            raise
        except TrainingProcessError as err:  # the child died between two runs
            return Halted("died", str(err), None, 0, [], [])
        self._batch_epochs, self._batch_losses = [], []
        held: Snapshot | None = None  # arrived while the GUI was still drawing the last one
        held_since = 0.0
        halt_sent = False
        checkpoint = None  # the child's newest TrainerState
        while True:
            try:
                halt_sent = self._pass_on_commands(process, trainer, halt_sent)
                message = process.receive(RELAY_POLL_S)
            except TrainingProcessError as err:
                if held is not None:
                    self._relay_snapshot(held)
                return Halted("died", str(err), checkpoint, 0, [], [])
            if message is not None:
                kind, payload = message
                if kind == "halted":
                    if held is not None:
                        self._relay_snapshot(held)
                    return payload
                if kind == "failed":
                    raise TrainingProcessUnavailable(f"training failed in the training process:\n{payload}")
                if kind == "checkpoint":
                    checkpoint = payload
                else:
                    if held is None:
                        held_since = time.monotonic()
                    held = payload if held is None else merge_snapshots(held, payload)
            if held is not None and (self._frame_drawn.is_set() or time.monotonic() - held_since > FRAME_WAIT_S):
                self._relay_snapshot(held)
                held = None

    def _pass_on_commands(self, process: TrainingProcess, trainer: Trainer, halt_sent: bool) -> bool:
        """Send the child a halt or new settings the GUI asked for; whether a halt was sent.

        Commands go first in every turn: a pause that came while the run was being handed
        over is then passed on before the child trains a batch more than it must."""
        with self._cond:
            updates, self._config_updates = self._config_updates, {}
            must_halt = (
                not self._running
                or self._stop_requested
                or self._lock_waiters > 0
                or self._delay > 0
                or self._gentle is not None
            )
            if must_halt and not halt_sent:
                process.halt()
                halt_sent = True
            if updates and not halt_sent:
                # Sent under the lock, so before any command can raise the halt flag:
                # the child then reads the config before it halts.
                process.set_config(updates)
                for name, value in updates.items():  # so readers of the config see it now
                    setattr(trainer.config, name, value)
            elif updates:  # too late for this run: apply at the next batch
                self._config_updates = {**updates, **self._config_updates}
        return halt_sent

    def _relay_snapshot(self, snap: Snapshot) -> None:
        self._last_state = "running"
        self._relayed_step = snap.step
        self._history_sent += len(snap.new_epochs)  # what the GUI knows if the child dies
        self._last_emit = time.monotonic()
        if self._share_with_gui:
            self._frame_drawn.clear()
        self._post(snap)

    # -- snapshots ----------------------------------------------------------------------
    def _post(self, snap: Snapshot) -> None:
        self.mailbox.put(snap)
        self.snapshot_ready.emit()

    def _emit_if_due(self, state: str) -> None:
        if time.monotonic() - self._last_emit >= 1.0 / self._max_rate:
            self._emit(state)

    def _emit(self, state: str, message: str = "") -> Snapshot:
        now = time.monotonic()
        rate = 0.0
        if state != "running":
            self._meter = None
        elif self._meter is None:
            # The meter starts at the end of a batch, so it measures whole periods of batch
            # and delay; started before the first batch, it would count that batch without
            # its delay and, in slow motion, show up to twice the true rate.
            self._meter = RateMeter(self._trainer.samples_seen)
        else:
            rate = self._meter.update(self._trainer.samples_seen)
        with self._cond:
            delay, gentle = self._pace()
        # Just before a divergence is caught the statistics may overflow; inf is the honest value.
        with self._trainer_lock, np.errstate(over="ignore", invalid="ignore"):
            if state != "running":  # the network as it stands still: is it stuck?
                self._trainer.check_health()
            history = self._trainer.history
            snap = take_snapshot(
                self._trainer,
                batch_epochs=self._batch_epochs,
                batch_losses=self._batch_losses,
                new_epochs=history[self._history_sent :],
                samples_per_second=rate,
                state=state,
                message=message,
                delay=delay,
                gentle=gentle,
                moments=self._recorder.take(),
            )
            self._history_sent = len(history)
        self._batch_epochs, self._batch_losses = [], []
        self._last_emit = now
        self._last_state = state
        if self._share_with_gui and state == "running":
            self._frame_drawn.clear()
        self._post(snap)
        return snap
