"""A t-SNE map (core.representation.tsne_map) on its own QThread, cancellable, reporting
progress to the GUI thread: openTSNE takes seconds for 2,000 points, which the window must
not wait for."""

from __future__ import annotations

import threading

import numpy as np
from PySide6.QtCore import QObject, QThread, Signal, Slot

from visnet.app.threads import worker_thread
from visnet.core.representation import TsneUnavailable, tsne_map


class _TsneWorker(QObject):
    """Runs tsne_map on its thread. The signals carry only the run id; the share done, the
    map and an error wait in attributes (see _AscentWorker on why no Python object crosses
    threads in a signal)."""

    progressed = Signal(int)  # run id: a new share done is in done_share
    done = Signal(int)  # run id: the map (n, 2) is in result, or the reason it failed in error
    finished = Signal()

    def __init__(self, run_id: int, a: np.ndarray, start: np.ndarray | None, report_every: int):
        super().__init__()
        self.run_id = run_id
        self.a, self.start, self.report_every = a, start, report_every
        self.stop_event = threading.Event()
        self.done_share = 0.0
        self.result: np.ndarray | None = None
        self.error = ""

    @Slot()
    def run(self) -> None:
        try:

            def report(share: float) -> bool:
                self.done_share = share
                self.progressed.emit(self.run_id)
                return self.stop_event.is_set()

            try:
                self.result = tsne_map(self.a, self.start, progress=report, report_every=self.report_every)
            except TsneUnavailable as e:
                self.error = str(e)
            except Exception as e:  # openTSNE's own failures (e.g. all points equal): one line, no crash
                self.error = f"t-SNE failed: {e}"
            if not self.stop_event.is_set():
                self.done.emit(self.run_id)
        finally:
            self.finished.emit()


class TsneRunner(QObject):
    """Computes t-SNE maps off the GUI thread, one at a time.

    start() cancels a run in progress and starts a new one on a fresh QThread; results come
    through queued signals to this GUI-thread object, tagged with a run id, and are passed on
    only for the latest request. shutdown() cancels and joins every thread (call it on close).
    """

    progressed = Signal(float)  # share done, 0..1
    found = Signal(object)  # the map (n, 2) float64
    failed = Signal(str)  # one line: why there is no map

    def __init__(self, parent: QObject | None = None, report_every: int = 10):
        super().__init__(parent)
        self.report_every = report_every
        self._runs: dict[_TsneWorker, QThread] = {}
        self._current: _TsneWorker | None = None
        self._run_id = 0

    def start(self, a: np.ndarray, start: np.ndarray | None = None) -> None:
        """Map the rows of a (n, d), beginning from start (n, 2) when given."""
        self.cancel()
        self._run_id += 1
        worker = _TsneWorker(self._run_id, np.array(a, copy=True), start, self.report_every)
        thread = worker_thread(worker, "visnet t-SNE")  # _forget() drops both
        worker.progressed.connect(self._on_progressed)
        worker.done.connect(self._on_done)
        thread.finished.connect(self._on_thread_finished)
        self._runs[worker] = thread
        self._current = worker
        thread.start()

    def cancel(self) -> None:
        """Ask the current run to stop at its next report; its result is dropped."""
        if self._current is not None:
            self._current.stop_event.set()
        self._current = None

    def is_running(self) -> bool:
        return self._current is not None

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        """Cancel everything and wait for the threads; True if all ended in time."""
        self.cancel()
        ok = True
        for worker, thread in list(self._runs.items()):
            worker.stop_event.set()
            ok = thread.wait(timeout_ms) and ok
            self._forget(worker)
        return ok

    def _forget(self, worker: _TsneWorker) -> None:
        thread = self._runs.pop(worker, None)
        if thread is not None:
            thread.deleteLater()

    @Slot(int)
    def _on_progressed(self, run_id: int) -> None:
        if run_id == self._run_id and self._current is not None:
            self.progressed.emit(self._current.done_share)

    @Slot(int)
    def _on_done(self, run_id: int) -> None:
        if run_id != self._run_id or self._current is None:
            return
        worker, self._current = self._current, None
        if worker.result is not None:
            self.found.emit(worker.result)
        else:
            self.failed.emit(worker.error or "t-SNE gave no map.")

    @Slot()
    def _on_thread_finished(self) -> None:
        thread = self.sender()
        for worker, t in list(self._runs.items()):
            if t is thread:
                self._forget(worker)
