"""An experiment: two to four runs on the same data, each with its own settings.

The books teach by comparison (the quadratic cost against cross-entropy, L2 against none,
ReLU against a deep sigmoid network, N(0, 1) against N(0, 1/n) initialisation). An
Experiment names its runs by what differs between them ("cost: quadratic" against "cost:
cross-entropy"); every run is trained exactly as `visnet train` trains the same settings,
with the same seed unless the seed is what varies, so a run equals a separate headless
run bit for bit.

    experiment = preset_experiment("cost")                  # one of the book's comparisons
    experiment = vary_experiment(RunSettings(), [parse_vary("cost=quadratic,cross-entropy")])
    run = RunTraining(experiment.runs[0], x_train, y_train, x_test, y_test)
    record = run.train_epoch()                              # an EpochRecord (or train_steps(n))
    outcome = run.finish(seconds)                           # network, history, RunResult

Field names are the engine's (eta, lmbda, batch_size); a variation may use the command
line's names too (lr, l2, batch), and labels use those, as a user types them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

import numpy as np

from .activations import HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS, get_activation
from .costs import COSTS, check_cost
from .history import HistoryRecorder, TrainingHistory
from .network import INITS, Network
from .snapshot import Snapshot, take_snapshot
from .targets import check_output
from .timeline import DEFAULT_BUDGET, MomentRecorder, Timeline
from .training import SETTINGS, DivergenceError, EpochRecord, TrainConfig, Trainer, evaluate

MIN_RUNS, MAX_RUNS = 2, 4
MAX_LAYERS = 16  # weight layers: deeper than the book's deep networks by far
MAX_LAYER_SIZE = 100_000
DTYPES = ("float32", "float64")
# The command line's names for settings, and the engine's fields they set.
ALIASES = {"lr": "eta", "l2": "lmbda", "batch": "batch_size"}
LABEL_NAMES = {field_name: option for option, field_name in ALIASES.items()}
# The initialisations the book compares, named as it writes them.
INIT_TEXT = {"large": "large N(0,1)", "normal": "normal N(0,1/n)"}


class ExperimentError(ValueError):
    """A setting, a variation or an experiment that cannot be: one line saying why."""


@dataclass(frozen=True)
class RunSettings:
    """Everything that decides a run: the network (layers input first, one hidden
    activation, the output's, the cost, the initialisation, the dtype) and its training (the
    TrainConfig fields). The defaults are `visnet train`'s, the 3Blue1Brown network."""

    layers: tuple[int, ...] = (784, 16, 16, 10)
    activation: str = "sigmoid"
    output: str = "softmax"
    cost: str = "cross-entropy"
    init: str = "normal"
    dtype: str = "float32"
    eta: float = 0.5
    momentum: float = 0.0
    lmbda: float = 0.0
    batch_size: int = 10
    epochs: int = 5
    seed: int = 0
    schedule: str = "constant"
    gamma: float = 0.5
    step_epochs: float = 1.0

    def validate(self) -> None:
        """Raise ExperimentError naming the first setting that cannot be."""
        layers = self.layers
        if not (
            isinstance(layers, tuple)
            and 2 <= len(layers) <= MAX_LAYERS + 1
            and all(type(s) is int and 1 <= s <= MAX_LAYER_SIZE for s in layers)
        ):
            raise ExperimentError(
                f"layers must be 2 to {MAX_LAYERS + 1} sizes from 1 to {MAX_LAYER_SIZE:,}, got {layers!r}"
            )
        for name, choices in NAME_CHOICES.items():
            if getattr(self, name) not in choices:
                raise ExperimentError(f"unknown {name} {getattr(self, name)!r}; choose one of {', '.join(choices)}")
        try:
            check_output(self.output, self.layers[-1])
            check_cost(self.cost, get_activation(self.output))
            self.config().validate()
        except ValueError as err:
            raise ExperimentError(str(err)) from None

    def config(self) -> TrainConfig:
        return TrainConfig(**{f.name: getattr(self, f.name) for f in fields(TrainConfig) if hasattr(self, f.name)})

    def network(self) -> Network:
        """The fresh network, drawn from the seed exactly as `visnet train` draws it."""
        try:
            return Network(
                self.layers,
                self.activation,
                output=self.output,
                cost=self.cost,
                init=self.init,
                seed=self.seed,
                dtype=self.dtype,
            )
        except ValueError as err:
            raise ExperimentError(str(err)) from None

    @classmethod
    def of(cls, net: Network, config: TrainConfig) -> RunSettings:
        """The settings that make a fresh copy of net's architecture trained by config (the
        window's configuration, to add as a variant); its seed is config's, which draws the
        network and shuffles the data, as `visnet train` uses one seed for both.
        ExperimentError for what a run cannot be: hidden layers with different activations."""
        hidden = set(net.activations[:-1])
        if len(hidden) > 1:
            raise ExperimentError("an experiment's run has one activation for all its hidden layers")
        values = {f.name: getattr(config, f.name) for f in fields(TrainConfig) if f.name in SETTING_NAMES}
        settings = cls(
            layers=tuple(int(s) for s in net.sizes),
            activation=hidden.pop() if hidden else cls.activation,
            output=net.activations[-1],
            cost=net.cost,
            init=net.init,
            dtype=net.dtype.name,
            **values,
        )
        settings.validate()
        return settings

    def as_dict(self) -> dict:
        d = asdict(self)
        d["layers"] = list(self.layers)
        return d

    @classmethod
    def from_dict(cls, stored: object) -> RunSettings:
        """The settings a file stored (parsed JSON: anything may be there); ExperimentError
        for anything that is not a valid set of settings. Missing fields take the defaults."""
        if not isinstance(stored, Mapping):
            raise ExperimentError("run settings are not a set of named values")
        unknown = sorted(str(k) for k in stored if k not in SETTING_NAMES)
        if unknown:
            raise ExperimentError(f"unknown run setting {unknown[0][:40]!r}")
        values = dict(stored)
        if "layers" in values:
            layers = values["layers"]
            values["layers"] = tuple(layers) if isinstance(layers, list) else layers
        for name, setting in SETTINGS.items():
            if name in values and setting.problem(values[name]) is None:
                values[name] = setting.normalized(values[name])
        settings = cls(**values)
        settings.validate()
        return settings

    def value_text(self, name: str) -> str:
        """A setting's value as a label shows it: 784-30-10, 0.0001, quadratic."""
        value = getattr(self, name)
        if name == "layers":
            return "-".join(map(str, value))
        if name == "init" and value in INIT_TEXT:
            return INIT_TEXT[value]
        if isinstance(value, float):
            return f"{value:g}"
        return str(value)


