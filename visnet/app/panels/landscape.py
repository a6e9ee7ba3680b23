"""The cost landscape: the cost over a plane through the parameters as a heatmap with contour
lines, the path training took projected onto it and a marker for "now"; and 3Blue1Brown's
one-weight picture: the cost as the selected neuron's strongest weight varies, the tangent
there and the step gradient descent takes.

The grid (core.landscape.cost_grid) is computed off the GUI thread, on request, when the
moment shown leaves the grid, and while training runs at most every AUTO_S seconds after the
last one ended; it arrives coarse to fine, so the plane shows early and sharpens. Between
grids, each new moment is only projected onto the plane (a few dot products).

Orientation: row r of a CostGrid is at β = betas[r] and the plot's y axis points up, so
ImageItem.setRect(grid.rect) puts every cell where it belongs.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections import deque

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, QRectF, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from visnet.app.landscape_process import GridRequest, shared_grid_process
from visnet.app.panels.surface import boundary_segments
from visnet.app.session import Session
from visnet.app.stable import add_caption, status_label
from visnet.app.threads import LatestRun
from visnet.app.throttle import VisibleRefresh, on_screen
from visnet.core.landscape import (
    RANDOM_SPAN,
    CostGrid,
    Params,
    Projector,
    WeightSlice,
    choose_grid_size,
    evaluation_batch,
    path_directions,
    path_extent,
    random_directions,
    strongest_weight,
    weight_slice,
)
from visnet.core.landscape import cost_grid as compute_cost_grid
from visnet.core.snapshot import Snapshot
from visnet.core.timeline import as_moment
from visnet.core.training import net_cost

DIRECTIONS = {"path": "Path of training", "random": "Random directions"}  # the first is the default
VIEWS = ("plane", "weight")
AUTO_S = 4.0  # while training, a new grid at most this long after the last one ended
PATH_DRAWN = 400  # the newest moments drawn as the path
RECENT_BYTES = 32 * 2**20  # parameters of the live moments the path remembers beside the timeline's
RECENT_MOMENTS = 64  # and at most this many of them
PROJECT_S = 0.1  # while training, "now" is projected at most this often
CONTOURS = 10  # contour lines, at evenly spaced quantiles of the cost
WEIGHT_REFRESH_MS = 400  # the one-weight view while training
COLORMAP = "viridis"
NOW_COLOR = (255, 70, 70)
PATH_COLOR = (255, 255, 255)


class _GridWorker(QObject):
    """Computes the directions, the path's projections and the grid for one snapshot on its
    thread. The signals carry only the run id; results wait in attributes (see _AscentWorker
    in activation_maximizer.py on why no Python object crosses threads in a signal)."""

    progressed = Signal(int)
    done = Signal(int)
    finished = Signal()

    def __init__(self, run_id: int, snap: Snapshot, moments: list[Snapshot], mode: str, x, labels, n: int):
        super().__init__()
        self.run_id, self.snap, self.moments, self.mode = run_id, snap, moments, mode
        self.path: list[Params] = [(m.weights, m.biases) for m in moments]
        self.x, self.labels, self.n = x, labels, n
        self.stop_event = threading.Event()
        self.theta: Params = (snap.weights, snap.biases)
        self.d1: Params | None = None
        self.d2: Params | None = None
        self.explained: tuple[float, float] | None = None
        self.note = ""
        self.path_coords: np.ndarray | None = None
        self.grid: CostGrid | None = None
        self.done_points = 0
        self.seconds = 0.0
        self.origin_cost = float("nan")
        self.projector: Projector | None = None

    @Slot()
    def run(self) -> None:
        try:
            start = time.perf_counter()
            theta = self.theta
            minimum = RANDOM_SPAN
            if self.mode == "path":
                try:
                    dirs = path_directions(self.path, theta)
                    self.d1, self.d2, self.explained = dirs.d1, dirs.d2, dirs.explained
                except ValueError:
                    self.note = "no path yet"
            if self.d1 is None:
                self.d1, self.d2 = random_directions(theta, seed=0)
            self.projector = Projector(theta, self.d1, self.d2)
            coords = np.array([self.projector(p)[:2] for p in self.path]).reshape(-1, 2)
            self.path_coords = coords
            if self.explained is not None:
                minimum = 0.05 * max(float(np.abs(coords).max(initial=0.0)), 1e-3)
                extent = path_extent(coords, minimum)
            else:
                extent = (-minimum, minimum, -minimum, minimum)
            net = self.snap.network
            with np.errstate(all="ignore"):
                self.origin_cost = net_cost(net, net.forward(self.x), self.labels)
            alphas = np.linspace(extent[0], extent[1], self.n)
            betas = np.linspace(extent[2], extent[3], self.n)

            def take(done: int, costs: np.ndarray) -> None:
                self.grid, self.done_points = CostGrid(alphas, betas, costs), done
                self.progressed.emit(self.run_id)

            dtype = net.dtype
            request = GridRequest(
                self.snap.weights,
                self.snap.biases,
                self.snap.activations,
                self.snap.cost,
                *(tuple(tuple(np.asarray(a, dtype) for a in part) for part in d) for d in (self.d1, self.d2)),
                self.x,
                self.labels,
                extent,
                self.n,
            )
            try:
                result = shared_grid_process().compute(request, self.stop_event.is_set, take)
                if result is not None:
                    self.done_points, costs = result
                    self.grid = CostGrid(alphas, betas, costs)
            except OSError:  # no process: compute here (the window then draws more slowly)
                with np.errstate(all="ignore"):
                    self.grid = compute_cost_grid(
                        net, self.x, self.labels, self.d1, self.d2, extent, self.n,
                        should_stop=self.stop_event.is_set,
                    )  # fmt: skip
            self.seconds = time.perf_counter() - start
            if not self.stop_event.is_set() and self.grid is not None:
                self.done.emit(self.run_id)
        finally:
            self.finished.emit()


class LandscapePanel(QWidget):
    """The cost over a plane through the parameters of the moment shown, and along one weight.

    grid_size: points per side of the grid (default: core.landscape.choose_grid_size, 41 for
    small networks, fewer for wide ones).

    Public: show_snapshot / reset (the Panel protocol), set_view("plane" | "weight"),
    set_directions("random" | "path"), set_log_cost, recompute, and for tests and benchmarks
    grid(), now_position(), path_positions(), weight_view(), is_computing(), shutdown().
    """

    grid_computed = Signal()  # a whole grid has arrived
    _weight_slice_computed = Signal()  # (from the one-weight thread) a result is in _weight_result
    weight_view_changed = Signal()

    def __init__(self, parent: QWidget | None = None, *, session: Session | None = None, grid_size: int | None = None):
        super().__init__(parent)
        self._session = session
        self._grid_size = grid_size
        self._snap: Snapshot | None = None
        self._x: np.ndarray | None = None
        self._labels: np.ndarray | None = None
        # The plane of the grid shown: its origin θ, directions, and what it was computed for.
        self._theta: Params | None = None
        self._d1: Params | None = None
        self._d2: Params | None = None
        self._projector: Projector | None = None
        self._grid: CostGrid | None = None
        self._grid_mode = ""
        self._grid_step = -1
        self._plane_sizes: tuple[int, ...] = ()
        self._origin_cost = float("nan")
        self._explained: tuple[float, float] | None = None
        self._note = ""
        self._projected: dict[int, tuple[int, float, float]] = {}  # step -> (id(moment), α, β)
        self._now: tuple[float, float, float] | None = None
        self._projected_now: Snapshot | None = None  # the snapshot "now" was projected for
        self._shown_rect: tuple[float, float, float, float] | None = None
        self._projected_at = float("-inf")
        self._path = np.empty((0, 2))
        # The live moments "now" was projected for, newest last: the timeline records every
        # step only at first and then every 2 %, so a run watched in slow motion would show a
        # zig-zag across the valley (one step to each side) only as the aliased few recorded.
        self._recent: deque[Snapshot] = deque()
        self._slice: WeightSlice | None = None
        # The worker threads (ActivationMaximizer's scheme: a run id, a dict of live threads).
        self._grid_runs = LatestRun(self, on_progress=self._on_grid_progress, on_done=self._on_grid_done)
        self._ended_at = float("-inf")

        # -- the plane tab ------------------------------------------------------------------
        self._directions = QComboBox()
        for key, text in DIRECTIONS.items():
            self._directions.addItem(text, key)
        self._directions.setToolTip(
            "Random: two random directions, each neuron's part scaled to the length of its weights "
            "(Li et al. 2018).\nPath of training: the two directions along which the parameters "
            "moved most (principal components of the recorded moments)."
        )
        self._directions.currentIndexChanged.connect(self._on_directions_changed)
        self._log = QCheckBox("log cost")
        self._log.setToolTip("Colour by log₁₀ of the cost, to see the valley floor")
        self._log.toggled.connect(self._redraw_grid)
        self._recompute = QPushButton("Recompute")
        self._recompute.setToolTip("Compute the landscape again around the moment shown")
        self._recompute.clicked.connect(self.recompute)
        controls = QHBoxLayout()
        controls.setContentsMargins(0, 0, 0, 0)
        controls.addWidget(self._directions)
        controls.addWidget(self._log)
        controls.addStretch(1)
        controls.addWidget(self._recompute)

        self._graphics = pg.GraphicsLayoutWidget()
        self._graphics.setToolTip(
            "The cost at θ + α·d₁ + β·d₂ around the parameters θ of the moment shown, with contour "
            "lines.\nThe white line is the path training took (projected onto this plane), the red "
            "star is now."
        )
        self._caption = add_caption(self._graphics, "No network yet.", row=0, col=0, colspan=2, size="10pt")
        self._caption_variants: tuple[str, ...] | None = None
        self._plot: pg.PlotItem = self._graphics.addPlot(row=1, col=0)
        self._plot.setMenuEnabled(False)
        self._plot.hideButtons()
        self._plot.getAxis("left").setWidth(44)
        self._view: pg.ViewBox = self._plot.getViewBox()
        self._view.setMouseEnabled(False, False)
        colormap = pg.colormap.get(COLORMAP)
        self._image = pg.ImageItem(axisOrder="row-major")
        self._image.setColorMap(colormap)
        self._image.setZValue(-10)
        self._plot.addItem(self._image)
        self._colorbar = pg.ColorBarItem(values=(0.0, 1.0), colorMap=colormap, interactive=False, width=12)
        self._colorbar.setImageItem(self._image)
        self._colorbar.axis.enableAutoSIPrefix(False)  # "cost C (x0.001)" reads worse than 0.26
        self._graphics.addItem(self._colorbar, row=1, col=1)
        self._contours = pg.PlotCurveItem(pen=pg.mkPen(255, 255, 255, 110, width=1), connect="pairs")
        self._contours.setZValue(2)
        self._plot.addItem(self._contours, ignoreBounds=True)
        self._path_item = pg.PlotDataItem(
            # One pixel wide: antialiased, a 1.5-pixel pen took ~20 ms a paint to stroke a path
            # of 460 points against ~1 ms, and the plane repaints ~10 times a second in training.
            pen=pg.mkPen(*PATH_COLOR, 230, width=1),
            symbol="o",
            symbolSize=4,
            symbolPen=None,
            symbolBrush=pg.mkBrush(*PATH_COLOR, 220),
        )
        self._path_item.setZValue(5)
        self._plot.addItem(self._path_item, ignoreBounds=True)
        self._now_item = pg.ScatterPlotItem(
            size=16, symbol="star", pen=pg.mkPen(255, 255, 255, width=1.2), brush=pg.mkBrush(*NOW_COLOR), pxMode=True
        )
        self._now_item.setZValue(10)
        self._plot.addItem(self._now_item, ignoreBounds=True)
        self._status = status_label("")
        self._graphics.scene().sigMouseMoved.connect(self._on_mouse_moved)

        plane = QWidget()
        plane_layout = QVBoxLayout(plane)
        plane_layout.setContentsMargins(2, 2, 2, 2)
        plane_layout.addLayout(controls)
        plane_layout.addWidget(self._graphics, 1)
        plane_layout.addWidget(self._status)

        # -- the one-weight tab -------------------------------------------------------------
        self._weight_graphics = pg.GraphicsLayoutWidget()
        self._weight_graphics.setToolTip(
            "The cost as one weight varies, all the others fixed: its slope at the weight's value "
            "is ∂C/∂w,\nand gradient descent moves the weight by −η·∂C/∂w (the arrow)."
        )
        self._weight_caption = add_caption(self._weight_graphics, "", row=0, col=0, size="10pt")
        self._weight_plot: pg.PlotItem = self._weight_graphics.addPlot(row=1, col=0)
        self._weight_plot.setMenuEnabled(False)
        self._weight_plot.hideButtons()
        self._weight_plot.setLabel("left", "cost C")
        self._weight_plot.getAxis("left").setWidth(50)
        self._weight_plot.getAxis("left").enableAutoSIPrefix(False)
        self._weight_plot.getViewBox().setMouseEnabled(False, False)
        self._curve = pg.PlotCurveItem(pen=pg.mkPen(60, 150, 230, width=2.5), antialias=True)
        self._tangent = pg.PlotCurveItem(pen=pg.mkPen(240, 170, 40, width=2, style=Qt.PenStyle.DashLine))
        self._point = pg.ScatterPlotItem(size=12, brush=pg.mkBrush(*NOW_COLOR), pen=pg.mkPen("w", width=1.2))
        self._step_line = pg.PlotCurveItem(pen=pg.mkPen(*NOW_COLOR, width=2.5))
        self._step_head = pg.ArrowItem(headLen=14, tipAngle=35, brush=pg.mkBrush(*NOW_COLOR), pen=None)
        for item in (self._curve, self._tangent, self._step_line, self._point, self._step_head):
            self._weight_plot.addItem(item)
        self._tangent.setZValue(1)
        self._point.setZValue(3)
        self._step_head.setZValue(4)
        weight = QWidget()
        weight_layout = QVBoxLayout(weight)
        weight_layout.setContentsMargins(2, 2, 2, 2)
        weight_layout.addWidget(self._weight_graphics, 1)

        self._tabs = QTabWidget()
        self._tabs.setDocumentMode(True)
        self._tabs.addTab(plane, "Plane of two directions")
        self._tabs.addTab(weight, "One weight")
        self._tabs.setTabToolTip(0, "The cost over a plane through the parameters")
        self._tabs.setTabToolTip(1, "The cost as the selected neuron's strongest weight varies")
        self._tabs.currentChanged.connect(self._on_tab_changed)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._tabs)
        self.setMinimumSize(300, 280)

        self._weight_refresh = VisibleRefresh(weight, self._refresh_weight_view, WEIGHT_REFRESH_MS)
        self._weight_lock = threading.Lock()  # guards the wish and the result of the one-weight thread
        self._weight_wanted = None  # (snapshot, layer, j, x, labels) to compute next
        self._weight_result: tuple[WeightSlice | None, str] | None = None
        self._weight_busy = False
        self._weight_slice_computed.connect(self._on_weight_slice_computed)
        self._update_caption()
        if session is not None:
            session.dataset_changed.connect(self._on_session_dataset_changed)
            session.network_replaced.connect(self.reset)
            session.neuron_changed.connect(self._on_neuron_changed)
            self._on_session_dataset_changed()
            if session.snapshot is not None:
                self.show_snapshot(session.snapshot)

    # -- public -------------------------------------------------------------------------------
    def set_evaluation_data(self, x: np.ndarray, labels: np.ndarray) -> None:
        """Evaluate the cost on the first EVALUATION_SIZE of (x, labels) from now on."""
        self._x, self._labels = evaluation_batch(np.asarray(x), np.asarray(labels))
        self._clear_plane()

    def show_snapshot(self, snap: Snapshot) -> None:
        """Show the moment `snap`: project it (and the path up to it) onto the plane, and
        compute a new grid if it calls for one."""
        self._snap = snap
        self._reproject()
        self._maybe_recompute()
        self._update_caption()
        self._weight_refresh.request_for(snap)

    def reset(self) -> None:
        """A different network: cancel the computation and forget the plane."""
        self.cancel()
        self._snap = None
        self._slice = None
        self._recent.clear()
        self._clear_plane()
        self._clear_weight_view()
        self._update_caption()

    def set_view(self, view: str) -> None:
        """Show the plane ("plane") or the one-weight view ("weight")."""
        self._tabs.setCurrentIndex(VIEWS.index(view))

    def view(self) -> str:
        return VIEWS[self._tabs.currentIndex()]

    def set_directions(self, mode: str) -> None:
        """Span the plane by "random" (filter-normalised) directions or the "path"'s main ones."""
        self._directions.setCurrentIndex(list(DIRECTIONS).index(mode))

    def directions(self) -> str:
        return self._directions.currentData()

    def set_log_cost(self, on: bool) -> None:
        self._log.setChecked(on)

    def recompute(self) -> None:
        """Compute the grid again around the moment shown (cancelling one in progress)."""
        if self._snap is None or self._x is None or self._snap.sizes[0] != self._x.shape[1]:
            return
        snap = self._snap
        n = self._grid_size or choose_grid_size(snap.sizes, len(self._x))
        moments, mode, x, labels = self._path_moments(snap), self.directions(), self._x, self._labels
        self._grid_runs.launch(
            lambda run_id: _GridWorker(run_id, snap, moments, mode, x, labels, n), "visnet cost landscape"
        )
        self._status.setText("Computing the landscape…")

    def cancel(self) -> None:
        self._grid_runs.cancel()

    def is_computing(self) -> bool:
        return self._grid_runs.is_running()

    def shutdown(self, timeout_ms: int = 3000) -> bool:
        """Cancel and join every thread (call on close); True if all ended in time."""
        self._weight_refresh.cancel()
        return self._grid_runs.shutdown(timeout_ms)

    def grid(self) -> CostGrid | None:
        """The grid shown (whole), or None."""
        return self._grid

    def plane(self) -> tuple[Params, Params, Params] | None:
        """(θ, d₁, d₂) of the plane shown, or None."""
        return None if self._grid is None else (self._theta, self._d1, self._d2)

    def now_position(self) -> tuple[float, float] | None:
        """(α, β) where the "now" marker is drawn, or None."""
        x, y = self._now_item.getData()
        return None if x is None or len(x) == 0 else (float(x[0]), float(y[0]))

    def path_positions(self) -> np.ndarray:
        """(k, 2) the path's points as drawn."""
        x, y = self._path_item.getData()
        return np.empty((0, 2)) if x is None else np.column_stack([x, y])

    def image_array(self) -> np.ndarray | None:
        return self._image.image

    def weight_view(self) -> WeightSlice | None:
        """The one-weight slice drawn, or None."""
        return self._slice

    def caption_text(self) -> str:
        return self._caption.text

    # -- the session --------------------------------------------------------------------------
    def _on_session_dataset_changed(self) -> None:
        d = self._session.dataset
        if d is None:
            return
        if d.n_test:
            self.set_evaluation_data(d.x_test, d.y_test)
        else:
            self.set_evaluation_data(d.x_train, d.y_train)

    def _on_neuron_changed(self) -> None:
        self._weight_refresh.request(running=False)

    # -- the grid -----------------------------------------------------------------------------
    def _path_moments(self, snap: Snapshot) -> list[Snapshot]:
        """The moments of the run up to snap, the timeline's and the recent live ones, in
        order of step (the newest PATH_DRAWN)."""
        if self._session is None:
            return []
        by_step = {m.step: m for m in self._session.timeline if m.step <= snap.step and m.sizes == snap.sizes}
        by_step.update((m.step, m) for m in self._recent if m.step <= snap.step and m.sizes == snap.sizes)
        return [by_step[step] for step in sorted(by_step)[-PATH_DRAWN:]]

    def _remember(self, snap: Snapshot) -> Snapshot:
        """Keep snap, a live moment just projected, for the path (see _recent), without its
        payload (the moments it carries for the timeline, which may drop them); returns what
        is kept."""
        snap = as_moment(snap)
        # A moment let go takes its projection along: a later moment of the same step (after a
        # rollback) may be given the freed one's id, and the cache checks the id.
        while self._recent and self._recent[-1].step >= snap.step:  # training went back (a rollback, a branch)
            self._projected.pop(self._recent.pop().step, None)
        self._recent.append(snap)
        size = sum(a.nbytes for a in (*snap.weights, *snap.biases))
        while len(self._recent) > max(1, min(RECENT_MOMENTS, RECENT_BYTES // max(size, 1))):
            self._projected.pop(self._recent.popleft().step, None)
        return snap

    def _maybe_recompute(self) -> None:
        snap = self._snap
        if snap is None or self._grid_runs.is_running() or not on_screen(self):
            return
        if self._grid is None or self._grid_mode != self.directions():
            self.recompute()
            return
        now = self._now
        if now is not None and np.isfinite(now[:2]).all() and not self._grid.contains(now[0], now[1]):
            self.recompute()
            return
        if snap.step == self._grid_step:
            return
        if snap.state != "running":
            looking_back = self._session is not None and self._session.looking_back
            if not looking_back:
                self.recompute()  # a pause or a step: the landscape of where training stands
        elif time.monotonic() - self._ended_at >= AUTO_S:
            self.recompute()

    def showEvent(self, event) -> None:  # noqa: N802 (Qt name)
        super().showEvent(event)
        if self._snap is not None and self._grid is None:
            self._maybe_recompute()

    def _on_grid_progress(self, worker: _GridWorker) -> None:
        if worker.grid is None:
            return
        self._take_plane(worker, partial=True)
        self._status.setText(f"Computing the landscape… {worker.done_points}/{worker.grid.costs.size} points")

    def _on_grid_done(self, worker: _GridWorker) -> None:
        self._ended_at = time.monotonic()
        self._take_plane(worker, partial=False)
        n = worker.grid.costs.shape[0]
        self._status.setText(
            f"{n}×{n} grid on {len(self._x):,} examples in {worker.seconds:.1f} s (step {worker.snap.step:,})"
        )
        self.grid_computed.emit()
        self._maybe_recompute()  # the moment shown may have moved on while this grid was computed

    def _take_plane(self, worker: _GridWorker, partial: bool) -> None:
        self._grid = CostGrid(worker.grid.alphas, worker.grid.betas, worker.grid.costs.copy())
        if worker.projector is self._projector:
            # More of the same plane's grid: the path and "now" stand as drawn; projecting
            # them again cost the window up to a projection per moment shown since the request.
            self._redraw_grid()
            return
        self._theta, self._d1, self._d2 = worker.theta, worker.d1, worker.d2
        self._projector = worker.projector
        self._grid_mode, self._grid_step = worker.mode, worker.snap.step
        self._plane_sizes, self._origin_cost = worker.snap.sizes, worker.origin_cost
        self._explained, self._note = worker.explained, worker.note
        # The worker projected the path already: for 784-512-512-10 that is ~10 ms a moment.
        self._projected = {m.step: (id(m), a, b) for m, (a, b) in zip(worker.moments, worker.path_coords)}
        self._projected_now, self._projected_at = None, float("-inf")
        for side, k in (("bottom", 0), ("left", 1)):
            label = self._axis_label(k)
            if self._plot.getAxis(side).labelText != label:  # a new label lays the plot out again
                self._plot.setLabel(side, label)
        self._redraw_grid()
        self._reproject()
        self._update_caption()

    def _axis_label(self, k: int) -> str:
        name = ("α", "β")[k]
        if self._explained is None:
            return f"{name} (random direction d{k + 1})"
        return f"{name} (path direction {k + 1}, {100 * self._explained[k]:.0f}%)"

    @Slot()
    def _redraw_grid(self) -> None:
        grid = self._grid
        if grid is None:
            return
        shown = _filled(grid.costs)
        if self._log.isChecked():
            with np.errstate(divide="ignore", invalid="ignore"):
                shown = np.log10(np.maximum(shown, 1e-12))
        finite = shown[np.isfinite(shown)]
        if finite.size == 0:
            self._image.clear()
            self._contours.setData([], [])
            return
        low, high = np.percentile(finite, [0.0, 98.0])
        if high <= low:
            high = low + 1e-9
        display = np.where(np.isfinite(shown), shown, high)
        self._image.setImage(display.astype(np.float32), autoLevels=False, levels=(low, high))
        self._colorbar.setLevels((low, high))
        label = "log₁₀ C" if self._log.isChecked() else "cost C"
        if self._colorbar.axis.labelText != label:
            self._colorbar.axis.setLabel(label)
        rect = grid.rect
        self._image.setRect(QRectF(*rect))
        levels = np.quantile(finite, np.linspace(0.04, 0.9, CONTOURS))
        xs, ys = [], []
        for level in np.unique(levels):
            x, y = boundary_segments(display, float(level), grid.alphas, grid.betas)
            xs.append(x)
            ys.append(y)
        self._contours.setData(np.concatenate(xs), np.concatenate(ys))
        if rect != self._shown_rect:
            self._shown_rect = rect
            self._view.setRange(QRectF(*rect), padding=0)

    def _reproject(self) -> None:
        """Project the path up to the moment shown, and the moment itself, onto the plane."""
        snap = self._snap
        if snap is None or self._grid is None:
            self._path_item.setData([], [])
            self._now_item.setData([], [])
            self._now = None
            return
        if snap.sizes != self._plane_sizes:
            self._now = None
            self._now_item.setData([], [])
            return
        if snap is self._projected_now:
            return
        now = time.monotonic()
        if snap.state == "running" and now - self._projected_at < PROJECT_S:
            return  # while training, the marker moves PROJECT_S apart (a wide network's projection takes ms)
        self._projected_now, self._projected_at = snap, now
        points = []
        if self._session is not None:
            for m in self._path_moments(snap):
                known = self._projected.get(m.step)
                if known is None or known[0] != id(m):
                    a, b, _ = self._projector((m.weights, m.biases))
                    known = self._projected[m.step] = (id(m), a, b)
                points.append(known[1:])
        self._now = self._projector((snap.weights, snap.biases))
        if self._session is not None and not self._session.looking_back:
            kept = self._remember(snap)
            self._projected[snap.step] = (id(kept), *self._now[:2])
        if not points or points[-1] != self._now[:2]:
            points.append(self._now[:2])
        self._path = np.array(points, dtype=np.float64).reshape(-1, 2)
        self._path_item.setData(self._path[:, 0], self._path[:, 1])
        self._now_item.setData([self._now[0]], [self._now[1]])

    def _clear_plane(self) -> None:
        self.cancel()
        self._grid = self._theta = self._d1 = self._d2 = self._projector = None
        self._projected = {}
        self._projected_now = None
        self._now = None
        self._image.clear()
        self._contours.setData([], [])
        self._path_item.setData([], [])
        self._now_item.setData([], [])
        self._status.setText("")

    def _update_caption(self) -> None:
        if self._snap is None or self._grid is None:
            text = (
                "No network yet." if self._snap is None else "The cost landscape around the moment shown appears here."
            )
            if (text,) != self._caption_variants:  # every frame until the first grid arrives
                self._caption_variants = (text,)
                self._caption.setText(text)
            return
        n = len(self._x) if self._x is not None else 0
        kind = "random directions" if self._explained is None else "the path's main directions"
        now = ""
        if self._now is not None:
            cost = self._snap_cost()
            now = f" · now: C = {cost:.3f}" if cost is not None else ""
            if self._now[2] > 1e-6 * max(1.0, abs(self._now[0]) + abs(self._now[1])):
                now += f", {self._now[2]:.2g} off the plane"
        note = f" ({self._note})" if self._note else ""
        variants = (
            f"Cost on {n:,} test examples over θ + α·d₁ + β·d₂, {kind}{note}{now}",
            f"Cost over θ + α·d₁ + β·d₂, {kind}{note}{now}",
            f"Cost over θ + α·d₁ + β·d₂, {kind}{now}",
            f"Cost, {kind}{now}",
        )
        if variants != self._caption_variants:  # called every frame: choosing a variant measures text
            self._caption_variants = variants
            self._caption.set_text_variants(variants)

    def _snap_cost(self) -> float | None:
        """The cost of the moment shown when it is the plane's origin (computed with the grid)."""
        if self._snap is None or self._snap.step != self._grid_step or np.isnan(self._origin_cost):
            return None
        return self._origin_cost

    def _on_mouse_moved(self, scene_pos) -> None:
        grid = self._grid
        if grid is None or not self._view.sceneBoundingRect().contains(scene_pos):
            return
        p = self._view.mapSceneToView(scene_pos)
        c = int(np.argmin(np.abs(grid.alphas - p.x())))
        r = int(np.argmin(np.abs(grid.betas - p.y())))
        if grid.contains(p.x(), p.y()) and not np.isnan(grid.costs[r, c]):
            self._status.setText(f"α = {grid.alphas[c]:+.3f}, β = {grid.betas[r]:+.3f}: C = {grid.costs[r, c]:.4f}")

    @Slot(int)
    def _on_directions_changed(self, _index: int) -> None:
        if self._snap is not None:
            self.recompute()

    # -- the one-weight view ------------------------------------------------------------------
    def _on_tab_changed(self, index: int) -> None:
        if VIEWS[index] == "weight":
            self._weight_refresh.request(running=False)
        elif self._grid is None:
            self._maybe_recompute()

    def _refresh_weight_view(self) -> None:
        snap = self._snap
        if snap is None or self._x is None or snap.sizes[0] != self._x.shape[1]:
            self._clear_weight_view()
            return
        layer, j = (self._session.neuron if self._session is not None else None) or (0, 0)
        if layer >= len(snap.weights) or j >= snap.sizes[layer + 1]:
            layer, j = 0, 0
        with self._weight_lock:
            self._weight_wanted = (snap, layer, j, self._x, self._labels)
            if self._weight_busy:
                return  # the running thread picks up the newest wish when it is done
            self._weight_busy = True
        # Off the GUI thread: 81 forward passes of 1,000 examples above the weight's layer take
        # ~1 s for 784-512-512-10. The thread holds only a weak reference (split_activations.py).
        threading.Thread(
            target=_compute_weight_slices, args=(weakref.ref(self),), name="visnet one weight", daemon=True
        ).start()

    @Slot()
    def _on_weight_slice_computed(self) -> None:
        with self._weight_lock:
            result, self._weight_result = self._weight_result, None
        if result is None:
            return
        s, error = result
        if s is None or self._snap is None:
            self._clear_weight_view()
            self._weight_caption.setText(error)
            return
        layer, j, i = s.layer, s.j, s.i
        self._slice = s
        self._curve.setData(s.ws, s.costs)
        self._point.setData([s.w], [s.cost])
        half = 0.35 * (s.ws[-1] - s.ws[0])
        tx = np.array([s.w - half, s.w + half])
        self._tangent.setData(tx, s.cost + s.slope * (tx - s.w))
        end = (s.w + s.step, s.cost + s.slope * s.step)
        self._step_line.setData([s.w, end[0]], [s.cost, end[1]])
        self._step_head.setPos(*end)
        self._step_head.setStyle(angle=180 if s.step >= 0 else 0)
        self._step_head.setVisible(s.step != 0)
        finite = s.costs[np.isfinite(s.costs)]
        if finite.size:
            low, high = float(finite.min()), float(finite.max())
            pad = 0.08 * max(high - low, 1e-6)
            self._weight_plot.getViewBox().setRange(
                xRange=(s.ws[0], s.ws[-1]), yRange=(low - pad, high + pad), padding=0
            )
        where = f"layer {layer + 1}" if layer else "the first hidden layer"
        label = f"w = weight {i} into neuron {j} of {where}"
        if self._weight_plot.getAxis("bottom").labelText != label:  # a new label lays the plot out again
            self._weight_plot.setLabel("bottom", label)
        unseen = abs(s.step) < 0.01 * (s.ws[-1] - s.ws[0])
        self._weight_caption.set_text_variants(
            [
                f"w = {s.w:+.3f} · slope ∂C/∂w = {s.slope:+.3g} · step −η·∂C/∂w = {s.step:+.3g} (η = {s.eta:g})"
                + (", too small to see here" if unseen else ""),
                f"w = {s.w:+.3f} · slope ∂C/∂w = {s.slope:+.3g} · step −η·∂C/∂w = {s.step:+.3g} (η = {s.eta:g})",
                f"w = {s.w:+.3f} · ∂C/∂w = {s.slope:+.3g} · step = {s.step:+.3g}",
                f"∂C/∂w = {s.slope:+.2g} · step = {s.step:+.2g}",
            ]
        )
        self.weight_view_changed.emit()

    def is_weight_view_computing(self) -> bool:
        return self._weight_busy

    def _clear_weight_view(self) -> None:
        self._slice = None
        for item in (self._curve, self._tangent, self._step_line, self._point):
            item.setData([], [])
        self._step_head.setVisible(False)
        self._weight_caption.setText("")


def _filled(costs: np.ndarray) -> np.ndarray:
    """A partial coarse-to-fine grid (NaN where not computed yet) with every unknown cell
    taking the value of the finest complete coarser grid's point nearest below-left of it;
    a complete grid is returned as it is."""
    known = ~np.isnan(costs)
    if known.all() or not known.any():
        return costs
    n = costs.shape[0]
    stride = 1
    while stride * 2 < n:
        stride *= 2
    best = None
    while stride >= 1:
        if known[::stride, ::stride].all():
            best = stride
        stride //= 2
    if best is None:
        return costs
    coarse = costs[::best, ::best]
    up = np.repeat(np.repeat(coarse, best, axis=0), best, axis=1)[:n, :n]
    return np.where(known, costs, up)


def _compute_weight_slices(panel_ref) -> None:
    """Body of the one-weight thread: compute the newest wish until none is left."""
    while True:
        panel = panel_ref()
        if panel is None:
            return
        with panel._weight_lock:
            wanted, panel._weight_wanted = panel._weight_wanted, None
            if wanted is None:
                panel._weight_busy = False
                return
        del panel  # no strong reference while computing
        snap, layer, j, x, labels = wanted
        net = snap.network
        try:
            with np.errstate(all="ignore"):
                result = weight_slice(net, x, labels, layer, j, strongest_weight(net, layer, j), eta=snap.eta), ""
        except ValueError as e:  # a step output has no slope
            result = None, str(e)
        panel = panel_ref()
        if panel is None:
            return
        with panel._weight_lock:
            panel._weight_result = result
        try:
            panel._weight_slice_computed.emit()
        except RuntimeError:  # the panel was deleted meanwhile
            return
        del panel
