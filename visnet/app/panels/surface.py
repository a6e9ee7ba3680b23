"""The playground's decision surface: a two-input network's output over the whole plane as
a heatmap, its decision boundary as a line, and the data's points on top, as in TensorFlow
Playground (orange = class 1, blue = class 0). A "draw points" mode turns clicks on the
plane into new points of either class.

Orientation: the plot's y axis points up (not inverted) and every core.surface image has
row 0 at the bottom, so ImageItem.setRect(surface.rect) puts each pixel where it belongs.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPoint, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import QButtonGroup, QHBoxLayout, QToolButton, QVBoxLayout, QWidget

from visnet.app.colors import TWO_CLASS_COLORS, percent, symmetric_limit
from visnet.app.plane import Plane
from visnet.app.session import Session
from visnet.app.stable import add_caption, status_label
from visnet.core.features import check_features, with_features
from visnet.core.network import Network
from visnet.core.snapshot import Snapshot
from visnet.core.surface import PLANE_EXTENT, Surface, choose_resolution, decision_score, evaluate_surface

# TensorFlow Playground's colours: orange for class 1 (output above the level), blue for class 0.
CLASS_COLORS = TWO_CLASS_COLORS  # the representation map colours the two classes alike
# The heatmap runs from a paler blue through light grey to a paler orange, so the saturated
# points stay visible on the region of their own class.
SURFACE_COLORMAP = pg.ColorMap(
    pos=[0.0, 0.5, 1.0],
    color=[(64, 140, 196), (232, 234, 235), (246, 170, 84)],
)
BOUNDARY_COLOR = QColor(25, 25, 30)
TRAIN_SIZE = 8  # symbol diameters in screen pixels
TEST_SIZE = 9
# Output ranges of the bounded output activations; unbounded outputs get levels from the data.
OUTPUT_RANGES = {"sigmoid": (0.0, 1.0), "softmax": (0.0, 1.0), "step": (0.0, 1.0), "tanh": (-1.0, 1.0)}
LIMIT_TOLERANCE = 0.1  # relative change of a data-driven colour span worth redrawing for


def colour_span(net: Network, level: float) -> float | None:
    """Half the width of the colour levels (level - span, level + span) that covers every
    output `net` can give, or None when its output is unbounded (identity, relu)."""
    output = net.activations[-1]
    if output not in OUTPUT_RANGES:
        return None
    low, high = OUTPUT_RANGES[output]
    if net.sizes[-1] == 2 and output != "softmax":  # the score is a1 - a0
        return high - low
    return max(high - level, level - low)


def boundary_segments(
    output: np.ndarray, level: float, xs: np.ndarray, ys: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The contour output == level by marching squares, as line segments in plane coordinates.

    output: (res, res) with row r at x2 = ys[r] and column c at x1 = xs[c] (core.surface's
    orientation). Returns x, y of shape (2 * n_segments,): segment k runs from point 2k to
    2k + 1 (draw with connect="pairs"). Each end lies on a grid edge, linearly interpolated
    between its two samples. Vectorized: a 100x100 grid takes well under a millisecond,
    where pyqtgraph's isocurve loops over every cell in Python.
    """
    v = np.asarray(output, dtype=np.float64)
    above = v > level
    finite = np.isfinite(v)
    # Corners of cell (r, c): bottom-left (r, c), bottom-right (r, c+1), top-right (r+1, c+1), top-left (r+1, c).
    bl, br, tr, tl = above[:-1, :-1], above[:-1, 1:], above[1:, 1:], above[1:, :-1]
    case = bl.astype(np.uint8) | (br << 1) | (tr << 2) | (tl << 3)
    ok = finite[:-1, :-1] & finite[:-1, 1:] & finite[1:, 1:] & finite[1:, :-1]
    case = np.where(ok, case, 0)
    centre_above = 0.25 * (v[:-1, :-1] + v[:-1, 1:] + v[1:, 1:] + v[1:, :-1]) > level

    with np.errstate(divide="ignore", invalid="ignore"):
        t_h = (level - v[:, :-1]) / (v[:, 1:] - v[:, :-1])  # along row r from column c to c+1
        t_v = (level - v[:-1, :]) / (v[1:, :] - v[:-1, :])  # along column c from row r to r+1
    dx, dy = xs[1] - xs[0], ys[1] - ys[0]
    # Crossing point of each edge of every cell, in index units (column, row): edge 0 = bottom,
    # 1 = right, 2 = top, 3 = left.
    rows, cols = np.mgrid[0 : v.shape[0] - 1, 0 : v.shape[1] - 1]
    edge_c = np.stack([cols + t_h[:-1], cols + 1.0, cols + t_h[1:], cols * 1.0])
    edge_r = np.stack([rows * 1.0, rows + t_v[:, 1:], rows + 1.0, rows + t_v[:, :-1]])

    pairs: list[tuple[np.ndarray, int, int]] = []  # (cells, edge a, edge b)
    for k, edges in _SEGMENT_TABLE.items():
        cells = case == k
        if k in (5, 10):
            # Saddle: the centre decides which corners the region joins.
            joined = cells & centre_above
            split = cells & ~centre_above
            for mask, (a1, b1, a2, b2) in zip((joined, split), edges):
                pairs.append((mask, a1, b1))
                pairs.append((mask, a2, b2))
        else:
            pairs.append((cells, edges[0], edges[1]))
    xa, ya, xb, yb = [], [], [], []
    for mask, a, b in pairs:
        r, c = np.nonzero(mask)
        if r.size == 0:
            continue
        xa.append(edge_c[a, r, c])
        ya.append(edge_r[a, r, c])
        xb.append(edge_c[b, r, c])
        yb.append(edge_r[b, r, c])
    if not xa:
        return np.empty(0), np.empty(0)
    x = np.column_stack([np.concatenate(xa), np.concatenate(xb)]).ravel()
    y = np.column_stack([np.concatenate(ya), np.concatenate(yb)]).ravel()
    return xs[0] + dx * x, ys[0] + dy * y


