"""How hard each layer is learning: the size of its gradient and of its updates over time.

Vanishing gradients show up as a first layer whose line sits decades below the last
one; a learning rate that is too large or too small shows up in the update/weight ratio
(about 1e-3 is the usual rule of thumb).

The perceptron rule uses no gradients: for a step output the top plot shows the size of
the direction its update steps along, Σ (ŷ − y) x per weight (the snapshot's layer_stats
carry it in place of ∂C/∂W), which is exactly 0 for a batch with no mistakes."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QVBoxLayout, QWidget

from visnet.app.colors import LEGEND_BACKING, MUTED, layer_color, layer_name
from visnet.app.panels.loss import RangeFollower, add_fast_curve, cursor_line
from visnet.app.stable import status_label
from visnet.app.throttle import Throttle
from visnet.core.history import BoundedSeries, TrainingHistory
from visnet.core.snapshot import Snapshot
from visnet.core.training import LayerStats

RULE_OF_THUMB = 1e-3  # update/weight ratio that usually means a well-chosen learning rate
PERCEPTRON_NOTE = (
    "The perceptron rule uses no gradients (a step's slope is 0). Top: its update direction "
    "(ŷ − y)·x, RMS per weight; no dot where a batch had no mistakes (0)."
)
CURVE_INTERVAL_S = 0.25  # curves redraw at most 4 times a second


class GradientPanel(QWidget):
    """Per layer: RMS of ∂C/∂W per weight, and ‖ΔW‖/‖W‖ of the last update, on log axes."""

    draws_hidden = True  # every snapshot's losses and layer statistics belong to the curves

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._sizes: tuple[int, ...] | None = None
        self._perceptron = False  # a step output: the top plot is the perceptron rule's update direction
        # Columns: grad_rms per layer, then update_ratio per layer. Bounded: the newest points
        # as they came, older ones merged into means (BoundedSeries), so days of snapshots fit.
        self._series: BoundedSeries | None = None
        self._grad_curves: list[pg.PlotDataItem] = []
        self._ratio_curves: list[pg.PlotDataItem] = []
        self._last_step = -1

        self._summary = status_label("No training yet.")
        self._summary.setWordWrap(True)
        self._graphics = pg.GraphicsLayoutWidget()
        self._graphics.setToolTip(
            "Top: typical size of the gradient ∂C/∂w of one weight in each layer.\n"
            "Bottom: how much the last step changed each layer's weights, relative to their size."
        )
        self._grad_plot: pg.PlotItem = self._graphics.addPlot(row=0, col=0)
        self._grad_plot.setLabel("left", "RMS ∂C/∂w")
        self._grad_plot.hideAxis("bottom")
        self._ratio_plot: pg.PlotItem = self._graphics.addPlot(row=1, col=0)
        self._ratio_plot.setLabel("left", "‖ΔW‖ / ‖W‖")
        self._ratio_plot.setLabel("bottom", "epoch")
        self._ratio_plot.setXLink(self._grad_plot)
        for plot in (self._grad_plot, self._ratio_plot):
            plot.setLogMode(y=True)
            plot.getAxis("left").setWidth(60)
            plot.getAxis("left").enableAutoSIPrefix(False)  # "(x0.001)" on a log axis misleads
            plot.getAxis("bottom").enableAutoSIPrefix(False)  # epochs, never "epoch (x0.001)"
            # Decades only: pyqtgraph's own log ticks label 2..9 too, which overlapped.
            plot.getAxis("left").setTicks([[(float(k), f"{10.0**k:g}") for k in range(-12, 4)]])
            plot.setDownsampling(auto=True, mode="peak")
            plot.setClipToView(True)
        self._legend = self._grad_plot.addLegend(offset=(10, 2), labelTextSize="8pt", colCount=3, brush=LEGEND_BACKING)
        # InfiniteLine has no log mode: its position is in view coordinates, log10 here.
        self._reference = pg.InfiniteLine(
            pos=math.log10(RULE_OF_THUMB),
            angle=0,
            pen=pg.mkPen(MUTED, width=1, style=Qt.PenStyle.DashLine),
            label="1e-3: rule of thumb",
            labelOpts={"position": 0.98, "color": MUTED, "anchors": [(1, 0), (1, 0)], "fill": (0, 0, 0, 170)},
        )
        self._reference.setZValue(20)  # its label above the curves, where it can be read
        self._reference.label.setZValue(21)
        self._ratio_plot.addItem(self._reference, ignoreBounds=True)
        self._follower = RangeFollower((self._grad_plot, self._grad_bounds), (self._ratio_plot, self._ratio_bounds))
        self._cursors = [cursor_line(plot) for plot in (self._grad_plot, self._ratio_plot)]  # the moment looked back at
        self._redraw_throttle = Throttle(self._redraw, CURVE_INTERVAL_S, self)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self._summary)
        layout.addWidget(self._graphics, 1)

    # -- public API -------------------------------------------------------------------------
    def show_snapshot(self, snap: Snapshot) -> None:
        """Add one point per layer from snap.layer_stats (once per step)."""
        perceptron = snap.activations[-1] == "step"
        if snap.sizes != self._sizes or perceptron != self._perceptron:
            self._perceptron = perceptron
            self._build(snap.sizes)
        elif snap.step < self._last_step:  # training went back (a divergence undone): so do the curves
            self._series.truncate_after(snap.epoch_progress)
            self._last_step = snap.step
            self._redraw_throttle.request()
        stats = snap.layer_stats
        if snap.step > self._last_step and stats is not None:
            self._last_step = snap.step
            values = np.concatenate([stats.grad_rms, stats.update_ratio]).astype(np.float64)
            values[~(values > 0)] = np.nan  # zero (e.g. a dead layer) has no logarithm: a gap
            self._series.append([snap.epoch_progress], values[None, :])
            self._redraw_throttle.request()
            if self.cursor_x is None:  # looking back, the summary stays with the moment
                self._summary.setText(self._summary_text(stats))
        elif self._perceptron and stats is None:
            self._summary.setText(PERCEPTRON_NOTE)

    def show_history(self, history: TrainingHistory, sizes: Sequence[int] | None = None) -> None:
        """Draw a saved run's layer series at once (a model just opened), in place of what
        was shown; live training then appends after them, as in LossPanel.show_history.

        sizes: the network's layer sizes (for the legend); needed unless the panel already
        shows a network with history.n_layers layers.
        """
        if sizes is not None:
            sizes = tuple(int(n) for n in sizes)
            if len(sizes) - 1 != history.n_layers:
                raise ValueError(f"a history of {history.n_layers} layers for sizes {sizes}")
            if sizes != self._sizes:
                self._perceptron = False
                self._build(sizes)
        elif self._sizes is None or len(self._sizes) - 1 != history.n_layers:
            raise ValueError(f"show_history needs the sizes of the {history.n_layers}-layer network")
        self._series.clear()
        if len(history.stats_x):
            values = np.concatenate([history.grad_rms, history.update_ratio], axis=1)
            values[~(values > 0)] = np.nan  # zero has no logarithm: a gap, as in show_snapshot
            self._series.append(history.stats_x, values)
        self._last_step = history.steps
        self._redraw()
        self._follower.restart()
        self._follower.update(force=True)
        if len(history.stats_x):
            self._summary.setText(self._summary_text(LayerStats(history.grad_rms[-1], history.update_ratio[-1])))
        else:
            self._summary.setText("No training yet.")

    follow_live = show_snapshot  # while the user looks back, the curves still take every snapshot

    def show_cursor(self, moment: Snapshot | None) -> None:
        """Mark the moment looked back at (None: live) and give its layer statistics."""
        for line in self._cursors:
            line.setVisible(moment is not None)
            if moment is not None:
                line.setValue(float(moment.epoch_progress))
        stats = None if moment is None else moment.layer_stats
        if stats is not None:
            self._summary.setText(f"at epoch {moment.epoch_progress:.2f}: " + self._summary_text(stats))

    @property
    def cursor_x(self) -> float | None:
        """Where the moment looked back at is marked (epochs), or None while live."""
        line = self._cursors[0]
        return float(line.value()) if line.isVisible() else None

    def reset(self) -> None:
        """Forget the history (new network, data set or model)."""
        for line in self._cursors:
            line.hide()
        self._clear()

    def flush(self) -> None:
        """Draw points still waiting for the next curve redraw (before export or a check)."""
        self._redraw_throttle.flush()

    def curves(self) -> list[pg.PlotDataItem]:
        """The gradient-RMS curves, one per layer (for tests and tooltips)."""
        return list(self._grad_curves)

    def ratio_curves(self) -> list[pg.PlotDataItem]:
        return list(self._ratio_curves)

    def history(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(epochs (n,), grad_rms (n, layers), update_ratio (n, layers)) held; NaN where zero."""
        if self._series is None:
            return np.empty(0), np.empty((0, 0)), np.empty((0, 0))
        L = len(self._grad_curves)
        ys = self._series.y.copy()
        return self._series.x.copy(), ys[:, :L], ys[:, L:]

    # -- drawing ----------------------------------------------------------------------------
    def _build(self, sizes: tuple[int, ...]) -> None:
        """New curves when the architecture changes (the only time items are created)."""
        for curve in self._grad_curves:
            self._grad_plot.removeItem(curve)
        for curve in self._ratio_curves:
            self._ratio_plot.removeItem(curve)
        self._legend.clear()
        self._sizes = tuple(sizes)
        L = len(sizes) - 1
        self._grad_curves, self._ratio_curves = [], []
        for l in range(L):
            pen = pg.mkPen(layer_color(l), width=2)
            if self._perceptron:  # its updates are 0 for most batches: dots, one per batch with mistakes
                pen = None
                dots = dict(symbol="o", symbolSize=5, symbolPen=None, symbolBrush=layer_color(l))
            else:
                # No antialiasing: a 2-pixel antialiased zigzag through a few hundred points cost
                # ~6 ms per curve, eight curves per repaint for a 4-layer network.
                dots = dict(antialias=False)
            self._grad_curves.append(add_fast_curve(self._grad_plot, pen=pen, name=layer_name(l, sizes), **dots))
            self._ratio_curves.append(add_fast_curve(self._ratio_plot, pen=pen, **dots))
        self._grad_plot.setLabel("left", "RMS (ŷ − y)·x" if self._perceptron else "RMS ∂C/∂w")
        self._legend.setColumnCount(min(L, 2))  # wide and short hides fewer points; 2 fit a narrow dock
        self._series = BoundedSeries((2 * L,))
        self._last_step = -1
        self._follower.restart()

    def _clear(self) -> None:
        if self._series is not None:
            self._series.clear()
        self._last_step = -1
        self._redraw()
        self._follower.restart()
        self._summary.setText("No training yet.")

    def _redraw(self) -> None:
        if self._series is None:
            return
        s, L = self._series, len(self._grad_curves)
        for l in range(L):
            for curve, y in ((self._grad_curves[l], s.y[:, l]), (self._ratio_curves[l], s.y[:, L + l])):
                if self._perceptron:  # dots only: drop the zeros (NaN), which scatter plots warn about
                    keep = np.isfinite(y)
                    curve.setData(s.x[keep], y[keep])
                else:
                    curve.setData(s.x, y)
        # Refit in the same frame as the curves: the follower's own timer repainted the
        # whole plot a second time, between frames (the redraw is throttled already).
        self._follower.update(force=True)

    def _bounds(self, first: int) -> tuple[float, float, float, float] | None:
        s = self._series
        if s is None or s.n == 0:
            return None
        L = len(self._grad_curves)
        ys = s.y[:, first : first + L]
        ys = ys[np.isfinite(ys)]
        if ys.size == 0:
            return None
        lo, hi = math.log10(float(ys.min())), math.log10(float(ys.max()))
        hi += 0.15 * (hi - lo) + 0.1  # headroom for the legend
        return float(s.x[0]), float(s.x[-1]), lo, hi

    def _grad_bounds(self):
        return self._bounds(0)

    def _ratio_bounds(self):
        rect = self._bounds(len(self._grad_curves))
        if rect is None:
            return None
        x0, x1, lo, hi = rect  # keep the rule-of-thumb line in sight when it is close
        ref = math.log10(RULE_OF_THUMB)
        if lo - 1 <= ref <= hi + 1:
            lo, hi = min(lo, ref - 0.3), max(hi, ref + 0.1)  # room for the label under it
        return x0, x1, lo, hi

    def is_perceptron(self) -> bool:
        """Whether the panel shows a perceptron (no gradients; the top plot is its update direction)."""
        return self._perceptron

    def summary(self) -> str:
        return self._summary.text()

    def _summary_text(self, stats) -> str:
        L = len(stats.grad_rms)
        grads = " · ".join(f"{g:.1e}" for g in stats.grad_rms)
        ratios = " · ".join(f"{r:.1e}" for r in stats.update_ratio)
        if self._perceptron:
            return f"{PERCEPTRON_NOTE} Last batch: {grads} | ‖ΔW‖/‖W‖ {ratios}"
        return f"layers 1→{L}:  RMS ∂C/∂w  {grads}   |   ‖ΔW‖/‖W‖  {ratios}"
