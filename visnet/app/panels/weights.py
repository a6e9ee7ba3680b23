"""What each first-layer neuron looks for: its 784 incoming weights drawn as a 28x28
picture, all neurons tiled into one mosaic that changes as the network learns."""

from __future__ import annotations

import math
import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPoint, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QPen
from PySide6.QtWidgets import QGraphicsRectItem, QLabel, QStackedWidget, QVBoxLayout, QWidget

from visnet.app.colors import PREDICTED, diverging_colormap, image_side, symmetric_limit
from visnet.core.snapshot import Snapshot

GAP = 1  # pixels of background between tiles
LIMIT_INTERVAL_S = 0.25  # while training, the colour limit is re-measured at most this often
LIMIT_TOLERANCE = 0.03  # relative change of the colour limit worth redrawing the colour bar for


def mosaic_shape(n: int) -> tuple[int, int]:
    """(rows, cols) of tiles for n neurons: cols = ceil(sqrt(n))."""
    cols = max(1, math.ceil(math.sqrt(n)))
    return math.ceil(n / cols), cols


class WeightMosaicPanel(QWidget):
    """Every neuron of the first hidden layer as its incoming-weight picture, in one ImageItem.

    One ImageItem for the whole mosaic (not one per neuron) keeps a 512-neuron layer fast;
    symmetric levels make white mean "ignores this pixel" in every frame.
    """

    neuron_selected = Signal(int, int)  # (layer, neuron); always layer 0 here

    HINT = "Hover a tile to read a weight; click to select its neuron; wheel zooms, double click resets."

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._side: int | None = None  # picture side (28) or None when inputs are not square
        self._n = 0  # neurons in the first layer
        self._rows = self._cols = 0
        self._buffer: np.ndarray | None = None  # (rows*(side+GAP), cols*(side+GAP)) float32, NaN gaps
        self._mosaic: np.ndarray | None = None  # the displayed view of _buffer (trailing gap cut)
        self._weights: np.ndarray | None = None
        self._lim = 1.0
        self._lim_at = 0.0  # when the colour limit was last measured (0: never, for this network)
        self._selected: int | None = None

        self._title = QLabel("First-layer weights: red pixels excite a neuron, blue inhibit it")
        self._title.setWordWrap(True)
        self._info = QLabel(self.HINT)
        self._info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._info.setWordWrap(True)  # a long hint must not force the dock wide

        self._graphics = pg.GraphicsLayoutWidget()
        self._graphics.setToolTip(
            "Each tile shows one first-hidden-layer neuron's incoming weights as a picture "
            "of the input.\nRed: a bright pixel there raises the neuron's input z; blue: it "
            "lowers it; white: the neuron ignores that pixel."
        )
        self._plot: pg.PlotItem = self._graphics.addPlot()
        self._plot.hideAxis("left")
        self._plot.hideAxis("bottom")
        self._plot.setMenuEnabled(False)
        self._plot.hideButtons()
        self._view: pg.ViewBox = self._plot.getViewBox()
        self._view.setAspectLocked(True)
        self._view.invertY(True)
        self._image = pg.ImageItem(axisOrder="row-major")
        self._plot.addItem(self._image)
        # The gaps are also traced with 1-screen-pixel lines: once a 512-neuron mosaic is
        # shrunk below its pixel size, scaling would keep some 1-pixel gaps and drop others.
        grid_pen = pg.mkPen(pg.getConfigOption("background"), width=1, cosmetic=True)
        self._grid = pg.PlotCurveItem(pen=grid_pen, connect="pairs", antialias=False)
        self._grid.setZValue(5)
        self._plot.addItem(self._grid, ignoreBounds=True)
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

        self._message = QLabel()
        self._message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._message.setWordWrap(True)
        self._stack = QStackedWidget()
        self._stack.addWidget(self._graphics)
        self._stack.addWidget(self._message)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self._title)
        layout.addWidget(self._stack, 1)
        layout.addWidget(self._info)

        scene = self._graphics.scene()
        scene.sigMouseMoved.connect(self._on_mouse_moved)
        scene.sigMouseClicked.connect(self._on_mouse_clicked)

    # -- public API -------------------------------------------------------------------------
    def show_snapshot(self, snap: Snapshot) -> None:
        w = snap.weights[0]
        n, n_in = w.shape
        side = image_side(n_in)
        if side is None:
            self._show_message(
                f"Weight images need 28×28 image inputs; this network has {n_in} inputs, "
                "which do not form a square picture."
            )
            return
        if (n, side) != (self._n, self._side) or self._buffer is None:
            self._build(n, side)
        self._fill(w)
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
        self._image.setImage(self._mosaic, autoLevels=False, levels=(-self._lim, self._lim))
        self._stack.setCurrentWidget(self._graphics)

    def reset(self) -> None:
        """Forget the network: blank mosaic, no selection."""
        self._n, self._side = 0, None
        self._lim_at = 0.0
        self._buffer = self._mosaic = self._weights = None
        self._selected = None
        self._highlight.hide()
        self._image.clear()
        self._grid.setData([], [])
        self._info.setText(self.HINT)
        self._stack.setCurrentWidget(self._graphics)

    def select_neuron(self, layer: int, index: int) -> None:
        """Outline neuron `index` if it is in the first layer; other layers clear the outline.
        Does not emit neuron_selected."""
        self._selected = index if layer == 0 and index >= 0 else None
        self._update_highlight()

    def mosaic_image(self) -> np.ndarray | None:
        """A copy of the displayed float32 mosaic (NaN in the gaps), or None before a snapshot."""
        return None if self._mosaic is None else self._mosaic.copy()

    def tile_rect(self, j: int) -> QRectF:
        """Tile j's rectangle in view (pixel) coordinates."""
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
        self._buffer = np.full((self._rows * step, self._cols * step), np.nan, dtype=np.float32)
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

    def _fill(self, w: np.ndarray) -> None:
        """Write every neuron's picture into its tile with one reshape/transpose."""
        n, side, rows, cols = self._n, self._side, self._rows, self._cols
        step = side + GAP
        tiles = self._buffer.reshape(rows, step, cols, step)  # a view: writes land in _buffer
        pictures = np.full((rows * cols, side * side), np.nan, dtype=np.float32)
        pictures[:n] = w
        tiles[:, :side, :, :side] = pictures.reshape(rows, cols, side, side).transpose(0, 2, 1, 3)
        self._weights = w

    def _show_message(self, text: str) -> None:
        self._n, self._side = 0, None
        self._lim_at = 0.0
        self._buffer = self._mosaic = self._weights = None
        self._highlight.hide()
        self._image.clear()
        self._grid.setData([], [])
        self._message.setText(text)
        self._stack.setCurrentWidget(self._message)

    def _update_highlight(self) -> None:
        if self._selected is None or self._side is None or self._selected >= self._n:
            self._highlight.hide()
            return
        self._highlight.setRect(self.tile_rect(self._selected).adjusted(-0.5, -0.5, 0.5, 0.5))
        self._highlight.show()

    # -- mouse ------------------------------------------------------------------------------
    def _tile_at(self, scene_pos: QPointF) -> tuple[int, int, int] | None:
        """(neuron, row, col) under a scene position, or None over gaps and background."""
        if self._mosaic is None or not self._view.sceneBoundingRect().contains(scene_pos):
            return None
        p = self._view.mapSceneToView(scene_pos)
        x, y = math.floor(p.x()), math.floor(p.y())
        h, w = self._mosaic.shape
        if not (0 <= x < w and 0 <= y < h):
            return None
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
