"""Training one mini-batch at a time, so a GUI can pause, step or stop at any batch.

A Trainer owns the optimiser state (velocities), the seeded shuffling and the progress
counters; the Network it trains is updated in place. The same seed gives bit-identical
training: shuffling draws from its own generator seeded with config.seed.

Two learning rules (TrainConfig.rule), driven the same way (step(), state(), layer_stats()):

    backprop    any network whose output has a slope: gradients by Network.backward.
    perceptron  Rosenblatt's rule for a single step neuron, Network([n_in, 1],
                output="step", cost="quadratic"); see perceptron_rule. No gradients.
"""

from __future__ import annotations

import math
import numbers
import reprlib
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any, cast

import numpy as np

from .activations import PERCEPTRON_OUTPUT
from .blas_threads import step_threads
from .costs import cost_value
from .health import Diagnosis, diagnose
from .network import Backward, Network, StepBuffers
from .optim import SCHEDULES, Schedule, sgd_update
from .targets import n_classes, predict_classes, targets_for

CHECKPOINT_EVERY = 25  # steps between verified-finite copies of the parameters
EVALUATION_CHUNK = 2000  # rows evaluated at once: memory stays bounded for any test split
HEALTH_INPUTS = 256  # test inputs the health check runs on: enough to tell, a forward pass costs little
RULES = ("backprop", "perceptron")


class DivergenceError(ArithmeticError):
    """The loss or the parameters became NaN/inf; the last good parameters were restored."""


@dataclass(frozen=True)
class Setting:
    """What one TrainConfig field accepts: a whole number, a finite number or a name, within
    bounds. The one schema for every config, whether typed in, given on the command line or
    read from a model file."""

    label: str  # how messages name it
    kind: str  # "int", "float" or "name"
    low: float | None = None
    high: float | None = None
    low_open: bool = False  # low itself is not allowed
    high_open: bool = False
    names: tuple[str, ...] = ()

    def problem(self, value: object) -> str | None:
        """None if value is allowed, else one line saying what is wrong with it."""
        if self.kind == "name":
            if isinstance(value, str) and value in self.names:
                return None
            return f"unknown {self.label} {reprlib.repr(value)}; choose one of {', '.join(self.names)}"
        return None if self._accepts(value) else f"{self.label} must be {self.requirement}, got {reprlib.repr(value)}"

    def _accepts(self, value: object) -> bool:
        kind = numbers.Integral if self.kind == "int" else numbers.Real
        if isinstance(value, bool) or not isinstance(value, kind):  # True is an int to Python, not to a user
            return False
        value = cast(float, value)  # an int or a float, compared exactly (never converted: ints may be huge)
        if self.kind == "float" and not math.isfinite(value):
            return False
        low_ok = self.low is None or (value > self.low if self.low_open else value >= self.low)
        high_ok = self.high is None or (value < self.high if self.high_open else value <= self.high)
        return low_ok and high_ok

    @property
    def requirement(self) -> str:
        """e.g. "a whole number in [1, 1000000]", "a finite number > 0", "one of a, b"."""
        if self.kind == "name":
            return f"one of {', '.join(self.names)}"
        noun = "a whole number" if self.kind == "int" else "a finite number"
        if self.low is not None and self.high is not None:
            low, high = f"{self.low:g}", f"{self.high:g}" if self.kind == "float" else str(self.high)
            return f"{noun} in {'(' if self.low_open else '['}{low}, {high}{')' if self.high_open else ']'}"
        if self.low is not None:
            return f"{noun} {'>' if self.low_open else '>='} {self.low:g}"
        return noun

    def normalized(self, value):
        """value (allowed) as the plain Python type the field holds."""
        return value if self.kind == "name" else int(value) if self.kind == "int" else float(value)


MAX_BATCH_SIZE = 1_000_000  # larger than any data set visnet trains on
MAX_EPOCHS = 1_000_000
MAX_SEED = 2**31 - 1  # the largest seed the window can show (a 32-bit spin box)
MIN_STEP_EPOCHS = 1e-3  # shorter steps only underflow the learning rate to 0

