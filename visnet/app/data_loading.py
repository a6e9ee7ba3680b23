"""Loading a data set from the window without freezing it.

An image folder takes seconds (10,000 PNGs: about 2.5 s), so it is read on a worker thread
while a progress dialog counts the images; its Cancel stops the reading at the next progress
report (every 256 images) and the window carries on with the data it had. Anything else
(embedded digits, IDX files, tables) loads in well under a second and is read at once.

The worker is a plain thread, not a QThread: it touches no Qt object. It only writes the
latest (done, total) and its outcome, which a timer on the GUI thread reads, so no signal
crosses threads.
"""

from __future__ import annotations

import gc
import os
import threading
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QEventLoop, QObject, Qt, QTimer, Slot
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QProgressDialog, QWidget

from visnet.data import DataError, Dataset, load_dataset
from visnet.data.chosen import choose_path, spec_path
from visnet.data.image_folder import Progress
from visnet.data.specs import FolderSpec, is_folder_spec

# A load finished sooner than this shows no dialog at all (QProgressDialog's minimumDuration).
SHOW_AFTER_MS = 400
POLL_MS = 30  # how often the dialog reads the worker's count: smooth enough, and cheap


class LoadCancelled(DataError):
    """The user cancelled loading. A DataError, so every caller that refuses a data set it
    cannot have also refuses a cancelled one; callers that can tell the user more quietly
    catch it first."""


def image_folder_of(spec: str) -> str | None:
    """The folder `spec` loads as an image folder (folder:PATH, or a plain path to a folder of
    class subfolders of images), else None."""
    if is_folder_spec(spec):
        try:
            return FolderSpec.parse(spec).path
        except DataError:
            return None
    path = spec_path(spec)
    if path is None or path != spec:  # a table, a CSV of points, or a name such as mnist
        return None
    return path if choose_path(path).kind == "images" else None


def load_in_window(spec: str, data_dir: str | os.PathLike | None, parent: QWidget | None) -> Dataset:
    """load_dataset(spec, data_dir), with a progress dialog over `parent` for an image folder.
    DataError if it cannot be loaded; LoadCancelled if the user cancelled."""
    folder = image_folder_of(spec)
    if folder is None:
        return load_dataset(spec, data_dir)
    label = f"Reading the images of {Path(folder).expanduser().name or folder}…"
    return load_with_progress(lambda progress: load_dataset(spec, data_dir, progress=progress), label, parent)


def load_with_progress(load: Callable[[Progress], Dataset], label: str, parent: QWidget | None) -> Dataset:
    """load(progress) on a worker thread, behind a modal progress dialog with Cancel; the GUI
    thread runs its event loop meanwhile (timers fire, the window repaints). Returns the data
    set, or raises what load raised: LoadCancelled once Cancel was pressed."""
    job = _LoadJob(load, label, parent)
    return job.run()


class _LoadJob(QObject):
    def __init__(self, load: Callable[[Progress], Dataset], label: str, parent: QWidget | None) -> None:
        super().__init__()
        self._load = load
        self._cancel = threading.Event()
        self._count = (0, 0)  # (done, total), replaced whole so the GUI never reads half of it
        self._result: Dataset | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._work, name="visnet-load-data", daemon=True)
        self._loop = QEventLoop()
        self.dialog = QProgressDialog(label, "Cancel", 0, 0, parent)
        self.dialog.setObjectName("data_load_progress")
        self.dialog.setWindowTitle("Loading the data set")
        self.dialog.setWindowModality(Qt.WindowModality.ApplicationModal)
        self.dialog.setMinimumDuration(SHOW_AFTER_MS)
        self.dialog.setAutoClose(False)
        self.dialog.setAutoReset(False)
        self.dialog.canceled.connect(self._on_cancel_clicked)
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._on_poll)

    def run(self) -> Dataset:
        # The window may show a wait cursor for the whole operation; the dialog's Cancel
        # button must look clickable, so an arrow goes on top of it while the dialog is up.
        QGuiApplication.setOverrideCursor(Qt.CursorShape.ArrowCursor)
        # Python's cyclic collector runs in whichever thread allocates when it is due: in the
        # worker it would run the destructors of Qt objects left for collection there, which
        # take Qt's locks and then wait for the interpreter the GUI thread holds (a hang seen
        # in the tests). So garbage is collected here first, and not at all while it loads.
        gc.collect()
        collecting = gc.isenabled()
        gc.disable()
        try:
            self._thread.start()
            self._timer.start()
            self._loop.exec()
        finally:
            self._timer.stop()
            self._cancel.set()  # if the loop ended another way, the worker stops at its next report
            self._thread.join()
            if collecting:
                gc.enable()
            self.dialog.close()
            self.dialog.deleteLater()
            QGuiApplication.restoreOverrideCursor()
        if self._error is not None:
            raise self._error
        assert self._result is not None
        return self._result

    # -- the worker thread ----------------------------------------------------------------
    def _work(self) -> None:
        try:
            self._result = self._load(self._progress)
        except BaseException as e:  # handed to the GUI thread, which raises it
            self._error = e

    def _progress(self, done: int, total: int) -> None:
        if self._cancel.is_set():
            raise LoadCancelled("loading the data set was cancelled")
        self._count = (done, total)

    # -- the GUI thread -------------------------------------------------------------------
    @Slot()
    def _on_poll(self) -> None:
        done, total = self._count
        if total and not self._cancel.is_set():
            self.dialog.setMaximum(total)
            self.dialog.setValue(done)
        if not self._thread.is_alive():
            self._loop.quit()

    @Slot()
    def _on_cancel_clicked(self) -> None:
        self._cancel.set()
        self.dialog.setLabelText("Cancelling…")
