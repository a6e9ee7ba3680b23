"""Gradient ascent on the input (core.neuron_analysis.maximize_activation) on its own
QThread, cancellable, reporting progress to the GUI thread."""

from __future__ import annotations

import threading

import numpy as np
from PySide6.QtCore import QObject, Signal, Slot

from visnet.app.threads import LatestRun
from visnet.core.network import Network
from visnet.core.neuron_analysis import AscentStep, maximize_activation


class _AscentWorker(QObject):
    """Runs maximize_activation on its thread; reports progress now and then, then the result.

    The signals carry only the run id; the step and the result wait in latest_step and
    result. A Python object in a signal sent across threads is copied by Qt while it holds
    a lock, and the copy needs the interpreter lock: if the GUI thread, holding the
    interpreter in a Qt call, needs that Qt lock too, both wait for ever (seen as a rare
    hang of the test suite).
    """

    progressed = Signal(int)  # run id: a new AscentStep is in latest_step
    done = Signal(int)  # run id: the final x (n_in,) float32 is in result
    finished = Signal()

    def __init__(self, run_id: int, net: Network, layer: int, j: int, steps: int, report_every: int):
        super().__init__()
        self.run_id = run_id
        self.net, self.layer, self.j, self.steps = net, layer, j, steps
        self.report_every = report_every
        self.stop_event = threading.Event()
        self.latest_step: AscentStep | None = None
        self.result: np.ndarray | None = None

    @Slot()
    def run(self) -> None:
        try:

            def report(step: AscentStep) -> None:
                if step.step % self.report_every == 0 or step.step == step.steps:
                    self.latest_step = step
                    self.progressed.emit(self.run_id)

            x = maximize_activation(
                self.net, self.layer, self.j, steps=self.steps, callback=report, should_stop=self.stop_event.is_set
            )
            if not self.stop_event.is_set():
                self.result = x
                self.done.emit(self.run_id)
        finally:
            self.finished.emit()


class ActivationMaximizer(LatestRun):
    """Finds the input that excites a neuron most, off the GUI thread, one neuron at a time
    (LatestRun: a new start cancels the run in progress, which ends after its current step,
    and only the latest run's steps and result are passed on)."""

    progressed = Signal(int, int, object)  # layer, j, AscentStep
    found = Signal(int, int, object)  # layer, j, x (n_in,) float32

    def __init__(self, parent: QObject | None = None, steps: int = 200, report_every: int = 10):
        super().__init__(parent)
        self.steps, self.report_every = steps, report_every

    def start(self, net: Network, layer: int, j: int) -> None:
        """Maximise neuron (layer, j) of net (pass a network nobody trains, e.g. Snapshot.network)."""
        self.launch(
            lambda run_id: _AscentWorker(run_id, net, layer, j, self.steps, self.report_every),
            "visnet activation maximisation",
        )

    def on_progress(self, worker: _AscentWorker) -> None:
        if worker.latest_step is not None:
            self.progressed.emit(worker.layer, worker.j, worker.latest_step)

    def on_done(self, worker: _AscentWorker) -> None:
        self.found.emit(worker.layer, worker.j, worker.result)
