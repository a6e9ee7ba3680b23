"""Start the desktop app: QApplication, names for QSettings, pyqtgraph options, the window."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

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


def run_app(
    argv: Sequence[str] | None = None,
    model_path: str | os.PathLike | None = None,
    data_dir: str | os.PathLike | None = None,
    dataset_spec: str = "embedded",
) -> int:
    """Open the main window and run the event loop; returns the exit code.

    model_path: a model file to open at start (else the example model, if shipped).
    data_dir: an extra folder to look for MNIST / Fashion-MNIST in (the CLI's --data).
    dataset_spec: the data set to start on, e.g. a playground set (the CLI's --playground).
    """
    app = create_application(argv)

    from .main_window import MainWindow

    window = MainWindow(model_path=model_path, data_dir=data_dir, dataset_spec=dataset_spec)
    window.show()
    return app.exec()


if __name__ == "__main__":
    raise SystemExit(run_app(sys.argv))
