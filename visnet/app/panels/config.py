"""The configuration panel: network architecture, hyperparameters, presets, data set.

Two kinds of setting, two signals. Hyperparameters (learning rate, momentum, L2, batch
size, epochs, schedule) apply to the running training at the next mini-batch:
hyperparameters_changed fires as soon as one changes. Everything that needs a new network
(layer sizes, activations, cost, init, seed, data set) is only collected here and sent with
network_requested when the user presses "Apply (new network)"; the window decides whether
trained work must be saved first.
"""

from __future__ import annotations

import math
import re
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from visnet.core.activations import HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS, get_activation
from visnet.core.costs import COSTS, check_cost
from visnet.core.features import FEATURE_LABELS, FEATURES
from visnet.core.network import INITS, Network
from visnet.core.optim import SCHEDULES
from visnet.core.targets import decision_threshold
from visnet.core.training import TrainConfig
from visnet.data.chosen import ChosenData, choose_path, spec_path, with_absolute_path
from visnet.data.errors import DataError
from visnet.data.playground import MAX_POINTS, PLAYGROUND_SETS, PREFIX, TITLES, PlaygroundSpec, is_playground
from visnet.data.specs import FolderSpec, TableSpec, is_folder_spec, is_table_spec
from visnet.data.toy2d import MAX_NOISE, TOY2D_GENERATORS

from .. import settings as keys

MAX_HIDDEN_LAYERS = 12  # Playground stops at 6
MAX_LAYER_SIZE = 1024
# The data set combo's "Open data folder…" and "Open data file…" entries. Two, because a Qt
# file dialog picks either files or folders, and an image or IDX folder is opened as a folder.
OPEN_FOLDER_ITEM = "__open_folder__"
OPEN_FILE_ITEM = "__open_file__"
OPEN_ITEMS = (OPEN_FOLDER_ITEM, OPEN_FILE_ITEM)
DATA_FILE_FILTER = "Data sets (*.csv *.tsv *.npz);;All files (*)"
PERCEPTRON_OUTPUT = "step"  # offered as an output; it learns by the perceptron rule
OUTPUT_CHOICES = (*OUTPUT_ACTIVATIONS, PERCEPTRON_OUTPUT)

ACTIVATION_TIPS = {
    "sigmoid": "σ(z) = 1/(1+e^−z): smooth, outputs in (0, 1); the classic choice of Nielsen and 3Blue1Brown",
    "relu": "max(0, z): fast to train, but a neuron stuck below 0 stops learning",
    "leaky_relu": "max(0.01 z, z): like ReLU, but a little gradient flows for z < 0",
    "tanh": "tanh(z): like sigmoid but centred on 0, outputs in (−1, 1)",
    "identity": "z itself: no non-linearity (stacked linear layers collapse into one)",
    "softmax": "e^z / Σe^z: outputs are positive and sum to 1, a probability per class",
    "step": "1 if z > 0, else 0: Rosenblatt's perceptron. It has no slope, so it learns by the "
    "perceptron rule w ← w + η (y − a) x, as a single neuron with no hidden layers",
}
INIT_TIPS = {
    "he": "Gaussian with variance 2/n_in (He et al.): suits ReLU",
    "xavier": "Uniform with variance 2/(n_in+n_out) (Glorot): suits tanh and sigmoid",
    "normal": "Gaussian with standard deviation 1/√n_in, biases N(0,1) (Nielsen's network2.py)",
    "large": "Gaussian N(0,1) weights and biases (Nielsen's network.py): saturates sigmoids, learns slowly",
    "zeros": "All zeros: every neuron in a layer stays identical (to see why random init matters)",
    "constant": "All 0.05: the same symmetry problem as zeros",
}


@dataclass(frozen=True)
class NetworkSpec:
    """Everything that defines a new, untrained network (and the data it trains on)."""

    hidden_sizes: tuple[int, ...]
    hidden_activations: tuple[str, ...]
    output: str
    cost: str
    init: str
    seed: int
    dataset: str  # a spec for visnet.data.load_dataset: embedded, mnist, fashion-mnist or a folder

    def sizes(self, n_inputs: int, n_outputs: int) -> tuple[int, ...]:
        return (n_inputs, *self.hidden_sizes, n_outputs)

    @property
    def rule(self) -> str:
        """The learning rule this network trains by: a step output has no slope for backprop."""
        return "perceptron" if self.output == PERCEPTRON_OUTPUT else "backprop"

    def problem(self, n_outputs: int | None = None) -> str | None:
        """Why this combination cannot be built (one sentence), or None."""
        if self.output == PERCEPTRON_OUTPUT and (self.hidden_sizes or (n_outputs or 1) != 1):
            return (
                "A step output is Rosenblatt's perceptron: a single neuron with no hidden layers, "
                "on a two-class playground data set (remove the hidden layers)."
            )
        if self.output == "softmax" and n_outputs == 1:
            return "A softmax over one output neuron is always 1: use a sigmoid or tanh output."
        try:
            check_cost(self.cost, get_activation(self.output))
        except ValueError as err:
            return str(err)
        return None

    def build(self, n_inputs: int, n_outputs: int) -> Network:
        return Network(
            self.sizes(n_inputs, n_outputs),
            list(self.hidden_activations),
            output=self.output,
            cost=self.cost,
            init=self.init,
            seed=self.seed,
        )


@dataclass(frozen=True)
class Preset:
    label: str
    tip: str
    spec: NetworkSpec
    config: TrainConfig


def _spec(hidden, act, output, cost, init, dataset: str = "embedded") -> NetworkSpec:
    return NetworkSpec(tuple(hidden), (act,) * len(hidden), output, cost, init, 0, dataset)


