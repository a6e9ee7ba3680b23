"""A run's timeline: the network at moments of training, to go back to in every panel.

A moment is a Snapshot without its per-batch payload (the losses and epochs since the
previous snapshot, which the curves already hold): the parameters, the counters, the layer
statistics and the last evaluation, all read-only. Panels draw a moment as they draw a live
snapshot; predictions on the test split are recomputed from the moment's parameters, which
gives exactly what the trainer would have computed then.

Which moments are recorded (is_recorded_step, by MomentRecorder where training runs): every
mini-batch of the first DENSE_STEPS, then one each time the step count grows by another
SPACING (2 %), so the number of moments grows with the logarithm of the steps. Steps count
from where the trainer's run began (Trainer.start_step), so a saved model trained on is
recorded as densely at first as a fresh network.

Which are kept (Timeline): all of them while they fit in the memory budget (default 256 MB);
beyond it the timeline drops, one at a time, the moment whose neighbours are closest on a
logarithmic step axis, so what remains stays spread as evenly in log(step) as the budget
allows, for any network size (a wide network keeps fewer moments, never more memory). The
first and newest moments and those the user lived through (a pause, a single step, an edit,
the stepper's example: `kept`) are never dropped.
"""

from __future__ import annotations

import bisect
import dataclasses
import math
from collections.abc import Iterable

import numpy as np

from .snapshot import Snapshot, take_snapshot
from .training import Trainer

DENSE_STEPS = 100  # every mini-batch up to this step is recorded
SPACING = 0.02  # then a moment whenever the step count has grown by 2 %
DEFAULT_BUDGET = 256 * 2**20  # bytes of moments a timeline holds (a setting)

_NO_FLOATS = np.empty(0)
_NO_FLOATS.setflags(write=False)


def is_recorded_step(step: int, dense_steps: int = DENSE_STEPS, spacing: float = SPACING) -> bool:
    """Whether a moment is recorded after `step` steps: every step up to dense_steps, then the
    first step at or past each point (1 + spacing)^k of a geometric grid. It depends on the
    step alone, so training in a thread or in the process records the same moments."""
    if step <= dense_steps:
        return step >= 0
    growth = math.log1p(spacing)
    return math.floor(math.log(step) / growth) > math.floor(math.log(step - 1) / growth)


def next_recorded_step(step: int) -> int:
    """The first step at or after `step` that is_recorded_step records."""
    if step <= DENSE_STEPS:
        return max(step, 0)
    growth = math.log1p(SPACING)
    candidate = max(step, math.floor(math.exp((math.floor(math.log(step - 1) / growth) + 1) * growth)) - 2)
    while not is_recorded_step(candidate):  # a step or two from the estimate, whatever the rounding
        candidate += 1
    return candidate


class MomentRecorder:
    """Records moments of a trainer as it trains (call after_step after every step, on the
    training thread or in the training process); take() hands over what was recorded.

    It keeps the next step to record, so the steps between cost two comparisons: two
    logarithms a step were a fifth of what recording cost a small network."""

    def __init__(self):
        self._pending: list[Snapshot] = []
        self._last = -1  # the last step seen, counted from the trainer's start_step
        self._due = 0  # the next one to record

    def after_step(self, trainer: Trainer) -> bool:
        """Record the trainer's moment if its step is one to record; True if it was."""
        step = trainer.steps
        if self._pending and step <= self._pending[-1].step:  # training went back (a divergence undone)
            self._pending = [m for m in self._pending if m.step < step]
        counted = step - trainer.start_step
        if counted <= self._last:  # back, or a new run (a branch, a resumed model): find the next one again
            self._due = next_recorded_step(counted)
        self._last = counted
        if counted < self._due:
            return False
        if counted > self._due:  # a step skipped between calls: look again from here
            self._due = next_recorded_step(counted)
            if counted != self._due:
                return False
        self._due = next_recorded_step(counted + 1)
        self._pending.append(as_moment(take_snapshot(trainer, state="running")))
        return True

    def extend(self, moments: Iterable[Snapshot]) -> None:
        """Hand over moments recorded elsewhere (the training process) with the next take()."""
        self._pending.extend(moments)

    def take(self) -> tuple[Snapshot, ...]:
        taken, self._pending = tuple(self._pending), []
        return taken


def as_moment(snap: Snapshot) -> Snapshot:
    """snap without what belongs to the curves rather than to the moment."""
    if not len(snap.batch_losses) and not snap.new_epochs and not snap.moments:
        return snap
    return dataclasses.replace(snap, batch_epochs=_NO_FLOATS, batch_losses=_NO_FLOATS, new_epochs=(), moments=())


def moment_bytes(moment: Snapshot) -> int:
    """The memory a moment holds (its arrays; the rest is small and shared)."""
    arrays = [*moment.weights, *moment.biases, moment.batch_indices]
    if moment.layer_stats is not None:
        stats = moment.layer_stats
        arrays += [stats.grad_rms, stats.update_ratio, *stats.neuron_grad_norms]
    if moment.evaluation is not None:
        arrays.append(moment.evaluation.confusion)
    return sum(int(a.nbytes) for a in arrays) + 512  # the dataclass and its scalars, roughly


