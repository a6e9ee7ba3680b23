"""The learning curve: every mini-batch's loss, its smoothed trend, and per-epoch train
loss, test loss and test accuracy, on an x axis in (fractional) epochs. A long run keeps
its newest batches as they came and merges older ones into means (BoundedSeries)."""

from __future__ import annotations

import math
import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QVBoxLayout, QWidget

from visnet.app.colors import LAYER_COLORS, LEGEND_BACKING, MUTED, PREDICTED, TRUE_LABEL
from visnet.app.stable import FittingLabel
from visnet.app.throttle import Throttle
from visnet.core.history import BoundedSeries, TrainingHistory
from visnet.core.snapshot import Snapshot

EMA_BETA = 0.98  # smoothing of the batch loss: an average over roughly the last 50 batches
AUTORANGE_INTERVAL = 0.3  # seconds between automatic rescalings of the axes
MIN_EPOCH_SPAN = 0.1  # the x axis spans at least this many epochs
SMOOTHED = LAYER_COLORS[0]
MANY_EPOCHS = 200  # beyond this, epoch curves lose their markers and antialiasing (the playground's
# small sets finish hundreds of epochs a second: 3,000 marked, antialiased points cost ~60 ms a frame)
CURVE_INTERVAL_S = 0.25  # curves redraw at most 4 times a second: cheaper, and still live


def cursor_line(plot: pg.PlotItem) -> pg.InfiniteLine:
    """A vertical line marking the moment looked back at; hidden while live."""
    line = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen(MUTED, width=1.5, style=Qt.PenStyle.DashLine))
    line.setZValue(20)
    line.hide()
    plot.addItem(line, ignoreBounds=True)
    return line


def add_fast_curve(plot: pg.PlotItem, **kwargs) -> pg.PlotDataItem:
    """A PlotDataItem in plot, set up for long, growing data: peak downsampling to the
    screen's width and clipping to the visible x range.

    The plot's own defaults are set too: PlotItem.addItem overwrites an item's
    downsampling with them (and its context menu shows them).
    """
    plot.setDownsampling(auto=True, mode="peak")
    plot.setClipToView(True)
    # One bucket per pixel (pyqtgraph's default, 5 points per pixel, drew ~5,000 points per
    # curve for a long run: ~6 ms each); peak keeps each bucket's min and max, so nothing shows less.
    kwargs.setdefault("autoDownsampleFactor", 1.0)
    curve = pg.PlotDataItem(**kwargs)
    plot.addItem(curve)
    curve.setDownsampling(auto=True, method="peak")
    curve.setClipToView(True)
    curve.setSkipFiniteCheck(True)
    return curve


