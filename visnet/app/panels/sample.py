"""One test image and what the network makes of it: the picture, the output of every
class neuron as a bar, and a caption in words. Arrows walk through the test split, or
through only the images the network currently gets wrong.

A playground point (x1, x2 and features) is no picture: its values are listed by name.
A network with a single output neuron shows that one value against its decision
threshold (class 1 where a > 0.5, or > 0 for tanh), the rule core.targets decides by."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetricsF
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
    inputs_are_values,
    one_output_rule,
    percent,
    with_article,
)
from visnet.app.session import Session
from visnet.app.stable import add_caption
from visnet.core.sample_pass import Sample, SamplePass
from visnet.core.snapshot import Snapshot
from visnet.core.targets import decision_threshold

MISCLASSIFIED_INTERVAL = 0.5  # seconds between re-evaluations of the whole test split
BAR_COLOR = QColor(110, 130, 160)
LABEL_STEPS = (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000)  # label every k-th class
VALUE_INK = QColor(20, 20, 20)  # a value written inside the end of its (yellow) bar
MAX_LISTED_VALUES = 16  # a row of more named values lists these first, so the list fits the panel


class ClassLabelAxis(pg.AxisItem):
    """A vertical axis naming classes 0..n-1 at integer positions. When the axis is too
    short to name them all without overlap (a small dock), it names every 2nd, 5th, 10th...
    class instead: the choice is made at each redraw from the axis' height in pixels."""

    def __init__(self, orientation: str = "left"):
        super().__init__(orientation)
        self._names: tuple[str, ...] = ()

    def set_names(self, names: Sequence[str]) -> None:
        self._names = tuple(names)
        self.picture = None
        self.update()

    def names(self) -> tuple[str, ...]:
        return self._names

    def label_step(self, length: float, span: float) -> int:
        """Name every k-th class so that labels (one font height each) never overlap on an
        axis `length` pixels long showing `span` classes."""
        font = self.style["tickFont"] or QFont()
        # A digit's glyph is about 0.8 of the font's line height (pyqtgraph measures labels so
        # too); a pixel more keeps neighbours from touching.
        room = 0.8 * QFontMetricsF(font).height() + 1.0
        per_class = length / max(span, 1e-9)
        return next((k for k in LABEL_STEPS if k * per_class >= room), max(len(self._names), 1))

    def tickValues(self, minVal: float, maxVal: float, size: float):  # noqa: N802, N803 (pyqtgraph names)
        n = len(self._names)
        if n == 0 or size <= 0:
            return []
        lo, hi = min(minVal, maxVal), max(minVal, maxVal)
        step = self.label_step(size, hi - lo)
        first, last = max(0, math.ceil(lo)), min(n - 1, math.floor(hi))
        return [(float(step), [float(k) for k in range(first, last + 1) if k % step == 0])]

    def tickStrings(self, values, scale, spacing):  # noqa: N802 (pyqtgraph name)
        return [class_label(self._names, int(round(v))) for v in values]


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
    """The current test sample, the network's output for it, and navigation.

    Given a Session, it shows the session's sample whatever its source (a test image, a
    drawing, a point of the plane) with the session's forward pass of it, and its arrows,
    index box and "misclassified only" choose test images through the session; without one,
    set_dataset, set_index and show_drawing drive it.
    """

    sample_changed = Signal(int)  # index into the test split, chosen here

    def __init__(self, parent: QWidget | None = None, *, session: Session | None = None):
        super().__init__(parent)
        self._session = session
        self._x: np.ndarray | None = None  # (n, n_inputs) test inputs
        self._y: np.ndarray | None = None  # (n,) labels
        self._class_names: tuple[str, ...] = ()
        self._index = 0
        self._drawing: np.ndarray | None = None  # a drawn digit shown instead of a test image
        self._snapshot: Snapshot | None = None
        self._wrong: np.ndarray | None = None  # sorted indices the network gets wrong
        self._wrong_step: int | None = None  # snapshot step the list was computed for
        self._wrong_time = 0.0
        self._output: np.ndarray | None = None  # output activations for the current sample (read-only)
        self._predicted: int | None = None  # the class the network gives the current sample
        self._n_bars: tuple | None = None  # (n_out, output activation) the bars were built for
        self._input_labels: tuple[str, ...] = ()  # x₁, x₂, ... for playground points; () for pictures
        self._features: tuple[str, ...] | None = None  # set_features: the playground's extra inputs
        self._input_names: tuple[str, ...] | None = None  # set_input_names: a table's columns, ...

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
        self._class_axis = ClassLabelAxis("left")
        self._bar_plot: pg.PlotItem = self._graphics.addPlot(row=1, col=1, axisItems={"left": self._class_axis})
        self._bar_plot.setMouseEnabled(False, False)
        self._bar_plot.setMenuEnabled(False)
        self._bar_plot.hideButtons()
        self._bar_plot.getViewBox().invertY(True)
        self._bar_plot.showGrid(x=True, alpha=0.2)
        self._bar_plot.setLabel("bottom", "probability")
        self._bar_plot.getAxis("bottom").enableAutoSIPrefix(False)
        self._bar_plot.getAxis("bottom").setToolTip(
            "The output neurons' activations a. With a softmax output they are probabilities "
            "(they add up to 1); sigmoid, tanh or linear outputs are not: each is its own score."
        )
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
        # The value beside the predicted bar moves inside the bar when the plot gets too narrow.
        self._bar_plot.getViewBox().sigResized.connect(self._place_value_text)
        # (bar start, bar end, where text outside may start, y, text, shorter text)
        self._value_at: tuple[float, float, float, float, str, str] | None = None

        # Navigation.
        self._previous_button = QToolButton()
        self._previous_button.setText("◀")
        self._previous_button.setToolTip("Previous test image: every panel shows the network's answer to it")
        self._previous_button.setAutoRepeat(True)
        self._previous_button.clicked.connect(self.previous_sample)
        self._next_button = QToolButton()
        self._next_button.setText("▶")
        self._next_button.setToolTip("Next test image: every panel shows the network's answer to it")
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

        if session is not None:
            session.dataset_changed.connect(self._on_session_dataset_changed)
            session.sample_changed.connect(self._on_session_sample_changed)
            self._on_session_dataset_changed()

    # -- the session ------------------------------------------------------------------------
    def _on_session_dataset_changed(self) -> None:
        session = self._session
        self.set_features(session.features)
        self.set_input_names(session.input_names)
        d = session.dataset
        if d is not None:
            self.set_dataset(d.x_test, d.y_test, d.class_names)

    def _on_session_sample_changed(self) -> None:
        sample = self._session.sample
        if sample is not None and sample.source == "test":
            self._index, self._drawing = int(sample.index), None
        elif sample is not None:
            self._drawing = sample.x
        self._show_current()

    # -- public API -------------------------------------------------------------------------
    def set_features(self, features: Sequence[str] | None) -> None:
        """The extra inputs (core.features names) of the playground's points after x1, x2, to
        name their values x₁, x₂, x₁², ...; call before set_dataset. None: not a playground."""
        self._features = None if features is None else tuple(features)

    def set_input_names(self, names: Sequence[str] | None) -> None:
        """The inputs' names (session.input_names) when they are values, not a picture's
        pixels, to list them by name; call before set_dataset. None: a picture."""
        self._input_names = None if names is None else tuple(names)

    def set_dataset(self, x_test: np.ndarray, y_test: np.ndarray, class_names: Sequence[str]) -> None:
        """Show the test split of a (new) data set, starting at its first image. With a
        session, the session chooses the sample (and this emits nothing)."""
        self._x = np.asarray(x_test)
        self._y = np.asarray(y_test)
        self._class_names = tuple(str(c) for c in class_names)
        n_in = self._x.shape[1] if self._x.ndim == 2 else 0
        self._input_labels = (
            input_labels(n_in, self._features, self._input_names) if inputs_are_values(n_in, self._input_names) else ()
        )
        self._wrong = None
        self._wrong_step = None
        self._index = 0
        self._drawing = None
        self._build_bars()
        self._update_controls()
        if self._session is not None:
            self._on_session_sample_changed()
            return
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
        """Forget the network (a new one comes with the next snapshot) and its axes; keep
        the data set."""
        self._snapshot = None
        self._wrong = None
        self._wrong_step = None
        self._n_bars = None
        self._build_bars()
        self._set_bottom_label("probability")
        self._bar_plot.setXRange(0.0, 1.0, padding=0.02)
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
        if self._session is not None:
            if self._session.choose_test_sample(i):  # which shows it (_on_session_sample_changed)
                self.sample_changed.emit(i)
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

    def class_axis(self) -> ClassLabelAxis:
        """The bar chart's axis of class names."""
        return self._class_axis

    def value_text(self) -> tuple[str, bool] | None:
        """The value written at the predicted bar and whether it sits inside the bar (None
        when there is no bar)."""
        if not self._predicted_text.isVisible():
            return None
        return self._predicted_text.textItem.toPlainText(), self._predicted_text.anchor.x() == 1

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
            names = ("a",)
            self._threshold_line.setValue(decision_threshold(out) if out else 0.5)
        else:
            names = tuple(class_label(self._class_names, k) for k in range(n))
        self._class_axis.set_names(names)
        self._bar_plot.setYRange(-0.6, n - 0.4, padding=0)

    def _hide_bar_texts(self) -> None:
        self._value_at = None
        self._predicted_text.hide()
        self._true_text.hide()

    def _current(self) -> tuple[np.ndarray, int | None, str] | None:
        """(x, true class or None, source) of the sample shown, or None."""
        if self._session is not None:
            sample = self._session.sample
            return None if sample is None else (sample.x, sample.label, sample.source)
        if not self._n():
            return None
        if self._drawing is not None:
            return self._drawing, None, "drawing"
        return self._x[self._index], int(self._y[self._index]), "test"

    def _sample_pass(self, x: np.ndarray, label: int | None) -> SamplePass | None:
        """The sample through the network shown: the session's shared pass when there is a
        session, else one of its own; None without a network or when x does not fit it."""
        snap = self._snapshot
        if snap is None or snap.sizes[0] != x.size:
            return None
        if self._session is not None:
            p = self._session.sample_pass()
            return p if p is not None and p.net is snap.network else None
        return SamplePass.compute(snap.network, Sample.point(x, label))

    def _show_current(self) -> None:
        self._update_controls()
        current = self._current()
        if current is None:
            self._image.clear()
            self._bars.setOpts(x0=[], y=[], width=[], brushes=[])
            self._hide_bar_texts()
            self._caption.setText("No data set." if not self._n() else "No sample.")
            self._output = self._predicted = None
            self._point_text.hide()
            return
        x, label, source = current
        self._show_input(x)
        self._threshold_line.hide()
        what = {"drawing": "Drawn", "plane": "Point"}.get(source, "Sample")
        snap = self._snapshot
        p = self._sample_pass(x, label)
        if p is None:
            self._output = self._predicted = None
            self._bars.setOpts(x0=[], y=[], width=[], brushes=[])
            self._hide_bar_texts()
            if snap is None:
                reason = "no network yet"
            elif snap.sizes[0] != x.size:
                reason = f"the network expects {snap.sizes[0]} inputs"
            else:
                reason = "not computed yet"
            known = what if label is None else "True: " + class_label(self._class_names, label)
            self._caption.setText(f"{known} ({reason})")
            return
        a = p.output
        self._output = a
        predicted = self._predicted = p.predicted
        out = p.net.activations[-1]
        if len(a) == 1:
            self._show_one_output(float(a[0]), predicted, label, out, what)
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
            self._set_bottom_label("a: not a probability")  # short: the bar plot is narrow on a laptop
            if out == "sigmoid":
                lo, hi = 0.0, 1.0
            elif out == "tanh":
                lo, hi = -1.0, 1.0
            else:
                lo, hi = min(0.0, float(a.min())), max(float(a.max()), 1e-6)
            value = f"a = {a[predicted]:.2f}"
        span = hi - lo
        self._bar_plot.setXRange(lo, hi + 0.22 * span, padding=0.02)  # room for the value text
        right = " ✓ true" if predicted == label else ""
        end = max(float(a[predicted]), 0.0)
        self._value_at = (0.0, end, end, float(predicted), value + right, value)
        self._place_value_text()
        if has_label and label != predicted:
            self._true_text.setText("true", color=TRUE_LABEL)  # the palette may have changed
            self._true_text.setPos(max(a[label], 0.0) + 0.02 * span, label)
            self._true_text.show()
        else:
            self._true_text.hide()

        name = f'<span style="color:{PREDICTED.name()}">{class_label(self._class_names, predicted)}</span>'
        article = with_article(class_label(self._class_names, predicted)).partition(" ")[0]
        if label is None:
            self._caption.set_text_variants(
                (f"{what}: looks like {article} {name} ({value})", f"{what}: {name} ({value})", f"{name} ({value})")
            )
            return
        verdict = "✓" if predicted == label else "✗"
        true = f'<span style="color:{TRUE_LABEL.name()}">{class_label(self._class_names, label)}</span>'
        self._caption.set_text_variants(
            (
                f"Looks like {article} {name} ({value}) — true: {true} {verdict}",
                f"{name} ({value}) — true: {true} {verdict}",
                f"{name} ({value}) {verdict}",
            )
        )

    def _place_value_text(self) -> None:
        """Write the predicted bar's value just past the bar's end if it fits there, else
        inside the bar's end in dark ink; a narrow plot drops the "✓ true" first."""
        if self._value_at is None:
            return
        start, end, outside_from, y, text, short = self._value_at
        item = self._predicted_text
        view = self._bar_plot.getViewBox()
        (x_min, x_max), width = view.viewRange()[0], view.width()
        per_unit = width / (x_max - x_min) if width > 0 and x_max > x_min else 0.0
        metrics = QFontMetricsF(item.textItem.font())
        gap = 0.02 * (x_max - x_min)
        place = (text, False)
        if per_unit:  # laid out: choose by the room there is
            room_outside, room_inside = (x_max - outside_from - gap) * per_unit, (end - start - gap) * per_unit
            fits = [
                (t, inside)
                for t in (text, short)
                for inside, room in ((False, room_outside), (True, room_inside))
                if metrics.horizontalAdvance(t) + 8 <= room
            ]
            place = fits[0] if fits else (short, room_inside > room_outside)
        shown, inside = place
        item.setText(shown)
        if inside:
            item.setAnchor((1, 0.5))
            item.setColor(VALUE_INK)
            item.setPos(end - gap, y)
        else:
            item.setAnchor((0, 0.5))
            item.setColor(PREDICTED)
            item.setPos(outside_from + gap, y)
        item.show()

    def _show_input(self, x: np.ndarray) -> None:
        """The input as a picture, or a playground point's values by name: its x₁ of −4.3
        is a coordinate, not a gray level."""
        if self._input_labels and len(self._input_labels) == x.size:
            self._image.clear()
            shown = min(x.size, MAX_LISTED_VALUES)
            text = format_point(x[:shown], self._input_labels[:shown], sep="\n")
            if shown < x.size:
                text += f"\n… and {x.size - shown} more"
            self._point_text.setText(text)
            font = self._point_text.textItem.font()
            # a table's long column names in a smaller size, so the list fits beside the bars
            font.setPointSizeF(12 if max(map(len, text.splitlines())) <= 12 else 9)
            self._point_text.setFont(font)
            self._point_text.setPos(0.5, 0.5)
            self._point_text.show()
            self._image_view.setRange(QRectF(0, 0, 1, 1), padding=0.02)
            return
        self._point_text.hide()
        side = image_side(x.size)
        picture = x.reshape(side, side) if side else x.reshape(1, -1)
        self._image.setImage(picture, autoLevels=False, levels=(0.0, 1.0))
        self._image_view.setRange(QRectF(0, 0, picture.shape[1], picture.shape[0]), padding=0.02)

    def _show_one_output(self, a: float, predicted: int, label: int | None, out: str, what: str) -> None:
        """One bar for the single output a, the threshold line, and the class it means. The
        bar is the answer's colour, outlined in the true label's colour when it is right,
        as the bar of a digit is."""
        threshold = decision_threshold(out)
        right = label is not None and predicted == label
        pen = pg.mkPen(TRUE_LABEL, width=2) if right else pg.mkPen(None)
        self._bars.setOpts(x0=[min(a, 0.0)], y=[0], width=[abs(a)], brushes=[pg.mkBrush(PREDICTED)], pens=[pen])
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
        shown = f"a = {a:.2f}".replace("-", "−")
        mark = "" if label is None else (" ✓" if right else " ✗")
        self._value_at = (min(a, 0.0), max(a, 0.0), max(a, threshold, lo), 0.0, shown + mark, shown)
        self._place_value_text()
        self._true_text.hide()
        name = f'<span style="color:{PREDICTED.name()}">{class_label(self._class_names, predicted)}</span>'
        if label is None:
            self._caption.set_text_variants(
                (f"{what}: class {name} ({value})", f"{name} ({value})", f"{name} ({shown})")
            )
            return
        verdict = "✓" if right else "✗"
        true = f'<span style="color:{TRUE_LABEL.name()}">{class_label(self._class_names, label)}</span>'
        self._caption.set_text_variants(
            (
                f"Says class {name} ({value}) — true: {true} {verdict}",
                f"{name} ({value}) — true: {true} {verdict}",
                f"{name} ({shown}) {verdict}",
            )
        )