PRESETS: tuple[Preset, ...] = (
    Preset(
        "3Blue1Brown: 784-16-16-10",
        "The network of 3Blue1Brown's videos: two hidden layers of 16 sigmoid neurons with 1/√n initial weights, "
        "softmax output, cross-entropy, η = 0.5, mini-batches of 10",
        _spec((16, 16), "sigmoid", "softmax", "cross-entropy", "normal"),
        TrainConfig(eta=0.5, batch_size=10, epochs=30),
    ),
    Preset(
        "Nielsen network.py: 784-30-10",
        "Chapter 1 of Nielsen's book: sigmoid everywhere, quadratic cost, large N(0,1) "
        "initial weights, η = 3.0, mini-batches of 10, 30 epochs",
        _spec((30,), "sigmoid", "sigmoid", "quadratic", "large"),
        TrainConfig(eta=3.0, batch_size=10, epochs=30),
    ),
    Preset(
        "Nielsen network2.py: 784-30-10",
        "Chapter 3 of Nielsen's book: sigmoid neurons, cross-entropy, 1/√n initial weights, "
        "η = 0.5, L2 λ = 5/50,000 = 1e-4, mini-batches of 10, 30 epochs",
        _spec((30,), "sigmoid", "sigmoid", "cross-entropy", "normal"),
        TrainConfig(eta=0.5, lmbda=1e-4, batch_size=10, epochs=30),
    ),
    Preset(
        "Playground: XOR, 2-4-1",
        "The playground: points of two classes in the plane, opposite quadrants alike. One hidden "
        "layer of 4 tanh neurons bends the boundary; watch each neuron draw its line. Sigmoid output, "
        "cross-entropy, η = 0.05, momentum 0.9, mini-batches of 10",
        _spec((4,), "tanh", "sigmoid", "cross-entropy", "xavier", str(PlaygroundSpec("xor"))),
        TrainConfig(eta=0.05, momentum=0.9, batch_size=10, epochs=300),
    ),
    Preset(
        "Playground: spirals, 2-8-8-8-1",
        "Two interleaved spirals need depth: three hidden layers of 8 tanh neurons, as in TensorFlow "
        "Playground's hardest set. η = 0.1, mini-batches of 10; about 600 epochs to reach 95%",
        _spec((8, 8, 8), "tanh", "sigmoid", "cross-entropy", "xavier", str(PlaygroundSpec("spirals", noise=0.1))),
        TrainConfig(eta=0.1, batch_size=10, epochs=1000),
    ),
    Preset(
        "Perceptron: one step neuron",
        "Rosenblatt's perceptron: a single neuron with a step output, trained by the perceptron rule "
        "(η = 1, one point at a time). It converges on blobs, a line separates them; on XOR it never does",
        _spec((), "tanh", PERCEPTRON_OUTPUT, "quadratic", "zeros", str(PlaygroundSpec("blobs"))),
        TrainConfig(eta=1.0, batch_size=1, epochs=50, rule="perceptron"),
    ),
)
DEFAULT_PRESET = PRESETS[0]
PLAYGROUND_PRESET = PRESETS[3]


def parameter_count(sizes) -> int:
    return sum(n_in * n_out + n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))


class ScientificSpinBox(QDoubleSpinBox):
    """A number box for values spanning decades (learning rate, L2): shows 0.5, 3, 1e-05,
    and its arrows step through 1, 2, 5 × 10^k."""

    _NUMBER = re.compile(r"^[+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")
    _PARTIAL = re.compile(r"^[+]?(\d*\.?\d*)([eE][-+]?\d*)?$")

    def __init__(self, minimum: float, maximum: float, parent: QWidget | None = None):
        super().__init__(parent)
        self.setDecimals(12)  # QDoubleSpinBox rounds to this many decimals
        self.setRange(minimum, maximum)
        self.setKeyboardTracking(False)

    def textFromValue(self, value: float) -> str:
        return f"{value:.6g}"

    def valueFromText(self, text: str) -> float:
        try:
            return float(text)
        except ValueError:
            return self.value()

    def validate(self, text: str, pos: int):
        stripped = text.strip()
        if self._NUMBER.match(stripped):
            value = float(stripped)
            state = (
                QValidator.State.Acceptable
                if self.minimum() <= value <= self.maximum()
                else QValidator.State.Intermediate
            )
        elif stripped == "" or self._PARTIAL.match(stripped):
            state = QValidator.State.Intermediate
        else:
            state = QValidator.State.Invalid
        return state, text, pos

    def fixup(self, text: str) -> str:
        return self.textFromValue(self.value())

    def stepBy(self, steps: int) -> None:
        value = self.value()
        for _ in range(abs(steps)):
            value = _next_125(value, up=steps > 0, smallest=max(self.minimum(), 1e-12))
        self.setValue(min(max(value, self.minimum()), self.maximum()))

    def stepEnabled(self):
        flags = QAbstractSpinBox.StepEnabledFlag.StepNone
        if self.value() < self.maximum():
            flags |= QAbstractSpinBox.StepEnabledFlag.StepUpEnabled
        if self.value() > self.minimum():
            flags |= QAbstractSpinBox.StepEnabledFlag.StepDownEnabled
        return flags


def _next_125(value: float, up: bool, smallest: float) -> float:
    """The next value of the series …, 0.1, 0.2, 0.5, 1, 2, 5, 10, … above or below value."""
    if value <= 0:
        return smallest if up else 0.0
    exponent = math.floor(math.log10(value))
    candidates = sorted(m * 10.0**e for e in (exponent - 1, exponent, exponent + 1) for m in (1, 2, 5))
    if up:
        return next(c for c in candidates if c > value * (1 + 1e-9))
    below = [c for c in candidates if c < value * (1 - 1e-9)]
    return below[-1] if below and below[-1] >= smallest else (0.0 if smallest <= 1e-12 else smallest)


