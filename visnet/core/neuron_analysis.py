"""Look inside a network: what makes a neuron fire, what it looks for, what it votes for.

Neurons are named (layer, j) with `layer` the index of the weight layer that feeds them,
as in Network.weights: neuron (layer, j) has incoming weights weights[layer][j], bias
biases[layer][j], pre-activation zs[layer][:, j] and activation activations[layer + 1][:, j]
of a ForwardCache. So layer 0 is the first hidden layer and layer net.n_layers - 1 the output.

    acts = layer_activations(net, data.x_test)          # once per snapshot
    stats = NeuronStats.from_activations(acts, layer, j, k=9)
    data.x_test[stats.top]                               # the 9 digits it likes best
    counts, edges = stats.histogram(bins=40)
    effective_pattern(net, layer, j).reshape(28, 28)     # what it looks for (linear view)
    outgoing_weights(net, layer, j)                      # what it votes for
    x = maximize_activation(net, layer, j, should_stop=stop_event.is_set)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from .network import Network

DEFAULT_K = 9  # top and bottom examples shown for a neuron: a 3x3 grid


def check_neuron(net: Network, layer: int, j: int) -> None:
    """Raise IndexError unless (layer, j) names a neuron of net (see the module docstring)."""
    if not 0 <= layer < net.n_layers:
        raise IndexError(f"layer {layer} out of range 0..{net.n_layers - 1}")
    n = net.sizes[layer + 1]
    if not 0 <= j < n:
        raise IndexError(f"neuron {j} out of range 0..{n - 1} in layer {layer}")


# -- activations over a data split -------------------------------------------------------


def layer_activations(net: Network, x: np.ndarray, chunk: int = 2000) -> list[np.ndarray]:
    """Every neuron's activation on every example of x, computed chunk examples at a time.

    x: (n, n_in). Returns one float32 array (n, sizes[layer + 1]) per weight layer,
    i.e. ForwardCache.activations[1:] for the whole split, from the network's own forward
    pass. For 784-512-512-10 and 2,000 test images this takes 25-40 ms on two cores
    (float32; the two matrix products are most of it), so compute it once per snapshot.
    """
    x = np.asarray(x)
    if x.ndim != 2 or x.shape[1] != net.sizes[0]:
        raise ValueError(f"inputs must have shape (n, {net.sizes[0]}), got {x.shape}")
    if chunk < 1:
        raise ValueError(f"chunk must be >= 1, got {chunk}")
    n = x.shape[0]
    out = [np.empty((n, size), np.float32) for size in net.sizes[1:]]
    for start in range(0, n, chunk):
        cache = net.forward_cache(x[start : start + chunk])
        for a_out, a in zip(out, cache.activations[1:]):
            a_out[start : start + len(a)] = a
    return out


def top_k(values: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k largest values, largest first; equal values in index order.

    Exactly np.argsort(-values, kind="stable")[:k], but O(n) for the selection: a
    partition finds the k-th largest value, and only the values at least that large
    (the k winners plus any ties with the k-th) are sorted.
    """
    values = np.asarray(values).ravel()
    k = max(0, min(int(k), values.size))
    if k == 0:
        return np.empty(0, np.intp)
    kth = np.partition(values, values.size - k)[values.size - k]
    candidates = np.flatnonzero(values >= kth)
    order = np.lexsort((candidates, -values[candidates]))  # last key first: value, then index
    return candidates[order[:k]]


