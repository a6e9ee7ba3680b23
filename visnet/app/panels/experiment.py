"""The experiment's panels: its runs side by side, and what two of them learned.

ExperimentPanel: a results table (best test accuracy and the epoch it came at, the epoch
reached, training time, the final train - test accuracy gap) and the runs' curves overlaid
in colour-blind-safe colours (RUN_COLOURS): the mini-batch loss (a running mean, as the
exported figure draws it), the test accuracy per epoch, and the gradient size per layer.

MatchedWeightsPanel: the first-layer weight pictures of two runs, B's hidden neurons put in
A's order by core.matching (their order is arbitrary: each run learns its features in its
own order), and the difference B - A of each matched pair.

Both take the window's ExperimentSession and redraw from it; neither touches the window.
"""

from __future__ import annotations

import math
import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, Signal, Slot
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from visnet.app.colors import LEGEND_BACKING, sign_colours_text
from visnet.app.experiment_session import ExperimentSession
from visnet.app.panels.loss import add_fast_curve
from visnet.app.panels.representation_map import RepresentationMapPanel
from visnet.app.panels.weights import GAP, PICTURE_LUT, color_indices, mosaic_shape
from visnet.core.matching import LayerMatch, match_networks
from visnet.core.network import Network
from visnet.core.snapshot import Snapshot
from visnet.io.experiment_export import RUN_COLOURS, smoothed

COLUMNS = ("Run", "Status", "Best test accuracy", "Epoch", "Time", "Train − test gap")
LAYER_STYLES = (
    Qt.PenStyle.SolidLine,
    Qt.PenStyle.DashLine,
    Qt.PenStyle.DotLine,
    Qt.PenStyle.DashDotLine,
    Qt.PenStyle.DashDotDotLine,
)
LAYER_STYLE_NAMES = ("solid", "dashed", "dotted", "dash-dot", "dash-dot-dot")
GRADIENT_TITLE = "Gradient size per weight layer (RMS of ∂C/∂w)"
LAYER_KEY = "Gradient lines: layer " + ", ".join(f"{l + 1} {name}" for l, name in enumerate(LAYER_STYLE_NAMES))
REDRAW_INTERVAL_S = 0.25  # curves of a running experiment redraw at most 4 times a second
MATCH_INTERVAL_S = 1.0  # matching two live runs again at most once a second
EMPTY_TEXT = (
    "No experiment yet. Experiment ▸ choose one of the book's comparisons, or add the "
    "configuration as a variant (twice, with a setting changed) and press Start."
)


def colour(i: int) -> QColor:
    return QColor(RUN_COLOURS[i % len(RUN_COLOURS)])


def _swatch(i: int) -> QIcon:
    pixmap = QPixmap(12, 12)
    pixmap.fill(colour(i))
    return QIcon(pixmap)


def percent(value: float) -> str:
    return "—" if not math.isfinite(value) else f"{100 * value:.1f} %"


def picture_mosaic(w: np.ndarray, side: int, lim: float) -> np.ndarray:
    """Rows of w (n, side*side) as one mosaic of side x side tiles with GAP pixels between
    them: uint8 colour indices for PICTURE_LUT (0 in the gaps), as the weights panel draws."""
    n = len(w)
    rows, cols = mosaic_shape(n)
    step = side + GAP
    buffer = np.zeros((rows * step, cols * step), dtype=np.uint8)
    tiles = buffer.reshape(rows, step, cols, step)
    pictures = np.zeros((rows * cols, side * side), dtype=np.uint8)
    pictures[:n] = color_indices(w, lim)
    tiles[:, :side, :, :side] = pictures.reshape(rows, cols, side, side).transpose(0, 2, 1, 3)
    return buffer[: rows * step - GAP, : cols * step - GAP]


