"""Where the network goes wrong: the confusion matrix on the test split, the accuracy of
each class, and galleries of the images behind any cell or of every mistake by confidence.

A network with one output neuron tells two classes apart by a threshold
(core.targets.predict_classes), so its matrix is 2x2; the gallery lists playground points
by their coordinates rather than drawing them as pictures.

Given the window's Session, the panel follows its data set and a clicked image becomes the
session's current sample.

Predictions come from the SplitActivations shared with the inspector (one forward pass
over the test split per snapshot). While training, the panel refreshes at most every
REFRESH_INTERVAL_MS and only while visible.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, Signal, Slot
from PySide6.QtGui import QColor, QFont, QPen
from PySide6.QtWidgets import QGraphicsRectItem, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from visnet.app.colors import (
    MUTED,
    PREDICTED,
    TRUE_LABEL,
    class_label,
    input_labels,
    inputs_are_values,
    percent,
)
from visnet.app.panels.gallery import ImageGallery
from visnet.app.session import Session
from visnet.app.split_activations import SplitActivations
from visnet.app.stable import FittingLabel
from visnet.app.throttle import VisibleRefresh
from visnet.core.snapshot import Snapshot
from visnet.core.targets import decision_threshold, n_classes, predict_classes

REFRESH_INTERVAL_MS = 1000
MAX_GALLERY = 48  # pictures shown at once at most; the caption says how many there are
MIN_PICTURE_PX = 34  # a smaller dock shows fewer pictures rather than smaller ones
MAX_CELL_TEXTS = 20  # up to 20 classes get their counts written in the cells


def confusion_matrix(y: np.ndarray, predicted: np.ndarray, n: int) -> np.ndarray:
    """counts[true, predicted] (n, n) int64."""
    return np.bincount(np.asarray(y) * n + np.asarray(predicted), minlength=n * n).reshape(n, n)


def predictions_and_confidence(output: str, a_out: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(predicted classes (n,), how sure (n,)) from output activations a_out (n, n_out):
    the brightest output and its value for several outputs; for one output the class by
    its threshold and the distance |a − threshold| (larger: further from the fence)."""
    predicted = predict_classes(output, a_out)
    if a_out.shape[1] == 1:
        return predicted, np.abs(a_out[:, 0].astype(np.float64) - decision_threshold(output))
    return predicted, a_out[np.arange(len(a_out)), predicted]


