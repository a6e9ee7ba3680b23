"""What a lesson does in the window: its actions, and the state its checks read.

LessonDirector carries out a step's actions (visnet.lessons.ACTIONS) through the window's
public controls, as a user would, and gathers a LessonState for the checks. It counts what
happens after a step opens (mini-batches, losses, finished epochs, a divergence, a drawing
used), so a check can only pass for what the learner did in that step.
"""

from __future__ import annotations

import dataclasses
import math
from collections import deque

from PySide6.QtCore import QObject, Qt, QTimer, Slot
from PySide6.QtWidgets import QDockWidget, QFrame, QWidget

from visnet.core.training import TrainConfig
from visnet.lessons import Action, LessonState

from .panels.config import PRESETS

PRESET_INDEX = {"3b1b": 0, "nielsen-network": 1, "nielsen-network2": 2, "xor": 3, "spirals": 4, "perceptron": 5}
HYPERPARAMETER_SPINS = {
    "eta": "learning_rate_spin",
    "momentum": "momentum_spin",
    "lmbda": "lmbda_spin",
    "batch_size": "batch_size_spin",
    "epochs": "epochs_spin",
}
# Controls a lesson may highlight besides docks, by a name that says what they are.
CONTROLS = {
    "learning_rate": lambda w: w.config_panel.learning_rate_spin,
    "l2": lambda w: w.config_panel.lmbda_spin,
    "cost": lambda w: w.config_panel.cost_combo,
    "output": lambda w: w.config_panel.output_combo,
    "hidden_layers": lambda w: w.config_panel.add_layer_button,
    "apply": lambda w: w.config_panel.apply_button,
    "presets": lambda w: w.config_panel.preset_combo,
    "speed": lambda w: w.speed_slider,
    "workspaces": lambda w: w.workspace_tabs,
    "timeline": lambda w: w.timeline_bar,
}
RECENT_LOSSES = 20  # the check's loss is the mean of this many newest mini-batch losses
HIGHLIGHT_MS = 4000
HIGHLIGHT_COLOR = "#ffb000"


