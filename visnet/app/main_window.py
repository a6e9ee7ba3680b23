"""The main window: dock panels around the network, the training toolbar, files, settings.

Training runs on a thread owned by the TrainingController; this window only sends it
commands and draws the newest snapshot from a ~30 fps QTimer, so the GUI never waits for
training. Every file dialog and message box goes through a small `_ask_*` / `_show_*`
method, which tests replace with monkeypatch.
"""

from __future__ import annotations

import dataclasses
import html
import math
import os
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import asdict, fields
from pathlib import Path

# -- look inside (issue 4) --
import numpy as np  # noqa: E402
from PySide6.QtCore import QEvent, QSettings, QSignalBlocker, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QCloseEvent, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSlider,
    QStyle,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from visnet.core.features import with_features
from visnet.core.network import Network
from visnet.core.snapshot import Snapshot
from visnet.core.targets import n_classes
from visnet.core.training import TrainConfig, Trainer
from visnet.data import DataError, Dataset, available_datasets, load_dataset
from visnet.data.playground import PLAYGROUND_SETS, PlaygroundSpec, is_playground
from visnet.data.playground import TITLES as PLAYGROUND_TITLES
from visnet.data.toy2d import TOY2D_GENERATORS, Toy2D, add_point
from visnet.io import ModelFileError, load_model, save_model
from visnet.resources import EXAMPLE_MODEL, resource_path

from . import settings as keys
from .controller import TrainingController
from .network_editor import EditResult, NetworkEditor
from .panels.config import DEFAULT_PRESET, PLAYGROUND_PRESET, ConfigPanel, NetworkSpec
from .panels.drawing import DrawDigitPanel  # noqa: E402
from .panels.gradients import GradientPanel
from .panels.loss import LossPanel
from .panels.mistakes import MistakesPanel  # noqa: E402
from .panels.network_view import NetworkView
from .panels.neuron_inspector import NeuronInspector  # noqa: E402
from .panels.sample import SamplePanel
from .panels.stepper import BackpropStepper, WindowStepperSource  # backprop stepper (issue 5)
from .panels.surface import DecisionSurfacePanel  # noqa: E402
from .panels.weights import WeightMosaicPanel
from .plane import Plane  # noqa: E402
from .split_activations import SplitActivations  # noqa: E402

# -- end look inside --

REDRAW_INTERVAL_MS = 33  # ~30 frames a second
SPEED_STEPS = 20  # the speed slider's positions; the last one is full speed
SLOWEST_DELAY = 1.0  # seconds per mini-batch at the slider's left end
MODEL_FILTER = "Models (*.safetensors *.json);;visnet or PyTorch safetensors (*.safetensors);;network2.py JSON (*.json);;All files (*)"
STATE_TEXT = {
    "idle": "Ready",
    "running": "Training",
    "paused": "Paused",
    "stopped": "Stopped",
    "diverged": "Diverged",
}
STATE_COLOR = {"running": "#1b7f3b", "diverged": "#b00020", "stopped": "#8a5a00"}


def delay_for_speed(position: int) -> float:
    """Seconds per mini-batch for a slider position: 1 s at 0, 1 ms at SPEED_STEPS-1, 0 at the end."""
    if position >= SPEED_STEPS:
        return 0.0
    return SLOWEST_DELAY * 10 ** (-3 * position / (SPEED_STEPS - 1))


def speed_text(delay: float) -> str:
    if delay <= 0:
        return "full speed"
    if delay >= 0.1:
        return f"{delay:.1f} s/batch"
    return f"{delay * 1000:.0f} ms/batch"


# Data set names written into model files (Dataset.name) and the specs that load them again.
NEAR_POINT = 0.3  # plane units (~2 % of its width): a click this close to a test point picks it
KNOWN_DATASET_NAMES = {"embedded MNIST": "embedded", "MNIST": "mnist", "Fashion-MNIST": "fashion-mnist"}


def config_from_info(info: dict, fallback: TrainConfig) -> TrainConfig:
    """The TrainConfig stored in a model file's info (under "training", as `visnet train`
    writes it), falling back per field (or wholly, if the stored values are invalid) to
    `fallback`."""
    stored = None
    if isinstance(info, dict):
        stored = info.get("training", info.get("config"))
    values = asdict(fallback)
    if isinstance(stored, dict):
        values.update({f.name: stored[f.name] for f in fields(TrainConfig) if f.name in stored})
    try:
        config = TrainConfig(**values)
        config.batch_size = int(config.batch_size)
        config.epochs = int(config.epochs)
        config.seed = int(config.seed)
        config.validate()
    except (TypeError, ValueError):
        return TrainConfig(**asdict(fallback))
    return config


def _number(value, default: float = 0.0) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return default
    return value if math.isfinite(value) else default


