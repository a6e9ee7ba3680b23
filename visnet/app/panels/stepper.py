"""Step through backpropagation with the real numbers.

The stepper takes one example and one network state, lets visnet.core.trace compute every
named quantity of one SGD step once, and then only *shows* them: each step reveals its
vector in the strips (z, a, δ per layer), its formula with the numbers of one neuron, and
frames the layer being computed in the network view. Stepping never recomputes anything,
so a 784-512-512-10 network steps in a few milliseconds.

The side tabs look at the whole step from other angles: one neuron's equations and a
gradient check, the output neurons' wishes for the previous layer (3Blue1Brown's
picture), the mini-batch average, and the update of a first-layer neuron's picture.

The stepper never touches training itself: a StepperSource (stepper_source.py) hands it
a NetworkState (copied under the controller's lock after pausing, for the live network)
and the examples. Given the Session, BackpropStepper(session=...) traces the session's
current sample, so it explains the very sample every panel shows, and an example or
neuron chosen in the stepper is chosen through the session.

Every number is named as 3Blue1Brown and Nielsen write it, its layer as a superscript and
its neuron as a subscript (a²₈ is neuron 8 of layer 2; w²₈,₃ its weight from a¹₃), so one
symbol never names two quantities (core.trace.quantity writes them).

Playground networks: a single output neuron is named by what it means (class 1 if aᴸ₀ > 0.5,
or > 0 for tanh) and its cost is written with the one target y; a point's inputs are
drawn as bars named x₁, x₂, ... rather than as a picture. A perceptron (step output) has
no gradient to trace: the stepper says so and shows the perceptron rule's update instead.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt, QTimer, Signal, Slot
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetricsF,
    QKeySequence,
    QPainter,
    QPalette,
    QPen,
    QShortcut,
    QTextOption,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QFrame,
    QGraphicsRectItem,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSlider,
    QSpinBox,
    QSplitter,
    QStyle,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from visnet.app.colors import (
    MUTED,
    NEGATIVE,
    POSITIVE,
    PREDICTED,
    SELECTED,
    class_label,
    diverging_colormap,
    gray_colormap,
    image_side,
    input_labels,
    inputs_are_values,
    sign_colours_text,
)
from visnet.core.features import check_features
from visnet.core.network import Network
from visnet.core.targets import binary_targets, decision_threshold, n_classes, predict_classes
from visnet.core.trace import (
    Trace,
    TraceStep,
    all_wishes,
    format_equation,
    gradient_check,
    minibatch_table,
    neuron_equation,
    quantity,
    trace_backprop,
    wishes,
)
from visnet.io import ModelFileError, load_model

from ..session import Session
from ..stable import CaptionItem
from .stepper_source import Example, MiniBatch, NetworkState, SessionStepperSource, StepperSource

PLAY_INTERVAL_MS = 700  # Play: one step every 0.7 s, slow enough to read the formula
MAX_BATCH = 16  # columns of the mini-batch table; a larger training batch shows its first ones
DEFAULT_BATCH = 10  # TrainConfig's default batch size, for a stepper with no trainer to ask
TABLE_WEIGHTS = 5  # rows of the mini-batch table: the strongest incoming weights, then the bias
FORMULA_POINTS = (20.0, 16.0)  # the step's formula; the smaller in a short dock, to leave the strips room
STEPPER_KEYS = (Qt.Key.Key_Left, Qt.Key.Key_Right, Qt.Key.Key_Home, Qt.Key.Key_End)  # its own while it has the focus
SHORT_STEPPER = 600  # pixels: a stepper this short is short
TABS_SHARE = (0.58, 0.42)  # the stepper's width: the formula and strips, then the tabs
EQUATION_TERMS = 5  # terms listed in an equation, the largest first
EXAMPLE_SOURCES = (
    ("current", "Current sample"),
    ("drawn", "Drawn digit"),
    ("test", "Test image"),
)
NETWORK_SOURCES = (
    ("live", "Live network (pauses training)"),
    ("snapshot", "The moment shown (training goes on)"),
    ("file", "Model file…"),
)
_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
_SYMBOL = {
    "sigmoid": "σ",
    "relu": "ReLU",
    "leaky_relu": "LeakyReLU",
    "tanh": "tanh",
    "identity": "id",
    "softmax": "softmax",
}
DIM_OUTLINE = QColor(90, 90, 100)
_KIND_SYMBOL = {"z": "z", "a": "a", "delta": "δ"}


def _sup(k: int) -> str:
    return str(k).translate(_SUPERSCRIPT)


def output_neuron_name(class_names: Sequence[str], j: int, n_out: int, output: str, n_layers: int) -> str:
    """How the stepper names output neuron j of a network of n_layers weight layers: its
    class “3”, or for a single output neuron what its value means, “class 1 if a²₀ > 0.5”."""
    if n_out == 1:
        return f"“{one_output_rule(output, n_layers)}”"
    return f"“{class_label(class_names, j)}”"


def one_output_rule(output: str, n_layers: int) -> str:
    """'class 1 if a²₀ > 0.5': the single output neuron's rule, its activation named with its layer."""
    return f"class 1 if {quantity('a', n_layers, 0)} > {decision_threshold(output):g}"


def neuron_symbol(kind: str, k: int, j: int) -> str:
    """z²₃, a²₃ or δ²₃ of a strip's kind ("z", "a", "delta") in layer k (the input is 0)."""
    return quantity(_KIND_SYMBOL[kind], k, j)


def output_neuron_index(target: int, n_out: int) -> int:
    """The output neuron that stands for class `target`: itself, or the single output's 0."""
    return 0 if n_out == 1 else int(target)


def perceptron_text(net: Network, x: np.ndarray, target: int, eta: float, labels: Sequence[str] = ()) -> str:
    """Why the perceptron has nothing to backpropagate, and the update its rule makes on
    example x (n_in,) with target class 0 or 1 (as training.perceptron_rule computes it)."""
    w, b = net.weights[0][0].astype(np.float64), float(net.biases[0][0])
    x = np.asarray(x, np.float64).ravel()
    z = float(w @ x + b)
    y_hat = int(z > 0)
    change = eta * (target - y_hat)
    names = list(labels) if len(labels) == x.size else [f"x{_sub(i + 1)}" for i in range(x.size)]
    head = (
        "The perceptron has no gradients: a step's slope is 0 everywhere (and undefined at its jump), "
        "so there is nothing to backpropagate. It learns by the perceptron rule instead:\n"
        "w ← w + η (y − ŷ) x,   b ← b + η (y − ŷ)\n"
        "which moves the line only when the example is on the wrong side of it.\n\n"
    )
    point = ", ".join(f"{n} = {fmt(v)}" for n, v in zip(names, x))
    body = f"This example ({point}): z = w·x + b = {fmt(z)}, ŷ = step(z) = {y_hat}, target y = {target}: "
    if change == 0:
        return head + body + "right, so the rule changes nothing."
    dw = ", ".join(fmt(change * v) for v in x)
    return head + body + (f"wrong, so w changes by η (y − ŷ) x = ({dw}) and b by {fmt(change)} (η = {eta:g}).")


def _sub(k: int) -> str:
    return str(k).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))


def par(v: float, digits: int = 3) -> str:
    """fmt(v), in parentheses when negative (for products: 0.5·(−0.8))."""
    s = fmt(v, digits)
    return f"({s})" if s.startswith("−") else s


def fmt(v: float, digits: int = 3) -> str:
    """A number for a formula: 3 significant figures, a real minus sign."""
    v = float(v)
    if v == 0 or not math.isfinite(v):
        s = "0" if v == 0 else str(v)
    elif 1e-4 <= abs(v) < 1e4:
        s = f"{v:.{digits}g}" if abs(v) < 1 else f"{v:.{max(digits - 1 - int(math.log10(abs(v))), 0)}f}"
    else:
        s = f"{v:.{digits - 1}e}"
    return s.replace("-", "−")


def result_strips(step: TraceStep, n_layers: int) -> tuple[str | None, tuple[str, ...]]:
    """(the strip a step computes, the strips it reads), by strip name ("z2", "a1", "delta3")."""
    name, L = step.name, n_layers
    if step.phase == "forward":
        k = step.layer + 1
        return (name, (f"a{k - 1}",)) if name.startswith("z") else (name, (f"z{k}",))
    if name == "C":
        return None, (f"a{L}",)
    if step.phase == "backward":
        k = step.layer + 1
        return name, ((f"a{L}", f"z{L}") if k == L else (f"delta{k + 1}", f"z{k}"))
    if step.phase == "gradient":
        k = step.layer + 1
        return None, ((f"delta{k}", f"a{k - 1}") if name.startswith("grad_w") else (f"delta{k}",))
    return None, ()


def step_direction(step: TraceStep, n_layers: int) -> tuple[int | None, str]:
    """(layer to frame in the network view, direction word) for a step."""
    if step.phase == "forward":
        return step.layer, "forward"
    if step.phase == "cost":
        return n_layers - 1, "cost"
    if step.phase in ("backward", "gradient"):
        return step.layer, "backward"
    if step.name == "C_after":
        return n_layers - 1, "cost after update"
    return step.layer, "update"


# -- the strips -------------------------------------------------------------------------------
@dataclass
class _Strip:
    name: str  # "a0", "z2", "delta3"
    kind: str  # "z", "a", "delta"
    k: int  # layer number as in the maths (0 = input)
    n: int
    rect: QRectF
    image: pg.ImageItem
    label: pg.TextItem
    scale: pg.TextItem
    outline: QGraphicsRectItem
    values: np.ndarray | None = None

    @property
    def symbol(self) -> str:
        return _KIND_SYMBOL[self.kind] + _sup(self.k)


