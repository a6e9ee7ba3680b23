"""What each first-layer neuron looks for: its incoming weights drawn as a picture of the
input (28x28 for MNIST, 8x8 for scikit-learn's digits), all neurons tiled into one mosaic
that changes as the network learns.

A playground network's inputs (a point's x1, x2 and features) and a table's named columns
make no picture: the panel then draws the first layer's weight matrix itself, one row per
neuron and one column per named input, plus its bias, with the numbers in the cells."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPoint, QPointF, QRectF, Qt, Signal, Slot
from PySide6.QtGui import QColor, QFont, QPen
from PySide6.QtWidgets import QGraphicsRectItem, QLabel, QStackedWidget, QVBoxLayout, QWidget

from visnet.app.colors import (
    PREDICTED,
    diverging_colormap,
    image_side,
    input_labels,
    inputs_are_values,
    palette,
    sign_colours_text,
    symmetric_limit,
)
from visnet.app.session import Session
from visnet.app.then_and_now import THEN, ThenNowChoice, compared
from visnet.core.features import check_features
from visnet.core.sample_pass import silent_neurons
from visnet.core.snapshot import Snapshot

GAP = 1  # pixels of background between tiles
LIMIT_INTERVAL_S = 0.25  # while training, the colour limit is re-measured at most this often
LIMIT_TOLERANCE = 0.03  # relative change of the colour limit worth redrawing the colour bar for
# A mosaic of this many neurons or more is redrawn at most every BIG_MOSAIC_INTERVAL_S while
# training runs at full speed: 512 small pictures that change a little every frame cannot be
# followed at 30 Hz anyway, and redrawing them cost ~8 ms of every frame. A pause, a step or
# slow motion draws every snapshot.
BIG_MOSAIC = 100
BIG_MOSAIC_INTERVAL_S = 0.1
MAX_CELL_TEXTS = 160  # matrix cells that get their value written in them
TWO_LINE_AXIS = 42  # pixels of the bottom axis when column names take two lines
MAX_COLUMN_TICKS = 16  # a wider matrix names every k-th column only, so the names do not collide
PICTURE_TITLE = "First-layer weights: {positive} pixels excite a neuron, {negative} inhibit it"  # sign_colours_text
MATRIX_HINT = "Hover a cell to read a weight; click a row to select its neuron."
# The pictures are drawn as colour indices (uint8): index k in 1..N_COLORS is the colour map
# at (k - 1) / (N_COLORS - 1), -lim to +lim; 0 is transparent (the gaps). pyqtgraph then
# looks colours up directly instead of masking NaN gaps and rescaling floats: a 512-neuron
# mosaic is 450,000 pixels.
N_COLORS = 255
PICTURE_LUT = np.vstack([[0, 0, 0, 0], diverging_colormap().getLookupTable(0.0, 1.0, N_COLORS, alpha=True)]).astype(
    np.ubyte
)


def color_indices(w: np.ndarray, lim: float) -> np.ndarray:
    """Colour indices (uint8, 1..N_COLORS) of weights w for levels (-lim, lim): -lim and
    below is 1, +lim and above N_COLORS, 0 the middle index."""
    half = (N_COLORS - 1) / 2
    with np.errstate(invalid="ignore"):  # NaN weights of a diverging run: some index, no warning
        t = np.asarray(w, np.float32) * np.float32(half / lim) + np.float32(half + 1.5)
        return np.clip(t, 1, N_COLORS + 0.5, out=t).astype(np.uint8)


def mosaic_shape(n: int) -> tuple[int, int]:
    """(rows, cols) of tiles for n neurons: cols = ceil(sqrt(n))."""
    cols = max(1, math.ceil(math.sqrt(n)))
    return math.ceil(n / cols), cols


class WeightMosaicPanel(QWidget):
    """Every neuron of the first hidden layer as its incoming-weight picture, in one ImageItem.

    One ImageItem for the whole mosaic (not one per neuron) keeps a 512-neuron layer fast;
    symmetric levels make white mean "ignores this pixel" in every frame.

    Given a Session, it outlines the session's neuron (when it is in the first layer) and
    writes clicks back to it; without one, select_neuron and set_features drive it.
    """

    neuron_selected = Signal(int, int)  # (layer, neuron); always layer 0 here

    HINT = "Hover a tile to read a weight; click to select its neuron; wheel zooms, double click resets."

    def __init__(self, parent: QWidget | None = None, *, session: Session | None = None):
        super().__init__(parent)
        self._session = session
        self._side: int | None = None  # picture side (28) or None when inputs are not square
        self._n = 0  # neurons in the first layer
        self._rows = self._cols = 0
        # Pictures: (rows*(side+GAP), cols*(side+GAP)) uint8 colour indices, 0 in the gaps;
        # the matrix: (n, n_in + 2) float32 values, NaN in the gap before the bias.
        self._buffer: np.ndarray | None = None
        self._mosaic: np.ndarray | None = None  # the displayed view of _buffer (trailing gap cut)
        self._weights: np.ndarray | None = None
        self._switched_off = np.zeros(0, dtype=np.intp)
        self._lim = 1.0
        self._lim_at = 0.0  # when the colour limit was last measured (0: never, for this network)
        self._drawn_at = float("-inf")  # when a big mosaic was last drawn while training at full speed
        self._selected: int | None = None
        self._matrix = False  # a playground network: the weight matrix, not pictures
        self._n_in = 0
        self._features: tuple[str, ...] | None = None  # set_features; None: x₁, x₂, input 3, ...
        self._input_names: tuple[str, ...] | None = None  # set_input_names: a table's columns, ...
        self._labels: tuple[str, ...] = ()
        self._biases: np.ndarray | None = None
        self._cell_texts: list[pg.TextItem] = []

        self._title = QLabel(sign_colours_text(PICTURE_TITLE))
        self._title.setWordWrap(True)
        self._info = QLabel(self.HINT)
        self._info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._info.setWordWrap(True)  # a long hint must not force the dock wide

        self._graphics = pg.GraphicsLayoutWidget()
        self._set_colour_texts()
        palette.changed.connect(self._set_colour_texts)
        self._plot: pg.PlotItem = self._graphics.addPlot()
        self._plot.hideAxis("left")
        self._plot.hideAxis("bottom")
        self._plot.setMenuEnabled(False)
        self._plot.hideButtons()
        self._view: pg.ViewBox = self._plot.getViewBox()
        self._view.setAspectLocked(True)
        self._view.invertY(True)
        self._image = pg.ImageItem(axisOrder="row-major")  # the matrix, coloured by the colour bar
        self._plot.addItem(self._image)
        self._pictures = pg.ImageItem(axisOrder="row-major")  # colour indices, see PICTURE_LUT
        self._plot.addItem(self._pictures)
        # The gaps are also traced with 1-screen-pixel lines: once a 512-neuron mosaic is
        # shrunk below its pixel size, scaling would keep some 1-pixel gaps and drop others.
        grid_pen = pg.mkPen(pg.getConfigOption("background"), width=1, cosmetic=True)
        self._grid = pg.PlotCurveItem(pen=grid_pen, connect="pairs", antialias=False)
        self._grid.setZValue(5)
        self._plot.addItem(self._grid, ignoreBounds=True)
        # A neuron switched off (its outgoing weights all zero) keeps its incoming weights:
        # its tile is crossed out, as in the network view, so it does not look at work.
        self._off_marks = pg.ScatterPlotItem(
            symbol="x", size=26, pen=pg.mkPen(235, 235, 235, 220, width=2), brush=pg.mkBrush(20, 20, 24, 160)
        )
        self._off_marks.setZValue(6)
        self._plot.addItem(self._off_marks, ignoreBounds=True)
        self._colorbar = pg.ColorBarItem(
            values=(-1.0, 1.0), colorMap=diverging_colormap(), interactive=False, label="weight", width=15
        )
        self._colorbar.setImageItem(self._image, insert_in=self._plot)
        self._highlight = QGraphicsRectItem()
        pen = QPen(PREDICTED, 2)
        pen.setCosmetic(True)  # constant on-screen width at any zoom
        self._highlight.setPen(pen)
        self._highlight.setZValue(10)
        self._highlight.hide()
        self._plot.addItem(self._highlight, ignoreBounds=True)
        self._hint_visible = True

        self._message = QLabel()
        self._message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._message.setWordWrap(True)
        self._stack = QStackedWidget()
        self._stack.addWidget(self._graphics)
        self._stack.addWidget(self._message)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self._title)
        # Looking back: the pictures then, now, or what changed (the matrix shows the moment).
        self.then_now = ThenNowChoice(session)
        self.then_now.changed.connect(self._redraw_moment)
        layout.addWidget(self.then_now)
        layout.addWidget(self._stack, 1)
        layout.addWidget(self._info)

        scene = self._graphics.scene()
        scene.sigMouseMoved.connect(self._on_mouse_moved)
        scene.sigMouseClicked.connect(self._on_mouse_clicked)

        if session is not None:
            session.dataset_changed.connect(self._on_session_dataset_changed)
            session.neuron_changed.connect(self._on_session_neuron_changed)
            self._on_session_dataset_changed()
            self._on_session_neuron_changed()

    # -- the session ------------------------------------------------------------------------
    def _on_session_dataset_changed(self) -> None:
        self.set_features(self._session.features)
        self.set_input_names(self._session.input_names)

    def _on_session_neuron_changed(self) -> None:
        neuron = self._session.neuron
        self.select_neuron(*(neuron if neuron is not None else (-1, -1)))

    # -- public API -------------------------------------------------------------------------
    def set_features(self, features: Sequence[str] | None) -> None:
        """The extra inputs (core.features names) playground networks take after x1, x2,
        to name the matrix's columns x₁, x₂, x₁², ...; None: unknown."""
        self._features = None if features is None else check_features(features)
        self._n = 0  # rebuild with the new names at the next snapshot

    def set_input_names(self, names: Sequence[str] | None) -> None:
        """The inputs' names (session.input_names) when they are values, not a picture's
        pixels: the first layer then shows as a matrix with these column names."""
        self._input_names = None if names is None else tuple(names)
        self._n = 0  # rebuild with the new names at the next snapshot

    def input_labels(self) -> tuple[str, ...]:
        """The matrix's column names (inputs, then "bias"); () for pictures."""
        return self._labels if self._matrix else ()

    @Slot()
    def _set_colour_texts(self) -> None:
        """The texts that name the weights' colours, in the current palette's words."""
        self._graphics.setToolTip(
            sign_colours_text(
                "Each tile shows one first-hidden-layer neuron's incoming weights as a picture "
                "of the input.\n{Positive}: a bright pixel there raises the neuron's input z; {negative}: it "
                "lowers it; white: the neuron ignores that pixel."
            )
        )
        if not self._matrix and hasattr(self, "_title"):
            self._title.setText(sign_colours_text(PICTURE_TITLE))

    def show_snapshot(self, snap: Snapshot) -> None:
        w = snap.weights[0]
        n, n_in = w.shape
        looking_back = self._session is not None and self._session.looking_back
        if n >= BIG_MOSAIC and snap.state == "running" and snap.delay == 0 and not snap.gentle and not looking_back:
            now = time.monotonic()
            if now - self._drawn_at < BIG_MOSAIC_INTERVAL_S:
                return
            self._drawn_at = now
        if inputs_are_values(n_in, self._input_names):
            self._show_matrix(w, snap.biases[0], snap.state != "running", len(snap.sizes) == 2)
            return
        self._set_matrix_mode(False)
        side = image_side(n_in)
        if side is None:
            self._show_message(
                f"Weight images need square picture inputs; this network has {n_in} inputs, "
                "which do not form a square picture."
            )
            return
        if (n, side) != (self._n, self._side) or self._buffer is None:
            self._build(n, side)
        self._mark_switched_off(snap)
        present = self.then_now.present()
        if present is not None and self.then_now.mode != THEN and present.sizes == snap.sizes:
            w, self._lim = compared(w, present.weights[0], self.then_now.mode, 99.0)
            self._lim_at = 0.0  # measured afresh when the pictures show one moment again
            self._colorbar.setLevels((-self._lim, self._lim))
            self._fill(w)
            self._pictures.setImage(self._mosaic, lut=PICTURE_LUT, levels=None, autoLevels=False)
            self._stack.setCurrentWidget(self._graphics)
            return
        now = time.monotonic()
        # The percentile costs ~1 ms for 512 neurons and drifts slowly: while training it is
        # taken a few times a second. New levels redraw the colour bar's axis from scratch
        # (~1.5 ms), and a change of a few percent is invisible, so small drifts keep the old ones.
        fresh = snap.state != "running" or now - self._lim_at >= LIMIT_INTERVAL_S or self._lim_at == 0.0
        lim = symmetric_limit(w) if fresh else self._lim
        if fresh:
            self._lim_at = now
        if abs(lim - self._lim) > LIMIT_TOLERANCE * self._lim:
            self._lim = lim
            self._colorbar.setLevels((-lim, lim))
        self._fill(w)
        self._pictures.setImage(self._mosaic, lut=PICTURE_LUT, levels=None, autoLevels=False)
        self._stack.setCurrentWidget(self._graphics)

    def follow_live(self, snap: Snapshot) -> None:
        """While looking back, "now" and "change" follow live training (a few times a second)."""
        if self.then_now.mode != THEN and time.monotonic() - self._drawn_at >= BIG_MOSAIC_INTERVAL_S:
            self._drawn_at = time.monotonic()
            self._redraw_moment()

    def _redraw_moment(self, *_) -> None:
        if self._session is not None and self._session.snapshot is not None:
            self.show_snapshot(self._session.snapshot)

    def reset(self) -> None:
        """Forget the network: blank mosaic, no selection."""
        self._set_matrix_mode(False)
        self._n, self._side = 0, None
        self._lim_at = 0.0
        self._buffer = self._mosaic = self._weights = None
        self._selected = None
        self._highlight.hide()
        self._image.clear()
        self._pictures.clear()
        self._grid.setData([], [])
        self._off_marks.clear()
        self._switched_off = np.zeros(0, dtype=np.intp)
        self._info.setText(self.HINT)
        self._stack.setCurrentWidget(self._graphics)

    def select_neuron(self, layer: int, index: int) -> None:
        """Outline neuron `index` if it is in the first layer; other layers clear the outline.
        Does not emit neuron_selected."""
        self._selected = index if layer == 0 and index >= 0 else None
        self._update_highlight()

    def selected_neuron(self) -> int | None:
        """The first-layer neuron outlined now, or None."""
        return self._selected if self._highlight.isVisible() else None

    def set_hint_visible(self, on: bool) -> None:
        """Show or leave out the hover hint under the mosaic (out of exported pictures)."""
        self._hint_visible = bool(on)
        self._info.setVisible(self._hint_visible)

    def hint_visible(self) -> bool:
        return self._hint_visible

    def mosaic_image(self) -> np.ndarray | None:
        """The weights drawn, as a float32 mosaic (NaN in the gaps), or None before a snapshot."""
        if self._mosaic is None or self._weights is None:
            return None
        if self._matrix:
            return self._mosaic.copy()
        n, side, rows, cols = self._n, self._side, self._rows, self._cols
        step = side + GAP
        mosaic = np.full((rows, step, cols, step), np.nan, dtype=np.float32)
        pictures = np.full((rows * cols, side * side), np.nan, dtype=np.float32)
        pictures[:n] = self._weights
        mosaic[:, :side, :, :side] = pictures.reshape(rows, cols, side, side).transpose(0, 2, 1, 3)
        return mosaic.reshape(rows * step, cols * step)[: rows * step - GAP, : cols * step - GAP]

    def mosaic_colors(self) -> np.ndarray | None:
        """The colour indices drawn (color_indices; 0 in the gaps), or None without pictures."""
        return None if self._matrix or self._mosaic is None else self._mosaic.copy()

    def color_limit(self) -> float:
        """lim of the colour levels (-lim, lim) the weights are drawn at."""
        return self._lim

    def tile_rect(self, j: int) -> QRectF:
        """Tile j's rectangle in view (pixel) coordinates (row j of the matrix for points)."""
        if self._matrix:
            return QRectF(0, j, self._n_in + 2, 1)
        r, c = divmod(j, self._cols)
        step = self._side + GAP
        return QRectF(c * step, r * step, self._side, self._side)

    def tile_widget_pos(self, j: int) -> QPoint:
        """The centre of tile j in the coordinates of the graphics view's viewport (for clicks)."""
        scene_pos = self._view.mapViewToScene(self.tile_rect(j).center())
        return self._graphics.mapFromScene(scene_pos)

    def graphics_view(self) -> pg.GraphicsView:
        return self._graphics

    # -- drawing ----------------------------------------------------------------------------
    def _build(self, n: int, side: int) -> None:
        self._n, self._side = n, side
        self._rows, self._cols = mosaic_shape(n)
        step = side + GAP
        self._buffer = np.zeros((self._rows * step, self._cols * step), dtype=np.uint8)
        self._mosaic = self._buffer[: self._rows * step - GAP, : self._cols * step - GAP]
        h, w = self._mosaic.shape
        self._view.setRange(QRectF(0, 0, w, h), padding=0.02)
        xs = np.arange(1, self._cols) * step - GAP / 2
        ys = np.arange(1, self._rows) * step - GAP / 2
        grid_x = np.concatenate([np.repeat(xs, 2), np.tile([0.0, w], len(ys))])
        grid_y = np.concatenate([np.tile([0.0, h], len(xs)), np.repeat(ys, 2)])
        self._grid.setData(grid_x, grid_y)
        if self._selected is not None and self._selected >= n:
            self._selected = None
        self._update_highlight()

    def _mark_switched_off(self, snap: Snapshot) -> None:
        off = silent_neurons(snap.network)[1] if len(snap.sizes) > 2 else np.zeros(0, dtype=bool)
        self._switched_off = np.flatnonzero(off)
        if not self._switched_off.size:
            if self._off_marks.data.size:
                self._off_marks.clear()
            return
        step = self._side + GAP
        r, c = np.divmod(self._switched_off, self._cols)
        half = self._side / 2
        self._off_marks.setData(c * step + half, r * step + half)

    def switched_off(self) -> np.ndarray:
        """The first-layer neurons whose tiles are crossed out (switched off)."""
        return self._switched_off.copy()

    def _fill(self, w: np.ndarray) -> None:
        """Write every neuron's picture, as colour indices at the current limit, into its
        tile with one reshape/transpose."""
        n, side, rows, cols = self._n, self._side, self._rows, self._cols
        step = side + GAP
        tiles = self._buffer.reshape(rows, step, cols, step)  # a view: writes land in _buffer
        pictures = np.zeros((rows * cols, side * side), dtype=np.uint8)
        pictures[:n] = color_indices(w, self._lim)
        tiles[:, :side, :, :side] = pictures.reshape(rows, cols, side, side).transpose(0, 2, 1, 3)
        self._weights = w

    # -- the weight matrix of a playground network ----------------------------------------
    def _set_matrix_mode(self, on: bool) -> None:
        if on == self._matrix:
            return
        self._matrix = on
        # A matrix's cells stretch to fill the panel, so a few columns of named inputs
        # leave room for their names and values; a picture's pixels stay square.
        self._view.setAspectLocked(not on)
        for axis in ("left", "bottom"):
            self._plot.showAxis(axis) if on else self._plot.hideAxis(axis)
        if on:
            self._pictures.clear()
        else:
            self._image.clear()
            self._clear_cell_texts()
            self._title.setText(sign_colours_text(PICTURE_TITLE))
            self._info.setText(self.HINT)
        self._n, self._side = 0, None
        self._buffer = self._mosaic = None

    def _clear_cell_texts(self) -> None:
        for text in self._cell_texts:
            self._plot.removeItem(text)
        self._cell_texts = []

    def _build_matrix(self, n: int, n_in: int, output_layer: bool) -> None:
        """Rows: neurons; columns: the inputs by name, a gap, the bias (made on a new shape only)."""
        self._n, self._n_in, self._side = n, n_in, 1
        self._labels = input_labels(n_in, self._features, self._input_names) + ("bias",)
        self._buffer = np.full((n, n_in + 2), np.nan, dtype=np.float32)
        self._mosaic = self._buffer
        self._view.setRange(QRectF(0, 0, n_in + 2, n), padding=0.04)
        every_column = math.ceil(n_in / MAX_COLUMN_TICKS)  # many columns: name every k-th, hover reads all
        # a two-word name ("sepal length") takes two lines, so neighbouring names do not collide
        columns = [
            (c + 0.5, name.replace(" ", "\n", 1)) for c, name in enumerate(self._labels[:-1]) if c % every_column == 0
        ]
        columns.append((n_in + 1.5, "bias"))
        self._plot.getAxis("bottom").setTicks([columns, []])
        self._plot.getAxis("bottom").setHeight(TWO_LINE_AXIS if any("\n" in name for _, name in columns) else None)
        every = 1 if n <= 16 else 4
        self._plot.getAxis("left").setTicks([[(r + 0.5, str(r)) for r in range(0, n, every)], []])
        self._plot.getAxis("left").setLabel("output neuron" if output_layer else "neuron")
        xs = [c for c in range(1, n_in)] + [n_in + 1]
        grid_x = np.concatenate(
            [np.repeat(xs, 2).astype(float), np.tile([0.0, n_in], n - 1), np.tile([n_in + 1.0, n_in + 2.0], n - 1)]
        )
        grid_y = np.concatenate(
            [np.tile([0.0, n], len(xs)).astype(float), np.repeat(np.arange(1, n), 2), np.repeat(np.arange(1, n), 2)]
        )
        self._grid.setData(grid_x, grid_y)
        self._clear_cell_texts()
        if n * (n_in + 1) <= MAX_CELL_TEXTS:
            font = QFont()
            font.setPointSizeF(8)
            for _ in range(n * (n_in + 1)):
                text = pg.TextItem("", anchor=(0.5, 0.5))
                text.setFont(font)
                text.setZValue(6)
                self._plot.addItem(text, ignoreBounds=True)
                self._cell_texts.append(text)
        who = "the output neuron's weights and bias" if output_layer else "first-layer weights and biases"
        what = "named values" if self._input_names is not None else "a point's values"
        self._title.setText(
            f"Inputs are {what}, not a picture: {who}, one row per neuron. "
            + sign_colours_text("{Positive}: that input raises the neuron's z, {negative}: lowers it.")
        )
        self._info.setText(MATRIX_HINT)
        if self._selected is not None and self._selected >= n:
            self._selected = None
        self._update_highlight()

    def _show_matrix(self, w: np.ndarray, b: np.ndarray, fresh: bool, output_layer: bool) -> None:
        self._set_matrix_mode(True)
        n, n_in = w.shape
        if (n, n_in) != (self._n, self._n_in) or self._buffer is None:
            self._build_matrix(n, n_in, output_layer)
        self._buffer[:, :n_in] = w
        self._buffer[:, n_in + 1] = b
        self._weights, self._biases = w, b
        lim = symmetric_limit(np.concatenate([np.ravel(w), np.ravel(b)]), percentile=100.0)
        if abs(lim - self._lim) > LIMIT_TOLERANCE * self._lim or fresh:
            self._lim = lim
            self._colorbar.setLevels((-lim, lim))
        self._image.setImage(self._mosaic, autoLevels=False, levels=(-self._lim, self._lim))
        if self._cell_texts:
            values = np.column_stack([w, b]).astype(np.float64)
            for t, text in enumerate(self._cell_texts):
                r, c = divmod(t, n_in + 1)
                v = values[r, c]
                shown = f"{v:+.2f}"
                text.setText("0.00" if shown[1:] == "0.00" else shown.replace("-", "−"))
                # dark ink on the pale middle of the colour map, light ink on its saturated ends
                text.setColor(QColor(20, 20, 20) if abs(v) < 0.6 * self._lim else QColor(245, 245, 245))
                text.setPos(c + 0.5 + (1 if c == n_in else 0), r + 0.5)
        self._stack.setCurrentWidget(self._graphics)

    def _show_message(self, text: str) -> None:
        self._n, self._side = 0, None
        self._lim_at = 0.0
        self._buffer = self._mosaic = self._weights = None
        self._highlight.hide()
        self._image.clear()
        self._pictures.clear()
        self._grid.setData([], [])
        self._message.setText(text)
        self._stack.setCurrentWidget(self._message)

    def _update_highlight(self) -> None:
        if self._selected is None or self._side is None or self._selected >= self._n:
            self._highlight.hide()
            return
        pad = 0.06 if self._matrix else 0.5  # matrix cells are one unit, picture pixels too small to frame
        self._highlight.setRect(self.tile_rect(self._selected).adjusted(-pad, -pad, pad, pad))
        self._highlight.show()

    # -- mouse ------------------------------------------------------------------------------
    def _tile_at(self, scene_pos: QPointF) -> tuple[int, int, int] | None:
        """(neuron, row, col) under a scene position, or None over gaps and background; for
        the matrix (neuron, 0, column)."""
        if self._mosaic is None or not self._view.sceneBoundingRect().contains(scene_pos):
            return None
        p = self._view.mapSceneToView(scene_pos)
        x, y = math.floor(p.x()), math.floor(p.y())
        h, w = self._mosaic.shape
        if not (0 <= x < w and 0 <= y < h):
            return None
        if self._matrix:
            return y, 0, x
        step = self._side + GAP
        tr, r = divmod(y, step)
        tc, c = divmod(x, step)
        j = tr * self._cols + tc
        if r >= self._side or c >= self._side or j >= self._n:
            return None
        return j, r, c

    def _on_mouse_moved(self, scene_pos: QPointF) -> None:
        hit = self._tile_at(scene_pos)
        if hit is None:
            self._info.setText(self.HINT)
            return
        j, r, c = hit
        if self._matrix:
            if c < self._n_in:
                text = f"neuron {j}, input {self._labels[c]}: w = {self._weights[j, c]:+.4f}"
            else:
                text = f"neuron {j}: bias b = {self._biases[j]:+.4f}"
            self._info.setText(text)
            return
        value = self._weights[j, r * self._side + c]
        self._info.setText(f"neuron {j}, pixel ({r}, {c}): w = {value:+.4f}")

    def _on_mouse_clicked(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        if event.double():  # back to the whole mosaic after zooming with the wheel
            if self._mosaic is not None:
                h, w = self._mosaic.shape
                self._view.setRange(QRectF(0, 0, w, h), padding=0.02)
            return
        hit = self._tile_at(event.scenePos())
        if hit is None:
            return
        self._selected = hit[0]
        self._update_highlight()
        self.neuron_selected.emit(0, hit[0])
        if self._session is not None:
            self._session.select_neuron(0, hit[0])
