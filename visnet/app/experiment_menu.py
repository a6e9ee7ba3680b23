"""Experiments in the window: the Experiment menu, its two docks, and the status bar's progress.

The window's own training pauses while an experiment runs, and Train waits until it has
ended: an experiment already keeps both cores busy (a worker process per run), and a
third trainer would slow every run and the window with them. The experiment is not a
workspace of its own that must be left: the Compare workspace shows its docks, and every
other panel still shows the window's network, which "Show this run in the window" can
replace with any finished run.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QFileDialog, QLabel, QMenu, QProgressBar, QStyle

from visnet.core.experiment import PRESETS, ExperimentError, RunSettings, preset_experiment
from visnet.io import ModelFileError
from visnet.io.experiment_export import save_curves_csv, save_curves_png
from visnet.io.experiment_file import METADATA_KEY, open_experiment, save_experiment

from . import settings as keys
from .experiment_session import ExperimentSession
from .panels.experiment import ExperimentPanel, MatchedWeightsPanel, RunMapsPanel

# The book's comparisons, as the menu names them (core.experiment.PRESETS has the settings).
PRESET_TITLES = {
    "cost": "Quadratic vs cross-entropy cost",
    "l2": "Overfitting: with and without L2",
    "activation": "Vanishing gradients: deep sigmoid vs ReLU",
    "init": "Initialisation: N(0,1) vs N(0,1/n)",
}
EXPERIMENT_FILTER = "visnet experiment (*.safetensors);;All files (*)"
MAX_HEADER = 100 * 2**20  # a safetensors header larger than this is no experiment the window opens


def is_experiment_path(path: str | Path) -> bool:
    """Whether path is a safetensors file whose metadata says it is an experiment: only its
    header is read, so File ▸ Open can tell an experiment from a model before loading either."""
    try:
        with open(path, "rb") as f:
            n = int.from_bytes(f.read(8), "little")
            if not 2 <= n <= MAX_HEADER:
                return False
            header = json.loads(f.read(n))
    except (OSError, ValueError):
        return False
    metadata = header.get("__metadata__") if isinstance(header, dict) else None
    return isinstance(metadata, dict) and METADATA_KEY in metadata


class ExperimentCommands(QObject):
    """The window's experiment: its session, panels, docks, actions and menu."""

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.session = ExperimentSession(self)
        self.panel = ExperimentPanel(self.session)
        self.weights_panel = MatchedWeightsPanel(self.session)
        self.maps_panel = RunMapsPanel(self.session)
        window.session.dataset_changed.connect(self._on_dataset_changed)
        self.preset_actions: dict[str, QAction] = {}
        P = QStyle.StandardPixmap
        for name, title in PRESET_TITLES.items():
            action = self._action(
                title, self._on_preset_triggered, f"Train the book's comparison: {PRESETS[name].title}"
            )
            action.setData(name)
            self.preset_actions[name] = action
        self.add_variant_action = self._action(
            "&Add current configuration as a variant",
            self.add_current_configuration,
            "Add a run with the Configuration panel's network and hyperparameters (two to four runs)",
        )
        self.start_action = self._action(
            "&Start experiment",
            self.start,
            "Train every run of the experiment side by side (the window's own training pauses)",
            P.SP_MediaPlay,
            "Ctrl+Shift+E",
        )
        self.stop_action = self._action(
            "S&top experiment", self.stop, "End the runs still training; their curves so far stay", P.SP_MediaStop
        )
        self.open_action = self._action("&Open experiment…", self._on_open_triggered, "Open an experiment file")
        self.save_action = self._action(
            "Sa&ve experiment as…",
            self._on_save_triggered,
            "Save every run (settings, network, curves) in one file, as visnet compare --out does",
        )
        self.export_csv_action = self._action(
            "Export curves as &CSV…", self._on_export_csv_triggered, "Every run's curves, one value per row"
        )
        self.export_png_action = self._action(
            "Export curves as &PNG…", self._on_export_png_triggered, "The runs' loss and accuracy in one figure"
        )
        self.panel.add_actions(self.start_action, self.stop_action)
        self.panel.show_run_requested.connect(self.show_run_in_window)
        self.panel.remove_run_requested.connect(self.remove_run)
        self.weights_panel.show_run_requested.connect(self.show_run_in_window)

        self.progress_label = QLabel()
        self.progress_label.setToolTip("The experiment's runs: epochs trained of those planned")
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 1000)
        self.progress_bar.setTextVisible(False)
        self.progress_bar.setMaximumWidth(100)
        self.progress_bar.setToolTip(self.progress_label.toolTip())

        self.session.running_changed.connect(self._on_running_changed)
        self.session.progress_changed.connect(self._on_progress_changed)
        self.session.experiment_changed.connect(self.sync_actions)
        self.session.message.connect(self._on_message)

    def _action(self, text: str, slot, tip: str, icon=None, shortcut: str = "") -> QAction:
        action = QAction(text, self.window)
        action.setToolTip(tip + (f" ({shortcut})" if shortcut else ""))
        action.setStatusTip(action.toolTip())
        if icon is not None:
            action.setIcon(self.window.style().standardIcon(icon))
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            self.window.addAction(action)
        action.triggered.connect(slot)
        return action

    def build_docks(self, make_dock) -> tuple[QDockWidget, QDockWidget, QDockWidget]:
        """The Experiment, Matched weights and Two runs' maps docks, made by the window's dock factory."""
        self.dock = make_dock(
            "Experiment",
            "experiment_dock",
            self.panel,
            "Runs side by side: results table, loss, accuracy and gradients overlaid",
        )
        self.weights_dock = make_dock(
            "Matched weights",
            "matched_weights_dock",
            self.weights_panel,
            "First-layer weight pictures of two runs, neurons matched, and their difference",
        )
        self.maps_dock = make_dock(
            "Two runs' maps",
            "run_maps_dock",
            self.maps_panel,
            "The same layer of two runs as representation maps: how each sorts the test examples",
        )
        return self.dock, self.weights_dock, self.maps_dock

    @Slot()
    def _on_dataset_changed(self) -> None:
        if self.window.session.dataset is not None:
            self.maps_panel.set_dataset(self.window.session.dataset)

    def build_menu(self, bar) -> QMenu:
        menu = bar.addMenu("E&xperiment")
        menu.setToolTipsVisible(True)
        for action in self.preset_actions.values():
            menu.addAction(action)
        menu.addSeparator()
        menu.addAction(self.add_variant_action)
        menu.addSeparator()
        menu.addAction(self.start_action)
        menu.addAction(self.stop_action)
        menu.addSeparator()
        menu.addAction(self.open_action)
        menu.addAction(self.save_action)
        menu.addAction(self.export_csv_action)
        menu.addAction(self.export_png_action)
        self.menu = menu
        return menu

    def add_status_widgets(self, bar) -> None:
        bar.addPermanentWidget(self.progress_label)
        bar.addPermanentWidget(self.progress_bar)
        self.progress_label.hide()
        self.progress_bar.hide()

    # -- commands -----------------------------------------------------------------------------
    def start_preset(self, name: str, **settings) -> bool:
        """Set up the book's comparison `name` and start it; settings replace the preset's
        (not the varied ones), e.g. fewer epochs."""
        try:
            data = self.window.session.dataset_spec
            if settings:
                preset = PRESETS[name]
                experiment = preset.experiment(replace(preset.base, **settings), data=data)
            else:
                experiment = preset_experiment(name, data=data)
        except ExperimentError as err:
            self.window._show_error("Cannot set up this experiment", str(err))
            return False
        self.session.set_experiment(experiment)
        self.window.show_workspace("compare")
        return self.start()

    def add_current_configuration(self) -> bool:
        """Add the Configuration panel's network and hyperparameters as a run."""
        window = self.window
        dataset = window.session.dataset
        config_panel = window.config_panel
        try:
            net = config_panel.network_spec().build(dataset.n_inputs, dataset.n_classes)
            settings = RunSettings.of(net, config_panel.train_config())
            self.session.add_variant(settings)
        except (ExperimentError, ValueError) as err:
            window._show_error("Cannot add this configuration", str(err))
            return False
        n = self.session.n_runs
        window.statusBar().showMessage(
            f"Added to the experiment: it has {n} runs."
            if n
            else "Added as run 1: add another configuration to compare.",
            8000,
        )
        return True

    def start(self) -> bool:
        window = self.window
        if self.session.running:
            return True
        window.controller.pause()
        try:
            self.session.start(window.session.dataset)
        except ExperimentError as err:
            window._show_error("Cannot start the experiment", str(err))
            return False
        return True

    def stop(self) -> None:
        self.session.stop()

    def remove_run(self, i: int) -> bool:
        """Take run i out of the experiment (the others' results are cleared: their labels change)."""
        try:
            self.session.remove_run(i)
        except ExperimentError as err:
            self.window._show_error("Cannot remove the run", str(err))
            return False
        return True

    def show_run_in_window(self, i: int) -> bool:
        """Make run i's trained network (a copy, with its curves) the window's network."""
        outcome = self.session.outcome(i)
        window = self.window
        if outcome is None or not window._maybe_save_changes("show a run of the experiment"):
            return False
        ok = window.install_network(
            outcome.network.copy(),
            window.session.dataset,
            window.session.dataset_spec,
            outcome.settings.config(),
            history=outcome.history,
        )
        if ok:
            # The other panels show it: go where they are (Ctrl+5 comes back to the experiment).
            window.show_workspace("playground" if window.session.playground is not None else "watch")
            window.statusBar().showMessage(
                f"The window now shows the run “{outcome.label}”; Ctrl+5 goes back to the experiment.", 10000
            )
        return ok

    def open_file(self, path: str | Path) -> bool:
        try:
            opened = open_experiment(path)
        except ModelFileError as err:
            self.window._show_error("Cannot open the experiment", str(err))
            return False
        self.session.set_experiment(opened.experiment, opened.runs)
        keys.remember_folder(path)
        self.window.show_workspace("compare")
        note = f" ({'; '.join(opened.warnings)})" if opened.warnings else ""
        self.window.statusBar().showMessage(f"Opened the experiment {Path(path).name}{note}", 8000)
        return True

    def save_file(self, path: str | Path) -> bool:
        s = self.session
        if s.experiment is None or not s.complete:
            self.window._show_error("Cannot save the experiment", "Every run must have finished training first.")
            return False
        dataset = self.window.session.dataset
        try:
            save_experiment(s.experiment, s.outcomes, path, dataset=dataset.name, classes=list(dataset.class_names))
        except (ModelFileError, OSError) as err:
            self.window._show_error("Cannot save the experiment", str(err))
            return False
        keys.remember_folder(path)
        self.window.statusBar().showMessage(f"Saved the experiment to {path}", 8000)
        return True

    def export_curves(self, path: str | Path, kind: str) -> bool:
        """Write the finished runs' curves to path: kind "csv" or "png"."""
        runs = [o for o in self.session.outcomes if o is not None]
        if not runs:
            self.window._show_error("Nothing to export", "No run of the experiment has finished yet.")
            return False
        try:
            if kind == "csv":
                save_curves_csv(runs, path)
            else:
                experiment = self.session.experiment
                save_curves_png(runs, path, title=experiment.description if experiment else "")
        except OSError as err:
            self.window._show_error("Cannot export the curves", str(err))
            return False
        self.window.statusBar().showMessage(f"Exported the curves to {path}", 8000)
        return True

    # -- dialogs --------------------------------------------------------------------------------
    def _ask_open_path(self) -> str | None:
        path, _ = QFileDialog.getOpenFileName(self.window, "Open an experiment", keys.last_folder(), EXPERIMENT_FILTER)
        return path or None

    def _suggested(self, suffix: str) -> str:
        experiment = self.session.experiment
        name = experiment.name if experiment is not None else "experiment"
        return str(Path(keys.last_folder()) / f"visnet_compare_{name}{suffix}")

    @Slot()
    def _on_preset_triggered(self) -> None:
        action = self.sender()
        if isinstance(action, QAction):
            self.start_preset(str(action.data()))

    @Slot()
    def _on_open_triggered(self) -> None:
        path = self._ask_open_path()
        if path:
            self.open_file(path)

    @Slot()
    def _on_save_triggered(self) -> None:
        path = self.window._ask_export_path("Save the experiment", self._suggested(".safetensors"), EXPERIMENT_FILTER)
        if path:
            self.save_file(path)

    @Slot()
    def _on_export_csv_triggered(self) -> None:
        path = self.window._ask_export_path("Export the curves as CSV", self._suggested(".csv"), "CSV (*.csv)")
        if path:
            self.export_curves(path, "csv")

    @Slot()
    def _on_export_png_triggered(self) -> None:
        path = self.window._ask_export_path("Export the curves as PNG", self._suggested(".png"), "PNG image (*.png)")
        if path:
            self.export_curves(path, "png")

    # -- state ----------------------------------------------------------------------------------
    @Slot()
    def sync_actions(self) -> None:
        """Enable what makes sense now; the window's own training waits while the experiment runs."""
        s = self.session
        running = s.running
        has = s.experiment is not None
        self.start_action.setEnabled(has and not running)
        self.stop_action.setEnabled(running)
        self.save_action.setEnabled(s.complete and not running)
        finished = any(o is not None for o in s.outcomes)
        self.export_csv_action.setEnabled(finished)
        self.export_png_action.setEnabled(finished)
        for action in self.preset_actions.values():
            action.setEnabled(not running)
        self.add_variant_action.setEnabled(not running)
        self.open_action.setEnabled(not running)
        w = self.window
        for action in (w.train_action, w.step_batch_action, w.step_epoch_action):
            action.setEnabled(not running)

    @Slot(bool)
    def _on_running_changed(self, running: bool) -> None:
        self.sync_actions()
        self.progress_label.setVisible(running)
        self.progress_bar.setVisible(running)
        if running:
            self.window.statusBar().showMessage("Experiment running; Train waits until it ends.", 8000)

    @Slot()
    def _on_progress_changed(self) -> None:
        done, planned = self.session.progress()
        n = self.session.n_runs
        self.progress_label.setText(f"Experiment: {n} runs, {done:.1f} of {planned:.0f} epochs")
        self.progress_bar.setValue(round(1000 * done / planned) if planned else 0)
        self.sync_actions()

    @Slot(str)
    def _on_message(self, text: str) -> None:
        self.window.statusBar().showMessage(text, 10000)