class VectorStripsView(QWidget):
    """Every vector of the step as a coloured strip, one row per quantity and layer:
    a⁰ (the input), then z, a and δ of each layer. Rows not computed yet at the current
    step stay empty; the row being computed is framed in yellow, the rows it reads in
    dotted white. Hover a cell for its value; click it to select the neuron."""

    neuron_clicked = Signal(int, int)  # (layer into weights, neuron)

    HINT = "Hover a cell for its value; click to select that neuron."

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._strips: dict[str, _Strip] = {}
        self._order: list[str] = []
        self._arch: tuple | None = None
        self._class_names: tuple[str, ...] = ()
        self._input_labels: tuple[str, ...] = ()  # x₁, x₂, ... of a playground point
        self._known: set[str] = set()
        self._height = 1.0  # of the strips' rows, in view units
        self._font_px: tuple[int, int] | None = None
        self._graphics = pg.GraphicsLayoutWidget()
        self._graphics.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keys go to the stepper
        self._view: pg.ViewBox = self._graphics.addViewBox(row=0, col=0)
        self._view.setMouseEnabled(False, False)
        self._view.setMenuEnabled(False)
        self._view.invertY(True)
        self._view.sigResized.connect(self.fit_to_size)
        self._info: pg.LabelItem = self._graphics.addLabel(self.HINT, row=1, col=0, size="10pt", color=MUTED)
        self._graphics.ci.layout.setRowStretchFactor(0, 1)
        self._titles: list[pg.TextItem] = []
        self._current = self._frame(PREDICTED, 2.5, Qt.PenStyle.SolidLine, 20)
        self._reads = [self._frame(SELECTED, 1.5, Qt.PenStyle.DotLine, 19) for _ in range(2)]
        self._selection = [self._frame(SELECTED, 2.0, Qt.PenStyle.SolidLine, 21) for _ in range(3)]
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._graphics)
        scene = self._graphics.scene()
        scene.sigMouseMoved.connect(self._on_mouse_moved)
        scene.sigMouseClicked.connect(self._on_mouse_clicked)

    def _frame(self, color: QColor, width: float, style, z: float) -> QGraphicsRectItem:
        item = QGraphicsRectItem()
        pen = QPen(color, width, style)
        pen.setCosmetic(True)
        item.setPen(pen)
        item.setZValue(z)
        item.hide()
        self._view.addItem(item, ignoreBounds=True)
        return item

    # -- building -----------------------------------------------------------------------------
    def _build(self, sizes: tuple[int, ...], activations: tuple[str, ...]) -> None:
        for s in self._strips.values():
            for item in (s.image, s.label, s.scale, s.outline):
                self._view.removeItem(item)
        for t in self._titles:
            self._view.removeItem(t)
        self._strips, self._order, self._titles = {}, [], []
        self._arch = (sizes, activations)
        font = QFont()
        font.setPointSizeF(11)
        title_font = QFont()
        title_font.setPointSizeF(8)
        y = 0.0
        L = len(sizes) - 1
        rows = [("a", 0)] + [(kind, k) for k in range(1, L + 1) for kind in ("z", "a", "delta")]
        for kind, k in rows:
            if kind != "delta" and (kind == "z" or k == 0):
                what = "input" if k == 0 else ("output layer" if k == L else f"layer {k}")
                detail = f"{sizes[k]} values" if k == 0 else f"{sizes[k]} {activations[k - 1]}"
                title = pg.TextItem(f"{what} · {detail}", color=MUTED, anchor=(0.0, 0.5))
                title.setFont(title_font)
                title.setPos(0.0, y + 0.45)
                self._view.addItem(title, ignoreBounds=True)
                self._titles.append(title)
                y += 0.95
            n = sizes[k]
            rect = QRectF(0.0, y, 1.0, 1.0)
            image = pg.ImageItem(axisOrder="row-major")
            image.setImage(np.zeros((1, n), np.float32), autoLevels=False, levels=(-1.0, 1.0))
            image.setRect(rect)
            image.setColorMap(diverging_colormap())
            self._view.addItem(image)
            name = f"{kind}{k}"
            strip = _Strip(
                name,
                kind,
                k,
                n,
                rect,
                image,
                pg.TextItem(anchor=(1.0, 0.5)),
                pg.TextItem(color=MUTED, anchor=(0.0, 0.5)),
                QGraphicsRectItem(rect),
            )
            strip.label.setText(strip.symbol)
            strip.label.setFont(font)
            strip.label.setPos(-0.012, rect.center().y())
            strip.scale.setPos(1.012, rect.center().y())
            pen = QPen(DIM_OUTLINE, 1.0, Qt.PenStyle.DashLine)
            pen.setCosmetic(True)
            strip.outline.setPen(pen)
            for item in (strip.label, strip.scale, strip.outline):
                self._view.addItem(item, ignoreBounds=True)
            self._strips[name] = strip
            self._order.append(name)
            y += 1.25
        self._height = y
        self._font_px = None
        self.fit_to_size()

    def fit_to_size(self) -> None:
        """Size the symbols and titles to the rows' height on screen and leave just enough
        room beside the strips for them, so a short dock or a deep network shrinks the text
        with the rows instead of piling labels on each other."""
        if not self._strips:
            return
        box = self._view.geometry()
        width, height = box.width(), box.height()
        if width < 20 or height < 20:
            self._view.setRange(QRectF(-0.08, -0.1, 1.2, self._height), padding=0.0)
            return
        row_px = height / (self._height + 0.1)  # pixels per unit: a strip is 1 high, rows 1.25 apart
        label_px = int(np.clip(row_px * 0.95, 6, 15))
        title_px = int(np.clip(row_px * 0.75, 6, 11))
        show_titles = row_px * 0.75 >= 8.0
        if (label_px, title_px) != self._font_px:
            self._font_px = (label_px, title_px)
            label_font, title_font = QFont(), QFont()
            label_font.setPixelSize(label_px)
            title_font.setPixelSize(title_px)
            for s in self._strips.values():
                s.label.setFont(label_font)
                s.scale.setFont(title_font if label_px > title_px else label_font)
            for t in self._titles:
                t.setFont(title_font)
        for t in self._titles:
            t.setVisible(show_titles)
        strips = list(self._strips.values())
        left = max(QFontMetricsF(s.label.textItem.font()).horizontalAdvance(s.symbol) for s in strips) + 8
        scale_font = QFontMetricsF(strips[0].scale.textItem.font())
        right = max(scale_font.horizontalAdvance(s.scale.toPlainText()) for s in strips) + 10
        cells = max(width - left - right, 20.0)  # pixels per unit of x: the strips are 1 wide
        self._view.setRange(QRectF(-left / cells, -0.1, 1.0 + (left + right) / cells, self._height), padding=0.0)
        for s in strips:
            s.label.setPos(-3.0 / cells, s.rect.center().y())
            s.scale.setPos(1.0 + 4.0 / cells, s.rect.center().y())

    # -- data ---------------------------------------------------------------------------------
    def set_trace(self, trace: Trace, class_names: Sequence[str] = (), input_labels: Sequence[str] = ()) -> None:
        """Fill every strip with the trace's first example (shown or not by show_known).
        input_labels: names of a point's inputs (x₁, x₂, ...) for the a⁰ strip."""
        arch = (tuple(trace.sizes), tuple(trace.activation_names))
        if arch != self._arch:
            self._build(*arch)
        self._class_names = tuple(str(c) for c in class_names)
        self._input_labels = tuple(input_labels)
        for s in self._strips.values():
            if s.kind == "z":
                v = trace.zs[s.k - 1][0]
            elif s.kind == "a":
                v = trace.activations[s.k][0]
            else:
                v = trace.deltas[s.k - 1][0]
            s.values = np.asarray(v, dtype=np.float32)
            lo, hi, cmap, text = self._levels(s, trace)
            s.image.setColorMap(cmap)
            s.image.setImage(s.values[None, :], autoLevels=False, levels=(lo, hi))
            s.scale.setText(text)
        self.fit_to_size()

    def _levels(self, s: _Strip, trace: Trace):
        v = s.values
        peak = float(np.max(np.abs(v))) if v.size else 0.0
        peak = peak if peak > 0 else 1.0
        if s.kind == "a":
            act = "identity" if s.k == 0 else trace.activation_names[s.k - 1]
            if s.k == 0 and inputs_are_values(s.n, self._input_labels):  # coordinates in −6..6, not gray levels
                return -peak, peak, diverging_colormap(), f"±{fmt(peak)}"
            if s.k == 0 or act in ("sigmoid", "softmax"):
                return 0.0, 1.0, gray_colormap(), "0 … 1"
            if act == "tanh":
                return -1.0, 1.0, diverging_colormap(), "−1 … 1"
            if float(v.min()) >= 0:
                return 0.0, peak, gray_colormap(), f"0 … {fmt(peak)}"
        return -peak, peak, diverging_colormap(), f"±{fmt(peak)}"

    def show_known(self, known: set[str], current: str | None, reads: Sequence[str]) -> None:
        """Show the strips computed so far; frame the one being computed and those it reads."""
        self._known = set(known) | {"a0"}
        for name, s in self._strips.items():
            on = name in self._known
            s.image.setVisible(on)
            s.scale.setVisible(on)
            s.label.setColor(QColor(235, 235, 235) if on else DIM_OUTLINE)
        self._place(self._current, current)
        for frame, name in zip(self._reads, list(reads) + [None] * 2):
            self._place(frame, name)

    def _place(self, frame: QGraphicsRectItem, name: str | None) -> None:
        s = self._strips.get(name) if name else None
        if s is None:
            frame.hide()
            return
        frame.setRect(s.rect.adjusted(-0.004, -0.08, 0.004, 0.08))
        frame.show()

    def select_neuron(self, layer: int | None, j: int | None) -> None:
        """Outline neuron j of weight layer `layer` in its z, a and δ strips."""
        k = None if layer is None else layer + 1
        for frame, kind in zip(self._selection, ("z", "a", "delta")):
            s = self._strips.get(f"{kind}{k}") if k is not None else None
            if s is None or not 0 <= j < s.n:
                frame.hide()
                continue
            w = s.rect.width() / s.n
            frame.setRect(QRectF(s.rect.left() + j * w, s.rect.top() - 0.06, max(w, 0.003), s.rect.height() + 0.12))
            frame.show()

    def strip_names(self) -> list[str]:
        return list(self._order)

    def visible_strips(self) -> set[str]:
        return {n for n, s in self._strips.items() if s.image.isVisible()}

    def framed_strip(self) -> str | None:
        """The strip framed as being computed (None when no strip is)."""
        if not self._current.isVisible():
            return None
        for name, s in self._strips.items():
            if s.rect.center().y() == self._current.rect().center().y():
                return name
        return None

    def cell_widget_pos(self, name: str, j: int):
        """Centre of cell j of a strip in viewport coordinates (for clicks in tests)."""
        s = self._strips[name]
        w = s.rect.width() / s.n
        scene = self._view.mapViewToScene(QPointF(s.rect.left() + (j + 0.5) * w, s.rect.center().y()))
        return self._graphics.mapFromScene(scene)

    def describe_cell(self, name: str, j: int) -> str:
        """What hovering cell j of strip `name` ("a2", "delta1") says: "a²₃ (layer 2 neuron 3) = 0.62"."""
        return self._describe(self._strips[name], j)

    def graphics_view(self) -> pg.GraphicsView:
        return self._graphics

    def text_items(self) -> list[pg.TextItem]:
        """The texts drawn now: each strip's symbol and scale, the layers' titles."""
        items = [t for s in self._strips.values() for t in (s.label, s.scale)] + self._titles
        return [t for t in items if t.isVisible()]

    def info_text(self) -> str:
        return self._info.text

    # -- mouse --------------------------------------------------------------------------------
    def _cell_at(self, scene_pos: QPointF) -> tuple[_Strip, int] | None:
        if not self._strips or not self._view.sceneBoundingRect().contains(scene_pos):
            return None
        p = self._view.mapSceneToView(scene_pos)
        for s in self._strips.values():
            if s.rect.top() <= p.y() <= s.rect.bottom() and s.rect.left() <= p.x() <= s.rect.right():
                j = int(np.clip((p.x() - s.rect.left()) / s.rect.width() * s.n, 0, s.n - 1))
                return s, j
        return None

    def _describe(self, s: _Strip, j: int) -> str:
        L = len(self._arch[0]) - 1 if self._arch else 0
        if s.k == 0:
            side = None if inputs_are_values(s.n, self._input_labels) else image_side(s.n)
            if side:
                where = f"pixel ({j // side}, {j % side})"
            else:
                where = self._input_labels[j] if j < len(self._input_labels) else f"input {j}"
            who = f"{neuron_symbol('a', 0, j)} {where}"
        else:
            output = self._arch[1][-1] if self._arch else ""
            name = f" {output_neuron_name(self._class_names, j, s.n, output, L)}" if s.k == L else ""
            who = f"{neuron_symbol(s.kind, s.k, j)} (layer {s.k} neuron {j}{name})"
        if s.name not in self._known or s.values is None:
            return f"{who}: not computed yet at this step"
        return f"{who} = {fmt(s.values[j], 4)}"

    def _on_mouse_moved(self, scene_pos: QPointF) -> None:
        hit = self._cell_at(scene_pos)
        text = self.HINT if hit is None else self._describe(*hit)
        self._info.setText(text)
        self._graphics.setToolTip("" if hit is None else text)

    def _on_mouse_clicked(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        hit = self._cell_at(event.scenePos())
        if hit is None or hit[0].k == 0:
            return
        self.neuron_clicked.emit(hit[0].k - 1, hit[1])


# -- small picture rows ---------------------------------------------------------------------
class _ColumnCaption(CaptionItem):
    """A caption that wraps to its column's width instead of widening the column (a LabelItem
    is as wide as its text, and one long caption pushed the row's last picture out of a
    narrow tab)."""

    def __init__(self, text: str, size: str):
        super().__init__(text, size=size)
        option = self.item.document().defaultTextOption()
        option.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        self.item.document().setDefaultTextOption(option)
        self._column_width = -1.0

    def set_column_width(self, width: float) -> None:
        """Wrap the text to `width` pixels (its height follows)."""
        width = max(float(width), 24.0)
        if width != self._column_width:
            self._column_width = width
            self.item.setTextWidth(width)
            self.updateMin()
            self.resizeEvent(None)


class _CaptionedGraphics(pg.GraphicsLayoutWidget):
    """A graphics layout whose captions wrap to an equal share of its width (columns of
    them side by side), so no caption widens the layout past the widget's edge."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.captions: list[_ColumnCaption] = []
        self.columns = 1
        self.base_height = 0  # the least height, whatever the captions need

    def add_caption(self, text: str, row: int, col: int = 0) -> _ColumnCaption:
        label = _ColumnCaption(text, size="10pt")
        self.addItem(label, row=row, col=col)
        self.captions.append(label)
        self.fit_captions()
        return label

    def fit_captions(self) -> None:
        """Wrap every caption to its column's share of the width."""
        if not getattr(self, "captions", None):  # resized while being built
            return
        left, _, right, _ = self.ci.layout.getContentsMargins()
        spacing = max(self.ci.layout.horizontalSpacing(), 0)
        inner = self.viewport().width() - left - right
        width = (inner - (self.columns - 1) * spacing) / self.columns - 4
        for caption in self.captions:
            caption.set_column_width(width)
        # Taller wrapped captions make the whole taller (a scrolling tab then scrolls), so
        # they never push the pictures or plots out of the view.
        need = math.ceil(self.ci.effectiveSizeHint(Qt.SizeHint.MinimumSize).height()) + 2
        self.setMinimumHeight(max(self.base_height, need))
        self._sync_range()

    def _sync_range(self) -> None:
        """Lay the scene out over the whole widget again: a minimum height set from inside
        resizeEvent (or while the tab is hidden) resizes the widget without telling
        pyqtgraph, which then centres the old, shorter scene."""
        if self.range.width() != self.width() or self.range.height() != self.height():
            pg.GraphicsView.resizeEvent(self, None)

    def showEvent(self, event) -> None:  # noqa: N802 (Qt name)
        super().showEvent(event)
        self._sync_range()

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        super().resizeEvent(event)
        self.fit_captions()

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt name)
        # As small as allowed, so a scrolling tab grows it only into space left over
        # (a graphics view asks for 640x480).
        return QSize(200, self.minimumHeight())


