"""Draw a digit with the mouse and watch the network read it as you draw.

The canvas keeps the drawing as a 280x280 numpy array (ink 0..1, drawn with the core's
anti-aliased round pen), and every stroke is turned into an MNIST-style input of the
network's picture size (28x28, or 8x8, 16x16, ...) the way MNIST was made
(core.drawing.preprocess_drawing: fit in 20x20 of 28x28, centre of mass to the centre).
The panel shows that picture next to the canvas, runs the forward pass and shows the
output bars and a caption. Given the window's Session, every change of the drawing goes to
session.set_drawing and "Use as current sample" makes it the session's sample, which every
panel then shows; without one, the digit_changed and use_requested signals carry it.

A network that does not read square pictures (a playground network's input is a point
x1, x2 and its features, a table's its named columns) cannot read a drawing: the panel then says so, and where to draw
points instead, rather than classifying a picture the network cannot see.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QColor, QImage, QPainter, QPen
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from visnet.app.colors import (
    MAX_POINT_INPUTS,
    MUTED,
    PREDICTED,
    class_label,
    gray_colormap,
    one_output_rule,
    percent,
    picture_side,
    with_article,
)
from visnet.app.panels.sample import ClassLabelAxis
from visnet.app.session import Session
from visnet.app.stable import FittingLabel
from visnet.core.drawing import SIZE, field_layout, preprocess_drawing, stroke_to_canvas
from visnet.core.snapshot import Snapshot
from visnet.core.targets import decision_threshold, predict_classes

CANVAS_SIZE = 280  # the drawing's resolution: ten canvas pixels per MNIST pixel
DEFAULT_BRUSH = 22  # pen diameter in canvas pixels for a 28x28 picture (about 2 MNIST pixels after scaling)
MAX_PEN = CANVAS_SIZE * 0.4  # an 8x8 picture's pen stays narrow enough to draw a digit with


BAR_COLOR = QColor(110, 130, 160)
PLAYGROUND_MESSAGE = (
    "Drawing digits needs a network that reads square pictures; this network reads a point of the "
    "plane ({inputs}). In the playground, draw points on the decision surface instead (Draw points)."
)


def pen_diameter(brush: float, shape: tuple[int, int]) -> float:
    """The pen on the canvas for a picture of `shape`, given `brush`, the pen for 28x28.

    A drawing is shrunk to fit MNIST's 20/28 of the picture's shorter side, so the same pen
    makes a stroke of the same share of the picture: 2 pixels of a 28x28 one, but only 0.6 of
    an 8x8 one, a faint smear where an 8x8 digit has strokes 1-2 pixels wide. Scaling the pen
    by 28 / side keeps the stroke about as many of the picture's pixels wide at every size."""
    return min(brush * SIZE / min(shape), MAX_PEN)


def field_note(shape: tuple[int, int]) -> str:
    """What the preview shows, for a field of `shape`."""
    h, w = shape
    box, _ = field_layout(shape)
    return (
        f"The {h}×{w} on the right is what the network sees: your stroke fitted into {box}×{box} "
        "and centred by its centre of mass, as MNIST was made."
    )