class HiddenLayerRow(QWidget):
    """One hidden layer: its number of neurons, its activation and a remove button."""

    changed = Signal()
    remove_requested = Signal(object)

    def __init__(self, size: int, activation: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.caption = QLabel()
        self.size_spin = QSpinBox()
        self.size_spin.setRange(1, MAX_LAYER_SIZE)
        self.size_spin.setValue(size)
        self.size_spin.setKeyboardTracking(False)
        self.size_spin.setToolTip(
            "Number of neurons in this hidden layer (each gets a weight picture): more can learn more "
            "patterns, fewer are easier to look at one by one"
        )
        self.activation_combo = QComboBox()
        self.activation_combo.addItems(HIDDEN_ACTIVATIONS)
        for i, name in enumerate(HIDDEN_ACTIVATIONS):
            self.activation_combo.setItemData(i, ACTIVATION_TIPS.get(name, name), Qt.ItemDataRole.ToolTipRole)
        self.activation_combo.setCurrentText(activation)
        self.activation_combo.setToolTip(
            "This layer's activation function σ: sigmoid as in the book and the videos; ReLU or tanh "
            "usually learn faster, above all in deeper networks"
        )
        self.remove_button = QToolButton()
        self.remove_button.setText("✕")
        self.remove_button.setAutoRaise(True)
        self.remove_button.setToolTip("Remove this hidden layer")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.caption)
        layout.addWidget(self.size_spin, 2)
        layout.addWidget(self.activation_combo, 3)
        layout.addWidget(self.remove_button)
        self.size_spin.valueChanged.connect(self.changed)
        self.activation_combo.currentTextChanged.connect(self.changed)
        self.remove_button.clicked.connect(self._on_remove_clicked)

    @Slot()
    def _on_remove_clicked(self) -> None:
        self.remove_requested.emit(self)


