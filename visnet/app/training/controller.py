"""The GUI thread's handle on training: owns the QThread and its TrainingWorker.

The worker owns the Trainer while its thread runs; the GUI reads the training state only
through snapshots (or, for a consistent save, inside locked_trainer()). Replacing the
network never races with training: set_trainer() stops and joins the thread first, and a
new worker on a new thread is started by the next train or step command.

Snapshots arrive through a queued connection; the controller keeps only the newest
(folding the per-batch losses of any it replaces into it), and the window's redraw timer
collects it with take_pending_snapshot(), so several snapshots between frames cost one
redraw and lose no loss point.
"""

from __future__ import annotations

import dataclasses
from contextlib import contextmanager, nullcontext

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QThread, Signal, Slot

from visnet.core.snapshot import Snapshot, merge_snapshots, take_snapshot
from visnet.core.training import Trainer

from ..threads import worker_thread
from .process import TrainingProcess
from .worker import GENTLE_START, GentleStart, SnapshotMailbox, TrainingWorker, checked_config

STATES = ("idle", "running", "paused", "stopped", "diverged")
SHUTDOWN_TIMEOUT_MS = 1000

# Threads whose worker did not finish within a shutdown timeout (a pathological case: one
# mini-batch takes milliseconds). They stay referenced, because deleting a running QThread
# aborts the program.
_unfinished_threads: set = set()