class Timeline:
    """The moments of one run, oldest first, within `budget` bytes (see the module docstring)."""

    def __init__(self, budget: int = DEFAULT_BUDGET):
        if budget <= 0:
            raise ValueError(f"a timeline's budget must be positive, got {budget}")
        self.budget = int(budget)
        self._moments: list[Snapshot] = []
        self._steps: list[int] = []
        self._kept: list[bool] = []
        self._bytes: list[int] = []
        self.nbytes = 0
        self.dropped = 0  # moments dropped to stay within the budget

    # -- reading ----------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._moments)

    def __getitem__(self, i: int) -> Snapshot:
        return self._moments[i]

    def __iter__(self):
        return iter(self._moments)

    @property
    def steps(self) -> np.ndarray:
        return np.array(self._steps, dtype=np.int64)

    def is_kept(self, i: int) -> bool:
        return self._kept[i]

    def index_of(self, step: int) -> int | None:
        """The index of the moment at `step`, or None."""
        i = bisect.bisect_left(self._steps, step)
        return i if i < len(self._steps) and self._steps[i] == step else None

    def nearest(self, step: float) -> int | None:
        """The index of the moment nearest to `step` (the earlier one on a tie), or None."""
        if not self._steps:
            return None
        i = bisect.bisect_left(self._steps, step)
        if i == 0:
            return 0
        if i == len(self._steps):
            return i - 1
        return i if self._steps[i] - step < step - self._steps[i - 1] else i - 1

    @property
    def last(self) -> Snapshot | None:
        return self._moments[-1] if self._moments else None

    # -- recording --------------------------------------------------------------------------
    def add(self, snap: Snapshot, kept: bool = False) -> None:
        """Add the moment of `snap`. A moment at a step the timeline holds replaces it (the
        same step of the same run has the same parameters); a step before the newest means
        training went back (a divergence undone), so the moments after it go."""
        moment = as_moment(snap)
        step = moment.step
        if self._steps and step < self._steps[-1]:
            self._cut_after(step)
        i = self.index_of(step)
        if i is not None:
            self.nbytes -= self._bytes[i]
            size = moment_bytes(moment)
            self._moments[i], self._kept[i], self._bytes[i] = moment, self._kept[i] or kept, size
            self.nbytes += size
        else:
            size = moment_bytes(moment)
            self._moments.append(moment)
            self._steps.append(step)
            self._kept.append(kept)
            self._bytes.append(size)
            self.nbytes += size
        self._fit_budget()

    def add_all(self, moments: Iterable[Snapshot]) -> None:
        for m in moments:
            self.add(m)

    def set_budget(self, nbytes: int) -> None:
        """Hold at most nbytes from now on (dropping what no longer fits)."""
        if nbytes <= 0:
            raise ValueError(f"a timeline's budget must be positive, got {nbytes}")
        self.budget = int(nbytes)
        self._fit_budget()

    def keep(self, i: int) -> None:
        """Never drop moment i (the user lived through it)."""
        self._kept[i] = True

    def clear(self) -> None:
        self._moments, self._steps, self._kept, self._bytes = [], [], [], []
        self.nbytes = 0

    def branch(self, i: int) -> Timeline:
        """A new timeline holding moments 0..i of this one (shared, they are read-only), for a
        run that continues from moment i; this one stays as it is."""
        other = Timeline(self.budget)
        other._moments, other._steps = self._moments[: i + 1], self._steps[: i + 1]
        other._kept, other._bytes = self._kept[: i + 1], self._bytes[: i + 1]
        other.nbytes = sum(other._bytes)
        return other

    def _cut_after(self, step: int) -> None:
        i = bisect.bisect_right(self._steps, step)
        self.nbytes -= sum(self._bytes[i:])
        del self._moments[i:], self._steps[i:], self._kept[i:], self._bytes[i:]

    def _fit_budget(self) -> None:
        while self.nbytes > self.budget:
            i = self._most_redundant()
            if i is None:
                return  # only moments that are never dropped are left
            self.nbytes -= self._bytes[i]
            del self._moments[i], self._steps[i], self._kept[i], self._bytes[i]
            self.dropped += 1

    def _most_redundant(self) -> int | None:
        """The droppable moment whose neighbours are closest on a log(1 + step) axis."""
        if len(self._steps) < 3:
            return None
        log_steps = np.log1p(np.array(self._steps, dtype=np.float64))
        gap = log_steps[2:] - log_steps[:-2]  # gap[i - 1]: between the neighbours of moment i
        droppable = ~np.array(self._kept[1:-1])
        if not droppable.any():
            return None
        gap[~droppable] = np.inf
        return int(np.argmin(gap)) + 1