SETTING_NAMES = tuple(f.name for f in fields(RunSettings))
NAME_CHOICES: dict[str, tuple[str, ...]] = {
    "activation": tuple(HIDDEN_ACTIVATIONS),
    "output": tuple(OUTPUT_ACTIVATIONS),
    "cost": tuple(COSTS),
    "init": tuple(INITS),
    "dtype": DTYPES,
}


def setting_name(name: str) -> str:
    """The RunSettings field a name given by a user sets (lr -> eta); ExperimentError if none."""
    key = name.strip().lower().replace("-", "_")
    key = ALIASES.get(key, key)
    if key not in SETTING_NAMES:
        known = sorted({LABEL_NAMES.get(n, n) for n in SETTING_NAMES})
        raise ExperimentError(f"no setting {name.strip()[:40]!r} to vary; settings: {', '.join(known)}")
    return key


def label_name(name: str) -> str:
    """How labels and tables name a setting: the command line's name (eta -> lr)."""
    return LABEL_NAMES.get(name, name)


def parse_value(name: str, text: str):
    """One value of setting `name` (a RunSettings field) from text; ExperimentError if bad.
    Layers are written with dashes: 784-30-10."""
    text = text.strip()
    if name == "layers":
        parts = text.replace("x", "-").split("-")
        if not (len(parts) >= 2 and all(p.isascii() and p.isdigit() and len(p) <= 7 for p in parts)):
            raise ExperimentError(f"layers are sizes joined by dashes, like 784-30-10, got {text[:40]!r}")
        return tuple(int(p) for p in parts)
    if name in NAME_CHOICES:
        if text not in NAME_CHOICES[name]:
            raise ExperimentError(f"unknown {name} {text[:40]!r}; choose one of {', '.join(NAME_CHOICES[name])}")
        return text
    setting = SETTINGS[name]
    value: object
    if setting.kind == "name":
        value = text
    elif setting.kind == "int":
        value = int(text) if text.isascii() and text.isdigit() and len(text) <= 30 else text
    else:
        try:
            value = float(text)
        except ValueError:
            value = text
    problem = setting.problem(value)
    if problem:
        raise ExperimentError(f"{label_name(name)}: {problem}")
    return setting.normalized(value)


@dataclass(frozen=True)
class Variation:
    """One setting and the value each run gives it."""

    name: str  # a RunSettings field
    values: tuple


