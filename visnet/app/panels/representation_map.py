"""A map of the learned representation: every test example (the first MAX_POINTS) as a
point, placed by its activations in a chosen layer, flattened to 2-D by PCA
(core.representation), coloured by its true class, with each class's name on its point
nearest the class's median. Mistakes are ringed; the current sample wears a larger ring (a
drawing, or a point of the plane, where its activations put it).

It draws the session's moment shown, so it follows training live and the timeline when the
user looks back. Successive maps are turned onto the previous one (core.representation.project),
so points move only as far as the network moved them, and choosing another layer turns its map
the way closest to the one before, so a point can be followed from layer to layer.

Hover over a point for its picture (or a playground point's values), true class and the
network's answer; a click makes it the session's current sample. In the playground the points
are the plane's test points and the classes its blue and orange.

On demand (the t-SNE button) a t-SNE map of the moment shown replaces the PCA map, computed off
the GUI thread with a progress bar and Cancel (TsneRunner); it stays, frozen at that moment,
until the PCA button brings the live map back. It needs openTSNE, an optional extra: without
it the button says in one line which extra to install.

The forward pass over the mapped examples is the panel's own (up to 2,000 examples, not the
whole split the mistakes panel and the inspector share), so while training the map updates
every REFRESH_INTERVAL_MS rather than once a second, or less often for a wide network, so the
map never takes more than BUSY_SHARE of the GUI thread (784-512-512-10's forward pass alone
takes 50-120 ms); it is computed only while the map can be seen.
"""

from __future__ import annotations

import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, QPoint, QPointF, Qt, Signal, Slot
from PySide6.QtGui import QBrush, QColor, QFont, QImage, QPixmap
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

from visnet.app import colors
from visnet.app.colors import MUTED, class_label, format_point, input_labels, inputs_are_values, picture_side
from visnet.app.panels.mistakes import predictions_and_confidence
from visnet.app.session import Session
from visnet.app.stable import FittingLabel
from visnet.app.throttle import VisibleRefresh
from visnet.app.tsne_runner import TsneRunner
from visnet.core.representation import (
    MAX_POINTS,
    TSNE_MISSING,
    Projection,
    default_layer,
    every_layer,
    layer_names,
    map_size,
    project,
    tsne_available,
)
from visnet.core.snapshot import Snapshot

REFRESH_INTERVAL_MS = 200  # while training: a new map at most this often
BUSY_SHARE = 0.2  # ... and less often when a map takes longer than this share of the interval
POINT_SIZE = 5.0  # px
RING_SIZE = 10.0  # px, a mistake's ring
CURRENT_SIZE = 18.0  # px, the current sample's ring
HOVER_RADIUS_PX = 8.0  # a point this close to the mouse is the one under it
PICTURE_PX = 48  # the hovered example's picture
MAX_CLASS_NAMES = 20  # up to this many classes get their name written at their centre
HINT = "Hover over a point for its example; click it to make it the current sample."


def picture_pixmap(x: np.ndarray, side: int, size: int = PICTURE_PX) -> QPixmap:
    """A grey picture of x (side * side,) scaled to size x size, from its own darkest to its
    brightest value (pixels may be 0..1 or standardised)."""
    img = np.asarray(x, np.float64).reshape(side, side)
    low, high = float(img.min()), float(img.max())
    grey = np.zeros_like(img) if high <= low else (img - low) / (high - low)
    data = np.ascontiguousarray(np.round(255 * grey).astype(np.uint8))
    image = QImage(data.data, side, side, side, QImage.Format.Format_Grayscale8).copy()
    return QPixmap.fromImage(image).scaled(size, size, Qt.AspectRatioMode.KeepAspectRatio)


