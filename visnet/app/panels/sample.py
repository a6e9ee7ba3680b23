"""One test image and what the network makes of it: the picture, the output of every
class neuron as a bar, and a caption in words. Arrows walk through the test split, or
through only the images the network currently gets wrong.

A playground point (x1, x2 and features) is no picture: its values are listed by name.
A network with a single output neuron shows that one value against its decision
threshold (class 1 where a > 0.5, or > 0 for tanh), the rule core.targets decides by."""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from visnet.app.colors import (
    MUTED,
    PREDICTED,
    TRUE_LABEL,
    class_label,
    format_point,
    gray_colormap,
    image_side,
    input_labels,
    one_output_rule,
    percent,
    picture_side,
    with_article,
)
from visnet.app.stable import add_caption
from visnet.core.snapshot import Snapshot
from visnet.core.targets import decision_threshold, predict_classes

MISCLASSIFIED_INTERVAL = 0.5  # seconds between re-evaluations of the whole test split
BAR_COLOR = QColor(110, 130, 160)


class _IndexSpinBox(QSpinBox):
    """The test index; its arrows (and Up/Down keys) step like the panel's ◀ ▶ buttons, so
    in "misclassified only" mode they skip to the next wrong answer."""

    def __init__(self, panel: SamplePanel):
        super().__init__()
        self._panel = panel

    def stepBy(self, steps: int) -> None:  # noqa: N802 (Qt name)
        for _ in range(abs(steps)):
            self._panel.next_sample() if steps > 0 else self._panel.previous_sample()


