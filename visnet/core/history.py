"""A run's training history: the curves the loss and gradient panels draw, and the counters.

TrainingHistory is what a model file keeps of how it was trained, so that a model opened
later shows its learning curve and continues counting steps and epochs:

    batch_x (n,), batch_loss (n,)          every mini-batch's loss, x in fractional epochs
    epoch (e,) int64, train_loss (e,),     one record per finished epoch (1-based numbers);
    test_loss (e,), test_accuracy (e,)     test values are NaN when there was no test split
    stats_x (m,), grad_rms (m, L),         per weight layer l: RMS of ∂C/∂W and ‖ΔW‖/‖W‖ of
    update_ratio (m, L)                    the last update, sampled as training goes
    steps, epochs_done, samples_seen       the trainer's counters (TrainingProgress)

HistoryRecorder builds one as training goes, from snapshots or straight from a trainer.
Its memory is bounded: each series is a BoundedSeries of at most max_points (20,000)
points, the newest quarter of them exactly as recorded and the older ones merged into
means of ever more mini-batches each (epoch records: the newest of each bucket), so a
day-long run keeps its whole curve, and every batch of the last few thousand, in a fixed
amount of memory.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .snapshot import Snapshot
from .training import EpochRecord, LayerStats, StepResult, Trainer, TrainingProgress

MAX_POINTS = 20_000  # points per series a recorder keeps (see the module docstring)
SAVE_POINTS = 4_000  # points per series thinned() keeps for a model file
STATS_EVERY = 25  # steps between layer statistics when recording straight from a trainer

SERIES = ("batch_x", "batch_loss", "epoch", "train_loss", "test_loss", "test_accuracy", "stats_x")
LAYER_SERIES = ("grad_rms", "update_ratio")
ARRAYS = SERIES + LAYER_SERIES
DTYPES = {name: np.dtype(np.int64) if name == "epoch" else np.dtype(np.float64) for name in ARRAYS}


def _read_only(a, dtype: np.dtype, shape_tail: tuple[int, ...] = ()) -> np.ndarray:
    a = np.array(a, dtype=dtype, copy=True).reshape((-1, *shape_tail))
    a.setflags(write=False)
    return a


def _empty(dtype=np.float64, shape_tail: tuple[int, ...] = ()) -> np.ndarray:
    return _read_only(np.empty((0, *shape_tail)), np.dtype(dtype), shape_tail)


# The default of grad_rms and update_ratio, whose empty shape (0, n_layers) depends on
# n_layers; __post_init__ recognises this very object and replaces it.
_NO_LAYER_SAMPLES = np.empty((0, 0))
_NO_LAYER_SAMPLES.setflags(write=False)


@dataclass(frozen=True)
class TrainingHistory:
    """The curves and counters of a training run; every array is a read-only float64 copy
    (epoch: int64). Construction checks everything and raises ValueError with one line
    saying what is wrong, so a history read from a file is either valid or refused.

    n_layers: L, the network's weight layers (columns of grad_rms and update_ratio).
    """

    n_layers: int
    batch_x: np.ndarray = field(default_factory=_empty)
    batch_loss: np.ndarray = field(default_factory=_empty)
    epoch: np.ndarray = field(default_factory=lambda: _empty(np.int64))
    train_loss: np.ndarray = field(default_factory=_empty)
    test_loss: np.ndarray = field(default_factory=_empty)
    test_accuracy: np.ndarray = field(default_factory=_empty)
    stats_x: np.ndarray = field(default_factory=_empty)
    grad_rms: np.ndarray = field(default_factory=lambda: _NO_LAYER_SAMPLES)  # or None: (0, n_layers)
    update_ratio: np.ndarray = field(default_factory=lambda: _NO_LAYER_SAMPLES)
    steps: int = 0
    epochs_done: int = 0
    samples_seen: int = 0

    def __post_init__(self):
        if isinstance(self.n_layers, bool) or not isinstance(self.n_layers, (int, np.integer)) or self.n_layers < 1:
            raise ValueError(f"n_layers must be a whole number >= 1, got {self.n_layers!r}")
        L = int(self.n_layers)
        object.__setattr__(self, "n_layers", L)
        TrainingProgress(self.steps, self.epochs_done, self.samples_seen)  # checks the counters
        for name in ("steps", "epochs_done", "samples_seen"):
            object.__setattr__(self, name, int(getattr(self, name)))
        for name in ARRAYS:
            value = getattr(self, name)
            tail = (L,) if name in LAYER_SERIES else ()
            if value is None or value is _NO_LAYER_SAMPLES:
                value = np.empty((0, *tail))
            a = np.asarray(value)
            if a.ndim != 1 + len(tail) or a.shape[1:] != tail:
                want = "(n,)" if not tail else f"(n, {L})"
                raise ValueError(f"{name} has shape {a.shape}, expected {want}")
            if not (np.issubdtype(a.dtype, np.floating) or np.issubdtype(a.dtype, np.integer)) or a.dtype == bool:
                raise ValueError(f"{name} holds {a.dtype} values, not numbers")
            if name == "epoch" and not np.issubdtype(a.dtype, np.integer):
                if not np.all(np.isfinite(a)) or np.any(a != np.round(a)):
                    raise ValueError("epoch numbers must be whole numbers")
            object.__setattr__(self, name, _read_only(a, DTYPES[name], tail))
        self._check()

    def _check(self) -> None:
        n, e, m = len(self.batch_x), len(self.epoch), len(self.stats_x)
        pairs = {"batch_loss": n, "train_loss": e, "test_loss": e, "test_accuracy": e, "grad_rms": m, "update_ratio": m}
        for name, length in pairs.items():
            if len(getattr(self, name)) != length:
                x = {n: "batch_x", e: "epoch", m: "stats_x"}[length]
                raise ValueError(f"{name} has {len(getattr(self, name))} values but {x} has {length}")
        for name in ("batch_x", "batch_loss", "train_loss", "stats_x", "grad_rms", "update_ratio"):
            if not np.all(np.isfinite(getattr(self, name))):
                raise ValueError(f"{name} contains NaN or infinite values")
        for name in ("batch_x", "stats_x"):
            x = getattr(self, name)
            if len(x) and (x[0] < 0 or np.any(np.diff(x) < 0)):
                raise ValueError(f"{name} must be >= 0 and never decrease (epochs)")
        if np.any(self.grad_rms < 0) or np.any(self.update_ratio < 0):
            raise ValueError("grad_rms and update_ratio must be >= 0")
        if e:
            if self.epoch[0] < 1 or np.any(np.diff(self.epoch) <= 0):
                raise ValueError("epoch numbers must start at 1 or later and increase")
            if self.epoch[-1] > self.epochs_done:
                raise ValueError(f"an epoch record numbered {self.epoch[-1]} but only {self.epochs_done} epochs done")
        no_test = np.isnan(self.test_loss)
        if not np.array_equal(no_test, np.isnan(self.test_accuracy)):
            raise ValueError("test_loss and test_accuracy must be NaN together (no test split)")
        if np.any(np.isinf(self.test_loss)) or np.any(np.isinf(self.test_accuracy)):
            raise ValueError("test_loss or test_accuracy contains infinite values")
        acc = self.test_accuracy[~no_test]
        if np.any((acc < 0) | (acc > 1)):
            raise ValueError("test_accuracy must lie between 0 and 1")
        if n > self.steps:
            raise ValueError(f"{n} mini-batch losses but only {self.steps} steps")

    # -- reading ------------------------------------------------------------------------
    @property
    def progress(self) -> TrainingProgress:
        """The counters, for Trainer(progress=...); epoch_fraction is how far the last point
        got into the epoch after epochs_done, so the curves go on from there."""
        last_x = max([float(x[-1]) for x in (self.batch_x, self.stats_x) if len(x)], default=0.0)
        fraction = last_x - self.epochs_done
        return TrainingProgress(self.steps, self.epochs_done, self.samples_seen, min(max(fraction, 0.0), 0.999999))

    @property
    def epochs(self) -> tuple[EpochRecord, ...]:
        """The epoch records as training.EpochRecord, oldest first."""
        return tuple(
            EpochRecord(int(k), float(tr), float(te), float(acc))
            for k, tr, te, acc in zip(self.epoch, self.train_loss, self.test_loss, self.test_accuracy)
        )

    @property
    def last_test_accuracy(self) -> float | None:
        """The newest finite test accuracy (0..1), or None."""
        acc = self.test_accuracy[np.isfinite(self.test_accuracy)]
        return float(acc[-1]) if acc.size else None

    def is_empty(self) -> bool:
        return not (len(self.batch_x) or len(self.epoch) or len(self.stats_x) or self.steps)

    def summary(self) -> str:
        """One line, e.g. '10 epochs, 8,000 steps, 80,000 samples, last test accuracy 92.35%'."""
        parts = [
            f"{self.epochs_done:,} epoch{'s' if self.epochs_done != 1 else ''}",
            f"{self.steps:,} step{'s' if self.steps != 1 else ''}",
            f"{self.samples_seen:,} samples",
        ]
        acc = self.last_test_accuracy
        if acc is not None:
            parts.append(f"last test accuracy {100 * acc:.2f}%")
        return ", ".join(parts)

    def arrays(self) -> dict[str, np.ndarray]:
        """Every series by name (read-only arrays), e.g. for a file."""
        return {name: getattr(self, name) for name in ARRAYS}

    # -- thinning -------------------------------------------------------------------------
    def thinned(self, max_points: int = SAVE_POINTS) -> TrainingHistory:
        """A copy with at most max_points points per series; the first and last points of
        each series are kept as they are. The points between are merged in groups of
        consecutive points into their means (each point counting once), as a
        BoundedSeries merges them; epoch records are an even sample of whole records.
        Counters are unchanged."""
        batch_x, batch_loss = _means(self.batch_x, self.batch_loss, max_points)
        stats_x, stats = _means(self.stats_x, np.stack([self.grad_rms, self.update_ratio], axis=1), max_points)
        epochs = _even(len(self.epoch), max_points)
        return TrainingHistory(
            self.n_layers,
            batch_x,
            batch_loss,
            self.epoch[epochs],
            self.train_loss[epochs],
            self.test_loss[epochs],
            self.test_accuracy[epochs],
            stats_x,
            stats[:, 0],
            stats[:, 1],
            self.steps,
            self.epochs_done,
            self.samples_seen,
        )


def _means(x: np.ndarray, y: np.ndarray, max_points: int) -> tuple[np.ndarray, np.ndarray]:
    """x, y merged into at most max_points means of consecutive points (see thinned)."""
    starts = _even_groups(len(x), max_points)
    if starts is None:
        return x, y
    merged_x, merged_y, _ = merge_groups(x, y, np.ones(len(x)), starts)
    return merged_x, merged_y


def _even(n: int, max_points: int) -> np.ndarray | slice:
    """Indices of at most max_points of n points, evenly spread, first and last included."""
    if n <= max_points:
        return slice(None)
    return np.unique(np.round(np.linspace(0, n - 1, max(max_points, 2))).astype(np.int64))


def _even_groups(n: int, max_points: int) -> np.ndarray | None:
    """Starts of max_points groups of consecutive points out of n (None if n fits): the
    first and the last point alone, the rest in groups of nearly equal length."""
    if n <= max_points:
        return None
    inner = np.round(np.linspace(1, n - 1, max(max_points, 3) - 1)).astype(np.int64)
    return np.concatenate([[0], inner])


def merge_groups(
    x: np.ndarray, y: np.ndarray, weight: np.ndarray, starts: np.ndarray, merge: str = "mean"
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each group of consecutive points (group i runs from starts[i] to the next start) as
    one point standing for the sum of their weights.

    merge "mean": x and y are weighted means; NaN values of y are left out (NaN only where
    a whole group is NaN). merge "last": the group's newest point as it is.
    x: (n,), y: (n, ...), weight: (n,) how many original points each point stands for.
    """
    ends = np.append(starts[1:], len(x)) - 1
    total = np.add.reduceat(weight, starts)
    if merge == "last":
        return x[ends], y[ends], total
    mean_x = np.add.reduceat(weight * x, starts) / total
    mean_x = np.clip(mean_x, x[starts], x[ends])  # rounding never moves a point past its neighbours
    w = weight.reshape((-1,) + (1,) * (y.ndim - 1))
    finite = np.isfinite(y)
    with np.errstate(invalid="ignore"):
        mean_y = np.add.reduceat(np.where(finite, w * y, 0.0), starts) / np.add.reduceat(
            np.where(finite, w, 0.0), starts
        )
    return mean_x, mean_y, total


