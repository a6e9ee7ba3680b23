"""The multilayer perceptron: dense layers, forward pass with every z and a, backpropagation.

Notation follows Nielsen and 3Blue1Brown. Layer l (1-based in the maths, 0-based in the
lists here) has weights[l] of shape (n_out, n_in): row j is neuron j's incoming weights,
the row drawn as a 28x28 picture. x is (batch, n_in) with one example per row, so the
forward pass is z = a_prev @ W.T + b and a = σ(z).

Inside, the forward and backward passes keep one example per column, as the maths writes
them (z = W a + b, δ^l = (W^(l+1))ᵀ δ^(l+1) ⊙ σ'(z^l), ∂C/∂W = δ aᵀ): every product is
then a plain or once-transposed row-major matrix product, the layout OpenBLAS runs
fastest, and z, a and δ are the transposed views (batch, n) of those columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .activations import (
    NO_GRADIENT,
    PERCEPTRON_OUTPUT,
    Activation,
    activate_into,
    get_activation,
    multiply_by_slope,
)
from .costs import check_cost, cost_value, output_delta
from .targets import (
    check_output,
    class_targets,
    n_classes,
    one_hot,  # noqa: F401  (its old home: visnet.core re-exports it from here)
    predict_classes,
)

INITS = ("he", "xavier", "normal", "large", "zeros", "constant")
CONSTANT_INIT_VALUE = 0.05


@dataclass
class ForwardCache:
    """Everything the forward pass computed: zs[l] (batch, sizes[l+1]) and
    activations[l] (batch, sizes[l]), where activations[0] is the input x."""

    zs: list[np.ndarray]
    activations: list[np.ndarray]

    @property
    def output(self) -> np.ndarray:
        return self.activations[-1]


@dataclass
class Backward:
    """deltas[l] = ∂C/∂z of layer l per example (batch, n_out), and the batch-averaged
    gradients grad_w[l] (n_out, n_in) and grad_b[l] (n_out,)."""

    deltas: list[np.ndarray]
    grad_w: list[np.ndarray]
    grad_b: list[np.ndarray]
    cost: float


class StepBuffers:
    """The arrays one forward and backward pass of `batch` examples writes, allocated once
    and reused by every training step of that batch size: z, a, δ, δ/n and the slope σ'
    of layer l as columns (sizes[l+1], batch), grad_w[l] and grad_b[l] shaped like the
    parameters. A pass that uses them returns views of them, valid until the next pass.
    backward=False makes z and a only, for a forward pass alone."""

    def __init__(self, sizes: Sequence[int], batch: int, dtype: np.dtype, backward: bool = True):
        self.sizes, self.batch, self.dtype = tuple(sizes), batch, np.dtype(dtype)

        def columns() -> list[np.ndarray]:
            return [np.empty((n_out, batch), self.dtype) for n_out in self.sizes[1:]]

        self.z, self.a = columns(), columns()
        self.delta, self.delta_mean, self.slope = (columns() if backward else [] for _ in range(3))
        pairs = list(zip(self.sizes[:-1], self.sizes[1:])) if backward else []
        self.grad_w = [np.empty((n_out, n_in), self.dtype) for n_in, n_out in pairs]
        self.grad_b = [np.empty(n_out, self.dtype) for _, n_out in pairs]

    def fits(self, sizes: Sequence[int], batch: int, dtype: np.dtype) -> bool:
        return self.sizes == tuple(sizes) and self.batch == batch and self.dtype == dtype


def _resolve_activations(n_layers: int, activations: str | Sequence[str], output: str | None) -> list[str]:
    if isinstance(activations, str):
        get_activation(activations)  # a bad name is an error even with no hidden layer
        hidden = [activations] * (n_layers - 1)
        return hidden + [output or "softmax"]
    names = list(activations)
    if len(names) == n_layers - 1:
        return names + [output or "softmax"]
    if len(names) == n_layers:
        if output is not None and output != names[-1]:
            raise ValueError(f"output={output!r} contradicts the last activation {names[-1]!r}")
        return names
    raise ValueError(
        f"{len(names)} activations for {n_layers} layers: give one per hidden layer "
        f"({n_layers - 1}) or one per layer including the output ({n_layers})"
    )


class Network:
    """A dense feed-forward network.

    sizes: neurons per layer including the input, e.g. (784, 16, 16, 10).
    activations: one name for all hidden layers, or a list per hidden layer (or per layer
        including the output). output: the output layer's activation (default softmax).
    cost: "quadratic" or "cross-entropy". init: one of INITS. dtype: float32 or float64.

    One output neuron classifies two classes (see targets.py for its targets and threshold);
    several output neurons classify one class each.
    """

    def __init__(
        self,
        sizes: Sequence[int],
        activations: str | Sequence[str] = "sigmoid",
        output: str | None = None,
        cost: str = "cross-entropy",
        init: str = "he",
        seed: int | None = 0,
        dtype: str | np.dtype = "float32",
        *,
        _draw_parameters: bool = True,  # False: from_params() sets them itself
    ):
        sizes = tuple(int(s) for s in sizes)
        if len(sizes) < 2 or any(s < 1 for s in sizes):
            raise ValueError(f"sizes must list at least two positive layer sizes, got {sizes}")
        self.sizes = sizes
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.float32, np.float64):
            raise ValueError(f"dtype must be float32 or float64, got {self.dtype}")
        names = _resolve_activations(len(sizes) - 1, activations, output)
        self._acts: list[Activation] = [get_activation(n) for n in names]
        for a in self._acts[:-1]:
            if a.output_only:
                raise ValueError(f"{a.name} can only be used on the output layer")
        check_output(names[-1], sizes[-1])
        if names[-1] == PERCEPTRON_OUTPUT and (len(sizes) != 2 or sizes[-1] != 1):
            raise ValueError(
                f"a step output is a perceptron: one output neuron and no hidden layer, e.g. "
                f"Network([{sizes[0]}, 1], output='step', cost='quadratic'), not {'-'.join(map(str, sizes))}"
            )
        check_cost(cost, self._acts[-1])
        self.cost = cost
        if init not in INITS:
            raise ValueError(f"unknown init {init!r}; choose one of {', '.join(INITS)}")
        self.init = init
        self.seed = seed
        self.weights: list[np.ndarray] = []
        self.biases: list[np.ndarray] = []
        self.info: dict = {}  # free-form metadata carried to and from model files
        if _draw_parameters:
            self.initialize(seed)

    # -- construction -------------------------------------------------------------------
    @classmethod
    def from_params(
        cls,
        weights: Sequence[np.ndarray],
        biases: Sequence[np.ndarray],
        activations: Sequence[str],
        cost: str = "cross-entropy",
        init: str = "he",
        dtype: str | np.dtype | None = None,
        *,
        copy: bool = True,
    ) -> Network:
        """A network with the given parameters; shapes must chain. copy=False shares arrays
        that already have the dtype (a snapshot's read-only ones: copying 784-512-512-10's
        took ~6 ms per frame) instead of copying them."""
        if len(weights) != len(biases) or not weights:
            raise ValueError("need one bias vector per weight matrix, and at least one layer")
        sizes = [weights[0].shape[1]]
        for l, (w, b) in enumerate(zip(weights, biases)):
            if w.ndim != 2 or b.shape != (w.shape[0],) or w.shape[1] != sizes[-1]:
                raise ValueError(f"layer {l}: weight {w.shape} and bias {b.shape} do not chain from {sizes[-1]} inputs")
            sizes.append(w.shape[0])
        dtype = np.dtype(dtype) if dtype is not None else np.result_type(weights[0].dtype, np.float32)
        net = cls(sizes, list(activations), cost=cost, init=init, seed=None, dtype=dtype, _draw_parameters=False)
        take = np.array if copy else np.asarray
        net.weights = [take(w, dtype=dtype) for w in weights]
        net.biases = [take(b, dtype=dtype) for b in biases]
        return net

    def initialize(self, seed: int | None = None) -> None:
        """(Re)draw all parameters with this network's init scheme."""
        rng = np.random.default_rng(seed)
        self.weights, self.biases = [], []
        for n_in, n_out in zip(self.sizes[:-1], self.sizes[1:]):
            w, b = _draw(self.init, rng, n_in, n_out)
            self.weights.append(w.astype(self.dtype))
            self.biases.append(b.astype(self.dtype))

    def copy(self) -> Network:
        net = Network.from_params(self.weights, self.biases, self.activations, self.cost, self.init, self.dtype)
        net.seed = self.seed
        net.info = _deep_copy_info(self.info)
        return net

    # -- description --------------------------------------------------------------------
    @property
    def activations(self) -> list[str]:
        """One activation name per layer, the output's last."""
        return [a.name for a in self._acts]

    @property
    def layer_activations(self) -> list[Activation]:
        return list(self._acts)

    @property
    def n_layers(self) -> int:
        """Number of weight layers (the input is not a layer)."""
        return len(self.weights)

    @property
    def n_classes(self) -> int:
        """Classes told apart: 2 with one output neuron, otherwise one per output neuron."""
        return n_classes(self.sizes[-1])

    @property
    def n_params(self) -> int:
        return sum(w.size + b.size for w, b in zip(self.weights, self.biases))

    def __repr__(self) -> str:
        arch = "-".join(map(str, self.sizes))
        return f"Network({arch}, {'/'.join(self.activations)}, cost={self.cost}, {self.n_params:,} params)"

    def _as_input(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x)
        if x.ndim == 1:
            x = x[None, :]
        if x.ndim != 2 or x.shape[1] != self.sizes[0]:
            raise ValueError(f"input must have shape (batch, {self.sizes[0]}), got {x.shape}")
        return x.astype(self.dtype, copy=False)

    def _as_target(self, y: np.ndarray, n: int) -> np.ndarray:
        """Accept class indices (batch,) or targets (batch, n_out): one-hot or real values,
        and for one output the column targets.class_targets makes."""
        y = np.asarray(y)
        n_out = self.sizes[-1]
        if y.ndim == 1 and y.shape[0] == n and np.issubdtype(y.dtype, np.integer):
            return class_targets(y, n_out, self._acts[-1].name, self.dtype)
        if y.shape != (n, n_out):
            raise ValueError(f"targets must be class indices ({n},) or an array ({n}, {n_out}), got {y.shape}")
        return y.astype(self.dtype, copy=False)

    # -- forward --------------------------------------------------------------------------
    def forward(self, x: np.ndarray) -> np.ndarray:
        """Output activations (batch, n_out) for x (batch, n_in)."""
        return np.ascontiguousarray(self._forward_cache(self._as_input(x)).output)

    def forward_cache(self, x: np.ndarray) -> ForwardCache:
        """Every layer's z and a for x (batch, n_in), each a (batch, n) row-major array."""
        cache = self._forward_cache(self._as_input(x))
        rows = [np.ascontiguousarray(a) for a in cache.activations[1:]]
        return ForwardCache([np.ascontiguousarray(z) for z in cache.zs], [cache.activations[0], *rows])

    def _forward_cache(self, x: np.ndarray, buffers: StepBuffers | None = None) -> ForwardCache:
        """forward_cache() for the trainer: x (batch, n_in) of this network's dtype; z and a
        are transposed views of buffers' columns (new ones when None)."""
        buffers = buffers or StepBuffers(self.sizes, x.shape[0], self.dtype, backward=False)
        zs, acts = [], [x]
        a = x.T
        for l, (w, b, act) in enumerate(zip(self.weights, self.biases, self._acts)):
            z = _affine(w, a, b, out=buffers.z[l])
            a = activate_into(act, z, out=buffers.a[l])
            zs.append(z.T)
            acts.append(a.T)
        return ForwardCache(zs, acts)

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Class indices (batch,): the brightest output neuron, or for one output neuron
        class 1 where its output is above the threshold (targets.predict_classes)."""
        return predict_classes(self, self.forward(x))

    def cost_of(self, x: np.ndarray, y: np.ndarray) -> float:
        x = self._as_input(x)
        return cost_value(self.cost, self.forward(x), self._as_target(y, x.shape[0]), self._acts[-1])

    # -- backward -------------------------------------------------------------------------
    def backward(self, cache: ForwardCache, y: np.ndarray) -> Backward:
        """Backpropagation: δ^L from the cost, δ^l = ((W^(l+1))ᵀ δ^(l+1)) ⊙ σ'(z^l), then
        ∂C/∂W^l = δ^l a^(l-1)ᵀ and ∂C/∂b^l = δ^l, averaged over the batch. Raises
        ValueError for a step output, which has no gradient (the perceptron rule trains it)."""
        n = cache.activations[0].shape[0]
        back = self._backward(_column_views(cache), self._as_target(y, n), n)
        back.deltas = [np.ascontiguousarray(delta) for delta in back.deltas]
        return back

    def _backward(self, cache: ForwardCache, y: np.ndarray, n: int, buffers: StepBuffers | None = None) -> Backward:
        """backward() without input checks, for the trainer's inner loop: y targets (n, n_out);
        deltas and gradients are views of buffers' arrays (new ones when None)."""
        out = self._acts[-1]
        if not out.differentiable:  # a step output's slope is 0: refuse rather than return zeros
            raise ValueError(NO_GRADIENT)
        buffers = buffers or StepBuffers(self.sizes, n, self.dtype)
        cost = cost_value(self.cost, cache.output, y, out)
        L = self.n_layers
        delta = output_delta(self.cost, cache.zs[-1], cache.output, y, out, out=buffers.delta[-1].T).T
        deltas: list[np.ndarray] = [None] * L  # type: ignore[list-item]
        inv_n = self.dtype.type(1.0 / n)
        for l in range(L - 1, -1, -1):
            if l < L - 1:
                delta = np.matmul(self.weights[l + 1].T, delta, out=buffers.delta[l])
                multiply_by_slope(self._acts[l], delta, cache.zs[l].T, cache.activations[l + 1].T, buffers.slope[l])
            deltas[l] = delta.T
            # Averaging δ (the smallest operand) once is one pass over it, not over the gradient.
            delta_mean = np.multiply(delta, inv_n, out=buffers.delta_mean[l])
            np.matmul(delta_mean, cache.activations[l], out=buffers.grad_w[l])
            np.add.reduce(delta_mean, axis=1, out=buffers.grad_b[l])  # np.sum without its Python wrapper
        return Backward(deltas, list(buffers.grad_w), list(buffers.grad_b), cost)

    def gradients(self, x: np.ndarray, y: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """(grad_w, grad_b) per layer, averaged over the batch; same shapes as the parameters."""
        back = self.backward(self.forward_cache(x), y)
        return list(zip(back.grad_w, back.grad_b))

    def per_example_gradients(self, x: np.ndarray, y: np.ndarray, layer: int) -> tuple[np.ndarray, np.ndarray]:
        """For one layer, each example's own gradient: grad_w (batch, n_out, n_in) and
        grad_b (batch, n_out). Their mean over axis 0 is the batch gradient. Meant for
        small batches (the stepper's averaging table)."""
        if not 0 <= layer < self.n_layers:
            raise IndexError(f"layer {layer} out of range 0..{self.n_layers - 1}")
        cache = self.forward_cache(x)
        back = self.backward(cache, y)
        delta = back.deltas[layer]
        a_prev = cache.activations[layer]
        return delta[:, :, None] * a_prev[:, None, :], delta.copy()


def training_bytes(sizes: Sequence[int], dtype: str | np.dtype = "float32", batch: int = 10) -> int:
    """A fair estimate of the bytes training a network of these sizes takes: the parameters
    and the trainer's four copies of their shape (gradients, momentum velocities, the last
    update and the divergence checkpoint), z, a and δ of every layer for `batch` rows, and
    the float64 draw of the largest layer's initial weights. The inputs are the data set's."""
    sizes = [int(s) for s in sizes]
    itemsize = np.dtype(dtype).itemsize
    layer_params = [n_in * n_out + n_out for n_in, n_out in zip(sizes[:-1], sizes[1:])]
    activations = 3 * batch * sum(sizes[1:])
    return itemsize * (5 * sum(layer_params) + activations) + 8 * max(layer_params, default=0)


def _column_views(cache: ForwardCache) -> ForwardCache:
    """cache with every z and a (but the input) held as columns, the layout _forward_cache
    makes: BLAS may pick another kernel for another layout, and the trainer's numbers must
    be backward()'s bit for bit."""
    columns = [np.ascontiguousarray(z.T).T for z in cache.zs]
    return ForwardCache(columns, [cache.activations[0], *(np.ascontiguousarray(a.T).T for a in cache.activations[1:])])


def _affine(w: np.ndarray, a: np.ndarray, b: np.ndarray, out: np.ndarray) -> np.ndarray:
    """z = W a + b into out (n_out, batch), for a (n_in, batch) with one example per column:
    OpenBLAS multiplies a row-major W by a column block about twice as fast as a by Wᵀ."""
    np.matmul(w, a, out=out)
    out += b[:, None]
    return out


def _draw(init: str, rng: np.random.Generator, n_in: int, n_out: int) -> tuple[np.ndarray, np.ndarray]:
    shape = (n_out, n_in)
    if init == "he":
        return rng.normal(0.0, np.sqrt(2.0 / n_in), shape), np.zeros(n_out)
    if init == "xavier":
        limit = np.sqrt(6.0 / (n_in + n_out))
        return rng.uniform(-limit, limit, shape), np.zeros(n_out)
    if init == "normal":  # Nielsen's network2.py default_weight_initializer
        return rng.normal(0.0, 1.0 / np.sqrt(n_in), shape), rng.normal(0.0, 1.0, n_out)
    if init == "large":  # Nielsen's network.py / large_weight_initializer
        return rng.normal(0.0, 1.0, shape), rng.normal(0.0, 1.0, n_out)
    if init == "zeros":
        return np.zeros(shape), np.zeros(n_out)
    if init == "constant":
        return np.full(shape, CONSTANT_INIT_VALUE), np.full(n_out, CONSTANT_INIT_VALUE)
    raise ValueError(f"unknown init {init!r}; choose one of {', '.join(INITS)}")


def _deep_copy_info(info: dict) -> dict:
    import copy

    return copy.deepcopy(info)