def parse_vary(text: str) -> Variation:
    """NAME=V1,V2[,V3,V4] (e.g. cost=quadratic,cross-entropy or layers=784-30-10,784-100-10)
    as a Variation; ExperimentError with one line saying what is wrong."""
    name, equals, values = text.partition("=")
    if not equals or not name.strip():
        raise ExperimentError(f"expected NAME=VALUE,VALUE like cost=quadratic,cross-entropy, got {text[:60]!r}")
    key = setting_name(name)
    items = values.split(",")
    if not MIN_RUNS <= len(items) <= MAX_RUNS or any(not v.strip() for v in items):
        raise ExperimentError(
            f"{name.strip()}: give {MIN_RUNS} to {MAX_RUNS} values separated by commas, got {values[:60]!r}"
        )
    return Variation(key, tuple(parse_value(key, v) for v in items))


@dataclass(frozen=True)
class RunSpec:
    label: str  # what sets this run apart from the others, e.g. "cost: quadratic"
    settings: RunSettings


@dataclass(frozen=True)
class Experiment:
    """Two to four runs on the same data (data: a load_dataset spec; train_size / test_size:
    the first examples of each split, None for all)."""

    runs: tuple[RunSpec, ...]
    name: str = "custom"
    description: str = ""
    data: str = "embedded"
    train_size: int | None = None
    test_size: int | None = None

    def __post_init__(self):
        if not MIN_RUNS <= len(self.runs) <= MAX_RUNS:
            raise ExperimentError(f"an experiment has {MIN_RUNS} to {MAX_RUNS} runs, not {len(self.runs)}")
        for size in (self.train_size, self.test_size):
            if size is not None and (type(size) is not int or size < 1):
                raise ExperimentError(f"a split size must be a whole number of 1 or more, got {size!r}")
        for run in self.runs:
            run.settings.validate()

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(run.label for run in self.runs)

    @property
    def settings(self) -> tuple[RunSettings, ...]:
        return tuple(run.settings for run in self.runs)

    def with_run(self, settings: RunSettings) -> Experiment:
        """This experiment with one more run ("add as a variant"), every run labelled afresh
        by what now differs; ExperimentError if it has MAX_RUNS already or the run is one of them."""
        if settings in self.settings:
            raise ExperimentError("the experiment has a run with these settings already")
        return experiment_of((*self.settings, settings), **_other_fields(self))

    def without_run(self, index: int) -> Experiment:
        """This experiment without run `index`, labelled afresh (it keeps MIN_RUNS at least)."""
        return experiment_of(self.settings[:index] + self.settings[index + 1 :], **_other_fields(self))

    @property
    def varied(self) -> tuple[str, ...]:
        return differing_settings([run.settings for run in self.runs])


def _other_fields(experiment: Experiment) -> dict:
    return {f.name: getattr(experiment, f.name) for f in fields(Experiment) if f.name != "runs"}


def experiment_of(settings: Sequence[RunSettings], **experiment) -> Experiment:
    """An experiment of these runs, each labelled by what differs (run_labels)."""
    if len(set(settings)) != len(settings):
        raise ExperimentError("two runs would have the same settings: the values varied must differ")
    return Experiment(tuple(RunSpec(label, s) for label, s in zip(run_labels(settings), settings)), **experiment)


def differing_settings(settings: Sequence[RunSettings]) -> tuple[str, ...]:
    """The fields whose values are not the same in every run, in RunSettings order."""
    return tuple(name for name in SETTING_NAMES if len({getattr(s, name) for s in settings}) > 1)


def run_labels(settings: Sequence[RunSettings]) -> tuple[str, ...]:
    """A label per run naming what differs: "cost: quadratic"; several settings joined by
    commas ("activation: relu, lr: 0.1"); "run N" when nothing differs."""
    names = differing_settings(settings)
    if not names:
        return tuple(f"run {i + 1}" for i in range(len(settings)))
    return tuple(", ".join(f"{label_name(n)}: {s.value_text(n)}" for n in names) for s in settings)


def vary_experiment(base: RunSettings, variations: Sequence[Variation], **experiment) -> Experiment:
    """The runs base makes with each variation applied: run i takes the i-th value of every
    variation (so all must list as many values). experiment: Experiment's other fields."""
    if not variations:
        raise ExperimentError("say what to vary, e.g. --vary cost=quadratic,cross-entropy")
    counts = {len(v.values) for v in variations}
    if len(counts) != 1:
        raise ExperimentError("every --vary must list as many values: run i takes the i-th value of each")
    names = [v.name for v in variations]
    if len(set(names)) != len(names):
        raise ExperimentError(f"{label_name(names[0])} is varied twice")
    settings = [replace(base, **{v.name: v.values[i] for v in variations}) for i in range(len(variations[0].values))]
    for s in settings:
        s.validate()
    return experiment_of(settings, **experiment)


