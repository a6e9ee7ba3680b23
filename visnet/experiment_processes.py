"""An experiment's runs trained side by side: a process per core, the runs taking turns.

Each worker process trains its share of the runs an epoch at a time, in turns, so every
run's curves grow together whether the machine has a core per run or fewer; with
processes=0 the runs take turns in the calling process. Each run is a core.RunTraining:
the same network, trainer and seed as `visnet train` with those settings, so its result
is the same bit for bit wherever it is trained.

    runner = ExperimentRunner(experiment, x_train, y_train, x_test, y_test, snapshot_every=0.1)
    for event in runner.events():          # blocks; the window polls runner.poll() instead
        if isinstance(event, EpochFinished): ...
        if isinstance(event, RunProgress): ...  # event.snapshot: a core Snapshot, as panels take
    outcomes = runner.outcomes              # core.RunOutcome per run, in the experiment's order

No Qt here (an import-linter contract keeps it so): the command line and the window both
use it. Messages from the workers are this module's own dataclasses, never a user's file.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import signal
import time
import traceback
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_limits

from .core.experiment import Experiment, RunOutcome, RunSpec, RunTraining
from .core.snapshot import Snapshot
from .core.timeline import DEFAULT_BUDGET
from .core.training import EpochRecord

START_METHOD = "spawn"  # a fresh interpreter: the window's process runs Qt threads, unsafe to fork
# Each worker keeps a core busy: BLAS on one thread each, or the workers' threads take turns
# at the same cores (OpenBLAS threads spin while they wait).
BLAS_THREADS = 1
POLL_S = 0.2  # how often a waiting parent checks that its workers are still alive
# With snapshots asked for: a run's turn ends after this long when runs share a worker, and
# the clock is read about this often (the number of mini-batches between looks adapts).
TURN_S = 0.5
CHUNK_S = 0.02


@dataclass(frozen=True)
class EpochFinished:
    run: int  # index into the experiment's runs
    record: EpochRecord
    seconds: float  # this epoch's training time (evaluation included)


@dataclass(frozen=True)
class RunProgress:
    """A run as it trains (ExperimentRunner's snapshot_every): a core.snapshot.Snapshot with
    the mini-batch losses and epochs since the run's previous one, as the window's panels
    take a single run's."""

    run: int
    snapshot: Snapshot


@dataclass(frozen=True)
class RunFinished:
    run: int
    outcome: RunOutcome


@dataclass(frozen=True)
class RunFailed:
    """A run that could not train (an error in its worker, or the worker died)."""

    run: int
    message: str


Event = EpochFinished | RunProgress | RunFinished | RunFailed


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def default_processes(n_runs: int) -> int:
    """Worker processes for n_runs: one per run up to the cores; 0 (in this process) on one core."""
    n = min(n_runs, cores())
    return n if n > 1 else 0


def train_in_turns(
    runs: Sequence[tuple[int, RunSpec]],
    x_train,
    y_train,
    x_test,
    y_test,
    record: bool,
    budget: int,
    snapshot_every: float | None = None,
) -> Iterator[Event]:
    """Train the runs (index, spec) in turns until each has its epochs, yielding an event
    per epoch and per finished run. A turn is an epoch; with snapshot_every (seconds), a
    RunProgress that often too, and a turn ends after TURN_S when runs share the worker, so
    each run's curves keep growing. A run that cannot train fails alone (RunFailed, one
    line); the others go on."""
    trainings: dict[int, RunTraining] = {}
    for i, spec in runs:
        try:
            trainings[i] = RunTraining(
                spec,
                x_train,
                y_train,
                x_test,
                y_test,
                record=record,
                budget=budget,
                snapshots=snapshot_every is not None,
            )
        except Exception as err:
            yield RunFailed(i, _one_line(err))
    live = snapshot_every is not None
    seconds = dict.fromkeys(trainings, 0.0)  # each run's training time so far
    epoch_seconds = dict.fromkeys(trainings, 0.0)  # and in its current epoch
    chunk = dict.fromkeys(trainings, 1)  # mini-batches between two looks at the clock
    last_snapshot = dict.fromkeys(trainings, time.perf_counter())
    while trainings:
        for i, training in list(trainings.items()):
            try:
                turn_start = time.perf_counter()
                while not training.done:
                    start = time.perf_counter()
                    record_ = training.train_steps(chunk[i] if live else training.trainer.batches_per_epoch)
                    now = time.perf_counter()
                    took = now - start
                    seconds[i] += took
                    epoch_seconds[i] += took
                    turn_over = record_ is not None or (len(trainings) > 1 and now - turn_start >= TURN_S)
                    if live:
                        per_step = took / max(chunk[i], 1)
                        chunk[i] = max(1, min(training.trainer.batches_per_epoch, round(CHUNK_S / max(per_step, 1e-9))))
                        if turn_over or training.done or now - last_snapshot[i] >= snapshot_every:
                            yield RunProgress(i, training.snapshot())
                            last_snapshot[i] = now
                    if record_ is not None:
                        yield EpochFinished(i, record_, epoch_seconds[i])
                        epoch_seconds[i] = 0.0
                    if turn_over:
                        break
                if training.done:
                    del trainings[i]
                    yield RunFinished(i, training.finish(seconds[i]))
            except Exception as err:
                trainings.pop(i, None)
                yield RunFailed(i, _one_line(err))


def _one_line(err: BaseException) -> str:
    return " ".join(traceback.format_exception_only(err)[-1].split())


def _worker(runs, x_train, y_train, x_test, y_test, record: bool, budget: int, snapshot_every, messages) -> None:
    """A worker process: train its runs in turns, sending every event to the parent. Ctrl+C
    is the parent's to handle: it ends the workers."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threadpool_limits(BLAS_THREADS, user_api="blas")
    for event in train_in_turns(runs, x_train, y_train, x_test, y_test, record, budget, snapshot_every):
        messages.put(event)


class ExperimentRunner:
    """Trains an experiment's runs (see the module's docstring). processes: worker
    processes (None: default_processes; 0: in the calling process, in turns). record:
    keep each run's timeline within budget bytes. snapshot_every: seconds between a run's
    RunProgress events (None: none, and a run's turn is a whole epoch)."""

    def __init__(
        self,
        experiment: Experiment,
        x_train,
        y_train,
        x_test=None,
        y_test=None,
        *,
        processes: int | None = None,
        record: bool = False,
        budget: int = DEFAULT_BUDGET,
        snapshot_every: float | None = None,
    ):
        self.experiment = experiment
        self._data = (np.asarray(x_train), np.asarray(y_train), x_test, y_test)
        n = len(experiment.runs)
        self.processes = default_processes(n) if processes is None else max(0, min(processes, n))
        self.record, self.budget, self.snapshot_every = record, budget, snapshot_every
        self.outcomes: list[RunOutcome | None] = [None] * n
        self.failures: dict[int, str] = {}
        self._messages = None
        self._workers: list = []
        self._shares: list[list[int]] = []
        self._local: Iterator[Event] | None = None
        self._open: set[int] = set(range(n))

    @property
    def finished(self) -> bool:
        return not self._open

    def start(self) -> None:
        """Start the workers (or prepare to train here); events() and poll() start too."""
        if self._workers or self._local is not None:
            return
        runs = list(enumerate(self.experiment.runs))
        if self.processes == 0:
            self._local = train_in_turns(runs, *self._data, self.record, self.budget, self.snapshot_every)
            return
        context = multiprocessing.get_context(START_METHOD)
        self._messages = context.Queue()
        self._shares = [[i for i, _ in runs[k :: self.processes]] for k in range(self.processes)]
        for share in self._shares:
            process = context.Process(
                target=_worker,
                args=(
                    [runs[i] for i in share],
                    *self._data,
                    self.record,
                    self.budget,
                    self.snapshot_every,
                    self._messages,
                ),
                daemon=True,
                name="visnet experiment worker",
            )
            process.start()
            self._workers.append(process)

    def events(self) -> Iterator[Event]:
        """Every event until all runs have finished or failed (blocking)."""
        self.start()
        while not self.finished:
            yield from self.poll(timeout=POLL_S)

    def poll(self, timeout: float = 0.0) -> list[Event]:
        """The events that arrived (waiting up to timeout for the first); in-process, the
        next event, after training up to it."""
        self.start()
        if self._local is not None:
            event = next(self._local, None)
            if event is None:  # every run has had its last event; none is left open
                return [self._noted(RunFailed(i, "ended without a result")) for i in sorted(self._open)]
            return [self._noted(event)]
        out: list[Event] = []
        assert self._messages is not None
        try:
            out.append(self._noted(self._messages.get(timeout=timeout) if timeout > 0 else self._messages.get_nowait()))
            while True:
                out.append(self._noted(self._messages.get_nowait()))
        except queue.Empty:
            pass
        if not out:
            out += self._check_workers()
        return out

    def _noted(self, event: Event) -> Event:
        if isinstance(event, RunFinished):
            self.outcomes[event.run] = event.outcome
            self._open.discard(event.run)
        elif isinstance(event, RunFailed):
            self.failures[event.run] = event.message
            self._open.discard(event.run)
        return event

    def _check_workers(self) -> list[Event]:
        """What a worker that has ended left in the queue, then RunFailed for its runs that
        neither finished nor failed."""
        ended = [
            share
            for process, share in zip(self._workers, self._shares)
            if process.exitcode is not None and self._open.intersection(share)
        ]
        if not ended:
            return []
        out: list[Event] = []
        try:  # an ended process has flushed what it sent: take it before judging
            while True:
                out.append(self._noted(self._messages.get(timeout=POLL_S)))
        except queue.Empty:
            pass
        for process, share in zip(self._workers, self._shares):
            if process.exitcode is not None:
                for i in sorted(self._open.intersection(share)):
                    message = f"its process ended unexpectedly (exit code {process.exitcode})"
                    out.append(self._noted(RunFailed(i, message)))
        return out

    def stop(self) -> None:
        """End the workers (whatever they were doing) and wait for them."""
        for process in self._workers:
            if process.is_alive():
                process.terminate()
        for process in self._workers:
            process.join(timeout=5)
        if self._messages is not None:
            self._messages.close()
            self._messages.cancel_join_thread()
        self._workers.clear()

    def __enter__(self) -> ExperimentRunner:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
