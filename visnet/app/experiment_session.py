"""The window's experiment: the runs being compared, their curves so far, and the runner.

Like Session for the single run, this is the model the experiment panels subscribe to: it
holds the Experiment (or the first run of one still being put together), each run's curves
as they grow, and each finished run's RunOutcome. It drives an ExperimentRunner from a
QTimer on the GUI thread: the runner's poll() never blocks (the runs train in worker
processes; with processes=0 they train here in short turns of a few tens of milliseconds).

While a run trains, its curves grow from the runner's RunProgress snapshots; once it
finishes they are replaced by its outcome's history, so what is drawn at the end is
exactly what the runner returned (and what Save experiment writes).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal, Slot

from visnet.core.experiment import Experiment, ExperimentError, RunOutcome, RunSettings, experiment_of
from visnet.core.snapshot import Snapshot
from visnet.data import Dataset
from visnet.experiment_processes import EpochFinished, ExperimentRunner, RunFailed, RunFinished, RunProgress

POLL_MS = 50  # how often the runner is asked for news
POLL_BUDGET_S = 0.03  # at most this long per tick draining events (in-process runs train meanwhile)
SNAPSHOT_EVERY_S = 0.25  # a running run reports its curves and weights this often


@dataclass
class RunCurves:
    """One run's curves so far: x in epochs for the batch losses and layer statistics, the
    epoch number for the per-epoch values. grad_rms: (n, n_layers)."""

    n_layers: int
    batch_x: list[float] = field(default_factory=list)
    batch_loss: list[float] = field(default_factory=list)
    epoch: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    test_loss: list[float] = field(default_factory=list)
    test_accuracy: list[float] = field(default_factory=list)
    stats_x: list[float] = field(default_factory=list)
    grad_rms: list[np.ndarray] = field(default_factory=list)
    seconds: float = 0.0  # training time so far (sum of the finished epochs')

    @classmethod
    def of_outcome(cls, outcome: RunOutcome) -> RunCurves:
        h = outcome.history
        return cls(
            h.n_layers,
            list(h.batch_x),
            list(h.batch_loss),
            [int(e) for e in h.epoch],
            list(h.train_loss),
            list(h.test_loss),
            list(h.test_accuracy),
            list(h.stats_x),
            list(np.asarray(h.grad_rms)),
            outcome.result.seconds,
        )

    def add_snapshot(self, snap: Snapshot) -> None:
        self.batch_x += [float(x) for x in snap.batch_epochs]
        self.batch_loss += [float(y) for y in snap.batch_losses]
        for record in snap.new_epochs:
            self.epoch.append(int(record.epoch))
            self.train_loss.append(float(record.train_loss))
            self.test_loss.append(float(record.test_loss))
            self.test_accuracy.append(float(record.test_accuracy))
        if snap.layer_stats is not None and len(snap.layer_stats.grad_rms) == self.n_layers:
            self.stats_x.append(float(snap.epoch_progress))
            self.grad_rms.append(np.asarray(snap.layer_stats.grad_rms, dtype=np.float64))

    def grad_rms_array(self) -> np.ndarray:
        return np.array(self.grad_rms, dtype=np.float64).reshape(-1, self.n_layers)


class ExperimentSession(QObject):
    """The experiment shown and run by the window (see the module's docstring). Signals carry
    at most a run's index: read the rest from the session."""

    experiment_changed = Signal()  # other runs (a preset, a variant added, a file opened)
    run_changed = Signal(int)  # run i's curves, weights or status changed
    running_changed = Signal(bool)
    progress_changed = Signal()  # the runs' epochs moved on (for the status bar)
    message = Signal(str)  # one line for the status bar

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._experiment: Experiment | None = None
        self._first: RunSettings | None = None  # "add as a variant" before there are two runs
        self._curves: list[RunCurves] = []
        self._outcomes: list[RunOutcome | None] = []
        self._latest: list[Snapshot | None] = []  # each running run's newest snapshot (its weights)
        self._failures: dict[int, str] = {}
        self._runner: ExperimentRunner | None = None
        self._started_at = 0.0
        self.processes: int | None = None  # worker processes for the runner (None: one per core)
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._on_poll_timer)

    # -- what there is ----------------------------------------------------------------------
    @property
    def experiment(self) -> Experiment | None:
        return self._experiment

    @property
    def pending_run(self) -> RunSettings | None:
        """The first run added as a variant while no experiment has two runs yet."""
        return self._first

    @property
    def labels(self) -> tuple[str, ...]:
        if self._experiment is not None:
            return self._experiment.labels
        return ("run 1 (add another to compare)",) if self._first is not None else ()

    @property
    def n_runs(self) -> int:
        return len(self._experiment.runs) if self._experiment is not None else 0

    def curves(self, i: int) -> RunCurves:
        return self._curves[i]

    def outcome(self, i: int) -> RunOutcome | None:
        return self._outcomes[i]

    @property
    def outcomes(self) -> tuple[RunOutcome | None, ...]:
        return tuple(self._outcomes)

    def failure(self, i: int) -> str:
        return self._failures.get(i, "")

    def latest_parameters(self, i: int):
        """Run i's newest weights: its outcome's network once finished, else its newest
        snapshot (None before its first)."""
        outcome = self._outcomes[i]
        return outcome.network if outcome is not None else self._latest[i]

    def status(self, i: int) -> str:
        if i in self._failures:
            return "failed"
        if self._outcomes[i] is not None:
            return "finished"
        if self._runner is not None:
            return "training" if self._curves[i].batch_x else "starting"
        return "stopped" if self._curves[i].batch_x else "not started"

    @property
    def running(self) -> bool:
        return self._runner is not None

    @property
    def complete(self) -> bool:
        """Every run finished (so the experiment can be saved)."""
        return self.n_runs > 0 and all(o is not None for o in self._outcomes)

    # -- changing the runs --------------------------------------------------------------------
    def set_experiment(self, experiment: Experiment, outcomes: Sequence[RunOutcome | None] | None = None) -> None:
        """Show `experiment` (stopping one that runs): fresh, or with the outcomes of its runs
        (an opened file; None for a run not trained)."""
        self.stop()
        self._experiment, self._first = experiment, None
        n = len(experiment.runs)
        self._failures = {}
        self._latest = [None] * n
        self._outcomes = list(outcomes) if outcomes is not None else [None] * n
        self._curves = [
            RunCurves.of_outcome(o) if o is not None else RunCurves(len(s.layers) - 1)
            for o, s in zip(self._outcomes, experiment.settings)
        ]
        self.experiment_changed.emit()

    def add_variant(self, settings: RunSettings) -> None:
        """Add a run with these settings (ExperimentError if it cannot be added): the first
        one waits for a second; runs already trained keep what they trained."""
        settings.validate()
        if self._experiment is None:
            if self._first is None:
                self._first = settings
                self.experiment_changed.emit()
                return
            experiment = experiment_of((self._first, settings), name="custom", description="runs added from the window")
            self.set_experiment(experiment)
            return
        experiment = self._experiment.with_run(settings)
        self.stop()
        self.set_experiment(experiment, self._relabelled(self._outcomes + [None], experiment))

    def _relabelled(self, outcomes: list[RunOutcome | None], experiment: Experiment) -> list[RunOutcome | None]:
        """The outcomes of the runs kept, under the labels of the experiment they are now part of."""
        return [
            None if o is None else replace(o, label=spec.label, settings=spec.settings)
            for o, spec in zip(outcomes, experiment.runs)
        ]

    def remove_run(self, i: int) -> None:
        """Take run i out of the experiment (it keeps two runs at least); the others keep
        what they trained, under their new labels."""
        if self._experiment is None:
            raise ExperimentError("there is no experiment")
        experiment = self._experiment.without_run(i)
        self.stop()
        self.set_experiment(experiment, self._relabelled(self._outcomes[:i] + self._outcomes[i + 1 :], experiment))

    def clear(self) -> None:
        self.stop()
        self._experiment, self._first = None, None
        self._curves, self._outcomes, self._latest, self._failures = [], [], [], {}
        self.experiment_changed.emit()

    # -- running ------------------------------------------------------------------------------
    def start(self, dataset: Dataset) -> None:
        """Train the experiment's runs afresh on `dataset` (its first train_size / test_size
        examples). ExperimentError when there is nothing to run or the runs do not fit the data."""
        experiment = self._experiment
        if experiment is None:
            raise ExperimentError("there is no experiment to run: choose one, or add two configurations")
        for spec in experiment.runs:
            sizes = spec.settings.layers
            if sizes[0] != dataset.n_inputs or sizes[-1] != dataset.n_classes:
                raise ExperimentError(
                    f"run “{spec.label}” is a {sizes[0]}-input, {sizes[-1]}-class network; "
                    f"{dataset.name} has {dataset.n_inputs} inputs and {dataset.n_classes} classes"
                )
        self.set_experiment(experiment)
        n_train, n_test = experiment.train_size, experiment.test_size
        self._runner = ExperimentRunner(
            experiment,
            dataset.x_train[:n_train],
            dataset.y_train[:n_train],
            dataset.x_test[:n_test],
            dataset.y_test[:n_test],
            processes=self.processes,
            snapshot_every=SNAPSHOT_EVERY_S,
        )
        self._runner.start()
        self._started_at = time.perf_counter()
        self._timer.start()
        self.running_changed.emit(True)
        self.progress_changed.emit()

    def stop(self) -> None:
        """End the runs still training (their curves so far stay); finished runs keep their outcomes."""
        runner, self._runner = self._runner, None
        if runner is None:
            return
        self._timer.stop()
        runner.stop()
        self.running_changed.emit(False)
        self.progress_changed.emit()
        for i in range(self.n_runs):
            self.run_changed.emit(i)

    def poll(self) -> None:
        """Take the runner's news now (the timer does this every POLL_MS)."""
        self._on_poll_timer()

    @Slot()
    def _on_poll_timer(self) -> None:
        runner = self._runner
        if runner is None:
            return
        changed: set[int] = set()
        deadline = time.perf_counter() + POLL_BUDGET_S
        while True:
            events = runner.poll()
            for event in events:
                changed.add(event.run)
                self._take(event)
            if not events or runner.finished or time.perf_counter() >= deadline:
                break
        for i in sorted(changed):
            self.run_changed.emit(i)
        if changed:
            self.progress_changed.emit()
        if runner.finished:
            self._runner = None
            self._timer.stop()
            runner.stop()
            failed = len(self._failures)
            took = time.perf_counter() - self._started_at
            self.message.emit(f"Experiment finished in {took:.0f} s" + (f"; {failed} run(s) failed" if failed else ""))
            self.running_changed.emit(False)
            self.progress_changed.emit()

    def _take(self, event) -> None:
        i = event.run
        if isinstance(event, RunProgress):
            if self._outcomes[i] is None:
                self._curves[i].add_snapshot(event.snapshot)
                self._latest[i] = event.snapshot
        elif isinstance(event, EpochFinished):
            self._curves[i].seconds += event.seconds
        elif isinstance(event, RunFinished):
            self._outcomes[i] = event.outcome
            self._curves[i] = RunCurves.of_outcome(event.outcome)
        elif isinstance(event, RunFailed):
            self._failures[i] = event.message
            self.message.emit(f"Run “{self.labels[i]}” failed: {event.message}")

    def progress(self) -> tuple[float, float]:
        """(epochs trained, epochs planned) over all runs, fractional."""
        if self._experiment is None:
            return 0.0, 0.0
        done = 0.0
        for i, settings in enumerate(self._experiment.settings):
            if self._outcomes[i] is not None or i in self._failures:
                done += settings.epochs
            elif self._curves[i].batch_x:
                done += min(self._curves[i].batch_x[-1], settings.epochs)
        return done, float(sum(s.epochs for s in self._experiment.settings))