class TrainingController(QObject):
    """Start, pause, step and stop training; keep the newest snapshot for the display.

    state is one of STATES. The state follows the commands at once (the worker obeys
    between two mini-batches); the worker changes it only when it pauses itself
    (divergence, planned epochs done).
    """

    snapshot_arrived = Signal()  # a snapshot is waiting in take_pending_snapshot()
    state_changed = Signal(str)
    trainer_replaced = Signal()  # a different network/trainer: panels should start afresh
    diverged = Signal(str)
    paused_itself = Signal(str)
    training_failed = Signal(str)
    process_died = Signal(str)  # the training process ended unexpectedly; training is kept, paused

    def __init__(self, parent: QObject | None = None, *, use_process: bool = True):
        super().__init__(parent)
        # Full-speed training runs in a child process, started at the first Train (see
        # process.py); use_process=False keeps all training on the thread.
        self._process = TrainingProcess() if use_process else None
        self._mailbox = SnapshotMailbox()  # what every worker sends; drained by _on_snapshot_ready
        self._trainer: Trainer | None = None
        self._thread: QThread | None = None
        self._share_with_gui = False
        self._worker: TrainingWorker | None = None
        self._state = "idle"
        self._delay = 0.0
        self._gentle_start: GentleStart | None = None  # set_gentle_start's schedule when on
        self._gentle: GentleStart | None = None  # the gentle start of this run, until overridden
        self._gentle_from = 0.0  # the epoch progress at which it began
        self._latest: Snapshot | None = None
        self._pending: Snapshot | None = None
        self.snapshot_count = 0  # snapshots received from workers since construction
        app = QCoreApplication.instance()
        if app is not None:  # a quit that bypasses the window's closeEvent must still join the thread
            app.aboutToQuit.connect(self._on_about_to_quit)

    # -- what the GUI reads -------------------------------------------------------------
    @property
    def trainer(self) -> Trainer | None:
        """The current trainer. While a worker thread runs, touch it only inside
        locked_trainer(). While training runs in the training process this object still
        holds the state the run started from: read progress from the snapshots."""
        return self._trainer

    @property
    def state(self) -> str:
        return self._state

    @property
    def latest_snapshot(self) -> Snapshot | None:
        return self._latest

    @property
    def delay(self) -> float:
        """The slow-motion delay set with set_delay (the gentle start's is in gentle_pace)."""
        return self._delay

    @property
    def gentle_start(self) -> bool:
        """Whether runs start gently (set_gentle_start)."""
        return self._gentle_start is not None

    @property
    def gentle_pace(self) -> bool:
        """Whether the gentle start paces training now: it is on, no set_delay has overridden
        it since the run began, and its schedule has not yet reached full speed."""
        snap = self._latest
        if self._gentle is None or snap is None:
            return self._gentle is not None
        return self._gentle.delay(snap.epoch_progress - self._gentle_from, snap.batches_per_epoch) > 0

    @property
    def steps_trained(self) -> int:
        """Mini-batches trained so far, read live even while the training process trains
        (snapshots lag by up to a frame); 0 without a network."""
        if self._worker is not None:
            return self._worker.steps_trained
        return 0 if self._trainer is None else self._trainer.steps

    @property
    def training_pid(self) -> int | None:
        """The process id of the training child process while it runs, else None."""
        return None if self._process is None else self._process.pid

    def has_pending_snapshot(self) -> bool:
        return self._pending is not None

    def take_pending_snapshot(self) -> Snapshot | None:
        """The newest snapshot not yet drawn (with every loss since the last one drawn), or None."""
        snap, self._pending = self._pending, None
        return snap

    def is_thread_running(self) -> bool:
        thread = self._thread
        if thread is None:
            return False
        try:
            return thread.isRunning()
        except RuntimeError:  # the C++ object is already deleted: it has finished
            return False

    @contextmanager
    def locked_trainer(self):
        """The trainer, held still between two mini-batches while the block runs."""
        if self._trainer is None:
            raise RuntimeError("no network to train yet")
        lock = self._worker.locked_trainer() if self._worker is not None else nullcontext(self._trainer)
        with lock as trainer:
            yield trainer

    # -- a snapshot of the network as it is now --------------------
    def publish_snapshot(self) -> Snapshot | None:
        """Take a snapshot of the trainer now (e.g. after a hand edit of the network) and make
        it the newest one to draw. Snapshots the worker posted before are delivered first, so
        an older picture cannot arrive after this one and overwrite it."""
        if self._trainer is None:
            return None
        QCoreApplication.sendPostedEvents(self, QEvent.Type.MetaCall.value)
        with self.locked_trainer() as trainer:
            snap = take_snapshot(trainer, state=self._state)
        self._pending = snap if self._pending is None else merge_snapshots(self._pending, snap)
        self._latest = self._pending
        self.snapshot_arrived.emit()
        return snap

    # -- replacing the network ----------------------------------------------------------
    def set_trainer(self, trainer: Trainer) -> None:
        """Train `trainer` from now on. Stops the current training thread first and drops
        any snapshot of the old network still on its way."""
        trainer.config.validate()
        self._end_thread(SHUTDOWN_TIMEOUT_MS, discard_queued=True)
        self._trainer = trainer
        if trainer.last_evaluation is None:
            trainer.evaluate()  # so the first picture already shows the test accuracy
        if self._gentle_start is not None and self._delay == 0:  # a fresh run starts gently
            self._gentle, self._gentle_from = self._gentle_start, trainer.epoch_progress
        self._latest = self._pending = take_snapshot(trainer, state="idle", gentle=self.gentle_pace)
        self._set_state("idle")
        self.trainer_replaced.emit()
        self.snapshot_arrived.emit()

    def reset(self, seed: int | None = None) -> None:
        """Re-draw the current network's parameters (with `seed`, else its own) and start
        training afresh with the same data and hyperparameters."""
        if self._trainer is None:
            return
        self._end_thread(SHUTDOWN_TIMEOUT_MS, discard_queued=True)
        old = self._trainer
        net = old.net
        net.seed = net.seed if seed is None else seed
        net.initialize(net.seed)
        config = dataclasses.replace(old.config)
        if seed is not None:
            config.seed = seed  # the shuffling starts over with the same seed too
        self.set_trainer(Trainer(net, old.x_train, old.y_train, old.x_test, old.y_test, config))

    # -- commands -------------------------------------------------------------------------
    def start(self) -> None:
        """Train continuously (resume after a pause, stop or divergence)."""
        self._ensure_worker().resume()
        self._set_state("running")

    def pause(self) -> None:
        if self._worker is not None:
            self._worker.pause()
        if self._state == "running":
            self._set_state("paused")

    def toggle(self) -> None:
        if self._state == "running":
            self.pause()
        else:
            self.start()

    def step_batch(self) -> None:
        """Pause and train exactly one mini-batch."""
        self._ensure_worker().step_batch()
        self._set_state("paused")

    def step_epoch(self) -> None:
        """Pause and train to the end of the current epoch."""
        self._ensure_worker().step_epoch()
        self._set_state("paused")

    def stop(self) -> None:
        """End the training thread (the network keeps what it learned; start() resumes)."""
        if self._thread is None:
            if self._state == "running":
                self._set_state("stopped")
            return
        self._end_thread(SHUTDOWN_TIMEOUT_MS, discard_queued=False)
        self._set_state("stopped")

    def shutdown(self, timeout_ms: int = SHUTDOWN_TIMEOUT_MS) -> bool:
        """Stop training and join the thread (for closing the window); True if it ended in time."""
        ended = self._end_thread(timeout_ms, discard_queued=True)
        if ended and self._process is not None:  # a thread still relaying keeps its process
            self._process.close()
        return ended

    def share_with_gui(self, on: bool = True) -> None:
        """Let training wait for each drawn frame (see TrainingWorker.share_with_gui); the
        window turns this on and reports frame_drawn() after drawing each snapshot."""
        self._share_with_gui = on
        if self._worker is not None:
            self._worker.share_with_gui(on)

    def frame_drawn(self) -> None:
        if self._worker is not None:
            self._worker.frame_drawn()

    def set_delay(self, seconds: float) -> None:
        """Seconds per mini-batch while running: 0 = full speed, 1 = one batch a second.
        Overrides the gentle start of the current run."""
        self._delay = max(0.0, float(seconds))
        self._gentle = None
        if self._worker is not None:
            self._worker.set_gentle_start(None)
            self._worker.set_delay(self._delay)

    def full_speed(self) -> None:
        """Train as fast as possible from now on (ends a gentle start and slow motion)."""
        self.set_delay(0.0)

    def set_gentle_start(self, on: bool, schedule: GentleStart = GENTLE_START) -> None:
        """Start runs gently: the delay per mini-batch follows schedule (worker.gentle_start_delay:
        by default the first epoch lasts ~30 s, each later one a third as long, full speed
        after 4) from the network's progress now, and again for every new or reset network
        while set_delay's delay is 0. set_delay() or full_speed() overrides it for the
        current run; off ends it at once."""
        self._gentle_start = schedule if on else None
        if on:
            snap = self._latest
            start = snap.epoch_progress if snap is not None else 0.0
            self._gentle, self._gentle_from = schedule, start
        else:
            self._gentle = None
        if self._worker is not None:
            self._worker.set_gentle_start(self._gentle, self._gentle_from)

    def set_hyperparameters(self, **values) -> None:
        """Change eta, momentum, lmbda, batch_size, epochs or the schedule from the next
        mini-batch on. ValueError (nothing changed) if a value is invalid."""
        if self._trainer is None:
            return
        if self._worker is not None:
            self._worker.update_config(**values)
        else:
            changed = checked_config(self._trainer.config, values)
            for name in values:
                setattr(self._trainer.config, name, getattr(changed, name))

    # -- the thread -----------------------------------------------------------------------
    def _ensure_worker(self) -> TrainingWorker:
        if self._trainer is None:
            raise RuntimeError("no network to train yet")
        if self._worker is not None:
            return self._worker
        worker = TrainingWorker(self._trainer, delay=self._delay, process=self._process, mailbox=self._mailbox)
        worker.set_gentle_start(self._gentle, self._gentle_from)
        thread = worker_thread(worker, "visnet training")  # the worker is dropped in _end_thread
        thread.finished.connect(thread.deleteLater)
        worker.snapshot_ready.connect(self._on_snapshot_ready)
        worker.share_with_gui(self._share_with_gui)
        worker.diverged.connect(self._on_worker_diverged)
        worker.paused_itself.connect(self._on_worker_paused_itself)
        worker.failed.connect(self._on_worker_failed)
        worker.process_died.connect(self._on_worker_process_died)
        self._thread, self._worker = thread, worker
        thread.start()
        return worker

    def _end_thread(self, timeout_ms: int, discard_queued: bool) -> bool:
        thread, worker = self._thread, self._worker
        if thread is None:
            return True
        self._thread = self._worker = None
        worker.stop()
        try:
            ended = thread.wait(timeout_ms)
        except RuntimeError:  # already finished and deleted
            ended = True
        if not ended:
            self._cut_loose(thread, worker)
        if discard_queued:
            # Snapshots the old worker posted but the event loop has not delivered yet.
            QCoreApplication.removePostedEvents(self, QEvent.Type.MetaCall)
            self._mailbox.take_all()
            self._pending = None
        return ended

    def _cut_loose(self, thread: QThread, worker: TrainingWorker) -> None:
        """Leave a thread that did not end in time (blocked sending a large data set to a child
        still starting, say) to end on its own, sharing nothing with the next worker: two
        threads writing to one pipe interleave their messages and corrupt it, and stale
        snapshots or reports would show the old network's training as the new one's.

        It keeps its mailbox, its signals are disconnected, and its child is ended, which
        breaks the pipe it may be blocked on so it ends soon; the next worker gets new ones."""
        _unfinished_threads.add((thread, worker))
        for signal in (
            worker.snapshot_ready,
            worker.diverged,
            worker.paused_itself,
            worker.failed,
            worker.process_died,
        ):
            signal.disconnect()
        self._mailbox = SnapshotMailbox()
        if self._process is not None:
            self._process.abandon()
            self._process = TrainingProcess()

    def _set_state(self, state: str) -> None:
        if state != self._state:
            self._state = state
            self.state_changed.emit(state)

    @Slot()
    def _on_about_to_quit(self) -> None:
        self.shutdown()

    # -- from the worker (queued into the GUI thread) -------------------------------------
    @Slot()
    def _on_snapshot_ready(self) -> None:
        snapshots = self._mailbox.take_all()
        if not snapshots:
            return  # taken by an earlier notification
        for snap in snapshots:
            self.snapshot_count += 1
            self._pending = snap if self._pending is None else merge_snapshots(self._pending, snap)
        self._latest = self._pending
        self.snapshot_arrived.emit()

    @Slot(str)
    def _on_worker_diverged(self, message: str) -> None:
        self._set_state("diverged")
        self.diverged.emit(message)

    @Slot(str)
    def _on_worker_paused_itself(self, message: str) -> None:
        self._set_state("paused")
        self.paused_itself.emit(message)

    @Slot(str)
    def _on_worker_process_died(self, message: str) -> None:
        self._set_state("paused")
        self.process_died.emit(message)

    @Slot(str)
    def _on_worker_failed(self, message: str) -> None:
        """The worker's run() ended with an error: join its thread so the next command starts anew."""
        self._end_thread(SHUTDOWN_TIMEOUT_MS, discard_queued=False)
        self._set_state("stopped")
        self.training_failed.emit(message)