class RangeFollower:
    """Fits plots to their data at most every AUTORANGE_INTERVAL seconds.

    pyqtgraph's own auto-range is switched off: it would refit on every frame, and with
    clipToView it only sees the clipped points, so the range could never grow. Each plot
    comes with a function giving the rectangle to show (view coordinates, so log10 for a
    log axis), computed from the panel's own buffers. Panning or zooming by hand stops
    the following; the plot's "A" button starts it again.
    """

    def __init__(self, *plots_and_bounds):
        self._entries = [(plot, bounds, [True]) for plot, bounds in plots_and_bounds]
        self._last = 0.0
        # A refit skipped by the throttle is done when the interval is over, so the last
        # points of a burst (training then pausing) do not stay outside the view.
        self._pending = QTimer(plots_and_bounds[0][0])
        self._pending.setSingleShot(True)
        self._pending.timeout.connect(lambda: self.update(force=True))
        for plot, _, follow in self._entries:
            vb = plot.getViewBox()
            vb.disableAutoRange()
            vb.sigRangeChangedManually.connect(lambda *_, follow=follow: follow.__setitem__(0, False))

    def update(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last < AUTORANGE_INTERVAL:
            if not self._pending.isActive():
                self._pending.start(int(1000 * (AUTORANGE_INTERVAL - (now - self._last))) + 1)
            return
        self._pending.stop()
        self._last = now
        for plot, bounds, follow in self._entries:
            vb = plot.getViewBox()
            if any(vb.autoRangeEnabled()):  # the "A" button was clicked
                follow[0] = True
                vb.disableAutoRange()
            if not follow[0]:
                continue
            rect = bounds()
            if rect is not None:
                x0, x1, y0, y1 = rect
                vb.setRange(xRange=_widened(x0, x1), yRange=_widened(y0, y1), padding=0.03)

    def restart(self) -> None:
        for _, _, follow in self._entries:
            follow[0] = True
        self._last = 0.0


def _widened(lo: float, hi: float) -> tuple[float, float]:
    """A range Qt can show even when all points share one value."""
    if hi - lo < 1e-9:
        pad = max(abs(lo) * 0.05, 1e-3)
        return lo - pad, hi + pad
    return lo, hi


def loss_range(values: list[np.ndarray], raw: np.ndarray, log: bool) -> tuple[float, float] | None:
    """The y range for loss curves: everything of the smooth curves, but of the raw batch
    losses only their 1st-99th percentile, so a few spiky batches do not flatten the rest."""
    parts = [v[np.isfinite(v) & ((v > 0) if log else True)] for v in values]
    if raw.size:
        sample = raw[:: max(1, raw.size // 20_000)]
        sample = sample[sample > 0] if log else sample
        if sample.size:
            parts.append(np.percentile(sample, [1.0, 99.0]))
    parts = [p for p in parts if p.size]
    if not parts:
        return None
    lo = min(float(p.min()) for p in parts)
    hi = max(float(p.max()) for p in parts)
    if log:
        return math.log10(lo), math.log10(hi)
    return min(lo, 0.0), hi


class LossPanel(QWidget):
    """Loss per mini-batch (raw and smoothed) and per epoch (train, test), test accuracy below."""

    draws_hidden = True  # every snapshot's losses and layer statistics belong to the curves

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        # Bounded, so that a day of training takes no more memory than a minute.
        self._batches = BoundedSeries((2,))  # columns: raw loss, smoothed loss
        # The playground finishes hundreds of epochs a second: epoch records are bounded too.
        self._epochs = BoundedSeries((3,), merge="last")  # columns: train loss, test loss, test accuracy (%)
        self._ema = 0.0
        self._ema_weight = 0.0  # 1 - beta^n: divides out the EMA's pull towards its start value
        self._last_step = -1

        self._summary = FittingLabel("No training yet.")
        self._log_box = QCheckBox("log scale")
        self._log_box.setToolTip("Show the loss on a logarithmic axis: late, small improvements stay visible.")
        self._log_box.toggled.connect(self._on_log_scale_changed)
        top = QHBoxLayout()
        top.addWidget(self._summary, 1)
        top.addWidget(self._log_box)

        self._graphics = pg.GraphicsLayoutWidget()
        self._loss_plot: pg.PlotItem = self._graphics.addPlot(row=0, col=0)
        self._loss_plot.setLabel("left", "loss C")
        self._loss_plot.hideAxis("bottom")
        self._acc_plot: pg.PlotItem = self._graphics.addPlot(row=1, col=0)
        self._acc_plot.setLabel("left", "accuracy %")
        self._acc_plot.setYRange(0, 100, padding=0)  # percent, before the first test result too
        self._acc_plot.setLabel("bottom", "epoch")
        self._acc_plot.setXLink(self._loss_plot)
        self._graphics.ci.layout.setRowStretchFactor(0, 3)
        self._graphics.ci.layout.setRowStretchFactor(1, 1)
        for plot in (self._loss_plot, self._acc_plot):
            plot.getAxis("left").setWidth(60)  # equal widths line the two x ranges up
            plot.getAxis("left").enableAutoSIPrefix(False)  # a loss of 0.02 reads "0.02", not "20 (x0.001)"
            plot.getAxis("bottom").enableAutoSIPrefix(False)  # epochs, never "epoch (x0.001)"

        # Two columns: half as tall, so it covers less of a short plot and shows every entry.
        self._loss_plot.addLegend(offset=(-10, 4), labelTextSize="8pt", colCount=2, brush=LEGEND_BACKING)
        faint = QColor(MUTED)
        faint.setAlpha(90)
        # No antialiasing on the two long curves: a 2-pixel antialiased line through ~3,000
        # screen points costs Qt ~30 ms per frame, without it ~5 ms.
        self._raw_curve = add_fast_curve(
            self._loss_plot, pen=pg.mkPen(faint, width=1), antialias=False, name="batch loss"
        )
        self._smooth_curve = add_fast_curve(
            self._loss_plot, pen=pg.mkPen(SMOOTHED, width=2), antialias=False, name="smoothed (EMA)"
        )
        self._smooth_curve.setDownsampling(auto=True, method="mean")  # already smooth: no peaks to keep
        self._train_curve = add_fast_curve(
            self._loss_plot,
            pen=pg.mkPen(PREDICTED, width=1.5),
            symbol="o",
            symbolSize=7,
            symbolBrush=PREDICTED,
            symbolPen=None,
            name="train (epoch)",
        )
        self._test_curve = add_fast_curve(
            self._loss_plot,
            pen=pg.mkPen(TRUE_LABEL, width=1.5),
            symbol="s",
            symbolSize=7,
            symbolBrush=TRUE_LABEL,
            symbolPen=None,
            name="test (epoch)",
        )
        self._acc_curve = add_fast_curve(
            self._acc_plot,
            pen=pg.mkPen(TRUE_LABEL, width=1.5),
            symbol="s",
            symbolSize=7,
            symbolBrush=TRUE_LABEL,
            symbolPen=None,
        )
        self._follower = RangeFollower((self._loss_plot, self._loss_bounds), (self._acc_plot, self._accuracy_bounds))
        # The moment the user looks back at (the timeline's cursor), on both plots.
        self._cursors = [cursor_line(plot) for plot in (self._loss_plot, self._acc_plot)]
        self._redraw_throttle = Throttle(self._redraw, CURVE_INTERVAL_S, self)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self._graphics, 1)

    # -- public API -------------------------------------------------------------------------
    def show_snapshot(self, snap: Snapshot) -> None:
        """Add the snapshot's new batches and epochs (once: a snapshot seen before adds nothing)."""
        self._set_loss_label(snap.activations[-1] == "step")
        if snap.step < self._last_step:  # training went back (a divergence undone): so do the curves
            self._batches.truncate_after(snap.epoch_progress)
            self._epochs.truncate_after(snap.epoch_progress)
            self._last_step = snap.step
            self._redraw_throttle.request()
        if snap.step > self._last_step:
            self._last_step = snap.step
            self._add_batches(snap.batch_epochs, snap.batch_losses)
            self._add_epochs(snap.new_epochs)
            self._redraw_throttle.request()
        at = self.cursor_x  # looking back: the summary stays with the moment
        self._summary.set_text_variants(
            self._summary_texts(snap.epoch_progress) if at is None else self._summary_texts(at, at=at)
        )

    follow_live = show_snapshot  # while the user looks back, the curves still take every batch

    def show_cursor(self, moment: Snapshot | None) -> None:
        """Mark the moment looked back at on the curves and sum it up (None: live, no mark)."""
        for line in self._cursors:
            line.setVisible(moment is not None)
            if moment is not None:
                line.setValue(float(moment.epoch_progress))
        if moment is not None:
            self._summary.set_text_variants(self._summary_texts(moment.epoch_progress, at=moment.epoch_progress))
        elif self._batches.n:
            self._summary.set_text_variants(self._summary_texts(self._batches.last_x))

    @property
    def cursor_x(self) -> float | None:
        """Where the moment looked back at is marked (epochs), or None while live."""
        line = self._cursors[0]
        return float(line.value()) if line.isVisible() else None

    def show_history(self, history: TrainingHistory) -> None:
        """Draw a saved run's curves at once (a model just opened), in place of what was shown.

        Live training then appends after them: snapshots of a trainer that continues the
        history's counters (Trainer(progress=history.progress)) add their new points; a
        snapshot from an earlier step (a fresh trainer) starts over, as with any new run.
        """
        self.reset()
        # A saved point may be the mean of many mini-batches: on average, steps / points.
        weight = max(1.0, history.steps / max(len(history.batch_x), 1))
        self._add_batches(history.batch_x, history.batch_loss, weight)
        self._add_epochs(history.epochs)
        self._last_step = history.steps
        self._redraw()
        self._summary.set_text_variants(self._summary_texts(float(history.epochs_done)))

    def reset(self) -> None:
        """Forget every point (new network, data set or model)."""
        self._batches.clear()
        self._epochs.clear()
        self._acc_plot.setYRange(0, 100, padding=0)
        self._ema = self._ema_weight = 0.0
        self._last_step = -1
        for line in self._cursors:
            line.hide()
        self._redraw()
        self._follower.restart()
        self._summary.setText("No training yet.")

    def flush(self) -> None:
        """Draw points still waiting for the next curve redraw (before export or a check)."""
        self._redraw_throttle.flush()

    def n_points(self) -> int:
        """How many mini-batch losses are held: every batch until there are MAX_POINTS,
        then the newest as they came and the older merged into means."""
        return self._batches.n

    def log_scale(self) -> bool:
        return self._log_box.isChecked()

    def set_log_scale(self, on: bool) -> None:
        self._log_box.setChecked(on)

    def batch_losses(self) -> tuple[np.ndarray, np.ndarray]:
        """(epochs, raw losses) of every point held (views; do not modify)."""
        return self._batches.x, self._batches.y[:, 0]

    def epoch_values(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(epoch numbers, train loss, test loss, test accuracy in %) of every epoch held
        (views; do not modify; test values NaN without a test split)."""
        e = self._epochs
        return e.x, e.y[:, 0], e.y[:, 1], e.y[:, 2]

    def summary(self) -> str:
        return self._summary.text()

    # -- accumulation -----------------------------------------------------------------------
    def _add_batches(self, x: np.ndarray, loss: np.ndarray, weight: float = 1.0) -> None:
        x = np.asarray(x, dtype=np.float64)
        loss = np.asarray(loss, dtype=np.float64)
        keep = np.isfinite(x) & np.isfinite(loss)
        if not keep.all():
            x, loss = x[keep], loss[keep]
        if len(x) == 0:
            return
        smoothed = np.empty_like(loss)
        ema, weight, beta = self._ema, self._ema_weight, EMA_BETA
        for i, value in enumerate(loss.tolist()):  # a plain loop: ~0.1 µs per batch
            ema = beta * ema + (1 - beta) * value
            weight = beta * weight + (1 - beta)
            smoothed[i] = ema / weight
        self._ema, self._ema_weight = ema, weight
        self._batches.append(x, np.column_stack([loss, smoothed]), weight)

    def _add_epochs(self, records) -> None:
        for r in records:
            self._epochs.append_one(float(r.epoch), (r.train_loss, r.test_loss, 100.0 * r.test_accuracy))

    # -- drawing ----------------------------------------------------------------------------
    def _redraw(self) -> None:
        b, e = self._batches, self._epochs
        self._raw_curve.setData(b.x, b.y[:, 0])
        self._smooth_curve.setData(b.x, b.y[:, 1])
        plain = e.n > MANY_EPOCHS
        for curve, column, symbol in (
            (self._train_curve, 0, "o"),
            (self._test_curve, 1, "s"),
            (self._acc_curve, 2, "s"),
        ):
            y = e.y[:, column]
            finite = np.isfinite(y)  # no test split: test values are NaN, draw nothing
            curve.setData(e.x[finite], y[finite], symbol=None if plain else symbol, antialias=not plain)
        # Refit in the same frame as the curves: the follower's own timer repainted the
        # whole plot a second time, between frames (the redraw is throttled already).
        self._follower.update(force=True)

    def _x_range(self) -> tuple[float, float] | None:
        xs = [a for a in (self._batches.x, self._epochs.x) if a.size]
        if not xs:
            return None
        lo, hi = min(float(a[0]) for a in xs), max(float(a[-1]) for a in xs)
        return lo, max(hi, lo + MIN_EPOCH_SPAN)  # the first batches fill a sensible stretch

    def _loss_bounds(self):
        x = self._x_range()
        b, e = self._batches.y, self._epochs.y
        y = loss_range([b[:, 1], e[:, 0], e[:, 1]], b[:, 0], self.log_scale())
        return None if x is None or y is None else (*x, *y)

    def _accuracy_bounds(self):
        x = self._x_range()
        acc = self._epochs.y[:, 2]
        acc = acc[np.isfinite(acc)]
        if x is None or not acc.size:
            return None
        return (*x, max(0.0, float(acc.min()) - 1.0), min(100.0, float(acc.max()) + 1.0))

    def loss_label(self) -> str:
        return self._loss_plot.getAxis("left").labelText

    def _set_loss_label(self, perceptron: bool) -> None:
        """The perceptron's loss is its quadratic cost on 0/1 outputs, ½ · the fraction it
        gets wrong (training.perceptron_rule): say so, since no gradient descends it."""
        text = "C = ½ · fraction wrong" if perceptron else "loss C"
        if self._loss_plot.getAxis("left").labelText != text:  # re-lays out the axis: only on a change
            self._loss_plot.setLabel("left", text)
            self._loss_plot.setToolTip(
                "The perceptron's cost ½ mean (y − ŷ)² with 0/1 outputs: half the fraction of the batch it "
                "misclassifies. It learns by the perceptron rule, not by descending this cost."
                if perceptron
                else ""
            )

    def _summary_texts(self, epoch_progress: float, at: float | None = None) -> tuple[str, ...]:
        """The summary line from the longest wording to the shortest (a narrow dock shows the
        longest that fits); `at`: the values as they stood at that x (a moment looked back at)."""
        head = f"epoch {epoch_progress:.2f}" if at is None else f"at epoch {epoch_progress:.2f}"
        long, short = [head], [head]
        batches = self._batches.n if at is None else int(np.searchsorted(self._batches.x, at + 1e-9, side="right"))
        epochs = self._epochs.n if at is None else int(np.searchsorted(self._epochs.x, at + 1e-9, side="right"))
        if batches:
            loss = self._batches.y[batches - 1, 1]
            long.append(f"loss {loss:.4f} (smoothed)")
            short.append(f"loss {loss:.3f}")
        if epochs:
            acc = self._epochs.y[epochs - 1, 2]
            test = self._epochs.y[epochs - 1, 1]
            if math.isfinite(test):
                long.append(f"test loss {test:.4f}")
            if math.isfinite(acc):
                long.append(f"test accuracy {acc:.2f}%")
                short.append(f"test {acc:.1f}%")
        return " · ".join(long), " · ".join(short)

    def _on_log_scale_changed(self, on: bool) -> None:
        self._loss_plot.setLogMode(y=on)
        self._follower.update(force=True)
