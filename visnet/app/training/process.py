"""Full-speed training in a child process, so that training and the window each get a core.

Python runs one thread at a time. A training thread kept the window waiting for its turn
at the interpreter, and painting the window slowed training to under half its headless
speed (benchmarks/gui_speed.py). So while the user lets the network train flat out, the
worker thread hands the trainer's state (Trainer.state()) to a child process, relays the
snapshots the child sends, and takes the state back (Trainer.load_state()) as soon as the
run ends: a pause, a stop, a divergence, the planned epochs, or someone needing the
trainer itself. Single steps, slow motion and everything else happen in the GUI process.

This module imports no Qt (an import-linter contract keeps it so): the child process
loads only numpy and visnet.core. Messages are tuples (kind, payload) on one Pipe; only
our own objects travel on it, never a user's file.
"""

from __future__ import annotations

import functools
import multiprocessing
import signal
import threading
import time
import traceback
from collections import deque
from dataclasses import dataclass, field

import numpy as np
from threadpoolctl import threadpool_limits

from visnet.core.network import Network
from visnet.core.snapshot import Snapshot, take_snapshot
from visnet.core.timeline import MomentRecorder
from visnet.core.training import DivergenceError, TrainConfig, Trainer, TrainerState

START_METHOD = "spawn"  # a fresh interpreter: forking a process that runs Qt threads is unsafe
CLOSE_TIMEOUT_S = 0.5
# While a child trains, each process does its BLAS on one thread: OpenBLAS threads spin
# while they wait, so two processes with a thread per core each take turns at both cores
# (on two cores the frame time doubled and the timer p99 went from ~60 to ~150 ms).
BLAS_THREADS = 1
# Seconds between the child's checkpoints (its full TrainerState, right after a snapshot):
# if it dies, the GUI process goes back to the last one and retrains up to the last
# snapshot shown. Each costs about 1 ms (0.3 MB) for 784-16-16-10 and 10 ms (13 MB) for
# 784-512-512-10, so one a second costs at most 1 % of training.
CHECKPOINT_INTERVAL_S = 1.0
_RATE_SMOOTHING = 0.3  # weight of the newest samples/s measurement in the running average


class TrainingProcessError(RuntimeError):
    """The child process could not be started or ended unexpectedly."""


class TrainingProcessUnavailable(TrainingProcessError):
    """The child cannot be used: none can be started here (no process creation allowed, a
    frozen app...), or training fails in it. Training then stays on the thread."""


class RateMeter:
    """Training speed in samples/s, smoothed over successive measurements."""

    def __init__(self, samples_seen: int):
        self._base = (time.monotonic(), samples_seen)
        self.rate = 0.0

    def update(self, samples_seen: int) -> float:
        now = time.monotonic()
        t0, n0 = self._base
        if now - t0 < 0.02:  # too short to measure; keep the previous figure
            return self.rate
        rate = (samples_seen - n0) / (now - t0)
        self.rate = rate if self.rate == 0 else (1 - _RATE_SMOOTHING) * self.rate + _RATE_SMOOTHING * rate
        self._base = (now, samples_seen)
        return self.rate


@dataclass(frozen=True)
class RunOrder:
    """Train from state at full speed until told to halt; send snapshots at most max_rate a second."""

    activations: tuple[str, ...]
    cost: str
    init: str
    dtype: str
    state: TrainerState
    history_sent: int  # epochs of state.history the GUI has already been told about
    max_rate: float
    batch_epochs: list[float] = field(default_factory=list)  # losses the GUI has not seen yet
    batch_losses: list[float] = field(default_factory=list)
    checkpoint_interval: float = CHECKPOINT_INTERVAL_S


@dataclass(frozen=True)
class Halted:
    """The child's answer when a run ends: why, and everything needed to continue here.

    reason: "asked" (a halt message), "diverged" (message says why; state holds the
    restored parameters), "planned" (the configured number of epochs is done) or "died"
    (the child ended unexpectedly, message says how; state is its last checkpoint, or None
    if it sent none, and the batch lists are empty: the GUI has every loss it sent).
    """

    reason: str
    message: str
    state: TrainerState | None
    history_sent: int
    batch_epochs: list[float]  # the losses trained since the last snapshot sent
    batch_losses: list[float]
    moments: tuple[Snapshot, ...] = ()  # the timeline's moments recorded since the last snapshot sent