SETTINGS: dict[str, Setting] = {
    "eta": Setting("the learning rate (eta)", "float", 0, low_open=True),
    "momentum": Setting("momentum", "float", 0, 1, high_open=True),
    "lmbda": Setting("L2 (lmbda)", "float", 0),
    "batch_size": Setting("the batch size", "int", 1, MAX_BATCH_SIZE),
    "epochs": Setting("epochs", "int", 1, MAX_EPOCHS),
    "seed": Setting("the seed", "int", 0, MAX_SEED),
    "schedule": Setting("schedule", "name", names=SCHEDULES),
    "gamma": Setting("the schedule's gamma", "float", 0, 1, low_open=True),
    "step_epochs": Setting("the schedule's step_epochs", "float", MIN_STEP_EPOCHS),
    "rule": Setting("learning rule", "name", names=RULES),
}


@dataclass
class TrainConfig:
    """Hyperparameters. eta, momentum, lmbda and batch_size may change between steps.

    rule: "backprop" (gradient descent on the network's cost) or "perceptron" (the
    perceptron rule, for a single step neuron; see perceptron_rule). With the perceptron
    rule, eta, momentum and lmbda act on its update exactly as on a gradient; the classic
    rule is momentum 0, lmbda 0 and batch_size 1.
    """

    eta: float = 0.5
    momentum: float = 0.0
    lmbda: float = 0.0
    batch_size: int = 10
    epochs: int = 5
    seed: int = 0
    schedule: str = "constant"
    gamma: float = 0.5
    step_epochs: float = 1.0
    rule: str = "backprop"

    def validate(self) -> None:
        """Raise ValueError naming the first setting SETTINGS refuses."""
        for name, setting in SETTINGS.items():
            problem = setting.problem(getattr(self, name))
            if problem:
                raise ValueError(problem)

    def as_dict(self) -> dict:
        return asdict(self)


def config_from_stored(stored: object, fallback: TrainConfig) -> tuple[TrainConfig, list[str]]:
    """The TrainConfig that settings read from a file describe, and one warning per setting
    left out. stored is parsed JSON, so anything may be there: a setting it does not hold
    takes fallback's value, and so does one that SETTINGS refuses, with a warning naming
    it. Keys that are not settings are ignored (a newer visnet may add some). fallback
    must be valid (TrainConfig.validate)."""
    if stored is None:
        return replace(fallback), []
    if not isinstance(stored, Mapping):
        return replace(fallback), [f"training settings ignored: {reprlib.repr(stored)} is not a set of named values"]
    values, warnings = {}, []
    for name, setting in SETTINGS.items():
        if name not in stored:
            continue
        value = stored[name]
        if setting.problem(value) is None:
            values[name] = setting.normalized(value)
        else:
            warnings.append(
                f"training setting {name} ignored: {reprlib.repr(value)} is not {setting.requirement}; "
                f"using {getattr(fallback, name)!r}"
            )
    return replace(fallback, **values), warnings


@dataclass(frozen=True)
class Evaluation:
    """Loss, accuracy and confusion matrix (rows: true class, columns: predicted) on a split;
    the matrix is n_classes x n_classes (2 x 2 for one output neuron)."""

    loss: float
    accuracy: float
    confusion: np.ndarray
    n: int


@dataclass(frozen=True)
class EpochRecord:
    epoch: int  # 1-based number of the epoch just finished
    train_loss: float  # mean of this epoch's mini-batch losses
    test_loss: float
    test_accuracy: float


@dataclass(frozen=True)
class LayerStats:
    """Per weight layer: RMS of ∂C/∂W per weight, and ‖ΔW‖/‖W‖ of the last update; per
    neuron: ‖∂C/∂w_j‖ of its incoming weights (neuron_grad_norms[l], shape (n_out,))."""

    grad_rms: np.ndarray
    update_ratio: np.ndarray
    neuron_grad_norms: tuple[np.ndarray, ...] = ()


@dataclass(frozen=True)
class TrainerState:
    """Trainer.state(): plain arrays and values only, so it can be pickled to a process."""

    weights: tuple[np.ndarray, ...]
    biases: tuple[np.ndarray, ...]
    velocity_w: tuple[np.ndarray, ...]
    velocity_b: tuple[np.ndarray, ...]
    config: dict
    rng: Mapping[str, Any]  # the shuffling generator's bit_generator.state
    order: np.ndarray  # this epoch's order of the training examples
    steps: int
    samples_seen: int
    epochs_done: int
    position: int
    history: tuple[EpochRecord, ...]
    last_evaluation: Evaluation | None
    last_grads: tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...]] | None
    last_updates: tuple[np.ndarray, ...] | None
    epoch_loss: tuple[float, int]  # (sum of loss x examples, examples) so far this epoch
    checkpoint: tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...]]
    checkpoint_step: int
    schedule_origin: int = 0
    checkpoint_progress: tuple | None = None  # Trainer._counters() when the checkpoint was taken
    start_step: int = 0  # the step this run of training began at (Trainer.start_step)
    last_batch: np.ndarray | None = None  # training-set indices of the newest mini-batch trained
    health: Diagnosis | None = None