class SamplePanel(QWidget):
    """The current test sample, the network's output for it, and navigation."""

    sample_changed = Signal(int)  # index into the test split

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._x: np.ndarray | None = None  # (n, n_inputs) test inputs
        self._y: np.ndarray | None = None  # (n,) labels
        self._class_names: tuple[str, ...] = ()
        self._index = 0
        self._drawing: np.ndarray | None = None  # a drawn digit shown instead of a test image
        self._snapshot: Snapshot | None = None
        self._wrong: np.ndarray | None = None  # sorted indices the network gets wrong
        self._wrong_step: int | None = None  # snapshot step the list was computed for
        self._wrong_time = 0.0
        self._output: np.ndarray | None = None  # output activations for the current sample
        self._predicted: int | None = None  # the class the network gives the current sample
        self._n_bars: tuple | None = None  # (n_out, output activation) the bars were built for
        self._input_labels: tuple[str, ...] = ()  # x₁, x₂, ... for playground points; () for pictures
        self._features: tuple[str, ...] | None = None  # set_features: the playground's extra inputs

        # Picture and bars.
        self._graphics = pg.GraphicsLayoutWidget()
        # The caption lives on the plots' dark background, where its colours read well.
        self._caption: pg.LabelItem = add_caption(self._graphics, "No data set.", row=0, col=0, colspan=2, size="13pt")
        self._image_view: pg.ViewBox = self._graphics.addViewBox(row=1, col=0)
        self._image_view.setAspectLocked(True)
        self._image_view.invertY(True)
        self._image_view.setMouseEnabled(False, False)
        self._image_view.setMenuEnabled(False)
        self._image = pg.ImageItem(axisOrder="row-major")
        self._image.setColorMap(gray_colormap())
        self._image_view.addItem(self._image)
        # A point's values as text, in place of a picture (a TextItem keeps its size at any zoom).
        self._point_text = pg.TextItem(anchor=(0.5, 0.5), color=(230, 230, 230))
        point_font = QFont()
        point_font.setPointSizeF(12)
        self._point_text.setFont(point_font)
        self._point_text.hide()
        self._image_view.addItem(self._point_text, ignoreBounds=True)
        self._bar_plot: pg.PlotItem = self._graphics.addPlot(row=1, col=1)
        self._bar_plot.setMouseEnabled(False, False)
        self._bar_plot.setMenuEnabled(False)
        self._bar_plot.hideButtons()
        self._bar_plot.getViewBox().invertY(True)
        self._bar_plot.showGrid(x=True, alpha=0.2)
        self._bar_plot.setLabel("bottom", "probability")
        self._bar_plot.getAxis("bottom").enableAutoSIPrefix(False)
        self._bars = pg.BarGraphItem(x0=[], y=[], height=0.7, width=[])
        self._bar_plot.addItem(self._bars)
        self._predicted_text = pg.TextItem(color=PREDICTED, anchor=(0, 0.5))
        self._true_text = pg.TextItem(color=TRUE_LABEL, anchor=(0, 0.5))
        for item in (self._predicted_text, self._true_text):
            item.hide()
            self._bar_plot.addItem(item, ignoreBounds=True)
        # A single output's decision threshold: class 1 to its right.
        self._threshold_line = pg.InfiniteLine(
            angle=90,
            pen=pg.mkPen(MUTED, width=1.5, style=Qt.PenStyle.DashLine),
            label="class 1 →",
            labelOpts={"position": 0.92, "color": MUTED, "anchors": [(0, 1), (0, 1)]},
        )
        self._threshold_line.hide()
        self._bar_plot.addItem(self._threshold_line, ignoreBounds=True)
        self._graphics.ci.layout.setColumnStretchFactor(0, 5)
        self._graphics.ci.layout.setColumnStretchFactor(1, 4)

        # Navigation.
        self._previous_button = QToolButton()
        self._previous_button.setText("◀")
        self._previous_button.setToolTip("Previous test image")
        self._previous_button.setAutoRepeat(True)
        self._previous_button.clicked.connect(self.previous_sample)
        self._next_button = QToolButton()
        self._next_button.setText("▶")
        self._next_button.setToolTip("Next test image")
        self._next_button.setAutoRepeat(True)
        self._next_button.clicked.connect(self.next_sample)
        self._index_box = _IndexSpinBox(self)
        self._index_box.setToolTip("Index of the image in the test split; type one to jump there")
        self._index_box.setKeyboardTracking(False)
        self._index_box.valueChanged.connect(self._on_index_box_changed)
        self._count_label = QLabel("of 0")
        self._wrong_box = QCheckBox("misclassified only")
        self._wrong_box.setToolTip("Step only through test images the network currently gets wrong")
        self._wrong_box.toggled.connect(self._on_misclassified_only_changed)
        self._wrong_label = QLabel()
        self._wrong_label.setStyleSheet("color: gray")
        nav = QHBoxLayout()
        nav.addWidget(self._previous_button)
        nav.addWidget(self._index_box)
        nav.addWidget(self._count_label)
        nav.addWidget(self._next_button)
        nav.addSpacing(12)
        nav.addWidget(self._wrong_box)
        nav.addWidget(self._wrong_label, 1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self._graphics, 1)
        layout.addLayout(nav)
        self._update_controls()

    # -- public API -------------------------------------------------------------------------
    def set_features(self, features: Sequence[str] | None) -> None:
        """The extra inputs (core.features names) of the playground's points after x1, x2, to
        name their values x₁, x₂, x₁², ...; call before set_dataset. None: not a playground."""
        self._features = None if features is None else tuple(features)

    def set_dataset(self, x_test: np.ndarray, y_test: np.ndarray, class_names: Sequence[str]) -> None:
        """Show the test split of a (new) data set, starting at its first image."""
        self._x = np.asarray(x_test)
        self._y = np.asarray(y_test)
        self._class_names = tuple(str(c) for c in class_names)
        n_in = self._x.shape[1] if self._x.ndim == 2 else 0
        self._input_labels = input_labels(n_in, self._features) if n_in and picture_side(n_in) is None else ()
        self._wrong = None
        self._wrong_step = None
        self._index = 0
        self._drawing = None
        self._build_bars()
        self._update_controls()
        if self._wrong_box.isChecked():
            self._refresh_misclassified(force=True)
            if self._wrong is not None and self._wrong.size:
                self._index = int(self._wrong[0])
        self._show_current()
        self.sample_changed.emit(self._index)

    def show_snapshot(self, snap: Snapshot) -> None:
        """Redraw the bars with the newest network; refresh the misclassified list now and then."""
        self._snapshot = snap
        if self._wrong_box.isChecked():
            self._refresh_misclassified()
        self._build_bars()
        self._show_current()

    def _set_bottom_label(self, text: str) -> None:
        """setLabel re-lays out the axis and redraws it (~2 ms a frame while training): only on a change."""
        if self._bar_plot.getAxis("bottom").labelText != text:
            self._bar_plot.setLabel("bottom", text)

    def reset(self) -> None:
        """Forget the network (a new one comes with the next snapshot); keep the data set."""
        self._snapshot = None
        self._wrong = None
        self._wrong_step = None
        self._show_current()

    def current_index(self) -> int:
        return self._index

    def show_drawing(self, x: np.ndarray) -> None:
        """Show a drawn digit (no true label) until the user moves to a test image again."""
        self._drawing = np.asarray(x, dtype=np.float32).ravel()
        self._show_current()

    def showing_drawing(self) -> bool:
        return self._drawing is not None

    def current_sample(self) -> tuple[np.ndarray, int] | None:
        """(x (n_inputs,), label) of the current image, or None without a data set."""
        if not self._n():
            return None
        return self._x[self._index], int(self._y[self._index])

    def set_index(self, i: int) -> None:
        """Show test image i (clamped to the split); emits sample_changed if it moved."""
        n = self._n()
        if not n:
            return
        i = int(np.clip(i, 0, n - 1))
        if i == self._index and self._drawing is None:
            self._update_controls()
            return
        self._index = i
        self._drawing = None
        self._show_current()
        self.sample_changed.emit(i)

    def next_sample(self) -> None:
        self._step(+1)

    def previous_sample(self) -> None:
        self._step(-1)

    def misclassified_only(self) -> bool:
        return self._wrong_box.isChecked()

    def set_misclassified_only(self, on: bool) -> None:
        self._wrong_box.setChecked(on)

    def misclassified(self) -> np.ndarray | None:
        """Indices of the test images the network got wrong at the last refresh (None before)."""
        return None if self._wrong is None else self._wrong.copy()

    def caption(self) -> str:
        """The caption's text (HTML), e.g. 'Looks like a 6 (87%) — true: 6 ✓'."""
        return self._caption.text

    def output(self) -> np.ndarray | None:
        """The network's output activations for the current image (None without a network)."""
        return None if self._output is None else self._output.copy()

    def predicted_class(self) -> int | None:
        """The class the network gives the current sample (argmax, or a single output's
        threshold), None without a network."""
        return self._predicted

    def input_labels(self) -> tuple[str, ...]:
        """Names of a playground point's inputs (x₁, x₂, x₁², ...); () for pictures."""
        return self._input_labels

    def point_text(self) -> str | None:
        """The current point's values as shown in place of a picture (None for a picture)."""
        return self._point_text.textItem.toPlainText() if self._point_text.isVisible() else None

    # -- navigation -------------------------------------------------------------------------
    def _n(self) -> int:
        return 0 if self._x is None else len(self._x)

    def _step(self, direction: int) -> None:
        n = self._n()
        if not n:
            return
        if not self._wrong_box.isChecked():
            self.set_index((self._index + direction) % n)
            return
        self._refresh_misclassified()
        wrong = self._wrong
        if wrong is None or wrong.size == 0:
            return
        if direction > 0:
            k = np.searchsorted(wrong, self._index, side="right")
            target = wrong[k % wrong.size]
        else:
            k = np.searchsorted(wrong, self._index, side="left") - 1
            target = wrong[k % wrong.size]
        self.set_index(int(target))

    def _refresh_misclassified(self, force: bool = False) -> None:
        """Re-evaluate the test split, at most every MISCLASSIFIED_INTERVAL seconds and only
        when the network changed: a forward pass over 10,000 images is not free."""
        snap = self._snapshot
        if snap is None or not self._n():
            return
        now = time.monotonic()
        if not force and self._wrong is not None:
            if snap.step == self._wrong_step or now - self._wrong_time < MISCLASSIFIED_INTERVAL:
                return
        if snap.sizes[0] != self._x.shape[1]:
            self._wrong = np.empty(0, dtype=np.intp)
        else:
            predicted = np.concatenate([snap.network.predict(self._x[i : i + 2000]) for i in range(0, self._n(), 2000)])
            self._wrong = np.flatnonzero(predicted != self._y)
        self._wrong_step = snap.step
        self._wrong_time = now
        self._update_controls()

    def _on_index_box_changed(self, value: int) -> None:
        self.set_index(value)

    def _on_misclassified_only_changed(self, on: bool) -> None:
        if on:
            self._refresh_misclassified(force=True)
            wrong = self._wrong
            if wrong is not None and wrong.size and self._index not in set(wrong.tolist()):
                self._step(+1)
        self._update_controls()

    def _update_controls(self) -> None:
        n = self._n()
        self._index_box.blockSignals(True)
        self._index_box.setRange(0, max(n - 1, 0))
        self._index_box.setValue(self._index)
        self._index_box.blockSignals(False)
        self._count_label.setText(f"of {n:,}")
        for w in (self._previous_button, self._next_button, self._index_box, self._wrong_box):
            w.setEnabled(n > 0)
        if not self._wrong_box.isChecked():
            self._wrong_label.setText("")
        elif self._snapshot is None:
            self._wrong_label.setText("(needs a network)")
        elif self._wrong is not None:
            k = self._wrong.size
            self._wrong_label.setText(
                "none: every test image is right" if k == 0 else f"{k:,} wrong ({100 * k / max(n, 1):.1f}%)"
            )

    # -- drawing ----------------------------------------------------------------------------
    def _build_bars(self) -> None:
        """Class labels on the y axis; rebuilt only when the number of outputs changes.
        A single output neuron has one bar, "a", and its threshold line."""
        snap = self._snapshot
        n = snap.sizes[-1] if snap is not None else len(self._class_names)
        out = snap.activations[-1] if snap is not None else ""
        key = (n, out if n == 1 else "")
        if key == self._n_bars:
            return
        self._n_bars = key
        if n == 1:
            ticks = [(0, "a")]
            self._threshold_line.setValue(decision_threshold(out) if out else 0.5)
        else:
            step = max(1, n // 25)  # at most ~25 labels, so they stay readable
            ticks = [(k, class_label(self._class_names, k)) for k in range(0, n, step)]
        self._bar_plot.getAxis("left").setTicks([ticks, []])
        self._bar_plot.setYRange(-0.6, n - 0.4, padding=0)

    def _hide_bar_texts(self) -> None:
        self._predicted_text.hide()
        self._true_text.hide()

    def _show_current(self) -> None:
        self._update_controls()
        n = self._n()
        if not n:
            self._image.clear()
            self._bars.setOpts(x0=[], y=[], width=[], brushes=[])
            self._hide_bar_texts()
            self._caption.setText("No data set.")
            self._output = self._predicted = None
            self._point_text.hide()
            return
        if self._drawing is not None:
            x, label = self._drawing, None
        else:
            x, label = self._x[self._index], int(self._y[self._index])
        self._show_input(x)
        self._threshold_line.hide()
        true_name = "drawn digit" if label is None else class_label(self._class_names, label)
        snap = self._snapshot
        if snap is None or snap.sizes[0] != x.size:
            self._output = self._predicted = None
            self._bars.setOpts(x0=[], y=[], width=[], brushes=[])
            self._hide_bar_texts()
            reason = "no network yet" if snap is None else f"the network expects {snap.sizes[0]} inputs"
            self._caption.setText(f"{'Drawn digit' if label is None else 'True: ' + true_name} ({reason})")
            return
        a = snap.forward_cache(x).output[0].astype(np.float64)
        self._output = a
        predicted = int(predict_classes(snap, a[None, :])[0])
        self._predicted = predicted
        out = snap.activations[-1]
        if len(a) == 1:
            self._show_one_output(float(a[0]), predicted, label, out)
            return
        brushes = [pg.mkBrush(BAR_COLOR)] * len(a)
        brushes[predicted] = pg.mkBrush(PREDICTED)
        pens = [pg.mkPen(None)] * len(a)
        has_label = label is not None and 0 <= label < len(a)
        if has_label:
            pens[label] = pg.mkPen(TRUE_LABEL, width=2)
            if label != predicted:
                brushes[label] = pg.mkBrush(TRUE_LABEL.darker(220))
        self._bars.setOpts(x0=np.zeros(len(a)), y=np.arange(len(a)), width=a, brushes=brushes, pens=pens)

        if out == "softmax":
            self._set_bottom_label("probability")
            lo, hi = 0.0, 1.0
            value = percent(a[predicted])
        else:
            self._set_bottom_label(f"output a ({out}, not a probability)")
            if out == "sigmoid":
                lo, hi = 0.0, 1.0
            elif out == "tanh":
                lo, hi = -1.0, 1.0
            else:
                lo, hi = min(0.0, float(a.min())), max(float(a.max()), 1e-6)
            value = f"a = {a[predicted]:.2f}"
        span = hi - lo
        self._bar_plot.setXRange(lo, hi + 0.22 * span, padding=0.02)  # room for the value text
        gap = 0.02 * span
        self._predicted_text.setAnchor((0, 0.5))
        self._predicted_text.setColor(PREDICTED)
        self._predicted_text.setText(value + (" ✓ true" if predicted == label else ""))
        self._predicted_text.setPos(max(a[predicted], 0.0) + gap, predicted)
        self._predicted_text.show()
        if has_label and label != predicted:
            self._true_text.setText("true")
            self._true_text.setPos(max(a[label], 0.0) + gap, label)
            self._true_text.show()
        else:
            self._true_text.hide()

        name = class_label(self._class_names, predicted)
        confidence = f"({value})"
        verdict = "✓" if predicted == label else "✗"
        article = with_article(name).partition(" ")[0]
        if label is None:
            self._caption.setText(
                f'Drawn: looks like {article} <span style="color:{PREDICTED.name()}">{name}</span> {confidence}'
            )
            return
        self._caption.setText(
            f'Looks like {article} <span style="color:{PREDICTED.name()}">{name}</span> {confidence} — '
            f'true: <span style="color:{TRUE_LABEL.name()}">{true_name}</span> {verdict}'
        )

    def _show_input(self, x: np.ndarray) -> None:
        """The input as a picture, or a playground point's values by name: its x₁ of −4.3
        is a coordinate, not a gray level."""
        if self._input_labels and len(self._input_labels) == x.size:
            self._image.clear()
            self._point_text.setText(format_point(x, self._input_labels, sep="\n"))
            self._point_text.setPos(0.5, 0.5)
            self._point_text.show()
            self._image_view.setRange(QRectF(0, 0, 1, 1), padding=0.02)
            return
        self._point_text.hide()
        side = image_side(x.size)
        picture = x.reshape(side, side) if side else x.reshape(1, -1)
        self._image.setImage(picture, autoLevels=False, levels=(0.0, 1.0))
        self._image_view.setRange(QRectF(0, 0, picture.shape[1], picture.shape[0]), padding=0.02)

    def _show_one_output(self, a: float, predicted: int, label: int | None, out: str) -> None:
        """One bar for the single output a, the threshold line, and the class it means."""
        threshold = decision_threshold(out)
        right = label is not None and predicted == label
        brush = pg.mkBrush(PREDICTED if label is None or right else TRUE_LABEL.darker(150))
        self._bars.setOpts(x0=[min(a, 0.0)], y=[0], width=[abs(a)], brushes=[brush], pens=[pg.mkPen(None)])
        self._set_bottom_label(one_output_rule(out))  # short: the bar plot is narrow
        if out in ("sigmoid", "step"):
            lo, hi = 0.0, 1.0
        elif out == "tanh":
            lo, hi = -1.0, 1.0
        else:
            lo, hi = min(-1.0, a), max(1.0, a)
        span = hi - lo
        self._bar_plot.setXRange(lo, hi + 0.1 * span, padding=0.02)
        self._threshold_line.show()
        sign = ">" if predicted == 1 else "≤"
        value = f"a = {a:.2f} {sign} {threshold:g}".replace("-", "−")
        self._predicted_text.setText(f"a = {a:.2f}".replace("-", "−"))
        if a > lo + 0.6 * span:  # a long bar: the value goes inside its end, in dark ink
            self._predicted_text.setAnchor((1, 0.5))
            self._predicted_text.setColor(QColor(20, 20, 20))
            self._predicted_text.setPos(a - 0.02 * span, 0)
        else:
            self._predicted_text.setAnchor((0, 0.5))
            self._predicted_text.setColor(PREDICTED)
            self._predicted_text.setPos(max(a, threshold, lo) + 0.02 * span, 0)
        self._predicted_text.show()
        self._true_text.hide()
        name = class_label(self._class_names, predicted)
        shown = f'class <span style="color:{PREDICTED.name()}">{name}</span> ({value})'
        if label is None:
            self._caption.setText(f"Drawn: {shown}")
            return
        verdict = "✓" if right else "✗"
        self._caption.setText(
            f'Says {shown} — true: <span style="color:{TRUE_LABEL.name()}">'
            f"{class_label(self._class_names, label)}</span> {verdict}"
        )