class _PictureRow(_CaptionedGraphics):
    """A few images side by side, each with a caption (28x28 pictures, or a strip when the
    input is not square); a playground point's few values are bars named x₁, x₂, ...
    (set_bars), since a 1x2 picture of coordinates shows nothing."""

    def __init__(self, captions: Sequence[str], parent: QWidget | None = None):
        super().__init__(parent)
        self._caption_texts = tuple(captions)
        self.columns = len(self._caption_texts)
        self._bar_labels: tuple[str, ...] | None = None  # None: pictures
        self.images: list[pg.ImageItem] = []
        self.bars: list[pg.BarGraphItem] = []
        self.plots: list[pg.PlotItem] = []
        self.base_height = 170
        self._build()

    def _build(self) -> None:
        """The views of the current mode (made again only when the mode changes)."""
        self.clear()
        old = [c.text for c in self.captions]
        self.captions, self.images, self.bars, self.plots = [], [], [], []
        for c, caption in enumerate(self._caption_texts):
            self.add_caption(old[c] if c < len(old) else caption, row=0, col=c)
            if self._bar_labels is None:
                view = self.addViewBox(row=1, col=c)
                view.setAspectLocked(True)
                view.invertY(True)
                view.setMouseEnabled(False, False)
                view.setMenuEnabled(False)
                image = pg.ImageItem(axisOrder="row-major")
                view.addItem(image)
                self.images.append(image)
            else:
                plot = self.addPlot(row=1, col=c)
                plot.setMouseEnabled(False, False)
                plot.setMenuEnabled(False)
                plot.hideButtons()
                plot.getAxis("left").setWidth(36)
                plot.addLine(y=0, pen=pg.mkPen(MUTED, width=1))
                ticks = [(i, name) for i, name in enumerate(self._bar_labels)]
                plot.getAxis("bottom").setTicks([ticks, []])
                bars = pg.BarGraphItem(x=[], height=[], width=0.7)
                plot.addItem(bars)
                self.plots.append(plot)
                self.bars.append(bars)
        for c in range(len(self._caption_texts)):  # equal columns, whatever their captions' lengths
            self.ci.layout.setColumnStretchFactor(c, 1)
            self.ci.layout.setColumnPreferredWidth(c, 10)
        self.ci.layout.setRowStretchFactor(1, 1)

    def set_bars(self, labels: Sequence[str] | None) -> None:
        """Draw bars named labels (a point's inputs) from now on; None: pictures."""
        labels = None if labels is None else tuple(labels)
        if labels != self._bar_labels:
            self._bar_labels = labels
            self._build()

    def show(self, c: int, values: np.ndarray, signed: bool, lim: float | None = None, caption: str | None = None):
        v = np.asarray(values, dtype=np.float32).ravel()
        if self._bar_labels is not None and len(self._bar_labels) == v.size:
            brushes = [pg.mkBrush(POSITIVE if t >= 0 else NEGATIVE) for t in v]
            self.bars[c].setOpts(x=np.arange(v.size), height=v, width=0.7, brushes=brushes, pen=None)
            peak = lim if lim and lim > 0 else (float(np.max(np.abs(v))) or 1.0)
            self.plots[c].setYRange(-peak * 1.1, peak * 1.1, padding=0)
            self.plots[c].setXRange(-0.6, v.size - 0.4, padding=0)
            if caption is not None:
                self.captions[c].setText(caption)
                self.fit_captions()
            return
        side = image_side(v.size)
        picture = v.reshape(side, side) if side else v[None, :]
        if signed:
            lim = lim if lim and lim > 0 else (float(np.max(np.abs(v))) or 1.0)
            self.images[c].setColorMap(diverging_colormap())
            self.images[c].setImage(picture, autoLevels=False, levels=(-lim, lim))
        else:
            self.images[c].setColorMap(gray_colormap())
            self.images[c].setImage(picture, autoLevels=False, levels=(0.0, 1.0))
        if caption is not None:
            self.captions[c].setText(caption)
            self.fit_captions()


def _rich_label(text: str = "", size: float | None = None) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.RichText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
    if size is not None:
        font = label.font()
        font.setPointSizeF(size)
        label.setFont(font)
    return label


class _ElidedLabel(QLabel):
    """One line of plain text that ends in “…” when too long for the label (text() and
    the tooltip keep all of it), instead of stopping mid-word at the edge."""

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt name)
        rect = self.contentsRect()
        text = self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight, rect.width())
        self.setToolTip(self.text() if text != self.text() else "")
        painter = QPainter(self)
        self.style().drawItemText(
            painter, rect, int(self.alignment()), self.palette(), self.isEnabled(), text, QPalette.ColorRole.WindowText
        )


def _scrolling_column(panel: QWidget) -> QVBoxLayout:
    """The column a tab lays its widgets in, inside a vertical scroll area filling `panel`: a
    short dock scrolls the tab rather than squeezing its wrapped text under the pictures."""
    body = QWidget()
    column = QVBoxLayout(body)
    column.setContentsMargins(6, 6, 6, 6)
    scroll = QScrollArea()
    scroll.setObjectName("stepper_tab_scroll")
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    scroll.setWidget(body)
    outer = QVBoxLayout(panel)
    outer.setContentsMargins(0, 0, 0, 0)
    outer.addWidget(scroll)
    return column


def _mono(text: str) -> str:
    return f'<span style="font-family: monospace">{text}</span>'