# -- the book's comparisons --------------------------------------------------------------------
@dataclass(frozen=True)
class Preset:
    name: str
    title: str  # one line, for lists
    base: RunSettings
    variations: tuple[Variation, ...]
    train_size: int | None = None

    def experiment(self, base: RunSettings | None = None, **experiment) -> Experiment:
        """The preset's runs; base replaces its settings (not the varied ones)."""
        experiment.setdefault("train_size", self.train_size)
        return vary_experiment(base or self.base, self.variations, name=self.name, description=self.title, **experiment)


_NIELSEN = RunSettings(layers=(784, 30, 10), output="sigmoid", eta=0.5, epochs=5)
PRESETS: dict[str, Preset] = {
    preset.name: preset
    for preset in (
        Preset(
            "cost",
            "learning slowdown: quadratic cost against cross-entropy, 784-30-10 sigmoid from N(0,1) weights",
            replace(_NIELSEN, init="large"),
            (Variation("cost", ("quadratic", "cross-entropy")),),
        ),
        Preset(
            "l2",
            "overfitting: 1,000 training images without and with L2 of 1e-3 (Nielsen's lambda 1 for n = 1,000)",
            replace(_NIELSEN, epochs=30),
            (Variation("lmbda", (0.0, 1e-3)),),
            train_size=1000,
        ),
        Preset(
            "activation",
            "vanishing gradients: a deep 784-30-30-30-30-10 sigmoid network against ReLU",
            RunSettings(layers=(784, 30, 30, 30, 30, 10), eta=0.1, epochs=5),
            (Variation("activation", ("sigmoid", "relu")),),
        ),
        Preset(
            "init",
            "saturation: N(0,1) weights against N(0,1/n_in), 784-30-10 sigmoid, cross-entropy",
            replace(_NIELSEN, eta=0.1, cost="cross-entropy"),
            (Variation("init", ("large", "normal")),),
        ),
    )
}


def preset_experiment(name: str, **experiment) -> Experiment:
    """The book's comparison `name` (a key of PRESETS) as an Experiment."""
    if name not in PRESETS:
        raise ExperimentError(f"no preset {name[:40]!r}; presets: {', '.join(PRESETS)}")
    return PRESETS[name].experiment(**experiment)


# -- training one run --------------------------------------------------------------------------
@dataclass(frozen=True)
class RunResult:
    """How a run ended: epochs trained, the best test accuracy and the epoch it came at,
    the final train and test losses and accuracies, the gap (train accuracy - test
    accuracy: overfitting), seconds of training, and why it stopped early ("" if it did not)."""

    epochs: int
    best_test_accuracy: float
    best_epoch: int
    final_train_loss: float
    final_test_loss: float
    final_test_accuracy: float
    final_train_accuracy: float
    seconds: float
    stopped: str = ""

    @property
    def gap(self) -> float:
        return self.final_train_accuracy - self.final_test_accuracy

    def as_dict(self) -> dict:
        return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, stored: object) -> RunResult:
        """From parsed JSON; ExperimentError unless every field is there with a sound value."""
        if not isinstance(stored, Mapping):
            raise ExperimentError("a run's result is not a set of named values")
        values: dict[str, Any] = {}
        for f in fields(cls):
            value = stored.get(f.name)
            if f.name == "stopped":
                if not isinstance(value, str):
                    raise ExperimentError("a run's result has no valid 'stopped'")
            elif f.name in ("epochs", "best_epoch"):
                if type(value) is not int or not 0 <= value <= 2**31:
                    raise ExperimentError(f"a run's {f.name} is not a whole number")
            else:
                if value is None:
                    value = math.nan
                if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                    raise ExperimentError(f"a run's {f.name} is not a number of 0 or more")
                value = float(value)
            values[f.name] = value
        return cls(**values)


def run_result(records: Sequence[EpochRecord], seconds: float, train_accuracy: float, stopped: str = "") -> RunResult:
    """The RunResult of a run with these epoch records."""
    accuracies = np.array([r.test_accuracy for r in records], dtype=np.float64)
    finite = np.isfinite(accuracies)
    best = int(np.argmax(np.where(finite, accuracies, -1.0))) if finite.any() else -1
    last = records[-1] if records else None
    nan = math.nan
    return RunResult(
        epochs=len(records),
        best_test_accuracy=float(accuracies[best]) if best >= 0 else nan,
        best_epoch=int(records[best].epoch) if best >= 0 else 0,
        final_train_loss=last.train_loss if last else nan,
        final_test_loss=last.test_loss if last else nan,
        final_test_accuracy=last.test_accuracy if last else nan,
        final_train_accuracy=float(train_accuracy),
        seconds=float(seconds),
        stopped=stopped,
    )


