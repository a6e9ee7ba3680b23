"""Where the backprop stepper gets its network state and its examples.

The stepper never touches training itself: a StepperSource hands it a NetworkState (copied
under the controller's lock after pausing, for the live network) and examples. The
SessionStepperSource reads the shared Session, so the stepper traces the very sample every
other panel shows; the mini-batch table's other examples come from the training split, in
the order training takes them next.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from PySide6.QtCore import QCoreApplication, QEventLoop

from visnet.core.network import Network
from visnet.core.sample_pass import Sample

from ..session import Session
from ..training.controller import TrainingController


@dataclass(frozen=True, eq=False)
class NetworkState:
    """A network and the optimiser settings one SGD step on it uses (copies: training may go on).

    velocity_w/velocity_b: the momentum buffers of the live trainer (None = zeros).
    description: where it came from, shown above the step.
    """

    net: Network
    eta: float
    momentum: float = 0.0
    lmbda: float = 0.0
    velocity_w: tuple[np.ndarray, ...] | None = None
    velocity_b: tuple[np.ndarray, ...] | None = None
    description: str = ""


@dataclass(frozen=True, eq=False)
class Example:
    """One input x (n_in,), its label (None for a drawn digit nobody labelled) and where it
    came from; test_index: its place in the test split; sample: the session's Sample it was
    read from (None when the example was given directly)."""

    x: np.ndarray
    label: int | None
    description: str
    test_index: int | None = None
    sample: Sample | None = None

    @classmethod
    def from_sample(cls, sample: Sample) -> Example:
        return cls(sample.x, sample.label, sample.describe(), sample.index, sample)


@dataclass(frozen=True, eq=False)
class MiniBatch:
    """The examples of the mini-batch table: x (n, n_in), labels (n,), and what each column
    is ("test image #3", "training #812"), the traced example first. split: where the
    examples after the first come from, in words, for the tab's caption."""

    x: np.ndarray
    labels: np.ndarray
    names: tuple[str, ...]
    split: str


class StepperSource(Protocol):
    """What the stepper asks for: class names, examples and network states."""

    def class_names(self) -> Sequence[str]: ...

    def n_test(self) -> int: ...

    def has_drawn_digit(self) -> bool: ...

    def batch_size(self) -> int | None: ...

    def network_state(self, kind: str) -> NetworkState | None: ...

    def example(self, kind: str, index: int) -> Example | None: ...

    def mini_batch(self, example: Example, target: int, n: int) -> MiniBatch: ...


def live_state(controller: TrainingController) -> NetworkState | None:
    """The trainer's network and momentum buffers as they are now, pausing training first
    so the step traced is exactly the next one training would take."""
    if controller.trainer is None:
        return None
    was_running = controller.state == "running"
    controller.pause()
    if was_running:
        _wait_until_paused(controller)
    with controller.locked_trainer() as trainer:
        velocity_w, velocity_b = (tuple(np.array(v) for v in vs) for vs in trainer.velocities)
        c = trainer.config
        return NetworkState(
            trainer.net.copy(),
            float(trainer.eta),
            float(c.momentum),
            float(c.lmbda),
            velocity_w,
            velocity_b,
            f"the live network after {trainer.steps:,} mini-batches" + (" (training paused)" if was_running else ""),
        )


def snapshot_state(controller: TrainingController, snap) -> NetworkState | None:
    """The network of snapshot `snap` (a moment of training; the momentum buffers are not in
    a snapshot, so they count as zero). Training goes on."""
    if snap is None or controller.trainer is None:
        return None
    c = controller.trainer.config  # plain numbers: reading them while training is harmless
    return NetworkState(
        snap.network.copy(),
        float(snap.eta),
        float(c.momentum),
        float(c.lmbda),
        None,
        None,
        f"the snapshot shown, after {snap.step:,} mini-batches"
        + (" (momentum buffers taken as zero)" if c.momentum else ""),
    )


def training_mini_batch(
    controller: TrainingController | None, dataset, example: Example, target: int, n: int
) -> MiniBatch:
    """The traced example (with its target), then up to n − 1 training examples: the first
    ones of the next mini-batch training takes (the trainer's shuffled order), or the
    training split's first ones without a trainer. Real training examples, so the table's
    average is the kind of step training makes."""
    first_name = example.description
    x0, y0 = example.x[None, :].astype(np.float32), np.array([target], np.int64)
    if n <= 1:
        return MiniBatch(x0, y0, (first_name,), "")
    trainer = None if controller is None else controller.trainer
    if trainer is not None and trainer.x_train.shape[1] == example.x.size:
        with controller.locked_trainer() as t:
            x, _, labels = t.next_batch()
            x, labels = np.array(x[: n - 1], np.float32), np.array(labels[: n - 1], np.int64)
        names = tuple(f"next mini-batch #{e + 1}" for e in range(len(x)))
        split = "the training split: the next mini-batch training takes, in its shuffled order"
    elif dataset is not None and dataset.n_train and dataset.x_train.shape[1] == example.x.size:
        x, labels = np.array(dataset.x_train[: n - 1], np.float32), np.array(dataset.y_train[: n - 1], np.int64)
        names = tuple(f"training #{i}" for i in range(len(x)))
        split = "the training split (its first examples: there is no trainer to ask for its order)"
    else:
        return MiniBatch(x0, y0, (first_name,), "")
    return MiniBatch(np.vstack([x0, x]), np.concatenate([y0, labels]), (first_name, *names), split)


class SessionStepperSource:
    """The shared Session as a StepperSource: its current sample and drawing, its controller
    (the live network) and the moment it shows (the snapshot)."""

    def __init__(self, session: Session):
        self.session = session

    def class_names(self) -> Sequence[str]:
        return self.session.class_names

    def n_test(self) -> int:
        d = self.session.dataset
        return 0 if d is None else d.n_test

    def has_drawn_digit(self) -> bool:
        return self.session.drawing is not None

    def batch_size(self) -> int | None:
        trainer = self.session.controller.trainer
        return None if trainer is None else int(trainer.config.batch_size)

    def network_state(self, kind: str) -> NetworkState | None:
        controller = self.session.controller
        if kind == "live":
            return live_state(controller)
        if kind == "snapshot":
            return snapshot_state(controller, self.session.snapshot or controller.latest_snapshot)
        return None

    def example(self, kind: str, index: int) -> Example | None:
        """The session's current sample, whatever `kind`: the stepper makes its own choices
        through the session (choose_test_sample, use_drawing) before it asks."""
        sample = self.session.sample
        return None if sample is None else Example.from_sample(sample)

    def mini_batch(self, example: Example, target: int, n: int) -> MiniBatch:
        return training_mini_batch(self.session.controller, self.session.dataset, example, target, n)


def _wait_until_paused(controller: TrainingController, timeout_s: float = 3.0) -> None:
    """Wait for the worker's "paused" snapshot: a mini-batch the worker had already begun
    when pause() came would otherwise change the network after it was copied. Only
    snapshots and timers are processed meanwhile, not the user's input."""
    deadline = time.monotonic() + timeout_s
    while controller.is_thread_running() and time.monotonic() < deadline:
        snap = controller.latest_snapshot
        if snap is not None and snap.state in ("paused", "stopped", "diverged"):
            return
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents, 20)
