"""One neuron up close: what it looks for, what makes it fire, what it does with the current
sample, what it votes for, how it changed while learning, and controls to edit it.

Given the window's Session, the inspector shows the session's neuron, sample and data set,
and its spin boxes and clicked test images write back through the session; its equation
reads the session's shared sample pass, so z and a are the network view's. A switched-off
neuron (core.edits) is shown as off: a = 0, passing nothing on.

The statistics over the test split come from a SplitActivations shared with the mistakes
panel (one forward pass per snapshot).

With a playground Plane (set_plane) the "Looks for" page shows the neuron's activation over
the whole plane, large, instead of a weight picture (two inputs make no picture), and the
activation maximiser is not run: the surface already shows where the neuron fires. While
training runs the inspector refreshes at most every REFRESH_INTERVAL_MS and only while it is
visible; selecting a neuron refreshes at once.
"""

from __future__ import annotations

import html
import math
import time
from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QColor, QFont, QFontMetricsF
from PySide6.QtWidgets import (
    QBoxLayout,
    QDoubleSpinBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from visnet.app.activation_maximizer import ActivationMaximizer
from visnet.app.colors import (
    MUTED,
    NEGATIVE,
    POSITIVE,
    PREDICTED,
    class_label,
    diverging_colormap,
    gray_colormap,
    image_side,
    inputs_are_values,
    percent,
    picture_side,
    sign_colours_text,
    symmetric_limit,
    with_article,
)
from visnet.app.network_editor import EditResult, NetworkEditor
from visnet.app.neuron_history import NeuronHistory
from visnet.app.panels.gallery import ImageGallery
from visnet.app.panels.network_view import TILE_COLORMAP, tile_levels
from visnet.app.panels.surface import boundary_segments
from visnet.app.plane import Plane
from visnet.app.session import Session
from visnet.app.split_activations import SplitActivations
from visnet.app.stable import fitting_title
from visnet.app.then_and_now import CHANGE, NOW, THEN, ThenNowChoice, compared
from visnet.app.throttle import VisibleRefresh
from visnet.core.edits import Edit, is_ablated
from visnet.core.features import FEATURE_LABELS, input_names
from visnet.core.neuron_analysis import NeuronStats, contribution_map, effective_pattern, outgoing_weights
from visnet.core.sample_pass import silent_neurons
from visnet.core.snapshot import Snapshot
from visnet.core.targets import decision_threshold, predict_classes

K_EXAMPLES = 16  # most and least activating test images shown
HISTORY_INTERVAL_S = 0.1  # while training, the neurons' history takes a row at most this often
REFRESH_INTERVAL_MS = 500  # while training: at most two refreshes a second
N_BAR_LABELS = 5  # strongest positive and negative bars labelled with their neuron
MAX_VOTE_BARS = 32  # larger next layers show their strongest connections only
TOP_INPUTS = 5  # inputs listed in the equation
MAXIMIZE_INTERVAL_S = 3.0  # while training, recompute the most exciting input this often
COLORBAR_PX = 70  # a colour bar and its tick labels beside a picture
EDIT_HELP = "Edits change the network at once; training pauses first. Undo with Ctrl+Z."


def _neuron_name(layer: int, j: int, sizes, class_names, output: str = "softmax") -> str:
    if layer == len(sizes) - 2:
        return f"output neuron {j} “{_output_meaning(j, sizes[-1], class_names, output)}”"
    return f"neuron {j} of hidden layer {layer + 1}"


def _output_meaning(j: int, n_out: int, class_names, output: str) -> str:
    """What output neuron j stands for: its class, or for a single output (two classes,
    core.targets) the rule 'class 1 if a > 0.5'."""
    if n_out == 1:
        return f"class {class_label(class_names, 1)} if a > {decision_threshold(output):g}"
    return class_label(class_names, j)


def _round_up(v: float) -> float:
    """The smallest 1, 2 or 5 × 10^k at or above v > 0: an axis end a reader takes in at once."""
    power = 10.0 ** math.floor(math.log10(v))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= v)


def _same_parameters(old: Snapshot, new: Snapshot, layer: int) -> bool:
    """Whether neuron layer's input is computed alike in both: the same step is not enough,
    as an edit changes the parameters without a step."""
    if old is new:
        return True
    return old.step == new.step and all(
        np.array_equal(a, b)
        for a, b in zip(
            old.weights[: layer + 1] + old.biases[: layer + 1], new.weights[: layer + 1] + new.biases[: layer + 1]
        )
    )


def _plot(graphics: pg.GraphicsLayoutWidget, row: int, col: int, title: str, **kwargs) -> pg.PlotItem:
    """A plot without menu, buttons or mouse panning, whose title never widens it (it
    shows the longest of its variants that fits: _set_title)."""
    plot = graphics.addPlot(row=row, col=col, title=title, **kwargs)
    plot.setMenuEnabled(False)
    plot.hideButtons()
    plot.setMouseEnabled(False, False)
    fitting_title(plot)
    return plot


def _set_title(plot: pg.PlotItem, *variants: str) -> None:
    """The plot's title: the first of these, longest first, that fits its width (unchanged
    titles are left alone: setting one re-lays out the plot)."""
    if getattr(plot, "_title_variants", None) == variants:
        return
    plot._title_variants = variants
    plot.setTitle(variants[0])
    plot.titleLabel.set_text_variants(variants)


def _picture(title: str, colormap) -> tuple[pg.GraphicsLayoutWidget, pg.PlotItem, pg.ImageItem]:
    """A square picture in a view of its own, so that a PictureStrip can lay it out."""
    graphics = pg.GraphicsLayoutWidget()
    graphics.setMinimumSize(80, 80)
    plot, image = _image_plot(graphics, 0, 0, title, colormap)
    return graphics, plot, image


def _show_view(graphics: pg.GraphicsLayoutWidget, on: bool) -> None:
    """Show or hide a view holding one plot. The plot itself stays visible in its layout:
    hidden, it lets the layout shrink to its minimum, which showing it again does not undo
    unless the view happens to be resized."""
    graphics.setVisible(on)


class PictureStrip(QWidget):
    """Square pictures with titles, side by side when that draws them larger and one above
    the other when not (a narrow or a tall dock); hidden ones take no room."""

    TITLE_PX = 30  # a plot's title row
    MARGIN_PX = 24  # a picture's margins

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._box = QBoxLayout(QBoxLayout.Direction.LeftToRight, self)
        self._box.setContentsMargins(0, 0, 0, 0)
        self._box.setSpacing(4)
        self._pictures: list[tuple[QWidget, int]] = []

    def add(self, picture: QWidget, beside: int = 0) -> None:
        """Add a picture with `beside` pixels of something beside it (a colour bar)."""
        self._box.addWidget(picture, 1)
        self._pictures.append((picture, beside + self.MARGIN_PX))

    def side_by_side(self) -> bool:
        return self._box.direction() == QBoxLayout.Direction.LeftToRight

    def arrange(self) -> None:
        """Choose the direction that draws the shown pictures largest (call when one is shown or hidden)."""
        extra = [beside for p, beside in self._pictures if not p.isHidden()]
        n, w, h = len(extra), self.width(), self.height()
        if n < 2 or w <= 1 or h <= 1:
            return
        across = min(w / n - max(extra), h - self.TITLE_PX)  # each gets an equal share of the width
        down = min(w - max(extra), h / n - self.TITLE_PX)
        direction = QBoxLayout.Direction.LeftToRight if across >= down else QBoxLayout.Direction.TopToBottom
        if self._box.direction() != direction:
            self._box.setDirection(direction)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        super().resizeEvent(event)
        self.arrange()


def _image_plot(graphics, row, col, title, colormap, colspan=1) -> tuple[pg.PlotItem, pg.ImageItem]:
    """A plot without axes showing one square image (y down)."""
    plot = _plot(graphics, row, col, title, colspan=colspan)
    plot.hideAxis("left")
    plot.hideAxis("bottom")
    plot.setAspectLocked(True)
    plot.invertY(True)
    image = pg.ImageItem(axisOrder="row-major")
    image.setColorMap(colormap)
    plot.addItem(image)
    return plot, image


