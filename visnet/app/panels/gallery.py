"""A grid of small digit pictures that can be clicked: the inspector's most and least
activating images, the confusion-matrix cell and mistakes galleries.

The whole grid is one ImageItem (like the weight mosaic) and the captions are a fixed pool
of TextItems reused from one fill to the next, so refilling never creates graphics items.

Playground points (x1, x2 and features) are no pictures: they are listed in a table, one
row per point with its values by name, and a click on a row does what a click on a picture does.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPoint, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from visnet.app.colors import MUTED, gray_colormap, image_side, input_labels, inputs_are_values

GAP = 2  # background pixels between pictures
CAPTION = 9  # picture rows reserved above each picture for its caption, at least
MAX_CAPTION = 28  # and at most: a tiny gallery keeps its pictures rather than growing its gaps
CAPTION_POINTS = 9.0  # caption font size, made smaller (down to MIN_CAPTION_POINTS) to fit small pictures
MIN_CAPTION_POINTS = 6.0


def _caption_font(points: float) -> QFont:
    font = QFont()
    font.setPointSizeF(points)
    return font


def picture_view(min_width: int, min_height: int) -> tuple[pg.GraphicsLayoutWidget, pg.ViewBox, pg.ImageItem]:
    """A still view of one grey mosaic of pictures (row 0 at the top, no zoom or pan): the
    widget, its view and the image item to fill."""
    graphics = pg.GraphicsLayoutWidget()
    graphics.setMinimumSize(min_width, min_height)
    view: pg.ViewBox = graphics.addViewBox()
    view.setAspectLocked(True)
    view.invertY(True)
    view.setMouseEnabled(False, False)
    view.setMenuEnabled(False)
    image = pg.ImageItem(axisOrder="row-major")
    image.setColorMap(gray_colormap())
    view.addItem(image)
    return graphics, view, image


class ImageGallery(QWidget):
    """Pictures of test images in a grid; a click emits the clicked image's test index.

    columns=None picks the number of columns that makes the pictures largest for the
    widget's shape, and re-lays them out when it is resized.

    min_picture_px > 0 asks for pictures at least that large on screen: capacity() says
    how many fit, and capacity_changed tells the owner to show more or fewer."""

    image_clicked = Signal(int)  # index into the test split
    capacity_changed = Signal()

    def __init__(
        self,
        columns: int | None = None,
        max_captions: int = 64,
        empty_text: str = "",
        parent: QWidget | None = None,
        *,
        min_picture_px: float = 0.0,
    ):
        super().__init__(parent)
        self.columns = columns
        self.min_picture_px = min_picture_px
        self._capacity: int | None = None
        self._indices = np.empty(0, np.intp)
        self._captions: list[str] = []
        self._side = 28
        self._step_x = self._step_y = 0
        self._caption_rows = 0
        self._cols = 1
        self._last: tuple | None = None
        self._graphics, self._view, self._image = picture_view(60, 60)
        # A caption keeps its size in screen pixels however large the pictures are drawn, so
        # the rows reserved for it and its font size follow the drawing scale (_caption_layout).
        self._caption_points = CAPTION_POINTS
        self._texts: list[pg.TextItem] = []
        for _ in range(max_captions):
            text = pg.TextItem("", color=(220, 220, 220), anchor=(0.5, 1.0))
            text.setFont(_caption_font(CAPTION_POINTS))
            text.textItem.document().setDocumentMargin(0)
            text.hide()
            self._view.addItem(text, ignoreBounds=True)
            self._texts.append(text)
        self._empty = pg.TextItem(empty_text, color=MUTED, anchor=(0.5, 0.5))
        self._view.addItem(self._empty, ignoreBounds=True)
        self._input_labels: tuple[str, ...] | None = None  # set_input_labels; None: guessed
        self.caption_title = ""  # the table's title over the captions, e.g. "true → predicted"
        self._table = QTableWidget()
        self._table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self._table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self._table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self._table.verticalHeader().hide()
        self._table.verticalHeader().setDefaultSectionSize(self._table.fontMetrics().height() + 6)
        self._table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self._table.horizontalHeader().setStretchLastSection(True)
        self._table.cellClicked.connect(self._on_table_clicked)
        self._stack = QStackedWidget()
        self._stack.addWidget(self._graphics)
        self._stack.addWidget(self._table)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._stack)
        self._graphics.scene().sigMouseClicked.connect(self._on_mouse_clicked)
        self._graphics.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self._view.sigResized.connect(self._on_view_resized)
        self.set_images(np.zeros((0, 784), np.float32), np.empty(0, np.intp))

    # -- public API -------------------------------------------------------------------------
    def set_images(
        self,
        images: np.ndarray,
        indices: Sequence[int],
        captions: Sequence[str] | None = None,
        caption_colors: Sequence[QColor] | None = None,
        columns: int | None = None,
    ) -> None:
        """Show images (k, n_inputs) in [0, 1], which are test images indices (k,); points
        (k, 2 + features) are listed in a table instead."""
        images = np.asarray(images, dtype=np.float32)
        self._last = (images, indices, captions, caption_colors, columns)
        self._indices = np.asarray(indices, dtype=np.intp).ravel()
        self._captions = list(captions) if captions is not None else []
        k = len(self._indices)
        if k and images.ndim == 2 and inputs_are_values(images.shape[1], self._input_labels):
            self._fill_table(images, caption_colors)
            return
        self._stack.setCurrentWidget(self._graphics)
        side = image_side(images.shape[1]) if images.ndim == 2 and images.shape[1] else 28
        side = side or 28
        self._side = side
        self._caption_rows = CAPTION if captions is not None else 0
        self._step_x, self._step_y = side + GAP, side + GAP + self._caption_rows
        cols = max(1, min(columns or self.columns or self._best_columns(k), max(k, 1)))
        rows = max(1, math.ceil(k / cols))
        if captions is not None:
            self._caption_rows, points = self._caption_layout(cols, rows, self._captions)
            self._step_y = side + GAP + self._caption_rows
            if points != self._caption_points:
                self._caption_points = points
                for text in self._texts:
                    text.setFont(_caption_font(points))
        self._cols = cols
        mosaic = np.full((rows * self._step_y - GAP, cols * self._step_x - GAP), np.nan, np.float32)
        for t in range(k):
            r, c = divmod(t, cols)
            y0, x0 = r * self._step_y + self._caption_rows, c * self._step_x
            mosaic[y0 : y0 + side, x0 : x0 + side] = images[t].reshape(side, side)
        self._image.setImage(mosaic, autoLevels=False, levels=(0.0, 1.0))
        h, w = mosaic.shape
        self._view.setRange(QRectF(0, 0, w, h), padding=0.01)
        for t, text in enumerate(self._texts):
            if t < k and t < len(self._captions):
                r, c = divmod(t, cols)
                text.setText(self._captions[t])
                text.setColor(caption_colors[t] if caption_colors is not None else QColor(220, 220, 220))
                text.setPos(c * self._step_x + side / 2, r * self._step_y + self._caption_rows)
                text.show()
            else:
                text.hide()
        self._empty.setVisible(k == 0)
        self._empty.setPos(w / 2, h / 2)

    def set_input_labels(self, labels: Sequence[str] | None) -> None:
        """Column titles for points' values (x₁, x₂, x₁², a table's columns, ...): rows of
        that many values are listed in a table, not drawn; None: x₁, x₂, input 3, ..."""
        self._input_labels = None if labels is None else tuple(labels)
        if self._last is not None:
            self.set_images(*self._last)

    def picture_side(self) -> int | None:
        """The side of the pictures drawn (8 for 8x8 inputs), or None when points are listed."""
        return None if self.showing_points() else self._side

    def showing_points(self) -> bool:
        """Whether the gallery lists points in its table (rather than drawing pictures)."""
        return self._stack.currentWidget() is self._table

    def table(self) -> QTableWidget:
        return self._table

    def _fill_table(self, points: np.ndarray, caption_colors: Sequence[QColor] | None) -> None:
        """One row per point: its test index, its values by name, its caption."""
        n_in = points.shape[1]
        labels = self._input_labels
        if labels is None or len(labels) != n_in:
            labels = input_labels(n_in)
        t = self._table
        t.clearContents()
        heads = ["test point", *labels, self.caption_title]
        t.setColumnCount(len(heads))
        t.setRowCount(len(self._indices))
        t.setHorizontalHeaderLabels(heads)
        right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        light = t.palette().base().color().lightness() > 128  # the captions' colours are for dark plots
        for r, i in enumerate(self._indices):
            caption = self._captions[r] if r < len(self._captions) else ""
            tip = f"test point {i}{self.describe(int(i))} {caption}\nclick: make it the current sample"
            cells = [str(int(i))] + [f"{float(v):.2f}".replace("-", "−") for v in points[r]] + [caption]
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(tip)
                if 0 < c <= n_in:
                    item.setTextAlignment(right)
                if c == len(cells) - 1 and caption_colors is not None and r < len(caption_colors):
                    color = QColor(caption_colors[r])
                    item.setForeground(QBrush(color.darker(170) if light else color))
                t.setItem(r, c, item)
        self._stack.setCurrentWidget(t)

    def _on_table_clicked(self, row: int, _column: int) -> None:
        if 0 <= row < len(self._indices):
            self.image_clicked.emit(int(self._indices[row]))

    def _best_columns(self, k: int) -> int:
        """The number of columns that shows k pictures largest in the widget's shape."""
        w, h = max(self._graphics.width(), 1), max(self._graphics.height(), 1)
        caption_px = QFontMetricsF(_caption_font(CAPTION_POINTS)).height() + 2 if self._caption_rows else 0.0
        best, best_scale = 1, 0.0
        for cols in range(1, max(k, 1) + 1):
            rows = max(1, math.ceil(k / cols))
            scale = min(w / (cols * self._step_x), h / (rows * self._step_y))
            for _ in range(2):  # the rows a caption needs depend on the scale (as in _caption_layout)
                if caption_px:
                    caption = min(max(CAPTION, math.ceil(caption_px / scale) + 1), MAX_CAPTION)
                    scale = min(w / (cols * self._step_x), h / (rows * (self._side + GAP + caption)))
            if scale > best_scale:
                best, best_scale = cols, scale
        return best

    def _caption_layout(self, cols: int, rows: int, captions: Sequence[str]) -> tuple[int, float]:
        """(picture rows to reserve above each picture, caption font size in points) so that
        every caption, drawn at a fixed size in screen pixels, fits above its picture and
        beside its neighbours at the scale the grid is drawn."""
        w, h = self._view.width(), self._view.height()
        if w <= 1 or h <= 1:
            return CAPTION, CAPTION_POINTS
        widest = max((QFontMetricsF(_caption_font(CAPTION_POINTS)).horizontalAdvance(c) for c in captions), default=0)
        caption, points = CAPTION, CAPTION_POINTS
        for _ in range(4):  # the scale depends on the rows reserved: a few rounds settle it
            width = cols * (self._side + GAP) - GAP
            height = rows * (self._side + GAP + caption) - GAP
            scale = min(w / (1.02 * width), h / (1.02 * height))  # setRange's padding of 0.01
            room = (self._side + GAP) * scale - 6  # screen pixels between neighbouring captions' centres, less a gap
            points = CAPTION_POINTS if widest <= room else max(MIN_CAPTION_POINTS, CAPTION_POINTS * room / widest)
            points = math.floor(4 * points) / 4
            height_px = QFontMetricsF(_caption_font(points)).height() + 2
            fitting = min(max(CAPTION, math.ceil(height_px / scale) + 1), MAX_CAPTION)
            if fitting == caption:
                break
            caption = fitting
        return caption, points

    def capacity(self) -> int | None:
        """How many captioned pictures fit at min_picture_px or larger (at least one); None
        without a minimum or before the gallery is laid out."""
        w, h = self._view.width(), self._view.height()
        if self.min_picture_px <= 0 or w <= 1 or h <= 1:
            return None
        scale = self.min_picture_px / self._side  # screen pixels per picture pixel
        caption_px = QFontMetricsF(_caption_font(CAPTION_POINTS)).height() + 2
        caption = min(max(CAPTION, math.ceil(caption_px / scale) + 1), MAX_CAPTION)  # as _caption_layout
        cols = int(w / 1.02 // ((self._side + GAP) * scale))  # setRange's padding of 0.01
        rows = int(h / 1.02 // ((self._side + GAP + caption) * scale))
        return max(1, cols * rows)

    def _on_view_resized(self, *_) -> None:
        capacity = self.capacity()
        if capacity != self._capacity:
            self._capacity = capacity
            self.capacity_changed.emit()  # the owner may call set_images with more or fewer
        if self._last is None or self.showing_points():
            return
        k = len(self._indices)
        cols = self._cols
        if self.columns is None and self._last[4] is None:
            cols = self._best_columns(k)
        rows = max(1, math.ceil(k / max(cols, 1)))
        captions = self._last[2] is not None
        if cols != self._cols or (
            captions and self._caption_layout(cols, rows, self._captions) != (self._caption_rows, self._caption_points)
        ):
            self.set_images(*self._last)

    def caption_scene_rects(self) -> list[QRectF]:
        """Where the visible captions are drawn, in scene coordinates (for layout tests)."""
        return [text.sceneBoundingRect() for text in self._texts if text.isVisible()]

    def tile_scene_rect(self, t: int) -> QRectF:
        """Where picture t is drawn, in scene coordinates."""
        r, c = divmod(t, self._cols)
        rect = QRectF(c * self._step_x, r * self._step_y + self._caption_rows, self._side, self._side)
        return self._view.mapViewToScene(rect).boundingRect()

    def view_scene_rect(self) -> QRectF:
        """The area the pictures and captions are drawn in (beyond it they are clipped)."""
        return self._view.sceneBoundingRect()

    def describe(self, index: int) -> str:
        """Extra tooltip text for test image index (set describe to a function, e.g. its label)."""
        return ""

    def indices(self) -> np.ndarray:
        """The test indices shown, in grid order."""
        return self._indices.copy()

    def captions(self) -> list[str]:
        return list(self._captions)

    def tile_widget_pos(self, t: int) -> QPoint:
        """Centre of picture t in the graphics view's viewport coordinates (for test clicks)."""
        r, c = divmod(t, self._cols)
        x = c * self._step_x + self._side / 2
        y = r * self._step_y + self._caption_rows + self._side / 2
        return self._graphics.mapFromScene(self._view.mapViewToScene(pg.Point(x, y)))

    def graphics_view(self) -> pg.GraphicsView:
        return self._graphics

    # -- mouse ------------------------------------------------------------------------------
    def _tile_at(self, scene_pos) -> int | None:
        if not len(self._indices) or not self._view.sceneBoundingRect().contains(scene_pos):
            return None
        p = self._view.mapSceneToView(scene_pos)
        c, x = divmod(math.floor(p.x()), self._step_x)
        r, y = divmod(math.floor(p.y()), self._step_y)
        if x >= self._side or c >= self._cols or c < 0 or r < 0:
            return None
        t = r * self._cols + c
        return t if t < len(self._indices) else None

    def _on_mouse_moved(self, scene_pos) -> None:
        t = self._tile_at(scene_pos)
        if t is None:
            self._graphics.setToolTip("")
            return
        caption = self._captions[t] if t < len(self._captions) else ""
        self._graphics.setToolTip(
            f"test image {self._indices[t]}{self.describe(int(self._indices[t]))} "
            f"{caption}\nclick: make it the current sample"
        )

    def _on_mouse_clicked(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        t = self._tile_at(event.scenePos())
        if t is not None:
            self.image_clicked.emit(int(self._indices[t]))
