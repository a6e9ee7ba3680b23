"""Hidden neurons of two networks matched by what they look for, and the difference.

Two runs of the same data learn similar features in an arbitrary order: hidden neuron 3 of
one run may be neuron 11 of the other. To set their weight images side by side, each hidden
layer's neurons are paired by the similarity of their incoming weights (and bias) with an
optimal assignment: the pairing that maximises the total cosine similarity, found by the
Hungarian algorithm (linear_sum_assignment, Kuhn-Munkres with potentials and shortest
augmenting paths, O(n^2 m)). Layers are matched from the input up; a deeper layer compares
its weights only over the previous layer's matched neurons, in the first network's order.

    matches = match_networks(net_a, net_b)      # networks, snapshots: anything with weights and biases
    m = matches[0]                              # the first hidden layer
    m.a_index, m.b_index                        # neuron a_index[k] of A is neuron b_index[k] of B
    m.similarity                                # (k,) cosine similarity of each pair
    m.difference                                # (k, n_in) B's matched weights minus A's: 28x28 images
    weights, biases = aligned(net_b, matches)   # B with its hidden neurons in A's order
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np


class HasParameters(Protocol):
    """A Network, a Snapshot or a timeline moment: weights[l] (n_out, n_in), biases[l] (n_out,)."""

    @property
    def weights(self) -> Sequence[np.ndarray]: ...

    @property
    def biases(self) -> Sequence[np.ndarray]: ...


def linear_sum_assignment(cost: np.ndarray, maximize: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """The optimal assignment of rows to columns of cost (n, m): rows (k,) and cols (k,),
    k = min(n, m), every row and column used at most once, minimising (or maximising)
    cost[rows, cols].sum(). rows are increasing, as scipy.optimize.linear_sum_assignment
    returns them. cost must be finite."""
    c = np.array(cost, dtype=np.float64)
    if c.ndim != 2:
        raise ValueError(f"cost must be a 2-D matrix, got shape {c.shape}")
    if not np.all(np.isfinite(c)):
        raise ValueError("cost must hold finite numbers only")
    if maximize:
        c = -c
    transposed = c.shape[0] > c.shape[1]
    if transposed:
        c = c.T
    n, m = c.shape
    if n == 0:
        empty = np.empty(0, dtype=np.intp)
        return empty, empty.copy()
    # Shifting a row by a constant changes no assignment; the potentials then start near 0.
    c = c - c.min(axis=1, keepdims=True)
    # 1-based as in the textbook: column 0 is the virtual start of every augmenting path.
    u = np.zeros(n + 1)  # row potentials
    v = np.zeros(m + 1)  # column potentials
    owner = np.zeros(m + 1, dtype=np.intp)  # owner[j]: the row assigned to column j (0: none)
    way = np.zeros(m + 1, dtype=np.intp)  # the previous column on the shortest path to j
    for i in range(1, n + 1):
        owner[0] = i
        j0 = 0
        minv = np.full(m + 1, np.inf)  # reduced length of the shortest path found to each column
        used = np.zeros(m + 1, dtype=bool)
        while True:
            used[j0] = True
            i0 = owner[j0]
            free = ~used[1:]
            reduced = c[i0 - 1] - u[i0] - v[1:]
            shorter = free & (reduced < minv[1:])
            minv[1:][shorter] = reduced[shorter]
            way[1:][shorter] = j0
            candidates = np.where(free, minv[1:], np.inf)
            j1 = int(np.argmin(candidates)) + 1
            delta = candidates[j1 - 1]
            visited = np.flatnonzero(used)  # includes column 0, whose owner is row i
            u[owner[visited]] += delta
            v[visited] -= delta
            minv[1:][free] -= delta
            j0 = j1
            if owner[j0] == 0:
                break
        while j0:  # augment along the path back to the virtual column
            j1 = way[j0]
            owner[j0] = owner[j1]
            j0 = j1
    cols = np.flatnonzero(owner[1:]).astype(np.intp)
    rows = (owner[1:][cols] - 1).astype(np.intp)
    if transposed:
        rows, cols = cols, rows
    order = np.argsort(rows, kind="stable")
    return rows[order], cols[order]


def cosine_similarity(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(n_a, n_b) cosine similarities of the rows of a (n_a, d) and b (n_b, d), in float64;
    a row of zeros is similar to nothing (0)."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    na = np.linalg.norm(a, axis=1, keepdims=True)
    nb = np.linalg.norm(b, axis=1, keepdims=True)
    a = np.divide(a, na, out=np.zeros_like(a), where=na > 0)
    b = np.divide(b, nb, out=np.zeros_like(b), where=nb > 0)
    return np.clip(a @ b.T, -1.0, 1.0)


@dataclass(frozen=True)
class LayerMatch:
    """The pairing of one hidden layer's neurons: neuron a_index[k] of A with neuron
    b_index[k] of B (k = the narrower layer's width; a_index increasing), their cosine
    similarity (k,), and difference (k, n_in): B's incoming weights minus A's for each pair,
    over the inputs both share in A's order (the input itself for layer 0, whose rows are
    the 28x28 difference images). layer: the weight layer l (hidden layer l + 1)."""

    layer: int
    a_index: np.ndarray
    b_index: np.ndarray
    similarity: np.ndarray
    difference: np.ndarray

    @property
    def is_identity(self) -> bool:
        """Whether every neuron of A is matched with the neuron of B at the same place."""
        return bool(np.array_equal(self.a_index, self.b_index))


def match_layer(w_a: np.ndarray, b_a: np.ndarray, w_b: np.ndarray, b_b: np.ndarray, layer: int = 0) -> LayerMatch:
    """Match the neurons of one layer, w_a (n_a, d) and w_b (n_b, d) with biases (n_a,) and
    (n_b,), whose d inputs are the same ones in the same order: the assignment maximising
    the total cosine similarity of [w, b] rows."""
    w_a, w_b = np.asarray(w_a), np.asarray(w_b)
    if w_a.ndim != 2 or w_b.ndim != 2 or w_a.shape[1] != w_b.shape[1]:
        raise ValueError(f"the layers must share their inputs, got weights {w_a.shape} and {w_b.shape}")
    rows_a = np.column_stack([w_a, np.asarray(b_a).reshape(-1)])
    rows_b = np.column_stack([w_b, np.asarray(b_b).reshape(-1)])
    similarity = cosine_similarity(rows_a, rows_b)
    a_index, b_index = linear_sum_assignment(similarity, maximize=True)
    difference = w_b[b_index].astype(np.float64) - w_a[a_index].astype(np.float64)
    return _frozen_match(layer, a_index, b_index, similarity[a_index, b_index], difference)


def match_networks(a: HasParameters, b: HasParameters) -> tuple[LayerMatch, ...]:
    """Match every hidden layer the two networks both have, from the input up. Layer l > 0
    compares incoming weights over the previous layer's matched pairs only (A's neuron
    a_index[k] with B's b_index[k]), so a permuted copy of a network matches as the
    identity with zero difference. The output layer is not matched: its neurons are the
    classes, in the same order in both."""
    if np.shape(a.weights[0])[1] != np.shape(b.weights[0])[1]:
        raise ValueError(
            f"the networks must have the same inputs, got {np.shape(a.weights[0])[1]} and {np.shape(b.weights[0])[1]}"
        )
    hidden = min(len(a.weights), len(b.weights)) - 1
    matches: list[LayerMatch] = []
    cols_a = cols_b = np.arange(np.shape(a.weights[0])[1])
    for l in range(hidden):
        w_a = np.asarray(a.weights[l])[:, cols_a]
        w_b = np.asarray(b.weights[l])[:, cols_b]
        match = match_layer(w_a, a.biases[l], w_b, b.biases[l], layer=l)
        matches.append(match)
        cols_a, cols_b = match.a_index, match.b_index
    return tuple(matches)


def aligned(b: HasParameters, matches: Sequence[LayerMatch]) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """B's weights and biases (copies) with each matched hidden layer's neurons put in A's
    order, which computes the same function as B. Each matched layer must pair every
    neuron of B (the two layers equally wide)."""
    weights = [np.array(w) for w in b.weights]
    biases = [np.array(bias) for bias in b.biases]
    for m in matches:
        l = m.layer
        if len(m.b_index) != len(weights[l]) or not np.array_equal(m.a_index, np.arange(len(m.a_index))):
            raise ValueError(f"layer {l} is not matched neuron for neuron (the layers differ in width)")
        weights[l] = weights[l][m.b_index]
        biases[l] = biases[l][m.b_index]
        weights[l + 1] = weights[l + 1][:, m.b_index]
    return weights, biases


def _frozen_match(layer, a_index, b_index, similarity, difference) -> LayerMatch:
    arrays = [np.array(x) for x in (a_index, b_index, similarity, difference)]
    for x in arrays:
        x.setflags(write=False)
    return LayerMatch(layer, *arrays)