# -- the tabs -------------------------------------------------------------------------------
class NeuronEquationPanel(QWidget):
    """The selected neuron's z and δ with the actual numbers, its gradients, ∂C/∂W of a
    first-layer neuron as a picture, and a gradient check of one of its parameters."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.title_label = _rich_label(size=12)
        self.z_label = _rich_label()
        self.delta_label = _rich_label()
        self.gradient_label = _rich_label()
        self.pictures = _PictureRow(("input a⁰", "weights w¹ⱼ,ᵢ", "∂C/∂w¹ⱼ,ᵢ = δ¹ⱼ a⁰ᵢ"))
        self.check_param_combo = QComboBox()
        self.check_param_combo.addItem("its strongest-gradient weight", "w")
        self.check_param_combo.addItem("its bias", "b")
        self.check_param_combo.setToolTip("The parameter whose gradient is checked numerically")
        self.check_param_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.check_param_combo.setMinimumContentsLength(10)
        self.check_label = _rich_label()
        check_row = QHBoxLayout()
        check_row.addWidget(QLabel("Gradient check of"))
        check_row.addWidget(self.check_param_combo, 1)
        layout = _scrolling_column(self)
        layout.addWidget(self.title_label)
        layout.addWidget(self.z_label)
        layout.addWidget(self.delta_label)
        layout.addWidget(self.gradient_label)
        layout.addWidget(self.pictures, 1)
        layout.addLayout(check_row)
        layout.addWidget(self.check_label)
        self.last_check = None

    def show_neuron(
        self,
        trace: Trace,
        layer: int,
        j: int,
        first_j: int,
        class_names: Sequence[str],
        input_labels: Sequence[str] = (),
    ) -> None:
        L = trace.n_layers
        k = layer + 1
        output = output_neuron_name(class_names, j, trace.sizes[-1], trace.activation_names[-1], L)
        who = f"output neuron {j} {output}" if k == L else f"layer {k} neuron {j}"
        self.title_label.setText(
            f"<b>{who}</b> — click a cell in the strips (or a neuron in the network) to choose another"
        )
        z = neuron_equation(trace, layer, j, "z", top=EQUATION_TERMS)
        act = trace.activation_names[layer]
        a = trace.activations[k][0, j]
        self.z_label.setText(
            f"<b>Weighted input</b> ({z.n_terms} terms, the {len(z.indices)} largest first):<br>"
            + _mono(format_equation(z, 3, show_rest=True))
            + "<br>"
            + _mono(f"{quantity('a', k, j)} = {_SYMBOL[act]}({quantity('z', k, j)}) = {fmt(a)}")
        )
        d = neuron_equation(trace, layer, j, "delta", top=EQUATION_TERMS)
        where = "from the cost" if d.is_output_delta else f"from layer {k + 1}'s errors"
        self.delta_label.setText(f"<b>Error</b> {where}:<br>" + _mono(format_equation(d, 3, show_rest=True)))
        g = trace.grad_w[layer][j]
        i = int(np.argmax(np.abs(g)))
        a_prev = trace.activations[layer][0, i]
        self.gradient_label.setText(
            "<b>Gradients</b>: "
            + _mono(
                f"∂C/∂{quantity('b', k, j)} = {quantity('δ', k, j)} = {fmt(trace.grad_b[layer][j])}; "
                f"strongest weight ∂C/∂{quantity('w', k, j, i)} = {quantity('δ', k, j)}·{quantity('a', layer, i)} "
                f"= {par(d.value)}·{par(a_prev)} = {fmt(g[i])}"
            )
        )
        self._pictures(trace, first_j, input_labels)

    def _pictures(self, trace: Trace, j1: int, input_labels: Sequence[str] = ()) -> None:
        x = trace.x[0]
        w = trace.weights[0][j1]
        g = trace.grad_w[0][j1]
        point = inputs_are_values(x.size, input_labels)
        self.pictures.set_bars(input_labels if point and len(input_labels) == x.size else None)
        self.pictures.show(0, x, signed=point)
        w_name, d_name = quantity("w", 1, j1, "i"), quantity("δ", 1, j1)
        self.pictures.show(1, w, signed=True, caption=f"weights {w_name} of layer-1 neuron {j1}")
        self.pictures.show(
            2, g, signed=True, caption=f"∂C/∂{w_name} = {d_name}·a⁰ᵢ, {d_name} = {fmt(trace.deltas[0][0, j1])}"
        )
        self.pictures.setToolTip(
            f"∂C/∂{w_name} of layer-1 neuron {j1} is its error {d_name} times the input a⁰ᵢ: "
            + ("an input of 0 gets no gradient.\n" if point else "only lit pixels get a gradient.\n")
            + sign_colours_text(
                "{Positive}: gradient descent will lower that weight; {negative}: raise it. "
                "Click a layer-1 neuron to see another."
            )
        )

    def show_check(self, check) -> None:
        self.last_check = check
        what = f"w[{check.index[0]},{check.index[1]}]" if check.param == "w" else f"b[{check.index[0]}]"
        rel = check.relative_difference
        verdict = (
            "agree"
            if rel < 1e-4 or check.abs_difference < 1e-9
            else "differ (near a ReLU kink the finite difference is the one that is wrong)"
        )
        self.check_label.setText(
            f"layer {check.layer + 1} {what}: backprop "
            + _mono(fmt(check.analytic, 6))
            + " &nbsp; finite difference (C(p+ε) − C(p−ε)) / 2ε, ε = "
            + f"{check.eps:g}: "
            + _mono(fmt(check.numeric, 6))
            + f" &nbsp; relative difference {rel:.1e}: they {verdict}"
        )


class WishesPanel(QWidget):
    """3Blue1Brown's picture: each neuron j of layer l wishes the previous layer's activations
    aˡ⁻¹ᵢ to change by −wˡⱼ,ᵢ·δˡⱼ; the wishes of all neurons add up to the previous layer's desired
    change −∂C/∂aˡ⁻¹. Top: the chosen neuron's wishes; middle: everyone's, one row per
    neuron; bottom: their sum."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.layer_spin = QSpinBox()
        self.layer_spin.setPrefix("layer ")
        self.layer_spin.setToolTip("Whose wishes: the neurons of this layer, for the layer before it")
        self.neuron_combo = QComboBox()
        self.neuron_combo.setToolTip("The neuron whose wishes are drawn on top (highlighted in the middle)")
        self.caption = _rich_label()
        row = QHBoxLayout()
        row.addWidget(QLabel("Wishes of"))
        row.addWidget(self.layer_spin)
        row.addWidget(QLabel("neuron"))
        row.addWidget(self.neuron_combo, 1)
        self.graphics = _CaptionedGraphics()
        # Titles as captions of their own rows: a plot's title does not wrap, and a long one
        # widened the plots past the tab's edge.
        self.titles = [self.graphics.add_caption("", row=r) for r in (0, 2, 4)]
        self.one_plot: pg.PlotItem = self.graphics.addPlot(row=1, col=0)
        self.all_plot: pg.PlotItem = self.graphics.addPlot(row=3, col=0)
        self.sum_plot: pg.PlotItem = self.graphics.addPlot(row=5, col=0)
        for plot in (self.one_plot, self.all_plot, self.sum_plot):
            plot.getAxis("left").setWidth(44)  # equal widths: the linked x axes line up
            plot.setMenuEnabled(False)
            plot.hideButtons()
            plot.setMouseEnabled(False, False)
        self.all_plot.setXLink(self.one_plot)
        self.sum_plot.setXLink(self.one_plot)
        self.one_bars = pg.BarGraphItem(x=[], height=[], width=0.8)
        self.sum_bars = pg.BarGraphItem(x=[], height=[], width=0.8)
        self.one_plot.addItem(self.one_bars)
        self.sum_plot.addItem(self.sum_bars)
        self.all_image = pg.ImageItem(axisOrder="row-major")
        self.all_image.setColorMap(diverging_colormap())
        self.all_plot.addItem(self.all_image)
        self.all_plot.getViewBox().invertY(True)
        self.row_frame = QGraphicsRectItem()
        pen = QPen(PREDICTED, 2.0)
        pen.setCosmetic(True)
        self.row_frame.setPen(pen)
        self.row_frame.setZValue(10)
        self.all_plot.addItem(self.row_frame, ignoreBounds=True)
        for r, stretch in ((1, 1), (3, 3), (5, 1)):
            self.graphics.ci.layout.setRowStretchFactor(r, stretch)
        small = QFont()
        small.setPointSizeF(7.5)
        self.all_plot.getAxis("left").setStyle(tickFont=small)
        self.one_plot.setMinimumHeight(80)
        self.all_plot.setMinimumHeight(150)  # a row per neuron, each with its tick label
        self.sum_plot.setMinimumHeight(80)
        self.graphics.fit_captions()  # at least as tall as three titled plots; a shorter tab scrolls
        layout = _scrolling_column(self)
        layout.addLayout(row)
        layout.addWidget(self.graphics, 1)
        layout.addWidget(self.caption)
        self.last = None  # (NeuronWishes, LayerWishes) drawn

    def show_wishes(
        self, trace: Trace, layer: int, j: int, class_names: Sequence[str], input_labels: Sequence[str] = ()
    ) -> None:
        """Draw the wishes of neuron j of weight layer `layer`; input_labels name a point's
        inputs (x₁, x₂, ...) when the previous layer is the input."""
        L = trace.n_layers
        k = layer + 1
        one = wishes(trace, layer, j, example=0)
        everyone = all_wishes(trace, layer, example=0)
        self.last = (one, everyone)
        n_prev, n_out = trace.sizes[layer], trace.sizes[k]
        x = np.arange(n_prev)
        output = trace.activation_names[-1]
        name = lambda i: output_neuron_name(class_names, i, n_out, output, L) if k == L else str(i)  # noqa: E731
        nudges = one.nudges.astype(np.float64)
        total = everyone.total_nudge.astype(np.float64)
        brush = lambda v: [pg.mkBrush(POSITIVE if t >= 0 else NEGATIVE) for t in v]  # noqa: E731
        self.one_bars.setOpts(x=x, height=nudges, width=0.8, brushes=brush(nudges), pen=None)
        self.sum_bars.setOpts(x=x, height=total, width=0.8, brushes=brush(total), pen=None)
        lim = float(np.max(np.abs(everyone.nudges))) or 1.0
        self.all_image.setImage(everyone.nudges.astype(np.float32), autoLevels=False, levels=(-lim, lim))
        self.all_image.setRect(QRectF(-0.5, -0.5, n_prev, n_out))
        self.row_frame.setRect(QRectF(-0.5, j - 0.5, n_prev, 1.0))
        for plot, values in ((self.one_plot, nudges), (self.sum_plot, total)):
            peak = float(np.max(np.abs(values))) or 1.0
            plot.setYRange(-peak * 1.05, peak * 1.05, padding=0)
        self.one_plot.setXRange(-0.6, n_prev - 0.4, padding=0)
        self.all_plot.setYRange(-0.5, n_out - 0.5, padding=0)
        left = self.all_plot.getAxis("left")
        every = 1 if n_out <= 10 else 5 if n_out <= 50 else 50
        left.setTicks(
            [
                [
                    (i, (quantity("a", L, 0) if n_out == 1 else class_label(class_names, i)) if k == L else str(i))
                    for i in range(0, n_out, every)
                ]
            ]
        )
        point = layer == 0 and inputs_are_values(n_prev, input_labels)
        bottom = self.sum_plot.getAxis("bottom")
        if point and len(input_labels) == n_prev:  # the wishes for a point's named inputs
            names = tuple(input_labels)
            bottom.setTicks([[(i, names[i]) for i in range(n_prev)]])
        else:
            bottom.setTicks(None)
        prev = "the input" if layer == 0 else f"layer {layer}"
        d_j, w_j = quantity("δ", k, j), quantity("w", k, j, "i")
        self.titles[0].setText(
            f"neuron {name(j)} ({d_j} = {fmt(one.delta)}) wishes {quantity('a', layer, 'i')} to change by −{w_j}·{d_j}"
        )
        self.titles[1].setText(
            f"all {n_out} neurons' wishes, one row each " + sign_colours_text("({positive} up, {negative} down)")
        )
        self.titles[2].setText(f"added up: what {prev} should do, −∂C/∂a{_sup(layer)} = −(W{_sup(k)})ᵀδ{_sup(k)}")
        self.graphics.fit_captions()
        top = one.order[:3]
        listed = ", ".join(f"{i} ({fmt(nudges[i])})" for i in top)
        self.caption.setText(
            f"Neuron {name(j)} most wants {prev}'s neurons {listed} to change. "
            + (
                f"Multiplying the sum by σ′(z{_sup(layer)}) gives that layer's δ{_sup(layer)} — the next backward step."
                if layer > 0
                else "The input cannot change, so this sum is only what the "
                + ("point" if point else "image")
                + " 'should' look like."
            )
        )


class MinibatchPanel(QWidget):
    """Per-example gradients of a few parameters and their average, the step gradient
    descent actually takes, for a mini-batch starting with the stepper's example."""

    def __init__(self, batch_spin: QSpinBox, parent: QWidget | None = None):
        super().__init__(parent)
        self.caption = _rich_label()
        size_row = QHBoxLayout()
        size_row.addWidget(QLabel("Mini-batch of"))
        size_row.addWidget(batch_spin)
        size_row.addStretch(1)
        self.table = QTableWidget()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.note = _rich_label()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(size_row)
        layout.addWidget(self.caption)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.note)
        self.last = None  # the MinibatchTable shown

    def show_table(
        self,
        net: Network,
        batch: MiniBatch,
        layer: int,
        params,
        eta: float,
        class_names: Sequence[str],
        training_batch_size: int | None = None,
    ) -> None:
        """The table for `batch` (the traced example first); training_batch_size: the
        trainer's mini-batch size, to say how the table's size compares with it."""
        x, labels = batch.x, batch.labels
        table = minibatch_table(net, x, labels, layer, params)
        self.last = table
        n = x.shape[0]
        heads = [f"{batch.names[0]}\n(target {class_label(class_names, int(labels[0]))})"] + [
            f"{batch.names[e]}\n(label {class_label(class_names, int(labels[e]))})" for e in range(1, n)
        ]
        heads = ["average\n= batch gradient", "step\n−η · average"] + heads  # first: the point of the table
        t = self.table
        t.clear()
        t.setColumnCount(len(heads))
        t.setRowCount(len(table.names))
        t.setHorizontalHeaderLabels(heads)
        t.setVerticalHeaderLabels([f"∂C/∂{name}" for name in table.names])
        for c, head in enumerate(heads):
            t.horizontalHeaderItem(c).setToolTip(head.replace("\n", " "))
        bold = QFont(t.font())
        bold.setBold(True)
        for r in range(len(table.names)):
            values = [table.average[r], -eta * table.average[r]] + list(table.per_example[r])
            for c, v in enumerate(values):
                item = QTableWidgetItem(fmt(v))
                item.setData(Qt.ItemDataRole.UserRole, float(v))
                item.setToolTip(f"{heads[c].splitlines()[0]}: ∂C/∂{table.names[r]} = {float(v)!r}")
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if c < 2:
                    item.setFont(bold)
                    item.setBackground(QBrush(QColor(255, 210, 60, 40)))
                t.setItem(r, c, item)
        others = f", then {n - 1} from {batch.split}" if n > 1 else " alone"
        size = ""
        if training_batch_size is not None:
            size = f" Training averages over mini-batches of {training_batch_size}" + (
                f"; the table shows the first {n}." if training_batch_size > n else ", as here."
            )
        self.caption.setText(
            f"<b>The mini-batch average</b> — layer {layer + 1}: one row per parameter of the selected neuron "
            f"(its {len(table.names) - 1} strongest-gradient weights and its bias), one column per example: "
            f"the traced example first (its column is the gradient you stepped through){others}.{size}"
        )
        self.note.setText(
            "Each example pulls the parameter its own way; gradient descent takes the average "
            f"(checked against Network.backward on the whole batch: largest difference "
            f"{float(np.max(np.abs(table.average - table.batch_gradient))):.1e})."
        )

    def average_column(self) -> np.ndarray:
        """The average column as shown (the floats behind the cells)."""
        return np.array([self.table.item(r, 0).data(Qt.ItemDataRole.UserRole) for r in range(self.table.rowCount())])


