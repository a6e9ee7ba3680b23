"""Immutable pictures of training, handed from the training thread to the GUI.

A Snapshot copies the parameters once and marks every array read-only, so the GUI can
draw it at leisure while training goes on. Scalars that arrive every batch (the losses)
travel as arrays of everything since the previous snapshot, so no point is lost.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from .health import Diagnosis
from .network import ForwardCache, Network
from .training import EpochRecord, Evaluation, LayerStats, Trainer


def _frozen(a: np.ndarray) -> np.ndarray:
    a = np.array(a, copy=True)
    a.setflags(write=False)
    return a


_NO_FLOATS = np.empty(0)
_NO_FLOATS.setflags(write=False)


def _freeze_in_place(value) -> None:
    """Mark every array in value (nested tuples and dataclasses included) read-only."""
    if isinstance(value, np.ndarray):
        value.setflags(write=False)
    elif isinstance(value, (tuple, list)):
        for item in value:
            _freeze_in_place(item)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            _freeze_in_place(getattr(value, f.name))


@dataclass(frozen=True)
class Snapshot:
    """The state of a training run at one moment.

    weights[l]: (n_out, n_in), biases[l]: (n_out,), both read-only copies.
    batch_epochs/batch_losses: x (fractional epochs) and loss of every mini-batch
    trained since the previous snapshot. new_epochs: epochs finished since then.
    step, epoch_progress, ...: after a divergence (state "diverged") they go back to the
    step whose parameters were restored, which may be lower than a previous snapshot's.
    batch_indices: (b,) indices into the training set of the newest mini-batch trained
    (empty before the first, and after a divergence went back). health: the last health
    check (at the last evaluation or pause), None when nothing is wrong.
    delay: seconds per mini-batch the training waits now (0: full speed); gentle: the
    delay is the gentle start's, which speeds up by itself.
    moments: the timeline's moments recorded since the previous snapshot (core.timeline),
    oldest first, each a Snapshot without per-batch data or moments of its own.
    """

    sizes: tuple[int, ...]
    activations: tuple[str, ...]
    cost: str
    weights: tuple[np.ndarray, ...]
    biases: tuple[np.ndarray, ...]
    step: int
    epochs_done: int
    epoch_progress: float
    batch_in_epoch: int
    batches_per_epoch: int
    samples_seen: int
    eta: float
    batch_epochs: np.ndarray = field(default_factory=lambda: _frozen(np.empty(0)))
    batch_losses: np.ndarray = field(default_factory=lambda: _frozen(np.empty(0)))
    new_epochs: tuple[EpochRecord, ...] = ()
    layer_stats: LayerStats | None = None
    evaluation: Evaluation | None = None
    samples_per_second: float = 0.0
    state: str = "idle"  # idle, running, paused, stopped, diverged
    message: str = ""
    batch_indices: np.ndarray = field(default_factory=lambda: _frozen(np.empty(0, np.intp)))
    health: Diagnosis | None = None
    delay: float = 0.0
    gentle: bool = False
    moments: tuple[Snapshot, ...] = ()

    def __setstate__(self, state: dict) -> None:
        """Unpickled (sent from the training process): arrays arrive writeable; freeze them."""
        _freeze_in_place(list(state.values()))
        self.__dict__.update(state)

    @cached_property
    def network(self) -> Network:
        """A Network on these (read-only) parameters, for forward passes on the GUI thread;
        network.copy() gives one that may be changed."""
        return Network.from_params(self.weights, self.biases, self.activations, self.cost, copy=False)

    def forward_cache(self, x: np.ndarray) -> ForwardCache:
        with np.errstate(over="ignore", invalid="ignore"):  # parameters of a run about to diverge
            return self.network.forward_cache(x)


def take_snapshot(
    trainer: Trainer,
    batch_epochs=(),
    batch_losses=(),
    new_epochs=(),
    samples_per_second: float = 0.0,
    state: str = "running",
    message: str = "",
    delay: float = 0.0,
    gentle: bool = False,
    moments: tuple[Snapshot, ...] = (),
) -> Snapshot:
    """Copy what the GUI needs out of a trainer (call it on the training thread). Every
    recorded moment of the timeline is one, so it copies only what the trainer goes on to
    change (the parameters): the statistics are computed afresh, and are frozen as they are."""
    net = trainer.net
    stats = trainer.layer_stats()
    if stats is not None:
        _freeze_in_place(stats)
    batch_size = trainer.config.batch_size
    return Snapshot(
        sizes=tuple(net.sizes),
        activations=tuple(net.activations),
        cost=net.cost,
        weights=tuple(_frozen(w) for w in net.weights),
        biases=tuple(_frozen(b) for b in net.biases),
        step=trainer.steps,
        epochs_done=trainer.epochs_done,
        epoch_progress=trainer.epoch_progress,
        batch_in_epoch=-(-trainer.position // batch_size),
        batches_per_epoch=trainer.batches_per_epoch,
        samples_seen=trainer.samples_seen,
        eta=trainer.eta,
        batch_epochs=_frozen(np.asarray(batch_epochs, dtype=np.float64)) if len(batch_epochs) else _NO_FLOATS,
        batch_losses=_frozen(np.asarray(batch_losses, dtype=np.float64)) if len(batch_losses) else _NO_FLOATS,
        new_epochs=tuple(new_epochs),
        layer_stats=stats,
        evaluation=trainer.last_evaluation,
        samples_per_second=samples_per_second,
        state=state,
        message=message,
        batch_indices=_frozen(np.asarray(trainer.last_batch_indices, dtype=np.intp)),
        health=trainer.health,
        delay=delay,
        gentle=gentle,
        moments=tuple(moments),
    )


def merge_snapshots(older: Snapshot, newer: Snapshot) -> Snapshot:
    """newer, also carrying the per-batch losses and finished epochs that older carried."""
    if not len(older.batch_losses) and not older.new_epochs and not older.moments:
        return newer

    def joined(a, b):
        out = np.concatenate([a, b])
        out.setflags(write=False)
        return out

    # After a divergence newer went back to an earlier step: drop older's losses of the
    # steps it undid, so the curve never holds a point training has taken back.
    kept = len(older.batch_epochs)
    if newer.step < older.step:
        kept = int(np.searchsorted(older.batch_epochs, newer.epoch_progress + 1e-9, side="right"))
    return dataclasses.replace(
        newer,
        batch_epochs=joined(older.batch_epochs[:kept], newer.batch_epochs),
        batch_losses=joined(older.batch_losses[:kept], newer.batch_losses),
        new_epochs=older.new_epochs + newer.new_epochs,
        moments=tuple(m for m in older.moments if m.step <= newer.step) + newer.moments,
    )
