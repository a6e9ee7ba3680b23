"""The timeline bar under the toolbar: drag back through the run, and every panel follows.

The track runs from the first moment recorded to where live training stands now, on a
logarithmic step axis: moments are recorded densely early and ever more thinly later
(core.timeline), and early training is where the network changes most, so on a linear axis
the first hundred steps would crowd into a pixel. Each recorded moment is a tick (the ones
the user lived through brighter); the handle is the moment shown. Dragging shows the moment
nearest the pointer; dragging past the newest moment, the Live button or End return to live.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal, Slot
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPen
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSizePolicy, QWidget

from .colors import MUTED
from .session import Session
from .throttle import Throttle

TRACK_HEIGHT = 22
REPAINT_INTERVAL_S = 0.25  # while training, the track need not follow every frame
LIVE_COLOR = QColor(255, 200, 60)
HANDLE_COLOR = QColor(90, 170, 255)


def _axis(step: float) -> float:
    return math.log1p(max(step, 0.0))


class TimelineTrack(QWidget):
    """The track itself: ticks for the moments, the live end, the handle; drag to move."""

    dragged = Signal()  # the user pressed or dragged on the track

    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__(parent)
        self._session = session
        self.setMinimumWidth(160)
        self.setFixedHeight(TRACK_HEIGHT)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip(
            "The run's timeline: drag to go back through training, and every panel shows the network as it "
            "was then (, and . step through the recorded moments; Home: the first; End: live)"
        )

    def sizeHint(self) -> QSize:
        return QSize(400, TRACK_HEIGHT)

    # -- geometry ----------------------------------------------------------------------------
    def _span(self) -> tuple[int, float]:
        """(the first moment's step, the axis value of live): the track's two ends. Steps count
        from the first moment, as the timeline records them (densely from where a run began)."""
        s = self._session
        first = s.timeline[0].step if len(s.timeline) else 0
        live = s.live_snapshot.step if s.live_snapshot is not None else first
        last = max(live, s.timeline.last.step if len(s.timeline) else 0)
        return first, max(_axis(last - first), 1e-9)

    def _inner(self) -> QRectF:
        return QRectF(6, 4, max(self.width() - 12, 1), self.height() - 8)

    def x_of(self, step: float) -> float:
        first, span = self._span()
        r = self._inner()
        return r.left() + _axis(step - first) / span * r.width()

    def step_at(self, x: float) -> float:
        first, span = self._span()
        r = self._inner()
        t = min(max((x - r.left()) / r.width(), 0.0), 1.0)
        return first + math.expm1(t * span)

    # -- input -------------------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._go_to(event.position().x())

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if event.buttons() & Qt.MouseButton.LeftButton:
            self._go_to(event.position().x())

    def _go_to(self, x: float) -> None:
        s = self._session
        if not len(s.timeline):
            return
        self.dragged.emit()
        newest = s.timeline.last
        live = s.live_snapshot
        # Past the newest moment, and nearer to live than to it: live.
        if live is not None and live.step > newest.step and x > (self.x_of(newest.step) + self.x_of(live.step)) / 2:
            s.go_live()
        else:
            s.look_at_step(self.step_at(x))

    # -- drawing -----------------------------------------------------------------------------
    def paintEvent(self, event) -> None:
        s = self._session
        p = QPainter(self)
        r = self._inner()
        mid = r.center().y()
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(60, 60, 60))
        p.drawRoundedRect(QRectF(r.left(), mid - 3, r.width(), 6), 3, 3)
        if not len(s.timeline):
            p.end()
            return
        # The stretch recorded, and beyond it how far live has moved on.
        x_newest = self.x_of(s.timeline.last.step)
        p.setBrush(QColor(95, 95, 95))
        p.drawRoundedRect(QRectF(r.left(), mid - 3, x_newest - r.left(), 6), 3, 3)
        # One tick per pixel at most: the newest moment of each pixel column wins.
        ticks: dict[int, bool] = {}
        for i, m in enumerate(s.timeline):
            col = int(self.x_of(m.step))
            ticks[col] = ticks.get(col, False) or s.timeline.is_kept(i)
        faint, bright = QPen(QColor(150, 150, 150)), QPen(QColor(230, 230, 230))
        for col, kept in ticks.items():
            p.setPen(bright if kept else faint)
            p.drawLine(QPointF(col + 0.5, mid - (6 if kept else 4)), QPointF(col + 0.5, mid + (6 if kept else 4)))
        live = s.live_snapshot
        if live is not None:
            x_live = self.x_of(live.step)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(LIVE_COLOR)
            p.drawRect(QRectF(x_live - 1.5, r.top(), 3, r.height()))
        shown = s.snapshot
        if s.looking_back and shown is not None:
            x = self.x_of(shown.step)
            p.setPen(QPen(QColor(20, 20, 20), 1.5))
            p.setBrush(HANDLE_COLOR)
            p.drawEllipse(QPointF(x, mid), 6, 6)
        p.end()


class TimelineBar(QWidget):
    """The track with a caption of the moment shown and a Live button."""

    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__(parent)
        self._session = session
        self.track = TimelineTrack(session)
        self.caption = QLabel()
        self.caption.setTextFormat(Qt.TextFormat.PlainText)
        self.caption.setStyleSheet(f"color: {MUTED.name()};")
        self.caption.setMinimumWidth(
            self.fontMetrics().horizontalAdvance("step 888,888 · epoch 888.88 · live +88,888 steps") + 8
        )
        self.live_button = QPushButton("Live")
        self.live_button.setToolTip("Back to the present: every panel follows training again (End)")
        self.live_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.live_button.clicked.connect(session.go_live)
        title = QLabel(" Timeline ")
        title.setToolTip(self.track.toolTip())
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        layout.addWidget(title)
        layout.addWidget(self.track, 1)
        layout.addWidget(self.caption)
        layout.addWidget(self.live_button)
        self._repaint = Throttle(self._refresh, REPAINT_INTERVAL_S, self)
        session.timeline_changed.connect(self._on_timeline_changed)
        session.moment_changed.connect(self._refresh)
        self._refresh()

    @Slot()
    def _on_timeline_changed(self) -> None:
        if self._session.state == "running":
            self._repaint.request()
        else:
            self._refresh()

    @Slot()
    def _refresh(self) -> None:
        s = self._session
        self.live_button.setEnabled(s.looking_back)
        shown = s.snapshot
        if shown is None:
            self.caption.setText("no moments yet")
        elif s.looking_back:
            live = s.live_snapshot
            ahead = ""
            if live is not None and live.epoch_progress - shown.epoch_progress >= 1:
                ahead = f" · live +{live.epoch_progress - shown.epoch_progress:.1f} epochs"
            elif live is not None:
                ahead = f" · live +{live.step - shown.step:,} steps"
            self.caption.setText(f"step {shown.step:,} · epoch {shown.epoch_progress:.2f}{ahead}")
        else:
            n = len(s.timeline)
            self.caption.setText(f"live · step {shown.step:,} · {n:,} moment{'' if n == 1 else 's'}")
        self.track.update()

    def flush(self) -> None:
        """Draw what is pending now (for tests and exports)."""
        self._repaint.flush()
