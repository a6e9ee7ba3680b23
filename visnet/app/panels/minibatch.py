"""The mini-batch the network learned from last: its training images as small pictures,
each with its label and the network's answer, green when right and red when wrong.

In slow motion or a gentle start the strip changes with every step, so one can watch
which examples the network is being shown and how it does on them. The pictures are one
ImageItem mosaic and the captions a fixed pool of TextItems, reused from frame to frame.

Playground points (x1, x2 and features) make no picture: they are listed in a table, one
row per point with its coordinates by name, its label and the network's answer.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, Slot
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from visnet.app.colors import (
    POSITIVE,
    TRUE_LABEL,
    class_label,
    image_side,
    input_labels,
    inputs_are_values,
    palette,
    sign_colours_text,
)
from visnet.app.panels.gallery import picture_view
from visnet.app.throttle import on_screen
from visnet.core.snapshot import Snapshot

GAP = 2  # background pixels between pictures
CAPTION = 9  # picture rows reserved above each picture for "label → answer"
FULL_SPEED_INTERVAL_S = 0.5  # at full speed, a new mini-batch picture at most this often
MAX_SHOWN = 64  # pictures drawn of a larger batch (its first ones): more would be too small to read
RIGHT = TRUE_LABEL  # green: the network's answer is the label
WRONG = POSITIVE  # red: it is not
TITLE = "The newest mini-batch: label → the network's answer ({right} right, {wrong} wrong)"  # sign_colours_text
NO_BATCH = "No mini-batch trained yet: press Space to train, or → for one step."
NEXT_BATCH = "The mini-batch appears here after the next step."
NO_DATA = "The mini-batch's examples appear here once a data set is loaded."


class MiniBatchPanel(QWidget):
    """The training examples of the snapshot's newest mini-batch (Snapshot.batch_indices),
    labelled with their class and the snapshot's network's answer.

    It needs the training split: set_training_data(), or given a session it takes it from
    session.dataset whenever session.dataset_changed, and resets on network_replaced.
    """

    def __init__(self, session=None, parent: QWidget | None = None):
        super().__init__(parent)
        self._session = session
        self._x: np.ndarray | None = None  # (n_train, n_inputs) float32
        self._y: np.ndarray | None = None  # (n_train,) int64
        self._class_names: tuple[str, ...] = ()
        self._features: tuple[str, ...] | None = None
        self._input_names: tuple[str, ...] | None = None
        self._indices = np.empty(0, np.intp)
        self._answers = np.empty(0, np.intp)
        self._captions: list[str] = []
        self._last: Snapshot | None = None
        self._shown_at = float("-inf")  # when a full-speed frame last drew a mini-batch
        self._side = 28
        self._cols = self._rows = 0
        self._buffer: np.ndarray | None = None  # (rows*step_y, cols*step_x) float32, NaN background
        self._mosaic: np.ndarray | None = None  # the displayed view of _buffer (trailing gaps cut)

        self._title = QLabel(sign_colours_text(TITLE))
        self._title.setWordWrap(True)
        palette.changed.connect(self._on_palette_changed)
        self._summary = QLabel("")
        self._summary.setWordWrap(True)

        self._graphics, self._view, self._image = picture_view(60, 40)
        font = QFont()
        font.setPointSizeF(7.5)
        self._texts: list[pg.TextItem] = []
        for _ in range(MAX_SHOWN):
            text = pg.TextItem("", anchor=(0.5, 1.0))
            text.setFont(font)
            text.hide()
            self._view.addItem(text, ignoreBounds=True)
            self._texts.append(text)

        self._table = QTableWidget()
        self._table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self._table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self._table.verticalHeader().hide()
        self._table.verticalHeader().setDefaultSectionSize(self._table.fontMetrics().height() + 6)
        self._table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self._table.horizontalHeader().setStretchLastSection(True)

        self._message = QLabel(NO_DATA)
        self._message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._message.setWordWrap(True)
        self._stack = QStackedWidget()
        self._stack.addWidget(self._graphics)
        self._stack.addWidget(self._table)
        self._stack.addWidget(self._message)
        self._stack.setCurrentWidget(self._message)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self._title)
        layout.addWidget(self._stack, 1)
        layout.addWidget(self._summary)

        if session is not None:
            session.dataset_changed.connect(self._on_dataset_changed)
            session.network_replaced.connect(self.reset)
            self._on_dataset_changed()

    # -- public API -------------------------------------------------------------------------
    def set_training_data(self, x_train: np.ndarray, y_train: np.ndarray, class_names: Sequence[str]) -> None:
        """The training split the snapshots' batch_indices point into: x_train (n, n_inputs)
        in [0, 1] (or points' values), y_train (n,) class indices into class_names."""
        self._x = np.asarray(x_train, dtype=np.float32)
        self._y = np.asarray(y_train, dtype=np.int64)
        self._class_names = tuple(class_names)
        self._buffer = self._mosaic = None
        if self._last is not None:
            self._draw(self._last)
        else:
            self._show_message(NO_BATCH)

    def set_features(self, features: Sequence[str] | None) -> None:
        """The playground's extra inputs after x1, x2 (core.features names), to name the
        table's columns; None: x₁, x₂, input 3, ..."""
        self._features = None if features is None else tuple(features)

    def set_input_names(self, names: Sequence[str] | None) -> None:
        """The inputs' names (session.input_names) when they are values, not a picture's
        pixels: the batch is then a table with these columns. None: a picture."""
        self._input_names = None if names is None else tuple(names)

    @Slot(str)
    def _on_palette_changed(self, _name: str) -> None:
        self._title.setText(sign_colours_text(TITLE))

    def show_snapshot(self, snap: Snapshot) -> None:
        self._last = snap
        if snap.state == "running" and snap.delay == 0 and not snap.gentle:
            # At full speed batches fly past faster than anyone can look at them: a few a
            # second are enough, and a new picture every frame cost the window ~5 ms a frame.
            now = time.monotonic()
            if now - self._shown_at < FULL_SPEED_INTERVAL_S or not on_screen(self):
                return
            self._shown_at = now
        self._draw(snap)

    def _draw(self, snap: Snapshot) -> None:
        x = self._x
        if x is None:
            self._show_message(NO_DATA)
            return
        indices = np.asarray(snap.batch_indices, dtype=np.intp)
        if indices.size == 0:  # none yet, or the step it belonged to was undone by a divergence
            self._show_message(NO_BATCH if snap.step == 0 else NEXT_BATCH)
            return
        if x.shape[1] != snap.sizes[0] or indices.max() >= len(x):
            self._show_message("The newest mini-batch comes from another data set than the one loaded.")
            return
        total = len(indices)
        indices = indices[:MAX_SHOWN]
        batch = x[indices]
        with np.errstate(over="ignore", invalid="ignore"):  # parameters of a run about to diverge
            answers = np.asarray(snap.network.predict(batch), dtype=np.intp)
        labels = self._y[indices]
        right = answers == labels
        self._indices, self._answers = indices, answers
        self._captions = [
            f"{class_label(self._class_names, int(t))}→{class_label(self._class_names, int(p))}"
            for t, p in zip(labels, answers)
        ]
        colors = [RIGHT if r else WRONG for r in right]
        n_in = x.shape[1]
        if inputs_are_values(n_in, self._input_names):
            self._fill_table(batch, labels, answers, colors)
        else:
            side = image_side(n_in)
            if side is None:
                self._show_message(f"These {n_in} inputs do not form a square picture to show.")
                return
            self._fill_mosaic(batch, side, colors)
        shown = f" (the first {len(indices)} shown)" if total > len(indices) else ""
        self._summary.setText(
            f"Step {snap.step}: {int(right.sum())} of {len(indices)} right{shown}; batch "
            f"{snap.batch_in_epoch or snap.batches_per_epoch} of {snap.batches_per_epoch} in epoch "
            f"{snap.epochs_done + (1 if snap.batch_in_epoch else 0)}."
        )

    def reset(self) -> None:
        """A different network follows: no batch to show until its first step."""
        self._last = None
        self._show_message(NO_BATCH if self._x is not None else NO_DATA)

    def indices(self) -> np.ndarray:
        """The training indices shown, in order (empty when none)."""
        return self._indices.copy()

    def answers(self) -> np.ndarray:
        """The network's answer for each example shown."""
        return self._answers.copy()

    def captions(self) -> list[str]:
        """ "label→answer" for each example shown."""
        return list(self._captions)

    def caption_colors(self) -> list[QColor]:
        shown = len(self._indices)
        if self.showing_points():
            return [self._table.item(r, self._table.columnCount() - 1).foreground().color() for r in range(shown)]
        return [QColor(self._texts[t].color) for t in range(min(shown, len(self._texts)))]

    def mosaic_image(self) -> np.ndarray | None:
        """A copy of the displayed float32 mosaic (NaN between pictures), or None."""
        return None if self._mosaic is None or not self.showing_pictures() else self._mosaic.copy()

    def tile_rect(self, t: int) -> QRectF:
        """Picture t's rectangle in view (pixel) coordinates."""
        r, c = divmod(t, self._cols)
        return QRectF(c * (self._side + GAP), r * (self._side + GAP + CAPTION) + CAPTION, self._side, self._side)

    def showing_pictures(self) -> bool:
        return self._stack.currentWidget() is self._graphics

    def showing_points(self) -> bool:
        return self._stack.currentWidget() is self._table

    def table(self) -> QTableWidget:
        return self._table

    def message(self) -> str:
        """The text shown instead of the batch ("" while a batch is shown)."""
        return self._message.text() if self._stack.currentWidget() is self._message else ""

    def summary(self) -> str:
        return self._summary.text()

    # -- drawing ----------------------------------------------------------------------------
    def _on_dataset_changed(self) -> None:
        session = self._session
        dataset = session.dataset
        if dataset is None:
            return
        self.set_features(session.features)
        self.set_input_names(session.input_names)
        self.set_training_data(dataset.x_train, dataset.y_train, dataset.class_names)

    def _best_columns(self, k: int, side: int) -> int:
        """The number of columns that shows k pictures largest in the widget's shape."""
        w, h = max(self._graphics.width(), 1), max(self._graphics.height(), 1)
        best, best_scale = 1, 0.0
        for cols in range(1, k + 1):
            rows = math.ceil(k / cols)
            scale = min(w / (cols * (side + GAP)), h / (rows * (side + GAP + CAPTION)))
            if scale > best_scale:
                best, best_scale = cols, scale
        return best

    def _build(self, k: int, side: int) -> None:
        """The mosaic's buffer for k pictures (made only when the batch's shape changes)."""
        self._side = side
        self._cols = self._best_columns(k, side)
        self._rows = math.ceil(k / self._cols)
        step_x, step_y = side + GAP, side + GAP + CAPTION
        self._buffer = np.full((self._rows * step_y, self._cols * step_x), np.nan, dtype=np.float32)
        self._mosaic = self._buffer[: self._rows * step_y - GAP, : self._cols * step_x - GAP]
        h, w = self._mosaic.shape
        self._view.setRange(QRectF(0, 0, w, h), padding=0.01)

    def _fill_mosaic(self, batch: np.ndarray, side: int, colors: list[QColor]) -> None:
        k = len(batch)
        if self._buffer is None or side != self._side or math.ceil(k / max(self._cols, 1)) != self._rows:
            self._build(k, side)
        rows, cols = self._rows, self._cols
        step_x, step_y = side + GAP, side + GAP + CAPTION
        pictures = np.full((rows * cols, side * side), np.nan, dtype=np.float32)
        pictures[:k] = batch
        tiles = self._buffer.reshape(rows, step_y, cols, step_x)  # a view: writes land in _buffer
        tiles[:, CAPTION : CAPTION + side, :, :side] = pictures.reshape(rows, cols, side, side).transpose(0, 2, 1, 3)
        self._image.setImage(self._mosaic, autoLevels=False, levels=(0.0, 1.0))
        for t, text in enumerate(self._texts):
            if t < k:
                r, c = divmod(t, cols)
                text.setText(self._captions[t])
                text.setColor(colors[t])
                text.setPos(c * step_x + side / 2, r * step_y + CAPTION)
                text.show()
            else:
                text.hide()
        self._stack.setCurrentWidget(self._graphics)

    def _fill_table(self, points: np.ndarray, labels: np.ndarray, answers: np.ndarray, colors: list[QColor]) -> None:
        """One row per point: its training index, its values by name, label and answer."""
        n_in = points.shape[1]
        heads = ["training point", *input_labels(n_in, self._features, self._input_names), "label → answer"]
        t = self._table
        if t.columnCount() != len(heads):
            t.setColumnCount(len(heads))
        t.setHorizontalHeaderLabels(heads)
        t.setRowCount(len(points))
        right_align = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        light = t.palette().base().color().lightness() > 128  # the colours are for dark plots
        for r in range(len(points)):
            cells = [str(int(self._indices[r]))]
            cells += [f"{float(v):.2f}".replace("-", "−") for v in points[r]]
            cells.append(self._captions[r])
            for c, text in enumerate(cells):
                item = t.item(r, c)
                if item is None:
                    item = QTableWidgetItem()
                    t.setItem(r, c, item)
                item.setText(text)
                if 0 < c <= n_in:
                    item.setTextAlignment(right_align)
            color = QColor(colors[r])
            t.item(r, len(cells) - 1).setForeground(QBrush(color.darker(170) if light else color))
        self._stack.setCurrentWidget(t)

    def _show_message(self, text: str) -> None:
        self._indices = np.empty(0, np.intp)
        self._answers = np.empty(0, np.intp)
        self._captions = []
        self._summary.setText("")
        self._message.setText(text)
        self._stack.setCurrentWidget(self._message)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self._last is not None and self.showing_pictures():
            k = len(self._indices)
            if k and self._best_columns(k, self._side) != self._cols:
                self._buffer = None  # lay the pictures out again for the new shape
                self._draw(self._last)