class SignedBars:
    """A bar chart of signed values (POSITIVE and NEGATIVE colours) with a few labelled bars,
    whose labels are a fixed pool of TextItems. Labels and tick names that would run into
    each other at the plot's width are left out (re-chosen when it is resized)."""

    def __init__(self, plot: pg.PlotItem, n_labels: int = 2 * N_BAR_LABELS):
        self.plot = plot
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.8)
        plot.addItem(self.bars)
        plot.showGrid(y=True, alpha=0.2)
        font = QFont()
        font.setPointSizeF(8)
        self._metrics = QFontMetricsF(font)
        self._label_px = self._metrics.height() + 4 if n_labels else 0.0
        self._span = 1.0
        self._values = np.zeros(0)
        self._names: list[str] = []
        self._labelled = np.empty(0, int)
        self._ticks: list[tuple[int, str]] | None = None
        plot.getViewBox().sigResized.connect(self._on_resized)
        self.labels = []
        for _ in range(n_labels):
            t = pg.TextItem("", color=(230, 230, 230), anchor=(0.5, 1.0))
            t.setFont(font)
            t.textItem.document().setDocumentMargin(1)  # _label_px is its whole height
            plot.addItem(t, ignoreBounds=True)
            self.labels.append(t)

    def set(
        self,
        values: np.ndarray,
        names: list[str],
        labelled: np.ndarray | None = None,
        ticks: list[tuple[int, str]] | None = None,
    ) -> None:
        """values (n,) drawn at x = 0..n-1; labelled: positions to write names[pos] above/below."""
        values = np.asarray(values, dtype=np.float64)
        n = len(values)
        brushes = [pg.mkBrush(POSITIVE if v >= 0 else NEGATIVE) for v in values]
        self.bars.setOpts(x=np.arange(n), height=values, width=0.8, brushes=brushes, pen=None, pens=None)
        span = float(np.max(np.abs(values))) if n else 1.0
        self._span = span if span > 0 else 1.0
        self._values, self._names, self._ticks = values, names, ticks
        self._labelled = np.empty(0, int) if labelled is None else np.sort(np.asarray(labelled, int))
        self.plot.setXRange(-0.6, max(n, 1) - 0.4, padding=0)
        self._on_resized()

    def _on_resized(self, *_) -> None:
        self._fit_y_range()
        self._place_labels()

    def _bar_px(self) -> float:
        """The width of one bar's slot in screen pixels (0 before the plot is laid out)."""
        return self.plot.getViewBox().width() / max(len(self._values) + 0.2, 1)

    def _place_labels(self) -> None:
        values, names, bar_px = self._values, self._names, self._bar_px()
        axis = self.plot.getAxis("bottom")
        ticks = self._ticks
        if ticks and bar_px > 0:  # every k-th name, k such that neighbours do not touch
            widest = max(self._metrics.horizontalAdvance(name) for _, name in ticks) + 6
            ticks = ticks[:: max(1, math.ceil(widest / bar_px))]
        axis.setTicks([ticks] if ticks is not None else [[]])  # sorted bars: the labels name them
        shown: list[tuple[int, float]] = []  # (bar, horizontal anchor)
        last = {True: -math.inf, False: -math.inf}  # the last label's right edge (px), above and below
        view_px = bar_px * (len(values) + 0.2)
        for pos in self._labelled[: len(self.labels)]:
            pos = int(pos)
            width = self._metrics.horizontalAdvance(names[pos]) + 4
            centre, up = (pos + 0.6) * bar_px, bool(values[pos] >= 0)
            # At either end a label leans inwards rather than over the axis or out of the plot.
            ax = 0.0 if centre < width / 2 else 1.0 if centre + width / 2 > view_px else 0.5
            left = centre - ax * width
            if bar_px > 0 and left < last[up]:
                continue  # it would run into its neighbour
            last[up] = left + width
            shown.append((pos, ax if bar_px > 0 else 0.5))
        for t, label in enumerate(self.labels):
            if t < len(shown):
                pos, ax = shown[t]
                v = values[pos]
                label.setText(names[pos])
                label.setAnchor((ax, 1.0) if v >= 0 else (ax, 0.0))
                label.setPos(pos, v)
                label.show()
            else:
                label.hide()

    def label_rects(self) -> list:
        """The shown labels' places in scene coordinates (for layout tests)."""
        return [label.sceneBoundingRect() for label in self.labels if label.isVisible()]

    def _fit_y_range(self) -> None:
        """±span with room above and below the longest bars for a label's height in pixels,
        whatever the plot's height."""
        height = self.plot.getViewBox().height()
        room = 2 * self._label_px / height if height > 1 else 0.3
        top = self._span * (1.05 + min(room / max(1 - room, 0.2), 1.5))
        self.plot.setYRange(-top, top, padding=0)