class UpdatePanel(QWidget):
    """The update: a first-layer neuron's weight picture before, after and the difference,
    and the cost before and after on the same example."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.cost_label = _rich_label(size=12)
        self.pictures = _PictureRow(("before", "after", "after − before"))
        self.caption = _rich_label()
        layout = _scrolling_column(self)
        layout.addWidget(self.cost_label)
        layout.addWidget(self.pictures, 1)
        layout.addWidget(self.caption)

    def show_update(
        self, trace: Trace, j1: int, target: int, class_names: Sequence[str], input_labels: Sequence[str] = ()
    ) -> None:
        before, after = trace.weights[0][j1], trace.new_weights[0][j1]
        diff = after.astype(np.float64) - before
        lim = float(np.max(np.abs(before))) or 1.0
        point = inputs_are_values(before.size, input_labels)
        self.pictures.set_bars(input_labels if point and len(input_labels) == before.size else None)
        self.pictures.show(
            0, before, signed=True, lim=lim, caption=f"{quantity('w', 1, j1, 'i')} (layer-1 neuron {j1}) before"
        )
        self.pictures.show(1, after, signed=True, lim=lim, caption="after (same colours)")
        self.pictures.show(2, diff, signed=True, caption=f"after − before (±{fmt(np.max(np.abs(diff)))})")
        L = trace.n_layers
        n_out = trace.sizes[-1]
        o = output_neuron_index(target, n_out)
        out_before = trace.activations[L][0, o]
        out_after = trace.array(f"a{L}_after")[0, o]
        change = trace.cost_after - trace.cost_before
        arrow = "lower" if change < 0 else "higher"
        a_out = quantity("a", L, o)
        output = (
            f"output {a_out} ({one_output_rule(trace.activation_names[-1], L)}; "
            f"target class {class_label(class_names, target)})"
            if n_out == 1
            else f"output {a_out} “{class_label(class_names, target)}”"
        )
        self.cost_label.setText(
            f"<b>Cost</b> {fmt(trace.cost_before, 4)} → {fmt(trace.cost_after, 4)} "
            f"({arrow}, {fmt(change, 3)}); {output}: "
            f"{fmt(out_before)} → {fmt(out_after)}"
        )
        settings = (
            f"η = {trace.eta:g}"
            + (f", μ = {trace.momentum:g}" if trace.momentum else "")
            + (f", λ = {trace.lmbda:g}" if trace.lmbda else "")
        )
        self.caption.setText(
            f"One gradient-descent step on this single example ({settings}) nudges every weight against its "
            f"gradient: the difference is −η·∂C/∂{quantity('w', 1, j1, 'i')}, so it is the ∂C/∂{quantity('w', 1, j1, 'i')} "
            + ("bars" if point else "picture")
            + " with the colours swapped."
        )


# -- the stepper ----------------------------------------------------------------------------
class BackpropStepper(QWidget):
    """Walk through one backpropagation step of the chosen example with the real numbers.

    Keys (while the stepper or one of its controls has the focus): → or Page Down next,
    ← or Page Up previous, Home back to the first step, End the last, P play / pause.
    """

    step_changed = Signal(int)  # index into trace.steps
    neuron_selected = Signal(int, int)  # (layer into weights, neuron): chosen in the strips
    layer_highlighted = Signal(object, str)  # (layer or None, direction) for the network view
    trace_changed = Signal()

    def __init__(self, parent: QWidget | None = None, *, session: Session | None = None):
        """session: trace the session's current sample, follow its network and selected
        neuron, and write the example and neuron chosen here back to it. Without one,
        set_source() or show_problem() say what to trace."""
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._session = session
        self._choosing = False  # the stepper itself is writing a sample to the session
        self._stale_sample = False  # the session's sample changed while the stepper was hidden
        self._stale_network = False  # ... or its network
        self._source: StepperSource | None = None
        self._state: NetworkState | None = None
        self._file_state: NetworkState | None = None
        self._example: Example | None = None
        self._batch: MiniBatch | None = None
        self._fixed_batch: tuple[np.ndarray, np.ndarray] | None = None  # given to show_problem
        self._trace: Trace | None = None
        self._index = 0
        self._selected: tuple[int, int] | None = None
        self._first_j = 0  # the first-layer neuron whose pictures are shown
        self._minibatch_dirty = False  # the table waits until its tab is shown
        self._class_names: tuple[str, ...] = ()
        self._features: tuple[str, ...] | None = None  # set_features; None: x₁, x₂, input 3, ...
        self._input_names: tuple[str, ...] | None = None  # set_input_names: a table's columns, ...
        self._input_labels: tuple[str, ...] = ()  # x₁, x₂, ... of a playground point; () for pictures
        self._perceptron_shown = False  # the perceptron's explanation replaces the trace
        self._play_timer = QTimer(self)
        self._play_timer.setInterval(PLAY_INTERVAL_MS)
        self._play_timer.timeout.connect(self._on_play_timeout)
        self._build_controls()
        self._build_body()
        self._build_shortcuts()
        self._show_empty()
        if session is not None:
            self.set_source(SessionStepperSource(session))
            self._sync_example_choice()
            session.sample_changed.connect(self._on_session_sample_changed)
            session.network_replaced.connect(self._on_network_replaced)
            session.neuron_changed.connect(self._on_session_neuron_changed)
            session.dataset_changed.connect(self._on_dataset_changed)
            session.drawing_changed.connect(self.refresh_choices)
            session.moment_changed.connect(self._on_moment_changed)
            if session.looking_back:  # built while the user looks back: trace that moment
                self._on_moment_changed()
            self.set_features(session.features)
            self.set_input_names(session.input_names)

    # -- construction -------------------------------------------------------------------------
    def _build_controls(self) -> None:
        self.example_combo = QComboBox()
        for key, text in EXAMPLE_SOURCES:
            self.example_combo.addItem(text, key)
        self.example_combo.setToolTip(
            "The example to trace: the current sample, a digit you drew, or any test image "
            "(choosing one here shows it in every panel)"
        )
        self.index_spin = QSpinBox()
        self.index_spin.setPrefix("#")
        self.index_spin.setToolTip("Index of the test image")
        self.index_spin.setKeyboardTracking(False)
        self.target_combo = QComboBox()
        self.target_combo.setToolTip("The answer the network should give: the label, or any class you choose")
        self.network_combo = QComboBox()
        for key, text in NETWORK_SOURCES:
            self.network_combo.addItem(text, key)
        self.network_combo.setToolTip(
            "The network state to trace. The live one pauses training first, so "
            "the step shown is exactly the next one training would take."
        )
        self.batch_spin = QSpinBox()
        self.batch_spin.setRange(1, MAX_BATCH)
        self.batch_spin.setValue(DEFAULT_BATCH)
        self.batch_spin.setSuffix(" examples")
        self.batch_spin.setToolTip("Mini-batch size for the averaging table (the trace itself is one example)")
        self.trace_button = QPushButton("Trace again")
        self.trace_button.setToolTip("Read the network and the example again and recompute every step")
        self.trace_button.clicked.connect(self.trace_again)
        self.source_label = _ElidedLabel()
        self.source_label.setStyleSheet(f"color: {MUTED.name()}")

        style = self.style()
        P = QStyle.StandardPixmap

        def button(icon, text, tip, slot):
            b = QToolButton()
            b.setIcon(style.standardIcon(icon))
            b.setText(text)
            b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            b.setToolTip(tip)
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the keys keep stepping
            b.clicked.connect(slot)
            return b

        self.reset_button = button(P.SP_MediaSkipBackward, "Reset", "Back to the first step (Home)", self.first_step)
        self.prev_button = button(P.SP_MediaSeekBackward, "Prev", "Previous step (← or Page Up)", self.previous_step)
        self.play_button = button(P.SP_MediaPlay, "Play", "Walk through the steps (P)", self.toggle_play)
        self.next_button = button(P.SP_MediaSeekForward, "Next", "Next step (→ or Page Down)", self.next_step)
        self.last_button = button(P.SP_MediaSkipForward, "End", "The last step (End)", self.last_step)
        self.step_slider = QSlider(Qt.Orientation.Horizontal)
        self.step_slider.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.step_slider.setToolTip("Drag to jump to any step")
        self.step_slider.valueChanged.connect(self._on_slider_changed)
        self.position_label = QLabel()
        self.position_label.setStyleSheet(f"color: {PREDICTED.darker(130).name()}; font-weight: bold")

        self.example_combo.currentIndexChanged.connect(self._on_example_source_changed)
        self.index_spin.valueChanged.connect(self._on_test_index_changed)
        self.target_combo.currentIndexChanged.connect(self._on_target_changed)
        self.network_combo.currentIndexChanged.connect(self._on_network_source_changed)
        self.batch_spin.valueChanged.connect(self._on_batch_size_changed)

    def _build_body(self) -> None:
        choose = QHBoxLayout()
        for w in (
            QLabel("Example"),
            self.example_combo,
            self.index_spin,
            QLabel("target"),
            self.target_combo,
            QLabel("  Network"),
            self.network_combo,
        ):
            choose.addWidget(w)
        choose.addStretch(1)
        walk = QHBoxLayout()
        for w in (self.reset_button, self.prev_button, self.play_button, self.next_button, self.last_button):
            walk.addWidget(w)
        walk.addWidget(self.step_slider, 1)
        walk.addWidget(self.trace_button)
        self.position_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.source_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

        self.formula_label = QLabel()
        big = self.formula_label.font()
        big.setPointSizeF(FORMULA_POINTS[0])
        self.formula_label.setFont(big)
        self.formula_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.formula_label.setWordWrap(True)
        self.description_label = _rich_label(size=11)
        self.numbers_label = _rich_label(size=12)
        self.numbers_label.setMinimumHeight(self.numbers_label.fontMetrics().lineSpacing() * 2 + 4)
        formula_box = QFrame()
        formula_box.setObjectName("stepper_formula")
        formula_box.setStyleSheet("#stepper_formula { background: palette(base); border-radius: 4px; }")
        column = QVBoxLayout(formula_box)
        column.setContentsMargins(10, 6, 10, 6)
        column.setSpacing(2)
        column.addWidget(self.position_label)
        column.addWidget(self.formula_label)
        column.addWidget(self.description_label)
        column.addWidget(self.numbers_label)

        self.strips = VectorStripsView()
        self.strips.neuron_clicked.connect(self._on_strip_neuron_clicked)
        left = QWidget()
        left_column = QVBoxLayout(left)
        left_column.setContentsMargins(0, 0, 0, 0)
        left_column.addWidget(formula_box)
        left_column.addWidget(self.strips, 1)

        self.neuron_panel = NeuronEquationPanel()
        self.neuron_panel.check_param_combo.currentIndexChanged.connect(self._on_check_param_changed)
        self.wishes_panel = WishesPanel()
        self.wishes_panel.layer_spin.valueChanged.connect(self._on_wishes_layer_changed)
        self.wishes_panel.neuron_combo.currentIndexChanged.connect(self._on_wishes_neuron_changed)
        self.minibatch_panel = MinibatchPanel(self.batch_spin)
        self.update_panel = UpdatePanel()
        self.tabs = QTabWidget()
        self.tabs.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.tabs.addTab(self.neuron_panel, "Neuron")
        self.tabs.addTab(self.wishes_panel, "Wishes")
        self.tabs.addTab(self.minibatch_panel, "Mini-batch")
        self.tabs.addTab(self.update_panel, "Update")
        self.tabs.currentChanged.connect(self._on_tab_changed)
        self.tabs.setMinimumWidth(self.tabs.tabBar().sizeHint().width() + 8)  # every tab's name in sight

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.tabs)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.splitterMoved.connect(self._on_splitter_moved)
        self._splitter_moved = False

        self.message_label = QLabel()
        self.message_label.setWordWrap(True)
        self.message_label.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.message_label.setContentsMargins(12, 24, 12, 12)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        layout.addLayout(choose)
        layout.addWidget(self.source_label)
        layout.addLayout(walk)
        layout.addWidget(self.message_label, 1)  # alone (no trace to show), it takes the space below the controls
        layout.addWidget(self.splitter, 1)

    def _build_shortcuts(self) -> None:
        """Page keys and P only while the focus is in the stepper, so they never clash with
        the window's training keys; ←, →, Home and End are taken over in event()."""
        K = Qt.Key
        for keys, slot in (
            ((K.Key_PageDown,), self.next_step),
            ((K.Key_PageUp,), self.previous_step),
            ((K.Key_P,), self.toggle_play),
        ):
            for key in keys:
                shortcut = QShortcut(QKeySequence(key), self)
                shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
                shortcut.activated.connect(slot)

    def event(self, event) -> bool:
        """←, →, Home and End step while the focus is in the stepper (elsewhere the window's
        → trains one mini-batch, Home and End move along the timeline). Spin boxes and combo
        boxes keep their keys."""
        if (
            event.type() == QEvent.Type.ShortcutOverride
            and event.modifiers() == Qt.KeyboardModifier.NoModifier
            and event.key() in STEPPER_KEYS
        ):
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event) -> None:  # noqa: N802 (Qt name)
        plain = event.modifiers() == Qt.KeyboardModifier.NoModifier
        if plain and event.key() in STEPPER_KEYS:
            {
                Qt.Key.Key_Right: self.next_step,
                Qt.Key.Key_Left: self.previous_step,
                Qt.Key.Key_Home: self.first_step,
                Qt.Key.Key_End: self.last_step,
            }[event.key()]()
        else:
            super().keyPressEvent(event)

    def mousePressEvent(self, event) -> None:  # noqa: N802 (Qt name)
        self.setFocus(Qt.FocusReason.MouseFocusReason)  # a click anywhere gives the keys to the stepper
        super().mousePressEvent(event)

    # -- public API ---------------------------------------------------------------------------
    def set_source(self, source: StepperSource | None) -> None:
        """Where networks and examples come from (the window); call refresh_choices after
        the data set changes."""
        self._source = source
        self.refresh_choices()

    def refresh_choices(self) -> None:
        """Class names, test-image range and whether a drawn digit exists, from the source."""
        if self._source is None:
            return
        self._set_class_names(self._source.class_names())
        n = self._source.n_test()
        self.index_spin.blockSignals(True)  # a narrower range is not the user choosing an image
        self.index_spin.setRange(0, max(n - 1, 0))
        self.index_spin.blockSignals(False)
        drawn_item = self.example_combo.model().item(1)
        if drawn_item is not None:
            drawn_item.setEnabled(self._source.has_drawn_digit())

    def trace_again(self) -> bool:
        """Read the chosen network state and example from the source and trace them."""
        if self._source is None:
            return False
        self.refresh_choices()
        kind = self.network_combo.currentData()
        state = self._file_state if kind == "file" else self._source.network_state(kind)
        if state is None:
            self._show_message("No network to trace yet.")
            return False
        self._state = state
        self._stale_sample = self._stale_network = False
        self._use_training_batch_size()
        return self._load_example()

    def show_problem(
        self,
        state: NetworkState,
        example: Example,
        target: int | None = None,
        batch: tuple[np.ndarray, np.ndarray] | None = None,
        class_names: Sequence[str] | None = None,
    ) -> None:
        """Trace `example` on `state` directly (no source needed). target: the class to
        train towards (default: the example's label); batch: (x, labels) for the
        mini-batch table (default: the example alone, or the source's batch)."""
        k = n_classes(state.net.sizes[-1])
        if class_names is not None:
            self._set_class_names(class_names)
        elif len(self._class_names) != k:
            self._set_class_names([str(i) for i in range(k)])
        self._state, self._example = state, example
        self._set_target(target if target is not None else example.label)
        self._fixed_batch = batch
        self._retrace()

    def set_features(self, features: Sequence[str] | None) -> None:
        """The extra inputs (core.features names) playground networks take after x1, x2,
        to name a point's inputs x₁, x₂, x₁², ...; None: x₁, x₂, input 3, ..."""
        self._features = None if features is None else check_features(features)

    def set_input_names(self, names: Sequence[str] | None) -> None:
        """The inputs' names (session.input_names) when they are values, not a picture's
        pixels, to name them in the strips, sums and bars; None: a picture."""
        self._input_names = None if names is None else tuple(names)

    def input_labels(self) -> tuple[str, ...]:
        """Names of the traced point's inputs (x₁, x₂, ...); () for pictures."""
        return self._input_labels

    def showing_perceptron(self) -> bool:
        """Whether the perceptron's explanation is shown instead of a trace."""
        return self._perceptron_shown

    def message(self) -> str:
        """The text shown above the steps (or instead of them), "" when none."""
        return self.message_label.text() if not self.message_label.isHidden() else ""

    @property
    def trace(self) -> Trace | None:
        return self._trace

    @property
    def state(self) -> NetworkState | None:
        return self._state

    @property
    def example(self) -> Example | None:
        return self._example

    def current_index(self) -> int:
        return self._index

    def current_step(self) -> TraceStep | None:
        return None if self._trace is None else self._trace.steps[self._index]

    def selected_neuron(self) -> tuple[int, int] | None:
        return self._selected

    def target(self) -> int:
        return max(self.target_combo.currentIndex(), 0)

    def is_playing(self) -> bool:
        return self._play_timer.isActive()

    def go_to(self, index: int) -> None:
        """Show step `index` (clamped)."""
        if self._trace is None:
            return
        index = int(np.clip(index, 0, len(self._trace) - 1))
        self._index = index
        self._show_step()
        self.step_changed.emit(index)

    @Slot()
    def next_step(self) -> None:
        self.go_to(self._index + 1)

    @Slot()
    def previous_step(self) -> None:
        self.go_to(self._index - 1)

    @Slot()
    def first_step(self) -> None:
        self.play(False)
        self.go_to(0)

    @Slot()
    def last_step(self) -> None:
        if self._trace is not None:
            self.go_to(len(self._trace) - 1)

    @Slot()
    def toggle_play(self) -> None:
        self.play(not self.is_playing())

    def play(self, on: bool) -> None:
        """Walk one step every PLAY_INTERVAL_MS until the end (from the start if at the end)."""
        if on and self._trace is not None:
            if self._index >= len(self._trace) - 1:
                self.go_to(0)
            self._play_timer.start()
        else:
            self._play_timer.stop()
        playing = self._play_timer.isActive()
        self.play_button.setText("Pause" if playing else "Play")
        self.play_button.setIcon(
            self.style().standardIcon(
                QStyle.StandardPixmap.SP_MediaPause if playing else QStyle.StandardPixmap.SP_MediaPlay
            )
        )

    def select_neuron(self, layer: int, j: int) -> None:
        """Show neuron j of weight layer `layer` everywhere in the stepper (no signal)."""
        if self._trace is None or not 0 <= layer < self._trace.n_layers or not 0 <= j < self._trace.sizes[layer + 1]:
            self._selected = (layer, j)
            return
        self._selected = (layer, j)
        if layer == 0:
            self._first_j = j
            self._show_update()
        self.strips.select_neuron(layer, j)
        self._show_neuron()
        if layer >= 1 or self._trace.n_layers == 1:
            self._set_wishes(layer, j)
        self._show_step()

    def announce_step(self) -> None:
        """Emit layer_highlighted for the current step again (the view was hidden)."""
        step = self.current_step()
        if step is not None:
            self.layer_highlighted.emit(*step_direction(step, self._trace.n_layers))

    def stop(self) -> None:
        """Stop playing (the dock was hidden or the window closes)."""
        self.play(False)

    # -- tracing ------------------------------------------------------------------------------
    def _set_class_names(self, names: Sequence[str]) -> None:
        names = tuple(str(c) for c in names)
        if names == self._class_names:
            return
        self._class_names = names
        keep = self.target_combo.currentIndex()
        self.target_combo.blockSignals(True)
        self.target_combo.clear()
        self.target_combo.addItems([f"{i}: {c}" if c != str(i) else c for i, c in enumerate(names)])
        self.target_combo.setCurrentIndex(min(max(keep, 0), len(names) - 1))
        self.target_combo.blockSignals(False)

    def _set_target(self, target: int | None) -> None:
        if target is None:  # an unlabelled drawing: train towards what the network says
            target = self._predicted_class()
        self.target_combo.blockSignals(True)
        self.target_combo.setCurrentIndex(int(target))
        self.target_combo.blockSignals(False)

    def _predicted_class(self) -> int:
        """The class the network gives the example (argmax, or a single output's threshold)."""
        if self._state is None or self._example is None or self._example.x.size != self._state.net.sizes[0]:
            return 0
        net = self._state.net
        return int(predict_classes(net, net.forward(self._example.x[None, :]))[0])

    def _use_training_batch_size(self) -> None:
        """Size the mini-batch table like the trainer's mini-batches (at most MAX_BATCH)."""
        size = self._source.batch_size() if self._source is not None else None
        if size is not None:
            self.batch_spin.blockSignals(True)
            self.batch_spin.setValue(min(max(size, 1), MAX_BATCH))
            self.batch_spin.blockSignals(False)

    def _sync_example_choice(self) -> None:
        """Show the session's current sample in the example chooser (a test image and its
        index, the drawn digit, or another current sample), without choosing anything."""
        sample = self._session.sample
        kind = {"test": "test", "drawing": "drawn"}.get(sample.source, "current") if sample is not None else "current"
        self.example_combo.blockSignals(True)
        self.index_spin.blockSignals(True)
        self.example_combo.setCurrentIndex(self.example_combo.findData(kind))
        if sample is not None and sample.index is not None:
            self.index_spin.setValue(sample.index)
        self.index_spin.setEnabled(kind == "test")
        self.index_spin.blockSignals(False)
        self.example_combo.blockSignals(False)

    def _choose_in_session(self) -> bool:
        """Make the example chosen in the stepper the session's current sample, so every
        panel shows it; False (with a message) when there is none to choose."""
        kind = self.example_combo.currentData()
        self._choosing = True
        try:
            if kind == "test":
                chosen = self._session.choose_test_sample(self.index_spin.value())
            elif kind == "drawn":
                chosen = self._session.drawing is not None
                if chosen:
                    self._session.use_drawing()
            else:
                chosen = self._session.sample is not None
        finally:
            self._choosing = False
        if not chosen:
            self._show_message(
                "No digit has been drawn yet: draw one, or choose another example."
                if kind == "drawn"
                else "No example to trace."
            )
        return chosen

    def _example_chosen(self) -> None:
        """The user chose an example in the stepper: through the session when there is one,
        then traced on the network state already read."""
        self.index_spin.setEnabled(self.example_combo.currentData() == "test")
        if self._session is not None and not self._choose_in_session():
            return
        if self._source is not None and self._state is not None:
            self._load_example()

    def _load_example(self) -> bool:
        kind = self.example_combo.currentData()
        self.index_spin.setEnabled(kind == "test")
        example = self._source.example(kind, self.index_spin.value())
        if example is None:
            self._show_message(
                "No digit has been drawn yet: draw one, or choose another example."
                if kind == "drawn"
                else "No example to trace."
            )
            return False
        self._example = example
        self._fixed_batch = None
        self._set_target(example.label)
        self._retrace()
        return True

    def _retrace(self) -> None:
        state, example = self._state, self._example
        if state is None or example is None:
            return
        if example.x.size != state.net.sizes[0]:
            self._show_message(
                f"The example has {example.x.size} values but the network expects {state.net.sizes[0]} inputs."
            )
            return
        old = self._trace
        target = self.target()
        self._batch = self._mini_batch(target)
        n_in = state.net.sizes[0]
        names = self._input_names
        self._input_labels = input_labels(n_in, self._features, names) if inputs_are_values(n_in, names) else ()
        if state.net.activations[-1] == "step":
            self._show_perceptron(state, example, target)
            return
        try:
            self._trace = trace_backprop(
                state.net,
                example.x[None, :],
                np.array([target]),
                state.eta,
                state.momentum,
                state.lmbda,
                state.velocity_w,
                state.velocity_b,
            )
        except ValueError as err:  # a network the core cannot trace: say why
            self._trace = None
            self._show_message(str(err))
            return
        t = self._trace
        self._perceptron_shown = False
        self.message_label.hide()
        self.splitter.show()
        for w in (
            self.prev_button,
            self.next_button,
            self.play_button,
            self.reset_button,
            self.last_button,
            self.step_slider,
        ):
            w.setEnabled(True)
        self.step_slider.blockSignals(True)
        self.step_slider.setRange(0, len(t) - 1)
        self.step_slider.blockSignals(False)
        label = "no label" if example.label is None else f"label {class_label(self._class_names, example.label)}"
        self.source_label.setText(
            f"Tracing {example.description} ({label}, training it towards "
            f"“{class_label(self._class_names, target)}”) on {state.description or 'the given network'}: "
            f"{'-'.join(map(str, t.sizes))}, {', '.join(t.activation_names)}, {t.cost_name} cost, "
            f"η = {state.eta:g}"
            + (f", μ = {state.momentum:g}" if state.momentum else "")
            + (f", λ = {state.lmbda:g}" if state.lmbda else "")
        )
        self.strips.set_trace(t, self._class_names, self._input_labels)
        same_arch = old is not None and old.sizes == t.sizes and old.names == t.names
        out_j = output_neuron_index(target, t.sizes[-1])
        if not same_arch or self._selected is None or not self._valid(self._selected):
            self._selected = (t.n_layers - 1, out_j)
            self._first_j = int(np.argmax(np.abs(t.deltas[0][0])))
        chosen = self._session.neuron if self._session is not None else None
        if chosen is not None and self._valid(chosen):  # the neuron every panel shows
            self._selected = chosen
            if chosen[0] == 0:
                self._first_j = chosen[1]
        self.wishes_panel.layer_spin.blockSignals(True)
        self.wishes_panel.layer_spin.setRange(1, t.n_layers)
        self.wishes_panel.layer_spin.blockSignals(False)
        layer, j = self._selected
        self.strips.select_neuron(layer, j)
        self._show_neuron()
        wl, wj = (layer, j) if layer >= 1 or t.n_layers == 1 else (t.n_layers - 1, out_j)
        self._set_wishes(wl, wj)
        self._show_update()
        self.go_to(self._index if same_arch else 0)
        self.trace_changed.emit()

    def _valid(self, sel) -> bool:
        layer, j = sel
        t = self._trace
        return 0 <= layer < t.n_layers and 0 <= j < t.sizes[layer + 1]

    def _mini_batch(self, target: int) -> MiniBatch:
        n = self.batch_spin.value()
        example = self._example
        fixed = self._fixed_batch
        if fixed is not None:
            x, labels = fixed
            x = np.asarray(x, np.float32)[:n]
            labels = np.asarray(labels, np.int64)[:n].copy()
            names = (example.description,) + tuple(f"example {e + 1}" for e in range(1, len(x)))
            return MiniBatch(x, labels, names, "the examples given with it")
        if self._source is not None:
            return self._source.mini_batch(example, target, n)
        return MiniBatch(
            example.x[None, :].astype(np.float32), np.array([target], np.int64), (example.description,), ""
        )

    # -- showing ------------------------------------------------------------------------------
    def _show_perceptron(self, state: NetworkState, example: Example, target: int) -> None:
        """A step output has no gradient: explain the perceptron rule with this example's numbers."""
        self.play(False)
        self._trace = None
        self._perceptron_shown = True
        self.source_label.setText(
            f"{example.description} (target class {class_label(self._class_names, target)}) on "
            f"{state.description or 'the given network'}: a perceptron, {'-'.join(map(str, state.net.sizes))}, "
            f"step output"
        )
        self._show_message(perceptron_text(state.net, example.x, target, state.eta, self._input_labels))

    def _show_empty(self) -> None:
        self._show_message(
            "Choose an example and a network, then press “Trace again”; or open this panel "
            "from the Backprop menu (Ctrl+B)."
        )

    def _show_message(self, text: str) -> None:
        self.message_label.setText(text)
        self.message_label.show()
        if self._trace is None:
            self.splitter.hide()
            for w in (
                self.prev_button,
                self.next_button,
                self.play_button,
                self.reset_button,
                self.last_button,
                self.step_slider,
            ):
                w.setEnabled(False)
            self.position_label.setText("")

    def _show_step(self) -> None:
        """Everything that depends on the step (cheap: no arrays are computed here)."""
        t = self._trace
        if t is None:
            return
        step = t.steps[self._index]
        L = t.n_layers
        known = {s.name for s in t.steps[: self._index + 1] if s.phase in ("forward", "backward")}
        current, reads = result_strips(step, L)
        self.strips.show_known(known, current, reads)
        self.step_slider.blockSignals(True)
        self.step_slider.setValue(self._index)
        self.step_slider.blockSignals(False)
        layer, direction = step_direction(step, L)
        where = "" if step.layer is None else f" · layer {step.layer + 1}"
        arrow = {"forward": " → left to right", "backward": " ← right to left"}.get(direction, "")
        self.position_label.setText(f"Step {self._index + 1} of {len(t)} · {step.phase}{where}{arrow}")
        self.formula_label.setText(step.formula)
        self.description_label.setText(step.description[:1].upper() + step.description[1:] + ".")
        self.numbers_label.setText(self._step_numbers(step))
        if self.tabs.currentWidget() in (self.neuron_panel, self.update_panel):
            self.tabs.setCurrentWidget(self.update_panel if step.phase == "update" else self.neuron_panel)
        self.layer_highlighted.emit(layer, direction)

    def _focus_neuron(self, layer: int, values: np.ndarray) -> tuple[int, str]:
        """The neuron whose numbers a step shows: the selected one if it is in this layer,
        else the largest |value|."""
        if self._selected is not None and self._selected[0] == layer:
            return self._selected[1], "the selected neuron"
        return int(np.argmax(np.abs(values))), "the largest; click a neuron to choose"

    def _step_numbers(self, step: TraceStep) -> str:
        t = self._trace
        L = t.n_layers
        name = step.name
        q = quantity
        if step.phase in ("forward", "backward"):
            l = step.layer
            k = l + 1
            j, why = self._focus_neuron(l, step.result[0])
            if name.startswith("z"):
                text = format_equation(neuron_equation(t, l, j, "z", top=3), 3, show_rest=True)
            elif name.startswith("a"):
                z, a = t.zs[l][0, j], t.activations[k][0, j]
                act = t.activation_names[l]
                if act == "softmax":
                    total = float(np.exp(t.zs[l][0] - t.zs[l][0].max()).sum())
                    text = (
                        f"{q('a', k, j)} = e^({q('z', k, j)}) / Σₖ e^({q('z', k, 'k')}) "
                        f"= e^({fmt(z - t.zs[l][0].max())}) / {fmt(total)} = {fmt(a)}   (z{_sup(k)} shifted by its max)"
                    )
                else:
                    text = f"{q('a', k, j)} = {_SYMBOL[act]}({q('z', k, j)}) = {_SYMBOL[act]}({fmt(z)}) = {fmt(a)}"
            else:
                text = format_equation(neuron_equation(t, l, j, "delta", top=3), 3, show_rest=True)
            return _mono(text) + f' <span style="color:{MUTED.name()}">(neuron {j}: {why})</span>'
        if step.phase == "cost":
            y = self.target()
            a = t.activations[L][0]
            if a.size == 1:
                return self._one_output_cost(float(a[0]), y)
            p = int(np.argmax(a))
            a_y = q("a", L, y)
            if t.cost_name == "cross-entropy" and t.activation_names[-1] == "softmax":
                text = f"C = −ln {a_y} = −ln({fmt(a[y])}) = {fmt(t.cost_before, 4)}"
            elif t.cost_name == "cross-entropy":
                text = f"C = {fmt(t.cost_before, 4)}   (the target neuron {y} gives −ln {a_y} = −ln({fmt(a[y])}))"
            else:
                text = (
                    f"C = ½ Σⱼ (yⱼ − {q('a', L, 'j')})² = {fmt(t.cost_before, 4)}   (target {y}: {a_y} = {fmt(a[y])})"
                )
            verdict = "right" if p == y else "wrong"
            return _mono(text) + (f" — the network says “{class_label(self._class_names, p)}” ({fmt(a[p])}): {verdict}")
        if step.phase == "gradient":
            l = step.layer
            k = l + 1
            j, why = self._focus_neuron(l, t.deltas[l][0])
            d = t.deltas[l][0, j]
            if name.startswith("grad_w"):
                g = t.grad_w[l][j]
                i = int(np.argmax(np.abs(g)))
                text = (
                    f"∂C/∂{q('w', k, j, i)} = {q('δ', k, j)} · {q('a', l, i)} "
                    f"= {par(d)} · {par(t.activations[l][0, i])} = {fmt(g[i])}"
                )
                why += f"; input {i} has its largest weight gradient"
            else:
                text = f"∂C/∂{q('b', k, j)} = {q('δ', k, j)} = {fmt(d)}"
            return _mono(text) + f' <span style="color:{MUTED.name()}">(neuron {j}: {why})</span>'
        if name == "C_after":
            change = t.cost_after - t.cost_before
            return _mono(f"C: {fmt(t.cost_before, 4)} → {fmt(t.cost_after, 4)}  ({fmt(change, 3)})")
        # update and velocity steps
        l = step.layer
        k = l + 1
        j, why = self._focus_neuron(l, t.deltas[l][0])
        kind = "w" if name.endswith(f"w{k}") else "b"
        grads = t.grad_w[l][j] if kind == "w" else t.grad_b[l]
        i = int(np.argmax(np.abs(grads))) if kind == "w" else j
        idx = (j, i) if kind == "w" else (j,)
        label = q("w", k, j, i) if kind == "w" else q("b", k, j)
        old = (t.weights if kind == "w" else t.biases)[l][idx]
        new = (t.new_weights if kind == "w" else t.new_biases)[l][idx]
        g = (t.grad_w if kind == "w" else t.grad_b)[l][idx]
        if name.startswith("velocity"):
            v_old = step.inputs[f"velocity_{kind}{k}_before"][idx]
            v = step.result[idx]
            text = f"v ← μv − η·∂C/∂{label} = {fmt(t.momentum)}·{par(v_old)} − {fmt(t.eta)}·{par(g)} = {fmt(v)}"
        elif t.momentum:
            text = f"{label} ← {label} + v = {fmt(old, 4)} + {fmt(new - old)} = {fmt(new, 4)}"
        elif kind == "w" and t.lmbda:
            text = (
                f"{label} ← {label} − η(∂C/∂{label} + λ{label}) = {fmt(old, 4)} − {fmt(t.eta)}·({fmt(g)} + "
                f"{fmt(t.lmbda)}·{par(old)}) = {fmt(new, 4)}"
            )
        else:
            text = f"{label} ← {label} − η·∂C/∂{label} = {fmt(old, 4)} − {fmt(t.eta)}·{par(g)} = {fmt(new, 4)}"
        return _mono(text) + f' <span style="color:{MUTED.name()}">(neuron {j}: {why})</span>'

    def _one_output_cost(self, a: float, target: int) -> str:
        """The cost of the single output aᴸ₀ against its target y (0/1, or −1/+1 for tanh)."""
        t = self._trace
        output = t.activation_names[-1]
        a_out = quantity("a", t.n_layers, 0)
        y = binary_targets(output)[1 if target == 1 else 0]
        if t.cost_name == "cross-entropy":
            term = f"−ln {a_out} = −ln({fmt(a)})" if target == 1 else f"−ln(1 − {a_out}) = −ln(1 − {fmt(a)})"
            text = f"C = −[y ln {a_out} + (1 − y) ln(1 − {a_out})] = {term} = {fmt(t.cost_before, 4)}   (y = {y:g})"
        else:
            text = f"C = ½ (y − {a_out})² = ½ ({y:g} − {par(a)})² = {fmt(t.cost_before, 4)}".replace("-", "−")
        p = int(a > decision_threshold(output))
        verdict = "right" if p == target else "wrong"
        return _mono(text) + (
            f" — the network says class “{class_label(self._class_names, p)}” "
            f"({a_out} = {fmt(a)}, {one_output_rule(output, t.n_layers)}): {verdict}"
        )

    def _show_neuron(self) -> None:
        """The Neuron tab and the mini-batch table for the selection (not per step)."""
        t, _state = self._trace, self._state
        layer, j = self._selected
        self.neuron_panel.show_neuron(t, layer, j, self._first_j, self._class_names, self._input_labels)
        self._run_check()
        self._minibatch_dirty = True
        if self.tabs.currentWidget() is self.minibatch_panel:
            self._show_minibatch()

    def _show_minibatch(self) -> None:
        """The averaging table (only while its tab is shown: it runs backprop on the whole
        mini-batch, ~0.1 s for 784-512-512-10)."""
        t, state = self._trace, self._state
        if t is None or self._selected is None:
            return
        self._minibatch_dirty = False
        layer, j = self._selected
        g = t.grad_w[layer][j]
        top = np.argsort(-np.abs(g), kind="stable")[: min(TABLE_WEIGHTS, g.size)]
        params = [(j, int(i)) for i in top] + [j]
        training_batch_size = self._source.batch_size() if self._source is not None else None
        self.minibatch_panel.show_table(
            state.net, self._batch, layer, params, state.eta, self._class_names, training_batch_size
        )

    def _run_check(self) -> None:
        t, state = self._trace, self._state
        layer, j = self._selected
        param = self.neuron_panel.check_param_combo.currentData()
        if param == "w":
            i = int(np.argmax(np.abs(t.grad_w[layer][j])))
            check = gradient_check(state.net, t.x, t.labels, layer, j, i, "w")
        else:
            check = gradient_check(state.net, t.x, t.labels, layer, j, None, "b")
        self.neuron_panel.show_check(check)

    def _set_wishes(self, layer: int, j: int) -> None:
        t = self._trace
        panel = self.wishes_panel
        k = layer + 1
        panel.layer_spin.blockSignals(True)
        panel.layer_spin.setValue(k)
        panel.layer_spin.blockSignals(False)
        panel.neuron_combo.blockSignals(True)
        panel.neuron_combo.clear()
        n = t.sizes[k]
        output = t.activation_names[-1]
        panel.neuron_combo.addItems(
            [
                f"{i} {output_neuron_name(self._class_names, i, n, output, t.n_layers)}" if k == t.n_layers else str(i)
                for i in range(n)
            ]
        )
        panel.neuron_combo.setCurrentIndex(j)
        panel.neuron_combo.blockSignals(False)
        panel.show_wishes(t, layer, j, self._class_names, self._input_labels)

    def _show_update(self) -> None:
        self.update_panel.show_update(self._trace, self._first_j, self.target(), self._class_names, self._input_labels)

    # -- handlers -----------------------------------------------------------------------------
    @Slot(int)
    def _on_tab_changed(self, _index: int) -> None:
        if self.tabs.currentWidget() is self.minibatch_panel and self._minibatch_dirty:
            self._show_minibatch()

    @Slot(int)
    def _on_slider_changed(self, value: int) -> None:
        self.go_to(value)

    @Slot()
    def _on_play_timeout(self) -> None:
        if self._trace is None or self._index >= len(self._trace) - 1:
            self.play(False)
            return
        self.next_step()
        if self._index >= len(self._trace) - 1:
            self.play(False)

    @Slot(int, int)
    def _on_strip_neuron_clicked(self, layer: int, j: int) -> None:
        self.select_neuron(layer, j)
        if self._session is not None:
            self._session.select_neuron(layer, j)
        self.neuron_selected.emit(layer, j)

    @Slot(int)
    def _on_example_source_changed(self, _index: int) -> None:
        self._example_chosen()

    @Slot(int)
    def _on_test_index_changed(self, _value: int) -> None:
        if self.example_combo.currentData() == "test":
            self._example_chosen()

    @Slot()
    def _on_session_sample_changed(self) -> None:
        self._sync_example_choice()
        if self._choosing or self._state is None:
            return  # the stepper's own choice is traced by _example_chosen
        if self.isVisible():
            self._load_example()
        else:
            self._stale_sample = True

    @Slot()
    def _on_network_replaced(self) -> None:
        self.refresh_choices()
        if self.network_combo.currentData() == "file":
            return  # a model file's network is not the session's
        if self.isVisible():
            self.trace_again()
        else:
            self._stale_network = True

    @Slot()
    def _on_moment_changed(self) -> None:
        """Going back along the timeline traces that moment's network (the live one would
        pause training and show the present)."""
        if self.network_combo.currentData() == "file":
            return  # a model file's network is not the session's
        if self._session.looking_back and self.network_combo.currentData() != "snapshot":
            self.network_combo.blockSignals(True)
            self.network_combo.setCurrentIndex(self.network_combo.findData("snapshot"))
            self.network_combo.blockSignals(False)
        if self._state is None:
            return
        if self.isVisible():
            self.trace_again()
        else:
            self._stale_network = True

    @Slot()
    def _on_dataset_changed(self) -> None:
        self.set_features(self._session.features)
        self.set_input_names(self._session.input_names)
        self.refresh_choices()

    @Slot()
    def _on_session_neuron_changed(self) -> None:
        neuron = self._session.neuron
        if neuron is not None and neuron != self._selected:
            self.select_neuron(*neuron)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        super().resizeEvent(event)
        points = FORMULA_POINTS[1] if self.height() < SHORT_STEPPER else FORMULA_POINTS[0]
        if self.formula_label.font().pointSizeF() != points:
            font = self.formula_label.font()
            font.setPointSizeF(points)
            self.formula_label.setFont(font)
        if not self._splitter_moved:  # the tabs' share until the user drags the handle
            width = self.splitter.width()
            self.splitter.setSizes([round(width * TABS_SHARE[0]), round(width * TABS_SHARE[1])])

    @Slot(int, int)
    def _on_splitter_moved(self, _pos: int, _index: int) -> None:
        self._splitter_moved = True

    def showEvent(self, event) -> None:  # noqa: N802 (Qt name)
        """Catch up with what the session did while the stepper was hidden."""
        super().showEvent(event)
        if self._stale_network and self._state is not None:
            self.trace_again()
        elif self._stale_sample and self._state is not None:
            self._stale_sample = False
            self._load_example()

    @Slot(int)
    def _on_target_changed(self, _index: int) -> None:
        self._retrace()

    @Slot(int)
    def _on_network_source_changed(self, _index: int) -> None:
        if self.network_combo.currentData() == "file":
            path = self._ask_model_path()
            if not path:
                self.network_combo.blockSignals(True)
                self.network_combo.setCurrentIndex(0 if self._file_state is None else 2)
                self.network_combo.blockSignals(False)
                return
            if not self.open_model(path):
                return
        if self._source is not None:
            self.trace_again()

    def open_model(self, path) -> bool:
        """Trace a model file's network (the window's training is not touched)."""
        try:
            net = load_model(path)
        except ModelFileError as err:
            self._show_message(str(err))
            return False
        info = net.info if isinstance(net.info, dict) else {}
        training = info.get("training") if isinstance(info.get("training"), dict) else {}
        eta = float(training.get("eta", self._state.eta if self._state else 0.5))
        self._file_state = NetworkState(
            net,
            eta if eta > 0 else 0.5,
            0.0,
            float(training.get("lmbda", 0.0)),
            description=f"the model file {Path(path).name}",
        )
        self.network_combo.blockSignals(True)
        self.network_combo.setCurrentIndex(2)
        self.network_combo.blockSignals(False)
        return True

    @Slot(int)
    def _on_batch_size_changed(self, _value: int) -> None:
        if self._trace is not None:
            self._batch = self._mini_batch(self.target())
            self._show_neuron()

    @Slot(int)
    def _on_check_param_changed(self, _index: int) -> None:
        if self._trace is not None and self._selected is not None:
            self._run_check()

    @Slot(int)
    def _on_wishes_layer_changed(self, k: int) -> None:
        if self._trace is not None:
            j = min(self.wishes_panel.neuron_combo.currentIndex(), self._trace.sizes[k] - 1)
            self._set_wishes(k - 1, max(j, 0))

    @Slot(int)
    def _on_wishes_neuron_changed(self, j: int) -> None:
        if self._trace is not None and j >= 0:
            self.wishes_panel.show_wishes(
                self._trace, self.wishes_panel.layer_spin.value() - 1, j, self._class_names, self._input_labels
            )

    def _ask_model_path(self) -> str | None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Trace a model file", "", "Models (*.safetensors *.json);;All files (*)"
        )
        return path or None
