"""Start the desktop app: QApplication, names for QSettings, pyqtgraph options, the window,
and what the app does when something outside it ends it or a bug surfaces."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Sequence

from .error_log import install_excepthook

# Signals that end the app the polite way: unsaved training goes to the recovery file first.
ENDING_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP", "SIGINT") if hasattr(signal, name))
SIGNAL_CHECK_MS = 200  # a Python signal handler runs only when the interpreter gets control

# Every pyqtgraph option the app relies on, set before any plot exists (tests set the same).
PYQTGRAPH_OPTIONS = {
    "antialias": True,
    "imageAxisOrder": "row-major",  # arrays are (rows, cols), like numpy and the weight pictures
}


def configure_pyqtgraph() -> None:
    import pyqtgraph as pg

    pg.setConfigOptions(**PYQTGRAPH_OPTIONS)


def create_application(argv: Sequence[str] | None = None):
    """The QApplication (the existing one if any), with visnet's names and options set."""
    from PySide6.QtCore import QCoreApplication
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication

    from visnet import __version__

    from . import settings

    QCoreApplication.setOrganizationName(settings.ORGANIZATION)
    QCoreApplication.setApplicationName(settings.APPLICATION)
    QCoreApplication.setApplicationVersion(__version__)
    app = QApplication.instance()
    if app is None:
        app = QApplication(list(argv) if argv is not None else sys.argv[:1])
    QGuiApplication.setApplicationDisplayName("visnet")
    configure_pyqtgraph()
    return app


def handle_ending_signals(window) -> None:
    """End the app with window.end_by_signal when one of ENDING_SIGNALS arrives.

    Python runs a signal handler only between two bytecodes of the main thread, and while
    Qt's event loop waits no Python runs at all, so a timer hands the interpreter a turn
    every SIGNAL_CHECK_MS. The handler itself only queues the ending on the event loop: it
    may interrupt any Python code, and saving in the middle of a slot could see half an update.
    """
    from PySide6.QtCore import QTimer

    def on_signal(signum, _frame):
        name = signal.Signals(signum).name
        QTimer.singleShot(0, window, lambda: window.end_by_signal(name))

    for signum in ENDING_SIGNALS:
        signal.signal(signum, on_signal)
    ticker = QTimer(window)
    ticker.setObjectName("signal_check_timer")
    ticker.timeout.connect(lambda: None)
    ticker.start(SIGNAL_CHECK_MS)


def run_app(
    argv: Sequence[str] | None = None,
    model_path: str | os.PathLike | None = None,
    data_dir: str | os.PathLike | None = None,
    dataset_spec: str = "embedded",
    lesson: str | None = None,
) -> int:
    """Open the main window and run the event loop; returns the exit code.

    model_path: a model file to open at start (else the example model, if shipped).
    data_dir: an extra folder to look for MNIST / Fashion-MNIST in (the CLI's --data).
    dataset_spec: the data set to start on, e.g. a playground set (the CLI's --playground).
    lesson: the name of a lesson to open at start (the CLI's --lesson); else lesson 1 is
    offered on the first launch.
    """
    app = create_application(argv)

    from .garbage import GuiThreadCollector
    from .main_window import MainWindow

    collector = GuiThreadCollector(app)  # noqa: F841 (kept alive by its parent, the application)

    window = MainWindow(model_path=model_path, data_dir=data_dir, dataset_spec=dataset_spec)
    install_excepthook(window.show_unexpected_error)
    handle_ending_signals(window)
    window.show()
    window.offer_recovery()
    if lesson is not None:
        window.lessons.start(lesson)
    else:
        window.lessons.invite()
    return app.exec()


if __name__ == "__main__":
    raise SystemExit(run_app(sys.argv))