# Marching squares: for each case (bit 0 bottom-left, 1 bottom-right, 2 top-right, 3
# top-left corner above the level) the two edges a segment joins. The saddles 5 and 10 list
# (edges when the centre is above, edges when it is below), four edges each.
_SEGMENT_TABLE: dict[int, tuple] = {
    1: (3, 0),
    2: (0, 1),
    3: (3, 1),
    4: (1, 2),
    6: (0, 2),
    7: (3, 2),
    8: (2, 3),
    9: (0, 2),
    11: (1, 2),
    12: (3, 1),
    13: (0, 1),
    14: (3, 0),
    # 5: bottom-left and top-right above. Centre above: the two below corners are cut off.
    5: ((0, 1, 2, 3), (3, 0, 1, 2)),
    # 10: bottom-right and top-left above. Centre above: cut off bottom-left and top-right.
    10: ((3, 0, 1, 2), (0, 1, 2, 3)),
}


class DecisionSurfacePanel(QWidget):
    """A two-input network's output over the plane, its 0.5 (or 0) contour, and the points.

    set_data(toy) shows a Toy2D's points; show_snapshot(snap) or show_network(net) evaluate
    the network over the plane once (core.surface) and redraw. The panel does not own the
    data: in draw mode a click emits point_added and the owner calls set_data again.

    Given a Session, it follows the session's plane and points and rings the current
    sample's point, whatever chose it; clicks still go out as point_chosen / point_added.
    """

    point_added = Signal(float, float, int, str)  # (x1, x2, label, split) of a point clicked in draw mode
    point_chosen = Signal(float, float)  # (x1, x2) clicked outside draw mode: make it the current sample
    undo_point_requested = Signal()  # take back the point drawn last

    HINT = "Hover to read the output; click to follow a point."
    DRAW_HINT = "Click: add a point (right: other class, Shift: test)."

    def __init__(self, parent: QWidget | None = None, *, session: Session | None = None):
        super().__init__(parent)
        self._session = session
        self._extent: tuple[float, float, float, float] = PLANE_EXTENT
        self._features: tuple[str, ...] = ()
        self._toy = None  # the Toy2D shown
        self._plane: Plane | None = None  # the window's shared plane, if set
        self._inputs: dict[str, np.ndarray] = {}  # split -> (n, 2 + k) inputs with features
        self._net: Network | None = None
        self._surface: Surface | None = None
        self._levels: tuple[float, float] | None = None
        self._rect: tuple[float, float, float, float] | None = None

        self._graphics = pg.GraphicsLayoutWidget()
        self._graphics.setToolTip(
            "The network's output over the whole input plane: orange where it predicts class 1, "
            "blue where it predicts class 0, paler near the boundary.\nThe dark line is the decision "
            "boundary. Filled dots are training points, rings are test points."
        )
        self._caption = add_caption(self._graphics, "No network yet.", row=0, col=0, colspan=2, size="11pt")
        self._plot: pg.PlotItem = self._graphics.addPlot(row=1, col=0)
        self._plot.setMenuEnabled(False)
        self._plot.hideButtons()
        self._plot.setLabel("bottom", "x₁")
        self._plot.setLabel("left", "x₂")
        # A fixed width: the axis would otherwise resize itself to its tick labels after the
        # first paint, moving the whole plane under the mouse.
        self._plot.getAxis("left").setWidth(40)
        self._view: pg.ViewBox = self._plot.getViewBox()
        self._view.setAspectLocked(True)
        self._view.setMouseEnabled(False, False)
        self._image = pg.ImageItem(axisOrder="row-major")
        self._image.setColorMap(SURFACE_COLORMAP)
        self._image.setZValue(-10)
        self._plot.addItem(self._image)
        self._colorbar = pg.ColorBarItem(
            values=(0.0, 1.0), colorMap=SURFACE_COLORMAP, interactive=False, label="output", width=12
        )
        self._colorbar.setImageItem(self._image)
        self._graphics.addItem(self._colorbar, row=1, col=1)
        boundary_pen = pg.mkPen(BOUNDARY_COLOR, width=2.5, cosmetic=True, capStyle=Qt.PenCapStyle.RoundCap)
        self._boundary = pg.PlotCurveItem(pen=boundary_pen, connect="pairs", antialias=True)
        self._boundary.setZValue(5)
        self._plot.addItem(self._boundary, ignoreBounds=True)
        self._points: dict[tuple[str, int], pg.ScatterPlotItem] = {}
        for label, color in enumerate(CLASS_COLORS):
            train = pg.ScatterPlotItem(
                size=TRAIN_SIZE, pen=pg.mkPen(255, 255, 255, 230, width=1), brush=pg.mkBrush(color), pxMode=True
            )
            test = pg.ScatterPlotItem(
                size=TEST_SIZE, pen=pg.mkPen(color, width=2.2), brush=pg.mkBrush(255, 255, 255, 110), pxMode=True
            )
            for split, item in (("train", train), ("test", test)):
                item.setZValue(10 if split == "train" else 9)
                self._plot.addItem(item)
                self._points[(split, label)] = item
        # The current sample (a test point or any point clicked): a ring the network view and
        # the inspector mark too.
        self._current = pg.ScatterPlotItem(
            size=18, pen=pg.mkPen(255, 255, 255, width=2.5), brush=None, symbol="o", pxMode=True
        )
        self._current.setZValue(12)
        self._plot.addItem(self._current, ignoreBounds=True)
        self._set_range()

        # Controls.
        self._draw_button = QToolButton()
        self._draw_button.setText("Draw points")
        self._draw_button.setCheckable(True)
        self._draw_button.setToolTip(
            "Draw mode: click the plane to add a training point of the chosen class (Shift+click: a test "
            "point); right click "
            "adds one of the other class. Keys 0 and 1 choose the class."
        )
        self._draw_button.toggled.connect(self._on_draw_mode_changed)
        self._class_group = QButtonGroup(self)
        self._class_group.setExclusive(True)
        self._class_buttons: list[QToolButton] = []
        for label, color in enumerate(CLASS_COLORS):
            button = QToolButton()
            button.setText(f"class {label}")
            button.setCheckable(True)
            button.setToolTip(f"Draw points of class {label} ({'orange' if label else 'blue'}); key {label}")
            button.setStyleSheet(
                f"QToolButton:checked {{ background: {color.name()}; color: white; font-weight: bold; }}"
            )
            self._class_group.addButton(button, label)
            self._class_buttons.append(button)
        self._class_buttons[1].setChecked(True)
        self._info = status_label(self.HINT)
        self._info.setToolTip("The point under the mouse and the network's output there")
        controls = QHBoxLayout()
        self.undo_point_button = QToolButton()
        self.undo_point_button.setText("Undo point")
        self.undo_point_button.setToolTip("Take back the point drawn last (Backspace)")
        self.undo_point_button.clicked.connect(self.undo_point_requested)
        self.undo_point_button.setEnabled(False)  # until there is a drawn point
        controls.addWidget(self._draw_button)
        for button in self._class_buttons:
            controls.addWidget(button)
        controls.addWidget(self.undo_point_button)
        controls.addStretch(1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self._graphics, 1)
        layout.addLayout(controls)
        layout.addWidget(self._info)  # a line of its own: beside the buttons a narrow dock cut it

        for label in (0, 1):
            shortcut = QShortcut(QKeySequence(str(label)), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(lambda label=label: self._on_class_key(label))
            shortcut.setWhatsThis(f"Draw points of class {label}")  # Help ▸ Keyboard shortcuts lists it
        undo = QShortcut(QKeySequence(Qt.Key.Key_Backspace), self)
        undo.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        undo.setWhatsThis("Take back the last point drawn")
        undo.activated.connect(self.undo_point_button.click)

        scene = self._graphics.scene()
        scene.sigMouseMoved.connect(self._on_mouse_moved)
        scene.sigMouseClicked.connect(self._on_mouse_clicked)
        self._update_controls()
        self._hint_visible = True

        if session is not None:
            session.dataset_changed.connect(self._on_session_dataset_changed)
            session.sample_changed.connect(self._on_session_sample_changed)
            self._on_session_dataset_changed()

    # -- the session ------------------------------------------------------------------------
    def _on_session_dataset_changed(self) -> None:
        session = self._session
        self.set_plane(session.plane)
        if session.playground is not None:
            self.set_data(session.playground)
        self._on_session_sample_changed()

    def _on_session_sample_changed(self) -> None:
        sample = self._session.sample
        on_plane = self._session.plane is not None and sample is not None and sample.x.size >= 2
        self.set_current_point(*(sample.x[:2] if on_plane else (None,)))

    # -- public API -------------------------------------------------------------------------
    def set_data(self, toy) -> None:
        """Show the points of toy (a visnet.data.toy2d.Toy2D): training points as filled dots,
        test points as rings, orange for class 1 and blue for class 0."""
        self._toy = toy
        if tuple(toy.extent) != self._extent:
            self._extent = tuple(float(v) for v in toy.extent)
            self._set_range()
        for split in ("train", "test"):
            x = getattr(toy, f"x_{split}")
            y = getattr(toy, f"y_{split}")
            for label in (0, 1):
                mine = x[y == label]
                self._points[(split, label)].setData(mine[:, 0], mine[:, 1])
        self.undo_point_button.setEnabled(bool(toy.drawn))
        self._update_inputs()
        self._update_caption()

    def set_features(self, features: Sequence[str]) -> None:
        """The extra inputs (core.features names) the networks shown next take after x1, x2."""
        self._features = check_features(features)
        self._update_inputs()

    def set_plane(self, plane: Plane | None) -> None:
        """Draw the surfaces of this shared Plane (evaluated once per snapshot for every panel
        that shows it); None: there is no plane (digit data), show_snapshot draws nothing."""
        self._plane = plane
        if plane is not None:
            if plane.extent != self._extent:
                self._extent = plane.extent
                self._set_range()
            self.set_features(plane.features)
        else:
            self.reset()

    def show_snapshot(self, snap: Snapshot) -> None:
        """Redraw for the snapshot's network: from the shared plane if one is set, else with
        the features of set_features."""
        if self._plane is None:
            self.show_network(snap.network, self._features)
            return
        surface = self._plane.surface_for(snap)
        if surface is None:
            self._no_surface(snap.sizes)
        else:
            self._show_surface(snap.network, surface)

    def show_network(self, net: Network, features: Sequence[str] | None = None) -> None:
        """Evaluate net over the plane (one forward pass) and redraw the heatmap, the boundary
        and the accuracies. features: the extra inputs net takes (default: as last set)."""
        if features is not None and tuple(features) != self._features:
            self.set_features(features)
        n_in = 2 + len(self._features)
        if net.sizes[0] != n_in or net.sizes[-1] > 2:
            self._no_surface(net.sizes)
            return
        self._show_surface(net, evaluate_surface(net, self._extent, choose_resolution(net.sizes), self._features))

    def _no_surface(self, sizes) -> None:
        self._net = self._surface = None
        self._clear_surface()
        self._caption.setText(
            f"No decision surface: the plane gives {2 + len(self._features)} inputs and needs 1 or 2 "
            f"outputs; this network is {'-'.join(map(str, sizes))}."
        )

    def _show_surface(self, net: Network, surface: Surface) -> None:
        self._net, self._surface = net, surface
        self._update_levels(net, surface)
        self._image.setImage(surface.output, autoLevels=False, levels=self._levels)
        if surface.rect != self._rect:
            self._rect = surface.rect
            self._image.setRect(QRectF(*surface.rect))
        x, y = boundary_segments(surface.output, surface.level, surface.xs, surface.ys)
        self._boundary.setData(x, y)
        self._update_caption()

    def set_current_point(self, x1: float | None, x2: float | None = None) -> None:
        """Ring the current sample's point (None: no ring)."""
        if x1 is None:
            self._current.setData([], [])
        else:
            self._current.setData([float(x1)], [float(x2)])

    def current_point(self) -> tuple[float, float] | None:
        x, y = self._current.getData()
        return None if len(x) == 0 else (float(x[0]), float(y[0]))

    def reset(self) -> None:
        """Forget the network and what the mouse read from it (the points stay)."""
        self._net = self._surface = None
        self._clear_surface()
        self._update_caption()
        self._info.setText(self.DRAW_HINT if self.draw_mode() else self.HINT)

    def set_hint_visible(self, on: bool) -> None:
        """Show or leave out the hover line under the plane (out of exported pictures)."""
        self._hint_visible = bool(on)
        self._info.setVisible(self._hint_visible)

    def hint_visible(self) -> bool:
        return self._hint_visible

    def draw_mode(self) -> bool:
        return self._draw_button.isChecked()

    def set_draw_mode(self, on: bool) -> None:
        self._draw_button.setChecked(on)

    def draw_label(self) -> int:
        """The class a click adds in draw mode (0 or 1)."""
        return self._class_group.checkedId()

    def set_draw_label(self, label: int) -> None:
        self._class_buttons[int(label)].setChecked(True)

    def surface(self) -> Surface | None:
        """The Surface drawn last, or None."""
        return self._surface

    def image_array(self) -> np.ndarray | None:
        """The array the heatmap ImageItem holds: (res, res), row 0 at the bottom."""
        return self._image.image

    def boundary_points(self) -> tuple[np.ndarray, np.ndarray]:
        """x, y of the drawn boundary's segment ends (pairs), in plane coordinates."""
        x, y = self._boundary.getData()
        return (np.empty(0), np.empty(0)) if x is None else (x, y)

    def point_counts(self) -> dict[str, int]:
        """Points drawn per split: {"train": n, "test": n}."""
        return {split: sum(len(self._points[(split, k)].data) for k in (0, 1)) for split in ("train", "test")}

    def widget_pos(self, x1: float, x2: float) -> QPoint:
        """The plane point (x1, x2) in the coordinates of the graphics view's viewport (for clicks)."""
        return self._graphics.mapFromScene(self._view.mapViewToScene(QPointF(x1, x2)))

    def graphics_view(self) -> pg.GraphicsView:
        return self._graphics

    # -- drawing ----------------------------------------------------------------------------
    def _set_range(self) -> None:
        x_min, x_max, y_min, y_max = self._extent
        # No setLimits: with a locked aspect they would crop the plane in a non-square view.
        self._view.setRange(QRectF(x_min, y_min, x_max - x_min, y_max - y_min), padding=0)

    def _update_levels(self, net: Network, surface: Surface) -> None:
        span = colour_span(net, surface.level)
        if span is None:  # unbounded output: follow the data, redrawing only for real changes
            span = symmetric_limit(surface.output - surface.level)
            if self._levels is not None and sum(self._levels) == 2 * surface.level:
                old = 0.5 * (self._levels[1] - self._levels[0])
                if abs(span - old) <= LIMIT_TOLERANCE * old:
                    return
        levels = (surface.level - span, surface.level + span)
        if levels != self._levels:
            self._levels = levels
            self._colorbar.setLevels(levels)

    def _clear_surface(self) -> None:
        self._image.clear()
        self._boundary.setData([], [])

    def _update_inputs(self) -> None:
        self._inputs = {}
        if self._toy is not None:
            for split in ("train", "test"):
                self._inputs[split] = with_features(getattr(self._toy, f"x_{split}"), self._features)

    def _accuracy(self, split: str) -> float | None:
        x = self._inputs.get(split)
        if self._net is None or x is None or len(x) == 0 or x.shape[1] != self._net.sizes[0]:
            return None
        with np.errstate(over="ignore", invalid="ignore"):
            predicted = self._net.predict(x)
        return float(np.mean(predicted == getattr(self._toy, f"y_{split}")))

    def _update_caption(self) -> None:
        if self._net is None:
            if self._toy is None:
                self._caption.setText("No network yet.")
            else:
                toy = self._toy
                self._caption.setText(f"{toy.n_train} training and {toy.n_test} test points; no network yet.")
            return
        parts = []
        for split in ("train", "test"):
            accuracy = self._accuracy(split)
            if accuracy is not None:
                parts.append(f"{split} accuracy <b>{percent(accuracy)}</b>")
        self._caption.setText(" · ".join(parts) if parts else "No data points.")

    def _update_controls(self) -> None:
        on = self._draw_button.isChecked()
        for button in self._class_buttons:
            button.setEnabled(on)
        self._graphics.setCursor(Qt.CursorShape.CrossCursor if on else Qt.CursorShape.ArrowCursor)

    # -- mouse and keys ---------------------------------------------------------------------
    def _plane_point(self, scene_pos: QPointF) -> tuple[float, float] | None:
        """(x1, x2) under a scene position, or None outside the plane."""
        if not self._view.sceneBoundingRect().contains(scene_pos):
            return None
        p = self._view.mapSceneToView(scene_pos)
        x_min, x_max, y_min, y_max = self._extent
        if not (x_min <= p.x() <= x_max and y_min <= p.y() <= y_max):
            return None
        return p.x(), p.y()

    def _on_mouse_moved(self, scene_pos: QPointF) -> None:
        point = self._plane_point(scene_pos)
        if point is None:
            self._info.setText(self.DRAW_HINT if self.draw_mode() else self.HINT)
            return
        x1, x2 = point
        text = f"x₁ = {x1:+.2f}, x₂ = {x2:+.2f}"
        if self._net is not None and self._surface is not None:
            with np.errstate(over="ignore", invalid="ignore"):
                a = self._net.forward(with_features(np.array([[x1, x2]]), self._features))
            scores, level = decision_score(self._net, a)  # the rule the heatmap is drawn with
            score = float(scores[0])
            label = 1 if score > level else 0
            text += f": output {score:.3f} → class {label}"
        self._info.setText(text)

    def _on_mouse_clicked(self, event) -> None:
        if event.double():
            return
        if not self.draw_mode():
            point = self._plane_point(event.scenePos())
            if point is not None and event.button() == Qt.MouseButton.LeftButton:
                event.accept()
                self.point_chosen.emit(float(point[0]), float(point[1]))
            return
        if event.button() == Qt.MouseButton.LeftButton:
            label = self.draw_label()
        elif event.button() == Qt.MouseButton.RightButton:
            label = 1 - self.draw_label()
        else:
            return
        point = self._plane_point(event.scenePos())
        if point is None:
            return
        event.accept()
        split = "test" if event.modifiers() & Qt.KeyboardModifier.ShiftModifier else "train"
        self.point_added.emit(float(point[0]), float(point[1]), int(label), split)

    def _on_draw_mode_changed(self, on: bool) -> None:
        self._update_controls()
        self._info.setText(self.DRAW_HINT if on else self.HINT)

    def _on_class_key(self, label: int) -> None:
        if self.draw_mode():
            self.set_draw_label(label)