class NeuronInspector(QWidget):
    """Everything about one neuron (layer, j), layer indexing Network.weights."""

    draws_hidden = True  # its neurons' history takes a row from the snapshots, seen or not

    neuron_selected = Signal(int, int)  # chosen with the spin boxes
    sample_requested = Signal(int)  # a test image was clicked: make it the current sample

    def __init__(
        self,
        split: SplitActivations | None = None,
        editor: NetworkEditor | None = None,
        parent: QWidget | None = None,
        *,
        session: Session | None = None,
    ):
        """With a session the inspector follows its neuron, sample and data set, and writes
        the user's choices (a neuron, a test image) back to it; without one the window
        calls the setters (select_neuron, set_sample, set_dataset, set_plane)."""
        super().__init__(parent)
        self.session = session
        self.split = split or SplitActivations()
        self.split.computed.connect(self._schedule_refresh)
        self.editor = editor
        self.history = NeuronHistory()
        self.maximizer = ActivationMaximizer(self)
        self._snap: Snapshot | None = None  # drawn
        self._plane: Plane | None = None
        self._input_names: tuple[str, ...] | None = None  # set_input_names: a table's columns, ...
        self._surface_shown = False
        self._incoming: Snapshot | None = None  # newest received, not drawn yet
        self._neuron: tuple[int, int] = (0, 0)
        self._x: np.ndarray | None = None
        self._label: int | None = None
        self._stats: NeuronStats | None = None
        self._maximized_for: tuple | None = None  # (snapshot, layer, j) of the shown picture
        self._maximized_at = 0.0
        self._recorded_at = float("-inf")
        self._refresh = VisibleRefresh(self, self._refresh_from_incoming, REFRESH_INTERVAL_MS)
        self.fill_ms = 0.0  # how long the last fill took (for the benchmark)

        # -- header: which neuron --
        self.layer_spin = QSpinBox()
        self.layer_spin.setToolTip("Layer: 1 is the first hidden layer; the last is the output")
        self.layer_spin.setRange(1, 1)
        self.neuron_spin = QSpinBox()
        self.neuron_spin.setToolTip("Neuron index within the layer (from 0)")
        self.neuron_spin.setRange(0, 0)
        for spin in (self.layer_spin, self.neuron_spin):
            spin.setKeyboardTracking(False)
            spin.valueChanged.connect(self._on_spin_changed)
        self.title_label = QLabel("No network yet.")
        self.title_label.setWordWrap(True)
        head = QHBoxLayout()
        head.addWidget(QLabel("Layer"))
        head.addWidget(self.layer_spin)
        head.addWidget(QLabel("neuron"))
        head.addWidget(self.neuron_spin)
        head.addStretch(1)

        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self._build_looks_page(), "Looks for")
        self.tabs.addTab(self._build_fires_page(), "Fires on")
        self.tabs.addTab(self._build_sample_page(), "This sample")
        self.tabs.addTab(self._build_votes_page(), "Votes for")
        self.tabs.addTab(self._build_history_page(), "History")
        self.tabs.addTab(self._build_edit_page(), "Edit")
        self.tabs.setTabToolTip(
            0, "Its incoming weights, its effective input pattern and the input that excites it most"
        )
        self.tabs.setTabToolTip(
            1, "Its activation over the test split and the test images that excite it most and least"
        )
        self.tabs.setTabToolTip(2, "Its equation with the real numbers for the current sample")
        self.tabs.setTabToolTip(3, "Its outgoing weights: how it pushes each neuron of the next layer")
        self.tabs.setTabToolTip(4, "Its weight norm and update size during training")
        self.tabs.setTabToolTip(5, "Switch it off, scale its weights, shift its bias or set one weight")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(head)
        layout.addWidget(self.title_label)
        layout.addWidget(self.tabs, 1)

        self.maximizer.progressed.connect(self._on_maximizer_progressed)
        self.maximizer.found.connect(self._on_maximizer_found)
        if editor is not None:
            editor.edited.connect(self._on_edited)
            editor.history_changed.connect(self._on_edit_history_changed)
            self._on_edit_history_changed()  # edits made before this panel was built
        if session is not None:
            session.neuron_changed.connect(self._on_session_neuron_changed)
            session.sample_changed.connect(self._on_session_sample_changed)
            session.dataset_changed.connect(self._on_session_dataset_changed)
            self._on_session_dataset_changed()
            self._on_session_sample_changed()
            self._on_session_neuron_changed()
            if session.snapshot is not None:
                self.show_snapshot(session.snapshot)

    # -- pages ------------------------------------------------------------------------------
    def _build_looks_page(self) -> QWidget:
        # Each picture is a view of its own in a PictureStrip, which lays them out side by side
        # or stacked, whichever draws them larger; the bar chart and the plane sit above.
        bars = pg.GraphicsLayoutWidget()
        bars.setMinimumHeight(150)  # a title, the bars with their labels, an axis and its label
        self.incoming_graphics = bars
        self.incoming_plot = _plot(bars, 0, 0, "incoming weights, sorted")
        self.incoming_plot.setLabel("bottom", "previous-layer neurons, strongest first")
        self.incoming_bars = SignedBars(self.incoming_plot)
        self.weights_graphics, self.weights_plot, self.weights_image = _picture("its weights", diverging_colormap())
        self.weights_colorbar = pg.ColorBarItem(
            values=(-1, 1), colorMap=diverging_colormap(), interactive=False, width=12
        )
        self.weights_colorbar.setImageItem(self.weights_image, insert_in=self.weights_plot)
        self.pattern_graphics, self.pattern_plot, self.pattern_image = _picture(
            "effective input pattern", diverging_colormap()
        )
        self.maximum_graphics, self.maximum_plot, self.maximum_image = _picture("most exciting input", gray_colormap())
        _set_title(self.maximum_plot, "most exciting input", "most exciting")
        self.then_now = ThenNowChoice(self.session)  # while looking back: that moment, now, or the change
        self.then_now.changed.connect(lambda _: self.refresh_now())
        self.pictures = PictureStrip()
        self.pictures.add(self.weights_graphics, beside=COLORBAR_PX)
        self.pictures.add(self.pattern_graphics)
        self.pictures.add(self.maximum_graphics)
        # The playground: its activation over the plane, x2 pointing up (core.surface's rows).
        surface = pg.GraphicsLayoutWidget()
        self.surface_graphics = surface
        self.surface_plot = _plot(surface, 0, 0, "its activation over the plane")
        self.surface_plot.setLabel("bottom", "x₁")
        self.surface_plot.setLabel("left", "x₂")
        self.surface_plot.getAxis("left").setWidth(36)
        self.surface_plot.setAspectLocked(True)
        self.surface_image = pg.ImageItem(axisOrder="row-major")
        self.surface_image.setColorMap(TILE_COLORMAP)
        self.surface_plot.addItem(self.surface_image)
        self.surface_colorbar = pg.ColorBarItem(
            values=(-1, 1), colorMap=TILE_COLORMAP, interactive=False, width=12, label="a"
        )
        self.surface_colorbar.setImageItem(self.surface_image, insert_in=self.surface_plot)
        self.surface_contour = pg.PlotCurveItem(pen=pg.mkPen(25, 25, 30, width=2), connect="pairs")
        self.surface_plot.addItem(self.surface_contour, ignoreBounds=True)
        self.surface_sample = pg.ScatterPlotItem(
            size=11, symbol="o", pen=pg.mkPen(20, 20, 24, width=2), brush=pg.mkBrush(255, 255, 255)
        )
        self.surface_plot.addItem(self.surface_sample, ignoreBounds=True)
        self.looks_note = QLabel()
        self.looks_note.setWordWrap(True)
        self.looks_note.setStyleSheet(f"color: {MUTED.name()}")
        self.maximum_label = QLabel()
        self.maximum_label.setWordWrap(True)
        self.maximum_label.setStyleSheet(f"color: {MUTED.name()}")
        page = QWidget()
        v = QVBoxLayout(page)
        v.setContentsMargins(0, 4, 0, 0)
        v.setSpacing(4)
        v.addWidget(surface, 5)  # the plane first: a few bars need little height
        v.addWidget(self.then_now)
        v.addWidget(bars, 2)
        v.addWidget(self.pictures, 3)
        v.addWidget(self.looks_note)
        v.addWidget(self.maximum_label)
        # Only once every view has its parent: showing a parentless widget opens a window of
        # its own, which took the keyboard from the main window.
        self._show_on_looks_page(surface=False, bars=False, weights=True, pattern=False, maximum=True)
        return page

    def _show_on_looks_page(self, *, surface: bool, bars: bool, weights: bool, pattern: bool, maximum: bool) -> None:
        """Show these parts of the "Looks for" page (the views holding them)."""
        parts = (
            (surface, self.surface_graphics),
            (bars, self.incoming_graphics),
            (weights, self.weights_graphics),
            (pattern, self.pattern_graphics),
            (maximum, self.maximum_graphics),
        )
        for on, graphics in parts:
            _show_view(graphics, on)
        self.pictures.setVisible(weights or pattern or maximum)
        self.pictures.arrange()

    def _build_fires_page(self) -> QWidget:
        g = pg.GraphicsLayoutWidget()
        g.setMaximumHeight(190)
        self.histogram_plot = _plot(g, 0, 0, "its activation a over the test split")
        _set_title(self.histogram_plot, "its activation a over the test split", "its activation a", "a")
        self.histogram_plot.setLabel("left", "images")
        self.histogram_curve = pg.PlotDataItem(
            stepMode="center", fillLevel=0, brush=(110, 130, 160, 180), pen=pg.mkPen(150, 170, 200)
        )
        self.histogram_plot.addItem(self.histogram_curve)
        self.sample_line = pg.InfiniteLine(
            angle=90,
            pen=pg.mkPen(PREDICTED, width=2),
            label="this sample",
            labelOpts={"position": 0.9, "color": PREDICTED},
        )
        self.histogram_plot.addItem(self.sample_line, ignoreBounds=True)
        self.histogram_plot.sigXRangeChanged.connect(self._place_sample_label)
        self.top_gallery = ImageGallery(columns=4, max_captions=K_EXAMPLES)
        self.bottom_gallery = ImageGallery(columns=4, max_captions=K_EXAMPLES)
        for gallery in (self.top_gallery, self.bottom_gallery):
            gallery.image_clicked.connect(self._on_gallery_image_clicked)
            gallery.describe = self._describe_test_image
        self.fires_summary = QLabel()
        self.fires_summary.setWordWrap(True)
        grid = QGridLayout()
        self.top_title = QLabel(f"<b>{K_EXAMPLES} that excite it most</b>")
        self.bottom_title = QLabel(f"<b>{K_EXAMPLES} that excite it least</b>")
        grid.addWidget(self.top_title, 0, 0)
        grid.addWidget(self.bottom_title, 0, 1)
        grid.addWidget(self.top_gallery, 1, 0)
        grid.addWidget(self.bottom_gallery, 1, 1)
        page = QWidget()
        v = QVBoxLayout(page)
        v.setContentsMargins(0, 4, 0, 0)
        v.addWidget(g)
        v.addWidget(self.fires_summary)
        v.addLayout(grid, 1)
        self.fires_hint = QLabel("Click an image to make it the current sample.")
        self.fires_hint.setStyleSheet(f"color: {MUTED.name()}")
        v.addWidget(self.fires_hint)
        return page

    def _build_sample_page(self) -> QWidget:
        self.equation_label = QLabel()
        self.equation_label.setWordWrap(True)
        self.equation_label.setTextFormat(Qt.TextFormat.RichText)
        self.equation_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # A picture for pixels, bars otherwise: each in a view of its own, so the hidden one takes no room.
        self.contribution_graphics, self.contribution_plot, self.contribution_image = _picture(
            "w ⊙ x: what each pixel adds to z", diverging_colormap()
        )
        _set_title(self.contribution_plot, "w ⊙ x: what each pixel adds to z", "what each pixel adds to z", "w ⊙ x")
        self.contribution_colorbar = pg.ColorBarItem(
            values=(-1, 1), colorMap=diverging_colormap(), interactive=False, width=12, label="w·x"
        )
        self.contribution_colorbar.setImageItem(self.contribution_image, insert_in=self.contribution_plot)
        bars = pg.GraphicsLayoutWidget()
        bars.setMinimumHeight(150)
        self.contribution_bar_graphics = bars
        self.contribution_bar_plot = _plot(bars, 0, 0, "wᵢ·aᵢ per previous-layer neuron, largest first")
        self.contribution_bars = SignedBars(self.contribution_bar_plot)
        _show_view(bars, False)
        page = QWidget()
        v = QVBoxLayout(page)
        v.setContentsMargins(0, 4, 0, 0)
        v.addWidget(self.equation_label)
        v.addWidget(self.contribution_graphics, 1)
        v.addWidget(bars, 1)
        return page

    def _build_votes_page(self) -> QWidget:
        g = pg.GraphicsLayoutWidget()
        self.votes_graphics = g
        self.votes_plot = _plot(g, 0, 0, "outgoing weights")
        self.votes_plot.setLabel("left", "weight")
        self.votes_plot.getAxis("bottom").enableAutoSIPrefix(False)  # a single bar's range made it "x0.001"
        self.votes_bars = SignedBars(self.votes_plot, n_labels=0)
        self.votes_label = QLabel()
        self.votes_label.setWordWrap(True)
        self.votes_label.setTextFormat(Qt.TextFormat.RichText)  # its names are escaped HTML
        page = QWidget()
        v = QVBoxLayout(page)
        v.setContentsMargins(0, 4, 0, 0)
        v.addWidget(self.votes_label, 0, Qt.AlignmentFlag.AlignTop)  # alone (an output neuron): at the top
        v.addWidget(g, 1)
        return page

    def _build_history_page(self) -> QWidget:
        g = pg.GraphicsLayoutWidget()
        self.norm_plot = _plot(g, 0, 0, "‖w‖: size of its incoming weights")
        _set_title(self.norm_plot, "‖w‖: size of its incoming weights", "‖w‖: its weights' size", "‖w‖")
        self.norm_plot.setMouseEnabled(True, True)
        self.norm_curve = self.norm_plot.plot(pen=pg.mkPen(POSITIVE, width=2))
        self.update_plot = _plot(g, 1, 0, "per mini-batch: update ‖Δw‖ and gradient ‖∂C/∂w‖")
        _set_title(
            self.update_plot,
            "per mini-batch: update ‖Δw‖ and gradient ‖∂C/∂w‖",
            "update ‖Δw‖ and gradient ‖∂C/∂w‖",
            "‖Δw‖ and ‖∂C/∂w‖",
        )
        self.update_plot.setMouseEnabled(True, True)
        self.update_plot.setLabel("bottom", "epoch")
        self.update_plot.setLogMode(y=True)
        self.update_plot.setXLink(self.norm_plot)
        self.update_curve = self.update_plot.plot(pen=pg.mkPen(PREDICTED, width=1.5), name="update ‖Δw‖")
        self.grad_curve = self.update_plot.plot(pen=pg.mkPen(POSITIVE, width=1.5), name="gradient ‖∂C/∂w‖")
        self.update_plot.addLegend(offset=(-10, 5))
        self.update_plot.legend.addItem(self.update_curve, "update ‖Δw‖")
        self.update_plot.legend.addItem(self.grad_curve, "gradient ‖∂C/∂w‖")
        for plot in (self.norm_plot, self.update_plot):
            plot.showGrid(x=True, y=True, alpha=0.2)
            plot.getAxis("left").enableAutoSIPrefix(False)
            plot.setDownsampling(auto=True, mode="peak")
            plot.setClipToView(True)
        note = QLabel(
            "Recorded from the frames drawn while training. The update size is ‖Δw‖ between two "
            "frames divided by the mini-batches in between; the gradient is ‖∂C/∂w‖ of the last "
            "mini-batch before each frame."
        )
        note.setWordWrap(True)
        note.setStyleSheet(f"color: {MUTED.name()}")
        self.history_message = QLabel("Train to record this neuron's history.")
        self.history_message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.history_message.setStyleSheet(f"color: {MUTED.name()}")
        page = QWidget()
        v = QVBoxLayout(page)
        v.setContentsMargins(0, 4, 0, 0)
        v.addWidget(self.history_message)
        v.addWidget(g, 1)
        v.addWidget(note)
        return page

    def _build_edit_page(self) -> QWidget:
        self.ablate_button = QPushButton("Switch it off")
        self.ablate_button.setToolTip("Set its outgoing weights to zero: the next layer no longer hears it")
        self.ablate_button.clicked.connect(self._on_ablate_clicked)
        self.scale_spin = QDoubleSpinBox()
        self.scale_spin.setRange(-10, 10)
        self.scale_spin.setDecimals(2)
        self.scale_spin.setSingleStep(0.1)
        self.scale_spin.setValue(0.5)
        self.scale_spin.setToolTip(
            "The factor for Scale incoming weights: below 1 the neuron reacts less to its input, "
            "above 1 more (a sigmoid saturates sooner), negative flips what it looks for"
        )
        self.scale_button = QPushButton("Scale incoming weights")
        self.scale_button.setToolTip(
            "Multiply every incoming weight of this neuron by the factor on the left, and watch how the "
            "answer and the accuracy change (Undo takes it back)"
        )
        self.scale_button.clicked.connect(self._on_scale_clicked)
        self.bias_spin = QDoubleSpinBox()
        self.bias_spin.setRange(-100, 100)
        self.bias_spin.setDecimals(2)
        self.bias_spin.setValue(1.0)
        self.bias_spin.setToolTip(
            "How much Shift bias by adds to the bias b: a larger b makes the neuron fire more easily, "
            "a smaller (negative) one makes it harder"
        )
        self.bias_button = QPushButton("Shift bias by")
        self.bias_button.setToolTip(
            "Add the amount on the left to this neuron's bias: moves its threshold without changing "
            "what it looks for (Undo takes it back)"
        )
        self.bias_button.clicked.connect(self._on_shift_bias_clicked)
        self.weight_index_spin = QSpinBox()
        self.weight_index_spin.setToolTip("Input index i (a pixel r·28 + c for the first layer)")
        self.weight_value_spin = QDoubleSpinBox()
        self.weight_value_spin.setRange(-100, 100)
        self.weight_value_spin.setDecimals(3)
        self.weight_value_spin.setToolTip(
            "The value Set weight gives the weight from input i: see what one connection changes"
        )
        self.weight_button = QPushButton("Set weight")
        self.weight_button.setToolTip(
            "Give the weight from input i the value on the left (Undo takes it back); the weight "
            "picture and the answer change at once"
        )
        self.weight_button.clicked.connect(self._on_set_weight_clicked)
        self.weight_index_spin.valueChanged.connect(self._on_weight_index_changed)
        self.undo_button = QToolButton()
        self.redo_button = QToolButton()
        self.undo_button.setText("Undo")
        self.redo_button.setText("Redo")
        self.edit_result_label = QLabel(EDIT_HELP)
        self.edit_result_label.setWordWrap(True)
        self.edits_list = QListWidget()
        self.edits_list.setToolTip("Edits in force, oldest first; they are saved with the model")
        grid = QGridLayout()
        grid.addWidget(self.ablate_button, 0, 0, 1, 3)
        grid.addWidget(self.scale_button, 1, 0)
        grid.addWidget(QLabel("×"), 1, 1)
        grid.addWidget(self.scale_spin, 1, 2)
        grid.addWidget(self.bias_button, 2, 0)
        grid.addWidget(self.bias_spin, 2, 2)
        grid.addWidget(self.weight_button, 3, 0)
        weight_row = QHBoxLayout()
        weight_row.addWidget(QLabel("i"))
        weight_row.addWidget(self.weight_index_spin)
        weight_row.addWidget(QLabel("to"))
        weight_row.addWidget(self.weight_value_spin)
        grid.addLayout(weight_row, 3, 1, 1, 2)
        undo_row = QHBoxLayout()
        undo_row.addWidget(self.undo_button)
        undo_row.addWidget(self.redo_button)
        undo_row.addStretch(1)
        page = QWidget()
        v = QVBoxLayout(page)
        v.setContentsMargins(0, 4, 0, 0)
        v.addLayout(grid)
        v.addWidget(self.edit_result_label)
        v.addLayout(undo_row)
        v.addWidget(QLabel("<b>Edits of this network</b>"))
        v.addWidget(self.edits_list, 1)
        return page

    def set_edit_actions(self, undo_action, redo_action) -> None:
        """Show the window's Undo/Redo actions as buttons on the Edit page."""
        self.undo_button.setDefaultAction(undo_action)
        self.redo_button.setDefaultAction(redo_action)

    # -- public API -------------------------------------------------------------------------
    def show_snapshot(self, snap: Snapshot) -> None:
        """Record the neurons' history (not of a moment looked back at: the history already
        holds it); redraw soon (throttled while training, and only when visible)."""
        if self.session is None or not self.session.looking_back:
            self.follow_live(snap)
        if self._incoming is not None and snap.sizes != self._incoming.sizes:
            self._neuron = (0, 0)
        self._incoming = snap
        self._schedule_refresh()

    def follow_live(self, snap: Snapshot) -> None:
        """Record the neurons' history from a live snapshot (also while the user looks back)."""
        if snap.state != "running" or time.monotonic() - self._recorded_at >= HISTORY_INTERVAL_S:
            self.history.record(snap)  # ~2.5 ms for 784-512-512-10: not for every frame
            self._recorded_at = time.monotonic()
        if self.then_now.present() is not None and self.then_now.mode != THEN:
            self._schedule_refresh()  # "now" moved on

    @Slot()
    def _schedule_refresh(self) -> None:  # also when background test-split activations arrive
        self._refresh.request_for(self._incoming)

    def reset(self) -> None:
        """A different network: forget its history and the drawn snapshot, and clear every
        number, picture and axis drawn for it."""
        self.maximizer.cancel()
        self._refresh.cancel()
        self.history.clear()
        self._snap = self._incoming = None
        self._stats = None
        self._maximized_for = None
        self._neuron = (0, 0)
        self.title_label.setText("No network yet.")
        for label in (self.equation_label, self.votes_label, self.fires_summary, self.maximum_label):
            label.setText("")
        self.edit_result_label.setText(EDIT_HELP)
        for image in (
            self.weights_image,
            self.pattern_image,
            self.maximum_image,
            self.contribution_image,
            self.surface_image,
        ):
            image.clear()
        self._surface_shown = False
        self.surface_contour.setData([], [])
        self.surface_sample.setData([], [])
        for bars in (self.incoming_bars, self.contribution_bars, self.votes_bars):
            bars.set(np.zeros(0), [])
        for colorbar in (self.weights_colorbar, self.contribution_colorbar, self.surface_colorbar):
            colorbar.setLevels((-1, 1))
        _set_title(self.incoming_plot, "incoming weights, sorted", "incoming weights")
        _set_title(self.surface_plot, "its activation over the plane", "its activation")
        self.votes_plot.setLabel("bottom", "")
        self.histogram_curve.setData([], [])
        self.histogram_plot.setRange(xRange=(0, 1), yRange=(0, 1), padding=0)
        self.histogram_plot.enableAutoRange()  # for the next network's values
        self.sample_line.hide()
        for gallery in (self.top_gallery, self.bottom_gallery):
            gallery.set_images(np.zeros((0, 784), np.float32), [])
        self._show_empty_history(None)
        for spin in (self.layer_spin, self.neuron_spin, self.weight_index_spin):
            spin.blockSignals(True)
            spin.setRange(spin.minimum(), spin.minimum())
            spin.blockSignals(False)

    def set_hint_visible(self, on: bool) -> None:
        """Show or hide the "click an image" hint (left out of exported pictures)."""
        self.fires_hint.setVisible(on)

    def set_plane(self, plane: Plane | None) -> None:
        """The playground plane the networks shown take their inputs from, or None (digit
        data). A network that fits it is shown by its activation over the plane, from
        plane.surface_for(snapshot), which the panels showing the plane share."""
        if plane is self._plane:
            return
        self._plane = plane
        self._maximized_for = None
        self.maximizer.cancel()
        self._label_galleries()
        if self._snap is not None or self._incoming is not None:
            self.refresh_now()

    def plane(self) -> Plane | None:
        return self._plane

    def set_input_names(self, names: Sequence[str] | None) -> None:
        """The inputs' names (session.input_names) when they are values, not a picture's
        pixels: the weights are then bars by name, the top and bottom inputs rows of a
        table. None: a square input is a picture."""
        names = None if names is None else tuple(names)
        if names == self._input_names:
            return
        self._input_names = names
        self._maximized_for = None
        self._label_galleries()
        if self._snap is not None or self._incoming is not None:
            self.refresh_now()

    def _label_galleries(self) -> None:
        plane = self._plane
        names = self._input_names
        if plane is not None:
            names = tuple(FEATURE_LABELS[n] for n in input_names(plane.features))
        for gallery in (self.top_gallery, self.bottom_gallery):
            gallery.set_input_labels(names)

    def _plane_for(self, snap: Snapshot) -> Plane | None:
        """The plane if this snapshot's network is drawn on it, else None."""
        return self._plane if self._plane is not None and self._plane.fits(snap.sizes) else None

    def _side(self, snap: Snapshot) -> int | None:
        """The side of the input picture, or None (a playground point is no picture)."""
        if self._plane_for(snap) is not None or inputs_are_values(snap.sizes[0], self._input_names):
            return None
        return picture_side(snap.sizes[0])

    def _input_name(self, snap: Snapshot, i: int) -> str:
        """Input i's name: a pixel (r, c), a playground input (x₁, x₁² ...), or "input i"."""
        plane = self._plane_for(snap)
        if plane is not None:
            return FEATURE_LABELS[input_names(plane.features)[i]]
        side = self._side(snap)
        if side:
            return f"pixel ({i // side}, {i % side})"
        names = self._input_names
        return names[i] if names is not None and i < len(names) else f"input {i}"

    def surface_array(self) -> np.ndarray | None:
        """The activation surface shown on the "Looks for" page, (res, res) with row 0 at the
        bottom of the plane; None when none is shown."""
        return self.surface_image.image if self._surface_shown else None

    def set_dataset(self, x_test: np.ndarray, y_test: np.ndarray, class_names) -> None:
        self.split.set_dataset(x_test, y_test, class_names)
        self._refresh.request(running=False)

    def set_sample(self, x: np.ndarray | None, label: int | None = None) -> None:
        """The current sample for the equation page (any input, e.g. a drawn digit)."""
        self._x = None if x is None else np.asarray(x, np.float32).ravel()
        self._label = label
        if self._snap is not None:
            self._fill_sample()

    def select_neuron(self, layer: int, j: int) -> None:
        """Show neuron (layer, j) (selected elsewhere); does not emit neuron_selected."""
        self._neuron = (int(layer), int(j))
        self._sync_spins()
        self.refresh_now()

    def neuron(self) -> tuple[int, int]:
        return self._neuron

    def stats(self) -> NeuronStats | None:
        """The statistics over the test split of the neuron shown."""
        return self._stats

    def top_indices(self) -> np.ndarray:
        return self.top_gallery.indices()

    def bottom_indices(self) -> np.ndarray:
        return self.bottom_gallery.indices()

    def refresh_now(self) -> None:
        """Draw the newest snapshot for the selected neuron now, visible or not."""
        self._refresh.run_now()

    def _refresh_from_incoming(self) -> None:
        if self._incoming is not None:
            self._snap = self._incoming
        self._fill()

    def shutdown(self) -> None:
        """Stop the activation-maximisation thread (call before the window closes)."""
        self._refresh.cancel()
        self.maximizer.shutdown()

    def closeEvent(self, event) -> None:
        self.shutdown()
        super().closeEvent(event)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._refresh.shown()

    # -- refreshing -------------------------------------------------------------------------
    def _sync_spins(self) -> None:
        snap = self._incoming or self._snap
        if snap is None:
            return
        layer, j = self._neuron
        n_layers = len(snap.sizes) - 1
        layer = min(max(layer, 0), n_layers - 1)
        j = min(max(j, 0), snap.sizes[layer + 1] - 1)
        self._neuron = (layer, j)
        for spin in (self.layer_spin, self.neuron_spin):
            spin.blockSignals(True)
        self.layer_spin.setRange(1, n_layers)
        self.layer_spin.setValue(layer + 1)
        self.neuron_spin.setRange(0, snap.sizes[layer + 1] - 1)
        self.neuron_spin.setValue(j)
        self.weight_index_spin.setRange(0, snap.sizes[layer] - 1)
        for spin in (self.layer_spin, self.neuron_spin):
            spin.blockSignals(False)

    def _fill(self) -> None:
        snap = self._snap
        if snap is None:
            return
        t0 = time.perf_counter()
        self._sync_spins()
        layer, j = self._neuron
        net = snap.network
        names = self.split.class_names
        b = float(snap.biases[layer][j])
        act = snap.activations[layer]
        name = _neuron_name(layer, j, snap.sizes, names, snap.activations[-1])
        self.title_label.setText(
            f"<b>{html.escape(name)}</b> — {act}, bias b = {b:+.3f}, "
            f"‖w‖ = {float(np.linalg.norm(snap.weights[layer][j])):.3f} (step {snap.step:,})"
        )
        self._fill_looks(snap, layer, j)
        self._fill_fires(snap, layer, j)
        self._fill_sample()
        self._fill_votes(snap, layer, j)
        self._fill_history(layer, j)
        self._update_edit_controls(net, layer, j)
        self._maybe_maximize(snap, layer, j)
        self.fill_ms = 1000 * (time.perf_counter() - t0)

    def _fill_looks(self, snap: Snapshot, layer: int, j: int) -> None:
        present = self.then_now.present()
        now = present.weights[layer][j] if present is not None and present.sizes == snap.sizes else None
        w, lim = compared(snap.weights[layer][j], now, self.then_now.mode)
        side = self._side(snap)
        first = layer == 0
        plane = self._plane_for(snap)
        self._show_on_looks_page(
            surface=plane is not None,
            bars=not first or side is None,
            weights=first and side is not None,
            pattern=side is not None and layer > 0,  # layer 0: its weights are its pattern
            maximum=side is not None,
        )
        self._surface_shown = plane is not None
        if plane is not None:
            self._fill_surface(snap, plane, layer, j)
        if first and plane is not None:  # a few named inputs: in their order, named
            names = [self._input_name(snap, i) for i in range(len(w))]
            self.incoming_bars.set(w, names, ticks=[(i, name) for i, name in enumerate(names)])
            _set_title(
                self.incoming_plot, f"its {len(w)} incoming weights, from the inputs", f"{len(w)} incoming weights"
            )
            self.incoming_plot.setLabel("bottom", "inputs")
        elif first and side is not None:
            self.incoming_plot.setLabel("bottom", "previous-layer neurons, strongest first")
            self.weights_image.setImage(w.reshape(side, side), autoLevels=False, levels=(-lim, lim))
            self.weights_colorbar.setLevels((-lim, lim))
            if now is not None and self.then_now.mode == CHANGE:
                _set_title(self.weights_plot, f"what its weights learned since step {snap.step:,}", "change since then")
            elif now is not None and self.then_now.mode == NOW:
                _set_title(self.weights_plot, "its incoming weights now", "its weights now", "now")
            else:
                _set_title(
                    self.weights_plot, "its incoming weights as a picture", "its incoming weights", "its weights"
                )
        else:
            self.incoming_plot.setLabel(
                "bottom", "inputs, strongest first" if first else "previous-layer neurons, strongest first"
            )
            order = np.argsort(-w, kind="stable")
            k = min(N_BAR_LABELS, len(w) // 2) if len(w) > 1 else len(w)
            labelled = np.concatenate([np.arange(k), np.arange(len(w) - k, len(w))]) if k else np.arange(len(w))
            names = [self._input_name(snap, int(i)) for i in order] if first else [str(i) for i in order]
            self.incoming_bars.set(w[order], names, labelled=np.unique(labelled))
            _set_title(self.incoming_plot, f"its {len(w)} incoming weights, sorted", f"{len(w)} incoming weights")
            if layer > 0:
                self.incoming_plot.setLabel("bottom", f"neurons of layer {layer} (labelled), strongest first")
        if side is not None:
            pattern = effective_pattern(snap.network, layer, j)
            lim = symmetric_limit(pattern, 100.0)
            self.pattern_image.setImage(pattern.reshape(side, side), autoLevels=False, levels=(-lim, lim))
            _set_title(self.pattern_plot, "effective input pattern", "effective pattern")
            self.looks_note.setText(
                "Effective input pattern: the previous neurons' patterns weighted by its weights "
                "(W·W…) — a linear view that ignores the activation functions."
                if layer
                else sign_colours_text(
                    "{Positive} pixels push z up when they are bright, {negative} pixels push it down, "
                    "white ones do not matter."
                )
            )

    def _fill_surface(self, snap: Snapshot, plane: Plane, layer: int, j: int) -> None:
        """Its activation over the plane, in the network view's colours and levels, with the
        contour where it crosses the middle of its levels (a = 0 for tanh and relu, 0.5 for
        sigmoid) and the current sample's point."""
        surface = plane.surface_for(snap)
        if surface is None:
            return
        images = surface.layers[layer]
        levels = tile_levels(snap.activations[layer], images)
        self.surface_image.setImage(images[j], autoLevels=False, levels=levels)
        self.surface_image.setRect(*surface.rect)  # after setImage; row 0 at y_min: the y axis points up
        self.surface_colorbar.setLevels(levels)
        middle = 0.5 * (levels[0] + levels[1])
        x, y = boundary_segments(images[j], middle, surface.xs, surface.ys)
        self.surface_contour.setData(x, y)
        x_min, x_max, y_min, y_max = surface.extent
        self.surface_plot.setRange(xRange=(x_min, x_max), yRange=(y_min, y_max), padding=0)
        self._update_surface_sample()
        _set_title(
            self.surface_plot,
            f"its activation a over the plane (dark line: a = {middle:.3g})",
            f"activation a (dark line: a = {middle:.3g})",
            "its activation a",
        )
        self.looks_note.setText(
            "Each pixel is this neuron's activation when the network is given that point (x₁, x₂): orange "
            "high, blue low. A first-layer neuron can only draw a straight line; deeper neurons combine "
            "the lines of the layer before."
        )

    def _update_surface_sample(self) -> None:
        x = self._x
        if x is None or x.size < 2 or self._snap is None or self._plane_for(self._snap) is None:
            self.surface_sample.setData([], [])
        else:
            self.surface_sample.setData([float(x[0])], [float(x[1])])

    def _fill_fires(self, snap: Snapshot, layer: int, j: int) -> None:
        acts = self.split.activations(snap, wait=snap.state != "running")
        if acts is None:
            self._stats = None
            self.top_gallery.set_images(np.zeros((0, snap.sizes[0])), [])
            self.bottom_gallery.set_images(np.zeros((0, snap.sizes[0])), [])
            self.fires_summary.setText("No test split that fits this network.")
            return
        stats = NeuronStats.from_activations(acts, layer, j, k=K_EXAMPLES)
        self._stats = stats
        counts, edges = stats.histogram(bins=40)
        self.histogram_curve.setData(edges, counts)
        x, y = self.split.x, self.split.y
        names = self.split.class_names

        def captions(idx):
            return [f"{stats.values[i]:.2f}" for i in idx]  # a over the picture; the label is in the tooltip

        self.top_gallery.set_images(x[stats.top], stats.top, captions(stats.top))
        self.bottom_gallery.set_images(x[stats.bottom], stats.bottom, captions(stats.bottom))
        what = "points" if self._plane_for(snap) is not None else "images"
        self.histogram_plot.setLabel("left", what)
        for gallery in (self.top_gallery, self.bottom_gallery):
            gallery.caption_title = "a"  # the column of its activations when points are listed
        self.top_title.setText(f"<b>{K_EXAMPLES} {what} that excite it most</b>")
        self.bottom_title.setText(f"<b>{K_EXAMPLES} {what} that excite it least</b>")
        self.fires_hint.setText(f"Click {'a point' if what == 'points' else 'an image'} to make it the current sample.")
        # Which classes it likes: the mean activation per class, the top three.
        if y is not None and len(y):
            k = int(y.max()) + 1
            sums = np.bincount(y, weights=stats.values, minlength=k)
            counts_per_class = np.maximum(np.bincount(y, minlength=k), 1)
            means = sums / counts_per_class
            best = np.argsort(-means)[:3]
            liked = ", ".join(
                f"{'class ' if what == 'points' else ''}{class_label(names, int(c))} ({means[c]:.2f})" for c in best
            )
            self.fires_summary.setText(
                f"Mean a = {stats.mean:.3f} ± {stats.std:.3f} over {stats.n:,} test {what}. "
                f"Highest mean a for: {liked}."
            )

    def _fill_sample(self) -> None:
        snap = self._snap
        if snap is None:
            return
        layer, j = self._neuron
        x = self._x
        if x is None or x.size != snap.sizes[0]:
            self.equation_label.setText("Pick a sample to see this neuron's equation with real numbers.")
            self.sample_line.hide()
            return
        net = snap.network
        zs, activations = self._sample_values(snap, x)
        z = float(zs[layer][j])
        a = float(activations[layer + 1][j])
        switched_off = is_ablated(net, layer, j)
        b = float(snap.biases[layer][j])
        contributions = contribution_map(net, x, layer, j)
        a_prev = activations[layer]
        w = snap.weights[layer][j]
        act = snap.activations[layer]
        side = self._side(snap)
        order = np.argsort(-np.abs(contributions), kind="stable")[:TOP_INPUTS]

        def input_name(i: int) -> str:
            return self._input_name(snap, i) if layer == 0 else f"neuron {i}"

        rows = "".join(
            f"<tr><td>{input_name(int(i))}</td><td align='right'>w = {w[i]:+.3f}</td>"
            f"<td align='right'>× a = {a_prev[i]:.3f}</td><td align='right'><b>{contributions[i]:+.3f}</b></td></tr>"
            for i in order
        )
        f = "softmax(z)<sub>j</sub>" if act == "softmax" else f"{act}(z)"
        what = ("pixels" if side else "inputs") if layer == 0 else f"neurons of layer {layer}"
        if switched_off:  # the next layer hears a = 0, whatever f(z) would be
            result = "a = <b>0</b> (switched off: its outgoing weights are all zero)"
        else:
            result = f"a = {f} = <b>{a:.3f}</b>"
        self.equation_label.setText(
            f"a = {act}(Σ<sub>i</sub> w<sub>i</sub>·a<sub>i</sub> + b) over the {len(w)} {what}<br>"
            f"Σ w<sub>i</sub>·a<sub>i</sub> = <b>{float(contributions.sum()):+.3f}</b>, "
            f"b = <b>{b:+.3f}</b> → z = <b>{z:+.3f}</b> → {result}<br>"
            f"Largest contributions w<sub>i</sub>·a<sub>i</sub>:<table cellspacing='6'>{rows}</table>"
        )
        first = layer == 0 and side is not None
        _show_view(self.contribution_graphics, first)
        _show_view(self.contribution_bar_graphics, not first)
        if first:
            lim = symmetric_limit(contributions, 100.0)
            self.contribution_image.setImage(contributions.reshape(side, side), autoLevels=False, levels=(-lim, lim))
            self.contribution_colorbar.setLevels((-lim, lim))
        else:
            order = np.argsort(-contributions, kind="stable")
            k = min(N_BAR_LABELS, len(order) // 2)
            labelled = np.unique(np.concatenate([np.arange(k), np.arange(len(order) - k, len(order))]))
            names = [input_name(int(i)) for i in order] if layer == 0 else [str(i) for i in order]
            self.contribution_bars.set(contributions[order], names, labelled=labelled)
            if layer == 0:
                _set_title(self.contribution_bar_plot, "wᵢ·xᵢ per input, largest first", "wᵢ·xᵢ, largest first")
            else:
                _set_title(
                    self.contribution_bar_plot,
                    "wᵢ·aᵢ per previous-layer neuron, largest first",
                    "wᵢ·aᵢ per neuron, largest first",
                    "wᵢ·aᵢ, largest first",
                )
        self._update_surface_sample()
        self.sample_line.setPos(a)
        self.sample_line.show()
        self._place_sample_label()

    def _place_sample_label(self, *_) -> None:
        """ "this sample" on the side of its line with more room, so it stays inside the plot."""
        (x0, x1), _ = self.histogram_plot.viewRange()
        right = self.sample_line.value() > 0.5 * (x0 + x1)
        anchor = (1.0, 0.0) if right else (0.0, 0.0)
        self.sample_line.label.anchors = [anchor, anchor]
        self.sample_line.label.updatePosition()

    def _sample_values(self, snap: Snapshot, x: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """The zs[l] (sizes[l+1],) and activations[k] (sizes[k],) of sample x through the
        drawn network, switched-off neurons at a = 0: the session's shared pass when it is
        for this network, so the equation shows what the network view shows."""
        p = self.session.sample_pass() if self.session is not None else None
        if p is not None and p.net is snap.network and p.sample.x.size == x.size and np.array_equal(p.sample.x, x):
            return list(p.zs), list(p.activations)
        cache = snap.forward_cache(x.reshape(1, -1))
        activations = [np.array(a[0]) for a in cache.activations]
        for k, off in enumerate(silent_neurons(snap.network)):
            activations[k][off] = 0.0
        return [z[0] for z in cache.zs], activations

    def _fill_votes(self, snap: Snapshot, layer: int, j: int) -> None:
        out = outgoing_weights(snap.network, layer, j)
        n_layers = len(snap.sizes) - 1
        output = snap.activations[-1]
        # An output neuron, or one switched off, votes for nothing: no empty axes, just the words.
        self.votes_graphics.setVisible(out is not None and not is_ablated(snap.network, layer, j))
        if out is None:
            self.votes_bars.set(np.zeros(0), [])
            meaning = _output_meaning(j, snap.sizes[-1], self.split.class_names, output)
            self.votes_label.setText(
                "An output neuron votes for nothing further: its activation is the "
                f"network's answer: “{html.escape(meaning)}”."
            )
            return
        if is_ablated(snap.network, layer, j):
            self.votes_bars.set(np.zeros(0), [])
            self.votes_plot.setLabel("bottom", "")
            self.votes_label.setText(
                "It is <b>switched off</b>: its outgoing weights are all zero, so it passes nothing "
                f"to the next layer{' and votes for no class' if layer + 1 == n_layers - 1 else ''}."
            )
            return
        next_is_output = layer + 1 == n_layers - 1
        names = (
            [_output_meaning(k, len(out), self.split.class_names, output) for k in range(len(out))]
            if next_is_output
            else [str(k) for k in range(len(out))]
        )
        if next_is_output and len(out) == 1:  # one output neuron: its weight says which class it helps
            self.votes_bars.set(out, names, ticks=[(0, "output")])
            self.votes_plot.setLabel("bottom", "the output neuron")
            toward = class_label(self.split.class_names, 1 if out[0] > 0 else 0)
            self.votes_label.setText(
                f"When it fires it pushes the output {'up' if out[0] > 0 else 'down'} (w = {out[0]:+.2f}): "
                f"towards <b>class {html.escape(toward)}</b> (the network answers {html.escape(names[0])})."
            )
            return
        if len(out) <= MAX_VOTE_BARS:
            order = np.arange(len(out))
            what = "classes" if next_is_output else f"neurons of layer {layer + 2}"
        else:
            order = np.argsort(-np.abs(out), kind="stable")[:MAX_VOTE_BARS]
            what = f"of layer {layer + 2}'s {len(out)} neurons, the {MAX_VOTE_BARS} it pushes hardest"
        self.votes_bars.set(out[order], [names[k] for k in order], ticks=[(t, names[k]) for t, k in enumerate(order)])
        self.votes_plot.setLabel("bottom", what)
        best, worst = int(np.argmax(out)), int(np.argmin(out))
        target = "output" if next_is_output else "neuron"
        self.votes_label.setText(
            f"When it fires it pushes most for {target} <b>{html.escape(names[best])}</b> (w = {out[best]:+.2f}) "
            f"and most against <b>{html.escape(names[worst])}</b> (w = {out[worst]:+.2f})."
        )

    def _fill_history(self, layer: int, j: int) -> None:
        epochs, norms, updates, grads = self.history.series(layer, j)
        if len(epochs) < 2:  # one moment is no history: say so, on axes that fit what will come
            self._show_empty_history(float(norms[0]) if len(norms) and np.isfinite(norms[0]) else None)
            return
        if not self.history_message.isHidden():
            self.history_message.hide()
            self.norm_plot.enableAutoRange()
            self.update_plot.enableAutoRange()
        self.norm_curve.setData(epochs, norms)
        ok = np.isfinite(updates) & (updates > 0)
        self.update_curve.setData(epochs[ok], updates[ok])
        ok = np.isfinite(grads) & (grads > 0)
        self.grad_curve.setData(epochs[ok], grads[ok])

    def _show_empty_history(self, norm: float | None) -> None:
        """No curves yet: the message, the first epoch on the x axis and, for ‖w‖, room
        above its size now."""
        for curve in (self.norm_curve, self.update_curve, self.grad_curve):
            curve.setData([], [])
        self.history_message.show()
        top = 1.0 if norm is None or norm <= 0 else _round_up(1.25 * norm)
        self.norm_plot.setRange(xRange=(0, 1), yRange=(0, top), padding=0)
        self.update_plot.setYRange(-4, 0, padding=0)  # log scale: 0.0001 … 1

    def _update_edit_controls(self, net, layer: int, j: int) -> None:
        is_output = layer == net.n_layers - 1
        self.ablate_button.setEnabled(self.editor is not None and not is_output)
        self.ablate_button.setToolTip(
            "An output neuron has no outgoing weights to switch off"
            if is_output
            else "Set its outgoing weights to zero: the next layer no longer hears it"
        )
        for w in (self.scale_button, self.bias_button, self.weight_button):
            w.setEnabled(self.editor is not None)
        self._on_weight_index_changed(self.weight_index_spin.value())

    # -- activation maximisation --------------------------------------------------------------
    def _maybe_maximize(self, snap: Snapshot, layer: int, j: int) -> None:
        """Start a run for a newly selected neuron, or for new weights when none is running."""
        if self._plane_for(snap) is not None:
            self.maximum_label.setText(
                "On the plane the picture above already shows what makes it fire: it is high where it is orange."
            )
            return
        if self._side(snap) is None:
            self.maximum_label.setText("")
            return
        key = (snap, layer, j)
        same_neuron = self._maximized_for is not None and self._maximized_for[1:] == (layer, j)
        if same_neuron and _same_parameters(self._maximized_for[0], snap, layer):
            return
        if same_neuron:
            if self.maximizer.is_running():
                return
            if snap.state == "running" and time.monotonic() - self._maximized_at < MAXIMIZE_INTERVAL_S:
                return  # while training, a fresh picture every few seconds is enough
        else:
            self.maximum_image.clear()
        self._maximized_for = key
        self._maximized_at = time.monotonic()
        self.maximum_label.setText("Finding the input that excites it most (gradient ascent on the input)…")
        self.maximizer.start(snap.network, layer, j)

    @Slot(int, int, object)
    def _on_maximizer_progressed(self, layer: int, j: int, step) -> None:
        if (layer, j) != self._neuron:
            return
        side = image_side(step.x.size)
        self.maximum_image.setImage(step.x.reshape(side, side), autoLevels=False, levels=(0.0, 1.0))
        self.maximum_label.setText(
            f"Gradient ascent on the input: step {step.step} of {step.steps}, z = {step.value:.2f}"
        )

    @Slot(int, int, object)
    def _on_maximizer_found(self, layer: int, j: int, x) -> None:
        if (layer, j) != self._neuron:
            return
        side = image_side(x.size)
        self.maximum_image.setImage(x.reshape(side, side), autoLevels=False, levels=(0.0, 1.0))
        self.maximum_label.setText(
            "Input that excites it most: gradient ascent on the pixels (maximise z "
            "minus a small L2 penalty, pixels kept in 0…1)."
        )

    def maximum_image_data(self) -> np.ndarray | None:
        return self.maximum_image.image

    # -- editing ------------------------------------------------------------------------------
    def _apply(self, op, *args) -> None:
        if self.editor is None:
            return
        layer, j = self._neuron
        try:
            getattr(self.editor, op)(layer, j, *args)
        except (ValueError, IndexError, RuntimeError) as err:
            self.edit_result_label.setText(f"Not applied: {html.escape(str(err))}")

    @Slot()
    def _on_ablate_clicked(self) -> None:
        self._apply("ablate")

    @Slot()
    def _on_scale_clicked(self) -> None:
        self._apply("scale_weights", self.scale_spin.value())

    @Slot()
    def _on_shift_bias_clicked(self) -> None:
        self._apply("shift_bias", self.bias_spin.value())

    @Slot()
    def _on_set_weight_clicked(self) -> None:
        self._apply("set_weight", self.weight_index_spin.value(), self.weight_value_spin.value())

    @Slot(int)
    def _on_weight_index_changed(self, i: int) -> None:
        snap = self._snap
        layer, j = self._neuron
        if snap is None or not 0 <= i < snap.sizes[layer]:
            return
        where = self._input_name(snap, i) if layer == 0 else f"neuron {i} of layer {layer}"
        self.weight_index_spin.setToolTip(f"Input {i}: {where}; its weight is now {snap.weights[layer][j, i]:+.4f}")

    @Slot(object)
    def _on_edited(self, result: EditResult) -> None:
        verb = {"apply": "", "undo": "Undone: ", "redo": "Redone: "}[result.action]
        text = f"{verb}{html.escape(result.edit.describe())}."
        if result.before is not None and result.after is not None:
            delta = 100 * (result.after.accuracy - result.before.accuracy)
            text += (
                f"<br>Test accuracy {100 * result.before.accuracy:.2f}% → "
                f"<b>{100 * result.after.accuracy:.2f}%</b> ({delta:+.2f} points)."
            )
        snap = self.editor.controller.latest_snapshot if self.editor is not None else None
        if snap is not None and self._x is not None and self._x.size == snap.sizes[0]:
            out = snap.forward_cache(self._x.reshape(1, -1)).output[0]
            p = int(predict_classes(snap, out[None, :])[0])  # argmax, or a > threshold for one output
            name = class_label(self.split.class_names, p)
            a = float(out[p] if out.size > 1 else out[0])
            value = percent(a) if snap.activations[-1] == "softmax" else f"a = {a:.2f}"
            text += f"<br>Current sample: looks like {html.escape(with_article(name))} ({value})."
        self.edit_result_label.setText(text)
        if snap is not None:
            self._incoming = snap
            self.refresh_now()

    @Slot()
    def _on_edit_history_changed(self) -> None:
        self.edits_list.clear()
        if self.editor is None:
            return
        for d in self.editor.saved_edits():
            try:
                text = Edit.from_dict(d).describe()
            except ValueError:
                text = str(d)
            item = QListWidgetItem(f"{text} (saved in the model file)")
            item.setForeground(QColor(MUTED))
            self.edits_list.addItem(item)
        for edit in self.editor.applied():
            self.edits_list.addItem(edit.describe())

    def edit_descriptions(self) -> list[str]:
        return [self.edits_list.item(i).text() for i in range(self.edits_list.count())]

    # -- selection and samples ------------------------------------------------------------------
    @Slot(int)
    def _on_spin_changed(self, _value: int) -> None:
        snap = self._incoming or self._snap
        if snap is None:
            return
        layer = self.layer_spin.value() - 1
        n = snap.sizes[layer + 1]
        self.neuron_spin.blockSignals(True)
        self.neuron_spin.setRange(0, n - 1)
        self.neuron_spin.blockSignals(False)
        self._neuron = (layer, self.neuron_spin.value())
        if self.session is not None and self.session.neuron != self._neuron:
            self.session.select_neuron(*self._neuron)  # redrawn by _on_session_neuron_changed
        else:
            self.refresh_now()
        self.neuron_selected.emit(*self._neuron)

    def _describe_test_image(self, index: int) -> str:
        y = self.split.y
        if y is None or not 0 <= index < len(y):
            return ""
        return f" (a {class_label(self.split.class_names, int(y[index]))})"

    @Slot(int)
    def _on_gallery_image_clicked(self, index: int) -> None:
        if self.session is not None:
            self.session.choose_test_sample(index)
        self.sample_requested.emit(index)

    # -- the session ----------------------------------------------------------------------------
    @Slot()
    def _on_session_neuron_changed(self) -> None:
        if self.session.neuron is not None:
            self.select_neuron(*self.session.neuron)

    @Slot()
    def _on_session_sample_changed(self) -> None:
        sample = self.session.sample
        self.set_sample(None if sample is None else sample.x, None if sample is None else sample.label)

    @Slot()
    def _on_session_dataset_changed(self) -> None:
        dataset = self.session.dataset
        self.set_input_names(self.session.input_names)
        self.set_plane(self.session.plane)
        if dataset is not None:
            self.set_dataset(dataset.x_test, dataset.y_test, dataset.class_names)