class BoundedSeries:
    """A growing series, x (n,) and y (n, *tail), kept within max_points points however
    long the run: the first point and the newest quarter of max_points exactly as added,
    everything between merged into buckets of `stride` consecutive points. When the
    series is full the buckets take in the points that left the newest quarter, and the
    stride doubles until the buckets use at most half of the places the newest quarter
    leaves: merging is one pass over the series after thousands of new points, and memory
    never grows.

    merge "mean" (curves): a bucket is the weighted mean of its points. A mean of mini-batch
    losses is the loss over all their samples, what one larger batch would report, so the
    trend of an old stretch is drawn as it was. Its minimum and maximum would keep the
    spread instead, but the spread of k batches widens with k, and old stretches would look
    noisier than they were. merge "last" (records such as finished epochs): a bucket is its
    newest point, a real record with its whole-number x.

    x and y are views of the arrays points are added to. Merging writes new arrays, so a
    view taken before (e.g. by a plot) keeps its values.
    """

    MIN_POINTS = 8

    def __init__(
        self, tail: tuple[int, ...] = (), max_points: int = MAX_POINTS, merge: str = "mean", x_dtype=np.float64
    ):
        if max_points < self.MIN_POINTS:
            raise ValueError(f"max_points must be at least {self.MIN_POINTS}, got {max_points}")
        if merge not in ("mean", "last"):
            raise ValueError(f"merge must be 'mean' or 'last', got {merge!r}")
        self.tail = tuple(tail)
        self.max_points = int(max_points)
        self.merge = merge
        self.recent = self.max_points // 4  # the newest points, kept exactly
        self._x_dtype = np.dtype(x_dtype)
        self.clear()

    def clear(self) -> None:
        self.n = 0
        self.stride = 1.0  # original points per bucket
        self._x, self._y, self._weight = self._allocate()

    def _allocate(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        capacity = self.max_points
        return (
            np.empty(capacity, self._x_dtype),
            np.empty((capacity, *self.tail), np.float64),
            np.ones(capacity, np.float64),  # points to come stand for one each unless told
        )

    @property
    def x(self) -> np.ndarray:
        return self._x[: self.n]

    @property
    def y(self) -> np.ndarray:
        return self._y[: self.n]

    @property
    def weight(self) -> np.ndarray:
        """How many points added each point held stands for."""
        return self._weight[: self.n]

    @property
    def last_x(self) -> float:
        return float(self._x[self.n - 1]) if self.n else -math.inf

    def append_one(self, x, y) -> None:
        """One point: y has shape tail. As append(), without its per-call overhead."""
        if self.n == self.max_points:
            self._fill_buckets()
        self._x[self.n], self._y[self.n] = x, y
        self.n += 1

    def append(self, x, y, weight: float = 1.0) -> None:
        """Points x (k,), y (k, *tail), each standing for `weight` original points."""
        x = np.asarray(x, dtype=self._x_dtype).reshape(-1)
        y = np.asarray(y, dtype=np.float64).reshape((len(x), *self.tail))
        done = 0
        while done < len(x):
            if self.n == self.max_points:
                self._fill_buckets()
            k = min(len(x) - done, self.max_points - self.n)
            end = self.n + k
            self._x[self.n : end], self._y[self.n : end] = x[done : done + k], y[done : done + k]
            self._weight[self.n : end] = weight
            self.n, done = end, done + k

    def truncate_after(self, x: float) -> None:
        """Drop the points whose x is beyond `x` (x never decreases along the series)."""
        n = int(np.searchsorted(self.x, x, side="right"))
        self._weight[n : self.n] = 1.0  # as append_one expects of the free places
        self.n = n

    def _fill_buckets(self) -> None:
        old = slice(1, self.n - self.recent)  # between the first point and the newest ones
        x, y, weight = self._x[old], self._y[old], self._weight[old]
        before = np.cumsum(weight) - weight  # original points before each, in this stretch
        room = (self.max_points - self.recent) // 2 - 1
        while True:
            bucket = np.floor(before / self.stride)
            starts = np.flatnonzero(np.append(True, bucket[1:] != bucket[:-1]))
            if len(starts) <= room:
                break
            self.stride *= 2
        merged = merge_groups(x, y, weight, starts, self.merge)
        m = len(starts)
        arrays = self._allocate()
        for new, current, middle in zip(arrays, (self._x, self._y, self._weight), merged):
            new[0] = current[0]
            new[1 : 1 + m] = middle
            new[1 + m : 1 + m + self.recent] = current[self.n - self.recent : self.n]
        self._x, self._y, self._weight = arrays
        self.n = 1 + m + self.recent


class HistoryRecorder:
    """Collects a TrainingHistory as training goes (not thread-safe: one owner).

    start: a history to continue (e.g. the opened model's); its counters are the starting
    counters. Points whose values are not finite (a diverging batch) are skipped; a point
    whose x would fall back (the playground's data changed mid-epoch) is kept at the
    previous x, so the x values never decrease.
    """

    def __init__(self, n_layers: int, start: TrainingHistory | None = None, max_points: int = MAX_POINTS):
        if start is not None and start.n_layers != n_layers:
            raise ValueError(f"the history has {start.n_layers} layers, the network {n_layers}")
        self.n_layers = int(n_layers)
        self.max_points = max_points
        self._start = start or TrainingHistory(n_layers)
        self.clear(self._start)

    def clear(self, start: TrainingHistory | None = None) -> None:
        """Start over, from start (default: nothing)."""
        h = start or TrainingHistory(self.n_layers)
        self._batches = BoundedSeries((), self.max_points)
        # A saved point may be the mean of many mini-batches: on average, steps / points.
        self._batches.append(h.batch_x, h.batch_loss, weight=max(1.0, h.steps / max(len(h.batch_x), 1)))
        self._epochs = BoundedSeries((3,), self.max_points, merge="last", x_dtype=np.int64)
        self._epochs.append(h.epoch, np.column_stack([h.train_loss, h.test_loss, h.test_accuracy]))
        self._stats = BoundedSeries((2, self.n_layers), self.max_points)
        self._stats.append(h.stats_x, np.stack([h.grad_rms, h.update_ratio], axis=1))
        self.steps, self.epochs_done, self.samples_seen = h.steps, h.epochs_done, h.samples_seen

    # -- adding ---------------------------------------------------------------------------
    def add_batch(self, x: float, loss: float) -> None:
        """One mini-batch's loss at x (fractional epochs)."""
        if math.isfinite(x) and math.isfinite(loss):
            self._batches.append_one(max(float(x), self._batches.last_x, 0.0), float(loss))

    def add_batches(self, x, loss) -> None:
        x = np.asarray(x, dtype=np.float64).ravel()
        loss = np.asarray(loss, dtype=np.float64).ravel()
        keep = np.isfinite(x) & np.isfinite(loss)
        x, loss = x[keep], loss[keep]
        if len(x):
            x = np.maximum.accumulate(np.maximum(x, max(self._batches.last_x, 0.0)))
            self._batches.append(x, loss)

    def add_epochs(self, records) -> None:
        """training.EpochRecords; a record not numbered after the last one is skipped."""
        for r in records:
            last = int(self._epochs.last_x) if self._epochs.n else None
            test_loss, test_acc = float(r.test_loss), float(r.test_accuracy)
            if not (math.isfinite(test_loss) and math.isfinite(test_acc)):
                test_loss = test_acc = math.nan
            if (last is not None and r.epoch <= last) or r.epoch < 1 or not math.isfinite(r.train_loss):
                continue
            self._epochs.append_one(int(r.epoch), (float(r.train_loss), test_loss, test_acc))
            self.epochs_done = max(self.epochs_done, int(r.epoch))

    def add_layer_stats(self, x: float, stats: LayerStats) -> None:
        grad = np.asarray(stats.grad_rms, dtype=np.float64)
        ratio = np.asarray(stats.update_ratio, dtype=np.float64)
        if grad.shape != (self.n_layers,) or ratio.shape != (self.n_layers,):
            raise ValueError(f"layer stats for {grad.shape} layers, the history has {self.n_layers}")
        if not (math.isfinite(x) and np.all(np.isfinite(grad)) and np.all(np.isfinite(ratio))):
            return
        self._stats.append_one(max(float(x), self._stats.last_x, 0.0), np.stack([grad, ratio]))

    def add_step(self, trainer: Trainer, result: StepResult) -> None:
        """What trainer.step() just did (for training without snapshots: the CLI, tools):
        its loss, the finished epoch if any, layer statistics every STATS_EVERY steps, and
        the counters."""
        self.add_batch(trainer.epoch_progress, result.loss)
        if trainer.steps % STATS_EVERY == 0:
            stats = trainer.layer_stats()
            if stats is not None:
                self.add_layer_stats(trainer.epoch_progress, stats)
        if result.epoch_finished:
            self.add_epochs(trainer.history[-1:])
        self.set_progress(trainer.progress)

    def set_progress(self, progress: TrainingProgress) -> None:
        self.steps, self.epochs_done, self.samples_seen = progress.steps, progress.epochs_done, progress.samples_seen

    def add_snapshot(self, snap: Snapshot) -> None:
        """Everything new in snap: its mini-batch losses, finished epochs, layer stats and
        counters. A snapshot seen before adds nothing; one from an earlier step than the
        last (a divergence undone, a new run) cuts the history back to where that snapshot's
        batches begin, as the panels cut their curves, and goes on from there."""
        if snap.step < self.steps:
            start = float(snap.batch_epochs[0]) if len(snap.batch_epochs) else snap.epoch_progress
            self._cut_before(start)
            self.steps = snap.step - len(snap.batch_losses)
        if snap.step <= self.steps and self.steps:
            return
        self.add_batches(snap.batch_epochs, snap.batch_losses)
        self.add_epochs(snap.new_epochs)
        if snap.layer_stats is not None:
            self.add_layer_stats(snap.epoch_progress, snap.layer_stats)
        self.set_progress(TrainingProgress(snap.step, snap.epochs_done, snap.samples_seen))

    def _cut_before(self, x: float) -> None:
        """Drop the points at x or later: the mini-batches and statistics from x on, and the
        epochs that had not finished by x."""
        just_before = float(np.nextafter(x, -np.inf))
        self._batches.truncate_after(just_before)
        self._stats.truncate_after(just_before)
        self._epochs.truncate_after(math.floor(x))
        self.epochs_done = min(self.epochs_done, math.floor(x))

    # -- reading ------------------------------------------------------------------------
    def history(self) -> TrainingHistory:
        """The history so far (a frozen copy)."""
        epochs, stats = self._epochs.y, self._stats.y
        steps = max(self.steps, len(self._batches.x))
        epochs_done = max(self.epochs_done, int(self._epochs.last_x) if self._epochs.n else 0)
        return TrainingHistory(
            self.n_layers,
            self._batches.x,
            self._batches.y,
            self._epochs.x,
            epochs[:, 0],
            epochs[:, 1],
            epochs[:, 2],
            self._stats.x,
            stats[:, 0],
            stats[:, 1],
            steps,
            epochs_done,
            self.samples_seen,
        )