class DrawingCanvas(QWidget):
    """A square black canvas to draw white strokes on with the mouse (or a tablet pen,
    which Qt delivers as mouse events too). The drawing is `array()`, (280, 280) float32."""

    drawing_changed = Signal()  # ink was added or cleared
    stroke_finished = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.brush = float(DEFAULT_BRUSH)
        self._canvas = np.zeros((CANVAS_SIZE, CANVAS_SIZE), np.float32)
        self._last: tuple[float, float] | None = None
        self._drawing = False
        self.setMinimumSize(140, 140)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setToolTip("Draw a digit with the mouse; it is scaled and centred like MNIST digits")

    def array(self) -> np.ndarray:
        return self._canvas

    def clear(self) -> None:
        self._canvas[:] = 0
        self._last = None
        self.update()
        self.drawing_changed.emit()

    def is_empty(self) -> bool:
        return not self._canvas.any()

    def draw_stroke(self, points: Sequence[tuple[float, float]]) -> None:
        """Add a polyline given in canvas pixels (x right, y down), as if drawn by hand."""
        stroke_to_canvas(points, brush=self.brush, canvas=self._canvas)
        self.update()
        self.drawing_changed.emit()
        self.stroke_finished.emit()

    # -- geometry ---------------------------------------------------------------------------
    def canvas_rect(self) -> QRectF:
        """Where the canvas is painted: the largest centred square."""
        side = min(self.width(), self.height())
        return QRectF((self.width() - side) / 2, (self.height() - side) / 2, side, side)

    def to_canvas(self, pos: QPointF) -> tuple[float, float]:
        r = self.canvas_rect()
        scale = CANVAS_SIZE / r.width()
        return ((pos.x() - r.left()) * scale, (pos.y() - r.top()) * scale)

    def from_canvas(self, x: float, y: float) -> QPointF:
        """Widget coordinates of canvas point (x, y) (for tests that draw with the mouse)."""
        r = self.canvas_rect()
        scale = r.width() / CANVAS_SIZE
        return QPointF(r.left() + x * scale, r.top() + y * scale)

    # -- events -----------------------------------------------------------------------------
    def mousePressEvent(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        self._drawing = True
        self._last = self.to_canvas(event.position())
        stroke_to_canvas([self._last], brush=self.brush, canvas=self._canvas)
        self.update()
        self.drawing_changed.emit()

    def mouseMoveEvent(self, event) -> None:
        if not self._drawing:
            return
        p = self.to_canvas(event.position())
        stroke_to_canvas([self._last, p], brush=self.brush, canvas=self._canvas)
        self._last = p
        self.update()
        self.drawing_changed.emit()

    def mouseReleaseEvent(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton or not self._drawing:
            return
        p = self.to_canvas(event.position())
        if p != self._last:
            stroke_to_canvas([self._last, p], brush=self.brush, canvas=self._canvas)
        self._drawing = False
        self._last = None
        self.update()
        self.drawing_changed.emit()
        self.stroke_finished.emit()

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), self.palette().window())
        pixels = np.ascontiguousarray((np.clip(self._canvas, 0, 1) * 255).astype(np.uint8))
        image = QImage(pixels.data, CANVAS_SIZE, CANVAS_SIZE, CANVAS_SIZE, QImage.Format.Format_Grayscale8)
        r = self.canvas_rect()
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.drawImage(r, image)
        painter.setPen(QPen(QColor(90, 90, 100), 1))
        painter.drawRect(r.adjusted(0, 0, -1, -1))
        if self.is_empty():
            painter.setPen(QColor(MUTED))
            painter.drawText(r, Qt.AlignmentFlag.AlignCenter, "draw a digit here")
        painter.end()


