"""Each neuron's incoming-weight norm and its update size over training, recorded from the
snapshots the window draws (snapshots carry no per-neuron gradient, so the update ‖Δw‖
between two frames is what can be measured honestly)."""

from __future__ import annotations

import numpy as np

from visnet.core.snapshot import Snapshot

HISTORY_CAPACITY = 2000  # rows kept per neuron history before every other row is dropped


class NeuronHistory:
    """For every neuron, per recorded frame: the norm of its incoming weights ‖w_j‖ and the
    mean size of one update ‖Δw_j‖ / (mini-batches since the previous frame).

    For plain SGD that update is η‖∂C/∂w_j‖ averaged over the batches in between; with
    momentum or L2 it is the step actually taken. Memory stays bounded: when
    HISTORY_CAPACITY rows are full, every other row is dropped (older detail thins out).
    """

    def __init__(self, capacity: int = HISTORY_CAPACITY) -> None:
        self.capacity = capacity
        self.clear()

    def clear(self) -> None:
        self._sizes: tuple[int, ...] | None = None
        self._prev: Snapshot | None = None
        self._n = 0
        self._epochs = np.empty(0)
        self._norms: list[np.ndarray] = []
        self._updates: list[np.ndarray] = []
        self._grads: list[np.ndarray] = []

    def __len__(self) -> int:
        return self._n

    def record(self, snap: Snapshot) -> None:
        """Add a row for snap (ignored if it is the same step as the last row, or older)."""
        if snap.sizes != self._sizes or (self._prev is not None and snap.step < self._prev.step):
            self.clear()
            self._sizes = snap.sizes
            rows = self.capacity
            self._epochs = np.full(rows, np.nan)
            self._norms = [np.full((rows, n), np.nan, np.float32) for n in snap.sizes[1:]]
            self._updates = [np.full((rows, n), np.nan, np.float32) for n in snap.sizes[1:]]
            self._grads = [np.full((rows, n), np.nan, np.float32) for n in snap.sizes[1:]]
        prev = self._prev
        if prev is not None and snap.step == prev.step and self._n:
            # The same step again (after an edit, or a pause): refresh the norms in place.
            row = self._n - 1
            for l, w in enumerate(snap.weights):
                self._norms[l][row] = np.sqrt(np.einsum("ij,ij->i", w, w, dtype=np.float64))
            self._prev = snap
            return
        if self._n == self.capacity:
            self._thin()
        row = self._n
        self._epochs[row] = snap.epochs_done + (
            snap.batch_in_epoch / snap.batches_per_epoch if snap.batches_per_epoch else 0.0
        )
        for l, w in enumerate(snap.weights):
            self._norms[l][row] = np.sqrt(np.einsum("ij,ij->i", w, w, dtype=np.float64))
            if prev is not None and snap.step > prev.step:
                d = w.astype(np.float64) - prev.weights[l]
                self._updates[l][row] = np.sqrt(np.einsum("ij,ij->i", d, d)) / (snap.step - prev.step)
        stats = snap.layer_stats
        if stats is not None and len(stats.neuron_grad_norms) == len(self._grads):
            for l, g in enumerate(stats.neuron_grad_norms):
                self._grads[l][row] = g
        self._prev = snap
        self._n += 1

    def _thin(self) -> None:
        keep = np.arange(0, self._n, 2)
        k = len(keep)
        self._epochs[:k] = self._epochs[keep]
        self._epochs[k:] = np.nan
        for arrays in (self._norms, self._updates, self._grads):
            for a in arrays:
                a[:k] = a[keep]
                a[k:] = np.nan
        self._n = k

    def series(self, layer: int, j: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(epochs, ‖w_j‖, update size per mini-batch, ‖∂C/∂w_j‖ of the mini-batch before the
        frame) of neuron (layer, j); views, do not keep."""
        if not self._n or layer >= len(self._norms) or j >= self._norms[layer].shape[1]:
            empty = np.empty(0)
            return empty, empty, empty, empty
        n = self._n
        return self._epochs[:n], self._norms[layer][:n, j], self._updates[layer][:n, j], self._grads[layer][:n, j]
