"""The main window: docks and workspaces, menus, the training toolbar, the status bar, files.

What the panels share lives in the Session (session.py); each panel subscribes to it, and
the FramePacer (frames.py) draws every snapshot. The window builds both, arranges the docks
in workspaces (workspaces.py), carries out menu and toolbar commands, and reads and writes
files and data sets. Every file dialog and message box goes through a small `_ask_*` /
`_show_*` method, which tests replace with monkeypatch.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from contextlib import contextmanager
from pathlib import Path

from PySide6.QtCore import QEvent, QSettings, QSignalBlocker, Qt, QTimer, Slot
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDockWidget,
    QFileDialog,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSlider,
    QStyle,
    QTabBar,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from visnet.core.history import HistoryRecorder, TrainingHistory
from visnet.core.network import Network
from visnet.core.snapshot import take_snapshot
from visnet.core.targets import n_classes
from visnet.core.training import TrainConfig, Trainer, config_from_stored
from visnet.data import DataError, Dataset, available_datasets, load_dataset
from visnet.data.playground import PLAYGROUND_SETS, PlaygroundSpec, is_playground
from visnet.data.playground import TITLES as PLAYGROUND_TITLES
from visnet.data.specs import is_folder_spec, is_table_spec
from visnet.data.toy2d import TOY2D_GENERATORS, Toy2D
from visnet.io import ModelFileError, open_model, save_model, save_onnx, save_state_dict, torch_sequential_code
from visnet.printable import printable
from visnet.resources import EXAMPLE_MODEL, resource_path

from . import recovery, workspaces
from . import settings as keys
from .animation import AnimationError, AnimationSettings, render_animation
from .animation_dialog import WHOLE_WINDOW, AnimationDialog, progress_dialog
from .appearance import Appearance
from .banner import MessageBanner
from .data_loading import LoadCancelled, load_in_window
from .error_log import log_exception, one_line
from .experiment_menu import ExperimentCommands, is_experiment_path
from .frames import FramePacer
from .lesson_dock import Lessons
from .network_editor import EditResult, NetworkEditor
from .panels import Panel
from .panels.config import DEFAULT_PRESET, PLAYGROUND_PRESET, ConfigPanel, NetworkSpec
from .panels.drawing import DrawDigitPanel
from .panels.gradients import GradientPanel
from .panels.landscape import LandscapePanel
from .panels.loss import LossPanel
from .panels.minibatch import MiniBatchPanel
from .panels.mistakes import MistakesPanel
from .panels.network_view import NetworkView
from .panels.neuron_inspector import NeuronInspector
from .panels.representation_map import RepresentationMapPanel
from .panels.sample import SamplePanel
from .panels.stepper import BackpropStepper
from .panels.surface import DecisionSurfacePanel
from .panels.weights import WeightMosaicPanel
from .plane import Plane
from .playground_points import PlaygroundPoints
from .qt_tooltips import QtButtonTips
from .session import Session
from .shortcuts import ShortcutsDialog
from .split_activations import SplitActivations
from .status import TrainingStatus
from .timeline_bar import TimelineBar
from .training.controller import TrainingController

SPEED_STEPS = 20  # the speed slider's positions; the last one is full speed
MIN_TIMELINE_MB, MAX_TIMELINE_MB = 16, 65_536  # the memory a timeline may be given
SLOWEST_DELAY = 1.0  # seconds per mini-batch at the slider's left end
MODEL_FILTER = (
    "Models (*.safetensors *.json *.onnx *.keras *.skops);;visnet or PyTorch safetensors (*.safetensors);;"
    "network2.py JSON (*.json);;ONNX (*.onnx);;Keras 3 (*.keras);;scikit-learn skops (*.skops);;All files (*)"
)
# Data set names written into model files (Dataset.name) and the specs that load them again.
KNOWN_DATASET_NAMES = {"embedded MNIST": "embedded", "MNIST": "mnist", "Fashion-MNIST": "fashion-mnist"}
LARGEST_FIRST_SIZE = (2400, 1500)  # a first launch takes the screen's free area, up to this


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


def config_from_info(info: dict, fallback: TrainConfig) -> tuple[TrainConfig, list[str]]:
    """The TrainConfig stored in a model file's info (under "training", as `visnet train`
    writes it), each missing or invalid setting replaced by fallback's, and one warning
    per invalid one (training.config_from_stored)."""
    stored = info.get("training", info.get("config")) if isinstance(info, dict) else None
    return config_from_stored(stored, fallback)


def is_read_only_model(path: Path | None) -> bool:
    """Whether a model file belongs to visnet itself (the shipped example): saving never
    writes over it."""
    if path is None:
        return False
    try:
        shipped = resource_path(EXAMPLE_MODEL).resolve().parent
    except FileNotFoundError:
        return False
    return Path(path).resolve().parent == shipped


class MainWindow(QMainWindow):
    """visnet's window. Keyword arguments let tests inject data:

    dataset: the data set to start with (else dataset_loader(dataset_spec));
    dataset_loader: spec -> Dataset, used whenever another data set is chosen
        (default: visnet.data.load_dataset with data_dir);
    model_path: a model file to open at start; load_example: open the shipped example
        model when no model_path is given (else start with a fresh 784-16-16-10).
    """

    def __init__(
        self,
        *,
        model_path: str | os.PathLike | None = None,
        data_dir: str | os.PathLike | None = None,
        dataset: Dataset | None = None,
        dataset_spec: str = "embedded",
        dataset_loader=None,
        load_example: bool = True,
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self.setObjectName("visnet_main_window")
        self._data_dir = data_dir
        self._load_dataset = dataset_loader or (lambda spec: load_in_window(spec, data_dir, self))
        self._model_path: Path | None = None
        self._saves_run = False  # the file in use is a run file: saving it keeps its timeline
        self._clean_step = 0  # the trainer's step count when the network was last saved or loaded
        self._saved_edits: tuple = ()  # the hand edits in force when it was last saved or loaded
        self._history = HistoryRecorder(1)  # the run's curves and counters, saved with the model
        self._dismissed_health: tuple = ()  # (kind, layers) of the health warning the user dismissed
        self._current_dock: QDockWidget | None = None
        self._open_note = ""  # why an opened model is shown with another data set than its own
        self._closed = False
        self._ask_before_closing = True  # False once a signal has put unsaved work in the recovery file
        self._recovery: recovery.Recovery | None = None  # the recovery file offered
        self._workspace = "watch"
        self._workspace_before_backprop = "watch"
        self._shown_before = False

        self.controller = TrainingController(self)
        self.session = Session(self.controller, self)
        self._build_panels()
        self._build_docks()
        self._build_actions()
        self._build_menus()
        self._build_toolbar()
        self._build_status_bar()
        self._connect()
        self.frames = FramePacer(self.controller, self.session, self._frame_panels)
        self.frames.frame_started.connect(self._on_frame_started)
        for dock in self.docks:
            dock.visibilityChanged.connect(lambda visible, dock=dock: visible and self._on_dock_shown(dock))
        self.appearance = Appearance(self, redraw=self._draw_panels_again)
        self._qt_button_tips = QtButtonTips(self)
        self.view_menu.addSeparator()
        self.view_menu.addActions(self.appearance.actions())

        self._restore_settings()
        self._start(dataset, dataset_spec, model_path, load_example)
        self.frames.start()

    # -- construction ---------------------------------------------------------------------
    def _build_panels(self) -> None:
        s = self.session
        self.split_activations = SplitActivations(session=s)  # the test split's activations, shared
        self.points = PlaygroundPoints(s, self.controller, self)
        self.editor = NetworkEditor(self.controller, self)
        self.network_view = NetworkView(session=s)
        self.weights_panel = WeightMosaicPanel(session=s)
        self.loss_panel = LossPanel()
        self.gradient_panel = GradientPanel()
        self.sample_panel = SamplePanel(session=s)
        self.minibatch_panel = MiniBatchPanel(session=s)
        self.surface_panel = DecisionSurfacePanel(session=s)
        self.config_panel = ConfigPanel()
        self.banner = MessageBanner()
        self.recovery_banner = self._make_recovery_banner()
        self.lessons = Lessons(self)
        self.experiments = ExperimentCommands(self)
        self._eager_panels: tuple[Panel, ...] = (
            self.network_view,
            self.sample_panel,
            self.weights_panel,
            self.loss_panel,
            self.gradient_panel,
            self.minibatch_panel,
            self.surface_panel,
        )
        # Panels outside the opening workspace are built the first time they are shown or
        # used: the inspector alone takes 0.2 s to build, a tenth of the window's start.
        self._lazy_factories = {
            "inspector": self._make_inspector,
            "draw_panel": lambda: DrawDigitPanel(session=self.session),
            "mistakes_panel": lambda: MistakesPanel(self.split_activations, session=self.session),
            "stepper": self._make_stepper,
            "landscape_panel": lambda: LandscapePanel(session=self.session),
            "representation_panel": lambda: RepresentationMapPanel(session=self.session),
        }
        self._lazy_panels: dict[str, QWidget] = {}

    def _make_inspector(self) -> NeuronInspector:
        inspector = NeuronInspector(self.split_activations, self.editor, session=self.session)
        inspector.set_edit_actions(self.undo_action, self.redo_action)
        return inspector

    def _make_stepper(self) -> BackpropStepper:
        stepper = BackpropStepper(session=self.session)
        stepper.layer_highlighted.connect(self._on_stepper_layer_highlighted)
        return stepper

    def _lazy(self, name: str):
        """The panel `name`, built (and put into its dock) on first use."""
        panel = self._lazy_panels.get(name)
        if panel is None:
            panel = self._lazy_panels[name] = self._lazy_factories[name]()
            dock = self._lazy_docks[name]
            if panel.focusPolicy() == Qt.FocusPolicy.NoFocus:
                panel.setFocusPolicy(Qt.FocusPolicy.ClickFocus)  # a click marks the panel for export
            dock.setWidget(panel)
            if name == "draw_panel":
                panel.use_requested.connect(self._on_drawn_digit_used)
            snap = self.session.snapshot
            if snap is not None and hasattr(panel, "show_snapshot"):
                panel.show_snapshot(snap)
        return panel

    def _on_dock_shown(self, dock: QDockWidget) -> None:
        """A panel is built on its first showing (and draws the moment shown itself); one
        that was skipped while out of view catches up with the moment shown."""
        name = next((n for n, d in self._lazy_docks.items() if d is dock), None)
        if name is not None and name not in self._lazy_panels:
            self._lazy(name)
            return
        for panel in self.display_panels:
            if dock.isAncestorOf(panel):
                self.frames.catch_up(panel)

    def _frame_panels(self) -> tuple:
        """What the frame pacer draws, in order: the two captions of the current sample
        share a turn (see frames.py), then every other panel built so far."""
        pair = (self.network_view, self.sample_panel)
        return (pair, *(p for p in self.display_panels if p not in pair))

    @property
    def inspector(self) -> NeuronInspector:
        return self._lazy("inspector")

    @property
    def draw_panel(self) -> DrawDigitPanel:
        return self._lazy("draw_panel")

    @property
    def mistakes_panel(self) -> MistakesPanel:
        return self._lazy("mistakes_panel")

    @property
    def stepper(self) -> BackpropStepper:
        return self._lazy("stepper")

    @property
    def landscape_panel(self) -> LandscapePanel:
        return self._lazy("landscape_panel")

    @property
    def representation_panel(self) -> RepresentationMapPanel:
        return self._lazy("representation_panel")

    @property
    def display_panels(self) -> tuple[Panel, ...]:
        """The panels the frame pacer draws: every panel built so far."""
        built = tuple(
            self._lazy_panels[n]
            for n in ("inspector", "draw_panel", "mistakes_panel", "landscape_panel", "representation_panel")
            if n in self._lazy_panels
        )
        return self._eager_panels + built

    def _build_docks(self) -> None:
        self.setDockNestingEnabled(True)
        self.setDockOptions(
            QMainWindow.DockOption.AnimatedDocks
            | QMainWindow.DockOption.AllowNestedDocks
            | QMainWindow.DockOption.AllowTabbedDocks
        )
        # The left and right columns span the window's height; the top area is the centre.
        A, C = Qt.DockWidgetArea, Qt.Corner
        for corner, area in (
            (C.TopLeftCorner, A.LeftDockWidgetArea),
            (C.BottomLeftCorner, A.LeftDockWidgetArea),
            (C.TopRightCorner, A.RightDockWidgetArea),
            (C.BottomRightCorner, A.RightDockWidgetArea),
        ):
            self.setCorner(corner, area)
        # Every panel is a dock, so the central widget is an empty placeholder of zero height.
        # Hidden, it let Qt re-balance the left and right areas by a few pixels on every layout
        # pass: the docks crept for seconds and every plot was resized on every frame.
        placeholder = QWidget()
        placeholder.setObjectName("central_placeholder")
        placeholder.setMaximumHeight(0)
        self.setCentralWidget(placeholder)

        network_box = QWidget()
        column = QVBoxLayout(network_box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(4)
        column.addWidget(self.recovery_banner)
        column.addWidget(self.lessons.banner)
        column.addWidget(self.banner)
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
            "Current sample", "sample_dock", self.sample_panel, "The sample every panel shows, and the network's answer"
        )
        self.minibatch_dock = dock(
            "Mini-batch",
            "minibatch_dock",
            self.minibatch_panel,
            "The training images of the newest mini-batch, with their labels and the network's answers",
        )
        self.config_dock = dock("Configuration", "config_dock", self.config_panel, "Architecture and hyperparameters")
        self.surface_dock = dock(
            "Decision surface",
            "surface_dock",
            self.surface_panel,
            "The playground: the network's answer over the whole plane, and the points",
        )
        self.inspector_dock = dock(
            "Neuron inspector",
            "inspector_dock",
            QWidget(),
            "Everything about the selected neuron; click a neuron to select it",
        )
        self.draw_dock = dock("Draw a digit", "draw_dock", QWidget(), "Draw a digit and watch the network read it")
        self.mistakes_dock = dock(
            "Mistakes",
            "mistakes_dock",
            QWidget(),
            "Confusion matrix, per-class accuracy and the misclassified test images",
        )
        self.stepper_dock = dock(
            "Backpropagation, step by step",
            "stepper_dock",
            QWidget(),
            "One SGD step of the current sample, quantity by quantity, with the real numbers",
        )
        self.landscape_dock = dock(
            "Cost landscape",
            "landscape_dock",
            QWidget(),
            "The cost over a plane through the parameters, the path training took on it, and the cost along one weight",
        )
        self.representation_dock = dock(
            "Representation map",
            "representation_dock",
            QWidget(),
            "Every test example placed by its activations in a chosen layer (PCA), coloured by class",
        )
        self.experiment_dock, self.matched_weights_dock, self.run_maps_dock = self.experiments.build_docks(dock)
        self.docks = (
            self.network_dock,
            self.weights_dock,
            self.loss_dock,
            self.gradients_dock,
            self.sample_dock,
            self.minibatch_dock,
            self.config_dock,
            self.surface_dock,
            self.inspector_dock,
            self.draw_dock,
            self.mistakes_dock,
            self.stepper_dock,
            self.landscape_dock,
            self.representation_dock,
            self.experiment_dock,
            self.matched_weights_dock,
            self.run_maps_dock,
        )
        self._docks_by_name = {d.objectName(): d for d in self.docks}
        self._lazy_docks = {
            "inspector": self.inspector_dock,
            "draw_panel": self.draw_dock,
            "mistakes_panel": self.mistakes_dock,
            "stepper": self.stepper_dock,
            "landscape_panel": self.landscape_dock,
            "representation_panel": self.representation_dock,
        }

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
            self.controller.step_batch,
            [K.Key_Right, K.Key_S],
            "Train on exactly one mini-batch, then pause",
            P.SP_MediaSeekForward,
        )
        self.step_epoch_action = self._action(
            "Step epoch",
            self.controller.step_epoch,
            [K.Key_E, QKeySequence(Qt.Modifier.SHIFT | K.Key_Right)],
            "Train to the end of the current epoch, then pause",
            P.SP_MediaSkipForward,
        )
        self.stop_action = self._action(
            "Stop",
            self.controller.stop,
            (),
            "Stop training and end the training thread; Train continues from here",
            P.SP_MediaStop,
        )
        self.previous_moment_action = self._action(
            "Previous moment",
            lambda: self.session.step_through(-1),
            [K.Key_Comma],
            "Go back to the previous recorded moment: every panel shows the network as it was then",
        )
        self.next_moment_action = self._action(
            "Next moment", lambda: self.session.step_through(1), [K.Key_Period], "Go to the next recorded moment"
        )
        self.first_moment_action = self._action(
            "First moment", lambda: self.session.look_at(0), [K.Key_Home], "Go back to the start of the run"
        )
        self.live_action = self._action(
            "Live", self.session.go_live, [K.Key_End], "Back to the present: every panel follows training again"
        )
        self.timeline_budget_action = self._action(
            "Memory for the timeline…",
            self._on_timeline_budget_triggered,
            (),
            "How much memory the run's recorded moments may take: a wide network keeps fewer moments, never more",
        )
        self.branch_action = self._action(
            "Continue training from this moment",
            self._on_branch_triggered,
            (),
            "Train on from the moment shown (a branch); the run so far stays in the timeline",
        )
        self.full_speed_action = self._action(
            "Full speed",
            self._on_full_speed_triggered,
            [K.Key_F],
            "Train as fast as the computer can: ends the gentle start and slow motion",
            P.SP_MediaSeekForward,
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
            self.save,
            [QKeySequence.StandardKey.Save],
            "Save the network and its training state",
            P.SP_DialogSaveButton,
        )
        self.save_as_action = self._action(
            "Save &As…", self.save_as, [QKeySequence("Ctrl+Shift+S")], "Save the network to a new file"
        )
        self.save_run_action = self._action(
            "Save R&un…",
            self.save_run_as,
            [QKeySequence("Ctrl+Alt+S")],
            "Save the network with its timeline (a run file): opened again, the whole run can be gone through",
        )
        self.export_action = self._action(
            "&Export current panel as PNG…",
            self._on_export_triggered,
            (),
            "Save a picture of the panel you last clicked",
        )
        self.export_animation_action = self._action(
            "Export &animation…",
            self._on_export_animation_triggered,
            (),
            "Turn a span of the run's timeline into an animated GIF (or MP4) of a panel or the whole window",
        )
        self.export_onnx_action = self._action(
            "&ONNX…",
            self._on_export_onnx_triggered,
            (),
            "Write the network as ONNX, for onnxruntime, Netron and other tools (needs the onnx package)",
        )
        self.export_state_dict_action = self._action(
            "&PyTorch state dict…",
            self._on_export_state_dict_triggered,
            (),
            "Write the weights as a PyTorch nn.Sequential state dict (safetensors), with the code that loads it",
        )
        self.quit_action = self._action("&Quit", self.close, [QKeySequence("Ctrl+Q")], "Close visnet")
        self.restore_layout_action = self._action(
            "Restore workspace layout",
            self._on_restore_layout_triggered,
            (),
            "Put every panel of this workspace back where it started",
        )
        self.undo_action = self._action(
            "&Undo", lambda: self.edit_network("undo"), [QKeySequence("Ctrl+Z")], "Undo the last edit of the network"
        )
        self.redo_action = self._action(
            "&Redo",
            lambda: self.edit_network("redo"),
            [QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")],
            "Redo the edit undone last",
        )
        self.backprop_action = self._action(
            "Step through &backpropagation",
            self._on_backprop_triggered,
            [QKeySequence("Ctrl+B")],
            "Pause training and walk through one backpropagation step with the real numbers; again to go back",
        )
        self.backprop_action.setCheckable(True)
        self.about_action = self._action("&About visnet", self._on_about_triggered, (), "Version, and the main keys")
        self.shortcuts_action = self._action(
            "&Keyboard shortcuts",
            self._on_shortcuts_triggered,
            [QKeySequence("Ctrl+/")],
            "Every key the window knows, by menu, with a search field",
        )
        self.workspace_actions = QActionGroup(self)
        for i, ws in enumerate(workspaces.WORKSPACES, start=1):
            action = self._action(ws.title, self._on_workspace_action_triggered, [QKeySequence(f"Ctrl+{i}")], ws.tip)
            action.setCheckable(True)
            action.setData(ws.name)
            self.workspace_actions.addAction(action)

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
        digits = self.playground_menu.addAction("Back to the &digits", self._on_digits_triggered)
        digits.setToolTip("A fresh 784-16-16-10 network on the handwritten digits (asks to save first)")
        file_menu.addAction(self.open_action)
        self.recent_menu = file_menu.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(self._on_recent_menu_about_to_show)
        file_menu.addAction(self.save_action)
        file_menu.addAction(self.save_as_action)
        file_menu.addAction(self.save_run_action)
        self.export_model_menu = file_menu.addMenu("Expor&t")
        self.export_model_menu.addAction(self.export_onnx_action)
        self.export_model_menu.addAction(self.export_state_dict_action)
        file_menu.addSeparator()
        file_menu.addAction(self.export_action)
        file_menu.addAction(self.export_animation_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)

        self.edit_menu = bar.addMenu("&Edit")
        self.edit_menu.addAction(self.undo_action)
        self.edit_menu.addAction(self.redo_action)
        self._on_edit_history_changed()

        training_menu = bar.addMenu("&Training")
        for action in (
            self.train_action,
            self.step_batch_action,
            self.step_epoch_action,
            self.stop_action,
            self.reset_action,
        ):
            training_menu.addAction(action)

        timeline_menu = bar.addMenu("Time&line")
        for action in (
            self.previous_moment_action,
            self.next_moment_action,
            self.first_moment_action,
            self.live_action,
        ):
            timeline_menu.addAction(action)
        timeline_menu.addSeparator()
        timeline_menu.addAction(self.branch_action)
        timeline_menu.addAction(self.timeline_budget_action)

        self.experiments.build_menu(bar)

        view_menu = self.view_menu = bar.addMenu("&View")
        for action in self.workspace_actions.actions():
            view_menu.addAction(action)
        view_menu.addAction(self.restore_layout_action)
        view_menu.addSeparator()
        panels_menu = view_menu.addMenu("&Panels")
        for d in sorted(self.docks, key=lambda d: d.windowTitle()):
            toggle = d.toggleViewAction()
            toggle.setToolTip(f"Show or hide this panel: {d.toolTip()[:1].lower()}{d.toolTip()[1:]}")
            toggle.setStatusTip(toggle.toolTip())
            panels_menu.addAction(toggle)

        backprop_menu = bar.addMenu("&Backprop")
        backprop_menu.addAction(self.backprop_action)
        backprop_menu.addSeparator()
        # The stepper's own keys work only while it has the focus, so they never clash with
        # the training keys; the menu shows them (text after a tab) and works from anywhere.
        for text, slot, tip in (
            ("Next step\t→ / PgDown", lambda: self.stepper.next_step(), "The next quantity of the step"),
            ("Previous step\t← / PgUp", lambda: self.stepper.previous_step(), "The quantity before"),
            ("Play / pause\tP", lambda: self.stepper.toggle_play(), "Walk through the steps by themselves"),
            ("Back to the first step\tHome", lambda: self.stepper.first_step(), "Start the walk again"),
            (
                "Trace again (pauses training)",
                lambda: self.stepper.trace_again(),
                "Read the network and the example again: the step training would take now",
            ),
        ):
            action = backprop_menu.addAction(text)
            action.setToolTip(tip)
            action.setStatusTip(tip)
            action.triggered.connect(slot)
        self.backprop_menu = backprop_menu

        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self.lessons.open_action)
        help_menu.addAction(self.shortcuts_action)
        help_menu.addAction(self.about_action)

    def _build_toolbar(self) -> None:
        toolbar = QToolBar("Training")
        toolbar.setObjectName("training_toolbar")
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        toolbar.setMovable(False)
        for action in (self.train_action, self.step_batch_action, self.step_epoch_action):
            toolbar.addAction(action)
        for action in (self.stop_action, self.reset_action):  # used less: icons only, text in the tooltip
            toolbar.addAction(action)
            toolbar.widgetForAction(action).setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
        toolbar.addSeparator()
        tip = (
            "Time per mini-batch: slow motion on the left, full speed on the right. A fresh network "
            "starts gently (about 30 s for the first epoch, then faster) until you choose a speed"
        )
        speed_caption = QLabel(" Slow ")
        speed_caption.setToolTip(tip)
        self.speed_slider = QSlider(Qt.Orientation.Horizontal)
        self.speed_slider.setRange(0, SPEED_STEPS)
        self.speed_slider.setPageStep(2)
        self.speed_slider.setValue(SPEED_STEPS)
        self.speed_slider.setFixedWidth(120)
        self.speed_slider.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keep the arrow keys for stepping
        self.speed_slider.setToolTip(tip)
        fast_caption = QLabel(" fast ")
        fast_caption.setToolTip(tip)
        self.speed_label = QLabel()
        self.speed_label.setMinimumWidth(self.fontMetrics().horizontalAdvance("888 ms/batch") + 8)
        self.speed_label.setToolTip(tip)
        for widget in (speed_caption, self.speed_slider, fast_caption, self.speed_label):
            toolbar.addWidget(widget)
        toolbar.addAction(self.full_speed_action)
        toolbar.widgetForAction(self.full_speed_action).setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, toolbar)
        self.toolbar = toolbar

        switcher = QToolBar("Workspaces")
        switcher.setObjectName("workspace_toolbar")
        switcher.setMovable(False)
        self.workspace_tabs = QTabBar()
        self.workspace_tabs.setDrawBase(False)
        self.workspace_tabs.setExpanding(False)
        self.workspace_tabs.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        for i, ws in enumerate(workspaces.WORKSPACES, start=1):
            index = self.workspace_tabs.addTab(ws.title)
            self.workspace_tabs.setTabToolTip(index, f"{ws.tip} (Ctrl+{i})")
        self.workspace_tabs.currentChanged.connect(self._on_workspace_tab_changed)
        switcher.addWidget(self.workspace_tabs)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, switcher)
        self.workspace_toolbar = switcher

        self.addToolBarBreak(Qt.ToolBarArea.TopToolBarArea)
        timeline = QToolBar("Timeline")
        timeline.setObjectName("timeline_toolbar")
        timeline.setMovable(False)
        self.timeline_bar = TimelineBar(self.session)
        timeline.addWidget(self.timeline_bar)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, timeline)
        self.timeline_toolbar = timeline

    def _build_status_bar(self) -> None:
        self.status = TrainingStatus(self.statusBar(), self.session)
        self.experiments.add_status_widgets(self.statusBar())

    def _connect(self) -> None:
        c = self.controller
        c.state_changed.connect(self._on_state_changed)
        c.diverged.connect(self._on_diverged)
        c.paused_itself.connect(self._on_paused_itself)
        c.training_failed.connect(self._on_training_failed)
        c.process_died.connect(self._on_training_process_died)
        self.session.network_replaced.connect(self._on_network_replaced)
        self.network_view.neuron_selected.connect(self._on_neuron_clicked)
        self.weights_panel.neuron_selected.connect(self._on_neuron_clicked)
        self.config_panel.hyperparameters_changed.connect(self._on_hyperparameters_changed)
        self.config_panel.network_requested.connect(self._on_network_requested)
        self.surface_panel.point_added.connect(self.points.add)
        self.surface_panel.point_chosen.connect(self.points.follow)
        self.surface_panel.undo_point_requested.connect(self.points.undo)
        self.points.message.connect(self.statusBar().showMessage)
        self.speed_slider.valueChanged.connect(self._on_speed_changed)
        self.banner.action_button.clicked.connect(self._on_lower_learning_rate_clicked)
        self.banner.dismiss_button.clicked.connect(self._on_banner_dismissed)
        self.editor.edited.connect(self._on_network_edited)
        self.editor.history_changed.connect(self._on_edit_history_changed)
        self.stepper_dock.visibilityChanged.connect(self._on_stepper_visibility_changed)
        QApplication.instance().focusChanged.connect(self._on_focus_changed)
        self.experiments.sync_actions()

    # -- workspaces ---------------------------------------------------------------------------
    @property
    def workspace(self) -> str:
        """The name of the workspace shown (workspaces.WORKSPACES)."""
        return self._workspace

    def show_workspace(self, name: str) -> None:
        """Switch to workspace `name`: its remembered arrangement if it still suits the screen
        and the data, else its default layout."""
        ws = workspaces.workspace(name)
        if ws.name == self._workspace and self._shown_before:
            return
        if self._shown_before:
            workspaces.remember(self._workspace, self.saveState(workspaces.LAYOUT_VERSION))
        leaving_backprop = self._workspace == "backprop" and ws.name != "backprop"
        if ws.name == "backprop" and self._workspace != "backprop":
            self._workspace_before_backprop = self._workspace
        self._workspace = ws.name
        self._sync_workspace_controls()
        state = workspaces.remembered(ws.name)
        restored = state is not None and self.restoreState(state, workspaces.LAYOUT_VERSION)
        if not restored or not self._layout_suits():
            self._arrange_workspace(ws.name)
            if self.isVisible():
                QTimer.singleShot(0, self._apply_workspace_sizes)
        elif self.isVisible():
            QTimer.singleShot(0, self._repair_layout_if_needed)
        if leaving_backprop and "stepper" in self._lazy_panels:
            self.stepper.stop()
            self.network_view.highlight_layer(None)
        if ws.name == "backprop":
            self.stepper.trace_again()
            self.stepper.setFocus(Qt.FocusReason.OtherFocusReason)
        self.lessons.workspace_shown()

    def _sync_workspace_controls(self) -> None:
        names = [w.name for w in workspaces.WORKSPACES]
        index = names.index(self._workspace)
        if self.workspace_tabs.currentIndex() != index:
            self.workspace_tabs.blockSignals(True)
            self.workspace_tabs.setCurrentIndex(index)
            self.workspace_tabs.blockSignals(False)
        for action in self.workspace_actions.actions():
            action.setChecked(action.data() == self._workspace)
        self.backprop_action.setChecked(self._workspace == "backprop")

    def _arrange_workspace(self, name: str) -> None:
        workspaces.arrange(self, self._docks_by_name, workspaces.workspace(name), self.session.playground is not None)

    @Slot()
    def _apply_workspace_sizes(self) -> None:
        workspaces.apply_sizes(self, self._docks_by_name, workspaces.workspace(self._workspace))

    def _layout_suits(self) -> bool:
        return workspaces.suits(self._docks_by_name, self.session.playground is not None)

    @Slot()
    def _repair_layout_if_needed(self) -> None:
        """A remembered arrangement that no longer fits (another screen, another kind of
        data) is laid out afresh rather than shown broken."""
        if not self._layout_suits():
            self._arrange_workspace(self._workspace)
            QTimer.singleShot(0, self._apply_workspace_sizes)

    def layout_problems(self) -> list[str]:
        """What is wrong with the layout on screen now: a window larger than its screen's
        available area, docks below their widgets' minimum size or reaching outside the
        window. Empty when it fits."""
        problems = []
        screen = self.screen()
        if screen is not None:
            area = screen.availableGeometry()
            outer = self.frameGeometry()
            if outer.width() > area.width() or outer.height() > area.height():
                problems.append(
                    f"the window ({outer.width()}x{outer.height()}) is larger than the screen ({area.width()}x{area.height()})"
                )
        for dock in self.docks:
            if not dock.isVisible() or dock.isFloating() or dock.visibleRegion().isEmpty():
                continue  # hidden, floating, or a tab behind another
            if not workspaces.fits_minimum(dock):
                widget = dock.widget()
                need = widget.minimumSizeHint().expandedTo(widget.minimumSize())
                problems.append(
                    f"{dock.objectName()} is {widget.width()}x{widget.height()}, "
                    f"below its minimum {need.width()}x{need.height()}"
                )
            if not self.rect().contains(dock.geometry()):
                problems.append(f"{dock.objectName()} reaches outside the window")
        return problems

    def _fit_to_screen(self) -> None:
        """The size remembered, or on a first launch the screen's whole free area (up to
        LARGEST_FIRST_SIZE), but never more than that area, and moved inside it."""
        screen = self.screen() or QGuiApplication.primaryScreen()
        width, height = (self.width(), self.height()) if self._geometry_restored else LARGEST_FIRST_SIZE
        if screen is None:
            self.resize(min(width, 1600), min(height, 1000))
            return
        area = screen.availableGeometry()
        frame = self.frameGeometry().size() - self.geometry().size()  # title bar and borders
        self.resize(min(width, area.width() - frame.width()), min(height, area.height() - frame.height()))
        if not area.contains(self.frameGeometry()):
            self.move(area.topLeft())

    @Slot(int)
    def _on_workspace_tab_changed(self, index: int) -> None:
        self._choose_workspace(workspaces.WORKSPACES[index].name)

    @Slot()
    def _on_workspace_action_triggered(self) -> None:
        self._choose_workspace(self.sender().data())

    def _choose_workspace(self, name: str) -> None:
        """The user's choice: the playground workspace with digit data opens a playground."""
        if name == "playground" and self.session.playground is None:
            if not self.open_playground("xor"):
                self._sync_workspace_controls()
            return
        self.show_workspace(name)

    @Slot()
    def _on_restore_layout_triggered(self) -> None:
        self._arrange_workspace(self._workspace)
        self._apply_workspace_sizes()

    # -- backpropagation ------------------------------------------------------------------
    def in_backprop_mode(self) -> bool:
        return self._workspace == "backprop"

    def enter_backprop_mode(self) -> None:
        """The Backpropagation workspace: the stepper traces the current sample on the live
        network (pausing training)."""
        self.show_workspace("backprop")

    def leave_backprop_mode(self) -> None:
        """Back to the workspace shown before."""
        if self._workspace == "backprop":
            self.show_workspace(self._workspace_before_backprop)

    @Slot()
    def _on_backprop_triggered(self) -> None:
        if self.in_backprop_mode():
            self.leave_backprop_mode()
        else:
            self.enter_backprop_mode()
        self._sync_workspace_controls()

    @Slot(object, str)
    def _on_stepper_layer_highlighted(self, layer, direction: str) -> None:
        if self.stepper_dock.isVisible():
            self.network_view.highlight_layer(layer, direction)

    @Slot(bool)
    def _on_stepper_visibility_changed(self, visible: bool) -> None:
        if "stepper" not in self._lazy_panels:
            return  # never shown: nothing to stop
        if not visible:
            self.stepper.stop()
            self.network_view.highlight_layer(None)
        else:
            self.stepper.announce_step()

    # -- settings -------------------------------------------------------------------------
    def _restore_settings(self) -> None:
        """Window geometry, workspace and speed from the last session."""
        s = QSettings()
        geometry = s.value(keys.GEOMETRY)
        self._geometry_restored = geometry is not None and self.restoreGeometry(geometry)
        name = s.value(keys.WORKSPACE)
        if isinstance(name, str) and name in workspaces.BY_NAME and name not in ("backprop", "playground"):
            self._workspace = name
        speed = s.value(keys.TRAINING_SPEED)
        try:
            speed = int(speed) if speed is not None else SPEED_STEPS
        except (TypeError, ValueError):
            speed = SPEED_STEPS
        self.speed_slider.setValue(min(max(speed, 0), SPEED_STEPS))
        self._on_speed_changed(self.speed_slider.value())
        budget = s.value(keys.TIMELINE_BUDGET_MB)
        try:
            budget = int(budget) if budget is not None else None
        except (TypeError, ValueError):
            budget = None
        if budget is not None and MIN_TIMELINE_MB <= budget <= MAX_TIMELINE_MB:
            self.session.set_timeline_budget(budget * 2**20)
        # A fresh network starts at a pace a person can follow, unless slow motion was chosen.
        self.controller.set_gentle_start(self.controller.delay == 0)

    def _save_settings(self) -> None:
        s = QSettings()
        s.setValue(keys.GEOMETRY, self.saveGeometry())
        workspaces.remember(self._workspace, self.saveState(workspaces.LAYOUT_VERSION))
        s.setValue(keys.WORKSPACE, self._workspace)
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
        elif is_playground(spec):
            toy, dataset = PlaygroundSpec.parse(spec).load(())
        self._set_data(dataset, spec, toy)
        if toy is not None:
            self._workspace = "playground"
        self._arrange_workspace(self._workspace)
        self._sync_workspace_controls()
        path = Path(model_path) if model_path else None
        if path is not None and is_experiment_path(path):  # visnet EXPERIMENT: the runs, and a fresh network
            self.new_network(ask=False)
            self.experiments.open_file(path)
            return
        if path is None and load_example and _reads_digits(dataset):  # the example model reads 28x28 digits
            try:
                path = resource_path(EXAMPLE_MODEL)
            except FileNotFoundError:
                path = None
        if path is not None and self.open_model(path, ask=False, remember=model_path is not None):
            if is_read_only_model(path):
                self.statusBar().showMessage(
                    "The example network, already trained: Space trains it on, Ctrl+N starts a fresh one.",
                    15000,
                )
            return
        self.new_network(ask=False)

    # -- public operations (tests call these too) --------------------------------------------
    @property
    def dataset(self) -> Dataset | None:
        return self.session.dataset

    @property
    def playground(self) -> Toy2D | None:
        """The playground's points, with those drawn by hand (None for digit data)."""
        return self.session.playground

    @property
    def model_path(self) -> Path | None:
        return self._model_path

    def model_is_example(self) -> bool:
        """Whether the model shown is visnet's shipped example (never written over)."""
        return is_read_only_model(self._model_path)

    def has_unsaved_work(self) -> bool:
        """True when the network was trained or edited since it was last saved or loaded."""
        return bool(self.unsaved_changes())

    def unsaved_changes(self) -> str:
        """'trained', 'edited' or '' (nothing to save)."""
        snap = self.controller.latest_snapshot
        if snap is None:
            return ""
        if snap.step != self._clean_step:
            return "trained"
        if tuple(self.editor.applied()) != self._saved_edits:
            return "edited"
        return ""

    def new_network(self, ask: bool = True) -> bool:
        """A fresh 784-16-16-10 (the 3Blue1Brown preset) on the current data set; on a
        playground set, a fresh 2-4-1."""
        if ask and not self._maybe_save_changes("start a new network"):
            return False
        preset = PLAYGROUND_PRESET if self.session.playground is not None else DEFAULT_PRESET
        self.config_panel.apply_preset(preset, keep_dataset=True)
        spec = dataclasses.replace(self.config_panel.network_spec(), dataset=self.session.dataset_spec)
        return self._build_network(spec, self.config_panel.train_config(), ask=False)

    def open_model(self, path: str | os.PathLike, ask: bool = True, remember: bool = True) -> bool:
        """Load a model file and train on from it. On any problem: an error message, and the
        network already loaded stays. remember: list it under Open Recent. An experiment
        file opens in the Compare runs workspace instead, leaving the network as it is."""
        if is_experiment_path(path):
            return self.experiments.open_file(path)
        if ask and not self._maybe_save_changes("open another network"):
            return False
        path = Path(path)
        try:
            with _busy():
                opened = open_model(path)
        except ModelFileError as err:
            self._show_error("Could not open the model", str(err))
            return False
        except Exception as err:  # a file the loader should have refused with a ModelFileError
            logged = log_exception(err)
            details = f" (details saved to {logged})" if logged is not None else ""
            self._show_error("Could not open the model", f"{path}: unexpected error, {one_line(err)}{details}")
            return False
        net = opened.network
        info = net.info if isinstance(net.info, dict) else {}
        self._open_note = ""
        chosen = self._dataset_for_model(net, info, path)
        if chosen is None:
            return False
        dataset, spec, toy = chosen
        config, warnings = config_from_info(info, self.config_panel.train_config())
        self._open_note = " ".join([self._open_note, *(f"{path.name}: {w}." for w in warnings)]).strip()
        if not self.install_network(net, dataset, spec, config, toy, history=opened.history):
            return False
        if opened.timeline is not None:
            self.session.set_timeline(opened.timeline)
        self._saves_run = opened.timeline is not None  # Save keeps writing the timeline
        self._model_path = path
        self._saved_edits = tuple(self.editor.applied())
        if remember and not is_read_only_model(path):
            keys.add_recent_file(path)
            keys.remember_folder(path)
        self._update_title()
        notes = [self._open_note, *opened.warnings] if self._open_note or opened.warnings else []
        self.statusBar().showMessage(" ".join(notes) or f"Opened {path.name}: {net!r}", 15000)
        return True

    def save_model_to(self, path: str | os.PathLike, with_timeline: bool | None = None) -> bool:
        """Write the network and its training state to path (atomically), with the run's
        timeline when with_timeline (default: when the file in use is a run file). The
        shipped example's folder is refused."""
        if with_timeline is None:
            with_timeline = self._saves_run
        path = Path(path)
        if is_read_only_model(path):
            self._show_error(
                "Could not save the model", f"{path}: this is visnet's own example; save your network elsewhere"
            )
            return False
        net, info, step = self._model_to_save()
        timeline = self.session.timeline if with_timeline else None
        try:
            with _busy():
                save_model(net, path, history=self._history.history(), timeline=timeline, **info)
        except ModelFileError as err:
            self._show_error("Could not save the model", str(err))
            return False
        self._saves_run = with_timeline
        self._model_path = path
        self._clean_step = step
        self._saved_edits = tuple(self.editor.applied())
        keys.add_recent_file(path)
        keys.remember_folder(path)
        self._update_title()
        self.statusBar().showMessage(f"Saved {path}", 8000)
        return True

    def _model_to_save(self) -> tuple[Network, dict, int]:
        """A copy of the network with its hand edits, the info to save with it, and the
        step it was taken at."""
        dataset, toy = self.session.dataset, self.session.playground
        with self.controller.locked_trainer() as trainer:
            net = trainer.net.copy()
            self.editor.store_in_info(net)
            evaluation = trainer.evaluate()
            step = trainer.steps
            info = {
                "training": trainer.config.as_dict(),
                "epochs": trainer.epoch_progress,
                "samples_seen": trainer.samples_seen,
                "metrics": {}
                if evaluation is None
                else {"test_loss": float(evaluation.loss), "test_accuracy": float(evaluation.accuracy)},
                "dataset": dataset.name,
                "dataset_spec": self.session.dataset_spec,
                "input_shape": list(dataset.input_shape),
                "class_names": list(dataset.class_names),
            }
            if dataset.is_part:  # trained on the first examples only (lesson 8's 1,000 images)
                info["dataset_part"] = dataset.part_info()
            if toy is not None and toy.drawn:  # the points drawn by hand, to draw them again
                info["drawn_points"] = [list(p) for p in toy.drawn]
            if self.session.timeline.last is None or self.session.timeline.last.step <= step:
                # the network saved is the run's newest moment, whatever frame was drawn last
                self.session.timeline.add(take_snapshot(trainer, state="paused"), kept=True)
        return net, info, step

    def save(self) -> bool:
        """Save to the current file, or ask for one (untitled, or the shipped example)."""
        if self._model_path is None or self.model_is_example():
            return self.save_as()
        return self.save_model_to(self._model_path)

    def save_run_as(self) -> bool:
        """Save the network with its timeline to a file the user chooses."""
        stem = self._model_path.stem if self._model_path is not None and not self.model_is_example() else "network"
        suggested = stem if stem.endswith("-run") else f"{stem}-run"
        with self._paused_for_prompt():
            path = self._ask_save_path(str(Path(keys.last_folder()) / f"{suggested}.safetensors"))
        if not path:
            return False
        if not Path(path).suffix:
            path = f"{path}.safetensors"
        return self.save_model_to(path, with_timeline=True)

    def save_as(self) -> bool:
        if self._model_path is not None and not self.model_is_example():
            suggested = self._model_path.name
        else:
            suggested = self._suggested_name()
        with self._paused_for_prompt():
            path = self._ask_save_path(str(Path(keys.last_folder()) / suggested))
        if not path:
            return False
        if not Path(path).suffix:
            path = f"{path}.safetensors"
        return self.save_model_to(path)

    def export_panel_png(self, path: str | os.PathLike, dock: QDockWidget | None = None) -> bool:
        """A picture of a panel, without its hover hint."""
        dock = dock or self.current_dock()
        widget = dock.widget()
        hint_owners = [w for w in (widget, *widget.findChildren(QWidget)) if hasattr(w, "set_hint_visible")]
        for w in hint_owners:
            w.set_hint_visible(False)
        try:
            QApplication.processEvents()
            saved = widget.grab().save(str(path), "PNG")
        finally:
            for w in hint_owners:
                w.set_hint_visible(True)
        if not saved:
            self._show_error("Could not export the panel", f"{path}: could not write a PNG file there")
            return False
        self.statusBar().showMessage(f"Saved a picture of '{dock.windowTitle()}' to {path}", 8000)
        return True

    def export_animation(self, settings: AnimationSettings, panel: str = WHOLE_WINDOW, progress=None) -> bool:
        """Write an animation of a panel (a dock's name; WHOLE_WINDOW: the window) over a span of
        the timeline (animation.py), with a progress dialog unless `progress` is given
        (done, total -> go on?). Training waits meanwhile; cancelled, nothing is written."""
        dock = self._docks_by_name.get(panel)
        target = dock.widget() if dock is not None else self
        title = dock.windowTitle() if dock is not None else "the window"
        self.statusBar().clearMessage()  # not in the frames of the whole window
        try:
            with self._paused_for_prompt():
                if progress is not None:
                    path = render_animation(self.session, target, settings, self.display_panels, progress)
                else:
                    with progress_dialog(self, f"Exporting an animation of '{title}'…") as shown:
                        path = render_animation(self.session, target, settings, self.display_panels, shown)
        except (AnimationError, OSError) as err:
            self._show_error("Could not export the animation", str(err))
            return False
        if path is None:
            self.statusBar().showMessage("Export cancelled; no file was written", 8000)
            return False
        self.statusBar().showMessage(f"Saved an animation of '{title}' to {path}", 8000)
        return True

    def current_dock(self) -> QDockWidget:
        """The panel clicked or focused last (the network view before any click)."""
        return self._current_dock or self.network_dock

    def edit_network(self, op: str, *args):
        """Run an edit (NetworkEditor method name: ablate, scale_weights, shift_bias,
        set_weight, set_bias, undo, redo) and report problems in the status bar. While
        looking back, the edit applies to the moment shown once the user agrees to continue
        training from there (a branch)."""
        if self.session.looking_back and not self._branch_for("edit the network"):
            return None
        try:
            return getattr(self.editor, op)(*args)
        except (ValueError, IndexError, RuntimeError) as err:
            self.statusBar().showMessage(f"Not applied: {err}", 8000)
            return None

    def _branch_for(self, doing: str) -> bool:
        """Ask, then branch from the moment looked at; whether training now goes on from it."""
        if not self._ask_branch(doing):
            return False
        self.session.branch()
        self.statusBar().showMessage(
            f"Training continues from step {self.controller.trainer.steps:,}; the earlier run stays in the timeline's "
            "history",
            8000,
        )
        return True

    def _ask_timeline_budget(self, current_mb: int) -> int | None:
        value, ok = QInputDialog.getInt(
            self,
            "Memory for the timeline",
            "Megabytes the recorded moments may take (older ones are thinned out beyond it):",
            current_mb,
            MIN_TIMELINE_MB,
            MAX_TIMELINE_MB,
            64,
        )
        return value if ok else None

    def _on_timeline_budget_triggered(self) -> None:
        timeline = self.session.timeline
        with self._paused_for_prompt():
            mb = self._ask_timeline_budget(timeline.budget // 2**20)
        if mb is None:
            return
        self.session.set_timeline_budget(mb * 2**20)
        QSettings().setValue(keys.TIMELINE_BUDGET_MB, mb)
        self.statusBar().showMessage(
            f"The timeline may take {mb:,} MB: it holds {len(timeline):,} moments in "
            f"{timeline.nbytes / 2**20:.1f} MB now",
            8000,
        )

    def _on_branch_triggered(self) -> None:
        if self.session.looking_back:
            self._branch_for("train on from it")
        else:
            self.statusBar().showMessage("Go back along the timeline first (drag it, or press ,)", 5000)

    # -- ending by a signal, and the recovery file ------------------------------------------
    def save_recovery(self) -> Path | None:
        """Put unsaved work in the recovery file (recovery.py); its path, or None when there
        is nothing unsaved or it cannot be written (said on stderr: the window is ending)."""
        if not self.has_unsaved_work():
            return None
        try:
            net, info, _ = self._model_to_save()
            return recovery.write_recovery(net, self._final_history(), info, self._model_path)
        except (ModelFileError, OSError) as err:
            print(f"visnet: could not keep the unsaved training: {err}", file=sys.stderr)
            return None

    def _final_history(self) -> TrainingHistory:
        """The history including the snapshots no frame has drawn yet (for a window about
        to end, whose frames will never draw them): its counters then match the trainer's."""
        self.controller.publish_snapshot()
        snap = self.controller.take_pending_snapshot()
        if snap is not None:
            self._history.add_snapshot(snap)
        return self._history.history()

    def end_by_signal(self, name: str) -> None:
        """Quit at once without asking (SIGTERM, SIGHUP, Ctrl+C): unsaved training goes to
        the recovery file, which the next start offers."""
        if self._closed:  # a second signal while the first one is being handled
            return
        self.controller.shutdown()  # training stops first, so the network and its history agree
        kept = self.save_recovery()
        if kept is not None:
            print(
                f"visnet: {name}: the unsaved training is kept in {kept} and offered at the next start", file=sys.stderr
            )
        self._ask_before_closing = False
        self.close()
        QApplication.quit()

    def offer_recovery(self) -> bool:
        """If the last visnet ended with unsaved training, offer it above the network view
        (Open it / Discard); True if there is one. The app calls this at start, tests when they mean to."""
        found = recovery.find_recovery()
        self._recovery = found
        if found is None:
            return False
        self.recovery_banner.show_message(
            "visnet was closed while a model had unsaved training",
            f"({found.describe()}). Open it?",
            kind="warning",
            action="Open it",
            action_tip="Open the network as it was, with its unsaved training",
        )
        return True

    def open_recovery(self) -> bool:
        """Open the offered recovery file as unsaved work on the file it came from, and
        remove the recovery file (the work is in the window now)."""
        found, self._recovery = self._recovery, None
        self.recovery_banner.hide()
        if found is None or not self.open_model(found.path, ask=True, remember=False):
            return False
        with self.controller.locked_trainer() as trainer:
            trainer.net.info.pop(recovery.RECOVERY_INFO, None)  # so a save does not carry it on
        origin = found.model_path
        self._model_path = origin if origin is not None and not is_read_only_model(origin) else None
        self._clean_step = -1  # never a real step: the recovered training is unsaved
        recovery.discard_recovery()
        self._update_title()
        self.statusBar().showMessage(f"Recovered the unsaved training ({found.describe()}); save it to keep it.", 15000)
        return True

    def discard_recovery(self) -> None:
        self._recovery = None
        self.recovery_banner.hide()
        recovery.discard_recovery()

    def _make_recovery_banner(self) -> MessageBanner:
        offer = MessageBanner(dismiss_text="Discard", dismiss_tip="Delete the unsaved training for good")
        offer.setObjectName("recovery_banner")
        offer.action_button.clicked.connect(self.open_recovery)
        offer.dismiss_button.clicked.connect(self.discard_recovery)
        return offer

    def show_unexpected_error(self, line: str) -> None:
        """Say in the banner that something went wrong, and what (the app's excepthook calls this)."""
        self._show_banner("Something went wrong:", line, kind="error")

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

    def _ask_export_path(self, title: str, suggested: str, file_filter: str) -> str | None:
        path, _ = QFileDialog.getSaveFileName(self, title, suggested, file_filter)
        return path or None

    def _ask_animation(self) -> tuple[str, AnimationSettings] | None:
        """The panel (dock name, or WHOLE_WINDOW) and what to export, or None."""
        shown = [d for d in self.docks if d.isVisible() and not d.visibleRegion().isEmpty()]
        targets = [(d.objectName(), d.windowTitle(), (d.widget().width(), d.widget().height())) for d in shown]
        targets.append((WHOLE_WINDOW, "The whole window", (self.width(), self.height())))
        chosen = self.current_dock().objectName()
        suggested = str(Path(keys.last_folder()) / f"visnet_{chosen.removesuffix('_dock') or 'window'}.gif")
        dialog = AnimationDialog(self.session.timeline, targets, chosen, suggested, self)
        with self._paused_for_prompt():
            accepted = dialog.exec() == QDialog.DialogCode.Accepted
        return (dialog.panel(), dialog.settings()) if accepted else None

    def _show_code(self, title: str, text: str, code: str) -> None:
        box = QMessageBox(QMessageBox.Icon.Information, title, text, QMessageBox.StandardButton.Ok, self)
        box.setDetailedText(code)  # selectable, to copy into a script
        with self._paused_for_prompt():
            box.exec()

    def _ask_save_changes(self, doing: str) -> str:
        """'save', 'discard' or 'cancel': what to do with unsaved work before `doing`."""
        what = self.unsaved_changes() or "changed"
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle("Unsaved network")
        box.setText(f"The network has been {what} since it was last saved.")
        box.setInformativeText(f"Save it before you {doing}?")
        buttons = QMessageBox.StandardButton
        box.setStandardButtons(buttons.Save | buttons.Discard | buttons.Cancel)
        box.setDefaultButton(buttons.Save)
        answer = box.exec()
        return {buttons.Save: "save", buttons.Discard: "discard"}.get(buttons(answer), "cancel")

    def _ask_branch(self, doing: str) -> bool:
        """Whether to continue training from the moment looked at, in order to `doing`."""
        snap = self.session.snapshot
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle("Continue from this moment?")
        box.setText(f"You are looking back at step {snap.step:,} (epoch {snap.epoch_progress:.2f}).")
        box.setInformativeText(
            f"To {doing}, training continues from this moment (a branch). The run so far stays in the "
            "timeline's history; the curves go on from here."
        )
        go = box.addButton("Continue from here", QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(go)
        with self._paused_for_prompt():
            box.exec()
        return box.clickedButton() is go

    def _show_error(self, title: str, text: str) -> None:
        with self._paused_for_prompt():
            QMessageBox.critical(self, title, text)

    @contextmanager
    def _paused_for_prompt(self):
        """Training waits while a modal prompt is open, and goes on if the prompt changed nothing."""
        controller = self.controller
        was_running = controller.state == "running"
        trainer = controller.trainer
        if was_running:
            controller.pause()
        try:
            yield
        finally:
            if was_running and not self._closed and controller.trainer is trainer and controller.state == "paused":
                controller.start()

    def _maybe_save_changes(self, doing: str) -> bool:
        """True if it is fine to throw the current network away now."""
        if not self.has_unsaved_work():
            return True
        with self._paused_for_prompt():
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
        dataset, spec, toy = self.session.dataset, self.session.dataset_spec, self.session.playground
        saved_spec = info.get("dataset_spec")
        if not isinstance(saved_spec, str):
            saved_spec = KNOWN_DATASET_NAMES.get(info.get("dataset"))  # files from `visnet train`
        if isinstance(saved_spec, str) and (saved_spec != spec or is_playground(spec) or dataset.is_part):
            known = {s for s, _ in available_datasets(self._data_dir)}
            if (
                saved_spec in known
                or is_playground(saved_spec)
                or is_folder_spec(saved_spec)
                or is_table_spec(saved_spec)
                or os.path.exists(saved_spec)  # load_dataset follows folders and regular files only
            ):
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
        dataset = dataset.part_from_info(info.get("dataset_part"))
        if not _fits(net, dataset):
            inputs = _inputs_phrase(dataset, toy)
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

    def build_network(self, spec: NetworkSpec, config: TrainConfig, ask: bool = True) -> bool:
        """A new, untrained network of `spec` trained with `config` (asking to save first if `ask`)."""
        return self._build_network(spec, config, ask)

    def _build_network(self, spec: NetworkSpec, config: TrainConfig, ask: bool = True) -> bool:
        """A new, untrained network from the configuration panel's spec."""
        if ask and not self._maybe_save_changes("build a new network"):
            return False
        dataset, toy = self.session.dataset, self.session.playground
        if spec.dataset != self.session.dataset_spec:
            try:
                with _busy():
                    dataset, toy = self._load_data(spec.dataset)
            except LoadCancelled:
                self.statusBar().showMessage("Loading the data set was cancelled; nothing changed.", 8000)
                return False
            except DataError as err:
                self._show_banner("Could not load the data set:", printable(err), kind="error")
                return False
        n_outputs = 1 if toy is not None else dataset.n_classes  # the playground's single output, as Playground's
        try:
            net = spec.build(dataset.n_inputs, n_outputs)
        except ValueError as err:
            self._show_error("Cannot build this network", str(err))
            return False
        config.seed = spec.seed
        config.rule = spec.rule
        if not self.install_network(net, dataset, spec.dataset, config, toy):
            return False
        self._model_path = None
        self._saves_run = False
        self._update_title()
        return True

    def install_network(
        self,
        net: Network,
        dataset: Dataset,
        spec: str,
        config: TrainConfig,
        toy: Toy2D | None = None,
        history: TrainingHistory | None = None,
    ) -> bool:
        """Train `net` on `dataset` (toy: its points, for a playground set) from now on,
        stopping the current training; `history`: the curves and counters it was saved with,
        which the panels show and training continues. False (after a message) if they do not
        go together."""
        if history is not None and history.n_layers != net.n_layers:
            history = None
        progress = history.progress if history is not None else None
        try:
            trainer = Trainer(
                net, dataset.x_train, dataset.y_train, dataset.x_test, dataset.y_test, config, progress=progress
            )
        except ValueError as err:
            self._show_error("Cannot train this network on this data set", str(err))
            return False
        was_playground = self.session.playground is not None
        if dataset is not self.session.dataset:
            self._set_data(dataset, spec, toy)  # before set_trainer draws the new network's first snapshot
        self._history = HistoryRecorder(net.n_layers, start=history)
        self.controller.set_trainer(trainer)  # stops the old thread; emits trainer_replaced, panels reset
        if history is not None:
            self.loss_panel.show_history(history)
            self.gradient_panel.show_history(history, sizes=net.sizes)
        self._clean_step = trainer.steps
        self._saved_edits = ()
        self.config_panel.set_data_shape(dataset.n_inputs, dataset.n_classes)
        self._refresh_dataset_choices()
        self.config_panel.show_network(net, spec, seed=config.seed if net.seed is None else net.seed)
        self.config_panel.show_config(config)
        if (toy is not None) != was_playground:
            self.show_workspace("playground" if toy is not None else "watch")
        return True

    def _set_data(self, dataset: Dataset, spec: str, toy: Toy2D | None) -> None:
        """Hand every panel a (new) data set, through the session."""
        features = PlaygroundSpec.parse(spec).features if toy is not None else None
        plane = Plane(features, toy.extent) if toy is not None else None
        self.session.set_dataset(dataset, spec, toy, plane, features)

    def _refresh_dataset_choices(self) -> None:
        keys.add_recent_dataset(self.session.dataset_spec)  # only the user's own files and folders
        try:
            choices = available_datasets(self._data_dir)
        except (OSError, DataError):
            choices = [("embedded", "Embedded MNIST")]
        self.config_panel.set_datasets(choices, self.session.dataset_spec)

    # -- the playground: 2-D points, drawn points ------------------------------------------
    def open_playground(self, name: str = "xor", ask: bool = True) -> bool:
        """A fresh playground network (the XOR preset's 2-4-1) on the 2-D set `name`."""
        if ask and not self._maybe_save_changes("start a playground network"):
            return False
        self.config_panel.apply_preset(PLAYGROUND_PRESET, keep_dataset=True)
        spec = dataclasses.replace(self.config_panel.network_spec(), dataset=str(PlaygroundSpec(name)))
        return self._build_network(spec, self.config_panel.train_config(), ask=False)

    @Slot()
    def _on_playground_triggered(self) -> None:
        self.open_playground(self.sender().data())

    @Slot()
    def _on_digits_triggered(self) -> None:
        if self.session.playground is None or not self._maybe_save_changes("go back to the digits"):
            return
        self.config_panel.apply_preset(DEFAULT_PRESET)  # also chooses the embedded digits
        self._build_network(self.config_panel.network_spec(), self.config_panel.train_config(), ask=False)

    def add_point(self, x1: float, x2: float, label: int, split: str = "train") -> bool:
        """Add a point of class label to the playground's data (see PlaygroundPoints.add)."""
        return self.points.add(x1, x2, label, split)

    def undo_point(self) -> bool:
        """Take back the point drawn last; False if there is none."""
        return self.points.undo()

    # -- drawing frames -----------------------------------------------------------------------
    @Slot()
    def _on_frame_started(self) -> None:
        snap = self.session.snapshot
        self._history.add_snapshot(snap)
        self._show_status(snap)
        self._show_health(snap)

    def _show_status(self, snap) -> None:
        self.status.show()
        if snap is not None:
            speed = speed_text(snap.delay)
            if snap.gentle:
                speed = f"gentle start, {speed}" if snap.delay > 0 else "gentle start"
            if self.speed_label.text() != speed:
                self.speed_label.setText(speed)
        self._update_title()

    def _update_title(self) -> None:
        if self._model_path is None:
            name = "Untitled"
        else:
            name = self._model_path.name + (" (example)" if self.model_is_example() else "")
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
        if running and self.banner.kind == "error":
            self.banner.hide()
        self._show_status(self.controller.latest_snapshot)

    @Slot(int, int)
    def _on_neuron_clicked(self, _layer: int, _index: int) -> None:
        """A neuron clicked where the inspector cannot be seen: say where to see it up close."""
        neuron = self.session.neuron
        if neuron is None or self.inspector_dock.isVisible():
            return
        snap = self.session.snapshot
        last = snap is not None and neuron[0] == len(snap.sizes) - 2
        name = f"output neuron {neuron[1]}" if last else f"neuron {neuron[1]} of hidden layer {neuron[0] + 1}"
        self.statusBar().showMessage(f"Selected {name}: Look inside (Ctrl+2) shows it up close.", 8000)

    @Slot()
    def _on_network_replaced(self) -> None:
        self.statusBar().clearMessage()  # a message about the network before
        self.banner.hide()
        self.banner.kind = ""
        self._dismissed_health = ()
        self._on_state_changed(self.controller.state)

    def _show_banner(self, headline: str, text: str, kind: str, offer_smaller_eta: bool = False) -> None:
        """A message above the network view; its button offers η / 10 only where that helps."""
        eta = self.config_panel.train_values()["eta"]
        action = f"Use η = {eta / 10:g}" if offer_smaller_eta else None
        self.banner.show_message(headline, text, kind, action, "Set the learning rate to a tenth of its value")

    @Slot(str)
    def _on_diverged(self, message: str) -> None:
        self._show_banner("The loss blew up.", message, kind="error", offer_smaller_eta=True)
        self.network_dock.show()
        self.network_dock.raise_()
        self.statusBar().showMessage("Training diverged: try a smaller learning rate.", 30000)

    @Slot(str)
    def _on_paused_itself(self, message: str) -> None:
        self.statusBar().showMessage(message, 15000)

    @Slot(str)
    def _on_training_process_died(self, message: str) -> None:
        self._show_banner("Training paused.", message, kind="error")
        self.statusBar().showMessage(message, 30000)

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
    def _on_banner_dismissed(self) -> None:
        snap = self.session.snapshot
        if self.banner.kind == "warning" and snap is not None and snap.health is not None:
            self._dismissed_health = (snap.health.kind, snap.health.layers)

    @Slot()
    def _on_lower_learning_rate_clicked(self) -> None:
        spin = self.config_panel.learning_rate_spin
        spin.setValue(spin.value() / 10)  # emits hyperparameters_changed like a user edit
        self.banner.hide()
        self.statusBar().showMessage(f"Learning rate set to {spin.value():g}; press Train to try again.", 8000)

    @Slot(int)
    def _on_speed_changed(self, position: int) -> None:
        delay = delay_for_speed(position)
        self.controller.set_delay(delay)
        self.speed_label.setText(speed_text(delay))

    @Slot()
    def _on_full_speed_triggered(self) -> None:
        with QSignalBlocker(self.speed_slider):
            self.speed_slider.setValue(SPEED_STEPS)
        self.controller.full_speed()
        self.speed_label.setText(speed_text(0.0))

    def _show_health(self, snap) -> None:
        """A warning when training goes on but cannot learn (saturated or dead neurons); it
        goes when they recover, and a dismissed one comes back only for another diagnosis."""
        health = snap.health
        if health is None:
            if self.banner.kind == "warning":
                self.banner.hide()
                self.banner.kind = ""
            return
        if self.banner.isVisible() and self.banner.kind == "error":
            return  # the divergence message says more
        if (health.kind, health.layers) == self._dismissed_health:
            return
        headline = "The neurons are saturated." if health.kind == "saturated" else "The neurons are dead."
        self._show_banner(headline, f"{health.message} {health.remedy}", kind="warning", offer_smaller_eta=True)

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
        if self.controller.state != "running" and self.banner.kind == "error":
            self.banner.hide()
        self.controller.toggle()

    @Slot()
    def _on_reset_triggered(self) -> None:
        if not self._maybe_save_changes("reset the network"):
            return
        seed = self.config_panel.seed_spin.value()
        self.controller.reset(seed)
        self._history = HistoryRecorder(self.controller.trainer.net.n_layers)
        self._clean_step = 0
        self._saved_edits = ()
        self._model_path = None
        self._saves_run = False
        self._update_title()
        net = self.controller.trainer.net
        self.config_panel.show_network(net, self.session.dataset_spec, seed=seed)
        self.statusBar().showMessage(f"New random weights drawn with seed {seed}.", 5000)

    @Slot()
    def _on_new_triggered(self) -> None:
        self.new_network(ask=True)

    @Slot()
    def _on_open_triggered(self) -> None:
        if not self._maybe_save_changes("open another network"):
            return
        with self._paused_for_prompt():
            path = self._ask_open_path()
        if path:
            self.open_model(path, ask=False)

    @Slot()
    def _on_export_triggered(self) -> None:
        dock = self.current_dock()
        name = dock.objectName().removesuffix("_dock")
        with self._paused_for_prompt():
            path = self._ask_png_path(str(Path(keys.last_folder()) / f"visnet_{name}.png"))
        if path:
            if not Path(path).suffix:
                path = f"{path}.png"
            self.export_panel_png(path, dock)

    @Slot()
    def _on_export_animation_triggered(self) -> None:
        if not len(self.session.timeline):
            self._show_error("Nothing to animate yet", "The timeline holds no moments yet: train, or open a run file.")
            return
        chosen = self._ask_animation()
        if chosen is not None:
            self.export_animation(chosen[1], chosen[0])

    @Slot()
    def _on_export_onnx_triggered(self) -> None:
        suggested = Path(keys.last_folder()) / Path(self._suggested_name()).with_suffix(".onnx").name
        with self._paused_for_prompt():
            path = self._ask_export_path("Export the network as ONNX", str(suggested), "ONNX model (*.onnx)")
        if not path:
            return
        path = path if Path(path).suffix else f"{path}.onnx"
        try:
            save_onnx(self._model_to_save()[0], path)
        except ModelFileError as err:
            self._show_error("Could not export the network", str(err))
            return
        self.statusBar().showMessage(f"Exported the network as ONNX to {path}", 8000)

    @Slot()
    def _on_export_state_dict_triggered(self) -> None:
        suggested = Path(keys.last_folder()) / f"torch_{self._suggested_name().removeprefix('visnet_')}"
        with self._paused_for_prompt():
            path = self._ask_export_path(
                "Export a PyTorch state dict", str(suggested), "PyTorch state dict (*.safetensors)"
            )
        if not path:
            return
        path = path if Path(path).suffix else f"{path}.safetensors"
        net = self._model_to_save()[0]
        try:
            save_state_dict(net, path)
        except ModelFileError as err:
            self._show_error("Could not export the network", str(err))
            return
        self.statusBar().showMessage(f"Exported a PyTorch state dict to {path}", 8000)
        self._show_code(
            "PyTorch state dict",
            f"Saved {path}. This nn.Sequential loads it (Show Details to copy it).",
            torch_sequential_code(net, Path(path).name),
        )

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

    @Slot(object)
    def _on_drawn_digit_used(self, _x) -> None:
        self.statusBar().showMessage("The drawn digit is now the current sample in every panel.", 5000)

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

    @Slot()
    def _on_about_triggered(self) -> None:
        from visnet import __version__

        with self._paused_for_prompt():
            QMessageBox.about(
                self,
                "About visnet",
                f"<h3>visnet {__version__}</h3>"
                "<p>See inside a neural network while it learns handwritten digits.</p>"
                "<p><b>Space</b> train / pause &nbsp; <b>→</b> or <b>S</b> one mini-batch &nbsp; "
                "<b>E</b> or <b>Shift+→</b> one epoch &nbsp; <b>Ctrl+1…4</b> workspaces</p>"
                "<p>Every key: <b>Help ▸ Keyboard shortcuts</b> (Ctrl+/).</p>",
            )

    @Slot()
    def _on_shortcuts_triggered(self) -> None:
        with self._paused_for_prompt():
            self._show_dialog(ShortcutsDialog(self))

    def _show_dialog(self, dialog: QDialog) -> None:
        dialog.exec()

    def _draw_panels_again(self) -> None:
        """Every panel built so far draws the moment shown again (after a change of colours)."""
        for panel in self.display_panels:
            self.frames.catch_up(panel)
        if "stepper" in self._lazy_panels and self.stepper.trace is not None:
            self.stepper.go_to(self.stepper.current_index())  # its bars' brushes are made per step

    # -- showing and closing -----------------------------------------------------------------
    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not self._shown_before:
            self._shown_before = True
            self._fit_to_screen()
            # Start with the keyboard on the network, not in a text field, so Space trains.
            self.network_view.setFocus(Qt.FocusReason.OtherFocusReason)
            state = workspaces.remembered(self._workspace)
            if state is not None and self.restoreState(state, workspaces.LAYOUT_VERSION):
                QTimer.singleShot(0, self._repair_layout_if_needed)
            else:
                # After this event the layout has its real size; resizeDocks needs that.
                QTimer.singleShot(0, self._apply_workspace_sizes)

    def event(self, event) -> bool:
        handled = super().event(event)
        if event.type() == QEvent.Type.UpdateRequest:  # Qt paints the whole window in one UpdateRequest
            self.frames.window_painted()
        return handled

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._closed:
            if self._ask_before_closing and not self._maybe_save_changes("quit"):
                event.ignore()
                return
            self._closed = True
            self.frames.stop()
            self.controller.shutdown(1000)
            self.experiments.stop()  # ends the experiment's worker processes
            if "inspector" in self._lazy_panels:
                self.inspector.shutdown()  # joins the activation-maximisation thread
            if "stepper" in self._lazy_panels:
                self.stepper.stop()
            if "landscape_panel" in self._lazy_panels:
                self.landscape_panel.shutdown()  # joins the landscape's grid thread
            if "representation_panel" in self._lazy_panels:
                self.representation_panel.shutdown()  # joins the t-SNE thread
            self._save_settings()
        event.accept()


def _reads_digits(dataset: Dataset) -> bool:
    """Whether the shipped example (784-16-16-10) reads this data set: 28x28 pictures, 10 classes."""
    return tuple(dataset.input_shape) == (28, 28) and dataset.n_classes == 10 and not dataset.feature_names


def _fits(net: Network, dataset: Dataset) -> bool:
    """Whether net reads this data set's inputs and tells its classes apart."""
    return net.sizes[0] == dataset.n_inputs and n_classes(net.sizes[-1]) == dataset.n_classes


def _inputs_phrase(dataset: Dataset, toy: Toy2D | None) -> str:
    """What a data set's inputs are, after their count: "inputs per point", "named inputs",
    "pixels per 8x8 image"."""
    if toy is not None:
        return "inputs per point"
    if dataset.feature_names:  # only table data sets name their columns
        return "named inputs"
    h, w = dataset.input_shape
    return f"pixels per {h}x{w} image" if h > 1 and w > 1 else "inputs per row"


@contextmanager
def _busy():
    """A wait cursor while something slow (loading data or a model) happens."""
    QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
    try:
        yield
    finally:
        QGuiApplication.restoreOverrideCursor()
