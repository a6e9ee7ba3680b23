"""The one place that turns snapshots into frames: merge, pace, draw.

The controller keeps the newest snapshot (folding the per-batch losses of any it replaces
into it); every ~33 ms the pacer takes it, makes it the session's moment shown, and asks
each visible panel to draw it. While training runs, one panel is drawn per turn of the
event loop: each plot's scene repaints in an event of its own, and queued together after a
single redraw they ran back to back (~60 ms) while input and timers waited. A pause, step
or edit is drawn at once, and training waits until that frame is painted (see
TrainingController.share_with_gui: otherwise the two threads take turns at Python's
interpreter lock for every Qt call of the paint). Panels given together as a tuple are drawn
in the same turn while training runs at a pace a person can read (the gentle start, slow
motion), so what they show is painted at once: the network view's and the sample panel's
captions of the current sample never disagree on screen. At full speed, where the numbers
change thirty times a second, each is drawn in a turn of its own: painted together they made
one 11 ms stretch that kept input and timers waiting (a 10 ms timer's median lateness rose
from 2 to 13 ms).

While the user looks back at a moment of the timeline, live snapshots go on arriving: panels
that keep every snapshot's data take them (follow_live, for the curves and the inspector's
neuron history) and nothing else is drawn. A panel of curves over the whole run shows the
moment looked at as a cursor (show_cursor) instead of drawing it; every other panel draws
the moment as it draws a live snapshot.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QObject, QTimer, Signal, Slot
from PySide6.QtWidgets import QDockWidget

from visnet.core.snapshot import Snapshot

from .panels import Panel
from .session import Session
from .throttle import on_screen
from .training.controller import TrainingController

REDRAW_INTERVAL_MS = 33  # ~30 frames a second


class FramePacer(QObject):
    """Draws the newest snapshot on `panels` (a callable giving the panels to draw now, each
    a Panel or a tuple of Panels drawn in the same turn)."""

    frame_started = Signal()  # a new moment is in session.snapshot; the status bar follows it

    def __init__(
        self,
        controller: TrainingController,
        session: Session,
        panels: Callable[[], Sequence[Panel | tuple[Panel, ...]]],
    ):
        super().__init__(session)
        self._controller = controller
        self._session = session
        self._panels = panels
        self._queue: list[tuple[Panel, ...] | None] = []  # still to draw this frame; None ends it
        self._owed = False  # a frame training waits for has not been painted yet
        self._timer = QTimer(self)
        self._timer.setInterval(REDRAW_INTERVAL_MS)
        self._timer.timeout.connect(self.draw_pending)
        self._next_panel = QTimer(self)
        self._next_panel.setSingleShot(True)
        self._next_panel.setInterval(0)
        self._next_panel.timeout.connect(self._draw_next_panel)
        controller.share_with_gui(True)
        controller.snapshot_arrived.connect(self.draw_pending)  # draw as soon as training waits
        session.network_replaced.connect(self._on_network_replaced)
        session.moment_changed.connect(self._on_moment_changed)

    def start(self) -> None:
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
        self._next_panel.stop()
        self._queue = []

    def is_drawing(self) -> bool:
        """Whether a frame is being drawn panel by panel now."""
        return bool(self._queue)

    @Slot()
    def draw_pending(self) -> None:
        """Draw the newest snapshot not yet drawn, if any (not while a frame is being drawn)."""
        if self._queue:
            return
        snap = self._controller.take_pending_snapshot()
        if snap is None:
            return
        if not self._session.show_snapshot(snap):  # the user looks back: live goes on behind
            for turn in self._turns():
                for panel in turn:
                    if hasattr(panel, "follow_live"):
                        panel.follow_live(snap)
            self._controller.frame_drawn()
            return
        self.frame_started.emit()
        if snap.state != "running":  # a pause, step or edit: everything at once
            self.redraw(snap)
            self._owed = True  # training resumes once this frame is painted (window_painted)
            return
        turns = self._shown_turns()
        if snap.delay == 0 and not snap.gentle:  # full speed: one panel a turn (see the module docstring)
            turns = [(panel,) for turn in turns for panel in turn]
        self._queue = [*turns, None]
        self._controller.frame_drawn()  # taken: the next snapshot may come while this one is drawn
        self._draw_next_panel()

    def redraw(self, snap: Snapshot | None = None) -> None:
        """Draw `snap` (default: the session's moment) on every panel now."""
        snap = snap or self._session.snapshot
        if snap is None:
            return
        for turn in self._turns():
            for panel in turn:
                self._draw(panel, snap)

    def window_painted(self) -> None:
        """The window painted a frame: release training if it waits for one."""
        if self._owed:
            self._owed = False
            self._controller.frame_drawn()

    @Slot()
    def _draw_next_panel(self) -> None:
        if not self._queue:
            return
        turn = self._queue.pop(0)
        if turn is not None:
            for panel in turn:
                self._draw(panel, self._session.snapshot)
            self._next_panel.start()
        else:
            self.draw_pending()

    @Slot()
    def _on_network_replaced(self) -> None:
        self._queue = []  # not the old network's last frame
        for turn in self._turns():
            for panel in turn:
                panel.reset()

    @Slot()
    def _on_moment_changed(self) -> None:
        """The user went to another moment (or back to live): draw it on every panel in view
        at once; the others catch up when they come into view."""
        self._queue = []
        looking_back = self._session.looking_back
        for turn in self._turns():
            for panel in turn:
                if hasattr(panel, "show_cursor"):
                    panel.show_cursor(self._session.snapshot if looking_back else None)
        self.frame_started.emit()
        snap = self._session.snapshot
        if snap is not None:
            for turn in self._turns():
                for panel in turn:
                    if looking_back and hasattr(panel, "show_cursor"):
                        continue
                    if in_view(panel) or getattr(panel, "draws_hidden", False):
                        panel.show_snapshot(snap)

    def _draw(self, panel: Panel, snap: Snapshot) -> None:
        """Draw snap on panel; while looking back, a panel of whole-run curves keeps its
        cursor on the moment instead (drawing an earlier step would cut its curves there)."""
        if self._session.looking_back and hasattr(panel, "show_cursor"):
            panel.show_cursor(self._session.snapshot)
        else:
            panel.show_snapshot(snap)

    def _turns(self) -> list[tuple[Panel, ...]]:
        return [item if isinstance(item, tuple) else (item,) for item in self._panels()]

    def _shown_turns(self) -> list[tuple[Panel, ...]]:
        """The turns of a frame while training: a panel that cannot be seen (a hidden dock, a
        tab behind another) waits, unless it keeps every snapshot's data (draws_hidden);
        catch_up() draws it when it comes into view."""
        turns = []
        for turn in self._turns():
            shown = tuple(p for p in turn if getattr(p, "draws_hidden", False) or in_view(p))
            if shown:
                turns.append(shown)
        return turns

    def catch_up(self, panel: Panel) -> None:
        """Draw the moment shown on `panel`, which has just come into view."""
        if self._session.snapshot is not None:
            self._draw(panel, self._session.snapshot)


def in_view(panel) -> bool:
    """Whether a panel can be seen: its dock is shown and not a tab behind another. (A panel
    its own plot fills edge to edge has no visible region of its own: the plot covers it. A
    floating dock such a panel fills has none either, so a floating dock counts when shown.)"""
    widget = panel
    while widget is not None and not isinstance(widget, QDockWidget):
        widget = widget.parentWidget()
    if widget is not None and widget.isFloating():
        return widget.isVisible()
    return on_screen(widget if widget is not None else panel)
