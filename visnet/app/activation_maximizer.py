"""Gradient ascent on the input (core.neuron_analysis.maximize_activation) on its own
QThread, cancellable, reporting progress to the GUI thread."""

from __future__ import annotations

import threading

import numpy as np
from PySide6.QtCore import QObject, QThread, Signal, Slot

from visnet.app.threads import worker_thread
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


class ActivationMaximizer(QObject):
    """Finds the input that excites a neuron most, off the GUI thread.

    start() cancels a run in progress (it ends after its current step) and starts a new one
    on a fresh QThread, wired like superqt's new_worker_qthread. Results arrive through
    queued signals at this GUI-thread object's slots, tagged with a run id (not sender(),
    which is gone once the finished worker is deleted), and are passed on only if they
    belong to the latest request. shutdown() cancels and joins every thread (call it on close).
    """

    progressed = Signal(int, int, object)  # layer, j, AscentStep
    found = Signal(int, int, object)  # layer, j, x (n_in,) float32

    def __init__(self, parent: QObject | None = None, steps: int = 200, report_every: int = 10):
        super().__init__(parent)
        self.steps, self.report_every = steps, report_every
        self._runs: dict[_AscentWorker, QThread] = {}
        self._current: _AscentWorker | None = None
        self._request: tuple[int, int] | None = None
        self._run_id = 0

    def start(self, net: Network, layer: int, j: int) -> None:
        """Maximise neuron (layer, j) of net (pass a network nobody trains, e.g. Snapshot.network)."""
        self.cancel()
        self._run_id += 1
        worker = _AscentWorker(self._run_id, net, layer, j, self.steps, self.report_every)
        thread = worker_thread(worker, "visnet activation maximisation")  # _forget() drops both
        worker.progressed.connect(self._on_progressed)
        worker.done.connect(self._on_done)
        thread.finished.connect(self._on_thread_finished)
        self._runs[worker] = thread
        self._current, self._request = worker, (layer, j)
        thread.start()

    def cancel(self) -> None:
        """Ask the current run to stop after its step; its result is dropped."""
        if self._current is not None:
            self._current.stop_event.set()
        self._current = None

    def is_running(self) -> bool:
        return self._current is not None

    def shutdown(self, timeout_ms: int = 2000) -> bool:
        """Cancel everything and wait for the threads; True if all ended in time."""
        self.cancel()
        ok = True
        for worker, thread in list(self._runs.items()):
            worker.stop_event.set()
            ok = thread.wait(timeout_ms) and ok
            self._forget(worker)
        return ok

    def _forget(self, worker: _AscentWorker) -> None:
        thread = self._runs.pop(worker, None)
        if thread is not None:
            thread.deleteLater()

    @Slot(int)
    def _on_progressed(self, run_id: int) -> None:
        if run_id == self._run_id and self._current is not None and self._current.latest_step is not None:
            self.progressed.emit(*self._request, self._current.latest_step)

    @Slot(int)
    def _on_done(self, run_id: int) -> None:
        if run_id == self._run_id and self._current is not None:
            x, self._current = self._current.result, None
            self.found.emit(*self._request, x)

    @Slot()
    def _on_thread_finished(self) -> None:
        thread = self.sender()
        for worker, t in list(self._runs.items()):
            if t is thread:
                self._forget(worker)