class MistakesPanel(QWidget):
    """Confusion matrix (counts, colours normalised per true class; empty cells left blank)
    and a gallery."""

    sample_requested = Signal(int)  # a test image was clicked

    def __init__(
        self, split: SplitActivations | None = None, parent: QWidget | None = None, *, session: Session | None = None
    ):
        """With a session the panel follows its data set and makes a clicked image the
        session's sample; without one the window calls set_features and set_dataset."""
        super().__init__(parent)
        self.session = session
        self.split = split or SplitActivations()
        self.split.computed.connect(self._schedule_refresh)
        self._snap: Snapshot | None = None
        self._incoming: Snapshot | None = None
        self._n = 0
        self._confusion: np.ndarray | None = None
        self._predicted: np.ndarray | None = None
        self._confidence: np.ndarray | None = None
        self._cell: tuple[int, int] | None = None  # selected (true, predicted), None = all mistakes
        self._what = "images"  # or "points", for playground data
        self._features: tuple[str, ...] | None = None  # set_features: the playground's extra inputs
        self._input_names: tuple[str, ...] | None = None  # set_input_names: a table's columns, ...
        self._refresh = VisibleRefresh(self, self._refresh_from_incoming, REFRESH_INTERVAL_MS)

        self._graphics = pg.GraphicsLayoutWidget()
        self._graphics.setMinimumWidth(220)
        self._plot: pg.PlotItem = self._graphics.addPlot()
        self._plot.setMenuEnabled(False)
        self._plot.hideButtons()
        self._plot.setMouseEnabled(False, False)
        self._plot.invertY(True)
        self._plot.setAspectLocked(True)
        self._plot.setLabel("left", "true")
        self._plot.setLabel("bottom", "predicted")
        self._image = pg.ImageItem(axisOrder="row-major")
        self._image.setColorMap(pg.colormap.get("CET-L8"))
        self._plot.addItem(self._image)
        self._highlight = QGraphicsRectItem()
        pen = QPen(QColor(255, 255, 255), 2)
        pen.setCosmetic(True)
        self._highlight.setPen(pen)
        self._highlight.setZValue(10)
        self._highlight.hide()
        self._plot.addItem(self._highlight, ignoreBounds=True)
        self._cell_texts: list[pg.TextItem] = []
        # Each class's accuracy is a tick label of the right axis, which widens to fit them.
        self._plot.showAxis("right")
        self._accuracy_axis: pg.AxisItem = self._plot.getAxis("right")
        self._accuracy_axis.setLabel("accuracy")
        self._accuracy_axis.setTextPen(MUTED)
        self._accuracy_ticks: list[tuple[float, str]] = []
        self._accuracy_axis.setTicks([[], []])
        self._graphics.scene().sigMouseClicked.connect(self._on_mouse_clicked)
        self._graphics.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self._plot.getViewBox().sigResized.connect(self._on_matrix_resized)

        self.summary_label = QLabel("No network yet.")
        self.summary_label.setWordWrap(True)
        self.gallery_label = FittingLabel()
        self.mistakes_button = QPushButton("All mistakes")
        self.mistakes_button.setToolTip("Every misclassified test example, most confident first")
        self.mistakes_button.clicked.connect(self.show_mistakes)
        self.gallery = ImageGallery(
            columns=None, max_captions=MAX_GALLERY, empty_text="nothing here", min_picture_px=MIN_PICTURE_PX
        )
        self.gallery.caption_title = "true → predicted"
        self.gallery.image_clicked.connect(self._on_gallery_image_clicked)
        self.gallery.capacity_changed.connect(self._fill_gallery)

        right = QVBoxLayout()
        right.setSpacing(2)
        top = QHBoxLayout()
        top.addWidget(self.gallery_label, 1)
        top.addWidget(self.mistakes_button)
        right.addLayout(top)
        right.addWidget(self.gallery, 1)
        hint = QLabel("Click a cell for its images; click an image to make it the current sample.")
        hint.setToolTip("Hover over a cell to read its count")
        self.hint_label = hint
        hint.setStyleSheet(f"color: {MUTED.name()}")
        hint.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(self._graphics, 5)
        row.addLayout(right, 6)
        column = QVBoxLayout(self)
        column.setContentsMargins(4, 4, 4, 4)
        column.setSpacing(2)
        column.addWidget(self.summary_label)
        column.addLayout(row, 1)
        column.addWidget(hint)  # under both, where it takes one line
        if session is not None:
            session.dataset_changed.connect(self._on_session_dataset_changed)
            self._on_session_dataset_changed()
            if session.snapshot is not None:
                self.show_snapshot(session.snapshot)

    # -- public API -------------------------------------------------------------------------
    def show_snapshot(self, snap: Snapshot) -> None:
        self._incoming = snap
        self._schedule_refresh()

    @Slot()
    def _schedule_refresh(self) -> None:  # also when background test-split activations arrive
        self._refresh.request_for(self._incoming)

    def reset(self) -> None:
        """A different network: clear the matrix, its numbers and the gallery drawn for the old one."""
        self._refresh.cancel()
        self._snap = self._incoming = None
        self._cell = None
        self._confusion = self._predicted = self._confidence = None
        self._image.clear()
        self._highlight.hide()
        for text in self._cell_texts:
            text.setText("")
        self._accuracy_ticks = []
        self._accuracy_axis.setTicks([[], []])
        self.summary_label.setText("No network yet.")
        self.gallery_label.setText("")
        self.gallery.set_images(np.zeros((0, 784), np.float32), [])
        self._graphics.setToolTip("")

    def set_hint_visible(self, on: bool) -> None:
        """Show or hide the "click a cell" hint (left out of exported pictures)."""
        self.hint_label.setVisible(on)

    def set_features(self, features: Sequence[str] | None) -> None:
        """The extra inputs of the playground's points, to name the columns of the mistaken
        points' table; call before set_dataset. None: not a playground."""
        self._features = None if features is None else tuple(features)

    def set_input_names(self, names: Sequence[str] | None) -> None:
        """The inputs' names (session.input_names) when they are values, not a picture's
        pixels, to name the mistaken rows' columns; call before set_dataset. None: a picture."""
        self._input_names = None if names is None else tuple(names)

    def set_dataset(self, x_test, y_test, class_names) -> None:
        self.split.set_dataset(x_test, y_test, class_names)
        self._cell = None
        n_in = np.shape(x_test)[1] if np.ndim(x_test) == 2 else 0
        points = inputs_are_values(n_in, self._input_names)
        self.gallery.set_input_labels(input_labels(n_in, self._features, self._input_names) if points else None)
        self._what = "points" if points else "images"
        self.hint_label.setText(
            f"Click a cell for its {self._what}; click "
            f"{'a row' if points else 'an image'} to make it the current sample."
        )
        self._refresh.request(running=False)

    def refresh_now(self) -> None:
        """Recompute from the newest snapshot now, visible or not."""
        self._refresh.run_now()

    def _refresh_from_incoming(self) -> None:
        if self._incoming is not None:
            self._snap = self._incoming
        self._fill()

    def confusion(self) -> np.ndarray | None:
        """counts[true, predicted] of the drawn snapshot."""
        return None if self._confusion is None else self._confusion.copy()

    def per_class_accuracy(self) -> np.ndarray | None:
        if self._confusion is None:
            return None
        return np.diag(self._confusion) / np.maximum(self._confusion.sum(axis=1), 1)

    def cell_indices(self, true: int, predicted: int) -> np.ndarray:
        """Every test index with this true and predicted class, most confident first."""
        if self._predicted is None:
            return np.empty(0, np.intp)
        idx = np.flatnonzero((self.split.y == true) & (self._predicted == predicted))
        return idx[np.argsort(-self._confidence[idx], kind="stable")]

    def mistake_indices(self) -> np.ndarray:
        """Every misclassified test index, most confident first."""
        if self._predicted is None:
            return np.empty(0, np.intp)
        idx = np.flatnonzero(self.split.y != self._predicted)
        return idx[np.argsort(-self._confidence[idx], kind="stable")]

    def select_cell(self, true: int, predicted: int) -> None:
        """Show the images of one cell of the matrix."""
        self._cell = (int(true), int(predicted))
        self._fill_gallery()

    @Slot()
    def show_mistakes(self) -> None:
        self._cell = None
        self._fill_gallery()

    def cell_shades(self) -> np.ndarray | None:
        """The (n, n) colour values drawn, NaN where a cell is empty (drawn blank)."""
        return self._image.image

    def accuracy_axis(self) -> pg.AxisItem:
        """The right axis, whose tick labels are each class's accuracy."""
        return self._accuracy_axis

    def accuracy_labels(self) -> list[str]:
        return [text for _, text in self._accuracy_ticks]

    def cell_view_rect(self, true: int, predicted: int) -> QRectF:
        return QRectF(predicted, true, 1, 1)

    def cell_widget_pos(self, true: int, predicted: int):
        """Centre of a cell in the graphics view's viewport coordinates (for test clicks)."""
        centre = self.cell_view_rect(true, predicted).center()
        return self._graphics.mapFromScene(self._plot.getViewBox().mapViewToScene(centre))

    def graphics_view(self) -> pg.GraphicsView:
        return self._graphics

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._refresh.shown()

    # -- drawing ----------------------------------------------------------------------------
    def _build(self, n: int) -> None:
        """Text items for an n-class matrix (created only when the number of classes changes)."""
        for item in self._cell_texts:
            self._plot.removeItem(item)
        self._cell_texts = []
        self._n = n
        font = QFont()
        font.setPointSizeF(8 if n <= 10 else 6.5)
        if n <= MAX_CELL_TEXTS:
            for _ in range(n * n):
                t = pg.TextItem("", anchor=(0.5, 0.5))
                t.setFont(font)
                self._plot.addItem(t, ignoreBounds=True)
                self._cell_texts.append(t)
        names = self.split.class_names
        ticks = [(k + 0.5, class_label(names, k)) for k in range(0, n, self._tick_step(n))]
        self._plot.getAxis("left").setTicks([ticks, []])
        self._plot.getAxis("bottom").setTicks([ticks, []])
        self._plot.setRange(QRectF(0, 0, n, n), padding=0.0)
        self._on_matrix_resized()

    @staticmethod
    def _tick_step(n: int) -> int:
        """Every class is named up to 20 classes; beyond, every few."""
        return max(1, n // 20)

    def _fill(self) -> None:
        snap = self._snap
        if snap is None:
            return
        acts = self.split.activations(snap, wait=snap.state != "running")
        if acts is None:
            self.summary_label.setText("No test split that fits this network.")
            return
        self._predicted, self._confidence = predictions_and_confidence(snap.activations[-1], acts[-1])
        n = n_classes(snap.sizes[-1])
        if n != self._n:
            self._build(n)
        y = self.split.y
        counts = confusion_matrix(y, self._predicted, n)
        self._confusion = counts
        rows = np.maximum(counts.sum(axis=1, keepdims=True), 1)
        normalised = (counts / rows).astype(np.float32)
        # Colour by the share of the row (its square root, so rare mistakes still show); an
        # empty cell is left blank (NaN is drawn transparent) so it never looks like a count.
        shade = np.where(counts > 0, normalised**0.5, np.nan).astype(np.float32)
        self._image.setImage(shade, autoLevels=False, levels=(0.0, 1.0))
        self._image.setRect(QRectF(0, 0, n, n))
        for t, text in enumerate(self._cell_texts):
            r, c = divmod(t, n)
            text.setText(str(counts[r, c]) if counts[r, c] else "")
            text.setColor(QColor(20, 20, 20) if normalised[r, c] > 0.45 else QColor(230, 230, 230))
            text.setPos(c + 0.5, r + 0.5)
        accuracy = self.per_class_accuracy()
        classes = range(0, n, self._tick_step(n))
        self._accuracy_ticks = [(r + 0.5, percent(float(accuracy[r]))) for r in classes]
        self._accuracy_axis.setTicks([self._accuracy_ticks, []])
        total = int(counts.sum())
        right = int(np.trace(counts))
        worst = int(np.argmin(accuracy))
        off = counts.copy()
        np.fill_diagonal(off, 0)
        tr, pc = np.unravel_index(int(np.argmax(off)), off.shape)
        names = self.split.class_names
        text = (
            f"Test accuracy <b>{100 * right / max(total, 1):.2f}%</b> ({total - right:,} of {total:,} wrong). "
            f"Hardest: {class_label(names, worst)} ({percent(float(accuracy[worst]))})"
        )
        if off[tr, pc]:
            text += (
                f"; most common mistake: {class_label(names, int(tr))} read as "
                f"{class_label(names, int(pc))} ({off[tr, pc]}×)"
            )
        text += "."
        self.summary_label.setText(text)
        self._fill_gallery()

    @Slot()
    def _fill_gallery(self) -> None:
        """The images of the selected cell, or every mistake, as many as the gallery holds at a
        legible size; the words above say how many there are and how many are shown."""
        if self._predicted is None:
            return
        names = self.split.class_names
        room = self.gallery.capacity()
        limit = MAX_GALLERY if room is None else min(room, MAX_GALLERY)
        if self._cell is None:
            idx = self.mistake_indices()
            shown = idx[:limit]
            more = len(idx) > len(shown)
            variants = [
                f"<b>All {len(idx):,} mistakes</b>, most confident first" + (f", {len(shown)} shown" if more else ""),
                f"<b>{len(idx):,} mistakes</b>, surest first" + (f" ({len(shown)} shown)" if more else ""),
                f"<b>{len(idx):,} mistakes</b>" + (f" ({len(shown)} shown)" if more else ""),
                f"<b>{len(idx):,} wrong</b>",
            ]
            self._highlight.hide()
        else:
            r, c = self._cell
            idx = self.cell_indices(r, c)
            shown = idx[:limit]
            more = f", {len(shown)} shown" if len(idx) > len(shown) else ""
            kind = "right" if r == c else "wrong"
            true, predicted = class_label(names, r), class_label(names, c)
            variants = [
                f"<b>True {true}, predicted {predicted}</b>: {len(idx):,} {self._what} ({kind}){more}",
                f"<b>{true} → {predicted}</b>: {len(idx):,} {self._what} ({kind}){more}",
                f"<b>{true} → {predicted}</b>: {len(idx):,} {self._what} ({kind})",
            ]
            self._highlight.setRect(self.cell_view_rect(r, c))
            self._highlight.show()
        self.gallery_label.set_text_variants(variants)
        y = self.split.y
        # Short captions (true→predicted) fit under small pictures; the tooltip has the confidence.
        captions = [f"{class_label(names, int(y[i]))}→{class_label(names, int(self._predicted[i]))}" for i in shown]
        colors = [TRUE_LABEL if y[i] == self._predicted[i] else PREDICTED for i in shown]
        self.gallery.set_images(self.split.x[shown], shown, captions, colors)

    @Slot()
    def _on_matrix_resized(self, *_) -> None:
        """Counts are written into the cells only when the cells are big enough to hold them."""
        if not self._n:
            return
        cell = self._plot.getViewBox().width() / self._n
        for text in self._cell_texts:
            text.setVisible(cell >= 22)

    # -- mouse ------------------------------------------------------------------------------
    def _on_mouse_clicked(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        cell = self._cell_at(event.scenePos())
        if cell is not None:
            self.select_cell(*cell)

    def _cell_at(self, scene_pos) -> tuple[int, int] | None:
        """(true, predicted) of the cell under scene_pos, or None."""
        view = self._plot.getViewBox()
        if self._confusion is None or not view.sceneBoundingRect().contains(scene_pos):
            return None
        p = view.mapSceneToView(scene_pos)
        c, r = int(np.floor(p.x())), int(np.floor(p.y()))
        return (r, c) if 0 <= r < self._n and 0 <= c < self._n else None

    def cell_hint(self, true: int, predicted: int) -> str:
        """What hovering over a cell says: 'true 3, predicted 5: 12 images' (zero included)."""
        if self._confusion is None:
            return ""
        names = self.split.class_names
        count = int(self._confusion[true, predicted])
        what = self._what if count != 1 else self._what[:-1]
        return f"true {class_label(names, true)}, predicted {class_label(names, predicted)}: {count:,} {what}"

    def _on_mouse_moved(self, scene_pos) -> None:
        cell = self._cell_at(scene_pos)
        self._graphics.setToolTip("" if cell is None else self.cell_hint(*cell))

    @Slot(int)
    def _on_gallery_image_clicked(self, index: int) -> None:
        if self.session is not None:
            self.session.choose_test_sample(index)
        self.sample_requested.emit(index)

    # -- the session ----------------------------------------------------------------------------
    @Slot()
    def _on_session_dataset_changed(self) -> None:
        dataset = self.session.dataset
        self.set_features(self.session.features)
        self.set_input_names(self.session.input_names)
        if dataset is not None:
            self.set_dataset(dataset.x_test, dataset.y_test, dataset.class_names)