def grid_lines(n: int, side: int, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """x, y of line segments (pairs) through the gaps of picture_mosaic's tiles."""
    rows, cols = mosaic_shape(n)
    step = side + GAP
    xs = np.arange(1, cols) * step - GAP / 2
    ys = np.arange(1, rows) * step - GAP / 2
    x = np.concatenate([np.repeat(xs, 2), np.tile([0.0, width], len(ys))])
    y = np.concatenate([np.tile([0.0, height], len(xs)), np.repeat(ys, 2)])
    return x, y


class ExperimentPanel(QWidget):
    """The runs' results table and overlaid curves (see the module's docstring)."""

    show_run_requested = Signal(int)  # "show this run in the window": the run's index
    remove_run_requested = Signal(int)

    def __init__(self, experiment: ExperimentSession, parent: QWidget | None = None):
        super().__init__(parent)
        self._session = experiment
        self._drawn_at = 0.0
        self._loss_curves: list[pg.PlotDataItem] = []
        self._accuracy_curves: list[pg.PlotDataItem] = []
        self._grad_curves: list[list[pg.PlotDataItem]] = []

        self._title = QLabel(EMPTY_TEXT)
        self._title.setWordWrap(True)
        self._title.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self._buttons = QHBoxLayout()
        self._buttons.setContentsMargins(0, 0, 0, 0)
        self.show_button = QToolButton()
        self.show_button.setText("Show this run in the window")
        self.show_button.setToolTip(
            "Make the selected finished run the network every other panel shows (and train it further)"
        )
        self.show_button.clicked.connect(self._on_show_clicked)
        self.remove_button = QToolButton()
        self.remove_button.setText("Remove run")
        self.remove_button.setToolTip("Take the selected run out of the experiment (it keeps two runs at least)")
        self.remove_button.clicked.connect(self._on_remove_clicked)
        self._buttons.addStretch(1)
        self._buttons.addWidget(self.remove_button)
        self._buttons.addWidget(self.show_button)

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for c in range(1, len(COLUMNS)):
            header.setSectionResizeMode(c, QHeaderView.ResizeMode.ResizeToContents)
        self.table.setToolTip(
            "Best test accuracy (and the epoch it came at), the epochs trained, the training time, and the "
            "final training accuracy minus the test accuracy: a large gap is overfitting"
        )
        self.table.setMinimumHeight(90)
        rows_height = (
            self.table.horizontalHeader().sizeHint().height() + 4 * self.table.verticalHeader().defaultSectionSize()
        )
        self.table.setMaximumHeight(rows_height + 2 * self.table.frameWidth() + 2)  # four runs at most
        self.table.itemSelectionChanged.connect(self._sync_show_button)
        self.table.doubleClicked.connect(self._on_show_clicked)

        self._graphics = pg.GraphicsLayoutWidget()
        self._graphics.setMinimumHeight(260)
        self.loss_plot: pg.PlotItem = self._graphics.addPlot(row=0, col=0, title="Loss per mini-batch (running mean)")
        self.accuracy_plot: pg.PlotItem = self._graphics.addPlot(row=0, col=1, title="Test accuracy per epoch")
        self.gradient_plot: pg.PlotItem = self._graphics.addPlot(row=1, col=0, colspan=2, title=GRADIENT_TITLE)
        for plot, title in (
            (self.loss_plot, "Loss per mini-batch (running mean)"),
            (self.accuracy_plot, "Test accuracy per epoch"),
            (self.gradient_plot, GRADIENT_TITLE),
        ):
            plot.setTitle(title, size="10pt")
            plot.setLabel("bottom", "epoch")
            plot.showGrid(x=True, y=True, alpha=0.2)
            plot.setMenuEnabled(False)
        self.accuracy_plot.setYRange(0, 1)
        self.gradient_plot.setLogMode(y=True)
        self.loss_legend = self.loss_plot.addLegend(offset=(-5, 5), brush=LEGEND_BACKING, labelTextSize="8pt")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self._title)
        layout.addLayout(self._buttons)
        layout.addWidget(self.table)
        layout.addWidget(self._graphics, 1)
        # The line styles' key is a wrapping label, not a plot title: a title is as wide as
        # its text and would push the plots past the dock's edge on a laptop screen.
        self._layer_key = QLabel(LAYER_KEY)
        self._layer_key.setWordWrap(True)
        self._layer_key.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        layout.addWidget(self._layer_key)

        experiment.experiment_changed.connect(self._on_experiment_changed)
        experiment.run_changed.connect(self._on_run_changed)
        experiment.running_changed.connect(self._on_running_changed)
        self._on_experiment_changed()

    def add_actions(self, *actions) -> None:
        """Buttons for the window's experiment actions (start, stop, ...), before "Show"."""
        for k, action in enumerate(actions):
            button = QToolButton()
            button.setDefaultAction(action)
            self._buttons.insertWidget(k, button)

    # -- drawing --------------------------------------------------------------------------
    @Slot()
    def _on_experiment_changed(self) -> None:
        s = self._session
        experiment = s.experiment
        if experiment is None:
            self._title.setText(
                EMPTY_TEXT if s.pending_run is None else "One run so far: add another configuration to compare."
            )
        else:
            varied = ", ".join(experiment.varied) or "nothing (the same settings)"
            self._title.setText(f"<b>{experiment.description or experiment.name}</b> — varied: {varied}")
        for plot in (self.loss_plot, self.accuracy_plot, self.gradient_plot):
            plot.clear()
        self.loss_legend.clear()
        self._loss_curves, self._accuracy_curves, self._grad_curves = [], [], []
        labels = s.labels if experiment is not None else ()
        for i, label in enumerate(labels):
            pen = pg.mkPen(colour(i), width=2)
            self._loss_curves.append(add_fast_curve(self.loss_plot, pen=pen, name=label))
            self._accuracy_curves.append(
                self.accuracy_plot.plot(pen=pen, symbol="o", symbolSize=5, symbolBrush=colour(i), symbolPen=None)
            )
            n_layers = len(experiment.settings[i].layers) - 1
            self._grad_curves.append(
                [
                    self.gradient_plot.plot(
                        pen=pg.mkPen(colour(i), width=1.5, style=LAYER_STYLES[l % len(LAYER_STYLES)])
                    )
                    for l in range(n_layers)
                ]
            )
        self.table.setRowCount(len(s.labels))
        for i in range(len(s.labels)):
            self._fill_row(i)
            if experiment is not None:
                self._draw_run(i)
        if labels:
            self.table.selectRow(0)
        self._sync_show_button()

    @Slot(int)
    def _on_run_changed(self, i: int) -> None:
        if i >= self.table.rowCount():
            return
        self._fill_row(i)
        now = time.monotonic()
        finished = self._session.outcome(i) is not None
        if finished or not self._session.running or now - self._drawn_at >= REDRAW_INTERVAL_S:
            self._drawn_at = now
            for k in range(self._session.n_runs):
                self._draw_run(k)
        self._sync_show_button()

    @Slot(bool)
    def _on_running_changed(self, _running: bool) -> None:
        for k in range(self._session.n_runs):
            self._draw_run(k)
            self._fill_row(k)

    def _fill_row(self, i: int) -> None:
        s = self._session
        texts = list(self.row_texts(i))
        for c, text in enumerate(texts):
            item = self.table.item(i, c)
            if item is None:
                item = QTableWidgetItem()
                if c > 1:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(i, c, item)
            item.setText(text)
        self.table.item(i, 0).setIcon(_swatch(i))
        self.table.item(i, 1).setToolTip(s.failure(i) if s.experiment is not None else "")

    def row_texts(self, i: int) -> tuple[str, ...]:
        """The results table's row i, as shown: run, status, best test accuracy (epoch),
        epoch reached, time, gap. A finished run's come from its RunOutcome's result."""
        s = self._session
        if s.experiment is None:
            return (s.labels[i], "waiting", "", "", "", "")
        outcome = s.outcome(i)
        planned = s.experiment.settings[i].epochs
        if outcome is not None:
            r = outcome.result
            best = f"{percent(r.best_test_accuracy)} (epoch {r.best_epoch})" if r.best_epoch else "—"
            gap = "—" if not math.isfinite(r.gap) else f"{100 * r.gap:+.1f} pts"
            status = "finished" if not r.stopped else "diverged"
            return (s.labels[i], status, best, f"{r.epochs}/{planned}", f"{r.seconds:.1f} s", gap)
        curves = s.curves(i)
        accuracies = np.array(curves.test_accuracy, dtype=np.float64)
        if accuracies.size and np.isfinite(accuracies).any():
            k = int(np.nanargmax(accuracies))
            best = f"{percent(accuracies[k])} (epoch {curves.epoch[k]})"
        else:
            best = "—"
        status = s.status(i)
        if status == "failed":
            status = f"failed: {s.failure(i)}"
        return (s.labels[i], status, best, f"{len(curves.epoch)}/{planned}", f"{curves.seconds:.1f} s", "—")

    def _draw_run(self, i: int) -> None:
        if i >= len(self._loss_curves):
            return
        x, loss, epochs, accuracy, stats_x, grad_rms = self.curve_data(i)
        self._loss_curves[i].setData(x, loss)
        self._accuracy_curves[i].setData(epochs, accuracy)
        for l, curve in enumerate(self._grad_curves[i]):
            if len(stats_x) and l < grad_rms.shape[1]:
                y = grad_rms[:, l]
                ok = y > 0  # a log axis cannot show 0 (a batch with nothing to learn)
                curve.setData(stats_x[ok], y[ok])
            else:
                curve.setData([], [])

    def curve_data(self, i: int) -> tuple[np.ndarray, ...]:
        """What is drawn for run i: (batch x, smoothed batch loss, epochs, test accuracy,
        stats x, grad_rms (n, n_layers))."""
        c = self._session.curves(i)
        x = np.asarray(c.batch_x, dtype=np.float64)
        loss = smoothed(np.asarray(c.batch_loss, dtype=np.float64)) if len(c.batch_loss) else np.empty(0)
        return (
            x,
            loss,
            np.asarray(c.epoch, dtype=np.float64),
            np.asarray(c.test_accuracy, dtype=np.float64),
            np.asarray(c.stats_x, dtype=np.float64),
            c.grad_rms_array(),
        )

    def drawn_curves(self, i: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """The data of run i's plotted curves: "loss", "accuracy", "grad_rms <layer>"."""
        out = {
            "loss": self._loss_curves[i].getOriginalDataset(),
            "accuracy": self._accuracy_curves[i].getOriginalDataset(),
        }
        for l, curve in enumerate(self._grad_curves[i]):
            out[f"grad_rms {l}"] = curve.getOriginalDataset()
        return out

    # -- choosing a run ----------------------------------------------------------------------
    def selected_run(self) -> int | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        return rows[0].row() if rows else None

    @Slot()
    def _sync_show_button(self) -> None:
        i = self.selected_run()
        ok = i is not None and i < self._session.n_runs and self._session.outcome(i) is not None
        self.show_button.setEnabled(ok)
        s = self._session
        self.remove_button.setEnabled(i is not None and s.n_runs > 2 and not s.running)

    @Slot()
    def _on_show_clicked(self) -> None:
        i = self.selected_run()
        if i is not None and i < self._session.n_runs and self._session.outcome(i) is not None:
            self.show_run_requested.emit(i)

    @Slot()
    def _on_remove_clicked(self) -> None:
        i = self.selected_run()
        if i is not None and i < self._session.n_runs:
            self.remove_run_requested.emit(i)


class RunPair(QWidget):
    """Two run choosers, A and B, filled with an experiment's run labels (each with its colour)."""

    chosen = Signal()  # the user (or choose()) picked other runs

    def __init__(self, roles: tuple[str, str], parent: QWidget | None = None):
        super().__init__(parent)
        self.run_a, self.run_b = QComboBox(), QComboBox()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for combo, which, role in ((self.run_a, "A", roles[0]), (self.run_b, "B", roles[1])):
            combo.setToolTip(f"Run {which}: {role}")
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(8)
            combo.currentIndexChanged.connect(self.chosen)
            layout.addWidget(QLabel(which))
            layout.addWidget(combo, 1)

    def fill(self, labels: tuple[str, ...]) -> None:
        """Offer these runs; A is the first, B the second (or the first if there is one)."""
        for k, combo in enumerate((self.run_a, self.run_b)):
            combo.blockSignals(True)
            combo.clear()
            for i, label in enumerate(labels):
                combo.addItem(_swatch(i), label)
            combo.setCurrentIndex(min(k, len(labels) - 1))
            combo.blockSignals(False)

    def choose(self, a: int, b: int) -> None:
        for combo, i in ((self.run_a, a), (self.run_b, b)):
            combo.blockSignals(True)
            combo.setCurrentIndex(i)
            combo.blockSignals(False)
        self.chosen.emit()

    def runs(self) -> tuple[int, int]:
        return self.run_a.currentIndex(), self.run_b.currentIndex()


class MatchedWeightsPanel(QWidget):
    """Two runs' first-layer weight pictures, neurons matched, and their difference."""

    show_run_requested = Signal(int)

    def __init__(self, experiment: ExperimentSession, parent: QWidget | None = None):
        super().__init__(parent)
        self._session = experiment
        self._matched_at = 0.0
        self._match: LayerMatch | None = None
        self._shown: dict[str, np.ndarray] = {}

        self.pair = RunPair(("whose weights the top pictures show", "whose weights the middle pictures show"))
        self.pair.chosen.connect(self.redraw)
        self.show_button = QToolButton()
        self.show_button.setText("Show A in the window")
        self.show_button.setToolTip("Make run A (once finished) the network every other panel shows")
        self.show_button.clicked.connect(self._on_show_clicked)

        self._caption = QLabel()
        self._caption.setWordWrap(True)
        self._caption.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self._graphics = pg.GraphicsLayoutWidget()
        self._graphics.setMinimumSize(200, 240)
        self._images: dict[str, pg.ImageItem] = {}
        self._titles: dict[str, pg.LabelItem] = {}
        self._views: dict[str, pg.ViewBox] = {}
        self._grids: dict[str, pg.PlotCurveItem] = {}
        for row, name in enumerate(("a", "b", "difference")):
            title = self._graphics.addLabel("", row=2 * row, col=0, size="9pt")
            view = self._graphics.addViewBox(row=2 * row + 1, col=0, lockAspect=True, invertY=True, enableMouse=False)
            image = pg.ImageItem(axisOrder="row-major")
            view.addItem(image)
            # The gaps are traced with 1-screen-pixel lines, as in the weights panel: a mosaic
            # shrunk below its pixel size would keep some 1-pixel gaps and drop others.
            grid = pg.PlotCurveItem(
                pen=pg.mkPen(pg.getConfigOption("background"), width=1, cosmetic=True), connect="pairs", antialias=False
            )
            grid.setZValue(5)
            view.addItem(grid, ignoreBounds=True)
            self._images[name], self._titles[name], self._views[name] = image, title, view
            self._grids[name] = grid

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.pair)
        layout.addWidget(self._caption)
        layout.addWidget(self._graphics, 1)
        layout.addWidget(self.show_button)

        experiment.experiment_changed.connect(self._on_experiment_changed)
        experiment.run_changed.connect(self._on_run_changed)
        experiment.running_changed.connect(self._on_running_changed)
        self._on_experiment_changed()

    def choose_runs(self, a: int, b: int) -> None:
        self.pair.choose(a, b)

    def chosen_runs(self) -> tuple[int, int]:
        return self.pair.runs()

    @property
    def match(self) -> LayerMatch | None:
        """The first hidden layer's match drawn now (core.matching), or None."""
        return self._match

    def shown_weights(self) -> dict[str, np.ndarray]:
        """The weights drawn now, one row per tile in drawing order: "a" (A's neurons
        a_index), "b" (B's matched neurons b_index), "difference" (b - a)."""
        return dict(self._shown)

    @Slot()
    def _on_experiment_changed(self) -> None:
        self.pair.fill(self._session.labels if self._session.experiment is not None else ())
        self.redraw()

    @Slot(int)
    def _on_run_changed(self, i: int) -> None:
        if i not in self.chosen_runs():
            return
        finished = self._session.outcome(i) is not None
        if finished or time.monotonic() - self._matched_at >= MATCH_INTERVAL_S:
            self.redraw()

    @Slot(bool)
    def _on_running_changed(self, _running: bool) -> None:
        self.redraw()

    def redraw(self) -> None:
        self._matched_at = time.monotonic()
        a, b = self.chosen_runs()
        s = self._session
        self._match, self._shown = None, {}
        self.show_button.setEnabled(0 <= a < s.n_runs and s.outcome(a) is not None)
        params = (s.latest_parameters(a), s.latest_parameters(b)) if 0 <= a < s.n_runs and 0 <= b < s.n_runs else None
        if params is None or params[0] is None or params[1] is None:
            self._clear("Start the experiment: the weights of two runs show here, neurons matched.")
            return
        net_a, net_b = params
        n_in = np.shape(net_a.weights[0])[1]
        side = math.isqrt(n_in)
        if side * side != n_in:
            self._clear("Weight pictures need square image inputs (28x28 digits).")
            return
        if len(net_a.weights) < 2 or len(net_b.weights) < 2:
            self._clear("These runs have no hidden layer to match.")
            return
        match = match_networks(net_a, net_b)[0]
        w_a = np.asarray(net_a.weights[0], dtype=np.float64)[match.a_index]
        w_b = np.asarray(net_b.weights[0], dtype=np.float64)[match.b_index]
        self._match = match
        self._shown = {"a": w_a, "b": w_b, "difference": np.asarray(match.difference)}
        finite = np.concatenate([w_a.ravel(), w_b.ravel()])
        finite = finite[np.isfinite(finite)]
        lim = float(np.percentile(np.abs(finite), 99.5)) if finite.size else 1.0
        lim = lim if lim > 0 else 1.0
        label_a, label_b = s.labels[a], s.labels[b]
        titles = {
            "a": f"A: {label_a}",
            "b": f"B: {label_b}, its neurons matched to A's",
        }
        difference = np.abs(self._shown["difference"])
        difference = difference[np.isfinite(difference)]
        lim_difference = float(np.percentile(difference, 99.5)) if difference.size else 0.0
        lim_difference = lim_difference if lim_difference > 0 else lim
        titles["difference"] = f"B − A of each matched pair (its own scale, ±{lim_difference:.2g})"
        for name, w in self._shown.items():
            mosaic = picture_mosaic(w, side, lim_difference if name == "difference" else lim)
            self._images[name].setImage(mosaic, lut=PICTURE_LUT, levels=None, autoLevels=False)
            h, wd = mosaic.shape
            self._views[name].setRange(QRectF(0, 0, wd, h), padding=0.02)
            self._grids[name].setData(*grid_lines(len(w), side, wd, h))
            self._titles[name].setText(titles[name])
        sim = match.similarity
        moved = int(np.count_nonzero(match.a_index != match.b_index))
        self._caption.setText(
            sign_colours_text("{positive}: positive weight, {negative}: negative")
            + f" (±{lim:.2g}). Matched by weight similarity: mean cosine {float(np.mean(sim)):.2f}"
            + f" (lowest {float(np.min(sim)):.2f}); {moved} of B's {len(sim)} neurons moved."
        )

    def _clear(self, text: str) -> None:
        for name in self._images:
            self._images[name].clear()
            self._grids[name].setData([], [])
            self._titles[name].setText("")
        self._caption.setText(text)

    @Slot()
    def _on_show_clicked(self) -> None:
        a = self.pair.runs()[0]
        if 0 <= a < self._session.n_runs and self._session.outcome(a) is not None:
            self.show_run_requested.emit(a)