@dataclass(frozen=True)
class TrainingProgress:
    """Where a run stands: mini-batches trained, whole epochs finished, examples seen, and
    how far into the next epoch it had got (epoch_fraction, in [0, 1)).

    Handing one to Trainer(progress=...) continues the counting of a saved model: the next
    step is steps + 1, the x axis goes on from epochs_done + epoch_fraction, and the epoch
    in progress ends (as epochs_done + 1) after the rest of a fresh shuffle of the data.
    """

    steps: int = 0
    epochs_done: int = 0
    samples_seen: int = 0
    epoch_fraction: float = 0.0

    def __post_init__(self):
        for name in ("steps", "epochs_done", "samples_seen"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
                raise ValueError(f"{name} must be a whole number >= 0, got {value!r}")
            object.__setattr__(self, name, int(value))
        f = self.epoch_fraction
        if isinstance(f, bool) or not isinstance(f, (int, float, np.number)) or not 0 <= f < 1:
            raise ValueError(f"epoch_fraction must lie in [0, 1), got {f!r}")
        object.__setattr__(self, "epoch_fraction", float(f))


@dataclass
class StepResult:
    loss: float
    batch_size: int
    epoch_finished: bool


def _row_squares(a: np.ndarray) -> np.ndarray:
    """Each row's sum of squares, as float64 (see Trainer._layer_stats)."""
    sq = np.einsum("ij,ij->i", a, a).astype(np.float64)
    if not np.all(np.isfinite(sq)):
        a64 = a.astype(np.float64)
        sq = np.einsum("ij,ij->i", a64, a64)
    return sq


def _squares(a: np.ndarray) -> float:
    """The sum of squares of a's elements, as a float (float64 when float32 overflows)."""
    total = float(np.vdot(a, a))
    return total if math.isfinite(total) else float(np.vdot(a.astype(np.float64), a.astype(np.float64)))


def _copies(arrays) -> tuple[np.ndarray, ...]:
    return tuple(np.array(a) for a in arrays)


def evaluate(net: Network, x: np.ndarray, labels: np.ndarray, chunk: int = EVALUATION_CHUNK) -> Evaluation:
    """Cost, accuracy and confusion matrix of net on (x, labels), in chunks to bound memory.
    Predictions are targets.predict_classes's: argmax, or the threshold for one output."""
    k = n_classes(net.sizes[-1])
    confusion = np.zeros((k, k), dtype=np.int64)
    total = 0.0
    # On the training step's BLAS threads: OpenBLAS rounds differently on another number of
    # threads, and a run's test loss must be the same bits in every process that trains it.
    with step_threads():
        for start in range(0, len(x), chunk):
            xb, lb = x[start : start + chunk], labels[start : start + chunk]
            with np.errstate(over="ignore", invalid="ignore"):  # a diverging net reports NaN, not warnings
                a = net.forward(xb)
            total += net_cost(net, a, lb) * len(xb)
            np.add.at(confusion, (lb, predict_classes(net, a)), 1)
    n = len(x)
    accuracy = float(np.trace(confusion) / n) if n else 0.0
    confusion.setflags(write=False)
    return Evaluation(total / n if n else float("nan"), accuracy, confusion, n)


def net_cost(net: Network, a: np.ndarray, labels: np.ndarray) -> float:
    """net's mean cost for output activations a (batch, n_out) and integer labels (batch,)."""
    return cost_value(net.cost, a, targets_for(net, labels), net.layer_activations[-1])


def check_rule(net: Network, rule: str) -> None:
    """Raise ValueError unless `rule` can train net: backprop needs an output with a slope,
    the perceptron rule a single step neuron."""
    if rule not in RULES:
        raise ValueError(f"unknown learning rule {rule!r}; choose one of {', '.join(RULES)}")
    output = net.layer_activations[-1]
    if rule == "perceptron" and output.name != PERCEPTRON_OUTPUT:
        raise ValueError(
            f"the perceptron rule trains a single neuron with a step output, e.g. Network([{net.sizes[0]}, 1], "
            f"output='step', cost='quadratic'); this {'-'.join(map(str, net.sizes))} network with a "
            f"{output.name} output learns by rule='backprop'"
        )
    if rule == "backprop" and not output.differentiable:
        raise ValueError(
            f"a {output.name} output has no gradient, so backpropagation cannot train it: "
            f"use the perceptron rule, TrainConfig(rule='perceptron')"
        )


def perceptron_rule(net: Network, x: np.ndarray, y: np.ndarray) -> Backward:
    """The perceptron rule's step for the batch x (b, n_in), targets or labels y, written as
    the gradient that optim.sgd_update steps against, so the Trainer applies it like any other:

        ŷ = step(w·x + b) ∈ {0, 1}
        w ← w + η Σ_x (y − ŷ) x,   b ← b + η Σ_x (y − ŷ)     (summed, not averaged, over the batch)

    i.e. grad_w = Σ_x (ŷ − y) xᵀ and grad_b = Σ_x (ŷ − y). Only misclassified examples move
    the line: y − ŷ is +1 for a missed class 1, −1 for a false class 1, 0 when right. With
    batch size 1 this is Rosenblatt's online rule. It is the delta rule with the step's
    derivative taken as 1, and the gradient of the perceptron criterion Σ_mistakes |w·x + b|.
    It uses no backpropagation and converges on linearly separable data (the perceptron
    convergence theorem), after which every update is exactly zero.

    Returns a Backward with deltas[0] = ŷ − y per example (b, 1), those grad_w (1, n_in) and
    grad_b (1,), and cost = the network's cost before the update, the quadratic
    ½ mean (y − ŷ)², which for 0/1 outputs is HALF THE FRACTION MISCLASSIFIED in the batch:
    the same number training.evaluate reports as the loss of a split, so train and test
    losses compare.
    """
    check_rule(net, "perceptron")
    x = net._as_input(x)
    y = net._as_target(y, x.shape[0])
    y_hat = net.forward(x)
    delta = y_hat - y
    cost = cost_value(net.cost, y_hat, y, net.layer_activations[-1])
    return Backward([delta], [delta.T @ x], [delta.sum(axis=0)], cost)


class Trainer:
    """Mini-batch SGD over (x_train, y_train), evaluated on (x_test, y_test).

    x: (n, n_in) floats, y: (n,) integer class labels in 0..net.n_classes − 1 (0 and 1 for
    one output neuron; targets.py turns them into targets). step() trains on one
    mini-batch by config.rule; epochs run for ever (config.epochs is advice for the CLI and
    schedules). StepResult.loss is the network's cost on the batch before the update (for
    the perceptron, half the fraction of the batch it misclassified; see perceptron_rule),
    and last_gradients are what the update stepped against (for the perceptron its summed
    (ŷ − y) x, exactly zero once every example is right).

    progress continues the counters of a saved model (TrainingProgress: steps, epochs
    finished, samples seen), so snapshots and new epochs number on from it. Learning-rate
    schedules still count from this trainer's first epoch: a resumed run anneals over its
    own config.epochs, as it did before the counters were kept.
    """

    def __init__(
        self,
        net: Network,
        x_train,
        y_train,
        x_test=None,
        y_test=None,
        config: TrainConfig | None = None,
        *,
        progress: TrainingProgress | None = None,
    ):
        self.net = net
        self.config = config or TrainConfig()
        self.config.validate()
        check_rule(net, self.config.rule)
        self._rule = self.config.rule  # the rule check_rule last accepted for this network
        self._rng = np.random.default_rng(self.config.seed)
        self._set_arrays(x_train, y_train, x_test, y_test)
        progress = progress or TrainingProgress()
        self.steps = progress.steps
        # Where this run began (a saved model continues counting): the timeline records densely
        # from here, as it does from step 0 of a fresh network.
        self.start_step = progress.steps
        self.samples_seen = progress.samples_seen
        self.epochs_done = progress.epochs_done
        self.schedule_origin = progress.epochs_done  # epochs finished before this trainer's run
        # index of the next example in this epoch's order
        self.position = min(round(progress.epoch_fraction * self.n_train), self.n_train - 1)
        self.history: list[EpochRecord] = []
        self.last_evaluation: Evaluation | None = None
        self._velocity_w = [np.zeros_like(w) for w in net.weights]
        self._velocity_b = [np.zeros_like(b) for b in net.biases]
        self._buffers: dict[int, StepBuffers] = {}  # per batch size: the last batch of an epoch may be short
        self._update_w: list[np.ndarray] = []  # the update buffers, made with the parameters' shapes
        self._update_b: list[np.ndarray] = []
        self._update_shape: tuple = ()  # (sizes, dtype) the update buffers were made for
        self._last_grads: tuple[list[np.ndarray], list[np.ndarray]] | None = None
        self._last_updates: list[np.ndarray] | None = None
        self._epoch_loss_sum = 0.0
        self._epoch_loss_count = 0
        self.last_batch_indices = np.empty(0, np.intp)  # into x_train: the newest mini-batch trained
        self.health: Diagnosis | None = None  # the last health check (see health.diagnose)
        self._checkpoint = self._params_copy()
        self._checkpoint_step = self.steps
        self._checkpoint_progress = self._counters()
        self._shuffle()

    def _set_arrays(self, x_train, y_train, x_test, y_test) -> None:
        net = self.net
        dtype = net.dtype
        x_train = np.ascontiguousarray(x_train, dtype=dtype)
        y_train = np.asarray(y_train, dtype=np.int64)
        if x_train.ndim != 2 or x_train.shape[1] != net.sizes[0]:
            raise ValueError(f"training inputs must be (n, {net.sizes[0]}), got {x_train.shape}")
        if len(y_train) != len(x_train) or len(x_train) == 0:
            raise ValueError("need the same, non-zero number of training inputs and labels")
        if (x_test is None) != (y_test is None):
            raise ValueError("test inputs and test labels must be given together")
        if x_test is not None and y_test is not None and len(x_test) != len(y_test):
            raise ValueError("need the same number of test inputs and labels")
        k = n_classes(net.sizes[-1])
        for y in (y_train, y_test):
            if y is not None and len(y) and (np.min(y) < 0 or np.max(y) >= k):
                raise ValueError(
                    f"labels must lie in 0..{k - 1} for {net.sizes[-1]} output neuron{'s' if net.sizes[-1] > 1 else ''}"
                )
        self.x_train, self.y_train = x_train, y_train
        self.x_test = None if x_test is None else np.ascontiguousarray(x_test, dtype=dtype)
        self.y_test = None if y_test is None else np.asarray(y_test, dtype=np.int64)
        self._targets = targets_for(net, self.y_train)

    def set_data(self, x_train, y_train, x_test=None, y_test=None) -> None:
        """Train on new data from the next mini-batch on (the playground's drawn points),
        keeping the network, the optimizer's velocities and the progress counters. The rest
        of the current epoch is a fresh shuffle of the new training set."""
        self._set_arrays(x_train, y_train, x_test, y_test)
        self.position = min(self.position, self.n_train - 1)
        self.last_evaluation = None
        self._shuffle()

    # -- progress -----------------------------------------------------------------------
    @property
    def n_train(self) -> int:
        return len(self.x_train)

    @property
    def batches_per_epoch(self) -> int:
        return math.ceil(self.n_train / self.config.batch_size)

    @property
    def epoch_progress(self) -> float:
        """Training progress in fractional epochs (the loss curve's x axis)."""
        return self.epochs_done + self.position / self.n_train

    @property
    def progress(self) -> TrainingProgress:
        """The counters now, e.g. to save with the model and continue from later."""
        return TrainingProgress(self.steps, self.epochs_done, self.samples_seen, self.position / self.n_train)

    @property
    def eta(self) -> float:
        """The learning rate in force now, after the schedule."""
        c = self.config
        if c.schedule == "constant":
            return c.eta
        sched = Schedule(c.schedule, c.gamma, c.step_epochs, float(c.epochs))
        return c.eta * sched.factor((self.epochs_done - self.schedule_origin) + self.position / self.n_train)

    def _shuffle(self) -> None:
        self._use_order(self._rng.permutation(self.n_train))

    def _use_order(self, order: np.ndarray) -> None:
        self._order = order
        # Contiguous shuffled copies turn every mini-batch into a slice: no gather per step.
        self._x_epoch = self.x_train[order]
        self._y_epoch = self._targets[order]
        self._labels_epoch = self.y_train[order]

    # -- training -----------------------------------------------------------------------
    def next_batch(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The inputs (b, n_in), targets (b, n_out) and labels (b,) that the next step() will
        train on (targets as targets.targets_for makes them: one-hot, or a column for one output)."""
        stop = min(self.position + self.config.batch_size, self.n_train)
        sl = slice(self.position, stop)
        return self._x_epoch[sl], self._y_epoch[sl], self._labels_epoch[sl]

    def step(self) -> StepResult:
        """Train on one mini-batch. Raises DivergenceError (after restoring) on NaN/inf."""
        net, c = self.net, self.config
        start = self.position
        x, y, _ = self.next_batch()
        if c.rule != self._rule:  # changed between steps, like eta
            check_rule(net, c.rule)
            self._rule = c.rule
        # a diverging run is reported below
        with np.errstate(over="ignore", invalid="ignore"), step_threads():
            if c.rule == "perceptron":
                back = perceptron_rule(net, x, y)
            else:
                buffers = self._step_buffers(len(x))
                back = net._backward(net._forward_cache(x, buffers), y, len(x), buffers)
            if not math.isfinite(back.cost):
                self._diverged(f"the loss became {back.cost}")
            eta = self.eta
            update_w, update_b = self._update_buffers()
            updates = []
            for l in range(net.n_layers):
                updates.append(
                    sgd_update(
                        net.weights[l], back.grad_w[l], self._velocity_w[l], eta, c.momentum, c.lmbda, update_w[l]
                    )
                )
                sgd_update(net.biases[l], back.grad_b[l], self._velocity_b[l], eta, c.momentum, 0.0, update_b[l])
        self._last_grads = (back.grad_w, back.grad_b)
        self._last_updates = updates
        n = len(x)
        self.last_batch_indices = self._order[start : start + n]
        self.steps += 1
        self.samples_seen += n
        self.position += n
        self._epoch_loss_sum += back.cost * n
        self._epoch_loss_count += n
        if self.steps - self._checkpoint_step >= CHECKPOINT_EVERY:
            self._take_checkpoint()
        finished = self.position >= self.n_train
        if finished:
            self._finish_epoch()
        return StepResult(back.cost, n, finished)

    def _step_buffers(self, n: int) -> StepBuffers:
        """The preallocated arrays of a step of n examples: the step allocates none of its own."""
        net = self.net
        buffers = self._buffers.get(n)
        if buffers is None or not buffers.fits(net.sizes, n, net.dtype):
            if len(self._buffers) >= 4:  # batch sizes changed: keep memory bounded
                self._buffers.clear()
            buffers = self._buffers[n] = StepBuffers(net.sizes, n, net.dtype)
        return buffers

    def _update_buffers(self) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Arrays shaped like the parameters that each step's updates are written into."""
        net = self.net
        if self._update_shape != (net.sizes, net.dtype):
            self._update_w = [np.empty_like(w) for w in net.weights]
            self._update_b = [np.empty_like(b) for b in net.biases]
            self._update_shape = (net.sizes, net.dtype)
        return self._update_w, self._update_b

    def run_epoch(self) -> EpochRecord:
        """Train until the current epoch ends; returns its record."""
        with step_threads():  # once for the epoch, not per step
            while not self.step().epoch_finished:
                pass
        return self.history[-1]

    def iter_steps(self) -> Iterator[StepResult]:
        while True:
            yield self.step()

    def _finish_epoch(self) -> None:
        if not self._params_finite():
            self._diverged("the parameters became NaN or infinite")
        train_loss = self._epoch_loss_sum / max(self._epoch_loss_count, 1)
        self.epochs_done += 1
        self.position = 0
        self._epoch_loss_sum, self._epoch_loss_count = 0.0, 0
        ev = self.evaluate()
        test_loss, test_acc = (ev.loss, ev.accuracy) if ev else (float("nan"), float("nan"))
        self.history.append(EpochRecord(self.epochs_done, train_loss, test_loss, test_acc))
        self._take_checkpoint()
        self._shuffle()

    def evaluate(self) -> Evaluation | None:
        """Evaluate on the test split (None without one) and remember the result, with a
        health check of the network (see check_health)."""
        self.check_health()
        if self.x_test is None or self.y_test is None:  # _set_arrays keeps both or neither
            return None
        self.last_evaluation = evaluate(self.net, self.x_test, self.y_test)
        return self.last_evaluation

    def check_health(self) -> Diagnosis | None:
        """Look for saturated or dead hidden layers on the first HEALTH_INPUTS test inputs
        (training inputs without a test split); remember and return the finding."""
        x = self.x_test if self.x_test is not None and len(self.x_test) else self.x_train
        self.health = diagnose(self.net, x[:HEALTH_INPUTS])
        return self.health

    # -- statistics ---------------------------------------------------------------------
    def layer_stats(self) -> LayerStats | None:
        """Gradient RMS and update/weight ratio per layer for the last step (None before one)."""
        if self._last_grads is None or self._last_updates is None:  # a step sets both
            return None
        grad_w, _ = self._last_grads
        with np.errstate(over="ignore", invalid="ignore"):  # a diverging run may hold huge values
            return self._layer_stats(grad_w, self._last_updates)

    def _layer_stats(self, grad_w: list[np.ndarray], updates: list[np.ndarray]) -> LayerStats:
        # Every recorded moment takes these, so they are kept to one pass per array: each
        # neuron's sum of squares in the gradient's own dtype (float32 sums of a few hundred
        # terms are good to ~1e-7, plenty for a statistic), again in float64 only when float32
        # overflowed (a run about to diverge); the layer's RMS from their total.
        squares = [_row_squares(g) for g in grad_w]
        rms = np.sqrt(np.array([sq.sum() / max(g.size, 1) for sq, g in zip(squares, grad_w)]))
        ratio = np.array([np.sqrt(_squares(u) / max(_squares(w), 1e-24)) for u, w in zip(updates, self.net.weights)])
        return LayerStats(rms, ratio, tuple(np.sqrt(sq) for sq in squares))

    @property
    def velocities(self) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """The momentum buffers (velocity_w, velocity_b) the next step will use (live arrays)."""
        return self._velocity_w, self._velocity_b

    @property
    def last_gradients(self) -> tuple[list[np.ndarray], list[np.ndarray]] | None:
        return self._last_grads

    # -- handing the training over to another copy ---------------------------------------
    def state(self) -> TrainerState:
        """A copy of everything that decides the next steps: parameters, optimiser, shuffling
        and progress. Another Trainer over the same data continues bit-identically after
        load_state(); this is how training moves to a separate process and back."""
        copies = _copies
        grads = self._last_grads
        return TrainerState(
            weights=copies(self.net.weights),
            biases=copies(self.net.biases),
            velocity_w=copies(self._velocity_w),
            velocity_b=copies(self._velocity_b),
            config=self.config.as_dict(),
            rng=self._rng.bit_generator.state,
            order=self._order.copy(),
            steps=self.steps,
            samples_seen=self.samples_seen,
            epochs_done=self.epochs_done,
            position=self.position,
            history=tuple(self.history),
            last_evaluation=self.last_evaluation,
            last_grads=None if grads is None else (copies(grads[0]), copies(grads[1])),
            last_updates=None if self._last_updates is None else copies(self._last_updates),
            epoch_loss=(self._epoch_loss_sum, self._epoch_loss_count),
            checkpoint=(copies(self._checkpoint[0]), copies(self._checkpoint[1])),
            checkpoint_step=self._checkpoint_step,
            schedule_origin=self.schedule_origin,
            checkpoint_progress=self._checkpoint_progress,
            start_step=self.start_step,
            last_batch=self.last_batch_indices.copy(),
            health=self.health,
        )

    def load_state(self, state: TrainerState) -> None:
        """Continue from state (taken from a Trainer of the same network shape and data).
        Parameters are written into the existing arrays, so references to them stay valid."""
        shapes = [w.shape for w in self.net.weights]
        if [w.shape for w in state.weights] != shapes or len(state.order) != self.n_train:
            raise ValueError("the state belongs to a different network or data set")
        config = TrainConfig(**state.config)
        config.validate()
        check_rule(self.net, config.rule)
        for l in range(self.net.n_layers):
            self.net.weights[l][...] = state.weights[l]
            self.net.biases[l][...] = state.biases[l]
            self._velocity_w[l][...] = state.velocity_w[l]
            self._velocity_b[l][...] = state.velocity_b[l]
        for name, value in config.as_dict().items():  # keep the object: others hold on to it
            setattr(self.config, name, value)
        self._rule = config.rule
        self._rng.bit_generator.state = state.rng
        if not np.array_equal(state.order, self._order):
            self._use_order(np.array(state.order))
        self.steps, self.samples_seen = state.steps, state.samples_seen
        self.epochs_done, self.position = state.epochs_done, state.position
        self.history = list(state.history)
        self.last_evaluation = state.last_evaluation
        grads = state.last_grads
        self._last_grads = None if grads is None else (list(grads[0]), list(grads[1]))
        self._last_updates = None if state.last_updates is None else list(state.last_updates)
        self._epoch_loss_sum, self._epoch_loss_count = state.epoch_loss
        self._checkpoint = (list(state.checkpoint[0]), list(state.checkpoint[1]))
        self._checkpoint_step = state.checkpoint_step
        self.schedule_origin = state.schedule_origin
        self._checkpoint_progress = state.checkpoint_progress or self._counters()
        self.start_step = state.start_step
        self.last_batch_indices = np.empty(0, np.intp) if state.last_batch is None else state.last_batch
        self.health = state.health

    # -- divergence ---------------------------------------------------------------------
    def _params_copy(self) -> tuple[list[np.ndarray], list[np.ndarray]]:
        return [w.copy() for w in self.net.weights], [b.copy() for b in self.net.biases]

    def _params_finite(self) -> bool:
        return all(np.isfinite(w).all() and np.isfinite(b).all() for w, b in zip(self.net.weights, self.net.biases))

    def _counters(self) -> tuple:
        """The counters that go back with the parameters when a divergence restores them."""
        return (
            self.steps,
            self.samples_seen,
            self.epochs_done,
            self.position,
            self._epoch_loss_sum,
            self._epoch_loss_count,
        )

    def _take_checkpoint(self) -> None:
        if self._params_finite():
            self._checkpoint = self._params_copy()
            self._checkpoint_step = self.steps
            self._checkpoint_progress = self._counters()

    def _diverged(self, what: str) -> None:
        """Go back to the checkpoint, counters included, so the step every snapshot shows
        from now on is the step whose parameters these are; then raise DivergenceError."""
        failed_step, failed_epoch = self.steps + 1, self.epoch_progress
        weights, biases = self._checkpoint
        for l in range(self.net.n_layers):
            self.net.weights[l][...] = weights[l]
            self.net.biases[l][...] = biases[l]
            self._velocity_w[l][...] = 0
            self._velocity_b[l][...] = 0
        steps, samples, epochs, position, loss_sum, loss_count = self._checkpoint_progress
        self.steps, self.samples_seen = steps, samples
        # The checkpoint is taken at every epoch's end, so it lies in this epoch and its
        # position indexes this epoch's order; the clamp covers data replaced by set_data.
        self.epochs_done, self.position = epochs, min(position, self.n_train - 1)
        del self.history[epochs:]
        self._epoch_loss_sum, self._epoch_loss_count = loss_sum, loss_count
        self.last_batch_indices = np.empty(0, np.intp)
        raise DivergenceError(
            f"Training diverged at step {failed_step} (epoch {failed_epoch:.2f}): {what}. "
            f"Went back to step {steps} (epoch {self.epoch_progress:.2f}), the last one whose parameters "
            f"were good, and restored them. Try a smaller learning rate than {self.config.eta:g}."
        )

    def go_back(self, weights, biases, progress: TrainingProgress) -> None:
        """Continue from earlier parameters and counters (a moment of the run's timeline: a
        branch). The optimiser's velocities are zeroed, epoch records after progress go, and
        the epoch in progress goes on with a fresh shuffle (the order it had is not recorded)."""
        shapes = [w.shape for w in self.net.weights], [b.shape for b in self.net.biases]
        if ([np.shape(w) for w in weights], [np.shape(b) for b in biases]) != shapes:
            raise ValueError("the parameters belong to a different network")
        for l in range(self.net.n_layers):
            self.net.weights[l][...] = weights[l]
            self.net.biases[l][...] = biases[l]
        self.steps, self.samples_seen, self.epochs_done = progress.steps, progress.samples_seen, progress.epochs_done
        self.start_step = progress.steps
        self.position = min(round(progress.epoch_fraction * self.n_train), self.n_train - 1)
        del self.history[progress.epochs_done :]
        self.last_evaluation = None  # the next epoch's end evaluates again
        self._last_grads = self._last_updates = None
        self._epoch_loss_sum, self._epoch_loss_count = 0.0, 0
        self.last_batch_indices = np.empty(0, np.intp)
        self._shuffle()
        self.reset_optimizer()

    def reset_optimizer(self) -> None:
        """Forget momentum, e.g. after the user edited the parameters by hand."""
        for v in self._velocity_w + self._velocity_b:
            v[...] = 0
        self._take_checkpoint()