@functools.cache
def _limit_blas_threads_once() -> None:
    """For good, since the child keeps a core busy. Once, on the GUI thread and before any
    run: OpenBLAS may hang if its thread count changes while another thread (the activation
    maximiser, a worker being cut loose) is inside a BLAS call."""
    threadpool_limits(BLAS_THREADS, user_api="blas")


class TrainingProcess:
    """The GUI process's end of the child: start it lazily, begin runs, relay messages.

    Used by one worker thread at a time; close() may be called from another once that
    thread has finished.
    """

    def __init__(self):
        _limit_blas_threads_once()
        self._context = multiprocessing.get_context(START_METHOD)
        # Shared with the child and read by it before every mini-batch: a halt asked through
        # the pipe waits for the relay thread's next turn at the interpreter (5-10 ms, ten
        # batches of a small network), a flag in shared memory is seen at the next batch.
        self._halt_flag = self._context.RawValue("b", 0)
        self._live_steps = self._context.RawValue("q", 0)  # the child's step counter, batch by batch
        self._process = None
        self._conn = None
        self._data: tuple | None = None  # the arrays the child holds (compared by identity)

    def begin(self, trainer: Trainer, **order_fields) -> None:
        """Start training a copy of trainer in the child (TrainingProcessError if impossible);
        order_fields: the rest of the RunOrder (history_sent, max_rate, pending losses)."""
        self._ensure_started()
        data = (trainer.x_train, trainer.y_train, trainer.x_test, trainer.y_test)
        if self._data is None or any(a is not b for a, b in zip(data, self._data)):
            self._send(("data", data))
            self._data = data
        net = trainer.net
        self._halt_flag.value = 0
        self._live_steps.value = trainer.steps
        order = RunOrder(tuple(net.activations), net.cost, net.init, net.dtype.str, trainer.state(), **order_fields)
        self._send(("run", order))

    def set_config(self, values: dict) -> None:
        """Hyperparameters for the child's next mini-batch."""
        self._send(("config", values))

    def halt(self) -> None:
        """Ask the child to end the run after its current mini-batch; it answers with Halted."""
        self._halt_flag.value = 1
        self._send(("halt", None))

    def request_halt(self) -> None:
        """Make the child end its run before its next mini-batch (any thread, never blocks).
        The relay still calls halt(); this only makes the child see it sooner."""
        self._halt_flag.value = 1

    @property
    def steps_trained(self) -> int:
        """Trainer.steps in the child, updated after every mini-batch of a run (any thread)."""
        return int(self._live_steps.value)

    @property
    def pid(self) -> int | None:
        """The child's process id while it runs, else None."""
        process = self._process
        return process.pid if process is not None and process.is_alive() else None

    def receive(self, timeout: float):
        """The next message (kind, payload), or None after timeout seconds without one."""
        try:
            if not self._conn.poll(timeout):
                return None
            return self._conn.recv()
        except (EOFError, OSError) as err:
            raise self._died() from err

    def close(self) -> None:
        """End the child (politely, then by force) and forget it; begin() starts a new one."""
        process, conn = self._process, self._conn
        self._process = self._conn = self._data = None
        if process is None:
            return
        try:
            conn.send(("quit", None))
        except (OSError, ValueError):
            pass
        process.join(CLOSE_TIMEOUT_S)
        if process.is_alive():
            process.terminate()
            process.join(CLOSE_TIMEOUT_S)
        conn.close()

    def abandon(self) -> None:
        """End the child at once without touching the pipe, which a thread that is being cut
        loose may still be using: that thread's next send or receive fails and it ends."""
        process = self._process
        if process is not None and process.is_alive():
            process.kill()

    def _ensure_started(self) -> None:
        if self._process is not None and self._process.is_alive():
            return
        self.close()
        parent_end, child_end = self._context.Pipe()
        process = self._context.Process(
            target=child_main, args=(child_end, self._halt_flag, self._live_steps), name="visnet training", daemon=True
        )
        # The child inherits a blocked SIGINT, so a Ctrl+C in the terminal (sent to the child
        # too) while it starts up waits until child_main ignores it: the GUI process decides.
        mask = _block_sigint()
        try:
            process.start()
        except Exception as err:  # no fork/exec allowed, a frozen app without multiprocessing support...
            raise TrainingProcessUnavailable(f"could not start the training process: {err}") from err
        finally:
            _restore_signal_mask(mask)
            child_end.close()
        self._process, self._conn = process, parent_end

    def _send(self, message) -> None:
        try:
            self._conn.send(message)
        except (OSError, ValueError) as err:
            raise self._died() from err

    def _died(self) -> TrainingProcessError:
        process = self._process
        if process is not None:
            process.join(CLOSE_TIMEOUT_S)  # a closed pipe comes before the exit status
        how = _how_it_ended(None if process is None else process.exitcode)
        self.close()
        return TrainingProcessError(how)


