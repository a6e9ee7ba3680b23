"""Redraw at most a few times a second, however often new data arrives.

Curves over a long run cost milliseconds per redraw; a learner cannot read them faster
than ~10 times a second anyway, so the panels ask a Throttle instead of redrawing.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Slot
from PySide6.QtWidgets import QWidget

LATE_S = 0.1  # how long the timer lets a pending call wait for the next request (a frame)
SPREAD_S = 0.02  # a call due within this long after another throttle's waits for the next frame


class Throttle(QObject):
    """Calls `action` now if it last ran `interval_s` ago or more, else once at the first
    request after that much time has passed (or LATE_S later without one). Requests in
    between fold into that one call. Calls of different throttles land in different frames:
    the loss and gradient panels redrawing (and repainting) in the same frame made it
    ~40 ms longer, which the user feels as a stutter."""

    _last_any = float("-inf")  # when any throttle last ran (all live on the GUI thread)

    def __init__(self, action: Callable[[], None], interval_s: float, parent: QObject | None = None):
        super().__init__(parent)
        self._action = action
        self._interval = interval_s
        self._last = float("-inf")
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._on_timeout)

    def request(self) -> None:
        now = time.monotonic()
        wait = self._last + self._interval - now
        if wait <= 0 and now - Throttle._last_any < SPREAD_S:
            wait = SPREAD_S  # another panel just redrew in this frame: take the next one
        if wait <= 0:
            self._timer.stop()
            self._run()
        elif not self._timer.isActive():
            # While training, requests come with every frame, and the one after the interval
            # runs the call inside that frame, which training waits for. The timer only
            # catches the last request of a burst, so it waits a little longer: fired
            # between frames, the redraw fought the training thread for the interpreter and
            # a 4 ms paint took 8-15 ms.
            self._timer.start(max(1, round((wait + LATE_S) * 1000)))

    def flush(self) -> None:
        """Run a pending call now (e.g. before a test reads the curves or a PNG export)."""
        if self._timer.isActive():
            self._timer.stop()
            self._run()

    @Slot()
    def _on_timeout(self) -> None:
        self._run()

    def _run(self) -> None:
        self._last = Throttle._last_any = time.monotonic()
        self._action()


HIDDEN_POLL_MS = 250  # how soon a panel in a tab behind another catches up once its tab is chosen


class VisibleRefresh(QObject):
    """A "look inside" panel's refresh: at once when training is not running, at most every
    interval_ms while it is, and only while the panel is visible (shown() catches up).

    The inspector and the mistakes panel recompute statistics over the whole test split,
    too much to do for every frame or for a panel nobody is looking at."""

    def __init__(self, widget: QWidget, refresh: Callable[[], None], interval_ms: int):
        super().__init__(widget)
        self._widget, self._refresh, self._interval_ms = widget, refresh, interval_ms
        self.dirty = True  # something changed since the last refresh
        self._last = float("-inf")
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._on_timeout)

    def request(self, running: bool) -> None:
        """Refresh soon (running: not sooner than interval_ms after the last refresh)."""
        self.dirty = True
        if self._timer.isActive():
            return
        wait = 0
        if running and self._last > float("-inf"):  # (never refreshed yet: at once)
            wait = max(0, int(self._interval_ms - 1000 * (time.monotonic() - self._last)))
        self._timer.start(wait)

    def set_interval(self, interval_ms: int) -> None:
        """While training runs, refresh at most every interval_ms from now on."""
        self._interval_ms = int(interval_ms)

    def request_for(self, snap) -> None:
        """Refresh soon for snap (a Snapshot, or None for nothing to show yet)."""
        if snap is not None:
            self.request(running=snap.state == "running")

    def shown(self) -> None:
        """Call from showEvent: catch up on what changed while hidden."""
        if self.dirty:
            self._timer.start(0)

    def run_now(self) -> None:
        """Refresh now, visible or not."""
        self._timer.stop()
        self.dirty = False
        self._last = time.monotonic()
        self._refresh()

    def cancel(self) -> None:
        self._timer.stop()

    @Slot()
    def _on_timeout(self) -> None:
        if on_screen(self._widget):
            self.run_now()
        elif self.dirty and self._widget.isVisible():
            # Behind another dock's tab: Qt calls that visible and sends no showEvent when the
            # tab comes to the front, so look again in a moment instead of computing unseen.
            self._timer.start(HIDDEN_POLL_MS)


def on_screen(widget: QWidget) -> bool:
    """Whether any of widget can be seen: shown, and not a dock tab behind another."""
    return widget.isVisible() and not widget.visibleRegion().isEmpty()