@dataclass
class RunOutcome:
    """A finished run: what it was (label, settings), the trained network, its curves, its
    timeline when one was recorded, and its result."""

    label: str
    settings: RunSettings
    network: Network
    history: TrainingHistory
    result: RunResult
    timeline: Timeline | None = None
    info: dict = field(default_factory=dict)


class RunTraining:
    """One run of an experiment, trained a few steps or an epoch at a time (so runs can take
    turns): the network the settings draw, a Trainer, its history and, with record=True, its
    timeline, recorded as `visnet train --record` records it (first and last moments kept).
    With snapshots=True it also keeps the mini-batch losses and epochs since the last
    snapshot(), for a window that draws the run live as it draws a single run."""

    def __init__(
        self,
        spec: RunSpec | RunSettings,
        x_train,
        y_train,
        x_test=None,
        y_test=None,
        *,
        record: bool = False,
        budget: int = DEFAULT_BUDGET,
        snapshots: bool = False,
    ):
        self.spec = spec if isinstance(spec, RunSpec) else RunSpec("run", spec)
        settings = self.spec.settings
        settings.validate()
        self.network = settings.network()
        try:
            self.trainer = Trainer(self.network, x_train, y_train, x_test, y_test, settings.config())
        except ValueError as err:
            raise ExperimentError(str(err)) from None
        self.recorder = HistoryRecorder(self.network.n_layers)
        self.timeline = Timeline(budget) if record else None
        self._moments = MomentRecorder()
        self._snapshots = snapshots
        self._batch_x: list[float] = []
        self._batch_loss: list[float] = []
        self._new_epochs: list[EpochRecord] = []
        self.stopped = ""  # why training stopped early: a divergence's message
        if self.timeline is not None:
            self.timeline.add(take_snapshot(self.trainer, state="idle"), kept=True)

    @property
    def done(self) -> bool:
        return bool(self.stopped) or self.trainer.epochs_done >= self.spec.settings.epochs

    def train_steps(self, n: int) -> EpochRecord | None:
        """Train up to n mini-batches, stopping early at the end of an epoch (whose record is
        returned) or at a divergence (None; stopped says how)."""
        trainer, recorder, timeline = self.trainer, self.recorder, self.timeline
        try:
            for _ in range(n):
                result = trainer.step()
                recorder.add_step(trainer, result)
                if self._snapshots:
                    self._batch_x.append(trainer.epoch_progress)
                    self._batch_loss.append(result.loss)
                if timeline is not None and self._moments.after_step(trainer):
                    timeline.add_all(self._moments.take())
                if result.epoch_finished:
                    if self._snapshots:
                        self._new_epochs.append(trainer.history[-1])
                    return trainer.history[-1]
        except DivergenceError as err:
            self.stopped = str(err)
        return None

    def train_epoch(self) -> EpochRecord | None:
        """Train to the end of the epoch; its record, or None when training diverged."""
        while not self.stopped:
            record = self.train_steps(self.trainer.batches_per_epoch)
            if record is not None:
                return record
        return None

    def snapshot(self, state: str = "running") -> Snapshot:
        """The run now (core.snapshot), with the mini-batch losses and epochs since the last
        one (kept only with snapshots=True)."""
        snap = take_snapshot(
            self.trainer, self._batch_x, self._batch_loss, tuple(self._new_epochs), state=state, message=self.stopped
        )
        self._batch_x, self._batch_loss, self._new_epochs = [], [], []
        return snap

    def finish(self, seconds: float) -> RunOutcome:
        """The outcome, once training is over (the last moment goes into the timeline)."""
        trainer = self.trainer
        if self.timeline is not None:
            self.timeline.add_all(self._moments.take())
            self.timeline.add(take_snapshot(trainer, state="stopped"), kept=True)
        self.recorder.set_progress(trainer.progress)
        train_accuracy = evaluate(self.network, trainer.x_train, trainer.y_train).accuracy
        result = run_result(trainer.history, seconds, train_accuracy, self.stopped)
        return RunOutcome(
            self.spec.label,
            self.spec.settings,
            self.network,
            self.recorder.history(),
            result,
            self.timeline,
        )
