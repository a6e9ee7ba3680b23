"""Redraw at most a few times a second, however often new data arrives.

Curves over a long run cost milliseconds per redraw; a learner cannot read them faster
than ~10 times a second anyway, so the panels ask a Throttle instead of redrawing.
"""

from __future__ import annotations

import time
from typing import Callable

from PySide6.QtCore import QObject, QTimer, Slot


class Throttle(QObject):
    """Calls `action` now if it last ran `interval_s` ago or more, else once when that much
    time has passed. Requests in between fold into that one call."""

    def __init__(self, action: Callable[[], None], interval_s: float, parent: QObject | None = None):
        super().__init__(parent)
        self._action = action
        self._interval = interval_s
        self._last = float("-inf")
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._on_timeout)

    def request(self) -> None:
        wait = self._last + self._interval - time.monotonic()
        if wait <= 0:
            self._run()
        elif not self._timer.isActive():
            self._timer.start(max(1, round(wait * 1000)))

    def flush(self) -> None:
        """Run a pending call now (e.g. before a test reads the curves or a PNG export)."""
        if self._timer.isActive():
            self._timer.stop()
            self._run()

    @Slot()
    def _on_timeout(self) -> None:
        self._run()

    def _run(self) -> None:
        self._last = time.monotonic()
        self._action()
