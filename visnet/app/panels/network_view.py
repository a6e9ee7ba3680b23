"""The network as 3Blue1Brown draws it: the input picture on the left, a column of neurons
per layer lit by their activation for the current sample, the strongest connections in
red (positive weight) and blue (negative), and the output neurons named by class.

With a playground plane (set_plane) it is drawn as TensorFlow Playground draws it: every
input, hidden and output neuron is a small heatmap of its activation over the whole plane
(orange high, blue low, as in the decision surface panel), so the first layer's straight
lines and the deeper layers' combinations of them can be watched while training. The
tiles of a column are ONE ImageItem (a mosaic), refilled from the Plane's shared Surface
once per snapshot; a frame costs no forward pass over the grid of its own. The mosaics
hold colour indices (uint8, 0 = transparent between tiles) rather than floats: pyqtgraph
then skips its NaN masking and float rescaling, ~3 ms a frame for 2-8-8-8-1."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QLineF, QPoint, QPointF, QRectF, Qt, Signal, Slot
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem, QGraphicsRectItem, QVBoxLayout, QWidget

from visnet.app.colors import (
    MUTED,
    N_SHADES,
    NEGATIVE,
    POSITIVE,
    PREDICTED,
    SELECTED,
    TRUE_LABEL,
    class_label,
    diverging_colormap,
    gray_colormap,
    palette,
    percent,
    picture_side,
    shade,
    shade_brushes,
    shade_index,
    shading_mode,
    symmetric_limit,
    with_article,
)
from visnet.app.panels.surface import CLASS_COLORS
from visnet.app.plane import Plane
from visnet.app.session import Session
from visnet.app.stable import add_caption
from visnet.core.activations import get_activation
from visnet.core.features import FEATURE_LABELS, input_names
from visnet.core.sample_pass import Sample, SamplePass
from visnet.core.snapshot import Snapshot
from visnet.core.surface import Surface, choose_resolution, plane_grid
from visnet.core.targets import decision_threshold

HEIGHT = 10.0  # view units available to a column of neurons
IMAGE_SIZE = 5.0  # side of the input picture
TARGET_WIDTH = 21.0  # the column gap shrinks (within limits) so deep nets still fit
COLUMN_GAP = (1.8, 3.4)  # smallest and largest gap between neighbouring columns
MAX_CIRCLES = 128  # larger layers are drawn as a dense image of square cells
GRID_MAX_WIDTH = 2.4  # widest a block of neurons may get
MIN_CELL = 0.5  # add neuron columns to a block until cells are at least this big
MAX_CELL = 0.8
MAX_OUTPUT_LABELS = 40
HEADING_POINTS = (9.0, 8.0, 7.0)  # a column's heading shrinks to these before it is abbreviated
LABEL_PX = (7, 13)  # output labels follow the rows' spacing on screen within these pixel sizes
SHORT_ACTIVATION = {"sigmoid": "σ", "softmax": "smax", "leaky_relu": "lReLU", "identity": "id"}
CONNECTIONS_INTERVAL_S = 0.25  # while training, the lines are re-chosen at most this often
TOP_CONNECTIONS = 100  # per layer pair, strongest |w| first (fewer for small pairs)
TOP_INPUT_CONNECTIONS = 48  # input pixel -> first layer, strongest |w x| for this sample
INPUT_LINES_PER_NEURON = 3  # so a few busy neurons do not take every input line
STRENGTH_BINS = ((0.0, 1.0, 60), (0.4, 1.5, 120), (0.7, 2.5, 210))  # (from |w|/max, pen width, alpha)
OFF_MARK = QColor(235, 90, 80)  # the cross over a switched-off neuron

# -- the playground plane: one heatmap tile per neuron ----------------------------------------
TILE_MAX_CELL = 1.9  # tiles are bigger than circles: a picture needs room
TILE_MIN_CELL = 0.6
TILE_MAX_WIDTH = 4.0
TILE_FILL = 0.84  # tile side / spacing: the rest is the gap, where the activation frame shows
INPUT_LABEL_ROOM = 1.3  # view units left of the input tiles for their names (x₁, x₁² ...)
MAX_NAMED_CIRCLES = 24  # named inputs beyond this many share a block of cells, named on hover
MAX_NAME_CHARS = 12  # a longer input name is cut short beside its circle
NAME_ROOM_PER_CHAR = 0.42  # view units per character of the longest input name, left of the inputs
# Playground's colours (decision surface panel): blue = low / class 0, orange = high / class 1,
# a light grey in the middle, saturated enough to read on tiles a few dozen pixels wide.
TILE_COLORMAP = pg.ColorMap(
    pos=[0.0, 0.5, 1.0],
    color=[CLASS_COLORS[0].getRgb()[:3], (232, 234, 235), CLASS_COLORS[1].getRgb()[:3]],
)
# Colour levels of bounded activations: their whole range, so tiles of different frames and
# layers compare. Unbounded ones (relu, leaky_relu, identity) get ±(the layer's 99th
# percentile of |a|): a plane's corners can reach |a| ~100 and would wash out the rest.
ACTIVATION_LEVELS = {"sigmoid": (0.0, 1.0), "softmax": (0.0, 1.0), "step": (0.0, 1.0), "tanh": (-1.0, 1.0)}
MIN_MARKED_TILE = 0.8  # view units: smaller tiles do not show the sample's point
TILE_RING_GROW = 0.4  # rings around a tile hug it closer than rings around a circle
N_TILE_COLORS = 255  # mosaic index k in 1..255 is colour k - 1; index 0 is transparent
TILE_LUT = np.vstack([[0, 0, 0, 0], TILE_COLORMAP.getLookupTable(0.0, 1.0, N_TILE_COLORS, alpha=True)]).astype(np.ubyte)


def tile_indices(values: np.ndarray, levels: tuple[float, float]) -> np.ndarray:
    """Mosaic colour indices (uint8, 1..N_TILE_COLORS) of values for these levels: low is
    index 1, high is N_TILE_COLORS, linear in between and clipped outside. NaN gives 0
    (transparent)."""
    low, high = levels
    t = (np.asarray(values, np.float32) - np.float32(low)) * np.float32((N_TILE_COLORS - 1) / (high - low))
    with np.errstate(invalid="ignore"):
        t = np.clip(t + np.float32(1.5), 1, N_TILE_COLORS + 0.5)
        out = t.astype(np.uint8)
    out[np.isnan(t)] = 0
    return out


def tile_levels(activation: str | None, values: np.ndarray) -> tuple[float, float]:
    """(low, high) colour levels for the tiles of a layer of this activation: the
    activation's range if bounded, else symmetric about 0 out to the 99th percentile of
    |values| (a layer's (n, res, res) surfaces), so 0 is the middle grey of a relu layer."""
    if activation in ACTIVATION_LEVELS:
        return ACTIVATION_LEVELS[activation]
    lim = symmetric_limit(values, 99.0, max_samples=20_000)
    return (-lim, lim)


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
    activation: str | None = None  # None for the input column
    # kind "tiles" only: the mosaic ImageItem, its colour indices, the values drawn (n, res,
    # res) with row 0 at the bottom, and the tile geometry
    mosaic: pg.ImageItem | None = None
    buffer: np.ndarray | None = None
    values: np.ndarray | None = None
    res: int = 0  # pixels per tile side
    pad: int = 0  # pixels between tiles
    levels: tuple[float, float] = (0.0, 1.0)
    # kinds "circles" and "grid": the shade indices drawn (a frame that changes none is not
    # repainted), and the grid image's colours (shade_table)
    shades: np.ndarray | None = None
    lut: np.ndarray | None = None


class _ConnectionLines(QGraphicsItem):
    """The lines between two neighbouring columns, as ONE item painted from one cached
    picture: the neurons under the lines change every frame, the lines only a few times a
    second. One item per pair rather than one per (sign, strength) style: a frame's
    repainted parts then copy one picture where six overlapping ones were copied, and a
    pair whose lines change (the output layer's, often) repaints only its own. Lines are
    drawn without antialiasing: hundreds of translucent wide lines cost Qt ~25 ms with it."""

    def __init__(self, rect: QRectF):
        super().__init__()
        self._rect = QRectF(rect)  # view coordinates, both columns inside
        self._pens = {}  # (sign, bin) -> cosmetic QPen
        for sign, color in ((1, POSITIVE), (-1, NEGATIVE)):
            for b, (_, width, alpha) in enumerate(STRENGTH_BINS):
                c = QColor(color)
                c.setAlpha(alpha)
                self._pens[(sign, b)] = pg.mkPen(c, width=width)
        self._ends: dict[tuple[int, int], np.ndarray] = {}  # (sign, bin) -> (m, 4) x0 y0 x1 y1
        self._pairs: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}  # same keys -> (j, i)
        self._lines: dict[tuple[int, int], list[QLineF]] = {}
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)

    def set_lines(self, style: tuple[int, int], ends: np.ndarray, j: np.ndarray, i: np.ndarray) -> None:
        """The lines of one (sign, strength bin): ends (m, 4) x0 y0 x1 y1 in view
        coordinates, from neuron i of the left column to neuron j of the right one. The
        same lines as before keep the cached picture."""
        old = self._ends.get(style)
        if (old is not None and np.array_equal(old, ends)) or (old is None and not len(ends)):
            return
        self._ends[style] = ends
        self._pairs[style] = (j, i)
        self._lines[style] = [QLineF(*map(float, e)) for e in ends]
        self.update()

    def clear(self) -> None:
        if self._ends:
            self._ends, self._pairs, self._lines = {}, {}, {}
            self.update()

    def connections(self) -> tuple[np.ndarray, np.ndarray]:
        """(j, i) of every line drawn."""
        if not self._pairs:
            return np.empty(0, np.intp), np.empty(0, np.intp)
        return tuple(np.concatenate([pair[n] for pair in self._pairs.values()]) for n in (0, 1))

    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt name)
        return self._rect

    def paint(self, painter, option, widget=None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        for style in sorted(self._lines, key=lambda style: (style[1], -style[0])):  # strongest on top
            painter.setPen(self._pens[style])
            painter.drawLines(self._lines[style])


class NetworkView(QWidget):
    """Layers as columns of neurons shaded by their activation for the current sample.

    Items are created once per architecture; each frame only changes brushes, image data
    and line data, so a 784-512-512-10 network redraws in a few milliseconds.

    With a Plane (set_plane) and a network that fits it, each neuron is a heatmap tile of
    its activation over the plane instead (see the module docstring).

    Given a Session, it shows the session's sample with the session's forward pass of it
    (so every caption agrees), rings the session's neuron and writes clicks back to it;
    without one, set_sample, select_neuron, set_plane drive it. A switched-off neuron
    (core.edits: its outgoing weights all zero) is shaded as a = 0 under a cross.
    """

    neuron_selected = Signal(int, int)  # (layer l into weights, neuron j)

    HINT = "Hover a neuron for its z, a and bias; click to select it; wheel zooms, double click resets."
    SHORT_HINTS = ("Hover a neuron for its z, a and bias; click to select it.", "Hover a neuron; click selects it.")

    def __init__(self, parent: QWidget | None = None, *, session: Session | None = None):
        super().__init__(parent)
        self._session = session
        self._snapshot: Snapshot | None = None
        self._arch: tuple | None = None
        self._columns: list[_Column] = []
        self._lines: list[_ConnectionLines] = []  # one per pair of neighbouring columns
        self._output_labels: list[pg.TextItem] = []
        self._items: list = []  # every per-architecture item, removed on rebuild
        self._x: np.ndarray | None = None
        self._drawn_x: np.ndarray | None = None  # the sample the input picture shows
        self._label: int | None = None
        self._class_names: tuple[str, ...] = ()
        self._pass: SamplePass | None = None  # the sample through the network shown
        self._predicted: int | None = None
        self._selected: tuple[int, int] | None = None  # (k, j)
        self._pair_key: tuple | None = None  # (first weights, sample) the lines were drawn for
        self._pair_time = 0.0
        self._gray = shade_brushes(gray_colormap())
        self._diverging = shade_brushes(diverging_colormap())
        palette.changed.connect(self._on_palette_changed)
        self._tile_brushes = shade_brushes(TILE_COLORMAP)
        self._blank_brush = pg.mkBrush(70, 70, 78)
        self._plane: Plane | None = None
        self._input_names: tuple[str, ...] | None = None  # set_input_names: a table's columns, ...
        self._tiles = False  # the current architecture is drawn as heatmap tiles
        self._drawn_surface: Surface | None = None  # the Surface the tiles hold
        self._input_scale: np.ndarray | None = None  # (n_in,) max |feature| over the plane
        self._sample_marks: pg.ScatterPlotItem | None = None  # the sample's point on every tile
        self._off_marks: pg.ScatterPlotItem | None = None  # a cross over every switched-off neuron
        self._off_drawn: np.ndarray | None = None  # the crosses' positions, redrawn on a change only

        self._graphics = pg.GraphicsLayoutWidget()
        self._caption: pg.LabelItem = add_caption(self._graphics, "No network yet.", row=0, col=0, size="13pt")
        self._view: pg.ViewBox = self._graphics.addViewBox(row=1, col=0)
        self._view.setAspectLocked(True)
        self._view.invertY(True)  # neuron 0 at the top, like the class list of the sample panel
        # Wheel zoom and drag pan help with 512-neuron layers; a double click goes back. The
        # menu's "View All" would fit only the input picture (other items ignore bounds).
        self._view.setMenuEnabled(False)
        self._home = QRectF()
        self._content = QRectF()  # the drawing without the text right of the output column
        self._zoomed = False  # the user zoomed or panned: a resize keeps their range
        # A caption too: a long hover text must not make the view wider than a narrow dock.
        self._info = add_caption(self._graphics, self.HINT, row=2, col=0, size="9pt", color=MUTED)
        self._info.set_text_variants((self.HINT, *self.SHORT_HINTS))
        self._graphics.ci.layout.setRowStretchFactor(1, 1)
        self._view.sigResized.connect(self.fit_text)
        self._view.sigRangeChangedManually.connect(self._on_range_changed_manually)

        self._input_image = pg.ImageItem(axisOrder="row-major")
        self._input_image.setColorMap(gray_colormap())
        self._input_image.setZValue(5)  # above the input lines: they leave from under the digit
        self._view.addItem(self._input_image)
        self._selection_ring = self._ring(SELECTED, 2.5, Qt.PenStyle.DotLine)
        self._predicted_ring = self._ring(PREDICTED, 3.0)
        self._true_ring = self._ring(TRUE_LABEL, 2.0)
        # -- backprop stepper: the layer being computed and the direction --------
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

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._graphics)

        scene = self._graphics.scene()
        scene.sigMouseMoved.connect(self._on_mouse_moved)
        scene.sigMouseClicked.connect(self._on_mouse_clicked)

        if session is not None:
            session.dataset_changed.connect(self._on_session_dataset_changed)
            session.sample_changed.connect(self._on_session_sample_changed)
            session.neuron_changed.connect(self._on_session_neuron_changed)
            self._on_session_dataset_changed()
            self._on_session_sample_changed()
            self._on_session_neuron_changed()

    # -- the session ------------------------------------------------------------------------
    def _on_session_dataset_changed(self) -> None:
        self._set_class_names(self._session.class_names)
        self.set_input_names(self._session.input_names)
        self.set_plane(self._session.plane)

    def _on_session_sample_changed(self) -> None:
        sample = self._session.sample
        if sample is None:
            self._x = self._label = None
            self._update()
        else:
            self.set_sample(sample.x, sample.label, self._session.class_names)

    def _on_session_neuron_changed(self) -> None:
        neuron = self._session.neuron
        self._selected = None if neuron is None else (neuron[0] + 1, neuron[1])
        self._update_rings()

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
        sizes = tuple(snap.sizes)
        plane = self._plane if self._plane is not None and self._plane.fits(sizes) else None
        arch = (sizes, tuple(snap.activations), plane)
        if arch != self._arch:
            self._build(snap, plane)
        self._snapshot = snap
        self._update()

    def set_plane(self, plane: Plane | None) -> None:
        """The playground plane the networks shown take their inputs from, or None (digit
        data). A network that fits the plane is then drawn with a heatmap per neuron, from
        plane.surface_for(snapshot), which the panels showing the plane share."""
        if plane is self._plane:
            return
        self._plane = plane
        self._arch = None  # rebuilt (as tiles or not) for the next snapshot
        if self._snapshot is not None:
            self.show_snapshot(self._snapshot)

    def plane(self) -> Plane | None:
        return self._plane

    @Slot(str)
    def _on_palette_changed(self, _name: str) -> None:
        """The line pens and neuron brushes hold the old colours: rebuild them."""
        self._diverging = shade_brushes(diverging_colormap())
        for ring, color in ((self._predicted_ring, PREDICTED), (self._true_ring, TRUE_LABEL)):
            pen = ring.pen()
            pen.setColor(color)
            ring.setPen(pen)
        self._arch = None  # the connection lines are rebuilt for the next snapshot
        if self._snapshot is not None:
            self.show_snapshot(self._snapshot)

    def set_input_names(self, names: Sequence[str] | None) -> None:
        """The inputs' names (session.input_names) when they are values, not a picture's
        pixels: the input column is then a column of neurons named on their left. None: a
        square input draws as a picture."""
        names = None if names is None else tuple(names)
        if names == self._input_names:
            return
        self._input_names = names
        self._arch = None  # rebuilt with the names for the next snapshot
        if self._snapshot is not None:
            self.show_snapshot(self._snapshot)

    def input_names(self) -> tuple[str, ...] | None:
        """The names drawn beside the input column (None: a picture, or none given)."""
        return self._input_names

    def draws_tiles(self) -> bool:
        """Whether the network is drawn as heatmap tiles over the plane."""
        return self._tiles

    def tile_image(self, layer: int, index: int) -> np.ndarray | None:
        """The values drawn on the tile of neuron `index` of weights layer `layer` (layer -1:
        the input x1, x2, features, each scaled to -1..1), (res, res) with row 0 at the
        bottom of the plane as in core.surface; None when no tiles are drawn."""
        column = self._tile_column_of(layer, index)
        return None if column is None or column.values is None else column.values[index]

    def tile_colors(self, layer: int, index: int) -> np.ndarray | None:
        """The colour indices (tile_indices) the mosaic holds for that tile, (res, res) with
        row 0 at the bottom of the plane; None when no tiles are drawn."""
        column = self._tile_column_of(layer, index)
        if column is None or column.values is None:
            return None
        res, rows = column.res, column.stride
        c, r = divmod(index, rows)
        cell, o = res + column.pad, column.pad // 2
        tile = column.buffer[r * cell + o : r * cell + o + res, c * cell + o : c * cell + o + res]
        return tile[::-1].copy()  # the mosaic is top-down (the view's y points down)

    def _tile_column_of(self, layer: int, index: int) -> _Column | None:
        if not self._tiles or not 0 <= layer + 1 < len(self._columns):
            return None
        column = self._columns[layer + 1]
        return column if 0 <= index < column.n else None

    def tile_levels(self, layer: int) -> tuple[float, float] | None:
        """(low, high) colour levels of the tiles of weights layer `layer` (-1: the input)."""
        if not self._tiles or not 0 <= layer + 1 < len(self._columns):
            return None
        return self._columns[layer + 1].levels

    def set_sample(self, x: np.ndarray, label: int | None, class_names: Sequence[str]) -> None:
        """The input to show: x (n_inputs,) in [0, 1], its true class (or None) and the class names."""
        self._x = np.asarray(x, dtype=np.float32).ravel()
        self._label = None if label is None else int(label)
        self._set_class_names(class_names)
        self._update()

    def _set_class_names(self, class_names: Sequence[str]) -> None:
        names = tuple(str(c) for c in class_names)
        if names != self._class_names:
            self._class_names = names
            self._update_output_label_names()

    def reset(self) -> None:
        """Forget the network (a new one comes with the next snapshot) and what the mouse
        pointed at in it; keep the sample."""
        self._snapshot = None
        self._pass = None
        self._selected = None
        self._pair_key = None
        self._clear_items()
        self._arch = None
        self._info.set_text_variants((self.HINT, *self.SHORT_HINTS))
        self._graphics.setToolTip("")
        self._update()

    def set_hint_visible(self, on: bool) -> None:
        """Show or leave out the hover hint line under the network (out of exported pictures)."""
        layout = self._graphics.ci
        if on == self.hint_visible():
            return
        if on:
            layout.addItem(self._info, row=2, col=0)
        else:
            layout.removeItem(self._info)

    def hint_visible(self) -> bool:
        return self._info.scene() is not None

    def select_neuron(self, layer: int, index: int) -> None:
        """Outline neuron `index` of weights layer `layer` (selected elsewhere); no signal."""
        self._selected = (layer + 1, index)
        self._update_rings()

    def selected_neuron(self) -> tuple[int, int] | None:
        """(layer into weights, index) of the neuron outlined now, or None."""
        return None if self._selected is None else (self._selected[0] - 1, self._selected[1])

    # -- backprop stepper ---------------------------------------------------------
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

    def predicted_class(self) -> int | None:
        """The output neuron with the largest activation for the current sample."""
        return self._predicted

    def activations(self) -> list[np.ndarray] | None:
        """a of every layer for the current sample (input first; switched-off neurons at
        0), or None."""
        return None if self._pass is None else [a.copy() for a in self._pass.activations]

    def switched_off(self, layer: int) -> np.ndarray | None:
        """Indices of the neurons of weights layer `layer` drawn as switched off (None
        without a sample's pass)."""
        if self._pass is None or not 0 <= layer + 1 < len(self._pass.silent):
            return None
        return np.flatnonzero(self._pass.silent[layer + 1])

    def input_picture(self) -> np.ndarray | None:
        """The input picture drawn, (side, side), or None when the input is not a picture."""
        if not self._columns or self._columns[0].kind != "image" or self._input_image.image is None:
            return None
        return np.array(self._input_image.image)

    def connections(self, layer: int) -> tuple[np.ndarray, np.ndarray]:
        """(j, i) of every line drawn into weights layer `layer`: from neuron (or input
        pixel) i of the column before to neuron j."""
        if not 0 <= layer < len(self._lines):
            return np.empty(0, np.intp), np.empty(0, np.intp)
        return self._lines[layer].connections()

    def hover_text(self) -> str:
        """What the line under the network says now (the hint, or the neuron pointed at)."""
        return self._info.text

    def neuron_view_pos(self, layer: int, index: int) -> QPointF:
        """Centre of neuron `index` of weights layer `layer` in view coordinates
        (layer -1 is the input)."""
        x, y = self._columns[layer + 1].positions[index]
        return QPointF(float(x), float(y))

    def neuron_widget_pos(self, layer: int, index: int) -> QPoint:
        """The same centre in the coordinates of graphics_view()'s viewport (for clicks)."""
        scene_pos = self._view.mapViewToScene(self.neuron_view_pos(layer, index))
        return self._graphics.mapFromScene(scene_pos)

    def text_items(self) -> list[pg.TextItem]:
        """The texts drawn now in the view: the columns' headings and the output labels."""
        items = [c.heading for c in self._columns if c.heading is not None] + self._output_labels
        return [t for t in items if t.isVisible()]

    def graphics_view(self) -> pg.GraphicsView:
        return self._graphics

    def caption(self) -> str:
        return self._caption.text

    # -- layout -----------------------------------------------------------------------------
    def _clear_items(self) -> None:
        for item in self._items:
            self._view.removeItem(item)
        self._items = []
        self._columns, self._lines, self._output_labels = [], [], []
        self._input_image.clear()
        self._drawn_x = None
        self._sample_marks = None
        self._off_marks = None
        self._off_drawn = None
        self._tiles = False
        self._drawn_surface = None
        self._input_scale = None
        for ring in (self._selection_ring, self._predicted_ring, self._true_ring):
            ring.hide()

    def _add(self, item, z: float = 0.0):
        item.setZValue(z)
        self._view.addItem(item, ignoreBounds=True)  # the range is set by hand in _build
        self._items.append(item)
        return item

    def _build(self, snap: Snapshot, plane: Plane | None = None) -> None:
        """Create the items for this architecture (the only place items are created); with
        a plane, every neuron is a heatmap tile."""
        self._clear_items()
        self._content = QRectF()
        sizes, acts = tuple(snap.sizes), tuple(snap.activations)
        self._arch = (sizes, acts, plane)
        self._tiles = plane is not None
        self._pair_key = None
        heading_font = QFont()
        heading_font.setPointSizeF(9)

        layout = _tile_layout if self._tiles else _block_layout
        widths = [layout(n)[2] * layout(n)[0] for n in sizes[1:]]
        names = self._input_names if self._input_names is not None and len(self._input_names) == sizes[0] else None
        named = names is not None and sizes[0] <= MAX_NAMED_CIRCLES  # one column of circles, each named
        # 4 playground values and a table's named columns are no picture
        side = None if self._tiles or names is not None else picture_side(sizes[0])
        first = IMAGE_SIZE if side is not None else layout(sizes[0])[2] * layout(sizes[0])[0]
        # Long names ("petal length") need more room than x₁, x₂ left of the input column.
        longest = max(len(shortened(name)) for name in names) if named else 0
        room = max(INPUT_LABEL_ROOM, NAME_ROOM_PER_CHAR * longest)
        if self._tiles or named:
            first += room
        spare = TARGET_WIDTH - first - sum(widths) - 2.6
        gap = float(np.clip(spare / max(len(widths), 1), *COLUMN_GAP))

        if self._tiles:
            res = choose_resolution(sizes)  # what plane.surface_for evaluates at
            column = self._tile_column(0, sizes[0], INPUT_LABEL_ROOM, None, res)
            column.title = "input"
            self._build_inputs(column, plane, res)
            x_next = column.rect.right() + gap
        elif side is not None:
            rect = QRectF(0, (HEIGHT - IMAGE_SIZE) / 2, IMAGE_SIZE, IMAGE_SIZE)
            s = IMAGE_SIZE / side
            rows, cols = np.divmod(np.arange(sizes[0]), side)
            positions = np.column_stack([rect.left() + (cols + 0.5) * s, rect.top() + (rows + 0.5) * s])
            self._input_image.setImage(np.zeros((side, side), np.float32), autoLevels=False, levels=(0.0, 1.0))
            self._drawn_x = None
            self._input_image.setRect(rect)  # after setImage: the rect scales the image's current size
            column = _Column(0, sizes[0], "image", positions, s, rect, stride=side, title=f"input\n{side}×{side}")
            x_next = rect.right() + gap
        else:
            column = self._neuron_column(0, sizes[0], room if named else 0.0, "unit")
            column.title = f"input\n{sizes[0]} values"
            if named:
                self._name_inputs(column, names)
            x_next = column.rect.right() + gap
        self._columns = [column]

        for l, n in enumerate(sizes[1:]):
            act = acts[l]
            if self._tiles:
                column = self._tile_column(l + 1, n, x_next, act, res)
            else:
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
        if self._tiles:
            marks = pg.ScatterPlotItem(
                pxMode=True, symbol="o", size=5, pen=pg.mkPen(20, 20, 24, width=1.2), brush=pg.mkBrush(255, 255, 255)
            )
            self._sample_marks = self._add(marks, z=12)
        off = pg.ScatterPlotItem(pxMode=True, symbol="x", size=11, pen=pg.mkPen(20, 20, 24, width=1), brush=OFF_MARK)
        self._off_marks = self._add(off, z=13)

        for left, right in zip(self._columns, self._columns[1:]):
            reach = left.rect.united(right.rect).adjusted(-0.5, -0.5, 0.5, 0.5)
            self._lines.append(self._add(_ConnectionLines(reach), z=2))

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

        top = min(min(c.rect.top() for c in self._columns), 0.0) - 0.15  # the headings' baseline
        self._content = QRectF(-0.3, top, out.rect.right() + 0.6, HEIGHT + 0.45 - top)
        self._home = QRectF(self._content).adjusted(0.0, -2.0, 0.0, 0.0)
        self._zoomed = False
        self._view.setRange(self._home, padding=0.0)
        self.fit_text()
        self._update_highlight()  # backprop stepper: the columns moved

    def fit_text(self) -> None:
        """Fit the headings and output labels to the view's size on screen: labels follow
        the rows' spacing (every k-th label when rows are very close), a heading shrinks or
        is abbreviated rather than run into the next column, and the home range keeps just
        enough room above the columns for their headings and right of the output column
        for its labels and heading."""
        if not self._columns or self._content.isEmpty():
            return
        box = self._view.geometry()
        width, height = box.width(), box.height()
        if width < 40 or height < 40:
            return
        content, out = self._content, self._columns[-1]
        right, above = 0.0, 0.0  # pixels of text beside and above the drawing
        for _ in range(3):  # the scale depends on the margins and the margins on the fonts
            scale = min((width - right) / content.width(), (height - above) / content.height())
            right = self._fit_output_labels(scale, out)
            heading_right, above = self._fit_headings(scale, width, right)
            right = max(right, heading_right)
        scale = min((width - right) / content.width(), (height - above) / content.height())
        self._fit_output_labels(scale, out)  # placed for the final scale
        self._home = content.adjusted(0.0, -above / scale, right / scale, 0.0)
        if not self._zoomed:
            self._view.setRange(self._home, padding=0.0)

    def _fit_output_labels(self, scale: float, out: _Column) -> float:
        """Size the output labels to the rows' spacing and place them right of the column,
        a column of labels for each column of neurons (a 26-class block has two), so the
        labels of one row stand side by side; the pixels they need right of the column."""
        if not self._output_labels:
            return 8.0
        rows = max(out.stride, 1)
        pitch = abs(out.positions[1, 1] - out.positions[0, 1]) * scale if rows > 1 else 40.0
        px = int(np.clip(pitch * 0.8, *LABEL_PX))
        font = QFont()
        font.setPixelSize(px)
        metrics = QFontMetricsF(font)
        every = max(1, math.ceil(math.ceil(metrics.lineSpacing()) / pitch - 0.02)) if rows > 1 else 1
        widest = 0.0
        for j, text in enumerate(self._output_labels):
            text.setFont(font)
            text.setVisible((j % rows) % every == 0)
            lines = text.toPlainText().splitlines() or [""]
            widest = max(widest, max(metrics.horizontalAdvance(line) for line in lines))
        step = widest + 10.0
        for j, text in enumerate(self._output_labels):
            text.setPos(out.rect.right() + (4.0 + (j // rows) * step) / scale, out.positions[j, 1])
        return step * math.ceil(len(self._output_labels) / rows)

    def _fit_headings(self, scale: float, width: float, label_margin: float) -> tuple[float, float]:
        """Choose each heading's size or short form to fit before the next column; the
        pixels the last heading needs right of its column, and the headings' height."""
        right, above = 0.0, 0.0
        for c, column in enumerate(self._columns):
            if column.heading is None:
                continue
            if c + 1 < len(self._columns):
                room = (self._columns[c + 1].rect.left() - column.rect.left()) * scale - 8.0
            else:  # the last may reach over the labels' margin, and a little further
                room = column.rect.width() * scale + max(label_margin, 0.2 * width)
            text, font = self._heading_variant(column, room)
            column.heading.setText(text)
            column.heading.setFont(font)
            metrics = QFontMetricsF(font)
            lines = text.splitlines()
            above = max(above, len(lines) * metrics.lineSpacing() + 10.0)
            if c + 1 == len(self._columns):
                wide = max(metrics.horizontalAdvance(line) for line in lines)
                right = wide - column.rect.width() * scale + 6.0
        return right, above

    def _heading_variant(self, column: _Column, room: float) -> tuple[str, QFont]:
        """The largest heading (full title, then short) that fits `room` pixels."""
        font = QFont()
        titles = [column.title]
        if column.k > 0:
            head, _, rest = column.title.partition("\n")
            short_head = head.replace("layer ", "L").replace("output", "out")
            n, _, act = rest.partition(" ")
            titles.append(f"{short_head}\n{n} {SHORT_ACTIVATION.get(act, act)}".rstrip())
        tries = [(title, points) for title in titles for points in HEADING_POINTS]
        tries.remove((column.title, HEADING_POINTS[-1]))  # rather “L1 16 σ” than the full title tiny
        for title, points in tries:
            font.setPointSizeF(points)
            metrics = QFontMetricsF(font)
            if max(metrics.horizontalAdvance(line) for line in title.splitlines()) <= room:
                return title, QFont(font)
        return titles[-1], QFont(font)

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
        # image[c, r]: columns of neurons, as shade indices + 1 (0: the empty end of the last column)
        item = self._add(pg.ImageItem(axisOrder="col-major"), z=10)
        lut = shade_table(gray_colormap() if mode in ("unit", "magnitude") else diverging_colormap())
        item.setImage(np.zeros((cols, rows, 4), np.uint8), levels=None, autoLevels=False)
        item.setRect(rect)  # after setImage: the rect scales the image's current size
        return _Column(k, n, "grid", positions, s, rect, mode, stride=rows, item=item, lut=lut)

    def _tile_column(self, k: int, n: int, x_left: float, activation: str | None, res: int) -> _Column:
        """A block of heatmap tiles: one mosaic ImageItem (NaN between the tiles shows the
        background) over square frames shaded by the activation for the current sample."""
        s, rows, cols = _tile_layout(n)
        rect = QRectF(x_left, HEIGHT / 2 - rows * s / 2, cols * s, rows * s)
        c, r = np.divmod(np.arange(n), rows)
        positions = np.column_stack([rect.left() + (c + 0.5) * s, rect.top() + (r + 0.5) * s])
        pad = _tile_pad(res)
        tile = s * res / (res + pad)
        frames = self._add(pg.ScatterPlotItem(pxMode=False, symbol="s"), z=9)
        frames.setData(pos=positions, size=tile + 0.8 * (s - tile), pen=None, brush=self._blank_brush)
        mosaic = self._add(pg.ImageItem(axisOrder="row-major"), z=10)
        column = _Column(
            k, n, "tiles", positions, tile, rect, stride=rows, item=frames, activation=activation, mosaic=mosaic
        )
        self._allocate_mosaic(column, res)
        return column

    def _allocate_mosaic(self, column: _Column, res: int) -> None:
        pad = _tile_pad(res)
        rows, cols = column.stride, math.ceil(column.n / column.stride)
        column.res, column.pad = res, pad
        column.buffer = np.zeros((rows * (res + pad), cols * (res + pad)), np.uint8)
        column.cell = column.rect.height() / rows * res / (res + pad)
        column.mosaic.setImage(column.buffer, lut=TILE_LUT, levels=None, autoLevels=False)
        column.mosaic.setRect(column.rect)  # after setImage: the rect scales the image's current size

    def _fill_mosaic(self, column: _Column, images: np.ndarray) -> None:
        """Draw images (n, res, res) (row 0 = bottom of the plane) at column.levels: their
        colour indices go into the mosaic upside down, as the view's y axis points down."""
        res = images.shape[-1]
        if res != column.res:
            self._allocate_mosaic(column, res)
        column.values = images
        colors = tile_indices(images, column.levels)
        rows, cell, o = column.stride, res + column.pad, column.pad // 2
        grid = column.buffer.reshape(rows, cell, -1, cell)
        for c in range(grid.shape[2]):
            m = min(rows, column.n - c * rows)
            grid[:m, o : o + res, c, o : o + res] = colors[c * rows : c * rows + m, ::-1, :]
        column.mosaic.setImage(column.buffer, lut=TILE_LUT, levels=None, autoLevels=False)

    def _build_inputs(self, column: _Column, plane: Plane, res: int) -> None:
        """The input tiles never change: x1, x2 and each feature over the plane, each scaled
        to -1..1 (x1² runs 0..36, sin x1 -1..1), named on their left."""
        grid = plane_grid(plane.extent, res, plane.features)
        values = grid.inputs.T.reshape(-1, res, res)
        scale = np.max(np.abs(values), axis=(1, 2))
        self._input_scale = np.where(scale > 0, scale, 1.0)
        column.levels = (-1.0, 1.0)
        self._fill_mosaic(column, (values / self._input_scale[:, None, None]).astype(np.float32))
        font = QFont()
        font.setPointSizeF(11)
        for j, name in enumerate(input_names(plane.features)):
            text = self._add(pg.TextItem(FEATURE_LABELS[name], color=(220, 220, 220), anchor=(1.0, 0.5)), z=15)
            text.setFont(font)
            x, y = column.positions[j]
            text.setPos(column.rect.left() - 0.12, y)

    def _name_inputs(self, column: _Column, names: Sequence[str]) -> None:
        """A table's column names (or x₁ … xₙ) on the left of the input circles, cut short
        so they stay within the room left for them (hovering a circle reads the whole name)."""
        font = QFont()
        font.setPointSizeF(8 if column.n > 12 else 10)
        for j, name in enumerate(names):
            short = shortened(name)
            text = self._add(pg.TextItem(short, color=(220, 220, 220), anchor=(1.0, 0.5)), z=15)
            text.setFont(font)
            x, y = column.positions[j]
            text.setPos(column.rect.left() - 0.05, y)

    def _update_tiles(self, snap: Snapshot) -> None:
        """Refill every layer's mosaic from the plane's Surface (once per snapshot)."""
        surface = self._plane.surface_for(snap) if self._plane is not None else None
        if surface is None or surface is self._drawn_surface:
            return
        self._drawn_surface = surface
        for column, images in zip(self._columns[1:], surface.layers):
            levels = column.levels = tile_levels(column.activation, images)
            self._fill_mosaic(column, images)
            if column.activation not in ACTIVATION_LEVELS and column.heading is not None:
                text = f"{column.title}\ncolour ±{levels[1]:.3g}"
                if column.heading.toPlainText() != text:
                    column.heading.setText(text)

    def _update_sample_marks(self, x: np.ndarray | None) -> None:
        """The current sample's point (x1, x2) on every tile; hidden outside the plane."""
        marks = self._sample_marks
        if marks is None or self._plane is None:
            return
        x_min, x_max, y_min, y_max = self._plane.extent
        if x is None or x.size < 2 or not (x_min <= x[0] <= x_max and y_min <= x[1] <= y_max):
            marks.setData([], [])
            return
        u = (float(x[0]) - x_min) / (x_max - x_min) - 0.5
        v = (float(x[1]) - y_min) / (y_max - y_min) - 0.5
        big = [c for c in self._columns if c.cell >= MIN_MARKED_TILE]  # a dot would hide a tiny tile
        pos = [c.positions + c.cell * np.array([u, -v]) for c in big]
        marks.setData(pos=np.concatenate(pos) if pos else np.empty((0, 2)))

    def _output_activation(self) -> str:
        return self._arch[1][-1] if self._arch else "softmax"

    def _one_output(self) -> bool:
        return bool(self._columns) and self._columns[-1].n == 1

    def _output_label_text(self, j: int) -> str:
        if self._one_output():  # one neuron, two classes (core.targets)
            threshold = decision_threshold(self._output_activation())
            return (
                f"class {class_label(self._class_names, 1)}\nif a > {threshold:g}"  # two short lines fit a narrow dock
            )
        return class_label(self._class_names, j)

    def _update_output_label_names(self) -> None:
        for j, text in enumerate(self._output_labels):
            text.setText(self._output_label_text(j))
        self.fit_text()

    def _on_range_changed_manually(self, _mask) -> None:
        self._zoomed = True

    # -- per frame --------------------------------------------------------------------------
    def _update(self) -> None:
        snap, x = self._snapshot, self._x
        if x is not None and self._columns and self._columns[0].kind == "image" and x.size == self._columns[0].n:
            # Only a new picture: setting one repaints the lines over it.
            if self._drawn_x is None or not np.array_equal(x, self._drawn_x):
                side = self._columns[0].stride
                self._input_image.setImage(x.reshape(side, side), autoLevels=False, levels=(0.0, 1.0))
                self._drawn_x = x.copy()
        if snap is None:
            self._pass = None
            self._predicted = None
            self._caption.setText("No network yet.")
            self._update_rings()
            return
        if self._tiles:
            self._update_tiles(snap)  # the pictures do not depend on the sample
            self._update_sample_marks(x if x is not None and x.size == snap.sizes[0] else None)
        p = self._sample_pass(snap, x)
        if p is None:
            self._pass = None
            self._predicted = None
            why = (
                f"The sample has {x.size} values but the network expects {snap.sizes[0]} inputs."
                if x is not None and x.size != snap.sizes[0]
                else "Pick a sample to see what each neuron does with it."
            )
            self._caption.setText(why)
            self._shade_blank()
            self._update_off_marks(None)
            self._update_rings()
            return
        self._pass = p
        for column, a in zip(self._columns, p.activations):
            self._shade_column(column, a)
        self._predicted = p.predicted  # argmax, or a > threshold for one output
        self._update_connections(snap, x)
        self._update_off_marks(p.silent)
        self._update_caption(p.output)
        self._update_rings()

    def _sample_pass(self, snap: Snapshot, x: np.ndarray | None) -> SamplePass | None:
        """The sample through the snapshot's network: the session's shared pass when there
        is a session, else one of its own; None when there is no sample or it does not fit."""
        if x is None or x.size != snap.sizes[0]:
            return None
        if self._session is not None:
            p = self._session.sample_pass()
            return p if p is not None and p.net is snap.network else None
        # set_sample gives x and a label without saying where it came from; the pass does not need to know
        return SamplePass.compute(snap.network, Sample.point(x, self._label))

    def _update_off_marks(self, silent: Sequence[np.ndarray] | None) -> None:
        """A cross over every switched-off neuron (none without a sample's pass)."""
        if self._off_marks is None:
            return
        pos = [c.positions[s] for c, s in zip(self._columns, silent or ()) if s.size == c.n and s.any()]
        pos = np.concatenate(pos) if pos else np.empty((0, 2))
        if self._off_drawn is not None and np.array_equal(pos, self._off_drawn):
            return
        self._off_drawn = pos
        self._off_marks.setData(pos=pos)

    def _shade_column(self, column: _Column, a: np.ndarray) -> None:
        if column.kind == "image":
            return
        if column.kind == "tiles":  # the frame takes the tile's colour at the sample's point
            if column.k == 0:
                t = 0.5 + 0.5 * np.asarray(a, np.float64) / self._input_scale
            else:
                low, high = column.levels
                t = (np.asarray(a, np.float64) - low) / (high - low)
            t = np.nan_to_num(t, nan=0.5, posinf=1.0, neginf=0.0)
            column.item.setBrush([self._tile_brushes[i] for i in shade_index(t)])
            return
        t, scale = shade(a, column.mode)
        if column.mode in ("magnitude", "signed-magnitude"):
            what = "a / max a" if column.mode == "magnitude" else "a / max |a|"
            text = f"{column.title}\nshade {what}\nmax = {scale:.3g}"
            if column.heading.toPlainText() != text:
                column.heading.setText(text)
        shades = shade_index(t)
        if column.shades is not None and np.array_equal(shades, column.shades):
            return  # nothing to repaint
        column.shades = shades
        if column.kind == "circles":
            brushes = self._gray if column.mode in ("unit", "magnitude") else self._diverging
            column.item.setBrush([brushes[i] for i in shades])
        else:
            rows = column.stride
            grid = np.zeros(math.ceil(column.n / rows) * rows, dtype=np.uint8)
            grid[: column.n] = shades + 1
            column.item.setImage(column.lut[grid].reshape(-1, rows, 4), levels=None, autoLevels=False)

    def _shade_blank(self) -> None:
        if self._tiles:  # no sample: the tiles and the weights still say everything
            for column in self._columns:
                column.item.setBrush(self._blank_brush)
            self._update_connections(self._snapshot, None)
            return
        for column in self._columns[1:]:
            self._shade_column(column, np.zeros(column.n))
        for lines in self._lines:
            lines.clear()

    def _update_connections(self, snap: Snapshot, x: np.ndarray | None) -> None:
        """Input -> first layer: each neuron's strongest contributions w·x for this sample
        (they change with the sample); deeper pairs: the strongest |w|. While training they
        are re-chosen at most every CONNECTIONS_INTERVAL_S (choosing costs ~2 ms per large
        pair, and lines that flicker 30 times a second cannot be followed anyway).
        Tiles (a plane): every pair shows its strongest |w|, the same for every sample, as
        TensorFlow Playground draws them."""
        if not self._lines:
            return
        if self._tiles:
            x = None
        drawn = self._pair_key
        if drawn is not None and drawn[0] is snap.weights[0] and drawn[1] is x:
            return
        now = time.monotonic()
        sample_changed = drawn is None or x is not drawn[1]
        if snap.state == "running" and not sample_changed and now - self._pair_time < CONNECTIONS_INTERVAL_S:
            return
        self._pair_key, self._pair_time = (snap.weights[0], x), now
        if self._tiles:
            self._draw_pair(0, *_strongest(snap.weights[0], min(TOP_CONNECTIONS, snap.weights[0].size)))
        else:
            self._draw_pair(0, *_input_candidates(snap.weights[0], x))
        for k in range(2, len(self._columns)):
            w = snap.weights[k - 1]
            top = min(TOP_CONNECTIONS, w.size if self._tiles else 3 * sum(w.shape))
            self._draw_pair(k - 1, *_strongest(w, top))

    def _draw_pair(self, pair_index: int, j: np.ndarray, i: np.ndarray, value: np.ndarray) -> None:
        """Lines from neuron i of column k-1 to neuron j of column k, styled by value's sign
        and by |value| relative to the largest drawn. Lines that are the same as before keep
        the pair's cached picture (a pair's lines cost ~1 ms to repaint), though early in
        training most re-choices change some line of a 512-wide pair."""
        src, dst = self._columns[pair_index], self._columns[pair_index + 1]
        magnitude = np.abs(value)
        if magnitude.size == 0 or not magnitude.max() > 0:
            j = i = np.empty(0, np.intp)
            value = magnitude = np.empty(0)
        order = np.lexsort((i, j))  # the same lines in the same order, whatever order they were found in
        j, i, value, magnitude = j[order], i[order], value[order], magnitude[order]
        strength = magnitude / magnitude.max() if magnitude.size else magnitude
        sign = np.sign(value)
        bins = np.searchsorted([lo for lo, _, _ in STRENGTH_BINS[1:]], strength, side="right")
        for s in (1, -1):
            for b in range(len(STRENGTH_BINS)):
                m = (sign == s) & (bins == b)
                ends = np.column_stack([src.positions[i[m]], dst.positions[j[m]]])
                self._lines[pair_index].set_lines((s, b), ends, j[m], i[m])

    def _update_caption(self, out: np.ndarray) -> None:
        """The answer in words; a narrow dock drops words, never the value at the end."""
        snap = self._snapshot
        p = self._predicted
        predicted = f'<span style="color:{PREDICTED.name()}">{class_label(self._class_names, p)}</span>'
        if out.size == 1:  # one output neuron: class 1 exactly where a > the threshold
            threshold = decision_threshold(snap.activations[-1])
            value = f"a = {out[0]:.2f} {'>' if p == 1 else '≤'} {threshold:g}"
            long, short = f"Class {predicted} ({value})", f"{predicted} ({value})"
        else:
            value = percent(out[p]) if snap.activations[-1] == "softmax" else f"a = {out[p]:.2f}"
            article = with_article(class_label(self._class_names, p)).partition(" ")[0]
            long, short = f"Looks like {article} {predicted} ({value})", f"{predicted} ({value})"
        if self._label is None:
            self._caption.set_text_variants((long, short))
            return
        true = f'<span style="color:{TRUE_LABEL.name()}">{class_label(self._class_names, self._label)}</span>'
        mark = "✓" if self._label == p else "✗"
        verdict = f" — true: {true} {mark}"
        self._caption.set_text_variants((long + verdict, short + verdict, f"{short} {mark}"))

    def _ring_path(self, k: int, j: int, grow: float) -> QPainterPath | None:
        if not (0 <= k < len(self._columns)) or not (0 <= j < self._columns[k].n):
            return None
        column = self._columns[k]
        x, y = column.positions[j]
        if column.kind == "tiles":
            grow = 1 + (grow - 1) * TILE_RING_GROW
        r = column.cell / 2 * grow
        path = QPainterPath()
        if column.kind == "circles":
            path.addEllipse(QPointF(float(x), float(y)), r, r)
        else:
            path.addRect(QRectF(float(x) - r, float(y) - r, 2 * r, 2 * r))
        return path

    def _update_rings(self) -> None:
        out_k = len(self._columns) - 1
        # A single output neuron stands for class 1 only: its label, not a ring, says the answer.
        per_class = not self._one_output()
        predicted = self._predicted if per_class else None
        label = self._label if per_class and self._pass is not None else None
        for ring, target, grow in (
            (self._selection_ring, self._selected, 1.35),
            (self._predicted_ring, None if predicted is None else (out_k, predicted), 1.15),
            (self._true_ring, None if label is None else (out_k, label), 1.45),
        ):
            path = None if target is None else self._ring_path(*target, grow)
            if path is None:
                ring.hide()
            else:
                ring.setPath(path)
                ring.show()
        for j, text in enumerate(self._output_labels):
            if j == predicted or (not per_class and self._predicted == 1):
                text.setColor(PREDICTED)
            elif j == label:
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
            dx, dy = column.positions[:, 0] - px, column.positions[:, 1] - py
            if column.kind == "tiles":  # squares: the whole tile and a little of its frame
                d = np.maximum(np.abs(dx), np.abs(dy))
                j = int(np.argmin(d))
                if d[j] <= column.cell * 0.56:
                    return column.k, j
                continue
            d = np.hypot(dx, dy)
            j = int(np.argmin(d))
            if d[j] <= column.cell * 0.75:
                return column.k, j
        return None

    def _plane_point(self, k: int, j: int, view_pos: QPointF) -> tuple[float, float, int, int] | None:
        """(x1, x2, row, col) of the plane under view_pos on tile j of column k (row 0 at
        the bottom, as in the Surface), or None off the tile."""
        column = self._columns[k]
        if column.kind != "tiles" or self._plane is None or column.res == 0:
            return None
        x, y = column.positions[j]
        u = (view_pos.x() - x) / column.cell + 0.5
        v = 0.5 - (view_pos.y() - y) / column.cell  # view y points down, x2 up
        if not (0 <= u < 1 and 0 <= v < 1):
            return None
        x_min, x_max, y_min, y_max = self._plane.extent
        res = column.res
        return x_min + u * (x_max - x_min), y_min + v * (y_max - y_min), int(v * res), int(u * res)

    def _describe(self, k: int, j: int, view_pos: QPointF | None = None) -> str:
        point = None if view_pos is None else self._plane_point(k, j, view_pos)
        where_on_plane = "" if point is None else f"; at x₁ = {point[0]:+.2f}, x₂ = {point[1]:+.2f}"
        if k == 0:
            value = "" if self._x is None or self._x.size <= j else f" = {self._x[j]:.3f}"
            column = self._columns[0]
            if column.kind == "image":
                r, c = divmod(j, column.stride)
                return f"input pixel ({r}, {c}){value}"
            if column.kind == "tiles" and self._plane is not None:
                name = FEATURE_LABELS[input_names(self._plane.features)[j]]
                here = ""
                if point is not None and self._input_scale is not None:
                    here = f" = {self.tile_image(-1, j)[point[2], point[3]] * self._input_scale[j]:.3f}"
                return f"input {name}{value}{where_on_plane}{here}"
            if self._input_names is not None and j < len(self._input_names):
                return f"input {self._input_names[j]}{value}"
            return f"input {j}{value}"
        l = k - 1
        is_output = k == len(self._columns) - 1
        where = "output" if is_output else f"layer {k}"
        name = f" “{self._output_label_text(j)}”" if is_output else ""
        text = f"{where} neuron {j}{name}"
        if self._snapshot is not None:
            text += f": b = {self._snapshot.biases[l][j]:+.3f}"
        if self._pass is not None:
            z = self._pass.zs[l][j]
            if self._pass.silent[k][j]:
                text += f", z = {z:+.3f}, switched off (a = 0)"
            else:
                text += f", z = {z:+.3f}, a = {self._pass.activations[k][j]:.3f}"
        if point is not None and self._drawn_surface is not None:
            text += f"{where_on_plane}: a = {self._drawn_surface.layers[l][j, point[2], point[3]]:.3f}"
        return text

    def _on_mouse_moved(self, scene_pos: QPointF) -> None:
        hit = self._neuron_at(scene_pos)
        if hit is None:
            self._info.set_text_variants((self.HINT, *self.SHORT_HINTS))
            self._graphics.setToolTip("")
            return
        text = self._describe(*hit, self._view.mapSceneToView(scene_pos))
        self._info.setText(text)
        self._graphics.setToolTip(text)  # the whole text, when a narrow dock cuts the line

    def _on_mouse_clicked(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        if event.double():
            if not self._home.isNull():
                self._zoomed = False
                self._view.setRange(self._home, padding=0.0)
            return
        hit = self._neuron_at(event.scenePos())
        if hit is None or hit[0] == 0:  # input pixels are not neurons
            return
        self._selected = hit
        self._update_rings()
        self.neuron_selected.emit(hit[0] - 1, hit[1])
        if self._session is not None:
            self._session.select_neuron(hit[0] - 1, hit[1])


def shade_table(colormap: pg.ColorMap) -> np.ndarray:
    """RGBA colours (N_SHADES + 1, 4) uint8 of shade indices + 1: entry 0 transparent, entry
    i + 1 the colour of shade_brushes(colormap)[i]. A block's picture is given to pyqtgraph
    already coloured: with a colour table it would rebuild Qt's table entry by entry in
    Python for every picture."""
    table = np.zeros((N_SHADES + 1, 4), np.ubyte)
    table[1:] = colormap.getLookupTable(0.0, 1.0, N_SHADES, alpha=True)
    return table


def _strongest(w: np.ndarray, top: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(j, i, w[j, i]) of the `top` largest |w| (n_out, n_in), zeros left out."""
    magnitude = np.abs(w).ravel()
    lo, hi = magnitude.min(), magnitude.max()
    if not hi > 0:
        idx = np.empty(0, dtype=np.intp)
    elif top >= magnitude.size or lo == hi:  # all of them, or all tied (argpartition is slow on ties)
        idx = np.arange(min(top, magnitude.size))
    else:
        idx = largest_indices(magnitude, top)
    j, i = np.divmod(idx, w.shape[1])
    return j, i, w.ravel()[idx]


def largest_indices(values: np.ndarray, top: int) -> np.ndarray:
    """Indices of the `top` largest of values (1-D), in no order. A large array is first cut
    to the values above a threshold read off every 64th value (about 4x top of them): a full
    argpartition of a 512x512 layer costs ~1.2 ms, the cut ~0.2 ms, and the result is the
    same whenever at least `top` values pass it (else the full argpartition runs)."""
    if values.size > 64 * top:
        sample = values[::64]
        k = min(sample.size, 4 * top * sample.size // values.size + 1)
        candidates = np.flatnonzero(values >= np.partition(sample, sample.size - k)[sample.size - k])
        if candidates.size >= top:
            kept = values[candidates]
            return candidates[np.argpartition(kept, kept.size - top)[-top:]]
    return np.argpartition(values, values.size - top)[-top:]


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
    cols = (
        np.argpartition(magnitude, lit.size - m, axis=1)[:, -m:] if m < lit.size else np.tile(np.arange(m), (len(w), 1))
    )
    rows = np.repeat(np.arange(len(w)), m)
    cols = cols.ravel()
    values = contribution[rows, cols]
    if values.size > TOP_INPUT_CONNECTIONS:
        keep = np.argpartition(np.abs(values), values.size - TOP_INPUT_CONNECTIONS)[-TOP_INPUT_CONNECTIONS:]
        rows, cols, values = rows[keep], cols[keep], values[keep]
    return rows, lit[cols], values


def shortened(name: str) -> str:
    """An input's name cut to MAX_NAME_CHARS, to sit beside its circle."""
    return name if len(name) <= MAX_NAME_CHARS else name[: MAX_NAME_CHARS - 1] + "…"


def _block_layout(
    n: int, max_cell: float = MAX_CELL, min_cell: float = MIN_CELL, max_width: float = GRID_MAX_WIDTH
) -> tuple[float, int, int]:
    """(cell size, rows, columns) for n neurons: a single column while cells stay at least
    min_cell big, else the fewest columns reaching that, else the biggest cells that fit."""
    best = (0.0, n, 1)
    for cols in range(1, n + 1):
        rows = math.ceil(n / cols)
        s = min(HEIGHT / rows, max_width / cols, max_cell)
        if s >= min_cell:
            return s, rows, cols
        if s > best[0]:
            best = (s, rows, cols)
        if max_width / cols < best[0]:
            break  # more columns only make cells smaller
    return best


def _tile_layout(n: int) -> tuple[float, int, int]:
    """_block_layout for heatmap tiles, which need more room than circles."""
    return _block_layout(n, TILE_MAX_CELL, TILE_MIN_CELL, TILE_MAX_WIDTH)


def _tile_pad(res: int) -> int:
    """Pixels between two res x res tiles of a mosaic (even: the tile sits centred)."""
    return max(2, 2 * round(res * (1 / TILE_FILL - 1) / 2))