class ConfigPanel(QWidget):
    """Architecture, hyperparameters, presets and data set of the network being trained."""

    hyperparameters_changed = Signal(object)  # dict of the TrainConfig fields just changed
    network_requested = Signal(object)  # NetworkSpec: the user pressed Apply

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._n_inputs, self._n_outputs = 784, 10  # of the digit data set in use or last used
        self._applied: NetworkSpec | None = None
        self._applied_training: dict | None = None  # train_values() of the network being trained
        self._updating = False  # True while controls are set from code: no signals then
        self._layer_rows: list[HiddenLayerRow] = []
        self._item_before = "embedded"  # the data set item chosen before the latest change

        self._build_preset_box()
        self._build_network_box()
        self._build_training_box()

        content = QWidget()
        column = QVBoxLayout(content)
        column.addWidget(self._preset_box)
        column.addWidget(self._training_box)  # first: the live settings are the ones changed most
        column.addWidget(self._network_box)
        column.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(content)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)

        self.set_datasets([("embedded", "Embedded MNIST")], "embedded")
        self.apply_preset(DEFAULT_PRESET)
        self._applied = self.network_spec()
        self._applied_training = self.train_values()
        self._refresh_network_state()

    # -- building -------------------------------------------------------------------------
    def _build_preset_box(self) -> None:
        self._preset_box = QGroupBox("Preset")
        self.preset_combo = QComboBox()
        self.preset_combo.addItem("Custom", None)
        for i, preset in enumerate(PRESETS, start=1):
            self.preset_combo.addItem(preset.label, preset)
            self.preset_combo.setItemData(i, preset.tip, Qt.ItemDataRole.ToolTipRole)
        self.preset_combo.setToolTip(
            "Fill in a classic network and its hyperparameters; press Apply to build the network"
        )
        layout = QVBoxLayout(self._preset_box)
        layout.addWidget(self.preset_combo)
        self.preset_combo.activated.connect(self._on_preset_chosen)

    def _build_network_box(self) -> None:
        box = self._network_box = QGroupBox("Network")
        form = QFormLayout(box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)

        self.dataset_combo = QComboBox()
        self.dataset_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.dataset_combo.setMinimumContentsLength(12)
        self.dataset_combo.setToolTip(
            "The images to learn from. Full MNIST and Fashion-MNIST appear when found on this "
            "computer (`visnet data fetch` downloads them)"
        )
        self.dataset_combo.activated.connect(self._on_dataset_chosen)
        form.addRow("Data set", self.dataset_combo)
        self._build_playground_box()
        form.addRow(self.playground_box)

        layers = QWidget()
        self._layers_layout = QVBoxLayout(layers)
        self._layers_layout.setContentsMargins(0, 0, 0, 0)
        self._layers_layout.setSpacing(2)
        self.layers_caption = QLabel("Hidden layers: neurons and activation")
        self.input_label = QLabel()
        self.input_label.setToolTip("One input neuron per pixel; fixed by the data set")
        self.output_label = QLabel()
        self.output_label.setToolTip("One output neuron per class; fixed by the data set")
        self._rows_layout = QVBoxLayout()
        self._rows_layout.setSpacing(2)
        self.add_layer_button = QPushButton("Add hidden layer")
        self.add_layer_button.setToolTip(
            f"Append a hidden layer (at most {MAX_HIDDEN_LAYERS}): deeper networks can compose simpler "
            "features, but deep sigmoid networks learn slowly (vanishing gradients)"
        )
        self.add_layer_button.clicked.connect(self._on_add_layer_clicked)
        self._layers_layout.addWidget(self.input_label)
        self._layers_layout.addWidget(self.layers_caption)
        self._layers_layout.addLayout(self._rows_layout)
        self._layers_layout.addWidget(self.add_layer_button)
        self._layers_layout.addWidget(self.output_label)
        form.addRow("Layers", layers)

        self.output_combo = QComboBox()
        self.output_combo.addItems(OUTPUT_CHOICES)
        for i, name in enumerate(OUTPUT_CHOICES):
            self.output_combo.setItemData(i, ACTIVATION_TIPS.get(name, name), Qt.ItemDataRole.ToolTipRole)
        self.output_combo.setToolTip("Activation of the output layer (softmax turns outputs into probabilities)")
        form.addRow("Output", self.output_combo)

        self.cost_combo = QComboBox()
        self.cost_combo.addItems(COSTS)
        self.cost_combo.setToolTip(
            "The cost C the network minimises: quadratic ½‖y − a‖², or cross-entropy −Σ y ln a "
            "(learns faster from confident mistakes; needs a sigmoid or softmax output)"
        )
        form.addRow("Cost", self.cost_combo)

        self.init_combo = QComboBox()
        self.init_combo.addItems(INITS)
        for i, name in enumerate(INITS):
            self.init_combo.setItemData(i, INIT_TIPS.get(name, name), Qt.ItemDataRole.ToolTipRole)
        self.init_combo.setToolTip(
            "How the initial weights and biases are drawn: scaled by 1/√n_in (the book's choice) "
            "keeps neurons out of saturation at the start, so learning starts quickly"
        )
        form.addRow("Initial weights", self.init_combo)

        self.seed_spin = QSpinBox()
        self.seed_spin.setRange(0, 2**31 - 1)
        self.seed_spin.setKeyboardTracking(False)
        self.seed_spin.setToolTip(
            "Random seed for the initial weights and the shuffling: the same seed trains identically"
        )
        form.addRow("Seed", self.seed_spin)

        self.param_count_label = QLabel()
        self.param_count_label.setToolTip("Weights plus biases: the numbers gradient descent adjusts")
        form.addRow("Size", self.param_count_label)

        self.problem_label = QLabel()
        self.problem_label.setWordWrap(True)
        self.problem_label.setStyleSheet("color: #b00020;")
        self.problem_label.hide()
        form.addRow(self.problem_label)

        self.apply_button = QPushButton("Apply (new network)")
        self.apply_button.setToolTip(
            "Build a new, untrained network with these settings (asks first if trained work is unsaved)"
        )
        self.revert_button = QPushButton("Revert")
        self.revert_button.setToolTip("Show the settings of the network being trained again")
        buttons = QHBoxLayout()
        buttons.addWidget(self.apply_button, 1)
        buttons.addWidget(self.revert_button)
        form.addRow(buttons)
        self.apply_button.clicked.connect(self._on_apply_clicked)
        self.revert_button.clicked.connect(self._on_revert_clicked)

        for combo in (self.output_combo, self.cost_combo, self.init_combo):
            combo.currentTextChanged.connect(self._on_network_setting_changed)
        self.seed_spin.valueChanged.connect(self._on_network_setting_changed)

    def _build_playground_box(self) -> None:
        """Noise, size, seed and extra input features of a generated 2-D data set."""
        box = self.playground_box = QGroupBox("Playground data")
        box.setToolTip("Points of two classes in the plane, made again identically from these settings")
        form = QFormLayout(box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.noise_spin = QDoubleSpinBox()
        self.noise_spin.setRange(0.0, MAX_NOISE)
        self.noise_spin.setSingleStep(0.05)
        self.noise_spin.setDecimals(2)
        self.noise_spin.setKeyboardTracking(False)
        self.noise_spin.setToolTip(
            "Standard deviation of the Gaussian jitter added to every point, in plane units (the plane is −6…6)"
        )
        form.addRow("Noise", self.noise_spin)
        self.points_spin = QSpinBox()
        self.points_spin.setRange(20, MAX_POINTS)
        self.points_spin.setSingleStep(50)
        self.points_spin.setKeyboardTracking(False)
        self.points_spin.setToolTip("Points in all, half of each class; half of them are held out as test points")
        form.addRow("Points", self.points_spin)
        self.train_share_spin = QSpinBox()
        self.train_share_spin.setRange(10, 90)
        self.train_share_spin.setSingleStep(10)
        self.train_share_spin.setSuffix(" % train")
        self.train_share_spin.setKeyboardTracking(False)
        self.train_share_spin.setToolTip(
            "The share of each class the network trains on; the rest are test points (rings), never trained on"
        )
        form.addRow("Split", self.train_share_spin)
        self.data_seed_spin = QSpinBox()
        self.data_seed_spin.setRange(0, 2**31 - 1)
        self.data_seed_spin.setKeyboardTracking(False)
        self.data_seed_spin.setToolTip("Random seed of the points: the same seed gives the same points")
        form.addRow("Data seed", self.data_seed_spin)
        features = QWidget()
        grid = QGridLayout(features)
        grid.setContentsMargins(0, 0, 0, 0)
        self.feature_boxes: dict[str, QCheckBox] = {}
        for i, name in enumerate(FEATURES):
            check = QCheckBox(FEATURE_LABELS[name])
            check.setToolTip(
                f"Give the network {FEATURE_LABELS[name]} as an extra input, computed from (x₁, x₂): "
                "with x₁x₂ even a network with no hidden layer separates XOR, with x₁² and x₂² a circle"
            )
            check.toggled.connect(self._on_network_setting_changed)
            grid.addWidget(check, i // 3, i % 3)
            self.feature_boxes[name] = check
        form.addRow("Extra inputs", features)
        self.noise_spin.valueChanged.connect(self._on_network_setting_changed)
        self.points_spin.valueChanged.connect(self._on_network_setting_changed)
        self.train_share_spin.valueChanged.connect(self._on_network_setting_changed)
        self.data_seed_spin.valueChanged.connect(self._on_network_setting_changed)
        self._show_playground_spec(PlaygroundSpec())

    def _build_training_box(self) -> None:
        box = self._training_box = QGroupBox("Training: applies at once")
        box.setToolTip("These settings change the running training from its next mini-batch")
        grid = QGridLayout(box)

        self.learning_rate_spin = ScientificSpinBox(1e-6, 1e7)
        self.learning_rate_spin.setToolTip(
            "Learning rate η: how far each step moves down the gradient. Too large and the "
            "loss explodes; too small and learning crawls"
        )
        self.schedule_combo = QComboBox()
        self.schedule_combo.addItems(SCHEDULES)
        self.schedule_combo.setToolTip(
            "How η changes over training: constant; step (×0.5 every epoch); exponential "
            "(×0.5 per epoch, smoothly); cosine (down to 0 at the last epoch)"
        )
        self.momentum_spin = QDoubleSpinBox()
        self.momentum_spin.setRange(0.0, 0.99)
        self.momentum_spin.setSingleStep(0.05)
        self.momentum_spin.setDecimals(2)
        self.momentum_spin.setKeyboardTracking(False)
        self.momentum_spin.setToolTip(
            "Momentum μ: the fraction of the previous step carried into the next (0 = plain SGD)"
        )
        self.lmbda_spin = ScientificSpinBox(0.0, 1.0)
        self.lmbda_spin.setToolTip(
            "L2 weight decay λ per step: pulls every weight towards 0 (Nielsen's λ/n; 5/50,000 = 1e-4)"
        )
        self.batch_size_spin = QSpinBox()
        self.batch_size_spin.setRange(1, 60000)
        self.batch_size_spin.setKeyboardTracking(False)
        self.batch_size_spin.setToolTip(
            "Mini-batch size: examples averaged into each gradient step. Smaller: noisier steps but "
            "more of them per epoch; larger: smoother, fewer steps"
        )
        self.epochs_spin = QSpinBox()
        self.epochs_spin.setRange(1, 10000)
        self.epochs_spin.setKeyboardTracking(False)
        self.epochs_spin.setToolTip(
            "Training pauses after this many epochs (passes over the training set); Train continues beyond"
        )

        rows = (
            ("Learning rate η", self.learning_rate_spin),
            ("Schedule", self.schedule_combo),
            ("Momentum μ", self.momentum_spin),
            ("L2 λ", self.lmbda_spin),
            ("Batch size", self.batch_size_spin),
            ("Epochs", self.epochs_spin),
        )
        for r, (text, widget) in enumerate(rows):
            label = QLabel(text)
            label.setBuddy(widget)
            label.setToolTip(widget.toolTip())
            grid.addWidget(label, r, 0)
            grid.addWidget(widget, r, 1)
        grid.setColumnStretch(1, 1)

        self.learning_rate_spin.valueChanged.connect(self._on_learning_rate_changed)
        self.momentum_spin.valueChanged.connect(self._on_momentum_changed)
        self.lmbda_spin.valueChanged.connect(self._on_lmbda_changed)
        self.batch_size_spin.valueChanged.connect(self._on_batch_size_changed)
        self.epochs_spin.valueChanged.connect(self._on_epochs_changed)
        self.schedule_combo.currentTextChanged.connect(self._on_schedule_changed)

    # -- reading --------------------------------------------------------------------------
    def network_spec(self) -> NetworkSpec:
        """The network the controls describe now (applied or not)."""
        return NetworkSpec(
            hidden_sizes=tuple(row.size_spin.value() for row in self._layer_rows),
            hidden_activations=tuple(row.activation_combo.currentText() for row in self._layer_rows),
            output=self.output_combo.currentText(),
            cost=self.cost_combo.currentText(),
            init=self.init_combo.currentText(),
            seed=self.seed_spin.value(),
            dataset=self.current_dataset(),
        )

    def train_values(self) -> dict:
        """The hyperparameters shown, as TrainConfig keyword arguments."""
        return {
            "eta": self.learning_rate_spin.value(),
            "schedule": self.schedule_combo.currentText(),
            "momentum": self.momentum_spin.value(),
            "lmbda": self.lmbda_spin.value(),
            "batch_size": self.batch_size_spin.value(),
            "epochs": self.epochs_spin.value(),
        }

    def train_config(self) -> TrainConfig:
        return TrainConfig(**self.train_values(), seed=self.seed_spin.value(), rule=self.network_spec().rule)

    def current_dataset(self) -> str:
        """The data set spec chosen; for a playground set, with the settings shown."""
        spec = self.dataset_combo.currentData()
        if is_playground(spec):
            return str(self.playground_spec())
        return spec if spec and spec not in OPEN_ITEMS else "embedded"

    def playground_chosen(self) -> bool:
        return is_playground(self.dataset_combo.currentData())

    def playground_spec(self) -> PlaygroundSpec:
        """The playground settings shown (for the generator chosen, else xor)."""
        item = self.dataset_combo.currentData()
        return PlaygroundSpec(
            name=item[len(PREFIX) :] if is_playground(item) else "xor",
            noise=round(self.noise_spin.value(), 2),
            seed=self.data_seed_spin.value(),
            n_points=self.points_spin.value(),
            train_fraction=self.train_share_spin.value() / 100,
            features=tuple(name for name, box in self.feature_boxes.items() if box.isChecked()),
        )

    def _pending_shape(self) -> tuple[int, int]:
        """Input and output sizes of the network the controls describe."""
        if self.playground_chosen():
            return 2 + len(self.playground_spec().features), 1
        return self._n_inputs, self._n_outputs

    def applied_spec(self) -> NetworkSpec | None:
        return self._applied

    def has_unapplied_changes(self) -> bool:
        """Whether the controls describe another network, or (after a preset) other training
        settings, than the network being trained: Apply builds it."""
        spec_changed = self._applied is not None and self.network_spec() != self._applied
        training_changed = self._applied_training is not None and self.train_values() != self._applied_training
        return spec_changed or training_changed

    # -- showing what the window has --------------------------------------------------------
    def set_datasets(self, datasets: list[tuple[str, str]], current: str) -> None:
        """The data sets to offer, as (spec, label) pairs, and the one in use."""
        with self._quietly():
            self.dataset_combo.clear()
            for spec, label in datasets:
                self.dataset_combo.addItem(label, spec)
                self.dataset_combo.setItemData(self.dataset_combo.count() - 1, label, Qt.ItemDataRole.ToolTipRole)
            # The user's own data: the one in use, then those opened recently (kept with
            # absolute paths: the one in use, given as a relative path, is not listed twice).
            in_use = with_absolute_path(current)
            for spec in (current, *keys.recent_datasets()):
                item = _combo_data(spec)
                if item is None or self.dataset_combo.findData(item) >= 0 or (spec != current and spec == in_use):
                    continue
                self._add_dataset_item(self.dataset_combo.count(), spec)
            self.dataset_combo.addItem("Open data folder…", OPEN_FOLDER_ITEM)
            self.dataset_combo.setItemData(
                self.dataset_combo.count() - 1,
                "A folder with one subfolder of images per class (cats/, dogs/ or 0/ … 9/), or one holding "
                "train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-… (optionally .gz)",
                Qt.ItemDataRole.ToolTipRole,
            )
            self.dataset_combo.addItem("Open data file…", OPEN_FILE_ITEM)
            self.dataset_combo.setItemData(
                self.dataset_combo.count() - 1,
                "A table (.csv or .tsv with a header row: feature columns and a label column; x1, x2 and "
                "two classes open in the playground) or an .npz (x and y, or Keras-style x_train …)",
                Qt.ItemDataRole.ToolTipRole,
            )
            self.dataset_combo.insertSeparator(self.dataset_combo.count())
            for name in PLAYGROUND_SETS:
                self.dataset_combo.addItem(f"Playground: {TITLES.get(name, name)}", PREFIX + name)
                self.dataset_combo.setItemData(
                    self.dataset_combo.count() - 1,
                    f"2-D points: {TOY2D_GENERATORS[name].description}",
                    Qt.ItemDataRole.ToolTipRole,
                )
            self._select_dataset(current)
        if self._applied is not None:
            self._applied = _with_dataset(self._applied, current)
        self._refresh_network_state()

    def set_data_shape(self, n_inputs: int, n_outputs: int) -> None:
        """Input and output layer sizes, fixed by a digit data set (a playground set's follow
        from its extra inputs)."""
        if not self.playground_chosen():
            self._n_inputs, self._n_outputs = n_inputs, n_outputs
        self._refresh_network_state()

    def _select_dataset(self, spec: str) -> None:
        """Choose spec in the combo; a playground spec also fills in its settings."""
        if is_playground(spec):
            try:
                parsed = PlaygroundSpec.parse(spec)
            except ValueError:
                return
            self._show_playground_spec(parsed)
            spec = PREFIX + parsed.name
        index = self.dataset_combo.findData(spec)
        if index >= 0:
            self.dataset_combo.setCurrentIndex(index)

    def _show_playground_spec(self, spec: PlaygroundSpec) -> None:
        with self._quietly():
            self.noise_spin.setValue(spec.noise)
            self.points_spin.setValue(spec.n_points)
            self.train_share_spin.setValue(round(100 * spec.train_fraction))
            self.data_seed_spin.setValue(spec.seed)
            for name, box in self.feature_boxes.items():
                box.setChecked(name in spec.features)

    def show_network(self, net: Network, dataset: str, seed: int | None = None) -> None:
        """Show the architecture of the network now being trained (nothing left to apply)."""
        hidden_acts = net.activations[:-1]
        with self._quietly():
            self._set_rows(net.sizes[1:-1], hidden_acts)
            self.output_combo.setCurrentText(net.activations[-1])
            self.cost_combo.setCurrentText(net.cost)
            self.init_combo.setCurrentText(net.init if net.init in INITS else "he")
            for s in (seed, net.seed):
                if s is not None:
                    self.seed_spin.setValue(int(s))
                    break
            self._select_dataset(dataset)
        if not is_playground(dataset):
            self._n_inputs, self._n_outputs = net.sizes[0], net.sizes[-1]
        self._applied = self.network_spec()
        self._refresh_network_state()

    def show_config(self, config: TrainConfig) -> None:
        """Show these hyperparameters without announcing them as changes."""
        with self._quietly():
            self.learning_rate_spin.setValue(config.eta)
            self.schedule_combo.setCurrentText(config.schedule)
            self.momentum_spin.setValue(config.momentum)
            self.lmbda_spin.setValue(config.lmbda)
            self.batch_size_spin.setValue(config.batch_size)
            self.epochs_spin.setValue(config.epochs)
        self._applied_training = self.train_values()
        self._refresh_network_state()

    def apply_preset(self, preset: Preset, keep_dataset: bool = False) -> None:
        """Fill in a preset, network and training settings alike; nothing changes for the
        network being trained until Apply builds the preset's network with them. A playground
        preset chooses its data set; a digit preset leaves the playground for the embedded
        digits (unless keep_dataset)."""
        spec = preset.spec
        with self._quietly():
            if not keep_dataset and is_playground(spec.dataset):
                self._select_dataset(spec.dataset)
            elif not keep_dataset and self.playground_chosen():
                self._select_dataset("embedded")
            self._set_rows(spec.hidden_sizes, spec.hidden_activations)
            self.output_combo.setCurrentText(spec.output)
            self.cost_combo.setCurrentText(spec.cost)
            self.init_combo.setCurrentText(spec.init)
            config = preset.config
            self.learning_rate_spin.setValue(config.eta)
            self.schedule_combo.setCurrentText(config.schedule)
            self.momentum_spin.setValue(config.momentum)
            self.lmbda_spin.setValue(config.lmbda)
            self.batch_size_spin.setValue(config.batch_size)
            self.epochs_spin.setValue(config.epochs)
        self._refresh_network_state()

    # -- overridable (tests bypass the dialogs) -----------------------------------------------
    def _ask_data_folder(self) -> str | None:
        folder = QFileDialog.getExistingDirectory(
            self, "Open a folder of class subfolders of images, or of IDX files", keys.last_folder()
        )
        return folder or None

    def _ask_data_file(self) -> str | None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a table or an .npz", keys.last_folder(), DATA_FILE_FILTER)
        return path or None

    def _ask_label_column(self, chosen: ChosenData) -> str | None:
        """The label column of a table whose last column is not plainly its labels; None if cancelled."""
        columns = list(chosen.columns)
        label, ok = QInputDialog.getItem(
            self,
            "Which column holds the labels?",
            f"{Path(chosen.path).name}: the column with each row's class (every other column is an input)",
            columns,
            columns.index(chosen.suggested_label) if chosen.suggested_label in columns else len(columns) - 1,
            False,
        )
        return label if ok else None

    # -- reacting ---------------------------------------------------------------------------
    @contextmanager
    def _quietly(self):
        """Set controls from code without treating it as the user's edits."""
        was, self._updating = self._updating, True
        try:
            yield
        finally:
            self._updating = was

    def _set_rows(self, sizes, activations) -> None:
        for row in self._layer_rows:
            self._rows_layout.removeWidget(row)
            row.deleteLater()
        self._layer_rows = []
        for size, act in zip(sizes, activations):
            self._add_row(int(size), act)

    def _add_row(self, size: int, activation: str) -> None:
        row = HiddenLayerRow(size, activation)
        row.changed.connect(self._on_network_setting_changed)
        row.remove_requested.connect(self._on_remove_layer_requested)
        self._rows_layout.addWidget(row)
        self._layer_rows.append(row)

    def _refresh_network_state(self) -> None:
        """Captions, parameter count, problem message, Apply button and preset name."""
        for i, row in enumerate(self._layer_rows, start=1):
            row.caption.setText(f"{i}.")
        self.add_layer_button.setEnabled(len(self._layer_rows) < MAX_HIDDEN_LAYERS)
        playground = self.playground_chosen()
        self._item_before = self.dataset_combo.currentData()
        self.playground_box.setVisible(playground)
        from_file = playground and self.playground_spec().is_file  # a CSV's points: no noise, no count
        self.noise_spin.setEnabled(not from_file)
        self.points_spin.setEnabled(not from_file)
        n_inputs, n_outputs = self._pending_shape()
        spec = self.network_spec()
        if playground:
            names = ", ".join(FEATURE_LABELS[n] for n in ("x1", "x2", *self.playground_spec().features))
            self.input_label.setText(f"Input: {n_inputs} ({names})")
            threshold = decision_threshold(spec.output) if spec.output in OUTPUT_CHOICES else 0.5
            self.output_label.setText(f"Output: 1 (class 1 where a > {threshold:g})")
        else:
            self.input_label.setText(f"Input: {n_inputs} (one per pixel)")
            self.output_label.setText(f"Output: {n_outputs} (one per class)")
        self.layers_caption.setVisible(bool(self._layer_rows))
        sizes = spec.sizes(n_inputs, n_outputs)
        arch = "-".join(map(str, sizes))
        self.param_count_label.setText(f"{arch}: {parameter_count(sizes):,} parameters")
        problem = spec.problem(n_outputs)
        self.problem_label.setText(problem or "")
        self.problem_label.setVisible(problem is not None)
        pending = self.has_unapplied_changes()
        self.apply_button.setEnabled(pending and problem is None)
        self.apply_button.setDefault(pending and problem is None)
        self.revert_button.setEnabled(pending)
        self._network_box.setTitle("Network: changed, press Apply" if pending else "Network")
        training_pending = self._applied_training is not None and self.train_values() != self._applied_training
        self._training_box.setTitle(
            "Training: from the preset, press Apply" if training_pending else "Training: applies at once"
        )
        with self._quietly():
            index = 0
            for i, preset in enumerate(PRESETS, start=1):
                p = preset.spec
                if (p.hidden_sizes, p.hidden_activations, p.output, p.cost, p.init) == (
                    spec.hidden_sizes,
                    spec.hidden_activations,
                    spec.output,
                    spec.cost,
                    spec.init,
                ) and _same_training(preset.config, self.train_values()):
                    index = i
            self.preset_combo.setCurrentIndex(index)

    @Slot(int)
    def _on_preset_chosen(self, index: int) -> None:
        preset = self.preset_combo.itemData(index)
        if preset is not None:
            self.apply_preset(preset)

    @Slot(int)
    def _on_dataset_chosen(self, index: int) -> None:
        item = self.dataset_combo.itemData(index)
        if item in OPEN_ITEMS:
            spec = self._ask_data_spec(item)
            if spec:
                self.add_dataset(spec)
            else:
                previous = self._applied.dataset if self._applied else "embedded"
                self._select_dataset(previous)
        if self.playground_chosen() != is_playground(self._item_before):
            # Digits and points need different networks: start from the matching preset.
            self.apply_preset(PLAYGROUND_PRESET if self.playground_chosen() else DEFAULT_PRESET, keep_dataset=True)
        self._refresh_network_state()

    def _ask_data_spec(self, item: str) -> str | None:
        """The spec of the data set the user picks with a file or folder dialog (asking for a
        table's label column when its last column is not plainly the labels); None if cancelled."""
        path = self._ask_data_folder() if item == OPEN_FOLDER_ITEM else self._ask_data_file()
        if not path:
            return None
        keys.remember_folder(path)
        chosen = choose_path(path)
        if not chosen.ask_label:
            return chosen.spec
        label = self._ask_label_column(chosen)
        return chosen.with_label(label) if label else None

    def add_dataset(self, spec: str) -> None:
        """Offer (and select) one of the user's own data sets, named by its spec (an IDX or
        image folder, a table, a CSV of points); Apply loads it."""
        item = _combo_data(spec) or spec
        index = self.dataset_combo.findData(item)
        if index < 0:
            index = self.dataset_combo.findData(OPEN_FOLDER_ITEM)  # just before the Open entries
            self._add_dataset_item(index, spec)
        if is_playground(spec):
            self._select_dataset(spec)  # shows its split settings too
        else:
            self.dataset_combo.setCurrentIndex(index)
        self._refresh_network_state()

    def _add_dataset_item(self, index: int, spec: str) -> None:
        self.dataset_combo.insertItem(index, _dataset_label(spec), _combo_data(spec) or spec)
        self.dataset_combo.setItemData(index, spec, Qt.ItemDataRole.ToolTipRole)

    @Slot()
    def _on_add_layer_clicked(self) -> None:
        if len(self._layer_rows) >= MAX_HIDDEN_LAYERS:
            return
        last = self._layer_rows[-1] if self._layer_rows else None
        self._add_row(
            last.size_spin.value() if last else 16, last.activation_combo.currentText() if last else "sigmoid"
        )
        self._refresh_network_state()

    @Slot(object)
    def _on_remove_layer_requested(self, row: HiddenLayerRow) -> None:
        if row in self._layer_rows:
            self._layer_rows.remove(row)
            self._rows_layout.removeWidget(row)
            row.deleteLater()
        self._refresh_network_state()

    @Slot()
    def _on_network_setting_changed(self, *_) -> None:
        if not self._updating:
            self._refresh_network_state()

    @Slot()
    def _on_apply_clicked(self) -> None:
        spec = self.network_spec()
        if spec.problem(self._pending_shape()[1]) is None:
            self.network_requested.emit(spec)

    @Slot()
    def _on_revert_clicked(self) -> None:
        if self._applied is None:
            return
        a = self._applied
        with self._quietly():
            self._set_rows(a.hidden_sizes, a.hidden_activations)
            self.output_combo.setCurrentText(a.output)
            self.cost_combo.setCurrentText(a.cost)
            self.init_combo.setCurrentText(a.init)
            self.seed_spin.setValue(a.seed)
            self._select_dataset(a.dataset)
        if self._applied_training is not None:
            self.show_config(TrainConfig(**{**self.train_config().as_dict(), **self._applied_training}))
        self._refresh_network_state()

    def _emit_live(self, name: str, value) -> None:
        if not self._updating:
            if self._applied_training is not None:
                self._applied_training[name] = value  # applied at once: not a pending change
            self.hyperparameters_changed.emit({name: value})
            self._refresh_network_state()

    @Slot(float)
    def _on_learning_rate_changed(self, value: float) -> None:
        self._emit_live("eta", value)

    @Slot(float)
    def _on_momentum_changed(self, value: float) -> None:
        self._emit_live("momentum", value)

    @Slot(float)
    def _on_lmbda_changed(self, value: float) -> None:
        self._emit_live("lmbda", value)

    @Slot(int)
    def _on_batch_size_changed(self, value: int) -> None:
        self._emit_live("batch_size", value)

    @Slot(int)
    def _on_epochs_changed(self, value: int) -> None:
        self._emit_live("epochs", value)

    @Slot(str)
    def _on_schedule_changed(self, value: str) -> None:
        self._emit_live("schedule", value)


def _same_training(config: TrainConfig, values: dict) -> bool:
    return all(
        math.isclose(getattr(config, k), v) if isinstance(v, float) else getattr(config, k) == v
        for k, v in values.items()
        if k != "epochs"
    )


def _with_dataset(spec: NetworkSpec, dataset: str) -> NetworkSpec:
    return replace(spec, dataset=dataset)


def _combo_data(spec: str) -> str | None:
    """The data set combo's item data for one of the user's own data sets: the spec itself, but
    for a CSV of points 'playground:PATH' (its split settings are the playground box's); None
    for a data set visnet names (embedded, mnist, a generated playground set)."""
    path = spec_path(spec) if spec not in OPEN_ITEMS else None
    if path is None:
        return None
    return PREFIX + path if is_playground(spec) else spec


def _dataset_label(spec: str) -> str:
    """'Images: digits', 'Table: iris (label species)', 'Points: xy.csv', 'Folder: mnist' (a
    plain path to a folder: of IDX files, or of images when given so on the command line)."""
    try:
        if is_folder_spec(spec):
            return f"Images: {_short(FolderSpec.parse(spec).path)}"
        if is_table_spec(spec):
            table = TableSpec.parse(spec)
            label = f" (label {table.label})" if table.label is not None else ""
            return f"Table: {_short(table.path)}{label}"
        if is_playground(spec):
            return f"Points: {_short(PlaygroundSpec.parse(spec).name)}"
    except DataError:
        return spec
    if Path(spec).suffix.lower() in (".npz", ".csv", ".tsv"):
        return f"File: {_short(spec)}"
    return f"Folder: {_short(spec)}"


def _short(path: str) -> str:
    return Path(path).name or path
