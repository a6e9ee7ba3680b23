"""The network as 3Blue1Brown draws it: the input picture on the left, a column of neurons
per layer lit by their activation for the current sample, the strongest connections in
red (positive weight) and blue (negative), and the output neurons named by class."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPoint, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem, QGraphicsRectItem, QVBoxLayout, QWidget

from visnet.app.colors import (
    MUTED,
    NEGATIVE,
    POSITIVE,
    PREDICTED,
    SELECTED,
    TRUE_LABEL,
    class_label,
    diverging_colormap,
    gray_colormap,
    image_side,
    percent,
    shade,
    shade_brushes,
    shade_index,
    shading_mode,
    with_article,
)
from visnet.app.stable import add_caption
from visnet.core.activations import get_activation
from visnet.core.network import ForwardCache
from visnet.core.snapshot import Snapshot

HEIGHT = 10.0  # view units available to a column of neurons
IMAGE_SIZE = 5.0  # side of the input picture
TARGET_WIDTH = 21.0  # the column gap shrinks (within limits) so deep nets still fit
COLUMN_GAP = (1.8, 3.4)  # smallest and largest gap between neighbouring columns
MAX_CIRCLES = 128  # larger layers are drawn as a dense image of square cells
GRID_MAX_WIDTH = 2.4  # widest a block of neurons may get
MIN_CELL = 0.5  # add neuron columns to a block until cells are at least this big
MAX_CELL = 0.8
MAX_OUTPUT_LABELS = 40
CONNECTIONS_INTERVAL_S = 0.25  # while training, the lines are re-chosen at most this often
TOP_CONNECTIONS = 100  # per layer pair, strongest |w| first (fewer for small pairs)
TOP_INPUT_CONNECTIONS = 48  # input pixel -> first layer, strongest |w x| for this sample
INPUT_LINES_PER_NEURON = 3  # so a few busy neurons do not take every input line
STRENGTH_BINS = ((0.0, 1.0, 60), (0.4, 1.5, 120), (0.7, 2.5, 210))  # (from |w|/max, pen width, alpha)


@dataclass
class _Column:
    """One layer's drawing. k = 0 is the input; k = l + 1 draws weights[l]'s neurons."""

    k: int
    n: int
    kind: str  # "image", "circles" or "grid"
    positions: np.ndarray  # (n, 2) neuron (or pixel) centres in view coordinates
    cell: float  # circle diameter or square side
    rect: QRectF  # what the column covers
    mode: str = "unit"  # shading mode, see colors.shade
    stride: int = 1  # the picture's side, or neurons per column of a block
    item: object = None  # ScatterPlotItem or ImageItem
    heading: pg.TextItem | None = None
    title: str = ""


@dataclass
class _Connections:
    """The line items of one layer pair: one curve per (sign, strength bin)."""

    curves: dict = field(default_factory=dict)  # (sign, bin) -> PlotCurveItem


class NetworkView(QWidget):
    """Layers as columns of neurons shaded by their activation for the current sample.

    Items are created once per architecture; each frame only changes brushes, image data
    and line data, so a 784-512-512-10 network redraws in a few milliseconds.
    """

    neuron_selected = Signal(int, int)  # (layer l into weights, neuron j)

    HINT = "Hover a neuron for its z, a and bias; click to select it; wheel zooms, double click resets."

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._snapshot: Snapshot | None = None
        self._arch: tuple | None = None
        self._columns: list[_Column] = []
        self._connections: list[_Connections] = []
        self._output_labels: list[pg.TextItem] = []
        self._items: list = []  # every per-architecture item, removed on rebuild
        self._x: np.ndarray | None = None
        self._label: int | None = None
        self._class_names: tuple[str, ...] = ()
        self._cache: ForwardCache | None = None
        self._predicted: int | None = None
        self._selected: tuple[int, int] | None = None  # (k, j)
        self._pair_key: tuple | None = None  # (first weights, sample) the lines were drawn for
        self._pair_time = 0.0
        self._gray = shade_brushes(gray_colormap())
        self._diverging = shade_brushes(diverging_colormap())

        self._graphics = pg.GraphicsLayoutWidget()
        self._caption: pg.LabelItem = add_caption(self._graphics, "No network yet.", row=0, col=0, size="13pt")
        self._view: pg.ViewBox = self._graphics.addViewBox(row=1, col=0)
        self._view.setAspectLocked(True)
        self._view.invertY(True)  # neuron 0 at the top, like the class list of the sample panel
        # Wheel zoom and drag pan help with 512-neuron layers; a double click goes back. The
        # menu's "View All" would fit only the input picture (other items ignore bounds).
        self._view.setMenuEnabled(False)
        self._home = QRectF()
        self._info: pg.LabelItem = self._graphics.addLabel(self.HINT, row=2, col=0, size="9pt", color=MUTED)
        self._graphics.ci.layout.setRowStretchFactor(1, 1)

        self._input_image = pg.ImageItem(axisOrder="row-major")
        self._input_image.setColorMap(gray_colormap())
        self._input_image.setZValue(5)  # above the input lines: they leave from under the digit
        self._view.addItem(self._input_image)
        self._selection_ring = self._ring(SELECTED, 2.5, Qt.PenStyle.DotLine)
        self._predicted_ring = self._ring(PREDICTED, 3.0)
        self._true_ring = self._ring(TRUE_LABEL, 2.0)
        # -- backprop stepper (issue 5): the layer being computed and the direction --------
        self._highlight: tuple[int, str] | None = None
        self._highlight_frame = QGraphicsRectItem()
        frame_pen = QPen(PREDICTED, 2.0)
        frame_pen.setCosmetic(True)
        self._highlight_frame.setPen(frame_pen)
        self._highlight_frame.setBrush(QColor(255, 210, 60, 28))
        self._highlight_frame.setZValue(1)
        self._highlight_frame.hide()
        self._view.addItem(self._highlight_frame, ignoreBounds=True)
        self._highlight_arrow = pg.TextItem("", color=PREDICTED, anchor=(0.5, 0.0), fill=(20, 20, 24, 200))
        arrow_font = QFont()
        arrow_font.setPointSizeF(12)
        arrow_font.setBold(True)
        self._highlight_arrow.setFont(arrow_font)
        self._highlight_arrow.setZValue(16)
        self._highlight_arrow.hide()
        self._view.addItem(self._highlight_arrow, ignoreBounds=True)
        # -- end backprop stepper --------------------------------------------------------------

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._graphics)

        scene = self._graphics.scene()
        scene.sigMouseMoved.connect(self._on_mouse_moved)
        scene.sigMouseClicked.connect(self._on_mouse_clicked)

    def _ring(self, color: QColor, width: float, style=Qt.PenStyle.SolidLine) -> QGraphicsPathItem:
        ring = QGraphicsPathItem()
        pen = QPen(color, width, style)
        pen.setCosmetic(True)
        ring.setPen(pen)
        ring.setZValue(20)
        ring.hide()
        self._view.addItem(ring, ignoreBounds=True)
        return ring

    # -- public API -------------------------------------------------------------------------
    def show_snapshot(self, snap: Snapshot) -> None:
        """Draw the network of this snapshot for the current sample."""
        arch = (tuple(snap.sizes), tuple(snap.activations))
        if arch != self._arch:
            self._build(snap)
        self._snapshot = snap
        self._update()

    def set_sample(self, x: np.ndarray, label: int | None, class_names: Sequence[str]) -> None:
        """The input to show: x (n_inputs,) in [0, 1], its true class (or None) and the class names."""
        self._x = np.asarray(x, dtype=np.float32).ravel()
        self._label = None if label is None else int(label)
        names = tuple(str(c) for c in class_names)
        if names != self._class_names:
            self._class_names = names
            self._update_output_label_names()
        self._update()

    def reset(self) -> None:
        """Forget the network (a new one comes with the next snapshot); keep the sample."""
        self._snapshot = None
        self._cache = None
        self._selected = None
        self._pair_key = None
        self._clear_items()
        self._arch = None
        self._update()

    def select_neuron(self, layer: int, index: int) -> None:
        """Outline neuron `index` of weights layer `layer` (selected elsewhere); no signal."""
        self._selected = (layer + 1, index)
        self._update_rings()

    # -- backprop stepper (issue 5) ---------------------------------------------------------
    def highlight_layer(self, layer: int | None, direction: str = "forward") -> None:
        """Frame the column of weight layer `layer` (0-based; the stepper's current step)
        with an arrow for the direction: "forward" (→, left to right), "backward" (←,
        right to left) or any other word ("cost", "update") shown as it is. None clears it."""
        self._highlight = None if layer is None else (int(layer), str(direction))
        self._update_highlight()

    def highlighted_layer(self) -> tuple[int, str] | None:
        """(layer, direction) framed now, or None."""
        return self._highlight

    def _update_highlight(self) -> None:
        target = self._highlight
        k = None if target is None else target[0] + 1
        if k is None or not 0 < k < len(self._columns):
            self._highlight_frame.hide()
            self._highlight_arrow.hide()
            return
        rect = self._columns[k].rect.adjusted(-0.3, -0.3, 0.3, 0.3)
        self._highlight_frame.setRect(rect)
        self._highlight_frame.show()
        direction = target[1]
        text = {"forward": "→ forward", "backward": "← backward"}.get(direction, direction)
        self._highlight_arrow.setText(text)
        # Below the column, but inside the view even for a full-height 512-neuron block.
        self._highlight_arrow.setPos(rect.center().x(), min(rect.bottom() + 0.1, HEIGHT - 0.6))
        self._highlight_arrow.show()
    # -- end backprop stepper --------------------------------------------------------------

    def predicted_class(self) -> int | None:
        """The output neuron with the largest activation for the current sample."""
        return self._predicted

    def activations(self) -> list[np.ndarray] | None:
        """a of every layer for the current sample (input first), or None."""
        return None if self._cache is None else [a[0].copy() for a in self._cache.activations]

    def neuron_view_pos(self, layer: int, index: int) -> QPointF:
        """Centre of neuron `index` of weights layer `layer` in view coordinates
        (layer -1 is the input)."""
        x, y = self._columns[layer + 1].positions[index]
        return QPointF(float(x), float(y))

    def neuron_widget_pos(self, layer: int, index: int) -> QPoint:
        """The same centre in the coordinates of graphics_view()'s viewport (for clicks)."""
        scene_pos = self._view.mapViewToScene(self.neuron_view_pos(layer, index))
        return self._graphics.mapFromScene(scene_pos)

    def graphics_view(self) -> pg.GraphicsView:
        return self._graphics

    def caption(self) -> str:
        return self._caption.text

    # -- layout -----------------------------------------------------------------------------
    def _clear_items(self) -> None:
        for item in self._items:
            self._view.removeItem(item)
        self._items = []
        self._columns, self._connections, self._output_labels = [], [], []
        self._input_image.clear()
        for ring in (self._selection_ring, self._predicted_ring, self._true_ring):
            ring.hide()

    def _add(self, item, z: float = 0.0):
        item.setZValue(z)
        self._view.addItem(item, ignoreBounds=True)  # the range is set by hand in _build
        self._items.append(item)
        return item

    def _build(self, snap: Snapshot) -> None:
        """Create the items for this architecture (the only place items are created)."""
        self._clear_items()
        sizes, acts = tuple(snap.sizes), tuple(snap.activations)
        self._arch = (sizes, acts)
        self._pair_key = None
        heading_font = QFont()
        heading_font.setPointSizeF(9)

        widths = [_block_layout(n)[2] * _block_layout(n)[0] for n in sizes[1:]]
        first = IMAGE_SIZE if image_side(sizes[0]) is not None else _block_layout(sizes[0])[2] * _block_layout(sizes[0])[0]
        spare = TARGET_WIDTH - first - sum(widths) - 2.6
        gap = float(np.clip(spare / max(len(widths), 1), *COLUMN_GAP))

        side = image_side(sizes[0])
        if side is not None:
            rect = QRectF(0, (HEIGHT - IMAGE_SIZE) / 2, IMAGE_SIZE, IMAGE_SIZE)
            s = IMAGE_SIZE / side
            rows, cols = np.divmod(np.arange(sizes[0]), side)
            positions = np.column_stack([rect.left() + (cols + 0.5) * s, rect.top() + (rows + 0.5) * s])
            self._input_image.setImage(np.zeros((side, side), np.float32), autoLevels=False, levels=(0.0, 1.0))
            self._input_image.setRect(rect)  # after setImage: the rect scales the image's current size
            column = _Column(0, sizes[0], "image", positions, s, rect, stride=side, title=f"input\n{side}×{side}")
            x_next = rect.right() + gap
        else:
            column = self._neuron_column(0, sizes[0], 0.0, "unit")
            column.title = f"input\n{sizes[0]} values"
            x_next = column.rect.right() + gap
        self._columns = [column]

        for l, n in enumerate(sizes[1:]):
            act = acts[l]
            mode = shading_mode(act, get_activation(act).bounded)
            column = self._neuron_column(l + 1, n, x_next, mode)
            kind = "output" if l == len(sizes) - 2 else f"layer {l + 1}"
            column.title = f"{kind}\n{n} {act}"
            self._columns.append(column)
            x_next = column.rect.right() + gap

        for column in self._columns:
            # Bottom-left anchored at the column's left edge: multi-line text is left-aligned.
            column.heading = self._add(pg.TextItem(column.title, color=MUTED, anchor=(0.0, 1.0)), z=15)
            column.heading.setFont(heading_font)
            column.heading.setPos(column.rect.left(), min(column.rect.top(), 0.0) - 0.15)

        for k in range(1, len(self._columns)):
            pair = _Connections()
            for sign, color in ((1, POSITIVE), (-1, NEGATIVE)):
                for b, (_, width, alpha) in enumerate(STRENGTH_BINS):
                    c = QColor(color)
                    c.setAlpha(alpha)
                    pen = pg.mkPen(c, width=width)
                    # No antialiasing: hundreds of translucent wide lines cost Qt ~25 ms with it.
                    curve = pg.PlotCurveItem(pen=pen, connect="pairs", antialias=False)
                    # Drawn from a cached picture while unchanged: the neurons under the lines
                    # change every frame, the lines only a few times a second.
                    curve.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
                    pair.curves[(sign, b)] = self._add(curve, z=2 + b * 0.1)
            self._connections.append(pair)

        out = self._columns[-1]
        label_font = QFont()
        label_font.setPointSizeF(10)
        if out.n <= MAX_OUTPUT_LABELS:
            for j in range(out.n):
                text = self._add(pg.TextItem("", color=(220, 220, 220), anchor=(0.0, 0.5)), z=15)
                text.setFont(label_font)
                x, y = out.positions[j]
                text.setPos(out.rect.right() + 0.25, y)
                self._output_labels.append(text)
        self._update_output_label_names()

        right = out.rect.right() + (2.6 if self._output_labels else 0.4)
        self._home = QRectF(-0.3, -2.2, right + 0.3, HEIGHT + 2.5)
        self._view.setRange(self._home, padding=0.0)
        self._update_highlight()  # backprop stepper: the columns moved

    def _neuron_column(self, k: int, n: int, x_left: float, mode: str) -> _Column:
        """A block of neurons: circles (up to MAX_CIRCLES neurons, one or a few columns) or a
        dense image of square cells (larger layers, so 512 neurons stay one cheap item)."""
        s, rows, cols = _block_layout(n)
        rect = QRectF(x_left, HEIGHT / 2 - rows * s / 2, cols * s, rows * s)
        # Column-major: neuron j sits below neuron j-1, like in a single column.
        c, r = np.divmod(np.arange(n), rows)
        positions = np.column_stack([rect.left() + (c + 0.5) * s, rect.top() + (r + 0.5) * s])
        if n <= MAX_CIRCLES:
            cell = 0.8 * s
            item = self._add(pg.ScatterPlotItem(pxMode=False, symbol="o"), z=10)
            item.setData(pos=positions, size=cell, pen=pg.mkPen(90, 90, 100, width=1), brush=self._gray[0])
            return _Column(k, n, "circles", positions, cell, rect, mode, stride=rows, item=item)
        item = self._add(pg.ImageItem(axisOrder="col-major"), z=10)  # image[c, r]: columns of neurons
        item.setImage(np.full((cols, rows), np.nan, np.float32), autoLevels=False, levels=(0.0, 1.0))
        item.setRect(rect)  # after setImage: the rect scales the image's current size
        item.setColorMap(gray_colormap() if mode in ("unit", "magnitude") else diverging_colormap())
        return _Column(k, n, "grid", positions, s, rect, mode, stride=rows, item=item)

    def _update_output_label_names(self) -> None:
        for j, text in enumerate(self._output_labels):
            text.setText(class_label(self._class_names, j))

    # -- per frame --------------------------------------------------------------------------
    def _update(self) -> None:
        snap, x = self._snapshot, self._x
        if x is not None and self._columns and self._columns[0].kind == "image" and x.size == self._columns[0].n:
            side = self._columns[0].stride
            self._input_image.setImage(x.reshape(side, side), autoLevels=False, levels=(0.0, 1.0))
        if snap is None:
            self._cache = None
            self._predicted = None
            self._caption.setText("No network yet.")
            self._update_rings()
            return
        if x is None or x.size != snap.sizes[0]:
            self._cache = None
            self._predicted = None
            why = "Pick a sample to see what each neuron does with it." if x is None else (
                f"The sample has {x.size} values but the network expects {snap.sizes[0]} inputs."
            )
            self._caption.setText(why)
            self._shade_blank()
            self._update_rings()
            return
        self._cache = snap.forward_cache(x)
        acts = [a[0] for a in self._cache.activations]
        for column, a in zip(self._columns, acts):
            self._shade_column(column, a)
        out = acts[-1]
        self._predicted = int(np.argmax(out))
        self._update_connections(snap, x)
        self._update_caption(out)
        self._update_rings()

    def _shade_column(self, column: _Column, a: np.ndarray) -> None:
        if column.kind == "image":
            return
        t, scale = shade(a, column.mode)
        if column.kind == "circles":
            brushes = self._gray if column.mode in ("unit", "magnitude") else self._diverging
            column.item.setBrush([brushes[i] for i in shade_index(t)])
        else:
            rows = column.stride
            grid = np.full(math.ceil(column.n / rows) * rows, np.nan, dtype=np.float32)
            grid[: column.n] = t
            column.item.setImage(grid.reshape(-1, rows), autoLevels=False, levels=(0.0, 1.0))
        if column.mode in ("magnitude", "signed-magnitude"):
            what = "a / max a" if column.mode == "magnitude" else "a / max |a|"
            column.heading.setText(f"{column.title}\nshade {what}\nmax = {scale:.3g}")

    def _shade_blank(self) -> None:
        for column in self._columns[1:]:
            self._shade_column(column, np.zeros(column.n))
        for pair in self._connections:
            for curve in pair.curves.values():
                curve.setData([], [])

    def _update_connections(self, snap: Snapshot, x: np.ndarray) -> None:
        """Input -> first layer: each neuron's strongest contributions w·x for this sample
        (they change with the sample); deeper pairs: the strongest |w|. While training they
        are re-chosen at most every CONNECTIONS_INTERVAL_S (choosing costs ~2 ms per large
        pair, and lines that flicker 30 times a second cannot be followed anyway)."""
        if not self._connections:
            return
        drawn = self._pair_key
        if drawn is not None and drawn[0] is snap.weights[0] and drawn[1] is x:
            return
        now = time.monotonic()
        sample_changed = drawn is None or x is not drawn[1]
        if snap.state == "running" and not sample_changed and now - self._pair_time < CONNECTIONS_INTERVAL_S:
            return
        self._pair_key, self._pair_time = (snap.weights[0], x), now
        self._draw_pair(0, *_input_candidates(snap.weights[0], x))
        for k in range(2, len(self._columns)):
            w = snap.weights[k - 1]
            top = min(TOP_CONNECTIONS, 3 * sum(w.shape))
            self._draw_pair(k - 1, *_strongest(w, top))

    def _draw_pair(self, pair_index: int, j: np.ndarray, i: np.ndarray, value: np.ndarray) -> None:
        """Lines from neuron i of column k-1 to neuron j of column k, styled by value's sign
        and by |value| relative to the largest drawn."""
        src, dst = self._columns[pair_index], self._columns[pair_index + 1]
        curves = self._connections[pair_index].curves
        magnitude = np.abs(value)
        if magnitude.size == 0 or not magnitude.max() > 0:
            for curve in curves.values():
                curve.setData([], [])
            return
        strength = magnitude / magnitude.max()
        sign = np.sign(value)
        bins = np.searchsorted([lo for lo, _, _ in STRENGTH_BINS[1:]], strength, side="right")
        for (s, b), curve in curves.items():
            m = (sign == s) & (bins == b)
            if not m.any():
                curve.setData([], [])
                continue
            xs = np.empty(2 * int(m.sum()))
            ys = np.empty_like(xs)
            xs[0::2], ys[0::2] = src.positions[i[m]].T
            xs[1::2], ys[1::2] = dst.positions[j[m]].T
            curve.setData(xs, ys, connect="pairs")

    def _update_caption(self, out: np.ndarray) -> None:
        snap = self._snapshot
        p = self._predicted
        name = class_label(self._class_names, p)
        value = percent(out[p]) if snap.activations[-1] == "softmax" else f"a = {out[p]:.2f}"
        article, _, _ = with_article(name).partition(" ")
        text = f'Looks like {article} <span style="color:{PREDICTED.name()}">{name}</span> ({value})'
        if self._label is not None:
            true = class_label(self._class_names, self._label)
            mark = "✓" if self._label == p else "✗"
            text += f' — true: <span style="color:{TRUE_LABEL.name()}">{true}</span> {mark}'
        self._caption.setText(text)

    def _ring_path(self, k: int, j: int, grow: float) -> QPainterPath | None:
        if not (0 <= k < len(self._columns)) or not (0 <= j < self._columns[k].n):
            return None
        column = self._columns[k]
        x, y = column.positions[j]
        r = column.cell / 2 * grow
        path = QPainterPath()
        if column.kind == "circles":
            path.addEllipse(QPointF(float(x), float(y)), r, r)
        else:
            path.addRect(QRectF(float(x) - r, float(y) - r, 2 * r, 2 * r))
        return path

    def _update_rings(self) -> None:
        out_k = len(self._columns) - 1
        for ring, target, grow in (
            (self._selection_ring, self._selected, 1.35),
            (self._predicted_ring, None if self._predicted is None else (out_k, self._predicted), 1.15),
            (self._true_ring, None if self._label is None or self._cache is None else (out_k, self._label), 1.45),
        ):
            path = None if target is None else self._ring_path(*target, grow)
            if path is None:
                ring.hide()
            else:
                ring.setPath(path)
                ring.show()
        for j, text in enumerate(self._output_labels):
            if j == self._predicted:
                text.setColor(PREDICTED)
            elif j == self._label and self._cache is not None:
                text.setColor(TRUE_LABEL)
            else:
                text.setColor(QColor(220, 220, 220))

    # -- mouse ------------------------------------------------------------------------------
    def _neuron_at(self, scene_pos: QPointF) -> tuple[int, int] | None:
        """(k, j) of the neuron (or input pixel, k = 0) under a scene position."""
        if not self._columns or not self._view.sceneBoundingRect().contains(scene_pos):
            return None
        p = self._view.mapSceneToView(scene_pos)
        px, py = p.x(), p.y()
        for column in self._columns:
            if not column.rect.adjusted(-0.2, -0.2, 0.2, 0.2).contains(p):
                continue
            d = np.hypot(column.positions[:, 0] - px, column.positions[:, 1] - py)
            j = int(np.argmin(d))
            if d[j] <= column.cell * 0.75:
                return column.k, j
        return None

    def _describe(self, k: int, j: int) -> str:
        if k == 0:
            value = "" if self._x is None or self._x.size <= j else f" = {self._x[j]:.3f}"
            column = self._columns[0]
            if column.kind == "image":
                r, c = divmod(j, column.stride)
                return f"input pixel ({r}, {c}){value}"
            return f"input {j}{value}"
        l = k - 1
        is_output = k == len(self._columns) - 1
        where = "output" if is_output else f"layer {k}"
        name = f" “{class_label(self._class_names, j)}”" if is_output else ""
        text = f"{where} neuron {j}{name}"
        if self._snapshot is not None:
            text += f": b = {self._snapshot.biases[l][j]:+.3f}"
        if self._cache is not None:
            z = self._cache.zs[l][0, j]
            a = self._cache.activations[k][0, j]
            text += f", z = {z:+.3f}, a = {a:.3f}"
        return text

    def _on_mouse_moved(self, scene_pos: QPointF) -> None:
        hit = self._neuron_at(scene_pos)
        text = self.HINT if hit is None else self._describe(*hit)
        self._info.setText(text)
        self._graphics.setToolTip("" if hit is None else text)

    def _on_mouse_clicked(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        if event.double():
            if not self._home.isNull():
                self._view.setRange(self._home, padding=0.0)
            return
        hit = self._neuron_at(event.scenePos())
        if hit is None or hit[0] == 0:  # input pixels are not neurons
            return
        self._selected = hit
        self._update_rings()
        self.neuron_selected.emit(hit[0] - 1, hit[1])


def _strongest(w: np.ndarray, top: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(j, i, w[j, i]) of the `top` largest |w| (n_out, n_in), zeros left out."""
    magnitude = np.abs(w).ravel()
    lo, hi = magnitude.min(), magnitude.max()
    if not hi > 0:
        idx = np.empty(0, dtype=np.intp)
    elif top >= magnitude.size or lo == hi:  # all of them, or all tied (argpartition is slow on ties)
        idx = np.arange(min(top, magnitude.size))
    else:
        idx = np.argpartition(magnitude, magnitude.size - top)[-top:]
    j, i = np.divmod(idx, w.shape[1])
    return j, i, w.ravel()[idx]


def _input_candidates(w: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(j, i, w[j, i] x[i]) for the input -> first-layer lines: each neuron's
    INPUT_LINES_PER_NEURON largest contributions, then the TOP_INPUT_CONNECTIONS largest of
    those. Only lit pixels count: a black pixel contributes nothing."""
    lit = np.flatnonzero(x)
    if lit.size == 0:
        empty = np.empty(0, dtype=np.intp)
        return empty, empty, np.empty(0)
    contribution = w[:, lit] * x[lit]  # (n, n_lit)
    m = min(INPUT_LINES_PER_NEURON, lit.size)
    magnitude = np.abs(contribution)
    cols = np.argpartition(magnitude, lit.size - m, axis=1)[:, -m:] if m < lit.size else np.tile(np.arange(m), (len(w), 1))
    rows = np.repeat(np.arange(len(w)), m)
    cols = cols.ravel()
    values = contribution[rows, cols]
    if values.size > TOP_INPUT_CONNECTIONS:
        keep = np.argpartition(np.abs(values), values.size - TOP_INPUT_CONNECTIONS)[-TOP_INPUT_CONNECTIONS:]
        rows, cols, values = rows[keep], cols[keep], values[keep]
    return rows, lit[cols], values


def _block_layout(n: int) -> tuple[float, int, int]:
    """(cell size, rows, columns) for n neurons: a single column while cells stay at least
    MIN_CELL big, else the fewest columns reaching that, else the biggest cells that fit."""
    best = (0.0, n, 1)
    for cols in range(1, n + 1):
        rows = math.ceil(n / cols)
        s = min(HEIGHT / rows, GRID_MAX_WIDTH / cols, MAX_CELL)
        if s >= MIN_CELL:
            return s, rows, cols
        if s > best[0]:
            best = (s, rows, cols)
        if GRID_MAX_WIDTH / cols < best[0]:
            break  # more columns only make cells smaller
    return best
