"""`visnet animate`: a run file's timeline rendered as an animation without a display.

The run opens in the real main window, which is never shown: the panel exported floats in
a window of its own, sized so that the panel is as large as the frames asked for (a panel
with a larger minimum size is scaled down), and animation.render_animation draws it moment
by moment as the window's File ▸ Export animation does. The window neither shows message
boxes (a problem becomes an AnimationError) nor writes the user's settings, so floating a
dock here leaves the user's layout as it was.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QSize, qInstallMessageHandler
from PySide6.QtWidgets import QDockWidget

from .animation import AnimationError, AnimationSettings, Progress, render_animation
from .main import create_application
from .main_window import MainWindow

# `visnet animate --panel NAME`: the dock each name exports.
PANEL_DOCKS = {
    "weights": "weights_dock",
    "network": "network_dock",
    "loss": "loss_dock",
    "gradients": "gradients_dock",
    "surface": "surface_dock",
}


class OffscreenWindow(MainWindow):
    """The main window for rendering only: it collects errors instead of showing them,
    discards nothing it could ask about, and keeps the user's settings as they are."""

    def problems(self) -> list[str]:
        return self.__dict__.setdefault("_problems", [])

    def _show_error(self, title: str, text: str) -> None:
        self.problems().append(" ".join(text.split()))  # one line

    def _ask_save_changes(self, doing: str) -> str:
        return "discard"

    def _save_settings(self) -> None:
        pass


def animate_run(
    run: str | os.PathLike, panel: str, settings: AnimationSettings, progress: Progress | None = None
) -> Path | None:
    """Render `panel` (a PANEL_DOCKS name) of the run file's timeline to settings.path at
    settings.size; the path written, or None if progress said stop."""
    create_application()
    earlier_handler = qInstallMessageHandler(_without_platform_notes)
    window = OffscreenWindow(model_path=run, load_example=False)
    try:
        problems = window.problems()
        if problems or window.model_path != Path(run):
            raise AnimationError(problems[0] if problems else f"{run}: could not be opened")
        if panel == "surface" and window.session.plane is None:
            raise AnimationError(
                f"{run}: the decision surface is drawn for playground runs (points in the plane); "
                "choose --panel weights, network or loss"
            )
        dock = window.findChild(QDockWidget, PANEL_DOCKS[panel])
        size = settings.size or (800, 600)
        float_at_size(dock, size)
        return render_animation(
            window.session, dock.widget(), settings, panels=window.display_panels, progress=progress
        )
    finally:
        window.close()
        window.deleteLater()
        QCoreApplication.processEvents()
        qInstallMessageHandler(earlier_handler)


def _without_platform_notes(_mode, _context, message: str) -> None:
    """Qt's messages, less the offscreen platform's notes that it cannot raise a window or
    pass on size hints (a floating dock asks for both), which say nothing to the user."""
    if not message.startswith("This plugin does not support"):
        print(message, file=sys.stderr)


def float_at_size(dock: QDockWidget, size: tuple[int, int]) -> None:
    """Float dock in a window of its own whose panel is `size` (width, height) pixels, or as
    near as the panel's minimum size allows."""
    dock.setFloating(True)
    dock.show()
    QCoreApplication.processEvents()
    widget = dock.widget()
    frame = dock.size() - widget.size()  # the dock's title bar and margins
    dock.resize(QSize(*size) + frame)
    QCoreApplication.processEvents()