def bottom_k(values: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k smallest values, smallest first; equal values in index order
    (np.argsort(values, kind="stable")[:k])."""
    values = np.asarray(values).ravel()
    k = max(0, min(int(k), values.size))
    if k == 0:
        return np.empty(0, np.intp)
    kth = np.partition(values, k - 1)[k - 1]
    candidates = np.flatnonzero(values <= kth)
    order = np.lexsort((candidates, values[candidates]))
    return candidates[order[:k]]


@dataclass(frozen=True)
class NeuronStats:
    """One neuron's behaviour over a data split.

    values: (n,) its activation on each example (read-only float32).
    top / bottom: indices into the split of the k examples that excite it most (highest
        first) and least (lowest first); ties go to the lower index.
    mean, std: of values.
    """

    layer: int
    j: int
    values: np.ndarray
    top: np.ndarray
    bottom: np.ndarray
    mean: float
    std: float

    @classmethod
    def from_values(cls, values: np.ndarray, layer: int, j: int, k: int = DEFAULT_K) -> NeuronStats:
        values = np.array(values, dtype=np.float32, copy=True).ravel()
        values.setflags(write=False)
        top, bottom = top_k(values, k), bottom_k(values, k)
        for a in (top, bottom):
            a.setflags(write=False)
        if values.size:
            mean, std = float(values.mean(dtype=np.float64)), float(values.std(dtype=np.float64))
        else:
            mean = std = float("nan")
        return cls(layer, j, values, top, bottom, mean, std)

    @classmethod
    def from_activations(cls, activations: list[np.ndarray], layer: int, j: int, k: int = DEFAULT_K) -> NeuronStats:
        """From layer_activations()' result: column j of activations[layer]."""
        if not 0 <= layer < len(activations):
            raise IndexError(f"layer {layer} out of range 0..{len(activations) - 1}")
        a = activations[layer]
        if not 0 <= j < a.shape[1]:
            raise IndexError(f"neuron {j} out of range 0..{a.shape[1] - 1} in layer {layer}")
        return cls.from_values(a[:, j], layer, j, k)

    @property
    def n(self) -> int:
        return int(self.values.size)

    def histogram(self, bins: int = 30, range: tuple[float, float] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(counts (bins,) int64, edges (bins + 1,)) of the activations.

        range defaults to (min, max) of the values (e.g. pass (0, 1) for a sigmoid layer
        to compare neurons). Values outside range are counted in the first or last bin, so
        the counts always sum to n.
        """
        values = self.values
        if range is not None:
            lo, hi = float(range[0]), float(range[1])
            if not hi > lo:
                raise ValueError(f"the histogram range must be increasing, got {range}")
            values = np.clip(values, lo, hi)
        counts, edges = np.histogram(values, bins=bins, range=range)
        return counts.astype(np.int64), edges


def neuron_stats(net: Network, x: np.ndarray, layer: int, j: int, k: int = DEFAULT_K) -> NeuronStats:
    """NeuronStats of one neuron on x, computing the activations (use
    NeuronStats.from_activations to reuse layer_activations() for many neurons)."""
    check_neuron(net, layer, j)
    return NeuronStats.from_activations(layer_activations(net, x), layer, j, k)


# -- what a neuron looks for, and what it votes for ----------------------------------------


def effective_pattern(net: Network, layer: int, j: int) -> np.ndarray:
    """The neuron's effective input pattern (n_in,) in input space: a linear view.

    Layer 0: its weight row weights[0][j]. Layer l: w_j^l · W^(l-1) ··· W^0, the sum of the
    previous layer's patterns weighted by neuron j's incoming weights. This ignores biases
    and activation functions: it is exact only if every earlier layer were linear (identity)
    and is a picture of which pixels push z_j up (positive) or down (negative) "on average",
    not of what actually makes the neuron fire (see maximize_activation for that).
    """
    check_neuron(net, layer, j)
    v = net.weights[layer][j]
    for m in range(layer - 1, -1, -1):
        v = v @ net.weights[m]
    return np.array(v, copy=True)


def effective_patterns(net: Network, layer: int) -> np.ndarray:
    """effective_pattern for every neuron of a layer at once: W^l ··· W^0, (n_out, n_in)."""
    if not 0 <= layer < net.n_layers:
        raise IndexError(f"layer {layer} out of range 0..{net.n_layers - 1}")
    p = net.weights[0]
    for m in range(1, layer + 1):
        p = net.weights[m] @ p
    return np.array(p, copy=True)


def contribution_map(net: Network, x: np.ndarray, layer: int, j: int) -> np.ndarray:
    """How much each input of neuron (layer, j) adds to its z for one example x.

    x: one input (n_in,) or (1, n_in). Returns w_ji · a_i over the neuron's inputs i,
    shape (sizes[layer],): for layer 0 that is w ⊙ x, one value per pixel (reshape to
    28x28); for deeper layers a_i are the previous layer's activations on x. The values
    plus the bias sum to the neuron's z: contribution_map(...).sum() + b_j == z_j.
    """
    check_neuron(net, layer, j)
    x = np.asarray(x)
    if x.ndim == 2 and x.shape[0] != 1 or x.ndim > 2:
        raise ValueError(f"contribution_map takes one example, got shape {x.shape}")
    a_prev = x.reshape(1, -1)
    if layer > 0:
        a_prev = net.forward_cache(a_prev).activations[layer]
    else:
        a_prev = net._as_input(a_prev)
    return net.weights[layer][j] * a_prev[0]


def outgoing_weights(net: Network, layer: int, j: int) -> np.ndarray | None:
    """Neuron j's weights into the next layer, column j of weights[layer + 1]: how much it
    votes for each neuron there. None for an output neuron."""
    check_neuron(net, layer, j)
    if layer == net.n_layers - 1:
        return None
    return np.array(net.weights[layer + 1][:, j], copy=True)


# -- the input that excites a neuron most ------------------------------------------------


@dataclass(frozen=True)
class AscentStep:
    """One step of maximize_activation: step (1-based) of steps, the input x (n_in,)
    float32 read-only copy, in [0, 1], and the neuron's objective (z or a) at x."""

    step: int
    steps: int
    x: np.ndarray
    value: float


OBJECTIVES = ("z", "a")


def iter_maximize_activation(
    net: Network,
    layer: int,
    j: int,
    steps: int = 200,
    lr: float = 0.05,
    l2: float = 0.01,
    seed: int | None = 0,
    x0: np.ndarray | None = None,
    objective: str = "z",
) -> Iterator[AscentStep]:
    """Projected gradient ascent on the input: maximise f(x) − l2·‖x‖² over x in [0, 1]^n_in,
    where f is neuron (layer, j)'s pre-activation z_j (objective="z", the default) or its
    activation a_j (objective="a"). Yields an AscentStep after every update, so a worker can
    report progress and stop between steps; the generator is deterministic given seed/x0.

    Why z by default: every hidden activation is increasing, so raising z_j raises a_j, but
    a saturated sigmoid or a dead ReLU has σ'(z) ≈ 0, which would stall an ascent on a_j. For
    a softmax output, z_j is the class's logit; objective="a" maximises its probability.

    The gradient ∂f/∂x is backpropagation with the cost replaced by f: seed ∂f/∂z^layer
    with e_j (times σ'(z_j) for "a"; a_j(e_j − a) for softmax), then δ^(m−1) = (δ^m W^m) ⊙
    σ'(z^(m−1)) down to ∂f/∂x = δ^0 W^0 (all in float64). Each step moves x by
    lr_t · g / rms(g), with g the penalised gradient and lr_t = lr falling to 0 on a cosine,
    then clips to [0, 1]. Normalising by rms(g) makes lr the typical change of a pixel per
    step, whatever the scale of the weights.

    x0: the start (n_in,); default 0.5 grey plus N(0, 0.1²) noise drawn with seed.
    The weights are copied (to float64) when the first step runs; later changes to net do
    not affect the run. From a worker thread, pass a network nobody trains meanwhile (e.g.
    Snapshot.network), since copying arrays that another thread is writing can tear.
    """
    check_neuron(net, layer, j)
    if objective not in OBJECTIVES:
        raise ValueError(f"objective must be one of {OBJECTIVES}, got {objective!r}")
    if steps < 0 or not lr > 0 or l2 < 0:
        raise ValueError(f"need steps >= 0, lr > 0 and l2 >= 0, got {steps}, {lr}, {l2}")
    x = _initial_input(net.sizes[0], seed, x0)
    weights = [w.astype(np.float64) for w in net.weights[: layer + 1]]
    biases = [b.astype(np.float64) for b in net.biases[: layer + 1]]
    acts = net.layer_activations[: layer + 1]
    for t in range(steps):
        _, grad = _value_and_input_gradient(x, weights, biases, acts, j, objective)
        g = grad - 2.0 * l2 * x
        rms = float(np.sqrt(np.mean(g * g)))
        if rms > 0:
            lr_t = lr * 0.5 * (1.0 + np.cos(np.pi * t / steps))
            x = np.clip(x + (lr_t / rms) * g, 0.0, 1.0)
        value, _ = _value_and_input_gradient(x, weights, biases, acts, j, objective, need_grad=False)
        out = x.astype(np.float32)
        out.setflags(write=False)
        yield AscentStep(t + 1, steps, out, value)


def maximize_activation(
    net: Network,
    layer: int,
    j: int,
    steps: int = 200,
    lr: float = 0.05,
    l2: float = 0.01,
    seed: int | None = 0,
    x0: np.ndarray | None = None,
    objective: str = "z",
    callback: Callable[[AscentStep], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> np.ndarray:
    """The input (n_in,) float32 in [0, 1] that excites neuron (layer, j) most, found by
    iter_maximize_activation (see there for the parameters).

    callback(step) is called after every step (e.g. to emit progress from a worker);
    should_stop() is checked after every step, and when it returns True the best input so
    far is returned (so `should_stop=event.is_set` cancels from another thread).
    """
    best_x, best = None, -np.inf
    for step in iter_maximize_activation(net, layer, j, steps, lr, l2, seed, x0, objective):
        penalised = step.value - l2 * float(np.dot(step.x, step.x))
        if best_x is None or penalised > best:
            best_x, best = step.x, penalised
        if callback is not None:
            callback(step)
        if should_stop is not None and should_stop():
            break
    if best_x is None:  # steps=0
        return _initial_input(net.sizes[0], seed, x0).astype(np.float32)
    return np.array(best_x, dtype=np.float32, copy=True)


def _initial_input(n_in: int, seed: int | None, x0: np.ndarray | None) -> np.ndarray:
    """x0 clipped to [0, 1], or 0.5 grey plus N(0, 0.1²) noise drawn with seed (float64)."""
    if x0 is None:
        return np.clip(0.5 + 0.1 * np.random.default_rng(seed).standard_normal(n_in), 0.0, 1.0)
    x = np.clip(np.asarray(x0, dtype=np.float64).reshape(-1), 0.0, 1.0)
    if x.size != n_in:
        raise ValueError(f"x0 must have {n_in} values, got {x.size}")
    return x


def _value_and_input_gradient(x, weights, biases, acts, j, objective, need_grad=True):
    """f(x) and ∂f/∂x for f = z_j or a_j of the last of the given layers (x: (n_in,))."""
    zs, activations = [], [x]
    a = x
    for w, b, act in zip(weights, biases, acts):
        z = w @ a + b
        a = act.f(z)
        zs.append(z)
        activations.append(a)
    z, a, act = zs[-1], activations[-1], acts[-1]
    value = float(z[j] if objective == "z" else a[j])
    if not need_grad:
        return value, None
    delta = np.zeros_like(z)  # ∂f/∂z of the neuron's layer
    if objective == "z":
        delta[j] = 1.0
    elif act.name == "softmax":  # ∂a_j/∂z = a_j (e_j − a)
        delta = -a[j] * a
        delta[j] += a[j]
    else:
        delta[j] = act.prime_za(z[j : j + 1], a[j : j + 1])[0]
    for m in range(len(weights) - 1, 0, -1):
        delta = (delta @ weights[m]) * acts[m - 1].prime_za(zs[m - 1], activations[m])
    return value, delta @ weights[0]