def _block_sigint():
    """Block SIGINT in this thread; the previous mask (None where signal masks do not exist)."""
    if not hasattr(signal, "pthread_sigmask"):
        return None
    return signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})


def _restore_signal_mask(mask) -> None:
    if mask is not None:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)


def _how_it_ended(exitcode: int | None) -> str:
    """A child's exit status in words: "killed by signal 9 (SIGKILL)", "exit code 1"."""
    if exitcode is None:
        return "its connection was lost"
    if exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            return f"killed by signal {-exitcode}"
        return f"killed by signal {-exitcode} ({name})"
    return f"exit code {exitcode}"


# -- the child ---------------------------------------------------------------------------
def child_main(conn, halt_flag=None, live_steps=None) -> None:
    """The child's body: wait for data and run orders until told to quit or orphaned.

    However the GUI process goes (closed, killed, or interrupted with Ctrl+C, which the
    terminal sends to the child as well), the child ends quietly: the GUI process decides
    what the user sees, and a traceback from here would only say that the pipe closed."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # blocked by the parent for the start-up
    try:
        _serve(conn, halt_flag, live_steps)
    except (EOFError, OSError):  # the GUI process is gone (BrokenPipeError is an OSError)
        pass


class _Outbox:
    """The child's messages to the GUI process, sent in order by a thread of their own, so
    training never waits for the GUI to read one. A 784-512-512-10 snapshot is 2.7 MB and
    the pipe holds 64 kB: sent from the training loop, each send waited ~10 ms for the GUI
    process's relay thread (which shares its interpreter with painting), a third of the
    child's time at 30 snapshots a second. The training loop takes the next snapshot only
    when none waits (ready()): one on its way and one ready behind it keep the GUI supplied,
    and a slow reader makes snapshots fewer, never longer queues. A send that fails (the GUI process is gone) is raised by the next put or flush,
    which ends the child quietly."""

    def __init__(self, conn):
        self._conn = conn
        self._cond = threading.Condition()
        self._queue: deque = deque()
        self._sending = False
        self._error: BaseException | None = None
        threading.Thread(target=self._loop, name="visnet-outbox", daemon=True).start()

    def put(self, message: tuple) -> None:
        with self._cond:
            if self._error is not None:
                raise self._error
            self._queue.append(message)
            self._cond.notify_all()

    def ready(self) -> bool:
        """Whether nothing waits to be sent (one message may be on its way): the training
        loop then takes the next snapshot, which is sent as soon as the pipe is free;
        meanwhile it gathers the data for it."""
        with self._cond:
            return not self._queue

    def flush(self) -> None:
        """Wait until every message put has been sent."""
        with self._cond:
            while (self._queue or self._sending) and self._error is None:
                self._cond.wait()
            if self._error is not None:
                raise self._error

    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._queue:
                    self._cond.wait()
                message = self._queue.popleft()
                self._sending = True
            try:
                self._conn.send(message)
            except BaseException as err:  # the GUI process is gone: say so to the training loop
                with self._cond:
                    self._error, self._sending = err, False
                    self._queue.clear()
                    self._cond.notify_all()
                return
            with self._cond:
                self._sending = False
                self._cond.notify_all()


def _serve(conn, halt_flag, live_steps) -> None:
    threadpool_limits(BLAS_THREADS, user_api="blas")
    outbox = _Outbox(conn)
    data = None
    trainer: Trainer | None = None
    while True:
        kind, payload = conn.recv()
        if kind == "quit":
            return
        if kind == "data":
            data, trainer = payload, None
        elif kind == "run":
            try:
                trainer = _trainer_for(trainer, data, payload)
                if not _run(conn, outbox, trainer, payload, halt_flag, live_steps):
                    return
            except (EOFError, OSError):
                raise
            except Exception:  # a bug: tell the GUI rather than die silently
                lines = traceback.format_exc().strip().splitlines()
                outbox.put(("failed", "\n".join(lines[-6:])))
                outbox.flush()
                trainer = None
        # "halt" and "config" arriving while idle belong to a run that already ended.


def _trainer_for(trainer: Trainer | None, data, order: RunOrder) -> Trainer:
    """A trainer over data continuing from order.state; reuses trainer when it fits."""
    state = order.state
    fits = (
        trainer is not None
        and tuple(trainer.net.activations) == order.activations
        and trainer.net.cost == order.cost
        and trainer.net.dtype.str == order.dtype
        and [w.shape for w in trainer.net.weights] == [w.shape for w in state.weights]
    )
    if not fits:
        net = Network.from_params(state.weights, state.biases, order.activations, order.cost, order.init, order.dtype)
        trainer = Trainer(net, *data, TrainConfig(**state.config))
    trainer.load_state(state)
    return trainer


def _run(conn, outbox: _Outbox, trainer: Trainer, order: RunOrder, halt_flag=None, live_steps=None) -> bool:
    """Train until halted (True) or told to quit (False), sending snapshots as we go, each
    followed by a checkpoint (the full TrainerState) once order.checkpoint_interval has passed
    and at once after a change of configuration, so that training up to the last snapshot
    can be redone exactly from the last checkpoint.

    halt_flag (a shared byte) halts like a "halt" message, but is seen before every batch;
    live_steps (a shared integer) receives trainer.steps after every batch."""
    min_interval = 1.0 / order.max_rate
    meter = RateMeter(trainer.samples_seen)
    epochs, losses = list(order.batch_epochs), list(order.batch_losses)
    history_sent = order.history_sent
    last_emit = last_checkpoint = time.monotonic()
    recorder = MomentRecorder()  # recording happens where training happens (core.timeline)

    def halted(reason: str, message: str = "") -> bool:
        moments = recorder.take()
        outbox.put(("halted", Halted(reason, message, trainer.state(), history_sent, epochs, losses, moments)))
        outbox.flush()
        return True

    def send_snapshot(with_checkpoint: bool) -> None:
        nonlocal history_sent, epochs, losses
        with np.errstate(over="ignore", invalid="ignore"):  # statistics just before a divergence
            snap = take_snapshot(
                trainer,
                epochs,
                losses,
                trainer.history[history_sent:],
                meter.update(trainer.samples_seen),
                moments=recorder.take(),
            )
        outbox.put(("snapshot", snap))
        history_sent = len(trainer.history)
        epochs, losses = [], []
        if with_checkpoint:
            outbox.put(("checkpoint", trainer.state()))

    def read_messages() -> tuple[str | None, bool]:
        """Apply config messages; ("halt" or "quit" if one came, whether config changed)."""
        changed = False
        while conn.poll():
            kind, payload = conn.recv()
            if kind == "config":
                for name, value in payload.items():
                    setattr(trainer.config, name, value)
                changed = True
            elif kind in ("halt", "quit"):
                return kind, changed
        return None, changed

    while True:
        command, changed = read_messages()
        if command is None and halt_flag is not None and halt_flag.value:
            # A config sent before the flag was raised is in the pipe by now: apply it too.
            command, changed_too = read_messages()
            command, changed = command or "halt", changed or changed_too
        if command == "halt":
            return halted("asked")
        if command == "quit":
            return False
        if changed:  # a checkpoint where the configuration changed: redoing the steps before it uses the old one
            send_snapshot(with_checkpoint=True)
            last_emit = last_checkpoint = time.monotonic()
        try:
            result = trainer.step()
        except DivergenceError as err:
            return halted("diverged", str(err))
        if live_steps is not None:
            live_steps.value = trainer.steps
        recorder.after_step(trainer)
        epochs.append(trainer.epoch_progress)
        losses.append(result.loss)
        if result.epoch_finished and trainer.epochs_done == trainer.config.epochs:
            return halted("planned")
        now = time.monotonic()
        if now - last_emit >= min_interval and outbox.ready():
            # While the GUI process is still reading the last message, training goes on and
            # its losses gather here, to go with the next snapshot.
            checkpoint_due = now - last_checkpoint >= order.checkpoint_interval
            send_snapshot(checkpoint_due)
            last_emit = now
            if checkpoint_due:
                last_checkpoint = now