class RepresentationMapPanel(QWidget):
    """Test examples placed by their activations in one layer (PCA to 2-D), by class."""

    sample_requested = Signal(int)  # a point was clicked: its test index
    map_drawn = Signal()  # a new map is on screen

    def __init__(self, parent: QWidget | None = None, *, session: Session | None = None):
        super().__init__(parent)
        self.session = session
        self._x: np.ndarray | None = None  # the mapped examples (n, n_inputs)
        self._y: np.ndarray | None = None
        self._class_names: tuple[str, ...] = ()
        self._input_names: tuple[str, ...] | None = None
        self._features: tuple[str, ...] | None = None
        self._side: int | None = None  # picture side, None for points
        self._incoming: Snapshot | None = None
        self._snap: Snapshot | None = None  # the moment drawn
        self._acts_of: Snapshot | None = None  # the moment self._acts belong to
        self._acts: list[np.ndarray] | None = None
        self._sizes: tuple[int, ...] = ()
        self._projection: Projection | None = None
        self._coords: np.ndarray | None = None  # the points' places drawn: the PCA or the t-SNE map
        self._tsne_of: tuple[Snapshot, int] | None = None  # (moment, layer) of the t-SNE map shown
        # The one being computed: its moment, layer, and that moment's answers (predicted,
        # confidence, the wrong ones), which the map shows with it (training may go on meanwhile).
        self._tsne_request: tuple | None = None
        self.tsne = TsneRunner(self)
        self.tsne.progressed.connect(self._on_tsne_progressed)
        self.tsne.found.connect(self._on_tsne_found)
        self.tsne.failed.connect(self._on_tsne_failed)
        self._predicted: np.ndarray | None = None
        self._confidence: np.ndarray | None = None
        self._wrong = np.empty(0, np.intp)
        # One scatter item per class, each with one brush: per-point brushes made pyqtgraph
        # spend ~40 ms a frame on 2,000 points.
        self._class_points: list[pg.ScatterPlotItem] = []
        self._class_index: list[np.ndarray] = []  # the mapped examples of each class
        self._hovered: int | None = None
        self._refresh = VisibleRefresh(self, self._refresh_from_incoming, REFRESH_INTERVAL_MS)

        self.layer_chooser = QComboBox()
        self.layer_chooser.setToolTip(
            "Which layer's activations place the points: the input (the pixels themselves), a hidden "
            "layer, or the outputs. Watch the classes separate from layer to layer"
        )
        self.layer_chooser.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.layer_chooser.currentIndexChanged.connect(self._on_layer_changed)
        self.tsne_button = QPushButton("t-SNE")
        self.tsne_button.setToolTip(
            "A t-SNE map of the moment shown (takes seconds): it keeps each point's nearest neighbours "
            "together, so classes PCA lays over one another come apart; distances between clusters mean "
            "little. Press PCA to return to the live map"
        )
        self.tsne_button.clicked.connect(self._on_tsne_clicked)
        self.tsne_progress = QProgressBar()
        self.tsne_progress.setRange(0, 100)
        self.tsne_progress.setMaximumWidth(110)
        self.tsne_progress.setToolTip("How far the t-SNE map has got")
        self.tsne_progress.hide()
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop computing the t-SNE map; the PCA map stays")
        self.cancel_button.clicked.connect(self.cancel_tsne)
        self.cancel_button.hide()
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.setStyleSheet(f"color: {colors.PREDICTED.name()}")
        self.message.hide()
        self.caption = FittingLabel("No network yet.")
        self.caption.setToolTip(
            "PCA: the plane through the points that keeps the most of their spread. The shares say how "
            "much of the layer's variance lies along its two principal components; the map is turned to "
            "follow the previous one, so its axes have no meaning of their own"
        )

        self._graphics = pg.GraphicsLayoutWidget()
        self._graphics.setMinimumSize(200, 110)  # two fit one above the other in the Compare workspace
        self._plot: pg.PlotItem = self._graphics.addPlot()
        self._plot.setMenuEnabled(False)
        self._plot.hideButtons()
        self._plot.setMouseEnabled(False, False)
        # The map fills the panel and has no axes: after turning to follow the previous map,
        # its directions and units mean nothing to read off.
        self._plot.hideAxis("left")
        self._plot.hideAxis("bottom")
        self._rings = pg.ScatterPlotItem(
            size=RING_SIZE, pen=pg.mkPen(235, 235, 235, 170, width=1.0), brush=None, pxMode=True
        )
        self._rings.setZValue(6)
        self._current = pg.ScatterPlotItem(
            size=CURRENT_SIZE, pen=pg.mkPen(colors.SELECTED, width=2.5), brush=None, pxMode=True
        )
        self._current.setZValue(8)
        self._plot.addItem(self._rings)
        self._plot.addItem(self._current, ignoreBounds=True)
        self._class_texts: list[pg.TextItem] = []
        self._graphics.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self._graphics.scene().sigMouseClicked.connect(self._on_mouse_clicked)
        # The caption under the map describes the point under the mouse; the dock's tooltip
        # popping up over it (and over the panel beside) would hide what it says.
        self._graphics.viewport().installEventFilter(self)

        self.picture = QLabel()
        self.picture.setFixedSize(PICTURE_PX, PICTURE_PX)
        self.picture.setToolTip("The example under the mouse")
        self.hover_label = QLabel(HINT)
        self.hover_label.setWordWrap(True)
        self.hover_label.setStyleSheet(f"color: {MUTED.name()}")
        self.hover_label.setToolTip("The example under the mouse: its true class and the network's answer")

        top = QHBoxLayout()
        top.addWidget(QLabel("Layer"))
        top.addWidget(self.layer_chooser)
        top.addStretch(1)
        top.addWidget(self.tsne_progress)
        top.addWidget(self.cancel_button)
        top.addWidget(self.tsne_button)
        bottom = QHBoxLayout()
        bottom.addWidget(self.picture)
        bottom.addWidget(self.hover_label, 1)
        column = QVBoxLayout(self)
        column.setContentsMargins(4, 4, 4, 4)
        column.setSpacing(2)
        column.addLayout(top)
        column.addWidget(self.caption)
        column.addWidget(self.message)
        column.addWidget(self._graphics, 1)
        column.addLayout(bottom)
        colors.palette.changed.connect(self._on_palette_changed)
        if session is not None:
            session.dataset_changed.connect(self._on_session_dataset_changed)
            session.network_replaced.connect(self.reset)
            session.sample_changed.connect(self._draw_current)
            self._on_session_dataset_changed()
            if session.snapshot is not None:
                self.show_snapshot(session.snapshot)

    # -- public API -------------------------------------------------------------------------
    def show_snapshot(self, snap: Snapshot) -> None:
        self._incoming = snap
        self._refresh.request_for(snap)

    def reset(self) -> None:
        """A different network: forget the old one's map (its layers may differ)."""
        self._refresh.cancel()
        self._leave_tsne()
        self._snap = self._incoming = self._acts_of = None
        self._acts = self._projection = self._coords = self._predicted = self._confidence = None
        self._wrong = np.empty(0, np.intp)
        for item in self._class_points:
            item.clear()
        self._rings.clear()
        self._current.clear()
        for text in self._class_texts:
            text.hide()
        self.caption.setText("No network yet.")
        self._set_hovered(None)

    def set_dataset(self, x_test, y_test, class_names, input_names=None, features=None, input_shape=None) -> None:
        """Map the first MAX_POINTS examples of this test split from now on."""
        n = map_size(len(x_test), MAX_POINTS)
        self._x = np.ascontiguousarray(np.asarray(x_test)[:n])
        self._y = np.asarray(y_test)[:n].astype(np.intp)
        self._class_names = tuple(str(c) for c in class_names)
        self._input_names = None if input_names is None else tuple(input_names)
        self._features = None if features is None else tuple(features)
        n_in = self._x.shape[1] if self._x.ndim == 2 else 0
        side = picture_side(n_in)
        square = input_shape is None or (len(input_shape) == 2 and input_shape[0] == input_shape[1])
        self._side = side if side is not None and square and not inputs_are_values(n_in, self._input_names) else None
        self.picture.setVisible(self._side is not None)
        self._leave_tsne()
        self.message.hide()
        self._acts_of = self._acts = self._projection = self._coords = None
        self._build_classes()
        self._refresh.request(running=False)

    def set_hint_visible(self, on: bool) -> None:
        """Show or hide the hover caption under the map (left out of exported pictures)."""
        self.hover_label.setVisible(on)
        self.picture.setVisible(on and self._side is not None)

    def refresh_now(self) -> None:
        """Map the newest snapshot now, visible or not."""
        self._refresh.run_now()

    def layer(self) -> int:
        """The layer mapped: 0 the input, 1 … L−1 hidden layers, L the outputs."""
        return max(self.layer_chooser.currentIndex(), 0)

    def set_layer(self, layer: int) -> None:
        self.layer_chooser.setCurrentIndex(int(layer))

    def shown_snapshot(self) -> Snapshot | None:
        """The moment the map shows."""
        return self._snap

    def projection(self) -> Projection | None:
        """The map drawn: its points' coordinates, axes and explained variance."""
        return self._projection

    def coords(self) -> np.ndarray | None:
        """The points' places drawn (n, 2): the PCA map's, or the t-SNE map's when it is shown."""
        return None if self._coords is None else self._coords.copy()

    def map_kind(self) -> str:
        """ "PCA" (live) or "t-SNE" (of one moment)."""
        return "t-SNE" if self._tsne_of is not None else "PCA"

    def start_tsne(self) -> bool:
        """Compute a t-SNE map of the moment and layer shown, off the GUI thread; False (and a
        one-line message) when openTSNE is missing or there is nothing to map."""
        if not tsne_available():
            self._show_message(TSNE_MISSING)
            return False
        if self._acts is None or self._acts_of is None or self._projection is None:
            return False
        self.message.hide()
        self._tsne_request = (self._acts_of, self.layer(), self._predicted, self._confidence, self._wrong)
        self.tsne.start(self._acts[self.layer()], self._projection.coords)
        self.tsne_progress.setValue(0)
        # openTSNE first finds every point's neighbours, which reports no progress
        self.tsne_progress.setFormat("neighbours…")
        self.tsne_progress.show()
        self.cancel_button.show()
        self.tsne_button.setEnabled(False)
        return True

    @Slot()
    def cancel_tsne(self) -> None:
        """Stop computing a t-SNE map; the map shown stays."""
        self.tsne.cancel()
        self._tsne_request = None
        self._tsne_controls()

    def tsne_running(self) -> bool:
        return self.tsne.is_running()

    def shutdown(self) -> None:
        """Stop and join the t-SNE thread (call on close)."""
        self.tsne.shutdown()

    def activations(self) -> np.ndarray | None:
        """The mapped layer's activations (n, d) of the moment drawn."""
        return None if self._acts is None else self._acts[self.layer()]

    def predicted(self) -> np.ndarray | None:
        return None if self._predicted is None else self._predicted.copy()

    def ringed(self) -> np.ndarray:
        """Indices of the points drawn ringed: the mapped examples the network gets wrong."""
        return self._wrong.copy()

    def point_brushes(self) -> list[QColor]:
        """Each point's colour, in test-index order."""
        if self._y is None or not any(len(item.data) for item in self._class_points):
            return []
        shades = [QColor(item.opts["brush"].color()) for item in self._class_points]
        return [shades[k] for k in self._y]

    def current_point(self) -> int | None:
        """The test index of the point ringed as the current sample, or None (also when the
        sample is not one of the mapped test examples)."""
        data = self._current.data
        return int(data["data"][0]) if len(data) and int(data["data"][0]) >= 0 else None

    def current_place(self) -> tuple[float, float] | None:
        """Where the current sample's ring is on the map, or None."""
        data = self._current.data
        return (float(data["x"][0]), float(data["y"][0])) if len(data) else None

    def hover_text(self) -> str:
        return self.hover_label.text()

    def graphics_view(self) -> pg.GraphicsView:
        return self._graphics

    def point_widget_pos(self, index: int) -> QPoint:
        """Where point `index` is drawn, in the graphics view's viewport (for test clicks)."""
        x, y = self._coords[index]
        scene = self._plot.getViewBox().mapViewToScene(QPointF(float(x), float(y)))
        return self._graphics.mapFromScene(scene)

    def point_at(self, scene_pos) -> int | None:
        """The test index of the point drawn nearest scene_pos within HOVER_RADIUS_PX, or None."""
        coords = self._coords
        view = self._plot.getViewBox()
        if coords is None or not len(coords) or not view.sceneBoundingRect().contains(scene_pos):
            return None
        at = view.mapSceneToView(scene_pos)
        px, py = view.viewPixelSize()
        if not (px > 0 and py > 0):
            return None
        dx = (coords[:, 0] - at.x()) / px
        dy = (coords[:, 1] - at.y()) / py
        d2 = dx * dx + dy * dy
        i = int(np.argmin(d2))
        return i if d2[i] <= HOVER_RADIUS_PX**2 else None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt name)
        if event.type() == QEvent.Type.ToolTip and watched is self._graphics.viewport():
            return True
        return super().eventFilter(watched, event)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._refresh.shown()

    # -- computing and drawing ----------------------------------------------------------------
    def _refresh_from_incoming(self) -> None:
        if self._incoming is not None:
            self._snap = self._incoming
        start = time.perf_counter()
        self._draw()
        took_ms = 1000 * (time.perf_counter() - start)
        self._refresh.set_interval(max(REFRESH_INTERVAL_MS, round(took_ms / BUSY_SHARE)))

    def _fits(self, snap: Snapshot | None) -> bool:
        return snap is not None and self._x is not None and self._x.ndim == 2 and self._x.shape[1] == snap.sizes[0]

    def _draw(self) -> None:
        snap = self._snap
        if snap is None:
            return
        if not self._fits(snap):
            self.caption.setText("No test split that fits this network.")
            return
        if self._tsne_of is not None:
            return  # the t-SNE map stays, of its moment, until PCA is chosen again
        if tuple(snap.sizes) != self._sizes:
            self._set_layers(tuple(snap.sizes))
        if self._acts_of is not snap:
            self._acts = every_layer(snap.network, self._x)
            self._acts_of = snap
            self._predicted, self._confidence = predictions_and_confidence(snap.activations[-1], self._acts[-1])
            self._wrong = np.flatnonzero(self._predicted != self._y)
        layer = self.layer()
        p = self._projection = project(self._acts[layer], self._projection)
        self._show_points(p.coords)
        pc1, pc2 = (colors.percent(float(e)) for e in p.explained)
        shown = colors.percent(float(p.explained.sum()))
        what = "points" if self._side is None else "test images"
        wrong = f"{p.n:,} {what}, {len(self._wrong):,} wrong (ringed)"
        self.caption.set_text_variants(
            [
                f"{wrong}; the map shows {shown} of the layer's variance (PC1 {pc1}, PC2 {pc2})",
                f"{wrong}; {shown} of the variance (PC1 {pc1}, PC2 {pc2})",
                f"{wrong}; {shown} of the variance",
                f"{p.n:,} {what}, {len(self._wrong):,} wrong; {shown} of the variance",
            ]
        )
        if self._hovered is not None:
            self._set_hovered(self._hovered)
        self.map_drawn.emit()

    def _show_points(self, coords: np.ndarray) -> None:
        """Draw the points at coords (n, 2): coloured by class, mistakes ringed, class names."""
        self._coords = coords
        for item, index in zip(self._class_points, self._class_index):
            item.setData(pos=coords[index])
        self._rings.setData(pos=coords[self._wrong])
        self._place_class_names(coords)
        self._plot.getViewBox().autoRange(padding=0.06)
        self._draw_current()

    def _set_layers(self, sizes: tuple[int, ...]) -> None:
        """Fill the layer chooser for a network of these sizes, keeping the layer chosen when
        the network has as many layers."""
        keep = len(sizes) == len(self._sizes) and self.layer_chooser.count() > 0
        chosen = self.layer() if keep else default_layer(sizes)
        self._sizes = sizes
        self.layer_chooser.blockSignals(True)
        self.layer_chooser.clear()
        self.layer_chooser.addItems(layer_names(sizes))
        self.layer_chooser.setCurrentIndex(chosen)
        self.layer_chooser.blockSignals(False)

    def _build_classes(self) -> None:
        """A scatter item and a name tag per class (made when the classes or colours change)."""
        for item in (*self._class_points, *self._class_texts):
            self._plot.removeItem(item)
        self._class_points, self._class_texts = [], []
        y = self._y if self._y is not None else np.empty(0, np.intp)
        n = max(len(self._class_names), int(y.max()) + 1 if len(y) else 0)
        self._class_index = [np.flatnonzero(y == k) for k in range(n)]
        for color in colors.class_colors(n):
            item = pg.ScatterPlotItem(size=POINT_SIZE, pen=None, brush=QBrush(color), pxMode=True)
            item.setZValue(5)
            self._plot.addItem(item)
            self._class_points.append(item)
        if n > MAX_CLASS_NAMES:
            return
        font = QFont()
        font.setPointSizeF(10)
        font.setBold(True)
        # A tag in the class's colour with dark or light text: a name in the class's colour
        # on the points of that colour could not be read.
        for k, color in enumerate(colors.class_colors(n)):
            ink = (20, 20, 20) if color.lightnessF() > 0.45 else (245, 245, 245)
            fill = QColor(color)
            fill.setAlpha(225)
            text = pg.TextItem(class_label(self._class_names, k), color=ink, anchor=(0.5, 0.5), fill=fill)
            text.setFont(font)
            text.setZValue(10)
            text.hide()
            self._plot.addItem(text, ignoreBounds=True)
            self._class_texts.append(text)

    def _place_class_names(self, coords: np.ndarray) -> None:
        """Each class's name on its point nearest the median of its points (hidden for a class
        with none): on a point of the class even when the class is a ring around another
        (the playground's circle), whose median lies in the other class."""
        for k, text in enumerate(self._class_texts):
            mine = coords[self._y == k]
            if len(mine):
                centre = mine[np.argmin(np.sum((mine - np.median(mine, axis=0)) ** 2, axis=1))]
                text.setPos(float(centre[0]), float(centre[1]))
                text.show()
            else:
                text.hide()

    @Slot()
    def _draw_current(self) -> None:
        """Ring the current sample: one of the mapped test examples where it is drawn; any
        other sample (a drawing, a point of the plane, a later test example) where the PCA
        map puts its activations (a t-SNE map has no place for a new point)."""
        session = self.session
        sample = session.sample if session is not None else None
        coords = self._coords
        self._current.clear()
        if coords is None or sample is None:
            return
        if sample.source == "test" and sample.index is not None and 0 <= sample.index < len(coords):
            self._current.setData(pos=coords[[sample.index]], data=[sample.index])
            return
        p = self._projection
        if self._tsne_of is not None or p is None or session is None or session.snapshot is not self._snap:
            return
        one = session.sample_pass()
        if one is None:
            return
        a = np.nan_to_num(np.asarray(one.activations[self.layer()], np.float64))
        if a.shape != p.mean.shape:
            return
        self._current.setData(pos=((a - p.mean) @ p.components.T)[None], data=[-1])

    def _describe(self, i: int) -> str:
        names = self._class_names
        true = class_label(names, int(self._y[i]))
        if self._side is None:
            labels = input_labels(self._x.shape[1], self._features, self._input_names)
            what = f"test point {i} ({format_point(self._x[i][:2], labels[:2])})"
        else:
            what = f"test image {i}"
        text = f"<b>{what}</b>: true {true}"
        if self._predicted is not None:
            guess = class_label(names, int(self._predicted[i]))
            right = self._predicted[i] == self._y[i]
            color = colors.TRUE_LABEL if right else colors.PREDICTED
            text += f", network says <b style='color:{color.name()}'>{guess}</b>"
            text += f" ({'right' if right else 'wrong'}, {float(self._confidence[i]):.2f})"
        return text

    def _set_hovered(self, i: int | None) -> None:
        self._hovered = i
        if i is None or self._x is None or i >= len(self._x):
            self.hover_label.setText(HINT)
            self.hover_label.setStyleSheet(f"color: {MUTED.name()}")
            self.picture.clear()
            return
        self.hover_label.setStyleSheet("")
        self.hover_label.setText(self._describe(i))
        if self._side is not None:
            self.picture.setPixmap(picture_pixmap(self._x[i], self._side))

    # -- events -----------------------------------------------------------------------------
    def _on_mouse_moved(self, scene_pos) -> None:
        i = self.point_at(scene_pos)
        if i != self._hovered:
            self._set_hovered(i)

    def _on_mouse_clicked(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        i = self.point_at(event.scenePos())
        if i is None:
            return
        event.accept()
        if self.session is not None:
            self.session.choose_test_sample(i)
        self.sample_requested.emit(i)

    @Slot(int)
    def _on_layer_changed(self, _index: int) -> None:
        self._leave_tsne()  # a t-SNE map, made or being made, is of another layer
        if self._snap is not None:
            self._draw()

    @Slot(str)
    def _on_palette_changed(self, _name: str) -> None:
        self._build_classes()
        if self._tsne_of is not None and self._coords is not None:
            self._show_points(self._coords)
        elif self._snap is not None and self._acts is not None:
            self._draw()

    @Slot()
    def _on_session_dataset_changed(self) -> None:
        d = self.session.dataset
        if d is None:
            return
        self.set_dataset(
            d.x_test,
            d.y_test,
            d.class_names,
            input_names=self.session.input_names,
            features=self.session.features,
            input_shape=d.input_shape,
        )

    # -- t-SNE --------------------------------------------------------------------------------
    def _tsne_controls(self) -> None:
        running = self.tsne.is_running()
        self.tsne_progress.setVisible(running)
        self.cancel_button.setVisible(running)
        self.tsne_button.setEnabled(not running)
        self.tsne_button.setText("PCA" if self._tsne_of is not None else "t-SNE")

    def _leave_tsne(self) -> None:
        """Back to the live PCA map: cancel a t-SNE map being made and drop the one shown."""
        self.tsne.cancel()
        self._tsne_request = None
        self._tsne_of = None
        self._tsne_controls()

    def _show_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.show()

    @Slot()
    def _on_tsne_clicked(self) -> None:
        if self._tsne_of is not None:
            self._leave_tsne()
            self._draw()
        else:
            self.start_tsne()

    @Slot(float)
    def _on_tsne_progressed(self, share: float) -> None:
        self.tsne_progress.setFormat("%p%")
        self.tsne_progress.setValue(round(100 * share))

    @Slot(object)
    def _on_tsne_found(self, coords: np.ndarray) -> None:
        request, self._tsne_request = self._tsne_request, None
        if request is None or request[1] != self.layer():
            self._tsne_controls()
            return
        snap, layer, self._predicted, self._confidence, self._wrong = request
        self._acts_of = None  # the answers are that moment's now: the PCA map computes its own again
        self._tsne_of = (snap, layer)
        self._tsne_controls()
        self._show_points(np.asarray(coords, np.float64))
        what = "points" if self._side is None else "test images"
        n = len(coords)
        self.caption.set_text_variants(
            [
                f"t-SNE of step {snap.step:,} ({n:,} {what}, {len(self._wrong):,} wrong, ringed): neighbours "
                "stay together, distances between clusters mean little; PCA returns to the live map",
                f"t-SNE of step {snap.step:,}: {n:,} {what}, {len(self._wrong):,} wrong (ringed); PCA: live map",
                f"t-SNE of step {snap.step:,}; PCA: back to the live map",
            ]
        )
        if self._hovered is not None:
            self._set_hovered(self._hovered)
        self.map_drawn.emit()

    @Slot(str)
    def _on_tsne_failed(self, text: str) -> None:
        self._tsne_request = None
        self._tsne_controls()
        self._show_message(text)
