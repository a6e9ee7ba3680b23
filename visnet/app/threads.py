"""QThreads for QObject workers, wired once for the whole app."""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, QThread


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
