"""QThreads for QObject workers, wired once for the whole app, and the latest-run-only
bookkeeping of the background computations (t-SNE, activation maximisation, ...)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, QThread, Slot


def worker_thread(worker: QObject, name: str) -> QThread:
    """A new (not yet started) QThread that runs worker.run() and quits when the worker
    emits finished. It has no parent: the caller owns it and must keep the worker too.

    The wiring of superqt's new_worker_qthread, less one line: the worker is not
    deleteLater()'d in its own thread. Deleting a Python-made QObject there makes PySide
    take the interpreter lock while Qt holds its own locks, which can deadlock with the
    GUI thread (it hung the test suite now and then). Callers drop the worker on the GUI
    thread once the thread has finished. quit is called directly from the worker's thread,
    so a GUI thread blocked in QThread.wait() cannot hold it up.
    """
    thread = QThread()
    thread.setObjectName(name)
    worker.moveToThread(thread)
    thread.started.connect(worker.run)
    worker.finished.connect(thread.quit, Qt.ConnectionType.DirectConnection)
    return thread


class LatestRun(QObject):
    """Background computations on QThreads of their own, of which only the latest counts.

    launch() cancels the run in progress (its result is dropped) and starts a worker on a
    fresh thread (worker_thread). A worker has a `stop_event` (threading.Event) it checks
    between steps and the signals progressed(int), done(int) — carrying only its run id:
    results wait in the worker's attributes, as a Python object sent across threads in a
    signal is copied under a Qt lock that can deadlock with the GUI thread — and finished().
    They arrive queued at this GUI-thread object, which passes on those of the latest run
    to on_progress / on_done (given, or written by a subclass). shutdown() cancels and joins every
    thread (call it on close)."""

    def __init__(
        self,
        parent: QObject | None = None,
        on_progress: Callable[[QObject], None] | None = None,
        on_done: Callable[[QObject], None] | None = None,
    ):
        super().__init__(parent)
        self._on_progress, self._on_done_callback = on_progress, on_done
        self._runs: dict[QObject, QThread] = {}
        self._current: QObject | None = None
        self._run_id = 0

    def launch(self, make_worker: Callable[[int], QObject], name: str) -> QObject:
        """Cancel the current run and start make_worker(run_id) on a new thread called name."""
        self.cancel()
        self._run_id += 1
        worker = make_worker(self._run_id)
        thread = worker_thread(worker, name)  # _forget() drops both
        worker.progressed.connect(self._on_progressed)  # type: ignore[attr-defined]
        worker.done.connect(self._on_done)  # type: ignore[attr-defined]
        thread.finished.connect(self._on_thread_finished)
        self._runs[worker] = thread
        self._current = worker
        thread.start()
        return worker

    def cancel(self) -> None:
        """Ask the current run to stop at its next check; its result is dropped."""
        if self._current is not None:
            self._current.stop_event.set()  # type: ignore[attr-defined]
        self._current = None

    def is_running(self) -> bool:
        return self._current is not None

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        """Cancel everything and wait for the threads; True if all ended in time."""
        self.cancel()
        ok = True
        for worker, thread in list(self._runs.items()):
            worker.stop_event.set()  # type: ignore[attr-defined]
            ok = thread.wait(timeout_ms) and ok
            self._forget(worker)
        return ok

    def on_progress(self, worker) -> None:
        """The latest run reported progress (in its attributes): on_progress(worker) if given."""
        if self._on_progress is not None:
            self._on_progress(worker)

    def on_done(self, worker) -> None:
        """The latest run ended with its result (in its attributes): on_done(worker) if given."""
        if self._on_done_callback is not None:
            self._on_done_callback(worker)

    def _forget(self, worker: QObject) -> None:
        thread = self._runs.pop(worker, None)
        if thread is not None:
            thread.deleteLater()

    @Slot(int)
    def _on_progressed(self, run_id: int) -> None:
        if run_id == self._run_id and self._current is not None:
            self.on_progress(self._current)

    @Slot(int)
    def _on_done(self, run_id: int) -> None:
        if run_id == self._run_id and self._current is not None:
            worker, self._current = self._current, None
            self.on_done(worker)

    @Slot()
    def _on_thread_finished(self) -> None:
        thread = self.sender()
        for worker, t in list(self._runs.items()):
            if t is thread:
                self._forget(worker)