class DrawDigitPanel(QWidget):
    """A canvas, the picture the network sees (28x28 for MNIST, 8x8 for an 8x8 data set), its
    output bars and a caption in words."""

    digit_changed = Signal(object)  # x (h*w,) float32: the drawing changed (live preview)
    use_requested = Signal(object)  # x (h*w,): make the drawn digit the current sample everywhere

    def __init__(self, parent: QWidget | None = None, *, session: Session | None = None):
        super().__init__(parent)
        self._session = session
        self._snap: Snapshot | None = None
        self._class_names: tuple[str, ...] = tuple(str(k) for k in range(10))
        self._shape = (SIZE, SIZE)  # the picture the network reads; MNIST's until a network says otherwise
        self._input_names: tuple[str, ...] | None = None  # session.input_names: named values read no drawing
        self._x = np.zeros(SIZE * SIZE, np.float32)
        self._output: np.ndarray | None = None
        self._n_bars = 0
        self.update_ms = 0.0  # time of the last preprocess + forward pass + redraw (benchmark)

        self.canvas = DrawingCanvas()
        self.brush_spin = QSpinBox()
        self.brush_spin.setRange(6, 48)
        self.brush_spin.setValue(DEFAULT_BRUSH)
        self.brush_spin.setSuffix(" px")
        self.brush_spin.setToolTip(
            "Pen width on the 280×280 canvas for a 28×28 picture (10 canvas pixels = 1 MNIST pixel); "
            "wider for smaller pictures, so the stroke is as many of their pixels wide"
        )
        self.brush_spin.valueChanged.connect(self._on_brush_changed)
        self.clear_button = QPushButton("Clear")
        self.clear_button.setToolTip("Wipe the canvas to draw another digit")
        self.clear_button.clicked.connect(self.clear)
        self.use_button = QPushButton("Use as current sample")
        self.use_button.setToolTip("Show the drawn digit in every panel: network, inspector, stepper")
        self.use_button.clicked.connect(self._on_use_clicked)
        self.live_box = QCheckBox("Light up the network while drawing")
        self.live_box.setChecked(True)
        self.live_box.setToolTip("Send the digit to the network view with every stroke")

        self._graphics = pg.GraphicsLayoutWidget()
        self._graphics.setMinimumWidth(150)
        self._caption = FittingLabel("Draw a digit.")
        font = self._caption.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        self._caption.setFont(font)
        self._preview_view: pg.ViewBox = self._graphics.addViewBox(row=0, col=0)
        self._preview_view.setAspectLocked(True)
        self._preview_view.invertY(True)
        self._preview_view.setMouseEnabled(False, False)
        self._preview_view.setMenuEnabled(False)
        self._preview = pg.ImageItem(axisOrder="row-major")
        self._preview.setColorMap(gray_colormap())
        self._preview_view.addItem(self._preview)
        self._preview.setImage(np.zeros(self._shape, np.float32), autoLevels=False, levels=(0.0, 1.0))
        self._preview_view.setRange(QRectF(0, 0, SIZE, SIZE), padding=0.02)
        self._class_axis = ClassLabelAxis("left")
        self._bar_plot: pg.PlotItem = self._graphics.addPlot(row=1, col=0, axisItems={"left": self._class_axis})
        self._bar_plot.setMouseEnabled(False, False)
        self._bar_plot.setMenuEnabled(False)
        self._bar_plot.hideButtons()
        self._bar_plot.getViewBox().invertY(True)
        self._bar_plot.setXRange(0, 1.0, padding=0.02)
        self._bar_plot.showGrid(x=True, alpha=0.2)
        self._bars = pg.BarGraphItem(x0=[], y=[], height=0.7, width=[])
        self._bar_plot.addItem(self._bars)
        self._graphics.ci.layout.setRowStretchFactor(0, 1)
        self._graphics.ci.layout.setRowStretchFactor(1, 1)

        self._note = note = QLabel(field_note(self._shape))
        note.setWordWrap(True)
        note.setStyleSheet(f"color: {MUTED.name()}")
        controls = QHBoxLayout()
        controls.addWidget(QLabel("Brush"))
        controls.addWidget(self.brush_spin)
        controls.addWidget(self.clear_button)
        controls.addStretch(1)
        controls.addWidget(self.use_button)
        left = QVBoxLayout()
        left.addWidget(self.canvas, 1)
        left.addLayout(controls)
        left.addWidget(self.live_box)
        row = QHBoxLayout()
        row.addLayout(left, 1)
        row.addWidget(self._graphics, 1)
        drawing_page = QWidget()
        page = QVBoxLayout(drawing_page)
        page.setContentsMargins(0, 0, 0, 0)
        page.addWidget(self._caption)
        page.addLayout(row, 1)
        page.addWidget(note)
        self._message = QLabel()
        self._message.setWordWrap(True)
        self._message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        font = self._message.font()
        font.setPointSizeF(font.pointSizeF() * 1.2)
        self._message.setFont(font)
        self._message.setMargin(16)
        self._stack = QStackedWidget()
        self._stack.addWidget(drawing_page)
        self._stack.addWidget(self._message)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self._stack)

        # Moves are coalesced: the forward pass runs once per event-loop turn, not per event.
        self._pending = QTimer(self)
        self._pending.setSingleShot(True)
        self._pending.setInterval(0)
        self._pending.timeout.connect(self.update_prediction)
        self.canvas.drawing_changed.connect(self._on_drawing_changed)
        self.canvas.stroke_finished.connect(self.update_prediction)
        self._build_bars()
        if session is not None:
            session.dataset_changed.connect(self._on_session_dataset_changed)
            if session.dataset is not None:
                self._on_session_dataset_changed()

    def _on_session_dataset_changed(self) -> None:
        self._input_names = self._session.input_names
        self.set_class_names(self._session.class_names)
        self._show_applicability()

    # -- public API -------------------------------------------------------------------------
    def show_snapshot(self, snap: Snapshot) -> None:
        """The newest network: re-read the drawing with it (cheap: one forward pass)."""
        changed = (
            self._snap is None
            or snap.step != self._snap.step
            or snap.sizes != self._snap.sizes
            or snap.weights[0] is not self._snap.weights[0]
        )
        self._snap = snap
        self._show_applicability()
        side = picture_side(snap.sizes[0])
        if self.applies() and side is not None and (side, side) != self._shape:
            self._set_shape((side, side))
        if changed:
            self._build_bars()
            self._predict()

    def reset(self) -> None:
        """Forget the network and its bars; keep the drawing."""
        self._snap = None
        self._n_bars = 0
        self._build_bars()
        self._bar_plot.setXRange(0, 1.0, padding=0.02)
        self._show_applicability()
        self._predict()

    def applies(self) -> bool:
        """Whether the network can read a drawing: it takes square pictures (or is not known yet)."""
        if self._snap is None:
            return True
        return self._input_names is None and picture_side(self._snap.sizes[0]) is not None

    def field_shape(self) -> tuple[int, int]:
        """(h, w) of the picture a drawing becomes: the network's input picture."""
        return self._shape

    def message(self) -> str:
        """The text shown instead of the canvas when drawing does not apply ("" when it does)."""
        return "" if self.applies() else self._message.text()

    def set_class_names(self, class_names: Sequence[str]) -> None:
        self._class_names = tuple(str(c) for c in class_names)
        self._n_bars = 0
        self._build_bars()
        self._predict()

    def clear(self) -> None:
        self.canvas.clear()
        self.update_prediction()

    def image(self) -> np.ndarray:
        """The preprocessed drawing, field_shape() float32 in [0, 1]."""
        return self._x.reshape(self._shape).copy()

    def sample(self) -> np.ndarray:
        """The network's input for the drawing, (h*w,) float32."""
        return self._x.copy()

    def output(self) -> np.ndarray | None:
        return None if self._output is None else self._output.copy()

    def predicted_class(self) -> int | None:
        """The class the network reads (argmax, or a single output's threshold)."""
        if self._output is None or self._snap is None:
            return None
        return int(predict_classes(self._snap, self._output[None, :])[0])

    def caption(self) -> str:
        return self._caption.text()

    def class_axis(self) -> ClassLabelAxis:
        """The bar chart's axis of class names."""
        return self._class_axis

    @Slot()
    def update_prediction(self) -> None:
        """Preprocess the drawing, run the network, redraw, and tell the window (live)."""
        self._pending.stop()
        t0 = time.perf_counter()
        self._x = preprocess_drawing(self.canvas.array(), shape=self._shape).ravel()
        self._preview.setImage(self._x.reshape(self._shape), autoLevels=False, levels=(0.0, 1.0))
        self._predict()
        if self._session is not None:
            self._session.set_drawing(None if self.canvas.is_empty() else self._x)
        if self.live_box.isChecked() and not self.canvas.is_empty() and self.applies():
            self.digit_changed.emit(self._x.copy())
        self.update_ms = 1000 * (time.perf_counter() - t0)

    # -- internals --------------------------------------------------------------------------
    @Slot()
    def _on_drawing_changed(self) -> None:
        if not self._pending.isActive():
            self._pending.start()

    @Slot(int)
    def _on_brush_changed(self, value: int) -> None:
        self.canvas.brush = pen_diameter(value, self._shape)

    @Slot()
    def _on_use_clicked(self) -> None:
        self.update_prediction()
        if not self.canvas.is_empty() and self.applies():
            self.use_requested.emit(self._x.copy())
            if self._session is not None:
                self._session.use_drawing()

    def _set_shape(self, shape: tuple[int, int]) -> None:
        """Make drawings h x w pictures from now on, and redo the one on the canvas."""
        self._shape = shape
        self.canvas.brush = pen_diameter(self.brush_spin.value(), shape)  # for the strokes from now on
        self._x = np.zeros(shape[0] * shape[1], np.float32)
        self._preview_view.setRange(QRectF(0, 0, shape[1], shape[0]), padding=0.02)
        self._note.setText(field_note(shape))
        self.update_prediction()

    def _show_applicability(self) -> None:
        """The drawing, or the message that this network cannot read one."""
        if self.applies():
            self._stack.setCurrentIndex(0)
            return
        n_in = self._snap.sizes[0]
        if self._input_names is not None and self._session is not None and self._session.playground is None:
            text = (
                f"Drawing digits needs a network that reads square pictures; this network reads "
                f"{n_in} named values ({', '.join(self._input_names[:3])}{', …' if n_in > 3 else ''})."
            )
        elif n_in <= MAX_POINT_INPUTS:
            k = n_in - 2
            inputs = "x₁, x₂" + (f" and {k} feature{'s' if k > 1 else ''} of them" if k > 0 else "")
            text = PLAYGROUND_MESSAGE.format(inputs=inputs)
        else:
            text = f"Drawing digits needs a network that reads square pictures; this network takes {n_in} inputs."
        self._message.setText(text)
        self._stack.setCurrentIndex(1)

    def _build_bars(self) -> None:
        n = self._snap.sizes[-1] if self._snap is not None else len(self._class_names)
        if n == self._n_bars:
            return
        self._n_bars = n
        names = ("a",) if n == 1 else tuple(class_label(self._class_names, k) for k in range(n))
        self._class_axis.set_names(names)
        self._bar_plot.setYRange(-0.6, n - 0.4, padding=0)

    def _predict(self) -> None:
        snap = self._snap
        if snap is None or snap.sizes[0] != self._x.size or self.canvas.is_empty():
            self._output = None
            self._bars.setOpts(x0=[], y=[], width=[], brushes=[])
            self._caption.setText(
                "Draw a digit."
                if snap is None or self.canvas.is_empty()
                else f"The network expects {snap.sizes[0]} inputs."
            )
            return
        a = snap.forward_cache(self._x.reshape(1, -1)).output[0].astype(np.float64)
        self._output = a
        p = self.predicted_class()
        if len(a) == 1:
            self._predict_one(float(a[0]), p, snap.activations[-1])
            return
        brushes = [pg.mkBrush(BAR_COLOR)] * len(a)
        brushes[p] = pg.mkBrush(PREDICTED)
        self._bars.setOpts(x0=np.zeros(len(a)), y=np.arange(len(a)), width=a, brushes=brushes)
        hi = 1.0 if snap.activations[-1] in ("softmax", "sigmoid") else max(float(a.max()), 1e-6)
        self._bar_plot.setXRange(min(0.0, float(a.min())), hi, padding=0.02)
        name = class_label(self._class_names, p)
        value = percent(a[p]) if snap.activations[-1] == "softmax" else f"a = {a[p]:.2f}"
        article = with_article(name).partition(" ")[0]
        shown = f'<span style="color:{PREDICTED.name()}">{name}</span> ({value})'
        self._caption.set_text_variants((f"Looks like {article} {shown}", shown))

    def _predict_one(self, a: float, p: int, out: str) -> None:
        """A single output neuron: its value against its threshold decides the class."""
        threshold = decision_threshold(out)
        self._bars.setOpts(x0=[min(a, 0.0)], y=[0], width=[abs(a)], brushes=[pg.mkBrush(PREDICTED)])
        lo, hi = (-1.0, 1.0) if out == "tanh" else (min(0.0, a), max(1.0, a))
        self._bar_plot.setXRange(lo, hi, padding=0.02)
        name = f'<span style="color:{PREDICTED.name()}">{class_label(self._class_names, p)}</span>'
        value = f"a = {a:.2f} {'>' if p == 1 else '≤'} {threshold:g}".replace("-", "−")
        self._caption.set_text_variants(
            (
                f"Reads class {name} ({value}; {one_output_rule(out)})",
                f"Reads class {name} ({value})",
                f"{name} ({value})",
            )
        )