class DivergenceBanner(QFrame):
    """A red strip above the network view saying that training diverged and what to do."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("divergence_banner")
        self.setStyleSheet(
            "#divergence_banner { background: #7a1020; border-radius: 4px; }#divergence_banner QLabel { color: white; }"
        )
        self.message_label = QLabel()
        self.message_label.setWordWrap(True)
        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.lower_button = QPushButton()
        self.lower_button.setToolTip("Set the learning rate to a tenth of its value; press Train to try again")
        self.dismiss_button = QPushButton("Dismiss")
        self.dismiss_button.setToolTip("Hide this message")
        self.dismiss_button.clicked.connect(self.hide)
        row = QHBoxLayout(self)
        row.setContentsMargins(10, 6, 10, 6)
        row.addWidget(self.message_label, 1)
        row.addWidget(self.lower_button)
        row.addWidget(self.dismiss_button)
        self.hide()

    def show_message(self, text: str, eta: float) -> None:
        self.message_label.setText(f"<b>The loss blew up.</b> {html.escape(text)}")
        self.lower_button.setText(f"Use η = {eta / 10:g}")
        self.show()


class MainWindow(QMainWindow):
    """visnet's window. Keyword arguments let tests inject data:

    dataset: the data set to start with (else dataset_loader(dataset_spec));
    dataset_loader: spec -> Dataset, used whenever another data set is chosen
        (default: visnet.data.load_dataset with data_dir);
    model_path: a model file to open at start; load_example: open the shipped example
        model when no model_path is given (else start with a fresh 784-16-16-10).
    """

    # -- look inside (issue 4): the current sample, shared by every panel --
    # (x (n_inputs,) float32, true label or None, source): source is "test:<index>" for a
    # test image, "drawing" for a drawn digit. Emitted by set_current_sample().
    current_sample_changed = Signal(object, object, str)
    # -- end look inside --

    def __init__(
        self,
        *,
        model_path: str | os.PathLike | None = None,
        data_dir: str | os.PathLike | None = None,
        dataset: Dataset | None = None,
        dataset_spec: str = "embedded",
        dataset_loader: Callable[[str], Dataset] | None = None,
        load_example: bool = True,
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self.setObjectName("visnet_main_window")
        self._data_dir = data_dir
        self._load_dataset = dataset_loader or (lambda spec: load_dataset(spec, data_dir))
        self._dataset: Dataset | None = None
        self._dataset_spec = dataset_spec
        self._toy: Toy2D | None = None  # the playground's points (with drawn ones), if a playground set
        self._plane: Plane | None = None  # shared by the panels that draw surfaces over the plane
        self._playground_docks_shown: bool | None = None  # the docks were last arranged for playground data
        self._model_path: Path | None = None
        self._model_is_example = False
        self._clean_step = 0  # the trainer's step count when the network was last saved/loaded
        self._epochs_before = 0.0  # training the opened model had before this session
        self._samples_before = 0
        self._current_dock: QDockWidget | None = None
        self._open_note = ""  # why an opened model is shown with another data set than its own
        self._closed = False
        self._frame_owed = False
        self._frame_snap: Snapshot | None = None  # the snapshot being drawn, one panel per turn
        self._frame_panels: list = []  # the panels still to draw it

        self.controller = TrainingController(self)
        self._build_panels()
        self._build_docks()
        self._build_actions()
        self._build_menus()
        self._build_toolbar()
        self._build_status_bar()
        self._connect()
        self._build_stepper()  # backprop stepper (issue 5)

        self._redraw_timer = QTimer(self)
        self._redraw_timer.setInterval(REDRAW_INTERVAL_MS)
        self._redraw_timer.timeout.connect(self._on_redraw_timeout)
        self._panel_timer = QTimer(self)  # the next panel of a frame, at the loop's next turn
        self._panel_timer.setSingleShot(True)
        self._panel_timer.setInterval(0)
        self._panel_timer.timeout.connect(self._draw_next_panel)

        self._layout_restored = self._restore_settings()
        self._shown_before = False
        self._start(dataset, dataset_spec, model_path, load_example)
        self._redraw_timer.start()

    # -- construction ---------------------------------------------------------------------
    def _build_panels(self) -> None:
        self.network_view = NetworkView()
        self.weights_panel = WeightMosaicPanel()
        self.loss_panel = LossPanel()
        self.gradient_panel = GradientPanel()
        self.sample_panel = SamplePanel()
        self.surface_panel = DecisionSurfacePanel()
        self.config_panel = ConfigPanel()
        self.divergence_banner = DivergenceBanner()
        self.display_panels = (
            self.network_view,
            self.weights_panel,
            self.loss_panel,
            self.gradient_panel,
            self.sample_panel,
            self.surface_panel,
        )
        self._build_inspection_panels()  # look inside (issue 4)

    def _build_docks(self) -> None:
        """The network view in the middle, weight pictures to its right, the curves below
        both, the sample and the configuration down the left."""
        self.setDockNestingEnabled(True)
        self.setDockOptions(
            QMainWindow.DockOption.AnimatedDocks
            | QMainWindow.DockOption.AllowNestedDocks
            | QMainWindow.DockOption.AllowTabbedDocks
        )
        for corner, area in (
            (Qt.Corner.TopLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea),
            (Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea),
            (Qt.Corner.TopRightCorner, Qt.DockWidgetArea.RightDockWidgetArea),
            (Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.BottomDockWidgetArea),
        ):
            self.setCorner(corner, area)
        # Every panel is a dock, so the central widget is an empty placeholder of zero height
        # between the top and bottom dock areas. Hidden, it let Qt re-balance the left and
        # right areas by a few pixels on every layout pass: the docks crept for seconds and
        # every plot was resized (and its axes redrawn) on every frame.
        placeholder = QWidget()
        placeholder.setObjectName("central_placeholder")
        placeholder.setMaximumHeight(0)
        self.setCentralWidget(placeholder)

        network_box = QWidget()
        column = QVBoxLayout(network_box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(4)
        column.addWidget(self.divergence_banner)
        column.addWidget(self.network_view, 1)

        def dock(title: str, name: str, widget: QWidget, tip: str) -> QDockWidget:
            d = QDockWidget(title, self)
            d.setObjectName(name)
            d.setWidget(widget)
            d.setToolTip(tip)
            d.setFeatures(
                QDockWidget.DockWidgetFeature.DockWidgetClosable
                | QDockWidget.DockWidgetFeature.DockWidgetMovable
                | QDockWidget.DockWidgetFeature.DockWidgetFloatable
            )
            if widget.focusPolicy() == Qt.FocusPolicy.NoFocus:
                widget.setFocusPolicy(Qt.FocusPolicy.ClickFocus)  # a click marks the panel for export
            return d

        self.network_dock = dock(
            "Network",
            "network_dock",
            network_box,
            "Every neuron and its activation for the current sample; click one to select it",
        )
        self.weights_dock = dock(
            "Weight images",
            "weights_dock",
            self.weights_panel,
            "What each first-layer neuron looks for: its weights as a picture",
        )
        self.loss_dock = dock(
            "Loss and accuracy", "loss_dock", self.loss_panel, "The cost per mini-batch and the test accuracy per epoch"
        )
        self.gradients_dock = dock(
            "Gradients", "gradients_dock", self.gradient_panel, "Size of the gradient and of each update, per layer"
        )
        self.sample_dock = dock(
            "Current sample", "sample_dock", self.sample_panel, "A test image and the network's answer for it"
        )
        self.config_dock = dock("Configuration", "config_dock", self.config_panel, "Architecture and hyperparameters")
        self.surface_dock = dock(
            "Decision surface",
            "surface_dock",
            self.surface_panel,
            "The playground: the network's answer over the whole plane, and the points",
        )
        self.docks = (
            self.network_dock,
            self.weights_dock,
            self.loss_dock,
            self.gradients_dock,
            self.sample_dock,
            self.config_dock,
            self.surface_dock,
        )
        self._build_inspection_docks(dock)  # look inside (issue 4)
        self._arrange_default_docks()
        self.resize(1600, 1000)

    def _arrange_default_docks(self) -> None:
        A = Qt.DockWidgetArea
        for d in self.docks:
            self.removeDockWidget(d)
        self.addDockWidget(A.TopDockWidgetArea, self.network_dock)
        self.addDockWidget(A.RightDockWidgetArea, self.weights_dock)
        self.tabifyDockWidget(self.weights_dock, self.surface_dock)  # raised for playground data
        self.addDockWidget(A.BottomDockWidgetArea, self.loss_dock)
        self.splitDockWidget(self.loss_dock, self.gradients_dock, Qt.Orientation.Horizontal)
        self.addDockWidget(A.LeftDockWidgetArea, self.sample_dock)
        self.splitDockWidget(self.sample_dock, self.config_dock, Qt.Orientation.Vertical)
        self._arrange_inspection_docks()  # look inside (issue 4)
        for d in self.docks:
            d.setFloating(False)
            d.show()
        self._playground_docks_shown = None
        self._show_playground_docks()

    def _apply_default_sizes(self) -> None:
        """Dock sizes for the default layout (only meaningful once the window is laid out)."""
        w, h = self.width(), self.height()
        H, V = Qt.Orientation.Horizontal, Qt.Orientation.Vertical
        left, right = round(0.24 * w), round(self._right_column_share() * w)
        bottom = w - left
        # Each call moves the splitters it names and lets the others absorb the change, so
        # the bottom row goes first and the three columns last (the network view gets the rest).
        self.resizeDocks([self.loss_dock, self.gradients_dock], [round(0.6 * bottom), round(0.4 * bottom)], H)
        self.resizeDocks([self.network_dock, self.loss_dock], [round(0.62 * h), round(0.3 * h)], V)
        self.resizeDocks([self.sample_dock, self.config_dock], [round(0.32 * h), round(0.6 * h)], V)
        self.resizeDocks([self.sample_dock, self.network_dock, self.weights_dock], [left, w - left - right, right], H)

    def _action(self, text: str, slot, shortcuts=(), tip: str = "", icon=None) -> QAction:
        action = QAction(text, self)
        if shortcuts:
            action.setShortcuts([QKeySequence(s) for s in shortcuts])
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            keys_text = " or ".join(QKeySequence(s).toString(QKeySequence.SequenceFormat.NativeText) for s in shortcuts)
            tip = f"{tip} ({keys_text})" if tip else keys_text
        if tip:
            action.setToolTip(tip)
            action.setStatusTip(tip)
        if icon is not None:
            action.setIcon(self.style().standardIcon(icon))
        action.triggered.connect(slot)
        self.addAction(action)  # shortcuts work even with the menu bar and toolbar hidden
        return action

    def _build_actions(self) -> None:
        P = QStyle.StandardPixmap
        K = Qt.Key
        self.train_action = self._action(
            "Train", self._on_train_triggered, [K.Key_Space], "Train continuously, or pause", P.SP_MediaPlay
        )
        self.step_batch_action = self._action(
            "Step batch",
            self._on_step_batch_triggered,
            [K.Key_Right, K.Key_S],
            "Train on exactly one mini-batch, then pause",
            P.SP_MediaSeekForward,
        )
        self.step_epoch_action = self._action(
            "Step epoch",
            self._on_step_epoch_triggered,
            [K.Key_E, QKeySequence(Qt.Modifier.SHIFT | K.Key_Right)],
            "Train to the end of the current epoch, then pause",
            P.SP_MediaSkipForward,
        )
        self.stop_action = self._action(
            "Stop",
            self._on_stop_triggered,
            (),
            "Stop training and end the training thread; Train continues from here",
            P.SP_MediaStop,
        )
        self.reset_action = self._action(
            "Reset",
            self._on_reset_triggered,
            (),
            "Draw fresh random weights with the seed and start training over",
            P.SP_BrowserReload,
        )

        self.new_action = self._action(
            "&New", self._on_new_triggered, [QKeySequence.StandardKey.New], "A fresh, untrained 784-16-16-10 network"
        )
        self.open_action = self._action(
            "&Open…",
            self._on_open_triggered,
            [QKeySequence.StandardKey.Open],
            "Open a visnet or PyTorch .safetensors model, or a network2.py .json file",
            P.SP_DialogOpenButton,
        )
        self.save_action = self._action(
            "&Save",
            self._on_save_triggered,
            [QKeySequence.StandardKey.Save],
            "Save the network and its training state",
            P.SP_DialogSaveButton,
        )
        self.save_as_action = self._action(
            "Save &As…", self._on_save_as_triggered, [QKeySequence("Ctrl+Shift+S")], "Save the network to a new file"
        )
        self.export_action = self._action(
            "&Export current panel as PNG…",
            self._on_export_triggered,
            (),
            "Save a picture of the panel you last clicked",
        )
        self.quit_action = self._action("&Quit", self.close, [QKeySequence("Ctrl+Q")], "Close visnet")
        self.restore_layout_action = self._action(
            "Restore default layout", self._on_restore_layout_triggered, (), "Put every panel back where it started"
        )
        self.about_action = self._action("&About visnet", self._on_about_triggered)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addAction(self.new_action)
        self.playground_menu = file_menu.addMenu("New &Playground")
        self.playground_menu.setToolTipsVisible(True)
        for name in PLAYGROUND_SETS:
            action = self.playground_menu.addAction(f"{PLAYGROUND_TITLES.get(name, name)}")
            action.setToolTip(f"A fresh 2-4-1 network on 2-D points: {TOY2D_GENERATORS[name].description}")
            action.setData(name)
            action.triggered.connect(self._on_playground_triggered)
        self.playground_menu.addSeparator()
        self.playground_menu.addAction("Back to the &digits", self._on_digits_triggered)
        file_menu.addAction(self.open_action)
        self.recent_menu = file_menu.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(self._on_recent_menu_about_to_show)
        file_menu.addAction(self.save_action)
        file_menu.addAction(self.save_as_action)
        file_menu.addSeparator()
        file_menu.addAction(self.export_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)

        training_menu = bar.addMenu("&Training")
        for action in (
            self.train_action,
            self.step_batch_action,
            self.step_epoch_action,
            self.stop_action,
            self.reset_action,
        ):
            training_menu.addAction(action)

        view_menu = bar.addMenu("&View")
        for d in self.docks:
            view_menu.addAction(d.toggleViewAction())
        view_menu.addSeparator()
        view_menu.addAction(self.restore_layout_action)

        self._build_edit_menu(bar)  # look inside (issue 4)

        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self.about_action)

    def _build_toolbar(self) -> None:
        toolbar = QToolBar("Training")
        toolbar.setObjectName("training_toolbar")
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        toolbar.setMovable(False)
        for action in (
            self.train_action,
            self.step_batch_action,
            self.step_epoch_action,
            self.stop_action,
            self.reset_action,
        ):
            toolbar.addAction(action)
        toolbar.addSeparator()
        speed_caption = QLabel(" Speed: slow ")
        speed_caption.setToolTip("Delay after every mini-batch: slow motion on the left, full speed on the right")
        self.speed_slider = QSlider(Qt.Orientation.Horizontal)
        self.speed_slider.setRange(0, SPEED_STEPS)
        self.speed_slider.setPageStep(2)
        self.speed_slider.setValue(SPEED_STEPS)
        self.speed_slider.setFixedWidth(180)
        self.speed_slider.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keep the arrow keys for stepping
        self.speed_slider.setToolTip(speed_caption.toolTip())
        fast_caption = QLabel(" fast ")
        self.speed_label = QLabel()
        self.speed_label.setMinimumWidth(110)
        self.speed_label.setToolTip(speed_caption.toolTip())
        toolbar.addWidget(speed_caption)
        toolbar.addWidget(self.speed_slider)
        toolbar.addWidget(fast_caption)
        toolbar.addWidget(self.speed_label)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, toolbar)
        self.toolbar = toolbar

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.state_label = QLabel()
        self.state_label.setToolTip("What the training is doing")
        self.epoch_label = QLabel()
        self.epoch_label.setToolTip("The epoch being trained (one epoch = one pass over the training set)")
        self.batch_label = QLabel()
        self.batch_label.setToolTip("Mini-batches done in this epoch")
        self.epoch_progress = QProgressBar()
        self.epoch_progress.setRange(0, 100)  # percent: a finer value would repaint the bar every frame
        self.epoch_progress.setTextVisible(False)
        self.epoch_progress.setFixedWidth(160)
        self.epoch_progress.setMaximumHeight(14)
        self.epoch_progress.setToolTip("Progress through the current epoch")
        self.rate_label = QLabel()
        self.rate_label.setToolTip("Training examples processed per second")
        self.accuracy_label = QLabel()
        self.accuracy_label.setToolTip("Accuracy on the test split, measured at the end of each epoch")
        metrics = self.fontMetrics()
        for label, widest in (
            (self.state_label, "Diverged"),
            (self.epoch_label, "Epoch 8888"),
            (self.batch_label, "batch 88,888 / 88,888"),
            (self.rate_label, "888,888 samples/s"),
            (self.accuracy_label, "Test accuracy 88.8%"),
        ):
            label.setMinimumWidth(metrics.horizontalAdvance(widest) + 12)
        for w in (
            self.state_label,
            self.epoch_label,
            self.batch_label,
            self.epoch_progress,
            self.rate_label,
            self.accuracy_label,
        ):
            bar.addPermanentWidget(w)

    def _connect(self) -> None:
        c = self.controller
        c.share_with_gui(True)  # training pauses while each frame is drawn (see worker.py)
        c.snapshot_arrived.connect(self._on_redraw_timeout)  # draw as soon as training waits
        c.state_changed.connect(self._on_state_changed)
        c.trainer_replaced.connect(self._on_trainer_replaced)
        c.diverged.connect(self._on_diverged)
        c.paused_itself.connect(self._on_paused_itself)
        c.training_failed.connect(self._on_training_failed)
        self.config_panel.hyperparameters_changed.connect(self._on_hyperparameters_changed)
        self.config_panel.network_requested.connect(self._on_network_requested)
        self.network_view.neuron_selected.connect(self._on_network_neuron_selected)
        self.weights_panel.neuron_selected.connect(self._on_mosaic_neuron_selected)
        self.sample_panel.sample_changed.connect(self._on_sample_changed)
        self.surface_panel.point_added.connect(self._on_point_added)
        self.surface_panel.point_chosen.connect(self._on_point_chosen)
        self.surface_panel.undo_point_requested.connect(self.undo_point)
        self.speed_slider.valueChanged.connect(self._on_speed_changed)
        self.divergence_banner.lower_button.clicked.connect(self._on_lower_learning_rate_clicked)
        QApplication.instance().focusChanged.connect(self._on_focus_changed)
        self._connect_inspection()  # look inside (issue 4)

    # -- backprop stepper (issue 5) ---------------------------------------------------------
    # A dock hidden until Backprop > Step through backpropagation (Ctrl+B) turns on a mode:
    # the stepper takes the bottom row (the loss and gradient panels become tabs beside it)
    # and the network view above frames the layer being computed. Leaving the mode puts the
    # panels back as they were.
    def _build_stepper(self) -> None:
        self.stepper = BackpropStepper()
        self.stepper.set_source(WindowStepperSource(self))
        self.stepper_dock = QDockWidget("Backpropagation, step by step", self)
        self.stepper_dock.setObjectName("stepper_dock")
        self.stepper_dock.setWidget(self.stepper)
        self.stepper_dock.setToolTip("One SGD step of one example, quantity by quantity, with the real numbers")
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.stepper_dock)
        self.stepper_dock.hide()
        self._layout_before_stepper = None  # saveState() from before the mode
        self._backprop_mode = False

        self.backprop_action = self._action(
            "Step through &backpropagation",
            self._on_backprop_triggered,
            [QKeySequence("Ctrl+B")],
            "Pause training and walk through one backpropagation step with the real numbers; again to leave",
        )
        self.backprop_action.setCheckable(True)
        menu = QMenu("&Backprop", self)
        menu.addAction(self.backprop_action)
        menu.addSeparator()
        # The stepper's own keys work only while it has the focus, so they never clash with
        # the training keys; the menu shows them (text after a tab) and works from anywhere.
        for text, slot in (
            ("Next step\t→ / PgDown", self.stepper.next_step),
            ("Previous step\t← / PgUp", self.stepper.previous_step),
            ("Play / pause\tP", self.stepper.toggle_play),
            ("Back to the first step\tHome", self.stepper.first_step),
            ("Trace again (pauses training)", self.stepper.trace_again),
        ):
            action = menu.addAction(text)
            action.triggered.connect(slot)
        self.menuBar().insertMenu(self.menuBar().actions()[-1], menu)  # before Help
        self.backprop_menu = menu

        self.stepper.layer_highlighted.connect(self._on_stepper_layer_highlighted)
        self.stepper.neuron_selected.connect(self._on_stepper_neuron_selected)
        self.network_view.neuron_selected.connect(self._on_neuron_selected_for_stepper)
        self.weights_panel.neuron_selected.connect(self._on_neuron_selected_for_stepper)
        if hasattr(self, "current_sample_changed"):  # test images and drawn digits (issue 4)
            self.current_sample_changed.connect(self._on_current_sample_changed_for_stepper)
        else:
            self.sample_panel.sample_changed.connect(self._on_sample_changed_for_stepper)
        self.controller.trainer_replaced.connect(self._on_trainer_replaced_for_stepper)
        self.stepper_dock.visibilityChanged.connect(self._on_stepper_visibility_changed)
        self.restore_layout_action.triggered.connect(self._on_restore_layout_for_stepper)

    def in_backprop_mode(self) -> bool:
        return self._backprop_mode

    def enter_backprop_mode(self) -> None:
        """Show the stepper across the whole bottom of the window (the bottom row's panels
        become tabs beside it, the left column's panels tabs of one another) and trace the
        live network, pausing training."""
        A, C = Qt.DockWidgetArea, Qt.Corner
        if not self._backprop_mode:
            self._layout_before_stepper = (
                self.saveState(keys.DOCK_STATE_VERSION),
                self.corner(C.BottomLeftCorner),
                self.corner(C.BottomRightCorner),
            )
        self._backprop_mode = True
        self.backprop_action.setChecked(True)
        size = self.size()
        d = self.stepper_dock
        self.setCorner(C.BottomLeftCorner, A.BottomDockWidgetArea)
        self.setCorner(C.BottomRightCorner, A.BottomDockWidgetArea)
        d.setFloating(False)

        def docked_in(area):
            return [
                o
                for o in self.findChildren(QDockWidget)
                if o is not d and o.isVisible() and not o.isFloating() and self.dockWidgetArea(o) == area
            ]

        bottom = docked_in(A.BottomDockWidgetArea)
        if bottom:  # join the bottom row's first panel, so the row gets no extra column
            self.tabifyDockWidget(bottom[0], d)
        elif self.dockWidgetArea(d) != A.BottomDockWidgetArea:
            self.addDockWidget(A.BottomDockWidgetArea, d)
        for other in bottom[1:]:
            self.tabifyDockWidget(d, other)
        left = docked_in(A.LeftDockWidgetArea)
        for other in left[1:]:  # the left column is short now: one panel at a time
            self.tabifyDockWidget(left[0], other)
        d.show()
        d.raise_()
        self.resize(size)  # a dock shown before it is tabbed must not leave the window wider
        h = self.height()
        self.resizeDocks([self.network_dock, d], [round(0.36 * h), round(0.64 * h)], Qt.Orientation.Vertical)
        self.stepper.trace_again()
        self.stepper.setFocus(Qt.FocusReason.OtherFocusReason)

    def leave_backprop_mode(self) -> None:
        """Hide the stepper and put the panels back where they were."""
        self._backprop_mode = False
        self.backprop_action.setChecked(False)
        self.stepper.stop()
        self.network_view.highlight_layer(None)
        saved, self._layout_before_stepper = self._layout_before_stepper, None
        if saved is not None:
            state, bottom_left, bottom_right = saved
            self.setCorner(Qt.Corner.BottomLeftCorner, bottom_left)
            self.setCorner(Qt.Corner.BottomRightCorner, bottom_right)
            self.restoreState(state, keys.DOCK_STATE_VERSION)
        self.stepper_dock.hide()

    @Slot()
    def _on_backprop_triggered(self) -> None:
        if self._backprop_mode:
            self.leave_backprop_mode()
        else:
            self.enter_backprop_mode()

    @Slot(object, str)
    def _on_stepper_layer_highlighted(self, layer, direction: str) -> None:
        if self.stepper_dock.isVisible():
            self.network_view.highlight_layer(layer, direction)

    @Slot(int, int)
    def _on_stepper_neuron_selected(self, layer: int, index: int) -> None:
        with QSignalBlocker(self.network_view):
            self.network_view.select_neuron(layer, index)
        if layer == 0:
            with QSignalBlocker(self.weights_panel):
                self.weights_panel.select_neuron(layer, index)

    @Slot(int, int)
    def _on_neuron_selected_for_stepper(self, layer: int, index: int) -> None:
        if self.stepper.trace is not None:
            self.stepper.select_neuron(layer, index)

    @Slot(int)
    def _on_sample_changed_for_stepper(self, _index: int) -> None:
        if self.stepper_dock.isVisible():
            self.stepper.refresh_example()

    @Slot(object, object, str)
    def _on_current_sample_changed_for_stepper(self, _x, _label, _source: str) -> None:
        if self.stepper_dock.isVisible():
            self.stepper.refresh_example()

    @Slot()
    def _on_trainer_replaced_for_stepper(self) -> None:
        self.stepper.refresh_choices()
        if self.stepper_dock.isVisible():
            self.stepper.trace_again()

    @Slot(bool)
    def _on_stepper_visibility_changed(self, visible: bool) -> None:
        if not visible:
            self.stepper.stop()
            self.network_view.highlight_layer(None)
            if self.stepper_dock.isHidden() and self.in_backprop_mode():  # closed with its × button
                QTimer.singleShot(0, self.leave_backprop_mode)
        else:
            self.stepper.announce_step()

    @Slot()
    def _on_restore_layout_for_stepper(self) -> None:
        self._layout_before_stepper = None
        self.leave_backprop_mode()

    # -- end backprop stepper --------------------------------------------------------------

    # -- settings -------------------------------------------------------------------------
    def _restore_settings(self) -> bool:
        """Window geometry, dock layout and speed from the last session; True if a layout was restored."""
        s = QSettings()
        geometry = s.value(keys.GEOMETRY)
        if geometry is not None:
            self.restoreGeometry(geometry)
        state = s.value(keys.DOCK_STATE)
        restored = state is not None and self.restoreState(state, keys.DOCK_STATE_VERSION)
        speed = s.value(keys.TRAINING_SPEED)
        try:
            speed = int(speed) if speed is not None else SPEED_STEPS
        except (TypeError, ValueError):
            speed = SPEED_STEPS
        self.speed_slider.setValue(min(max(speed, 0), SPEED_STEPS))
        self._on_speed_changed(self.speed_slider.value())
        return bool(restored)

    def _save_settings(self) -> None:
        s = QSettings()
        s.setValue(keys.GEOMETRY, self.saveGeometry())
        s.setValue(keys.DOCK_STATE, self.saveState(keys.DOCK_STATE_VERSION))
        s.setValue(keys.TRAINING_SPEED, self.speed_slider.value())
        s.sync()

    # -- the first network ------------------------------------------------------------------
    def _start(self, dataset, spec, model_path, load_example) -> None:
        toy = None
        if dataset is None:
            try:
                with _busy():
                    dataset, toy = self._load_data(spec)
            except DataError as err:
                self._show_error("Could not load the data set", f"{err}\n\nUsing the embedded MNIST sample instead.")
                spec, dataset = "embedded", load_dataset("embedded")
        self._dataset, self._dataset_spec, self._toy = dataset, spec, toy
        self._refresh_dataset_choices()
        self._show_plane()
        self._show_dataset(dataset)
        path = Path(model_path) if model_path else None
        if path is None and load_example and toy is None:  # the example model reads digits
            try:
                path = resource_path(EXAMPLE_MODEL)
            except FileNotFoundError:
                path = None
        if path is not None and self.open_model(path, ask=False, remember=model_path is not None):
            self._model_is_example = model_path is None
            self._update_title()
            if self._model_is_example:
                self.statusBar().showMessage(
                    "The example network is loaded, already trained: press Space to train it further, "
                    "or Ctrl+N for a fresh network to watch it learn from scratch.",
                    15000,
                )
            return
        self.new_network(ask=False)

    # -- public operations (tests call these too) --------------------------------------------
    @property
    def dataset(self) -> Dataset:
        return self._dataset

    @property
    def model_path(self) -> Path | None:
        return self._model_path

    def has_unsaved_work(self) -> bool:
        """True when the network was trained since it was last saved or loaded."""
        snap = self.controller.latest_snapshot
        return snap is not None and (snap.step != self._clean_step or self.editor.unsaved)

    def new_network(self, ask: bool = True) -> bool:
        """A fresh 784-16-16-10 (the 3Blue1Brown preset) on the current data set; on a
        playground set, a fresh 2-4-1."""
        if ask and not self._maybe_save_changes("start a new network"):
            return False
        preset = PLAYGROUND_PRESET if self._toy is not None else DEFAULT_PRESET
        self.config_panel.apply_preset(preset, emit=False, keep_dataset=True)
        spec = dataclasses.replace(self.config_panel.network_spec(), dataset=self._dataset_spec)
        return self._build_network(spec, self.config_panel.train_config(), ask=False)

    def open_model(self, path: str | os.PathLike, ask: bool = True, remember: bool = True) -> bool:
        """Load a model file and train on from it. On any problem: an error message, and the
        network already loaded stays. remember: list it under Open Recent."""
        if ask and not self._maybe_save_changes("open another network"):
            return False
        path = Path(path)
        try:
            with _busy():
                net = load_model(path)
        except ModelFileError as err:
            self._show_error("Could not open the model", str(err))
            return False
        info = net.info if isinstance(net.info, dict) else {}
        self._open_note = ""
        chosen = self._dataset_for_model(net, info, path)
        if chosen is None:
            return False
        dataset, spec, toy = chosen
        config = config_from_info(info, self.config_panel.train_config())
        if not self._install(net, dataset, spec, config, toy):
            return False
        self._model_path = path
        self._model_is_example = False
        self._epochs_before = _number(info.get("epochs"))
        self._samples_before = int(_number(info.get("samples_seen")))
        if remember:
            keys.add_recent_file(path)
            keys.remember_folder(path)
        self._update_title()
        self.statusBar().showMessage(self._open_note or f"Opened {path.name}: {net!r}", 15000)
        return True

    def save_model_to(self, path: str | os.PathLike) -> bool:
        """Write the network and its training state to path (atomically)."""
        path = Path(path)
        with self.controller.locked_trainer() as trainer:
            net = trainer.net.copy()
            self.editor.store_in_info(net)  # look inside (issue 4): hand edits go into the file
            evaluation = trainer.evaluate()
            step = trainer.steps
            info = {
                "training": trainer.config.as_dict(),
                "epochs": self._epochs_before + trainer.epoch_progress,
                "samples_seen": self._samples_before + trainer.samples_seen,
                "metrics": {}
                if evaluation is None
                else {"test_loss": float(evaluation.loss), "test_accuracy": float(evaluation.accuracy)},
                "dataset": self._dataset.name,
                "dataset_spec": self._dataset_spec,
                "input_shape": list(self._dataset.input_shape),
                "class_names": list(self._dataset.class_names),
            }
            if self._toy is not None and self._toy.drawn:  # the points drawn by hand, to draw them again
                info["drawn_points"] = [list(p) for p in self._toy.drawn]
        try:
            save_model(net, path, **info)
        except ModelFileError as err:
            self._show_error("Could not save the model", str(err))
            return False
        self._model_path = path
        self._model_is_example = False
        self._clean_step = step
        self.editor.mark_saved()  # look inside (issue 4)
        keys.add_recent_file(path)
        keys.remember_folder(path)
        self._update_title()
        self.statusBar().showMessage(f"Saved {path}", 8000)
        return True

    def save(self) -> bool:
        """Save to the current file, or ask for one (untitled or the shipped example)."""
        if self._model_path is None or self._model_is_example:
            return self.save_as()
        return self.save_model_to(self._model_path)

    def save_as(self) -> bool:
        suggested = self._model_path.name if self._model_path and not self._model_is_example else self._suggested_name()
        path = self._ask_save_path(str(Path(keys.last_folder()) / suggested))
        if not path:
            return False
        if not Path(path).suffix:
            path = f"{path}.safetensors"
        return self.save_model_to(path)

    def export_panel_png(self, path: str | os.PathLike, dock: QDockWidget | None = None) -> bool:
        dock = dock or self.current_dock()
        if not dock.widget().grab().save(str(path), "PNG"):
            self._show_error("Could not export the panel", f"{path}: could not write a PNG file there")
            return False
        self.statusBar().showMessage(f"Saved a picture of '{dock.windowTitle()}' to {path}", 8000)
        return True

    def current_dock(self) -> QDockWidget:
        """The panel clicked or focused last (the network view before any click)."""
        return self._current_dock or self.network_dock

    # -- overridable dialogs (tests replace these) ---------------------------------------
    def _ask_open_path(self) -> str | None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a model", keys.last_folder(), MODEL_FILTER)
        return path or None

    def _ask_save_path(self, suggested: str) -> str | None:
        path, _ = QFileDialog.getSaveFileName(self, "Save the model", suggested, "visnet model (*.safetensors)")
        return path or None

    def _ask_png_path(self, suggested: str) -> str | None:
        path, _ = QFileDialog.getSaveFileName(self, "Export the panel as PNG", suggested, "PNG image (*.png)")
        return path or None

    def _ask_save_changes(self, doing: str) -> str:
        """'save', 'discard' or 'cancel': what to do with trained, unsaved work before `doing`."""
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle("Unsaved training")
        box.setText("The network has been trained since it was last saved.")
        box.setInformativeText(f"Save it before you {doing}?")
        box.setStandardButtons(
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel
        )
        box.setDefaultButton(QMessageBox.StandardButton.Save)
        answer = box.exec()
        return {QMessageBox.StandardButton.Save: "save", QMessageBox.StandardButton.Discard: "discard"}.get(
            QMessageBox.StandardButton(answer), "cancel"
        )

    def _show_error(self, title: str, text: str) -> None:
        QMessageBox.critical(self, title, text)

    def _maybe_save_changes(self, doing: str) -> bool:
        """True if it is fine to throw the current network away now."""
        if not self.has_unsaved_work():
            return True
        answer = self._ask_save_changes(doing)
        if answer == "save":
            return self.save()
        return answer == "discard"

    # -- building and installing networks --------------------------------------------------
    def _suggested_name(self) -> str:
        snap = self.controller.latest_snapshot
        arch = "-".join(map(str, snap.sizes)) if snap else "network"
        return f"visnet_{arch}.safetensors"

    def _dataset_for_model(self, net: Network, info: dict, path: Path) -> tuple[Dataset, str, Toy2D | None] | None:
        """The data set to train an opened model on: the one it was saved with if that is
        available (a playground set with the points drawn by hand), else the current one if
        the sizes fit; None (after an error message) if not."""
        dataset, spec, toy = self._dataset, self._dataset_spec, self._toy
        saved_spec = info.get("dataset_spec")
        if not isinstance(saved_spec, str):
            saved_spec = KNOWN_DATASET_NAMES.get(info.get("dataset"))  # files from `visnet train`
        if isinstance(saved_spec, str) and (saved_spec != spec or is_playground(spec)):
            known = {s for s, _ in available_datasets(self._data_dir)}
            if saved_spec in known or is_playground(saved_spec) or Path(saved_spec).is_dir():
                try:
                    with _busy():
                        other, other_toy = self._load_data(saved_spec, info.get("drawn_points"))
                except DataError as err:
                    other = None
                    self._open_note = f"{path.name}: {err}"
                if other is not None and _fits(net, other):
                    dataset, spec, toy = other, saved_spec, other_toy
            if spec != saved_spec and not self._open_note:
                self._open_note = (
                    f"{path.name} was trained on {info.get('dataset') or saved_spec}, which is "
                    f"not available here; it is shown with {dataset.name}."
                )
        if not _fits(net, dataset):
            inputs = "inputs per point" if toy is not None else "pixels per image"
            self._show_error(
                "The model does not fit the data set",
                f"{path.name}: the network has {net.sizes[0]} inputs and {net.sizes[-1]} outputs, "
                f"but {dataset.name} has {dataset.n_inputs} {inputs} and {dataset.n_classes} classes.",
            )
            return None
        return dataset, spec, toy

    def _load_data(self, spec: str, drawn=None) -> tuple[Dataset, Toy2D | None]:
        """The data set named spec, and for a playground set its points (plus `drawn`, the
        [x1, x2, label, split] rows of points drawn by hand). DataError if it cannot be had."""
        if not is_playground(spec):
            return self._load_dataset(spec), None
        toy, dataset = PlaygroundSpec.parse(spec).load(drawn or ())
        return dataset, toy

    def _build_network(self, spec: NetworkSpec, config: TrainConfig, ask: bool = True) -> bool:
        """A new, untrained network from the configuration panel's spec."""
        if ask and not self._maybe_save_changes("build a new network"):
            return False
        dataset, toy = self._dataset, self._toy
        if spec.dataset != self._dataset_spec:
            try:
                with _busy():
                    dataset, toy = self._load_data(spec.dataset)
            except DataError as err:
                self._show_error("Could not load the data set", str(err))
                return False
        n_outputs = 1 if toy is not None else dataset.n_classes  # the playground's single output, as Playground's
        try:
            net = spec.build(dataset.n_inputs, n_outputs)
        except ValueError as err:
            self._show_error("Cannot build this network", str(err))
            return False
        config.seed = spec.seed
        config.rule = spec.rule
        if not self._install(net, dataset, spec.dataset, config, toy):
            return False
        self._model_path = None
        self._model_is_example = False
        self._epochs_before, self._samples_before = 0.0, 0
        self._update_title()
        return True

    def _install(
        self, net: Network, dataset: Dataset, spec: str, config: TrainConfig, toy: Toy2D | None = None
    ) -> bool:
        """Train `net` on `dataset` (toy: its points, for a playground set) from now on,
        stopping the current training."""
        try:
            trainer = Trainer(net, dataset.x_train, dataset.y_train, dataset.x_test, dataset.y_test, config)
        except ValueError as err:
            self._show_error("Cannot train this network on this data set", str(err))
            return False
        dataset_changed = dataset is not self._dataset
        self._dataset, self._dataset_spec, self._toy = dataset, spec, toy
        if dataset_changed:
            self._show_plane()  # before set_trainer draws the new network's first snapshot
        self.controller.set_trainer(trainer)  # stops the old thread; emits trainer_replaced
        self._clean_step = 0
        self.config_panel.set_data_shape(dataset.n_inputs, dataset.n_classes)
        self._refresh_dataset_choices()
        self.config_panel.show_network(net, spec, seed=config.seed if net.seed is None else net.seed)
        self.config_panel.show_config(config)
        if dataset_changed:
            self._show_dataset(dataset)
        return True

    def _show_dataset(self, dataset: Dataset) -> None:
        self._show_dataset_to_inspection(dataset)  # look inside (issue 4); before the sample panel emits
        self.sample_panel.set_dataset(dataset.x_test, dataset.y_test, dataset.class_names)

    # -- the playground (issue 6): 2-D points, surfaces over the plane, drawn points --------
    def _show_plane(self) -> None:
        """Give the panels that draw over the plane a new shared Plane (None for digits)."""
        toy = self._toy
        features = PlaygroundSpec.parse(self._dataset_spec).features if toy is not None else ()
        self._plane = Plane(features, toy.extent) if toy is not None else None
        for panel in (self.surface_panel, self.network_view, self.inspector):
            panel.set_plane(self._plane)
        for panel in (self.weights_panel, self.stepper, self.sample_panel, self.mistakes_panel):  # x₁, x₂, x₁x₂…
            panel.set_features(features if toy is not None else None)
        if toy is not None:
            self.surface_panel.set_data(toy)
        self._show_playground_docks()

    def _show_playground_docks(self) -> None:
        """The decision surface comes to the front for playground data and goes for digits."""
        playground = self._toy is not None
        if playground == self._playground_docks_shown:
            return  # only on a change, so a dock the user moved or closed stays as it is
        self.surface_dock.setVisible(playground)
        if playground and not self.surface_dock.isFloating() and self.weights_dock.isVisible():
            # In place of the 28x28 pictures. Tabified again each time: a tab hidden and shown
            # again stays behind its neighbour whatever raise_() says.
            self.tabifyDockWidget(self.weights_dock, self.surface_dock)
        front = self.surface_dock if playground else self.weights_dock
        front.raise_()
        if self.isVisible() and not front.isFloating():
            self.resizeDocks([front], [round(self._right_column_share() * self.width())], Qt.Orientation.Horizontal)
        self._playground_docks_shown = playground

    def _right_column_share(self) -> float:
        """The plane deserves a wider column than the 28x28 weight pictures."""
        return 0.30 if self._toy is not None else 0.22

    def open_playground(self, name: str = "xor", ask: bool = True) -> bool:
        """A fresh playground network (the XOR preset's 2-4-1) on the 2-D set `name`."""
        if ask and not self._maybe_save_changes("start a playground network"):
            return False
        self.config_panel.apply_preset(PLAYGROUND_PRESET, emit=False, keep_dataset=True)
        spec = dataclasses.replace(self.config_panel.network_spec(), dataset=str(PlaygroundSpec(name)))
        return self._build_network(spec, self.config_panel.train_config(), ask=False)

    @Slot()
    def _on_playground_triggered(self) -> None:
        self.open_playground(self.sender().data())

    @Slot()
    def _on_digits_triggered(self) -> None:
        if self._toy is None or not self._maybe_save_changes("go back to the digits"):
            return
        self.config_panel.apply_preset(DEFAULT_PRESET, emit=False)  # also chooses the embedded digits
        self._build_network(self.config_panel.network_spec(), self.config_panel.train_config(), ask=False)

    @property
    def playground(self) -> Toy2D | None:
        """The playground's points, with those drawn by hand (None for digit data)."""
        return self._toy

    def add_point(self, x1: float, x2: float, label: int, split: str = "train") -> bool:
        """Add a point of class label to the playground's data; training goes on with it
        from its next mini-batch. False (with a message) if it cannot be added."""
        if self._toy is None:
            return False
        try:
            toy = add_point(self._toy, x1, x2, label, split)
        except ValueError as err:
            self.statusBar().showMessage(f"Not added: {err}", 8000)
            return False
        if not self._train_on_points(toy, test_changed=split == "test", doing="added"):
            return False
        self.statusBar().showMessage(
            f"Added a class {label} point at ({x1:.2f}, {x2:.2f}): {toy.n_train} training points now.", 4000
        )
        return True

    def undo_point(self) -> bool:
        """Take back the point drawn last; False if there is none."""
        if self._toy is None or not self._toy.drawn:
            return False
        *kept, last = self._toy.drawn
        toy, _ = PlaygroundSpec.parse(self._dataset_spec).load(kept)
        if not self._train_on_points(toy, test_changed=last.split == "test", doing="removed"):
            return False
        self.statusBar().showMessage(f"Removed the class {last.label} point at ({last.x1:.2f}, {last.x2:.2f}).", 4000)
        return True

    def _train_on_points(self, toy: Toy2D, test_changed: bool, doing: str) -> bool:
        """Train on toy's points from the next mini-batch on, and show them."""
        dataset = PlaygroundSpec.parse(self._dataset_spec).dataset(toy)
        try:
            with self.controller.locked_trainer() as trainer:
                trainer.set_data(dataset.x_train, dataset.y_train, dataset.x_test, dataset.y_test)
        except (RuntimeError, ValueError) as err:
            self.statusBar().showMessage(f"Not {doing}: {err}", 8000)
            return False
        self._toy, self._dataset = toy, dataset
        self.surface_panel.set_data(toy)
        if test_changed:
            self._show_dataset_to_inspection(dataset)
            self.sample_panel.set_dataset(dataset.x_test, dataset.y_test, dataset.class_names)
        if self.controller.state != "running":
            self.controller.publish_snapshot()  # the change's effect on the accuracy shows at once
        return True

    @Slot(float, float, int, str)
    def _on_point_added(self, x1: float, x2: float, label: int, split: str) -> None:
        self.add_point(x1, x2, label, split)

    @Slot(float, float)
    def _on_point_chosen(self, x1: float, x2: float) -> None:
        """A click on the plane: the test point there (within a few pixels) or the bare point
        becomes the current sample, lit up in the network view and explained by the inspector."""
        d = self._dataset
        if self._toy is None or d is None:
            return
        if d.n_test:
            distance = np.hypot(d.x_test[:, 0] - x1, d.x_test[:, 1] - x2)
            nearest = int(np.argmin(distance))
            if distance[nearest] <= NEAR_POINT:
                self._on_test_image_requested(nearest)
                return
        features = PlaygroundSpec.parse(self._dataset_spec).features
        self.set_current_sample(with_features(np.array([[x1, x2]]), features)[0], None, "plane")

    def _refresh_dataset_choices(self) -> None:
        try:
            choices = available_datasets(self._data_dir)
        except (OSError, DataError):
            choices = [("embedded", "Embedded MNIST")]
        self.config_panel.set_datasets(choices, self._dataset_spec)

    # -- drawing ----------------------------------------------------------------------------
    @Slot()
    def _on_redraw_timeout(self) -> None:
        if self._frame_panels:  # the last frame is still being drawn
            return
        snap = self.controller.take_pending_snapshot()
        if snap is None:
            return
        self._show_status(snap)
        if snap.state != "running":  # a pause, step or edit: everything at once
            for panel in self.display_panels:
                panel.show_snapshot(snap)
            self._frame_owed = True  # training resumes once this frame is painted (see event())
            return
        self._frame_snap, self._frame_panels = snap, [*self.display_panels, None]
        self.controller.frame_drawn()  # taken: the next snapshot may come while this one is drawn
        self._draw_next_panel()

    @Slot()
    def _draw_next_panel(self) -> None:
        """Draw one panel of the frame per turn of the event loop while training runs.

        Each plot's scene repaints in an event of its own; queued together after a single
        redraw they ran back to back (~60 ms), and the user's input and the GUI's timers
        waited for all of them. One panel per turn lets them in between. The turn after
        the last panel comes after its paint: the frame is done, and the next one starts."""
        if not self._frame_panels:
            return
        panel = self._frame_panels.pop(0)
        if panel is not None:
            panel.show_snapshot(self._frame_snap)
            self._panel_timer.start()
        else:
            self._frame_snap = None
            self._on_redraw_timeout()

    def _show_status(self, snap: Snapshot) -> None:
        state = self.controller.state
        if self.state_label.property("state") != state:  # a style sheet change re-polishes: not per frame
            color = STATE_COLOR.get(state)
            self.state_label.setProperty("state", state)
            self.state_label.setText(STATE_TEXT.get(state, state))
            self.state_label.setStyleSheet(f"color: {color}; font-weight: bold;" if color else "font-weight: bold;")
        self.epoch_label.setText(f"Epoch {snap.epochs_done + 1}")
        self.batch_label.setText(f"batch {snap.batch_in_epoch:,} / {snap.batches_per_epoch:,}")
        fraction = snap.batch_in_epoch / snap.batches_per_epoch if snap.batches_per_epoch else 0.0
        self.epoch_progress.setValue(round(100 * fraction))
        self.rate_label.setText(
            f"{snap.samples_per_second:,.0f} samples/s"
            if state == "running" and snap.samples_per_second
            else "– samples/s"
        )
        ev = snap.evaluation
        self.accuracy_label.setText(f"Test accuracy {100 * ev.accuracy:.1f}%" if ev is not None else "Test accuracy –")
        self._update_title()

    def _update_title(self) -> None:
        if self._model_path is None:
            name = "Untitled"
        else:
            name = self._model_path.name + (" (example)" if self._model_is_example else "")
        title = f"{name}[*] — visnet"
        if title != self.windowTitle():
            self.setWindowTitle(title)
        modified = self.has_unsaved_work()
        if modified != self.isWindowModified():
            self.setWindowModified(modified)

    # -- controller ---------------------------------------------------------------------------
    @Slot(str)
    def _on_state_changed(self, state: str) -> None:
        running = state == "running"
        self.train_action.setText("Pause" if running else "Train")
        self.train_action.setIcon(
            self.style().standardIcon(
                QStyle.StandardPixmap.SP_MediaPause if running else QStyle.StandardPixmap.SP_MediaPlay
            )
        )
        self.stop_action.setEnabled(state in ("running", "paused", "diverged"))
        if state == "running":
            self.divergence_banner.hide()
        snap = self.controller.latest_snapshot
        if snap is not None:
            self._show_status(snap)

    @Slot()
    def _on_trainer_replaced(self) -> None:
        self._frame_snap, self._frame_panels = None, []  # not the old network's last frame
        for panel in self.display_panels:
            panel.reset()
        self.divergence_banner.hide()
        self._on_state_changed(self.controller.state)

    @Slot(str)
    def _on_diverged(self, message: str) -> None:
        eta = self.config_panel.train_values()["eta"]
        self.divergence_banner.show_message(message, eta)
        self.network_dock.show()
        self.network_dock.raise_()
        self.statusBar().showMessage("Training diverged: try a smaller learning rate.", 30000)

    @Slot(str)
    def _on_paused_itself(self, message: str) -> None:
        self.statusBar().showMessage(message, 15000)

    @Slot(str)
    def _on_training_failed(self, message: str) -> None:
        self._show_error("Training stopped because of an error", message)

    @Slot(object)
    def _on_hyperparameters_changed(self, values: dict) -> None:
        try:
            self.controller.set_hyperparameters(**values)
        except ValueError as err:
            self.statusBar().showMessage(f"Not applied: {err}", 8000)

    @Slot(object)
    def _on_network_requested(self, spec: NetworkSpec) -> None:
        self._build_network(spec, self.config_panel.train_config(), ask=True)

    @Slot()
    def _on_lower_learning_rate_clicked(self) -> None:
        spin = self.config_panel.learning_rate_spin
        spin.setValue(spin.value() / 10)  # emits hyperparameters_changed like a user edit
        self.divergence_banner.hide()
        self.statusBar().showMessage(f"Learning rate set to {spin.value():g}; press Train to try again.", 8000)

    # -- panels talking to each other --------------------------------------------------------
    @Slot(int, int)
    def _on_network_neuron_selected(self, layer: int, index: int) -> None:
        with QSignalBlocker(self.weights_panel):
            self.weights_panel.select_neuron(layer, index)

    @Slot(int, int)
    def _on_mosaic_neuron_selected(self, layer: int, index: int) -> None:
        with QSignalBlocker(self.network_view):
            self.network_view.select_neuron(layer, index)

    @Slot(int)
    def _on_sample_changed(self, index: int) -> None:
        d = self._dataset
        if d is None or not 0 <= index < d.n_test:
            return
        self.set_current_sample(d.x_test[index], int(d.y_test[index]), f"test:{index}")  # look inside (issue 4)

    @Slot(int)
    def _on_speed_changed(self, position: int) -> None:
        delay = delay_for_speed(position)
        self.controller.set_delay(delay)
        self.speed_label.setText(speed_text(delay))

    @Slot(QWidget, QWidget)
    def _on_focus_changed(self, old: QWidget | None, now: QWidget | None) -> None:
        """Remember the panel the user last clicked into, for "Export current panel"."""
        widget = now
        while widget is not None:
            if isinstance(widget, QDockWidget) and widget in self.docks:
                self._current_dock = widget
                return
            widget = widget.parentWidget()

    # -- toolbar and menu actions -----------------------------------------------------------------
    @Slot()
    def _on_train_triggered(self) -> None:
        if self.controller.state != "running":
            self.divergence_banner.hide()
        self.controller.toggle()

    @Slot()
    def _on_step_batch_triggered(self) -> None:
        self.controller.step_batch()

    @Slot()
    def _on_step_epoch_triggered(self) -> None:
        self.controller.step_epoch()

    @Slot()
    def _on_stop_triggered(self) -> None:
        self.controller.stop()

    @Slot()
    def _on_reset_triggered(self) -> None:
        if not self._maybe_save_changes("reset the network"):
            return
        seed = self.config_panel.seed_spin.value()
        self.controller.reset(seed)
        self._clean_step = 0
        self._model_path = None
        self._model_is_example = False
        self._epochs_before, self._samples_before = 0.0, 0
        self._update_title()
        net = self.controller.trainer.net
        self.config_panel.show_network(net, self._dataset_spec, seed=seed)
        self.statusBar().showMessage(f"New random weights drawn with seed {seed}.", 5000)

    @Slot()
    def _on_new_triggered(self) -> None:
        self.new_network(ask=True)

    @Slot()
    def _on_open_triggered(self) -> None:
        if not self._maybe_save_changes("open another network"):
            return
        path = self._ask_open_path()
        if path:
            self.open_model(path, ask=False)

    @Slot()
    def _on_save_triggered(self) -> None:
        self.save()

    @Slot()
    def _on_save_as_triggered(self) -> None:
        self.save_as()

    @Slot()
    def _on_export_triggered(self) -> None:
        dock = self.current_dock()
        name = dock.objectName().removesuffix("_dock")
        path = self._ask_png_path(str(Path(keys.last_folder()) / f"visnet_{name}.png"))
        if path:
            if not Path(path).suffix:
                path = f"{path}.png"
            self.export_panel_png(path, dock)

    @Slot()
    def _on_recent_menu_about_to_show(self) -> None:
        menu = self.recent_menu
        menu.clear()
        files = keys.recent_files()
        for i, file in enumerate(files, start=1):
            action = menu.addAction(f"&{i} {Path(file).name}")
            action.setToolTip(file)
            action.setStatusTip(file)
            action.setData(file)
            action.triggered.connect(self._on_recent_file_triggered)
        if not files:
            menu.addAction("No recent files").setEnabled(False)
        else:
            menu.addSeparator()
            menu.addAction("Clear the list").triggered.connect(self._on_clear_recent_triggered)

    @Slot()
    def _on_recent_file_triggered(self) -> None:
        action = self.sender()
        if isinstance(action, QAction) and action.data():
            self.open_model(action.data(), ask=True)

    @Slot()
    def _on_clear_recent_triggered(self) -> None:
        QSettings().setValue(keys.RECENT_FILES, [])

    @Slot()
    def _on_restore_layout_triggered(self) -> None:
        self._arrange_default_docks()
        self._apply_default_sizes()

    # -- look inside (issue 4): inspector, drawing, mistakes, edits, the current sample ------
    def _build_inspection_panels(self) -> None:
        """The neuron inspector, the drawing panel and the mistakes panel share one cache of
        the test split's activations (one forward pass per snapshot); the editor changes the
        trained network through the controller."""
        self.split_activations = SplitActivations()
        self.editor = NetworkEditor(self.controller, self)
        self.inspector = NeuronInspector(self.split_activations, self.editor)
        self.draw_panel = DrawDigitPanel()
        self.mistakes_panel = MistakesPanel(self.split_activations)
        self._current_sample: tuple[np.ndarray, int | None, str] | None = None
        self.display_panels = self.display_panels + (self.inspector, self.draw_panel, self.mistakes_panel)

    def _build_inspection_docks(self, dock) -> None:
        self.inspector_dock = dock(
            "Neuron inspector",
            "inspector_dock",
            self.inspector,
            "Everything about the selected neuron; click a neuron to select it",
        )
        self.draw_dock = dock(
            "Draw a digit", "draw_dock", self.draw_panel, "Draw a digit and watch the network read it"
        )
        self.mistakes_dock = dock(
            "Mistakes",
            "mistakes_dock",
            self.mistakes_panel,
            "Confusion matrix, per-class accuracy and the misclassified test images",
        )
        self.docks = self.docks + (self.inspector_dock, self.draw_dock, self.mistakes_dock)

    def _arrange_inspection_docks(self) -> None:
        """Tabbed with existing docks so the default layout keeps its shape at 1600x1000:
        the inspector with the configuration (a click on a neuron brings it up), the drawing
        with the current sample, the mistakes with the gradients."""
        for host, guest in (
            (self.config_dock, self.inspector_dock),
            (self.sample_dock, self.draw_dock),
            (self.gradients_dock, self.mistakes_dock),
        ):
            self.tabifyDockWidget(host, guest)
            host.raise_()

    def _build_edit_menu(self, bar) -> None:
        self.undo_action = self._action(
            "&Undo", self._on_undo_triggered, [QKeySequence("Ctrl+Z")], "Undo the last edit of the network"
        )
        self.redo_action = self._action(
            "&Redo",
            self._on_redo_triggered,
            [QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")],
            "Redo the edit undone last",
        )
        edit_menu = bar.addMenu("&Edit")
        edit_menu.addAction(self.undo_action)
        edit_menu.addAction(self.redo_action)
        menus = [a for a in bar.actions() if a.menu() is not None]
        if len(menus) > 1:  # File, then Edit
            bar.insertAction(menus[1], edit_menu.menuAction())
        self.edit_menu = edit_menu
        self.inspector.set_edit_actions(self.undo_action, self.redo_action)
        self._on_edit_history_changed()

    def _connect_inspection(self) -> None:
        self.network_view.neuron_selected.connect(self._on_neuron_selected_for_inspector)
        self.weights_panel.neuron_selected.connect(self._on_neuron_selected_for_inspector)
        self.inspector.neuron_selected.connect(self._on_inspector_neuron_selected)
        self.inspector.sample_requested.connect(self._on_test_image_requested)
        self.mistakes_panel.sample_requested.connect(self._on_test_image_requested)
        self.draw_panel.digit_changed.connect(self._on_drawn_digit_changed)
        self.draw_panel.use_requested.connect(self._on_drawn_digit_used)
        self.editor.edited.connect(self._on_network_edited)
        self.editor.history_changed.connect(self._on_edit_history_changed)

    def _show_dataset_to_inspection(self, dataset: Dataset) -> None:
        self.split_activations.set_dataset(dataset.x_test, dataset.y_test, dataset.class_names)
        self.inspector.set_dataset(dataset.x_test, dataset.y_test, dataset.class_names)
        self.mistakes_panel.set_dataset(dataset.x_test, dataset.y_test, dataset.class_names)
        self.draw_panel.set_class_names(dataset.class_names)

    def set_current_sample(self, x: np.ndarray, label: int | None = None, source: str = "") -> None:
        """Make x (n_inputs,) the sample every panel shows and explains: the network view, the
        inspector's equation, and anyone listening to current_sample_changed (the backprop
        stepper). label is the true class, or None for a drawn digit. source says where it
        came from: "test:<index>" for a test image, "drawing" for the drawing panel, "plane"
        for a point clicked on the playground's plane."""
        x = np.asarray(x, dtype=np.float32).ravel()
        label = None if label is None else int(label)
        self._current_sample = (x, label, source)
        names = self._dataset.class_names if self._dataset is not None else ()
        self.network_view.set_sample(x, label, names)
        self.inspector.set_sample(x, label)
        if source in ("drawing", "plane"):
            self.sample_panel.show_drawing(x)
        if self._toy is not None and x.size >= 2:
            self.surface_panel.set_current_point(x[0], x[1])
        self.current_sample_changed.emit(x, label, source)

    def current_sample(self) -> tuple[np.ndarray, int | None, str] | None:
        """(x, label or None, source) of the current sample, as set_current_sample() set it."""
        return self._current_sample

    def edit_network(self, op: str, *args):
        """Run an edit (NetworkEditor method name: ablate, scale_weights, shift_bias,
        set_weight, set_bias, undo, redo) and report problems in the status bar."""
        try:
            return getattr(self.editor, op)(*args)
        except (ValueError, IndexError, RuntimeError) as err:
            self.statusBar().showMessage(f"Not applied: {err}", 8000)
            return None

    @Slot(int, int)
    def _on_neuron_selected_for_inspector(self, layer: int, index: int) -> None:
        self.inspector.select_neuron(layer, index)
        if self.inspector_dock.isHidden():
            self.inspector_dock.show()
        self.inspector_dock.raise_()

    @Slot(int, int)
    def _on_inspector_neuron_selected(self, layer: int, index: int) -> None:
        with QSignalBlocker(self.network_view):
            self.network_view.select_neuron(layer, index)
        with QSignalBlocker(self.weights_panel):
            self.weights_panel.select_neuron(layer, index)

    @Slot(int)
    def _on_test_image_requested(self, index: int) -> None:
        """A test image clicked in any gallery becomes the current sample everywhere."""
        d = self._dataset
        if d is None or not 0 <= index < d.n_test:
            return
        if self.sample_panel.current_index() != index:
            self.sample_panel.set_index(index)  # emits sample_changed -> set_current_sample
        else:
            self.set_current_sample(d.x_test[index], int(d.y_test[index]), f"test:{index}")

    @Slot(object)
    def _on_drawn_digit_changed(self, x) -> None:
        """While drawing, the network view lights up with the drawing (a live preview)."""
        names = self._dataset.class_names if self._dataset is not None else ()
        self.network_view.set_sample(x, None, names)

    @Slot(object)
    def _on_drawn_digit_used(self, x) -> None:
        self.set_current_sample(x, None, "drawing")
        self.statusBar().showMessage("The drawn digit is now the current sample.", 5000)

    @Slot()
    def _on_undo_triggered(self) -> None:
        self.edit_network("undo")

    @Slot()
    def _on_redo_triggered(self) -> None:
        self.edit_network("redo")

    @Slot(object)
    def _on_network_edited(self, result: EditResult) -> None:
        verb = {"apply": "", "undo": "Undone: ", "redo": "Redone: "}[result.action]
        text = verb + result.edit.describe()
        if result.accuracy_delta is not None:
            text += (
                f" — test accuracy {100 * result.before.accuracy:.2f}% → {100 * result.after.accuracy:.2f}% "
                f"({100 * result.accuracy_delta:+.2f} points)"
            )
        self.statusBar().showMessage(text, 15000)
        self._update_title()

    @Slot()
    def _on_edit_history_changed(self) -> None:
        editor = self.editor
        applied = editor.applied()
        self.undo_action.setEnabled(editor.can_undo)
        self.redo_action.setEnabled(editor.can_redo)
        undo_text = applied[-1].describe() if applied else ""
        self.undo_action.setText(f"&Undo {undo_text[:1].lower() + undo_text[1:]}" if undo_text else "&Undo")

    # -- end look inside ----------------------------------------------------------------------

    # -- showing and closing -----------------------------------------------------------------
    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not self._shown_before:
            self._shown_before = True
            # Start with the keyboard on the network, not in a text field, so Space trains.
            self.network_view.setFocus(Qt.FocusReason.OtherFocusReason)
            if not self._layout_restored:
                # After this event the layout has its real size; resizeDocks needs that.
                QTimer.singleShot(0, self._apply_default_sizes)
            if self._toy is not None:  # tabs arranged before the first show do not keep their order
                self._playground_docks_shown = None
                QTimer.singleShot(0, self._show_playground_docks)

    @Slot()
    def _on_about_triggered(self) -> None:
        from visnet import __version__

        QMessageBox.about(
            self,
            "About visnet",
            f"<h3>visnet {__version__}</h3>"
            "<p>See inside a neural network while it learns handwritten digits.</p>"
            "<p><b>Space</b> train / pause &nbsp; <b>→</b> or <b>S</b> one mini-batch &nbsp; "
            "<b>E</b> or <b>Shift+→</b> one epoch</p>",
        )

    def event(self, event) -> bool:
        """Release training once a frame it waits for has been painted.

        Training waits while a frame is painted (controller.share_with_gui): otherwise the
        two threads take turns at Python's interpreter lock for every Qt call of the paint.
        Qt paints the whole window in one UpdateRequest, so after it the frame is done."""
        handled = super().event(event)
        if event.type() == QEvent.Type.UpdateRequest and self._frame_owed:
            self._frame_owed = False
            self.controller.frame_drawn()
        return handled

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._closed:
            if not self._maybe_save_changes("quit"):
                event.ignore()
                return
            self._closed = True
            self._redraw_timer.stop()
            self.controller.shutdown(1000)
            self.inspector.shutdown()  # look inside (issue 4): joins the activation-maximisation thread
            if self._backprop_mode:  # remember the user's own layout, not the stepper's
                self.leave_backprop_mode()
            self._save_settings()
        event.accept()


def _fits(net: Network, dataset: Dataset) -> bool:
    """Whether net reads this data set's inputs and tells its classes apart."""
    return net.sizes[0] == dataset.n_inputs and n_classes(net.sizes[-1]) == dataset.n_classes


@contextmanager
def _busy():
    """A wait cursor while something slow (loading data or a model) happens."""
    QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
    try:
        yield
    finally:
        QGuiApplication.restoreOverrideCursor()
