"""A t-SNE map (core.representation.tsne_map) on its own QThread, cancellable, reporting
progress to the GUI thread: openTSNE takes seconds for 2,000 points, which the window must
not wait for."""

from __future__ import annotations

import threading

import numpy as np
from PySide6.QtCore import QObject, Signal, Slot

from visnet.app.threads import LatestRun
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


class TsneRunner(LatestRun):
    """Computes t-SNE maps off the GUI thread, one at a time (LatestRun: a new start cancels
    the run in progress, and only the latest run's progress and map are passed on)."""

    progressed = Signal(float)  # share done, 0..1
    found = Signal(object)  # the map (n, 2) float64
    failed = Signal(str)  # one line: why there is no map

    def __init__(self, parent: QObject | None = None, report_every: int = 10):
        super().__init__(parent)
        self.report_every = report_every

    def start(self, a: np.ndarray, start: np.ndarray | None = None) -> None:
        """Map the rows of a (n, d), beginning from start (n, 2) when given."""
        a = np.array(a, copy=True)
        self.launch(lambda run_id: _TsneWorker(run_id, a, start, self.report_every), "visnet t-SNE")

    def on_progress(self, worker: _TsneWorker) -> None:
        self.progressed.emit(worker.done_share)

    def on_done(self, worker: _TsneWorker) -> None:
        if worker.result is not None:
            self.found.emit(worker.result)
        else:
            self.failed.emit(worker.error or "t-SNE gave no map.")