class LessonDirector(QObject):
    def __init__(self, window, parent: QObject | None = None):
        super().__init__(parent or window)
        self.window = window
        self._losses: deque[float] = deque(maxlen=RECENT_LOSSES)
        self._accuracy: float | None = None
        self._step_at_open = 0
        self._diverged = False
        self._drawing_used = False
        self._sample_chosen = False
        self._neuron_chosen = False
        self._last_snapshot = None
        self._frames: list[QFrame] = []
        session = window.session
        session.snapshot_changed.connect(self._on_snapshot_changed)
        session.sample_changed.connect(self._on_sample_changed)
        session.neuron_changed.connect(self._on_neuron_changed)
        session.network_replaced.connect(self._on_network_replaced)
        window.controller.diverged.connect(self._on_diverged)

    # -- counting what happens in a step -------------------------------------------------------
    def step_opened(self) -> None:
        """Count from now: what the learner does in the step that just opened."""
        self._losses.clear()
        self._accuracy = None
        snap = self.window.controller.latest_snapshot
        self._step_at_open = snap.step if snap is not None else 0
        self._last_snapshot = self.window.session.live_snapshot
        self._diverged = False
        self._drawing_used = False
        self._sample_chosen = False
        self._neuron_chosen = False

    @Slot()
    def _on_snapshot_changed(self) -> None:
        snap = self.window.session.live_snapshot
        if snap is None or snap is self._last_snapshot:
            return
        self._last_snapshot = snap
        self._losses.extend(float(v) for v in snap.batch_losses)
        if snap.new_epochs:
            self._accuracy = snap.new_epochs[-1].test_accuracy

    @Slot()
    def _on_sample_changed(self) -> None:
        sample = self.window.session.sample
        self._sample_chosen = True
        if sample is not None and sample.source == "drawing":
            self._drawing_used = True

    @Slot()
    def _on_neuron_changed(self) -> None:
        self._neuron_chosen = True

    @Slot()
    def _on_network_replaced(self) -> None:
        self._losses.clear()
        self._accuracy = None
        self._step_at_open = 0

    @Slot(str)
    def _on_diverged(self, _message: str) -> None:
        self._diverged = True

    def state(self) -> LessonState:
        w = self.window
        snap = w.controller.latest_snapshot
        live = w.session.live_snapshot or snap
        losses = [v for v in self._losses if math.isfinite(v)]
        stepper_step = w.stepper.current_index() if w.stepper_dock.isVisible() else 0
        return LessonState(
            run_state=w.controller.state,
            epochs=snap.epoch_progress if snap is not None else 0.0,
            recent_loss=sum(losses) / len(losses) if losses else None,
            accuracy=self._accuracy,
            batches_since=max(0, snap.step - self._step_at_open) if snap is not None else 0,
            diverged=self._diverged,
            neuron=w.session.neuron if self._neuron_chosen else None,
            workspace=w.workspace,
            drawing_used=self._drawing_used,
            sample_chosen=self._sample_chosen,
            stepper_step=stepper_step,
            visible_panels=frozenset(d.objectName() for d in w.findChildren(QDockWidget) if d.isVisible()),
            hidden_layers=len(live.sizes) - 2 if live is not None else 0,
            hidden_activations=tuple(live.activations[:-1]) if live is not None else (),
            cost=live.cost if live is not None else "",
            eta=w.config_panel.learning_rate_spin.value(),
            lmbda=w.config_panel.lmbda_spin.value(),
            looking_back=w.session.looking_back,
        )

    # -- actions -------------------------------------------------------------------------------
    def perform(self, action: Action) -> str | None:
        """Do `action`; a sentence for the learner when it could not be done here, else None."""
        return getattr(self, f"_do_{action.name}")(**action.args)

    def _do_load_preset(self, preset: str) -> str | None:
        w = self.window
        w.config_panel.apply_preset(PRESETS[PRESET_INDEX[preset]])
        return self._build(w.config_panel.network_spec(), w.config_panel.train_config())

    def _do_load_data(self, spec: str) -> str | None:
        base = self.window.config_panel.applied_spec() or self.window.config_panel.network_spec()
        return self._build(dataclasses.replace(base, dataset=spec), self.window.config_panel.train_config())

    def _do_new_network(
        self,
        layers: list[int],
        activation: str | None = None,
        activations: list[str] | None = None,
        output: str | None = None,
        cost: str | None = None,
        init: str | None = None,
        data: str | None = None,
        seed: int | None = None,
        train_size: int | None = None,
    ) -> str | None:
        w = self.window
        base = w.config_panel.applied_spec() or w.config_panel.network_spec()
        if activations is None:
            activations = [activation or (base.hidden_activations[0] if base.hidden_activations else "sigmoid")]
            activations = activations * len(layers)
        if len(activations) != len(layers):
            return f"This step names {len(activations)} activations for {len(layers)} hidden layers."
        spec = dataclasses.replace(
            base,
            hidden_sizes=tuple(layers),
            hidden_activations=tuple(activations),
            output=output or base.output,
            cost=cost or base.cost,
            init=init or base.init,
            dataset=data or base.dataset,
            seed=base.seed if seed is None else seed,
        )
        problem = spec.problem()
        if problem:
            return problem
        note = self._build(spec, w.config_panel.train_config())
        if note is None and train_size is not None:
            note = self._keep_first(train_size, spec, w.config_panel.train_config())
        return note

    def _build(self, spec, config: TrainConfig) -> str | None:
        if not self.window.build_network(spec, config):
            return "The network of this step could not be built here (see the message)."
        return None

    def _keep_first(self, n_train: int, spec, config: TrainConfig) -> str | None:
        """Train the fresh network on the first n_train training examples only."""
        w = self.window
        dataset = w.session.dataset
        if dataset.n_train > n_train:
            net = spec.build(dataset.n_inputs, dataset.n_classes if w.session.playground is None else 1)
            config.seed, config.rule = spec.seed, spec.rule
            w.install_network(net, dataset.subset(n_train), w.session.dataset_spec, config, w.session.playground)
        return None

    def _do_workspace(self, name: str) -> str | None:
        self.window.show_workspace(name)
        return None

    def _do_speed(self, batches_per_second: float) -> str | None:
        from .main_window import SPEED_STEPS, delay_for_speed  # here: main_window imports this module

        want = 1.0 / batches_per_second if batches_per_second > 0 else 0.0
        positions = range(SPEED_STEPS + 1)
        best = min(positions, key=lambda p: abs(math.log10(max(delay_for_speed(p), 1e-4) / max(want, 1e-4))))
        self.window.speed_slider.setValue(best)
        return None

    def _do_full_speed(self) -> str | None:
        self.window.full_speed_action.trigger()
        return None

    def _do_select_neuron(self, layer: int, index: int) -> str | None:
        snap = self.window.session.snapshot
        if snap is None or not (0 <= layer < len(snap.sizes) - 1 and 0 <= index < snap.sizes[layer + 1]):
            return f"This network has no neuron {index} in layer {layer + 1}."
        self.window.session.select_neuron(layer, index)
        return None

    def _do_choose_sample(self, index: int) -> str | None:
        if not self.window.session.choose_test_sample(index):
            return f"There is no test sample {index} in this data set."
        return None

    def _do_show_panel(self, panel: str) -> str | None:
        dock = self.window.findChild(QDockWidget, panel)
        if dock is None:
            return f"(The panel “{panel}” is not part of this version of visnet.)"
        dock.show()
        dock.raise_()
        return None

    def _do_highlight(self, target: str) -> str | None:
        widget = self._target_widget(target)
        if widget is None:
            return f"(The panel or control “{target}” is not part of this version of visnet.)"
        if isinstance(widget, QDockWidget):
            widget.show()
            widget.raise_()
            widget = widget.widget() or widget
        self._flash(widget)
        return None

    def _target_widget(self, target: str) -> QWidget | None:
        control = CONTROLS.get(target)
        if control is not None:
            return control(self.window)
        return self.window.findChild(QDockWidget, target)

    def _flash(self, widget: QWidget) -> None:
        """A coloured frame over `widget` for a few seconds (it lets clicks through)."""
        frame = QFrame(widget)
        frame.setObjectName("lesson_highlight")
        frame.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        frame.setStyleSheet(f"#lesson_highlight {{ border: 3px solid {HIGHLIGHT_COLOR}; border-radius: 4px; }}")
        frame.setGeometry(widget.rect())
        frame.show()
        frame.raise_()
        self._frames.append(frame)
        QTimer.singleShot(HIGHLIGHT_MS, frame, lambda: self._unflash(frame))

    def _unflash(self, frame: QFrame) -> None:
        if frame in self._frames:
            self._frames.remove(frame)
        frame.hide()
        frame.deleteLater()

    def highlights(self) -> list[QWidget]:
        """The widgets highlighted now."""
        return [f.parentWidget() for f in self._frames]

    def _do_set(self, name: str, value: float) -> str | None:
        spin = getattr(self.window.config_panel, HYPERPARAMETER_SPINS[name])
        spin.setValue(value)  # emits hyperparameters_changed like a user edit
        return None

    def _do_train(self) -> str | None:
        if self.window.controller.state != "running":
            self.window.train_action.trigger()
        return None

    def _do_pause(self) -> str | None:
        self.window.controller.pause()
        return None

    def _do_step_batch(self) -> str | None:
        self.window.controller.step_batch()
        return None

    def _do_look_back(self, moment: int = 0) -> str | None:
        self.window.session.look_at(moment)
        return None

    def _do_go_live(self) -> str | None:
        self.window.session.go_live()
        return None