def run_moment(params: Snapshot | Network) -> Snapshot:
    """A run's newest parameters (ExperimentSession.latest_parameters) as a Snapshot, the form
    the map panel draws: a running run's snapshot as it is, a finished run's network wrapped."""
    if isinstance(params, Snapshot):
        return params
    return Snapshot(
        sizes=tuple(params.sizes),
        activations=tuple(params.activations),
        cost=params.cost,
        weights=tuple(params.weights),
        biases=tuple(params.biases),
        step=0,
        epochs_done=0,
        epoch_progress=0.0,
        batch_in_epoch=0,
        batches_per_epoch=0,
        samples_seen=0,
        eta=0.0,
        state="stopped",
    )


class RunMapsPanel(QWidget):
    """The same layer of two runs as representation maps, one above the other: how each run's
    layer sorts the test examples (a sigmoid stack whose gradients vanish keeps its classes
    mixed where ReLU's separate). Choosing a layer in either map chooses it in both."""

    def __init__(self, experiment: ExperimentSession, parent: QWidget | None = None):
        super().__init__(parent)
        self._session = experiment
        self._drawn_at = 0.0
        self.pair = RunPair(("whose layer the upper map shows", "whose layer the lower map shows"))
        self.pair.chosen.connect(self.redraw)
        self.maps = (RepresentationMapPanel(), RepresentationMapPanel())
        for this, other in (self.maps, self.maps[::-1]):
            this.map_drawn.connect(lambda this=this, other=other: self._same_layer(this, other))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.pair)
        for m in self.maps:
            layout.addWidget(m, 1)
        experiment.experiment_changed.connect(self._on_experiment_changed)
        experiment.run_changed.connect(self._on_run_changed)
        self._on_experiment_changed()

    def set_dataset(self, dataset) -> None:
        """Map the test split of the data set the runs train on (the window's)."""
        for m in self.maps:
            m.set_dataset(dataset.x_test, dataset.y_test, dataset.class_names, input_shape=dataset.input_shape)
        self.redraw()

    def choose_runs(self, a: int, b: int) -> None:
        self.pair.choose(a, b)

    def chosen_runs(self) -> tuple[int, int]:
        return self.pair.runs()

    def redraw(self) -> None:
        """Give each map its run's newest parameters (a map with no run yet shows none)."""
        self._drawn_at = time.monotonic()
        for m, i in zip(self.maps, self.chosen_runs()):
            params = self._session.latest_parameters(i) if 0 <= i < self._session.n_runs else None
            if params is None:
                m.reset()
                m.caption.setText("No parameters of this run yet: start the experiment.")
            else:
                m.show_snapshot(run_moment(params))

    def _same_layer(self, drawn: RepresentationMapPanel, other: RepresentationMapPanel) -> None:
        layer = drawn.layer()
        if other.shown_snapshot() is not None and other.layer() != layer and layer < other.layer_chooser.count():
            other.set_layer(layer)

    @Slot()
    def _on_experiment_changed(self) -> None:
        self.pair.fill(self._session.labels if self._session.experiment is not None else ())
        self.redraw()

    @Slot(int)
    def _on_run_changed(self, i: int) -> None:
        if i not in self.chosen_runs():
            return
        if self._session.outcome(i) is not None or time.monotonic() - self._drawn_at >= MATCH_INTERVAL_S:
            self.redraw()
