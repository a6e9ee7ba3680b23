"""Backpropagation as an ordered list of named steps: the stepper's source of truth.

trace_backprop(net, x, labels, eta, ...) runs one SGD step on one example (or a small
mini-batch) and records every intermediate with the name it has in the maths:

    forward   z1, a1, z2, a2, ..., zL, aL        z^l = W^l a^(l-1) + b^l,  a^l = σ(z^l)
    cost      C                                  C(a^L, y)
    backward  deltaL, ..., delta1                δ^L from the cost, δ^l = ((W^(l+1))ᵀ δ^(l+1)) ⊙ σ'(z^l)
    gradient  grad_wL, grad_bL, ..., grad_w1, grad_b1   ∂C/∂W^l = δ^l (a^(l-1))ᵀ, ∂C/∂b^l = δ^l
    update    [velocity_w1,] update_w1, [velocity_b1,] update_b1, ..., C_after

Layers are numbered as in the maths in step names and formulas (the input is a0, the
first weight layer is 1) and 0-based in TraceStep.layer and the helpers' `layer`
arguments, like Network.weights. Every array keeps the batch axis: z1 is (batch, n1).

The numbers are not re-derived: they come from Network.forward_cache and
Network.backward, and the update is optim.sgd_update applied to copies, in the order
Trainer.step applies it. So a trace's new parameters are bit-identical to one
Trainer.step on the same batch with the same eta, momentum, λ and velocities, and the
network passed in is never modified.

The helpers turn a trace into what the stepper draws: neuron_equation (the terms of one
z_j or δ_j, largest first) with format_equation, wishes/all_wishes (how much each neuron
wants the previous layer to change, as 3Blue1Brown draws it), gradient_check (backprop
against a centred finite difference in float64) and minibatch_table (per-example
gradients and their average).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from .network import Network
from .optim import sgd_update
from .targets import labels_from_targets

PHASES = ("forward", "cost", "backward", "gradient", "update")
EQUATION_KINDS = ("z", "delta")

_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
_SUBSCRIPT = str.maketrans("0123456789ijk", "₀₁₂₃₄₅₆₇₈₉ᵢⱼₖ")
_SYMBOL = {
    "sigmoid": "σ",
    "relu": "ReLU",
    "leaky_relu": "LeakyReLU",
    "tanh": "tanh",
    "identity": "id",
    "softmax": "softmax",
}
_LATEX = {
    "identity": r"\mathrm{id}",
    "sigmoid": r"\sigma",
    "relu": r"\mathrm{ReLU}",
    "leaky_relu": r"\mathrm{LeakyReLU}",
    "tanh": r"\tanh",
    "softmax": r"\mathrm{softmax}",
}


# -- the trace ------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class TraceStep:
    """One named step of backpropagation.

    name: the quantity computed ("z2", "a2", "C", "delta3", "grad_w1", "update_b1", "C_after").
    phase: one of PHASES. layer: 0-based weight-layer index (None for the costs).
    formula: unicode ("z² = W²a¹ + b²"); latex: the same in LaTeX. description: in words.
    inputs: the named read-only arrays the formula uses (scalars such as η are 0-d arrays).
    result: the read-only array computed, with the batch axis where there is one.
    """

    name: str
    phase: str
    layer: int | None
    formula: str
    latex: str
    description: str
    inputs: Mapping[str, np.ndarray]
    result: np.ndarray


@dataclass(frozen=True, eq=False)
class Trace:
    """The steps of one SGD step on (x, y), and what they produced.

    x: (batch, n_in), y: targets (batch, n_out) (one-hot, or a column for one output; see
    targets.py), labels: (batch,) (targets.labels_from_targets(y) when targets were
    given). weights/biases: the parameters before the update; new_weights/new_biases/
    new_velocity_w/new_velocity_b: after it. cost_before and cost_after are the cost on
    the same batch before and after. All arrays read-only.
    """

    steps: tuple[TraceStep, ...]
    x: np.ndarray
    y: np.ndarray
    labels: np.ndarray
    sizes: tuple[int, ...]
    activation_names: tuple[str, ...]
    cost_name: str
    weights: tuple[np.ndarray, ...]
    biases: tuple[np.ndarray, ...]
    new_weights: tuple[np.ndarray, ...]
    new_biases: tuple[np.ndarray, ...]
    new_velocity_w: tuple[np.ndarray, ...]
    new_velocity_b: tuple[np.ndarray, ...]
    cost_before: float
    cost_after: float
    eta: float
    momentum: float
    lmbda: float

    # -- looking steps up ---------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.steps)

    def __iter__(self) -> Iterator[TraceStep]:
        return iter(self.steps)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.steps)

    def index_of(self, name: str) -> int:
        """Position of the step called name (KeyError if there is none)."""
        for i, s in enumerate(self.steps):
            if s.name == name:
                return i
        raise KeyError(f"no step {name!r} in this trace; steps are {', '.join(self.names)}")

    def step(self, name: str) -> TraceStep:
        return self.steps[self.index_of(name)]

    def phase_steps(self, phase: str) -> tuple[TraceStep, ...]:
        """The steps of one phase, in order."""
        if phase not in PHASES:
            raise ValueError(f"unknown phase {phase!r}; choose one of {', '.join(PHASES)}")
        return tuple(s for s in self.steps if s.phase == phase)

    # -- the quantities, as ForwardCache and Backward name them ---------------------------
    def array(self, name: str) -> np.ndarray:
        """Any named array of the trace: a step's result ("z2") or input ("sigma_prime1", "W2", "eta")."""
        for s in self.steps:
            if s.name == name:
                return s.result
            if name in s.inputs:
                return s.inputs[name]
        raise KeyError(f"no array {name!r} in this trace")

    @property
    def n_layers(self) -> int:
        return len(self.weights)

    @property
    def batch_size(self) -> int:
        return self.x.shape[0]

    @property
    def zs(self) -> tuple[np.ndarray, ...]:
        """zs[l]: (batch, sizes[l+1]), as Network.forward_cache computes them."""
        return tuple(self.step(f"z{l + 1}").result for l in range(self.n_layers))

    @property
    def activations(self) -> tuple[np.ndarray, ...]:
        """activations[0] is x, activations[l+1] = σ(zs[l])."""
        return (self.x,) + tuple(self.step(f"a{l + 1}").result for l in range(self.n_layers))

    @property
    def deltas(self) -> tuple[np.ndarray, ...]:
        """deltas[l] = ∂C/∂z per example (batch, sizes[l+1]), as Network.backward computes them."""
        return tuple(self.step(f"delta{l + 1}").result for l in range(self.n_layers))

    @property
    def sigma_primes(self) -> tuple[np.ndarray | None, ...]:
        """σ'(zs[l]) for the hidden layers as backward uses it; None for the output layer."""
        return tuple(
            self.step(f"delta{l + 1}").inputs[f"sigma_prime{l + 1}"] if l < self.n_layers - 1 else None
            for l in range(self.n_layers)
        )

    @property
    def grad_w(self) -> tuple[np.ndarray, ...]:
        return tuple(self.step(f"grad_w{l + 1}").result for l in range(self.n_layers))

    @property
    def grad_b(self) -> tuple[np.ndarray, ...]:
        return tuple(self.step(f"grad_b{l + 1}").result for l in range(self.n_layers))


def trace_backprop(
    net: Network,
    x: np.ndarray,
    labels_or_onehot: np.ndarray | int,
    eta: float,
    momentum: float = 0.0,
    lmbda: float = 0.0,
    velocity_w: Sequence[np.ndarray] | None = None,
    velocity_b: Sequence[np.ndarray] | None = None,
) -> Trace:
    """Trace one SGD step of net on x without modifying net.

    x: (batch, n_in) or one example (n_in,). labels_or_onehot: class indices (batch,)
    (or one int for one example), or targets (batch, n_out). eta, momentum, lmbda: as
    optim.sgd_update takes them (λ decays the weights only). velocity_w/velocity_b: the
    optimiser's velocities per layer (zeros when None); they are copied, not updated.
    Meant for one example or a small mini-batch (the stepper shows up to 16).
    Raises ValueError for a step output: a perceptron learns without gradients, so there
    is no backpropagation to trace (training.perceptron_rule is its whole update).
    """
    if not (eta > 0 and np.isfinite(eta)):
        raise ValueError(f"the learning rate must be a positive number, got {eta}")
    if not 0 <= momentum < 1:
        raise ValueError(f"momentum must be in [0, 1), got {momentum}")
    if lmbda < 0:
        raise ValueError(f"L2 (lmbda) must be >= 0, got {lmbda}")
    work = net.copy()
    x = work._as_input(x)
    n = x.shape[0]
    labels, y = _labels_and_targets(work, labels_or_onehot, n)
    vel_w = _velocities(velocity_w, work.weights, "velocity_w")
    vel_b = _velocities(velocity_b, work.biases, "velocity_b")

    # The numbers, computed exactly as Trainer.step computes them.
    cache = work.forward_cache(x)
    back = work.backward(cache, y)

    L = work.n_layers
    acts = work.layer_activations
    names = tuple(a.name for a in acts)
    batch = n > 1
    t = _Steps()
    t.put("a0", cache.activations[0])
    t.put("y", y)
    for l in range(L):
        k = l + 1
        t.put(f"W{k}", work.weights[l])
        t.put(f"b{k}", work.biases[l])
        t.put(f"z{k}", cache.zs[l])
        t.put(f"a{k}", cache.activations[k])
        t.put(f"delta{k}", back.deltas[l])
        t.put(f"grad_w{k}", back.grad_w[l])
        t.put(f"grad_b{k}", back.grad_b[l])
        if l < L - 1:  # σ'(z^l) exactly as Network.backward computes it
            t.put(f"sigma_prime{k}", acts[l].prime_za(cache.zs[l], cache.activations[k]))
    if work.cost == "quadratic" and names[-1] != "softmax":  # as costs.output_delta computes it
        t.put(f"sigma_prime{L}", acts[-1].prime(cache.zs[-1]))

    _forward_steps(t, names)
    t.put("C", np.asarray(back.cost, dtype=np.float64))
    formula, latex = _cost_formula(work.cost, names[-1], L, batch)
    average = ", averaged over the batch" if batch else ""
    description = f"{work.cost} cost of the output against the target{average}"
    t.add("C", "cost", None, formula, latex, description, f"a{L}", "y")
    _backward_steps(t, names, work.cost)
    _gradient_steps(t, L, batch)

    # The update, exactly as Trainer.step applies it: layer by layer, weights then biases.
    dtype = work.dtype.type
    t.put("eta", np.asarray(dtype(eta)))
    t.put("mu", np.asarray(dtype(momentum)))
    t.put("lambda", np.asarray(dtype(lmbda)))
    new_w = [w.copy() for w in work.weights]
    new_b = [b.copy() for b in work.biases]
    for l in range(L):
        for kind, params, velocity, decay in (("w", new_w, vel_w, lmbda), ("b", new_b, vel_b, 0.0)):
            if momentum:
                t.put(f"velocity_{kind}{l + 1}_before", velocity[l])
            sgd_update(params[l], t[f"grad_{kind}{l + 1}"], velocity[l], eta, momentum, decay)
            _update_steps(t, kind, l, momentum, decay, params[l], velocity[l])

    work.weights, work.biases = new_w, new_b
    t.put(f"a{L}_after", work.forward(x))
    cost_after = work.cost_of(x, y)
    t.put("C_after", np.asarray(cost_after, dtype=np.float64))
    t.add(
        "C_after",
        "update",
        None,
        f"C(a{_sup(L)}, y) after the update",
        rf"C({_tex('a', L)}, y)\ \text{{after the update}}",
        "cost on the same example" + ("s" if batch else "") + " with the updated parameters",
        f"a{L}_after",
        "y",
    )
    return Trace(
        steps=tuple(t.steps),
        x=t["a0"],
        y=t["y"],
        labels=_frozen(labels),
        sizes=tuple(work.sizes),
        activation_names=names,
        cost_name=work.cost,
        weights=tuple(t[f"W{l + 1}"] for l in range(L)),
        biases=tuple(t[f"b{l + 1}"] for l in range(L)),
        new_weights=tuple(_frozen(w) for w in new_w),
        new_biases=tuple(_frozen(b) for b in new_b),
        new_velocity_w=tuple(_frozen(w) for w in vel_w),
        new_velocity_b=tuple(_frozen(b) for b in vel_b),
        cost_before=float(back.cost),
        cost_after=float(cost_after),
        eta=float(eta),
        momentum=float(momentum),
        lmbda=float(lmbda),
    )


def _forward_steps(t: _Steps, names: tuple[str, ...]) -> None:
    """z^l = W^l a^(l−1) + b^l and a^l = σ(z^l) for l = 1..L."""
    for l, name in enumerate(names):
        k, m, p = l + 1, _sup(l + 1), _sup(l)
        t.add(
            f"z{k}",
            "forward",
            l,
            f"z{m} = W{m}a{p} + b{m}",
            f"{_tex('z', k)} = {_tex('W', k)} {_tex('a', l)} + {_tex('b', k)}",
            f"weighted inputs of layer {k}: each neuron's weights times the previous activations, plus its bias",
            f"W{k}",
            f"a{l}",
            f"b{k}",
        )
        if name == "identity":
            formula, latex = f"a{m} = z{m}", f"{_tex('a', k)} = {_tex('z', k)}"
        else:
            formula, latex = f"a{m} = {_SYMBOL[name]}(z{m})", f"{_tex('a', k)} = {_LATEX[name]}({_tex('z', k)})"
        description = f"activations of layer {k}: {name} of the weighted inputs"
        t.add(f"a{k}", "forward", l, formula, latex, description, f"z{k}")


def _backward_steps(t: _Steps, names: tuple[str, ...], cost: str) -> None:
    """δ^L from the cost (as costs.output_delta), then δ^l = ((W^(l+1))ᵀ δ^(l+1)) ⊙ σ'(z^l)."""
    L = len(names)
    m, output = _sup(L), names[-1]
    aL, dL = _tex("a", L), _tex(r"\delta", L)
    inputs: tuple[str, ...] = (f"a{L}", "y")
    if cost == "quadratic" and output == "softmax":
        formula = f"δ{m} = a{m} ⊙ (g − (g·a{m})),  g = a{m} − y"
        latex = rf"{dL} = {aL} \odot \left(g - (g \cdot {aL})\right),\; g = {aL} - y"
        description = "output error through the full softmax Jacobian, with ∇_a C = a − y"
    elif cost == "quadratic":
        inputs = (f"a{L}", "y", f"z{L}", f"sigma_prime{L}")
        if output == "identity":
            formula, latex = f"δ{m} = a{m} − y", f"{dL} = {aL} - y"
        else:
            formula = f"δ{m} = (a{m} − y) ⊙ {_SYMBOL[output]}′(z{m})"
            latex = rf"{dL} = ({aL} - y) \odot {_LATEX[output]}'({_tex('z', L)})"
        description = "output error: ∇_a C = a − y times the slope of the output activation"
    else:
        formula, latex = f"δ{m} = a{m} − y", f"{dL} = {aL} - y"
        description = f"output error: with cross-entropy the slope of {output} cancels"
    t.add(f"delta{L}", "backward", L - 1, formula, latex, description, *inputs)
    for l in range(L - 2, -1, -1):
        k, m, q = l + 1, _sup(l + 1), _sup(l + 2)
        d, d_next = _tex(r"\delta", k), _tex(r"\delta", k + 1)
        t.add(
            f"delta{k}",
            "backward",
            l,
            f"δ{m} = ((W{q})ᵀδ{q}) ⊙ {_SYMBOL[names[l]]}′(z{m})",
            rf"{d} = \left(({_tex('W', k + 1)})^\top {d_next}\right) \odot {_LATEX[names[l]]}'({_tex('z', k)})",
            f"error of layer {k}: layer {k + 1}'s error sent back through its weights, times the slope of {names[l]}",
            f"W{k + 1}",
            f"delta{k + 1}",
            f"z{k}",
            f"sigma_prime{k}",
        )


def _gradient_steps(t: _Steps, L: int, batch: bool) -> None:
    """∂C/∂W^l = δ^l (a^(l−1))ᵀ and ∂C/∂b^l = δ^l for l = L..1, in the order backward makes them."""
    mean, mean_l, x, x_l = ("(1/n) Σₓ ", r"\frac{1}{n} \sum_x ", "ₓ", "_x") if batch else ("", "", "", "")
    average = ", averaged over the batch" if batch else ""
    for l in range(L - 1, -1, -1):
        k, m, p = l + 1, _sup(l + 1), _sup(l)
        delta = _tex(r"\delta", k) + x_l
        t.add(
            f"grad_w{k}",
            "gradient",
            l,
            f"∂C/∂W{m} = {mean}δ{m}{x}(a{p}{x})ᵀ",
            rf"\frac{{\partial C}}{{\partial {_tex('W', k)}}} = {mean_l}{delta} ({_tex('a', l)}{x_l})^\top",
            f"gradient of layer {k}'s weights: each neuron's error times the activation feeding the weight{average}",
            f"delta{k}",
            f"a{l}",
        )
        t.add(
            f"grad_b{k}",
            "gradient",
            l,
            f"∂C/∂b{m} = {mean}δ{m}{x}",
            rf"\frac{{\partial C}}{{\partial {_tex('b', k)}}} = {mean_l}{delta}",
            f"gradient of layer {k}'s biases: the neurons' errors{average}",
            f"delta{k}",
        )


def _update_steps(
    t: _Steps, kind: str, l: int, momentum: float, decay: float, new: np.ndarray, velocity: np.ndarray
) -> None:
    """The velocity step (with momentum only) and the update step of one parameter array,
    as optim.sgd_update makes them: v ← μv − η(g + λp), p ← p + v; or p ← p − η(g + λp)."""
    k, m = l + 1, _sup(l + 1)
    P = "W" if kind == "w" else "b"
    what = "weights" if kind == "w" else "biases"
    name, grad_name = f"{P}{k}", f"grad_{kind}{k}"
    grad, grad_l = f"∂C/∂{P}{m}", rf"\frac{{\partial C}}{{\partial {_tex(P, k)}}}"
    if decay:
        step, step_l = f"η({grad} + λ{P}{m})", rf"\eta\left({grad_l} + \lambda {_tex(P, k)}\right)"
        scalars: tuple[str, ...] = ("eta", "lambda")
    else:
        step, step_l = f"η {grad}", rf"\eta\,{grad_l}"
        scalars = ("eta",)
    with_decay = " with weight decay" if decay else ""
    if momentum:
        vname = f"velocity_{kind}{k}"
        vel, vel_l = f"v_{P}{m}", f"v_{{{P}}}^{{{k}}}"
        t.put(vname, velocity)
        t.add(
            vname,
            "update",
            l,
            f"{vel} ← μ{vel} − {step}",
            rf"{vel_l} \leftarrow \mu {vel_l} - {step_l}",
            f"velocity of layer {k}'s {what}: the old velocity times μ, minus η times the gradient{with_decay}",
            f"{vname}_before",
            grad_name,
            name,
            "mu",
            *scalars,
        )
        formula, latex = f"{P}{m} ← {P}{m} + {vel}", rf"{_tex(P, k)} \leftarrow {_tex(P, k)} + {vel_l}"
        inputs: tuple[str, ...] = (name, vname)
        description = f"new {what} of layer {k}: the old ones plus the velocity"
    else:
        formula, latex = f"{P}{m} ← {P}{m} − {step}", rf"{_tex(P, k)} \leftarrow {_tex(P, k)} - {step_l}"
        inputs = (name, grad_name, *scalars)
        description = f"new {what} of layer {k}: a step of size η against the gradient{with_decay}"
    t.put(f"update_{kind}{k}", new)
    t.add(f"update_{kind}{k}", "update", l, formula, latex, description, *inputs)


class _Steps:
    """The trace being built: read-only copies of the arrays, each stored once under its
    name and shared between the steps that use it, and the steps in order."""

    def __init__(self) -> None:
        self._arrays: dict[str, np.ndarray] = {}
        self.steps: list[TraceStep] = []

    def put(self, name: str, array: np.ndarray) -> None:
        self._arrays[name] = _frozen(array)

    def __getitem__(self, name: str) -> np.ndarray:
        return self._arrays[name]

    def add(
        self, name: str, phase: str, layer: int | None, formula: str, latex: str, description: str, *inputs: str
    ) -> None:
        """Append the step whose result is the array stored as name."""
        given = MappingProxyType({i: self._arrays[i] for i in inputs})
        self.steps.append(TraceStep(name, phase, layer, formula, latex, description, given, self._arrays[name]))


def _frozen(a: np.ndarray) -> np.ndarray:
    a = np.array(a, copy=True)
    a.setflags(write=False)
    return a


def _sup(n: int) -> str:
    return str(n).translate(_SUPERSCRIPT)


def _sub(n: int | str) -> str:
    return str(n).translate(_SUBSCRIPT)


def quantity(symbol: str, layer: int, *index: int | str) -> str:
    """The name of one number as 3Blue1Brown and Nielsen write it: the layer as a
    superscript, the neuron (and for a weight, its input) as subscripts: quantity("a", 2, 8)
    is "a²₈", quantity("w", 2, 8, 3) is "w²₈,₃"; "i", "j", "k" give ᵢ, ⱼ, ₖ. layer is
    numbered as in the maths (the input is 0)."""
    return symbol + _sup(layer) + ",".join(_sub(i) for i in index)


def _tex(symbol: str, k: int) -> str:
    return f"{symbol}^{{{k}}}"


def _labels_and_targets(net: Network, labels_or_onehot, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Class indices (n,) and targets (n, n_out) from either; one example's may be 0-d/1-D."""
    t = np.asarray(labels_or_onehot)
    if t.ndim == 0:
        t = t[None]
    if t.ndim == 1 and np.issubdtype(t.dtype, np.integer) and t.shape[0] == n:
        t = t.astype(np.int64)
        return t, net._as_target(t, n)  # checks the labels' range
    if t.ndim == 1 and n == 1:
        t = t[None, :]
    y = net._as_target(t, n)
    return labels_from_targets(net, y), y


def _velocities(given: Sequence[np.ndarray] | None, params: list[np.ndarray], what: str) -> list[np.ndarray]:
    if given is None:
        return [np.zeros_like(p) for p in params]
    if len(given) != len(params):
        raise ValueError(f"{what}: need one array per layer ({len(params)}), got {len(given)}")
    out = []
    for l, (g, p) in enumerate(zip(given, params)):
        g = np.array(g, dtype=p.dtype, copy=True)
        if g.shape != p.shape:
            raise ValueError(f"{what}[{l}] has shape {g.shape}, the parameters {p.shape}")
        out.append(g)
    return out


def _cost_formula(cost: str, output: str, L: int, batch: bool) -> tuple[str, str]:
    m = _sup(L)
    mean, mean_l = ("(1/n) Σₓ ", r"\frac{1}{n} \sum_x ") if batch else ("", "")
    if cost == "quadratic":
        return f"C = {mean}½‖y − a{m}‖²", rf"C = {mean_l}\tfrac{{1}}{{2}} \lVert y - a^{{{L}}} \rVert^2"
    if output == "softmax":
        return f"C = −{mean}Σⱼ yⱼ ln a{m}ⱼ", rf"C = -{mean_l}\sum_j y_j \ln a^{{{L}}}_j"
    return (
        f"C = −{mean}Σⱼ [yⱼ ln a{m}ⱼ + (1 − yⱼ) ln(1 − a{m}ⱼ)]",
        rf"C = -{mean_l}\sum_j \left[y_j \ln a^{{{L}}}_j + (1 - y_j) \ln(1 - a^{{{L}}}_j)\right]",
    )


# -- one neuron's equation ------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class NeuronEquation:
    """The numbers behind one neuron's z or δ for one example: data, not text.

    Written as Nielsen does, with l = layer + 1 the layer in the maths, j this neuron:
    kind "z":                      zˡⱼ = Σᵢ wˡⱼ,ᵢ aˡ⁻¹ᵢ + bˡⱼ, terms over the previous layer
    kind "delta", hidden layer:    δˡⱼ = (Σₖ wˡ⁺¹ₖ,ⱼ δˡ⁺¹ₖ) · σ′(zˡⱼ), terms over the next layer
    kind "delta", output layer L:  δᴸⱼ = aᴸⱼ − yⱼ (cross-entropy), (aᴸⱼ − yⱼ)·σ′(zᴸⱼ)
                                   (quadratic), aᴸⱼ·(gⱼ − Σₖ gₖ aᴸₖ), g = aᴸ − y (quadratic
                                   with softmax); no terms, total is the bracket.
    formula: that equation with the layer and j filled in ("z²₃ = Σᵢ w²₃,ᵢ a¹ᵢ + b²₃").
    indices/weights/inputs/products: the shown terms, largest |product| first (the term
    i has weight wˡⱼ,ᵢ and input aˡ⁻¹ᵢ for z; weight wˡ⁺¹ᵢ,ⱼ and input δˡ⁺¹ᵢ for δ).
    n_terms: all terms of the sum; rest: the sum of those not shown. total: the whole sum
    (float64). bias: bˡⱼ (z only). factor: what total is multiplied by (σ′(zˡⱼ), or aᴸⱼ for
    softmax with the quadratic cost; None when there is none). value: zˡⱼ or δˡⱼ as the
    trace computed it. activation: aˡⱼ (z, and the output δ); target: yⱼ (output δ).
    """

    kind: str
    layer: int
    j: int
    example: int
    formula: str
    indices: np.ndarray
    weights: np.ndarray
    inputs: np.ndarray
    products: np.ndarray
    n_terms: int
    rest: float
    total: float
    bias: float | None
    factor: float | None
    value: float
    activation: float | None = None
    target: float | None = None

    @property
    def is_output_delta(self) -> bool:
        return self.kind == "delta" and self.n_terms == 0

    @property
    def n_omitted(self) -> int:
        return self.n_terms - len(self.indices)


def neuron_equation(
    trace: Trace, layer: int, j: int, kind: str = "z", example: int = 0, top: int | None = 8
) -> NeuronEquation:
    """The terms of neuron j's z_j or δ_j in weight layer `layer` (0-based) for one example
    of the trace, the `top` largest in magnitude first (all of them when top is None)."""
    L = trace.n_layers
    if kind not in EQUATION_KINDS:
        raise ValueError(f"unknown kind {kind!r}; choose one of {', '.join(EQUATION_KINDS)}")
    _check_index("layer", layer, L)
    _check_index("neuron", j, trace.sizes[layer + 1])
    _check_index("example", example, trace.batch_size)
    k = layer + 1
    if kind == "z":
        weights = trace.weights[layer][j]
        inputs = trace.activations[layer][example]
        return _terms(
            "z",
            layer,
            j,
            example,
            f"{quantity('z', k, j)} = Σᵢ {quantity('w', k, j, 'i')} {quantity('a', layer, 'i')} + {quantity('b', k, j)}",
            weights,
            inputs,
            top,
            bias=float(trace.biases[layer][j]),
            factor=None,
            value=float(trace.zs[layer][example, j]),
            activation=float(trace.activations[k][example, j]),
        )
    value = float(trace.deltas[layer][example, j])
    if layer < L - 1:
        sigma_prime = trace.sigma_primes[layer]
        assert sigma_prime is not None  # only the output layer has none
        return _terms(
            "delta",
            layer,
            j,
            example,
            f"{quantity('δ', k, j)} = (Σₖ {quantity('w', k + 1, 'k', j)} {quantity('δ', k + 1, 'k')}) · σ′({quantity('z', k, j)})",
            trace.weights[layer + 1][:, j],
            trace.deltas[layer + 1][example],
            top,
            bias=None,
            factor=float(sigma_prime[example, j]),
            value=value,
        )
    a = trace.activations[L][example].astype(np.float64)
    y = trace.y[example].astype(np.float64)
    output = trace.activation_names[-1]
    if trace.cost_name == "quadratic" and output == "softmax":
        g = a - y
        total, factor = float(g[j] - np.dot(g, a)), float(a[j])
        formula = (
            f"{quantity('δ', L, j)} = {quantity('a', L, j)} · (g{_sub(j)} − Σₖ gₖ {quantity('a', L, 'k')}),  "
            f"g = a{_sup(L)} − y"
        )
    elif trace.cost_name == "quadratic" and output != "identity":
        total = float(a[j] - y[j])
        factor = float(trace.step(f"delta{L}").inputs[f"sigma_prime{L}"][example, j])
        formula = f"{quantity('δ', L, j)} = ({quantity('a', L, j)} − y{_sub(j)}) · σ′({quantity('z', L, j)})"
    else:
        total, factor = float(a[j] - y[j]), None
        formula = f"{quantity('δ', L, j)} = {quantity('a', L, j)} − y{_sub(j)}"
    empty = _frozen(np.empty(0))
    return NeuronEquation(
        "delta",
        layer,
        j,
        example,
        formula,
        _frozen(np.empty(0, dtype=np.int64)),
        empty,
        empty,
        empty,
        0,
        0.0,
        total,
        None,
        factor,
        value,
        activation=float(a[j]),
        target=float(y[j]),
    )


def _terms(
    kind, layer, j, example, formula, weights, inputs, top, *, bias, factor, value, activation=None
) -> NeuronEquation:
    """The products w·input in float64, the largest |product| first."""
    weights = weights.astype(np.float64)
    inputs = inputs.astype(np.float64)
    products = weights * inputs
    order = np.argsort(-np.abs(products), kind="stable")
    shown = order if top is None else order[: max(int(top), 0)]
    total = float(products.sum())
    rest = float(products[order[len(shown) :]].sum())
    return NeuronEquation(
        kind,
        layer,
        j,
        example,
        formula,
        _frozen(shown),
        _frozen(weights[shown]),
        _frozen(inputs[shown]),
        _frozen(products[shown]),
        len(products),
        rest,
        total,
        bias,
        factor,
        value,
        activation,
    )


def format_equation(eq: NeuronEquation, digits: int = 2, show_rest: bool = False) -> str:
    """One readable line with the real numbers, e.g.
    "δ_3 = (0.12·0.40 + (−0.30)·0.21 + …) · 0.19 = 0.0041" or
    "z_3 = 0.12·0.40 + (−0.30)·0.21 + … + (−0.05) = 1.23".
    show_rest adds the omitted terms' count and sum: "… (+0.013 from 14 more)"."""
    num = lambda v: _num(v, digits)  # noqa: E731
    par = lambda v: _num(v, digits, paren=True)  # noqa: E731
    symbol = "z" if eq.kind == "z" else "δ"
    if eq.is_output_delta:
        if eq.factor is None:
            body = f"{num(eq.activation)} − {num(eq.target)}"
        elif "Σₖ g" in eq.formula:  # softmax with the quadratic cost: a_j · (g_j − Σ g a)
            body = f"{num(eq.factor)} · {par(eq.total)}"
        else:
            body = f"({num(eq.activation)} − {num(eq.target)}) · {num(eq.factor)}"
        return f"{quantity('δ', eq.layer + 1, eq.j)} = {body} = {num(eq.value)}"
    terms = [f"{par(w)}·{par(a)}" for w, a in zip(eq.weights, eq.inputs)]
    if eq.n_omitted:
        terms.append(f"… ({_num(eq.rest, digits, sign=True)} from {eq.n_omitted} more)" if show_rest else "…")
    s = " + ".join(terms) if terms else "0"
    if eq.kind == "z":
        s = f"{s} + {par(eq.bias)}"
    else:
        s = f"({s}) · {num(eq.factor)}"
    return f"{quantity(symbol, eq.layer + 1, eq.j)} = {s} = {num(eq.value)}"


def _num(v: float, digits: int = 2, paren: bool = False, sign: bool = False) -> str:
    """A short number: fixed decimals, significant figures when small, − for minus."""
    v = float(v)
    a = abs(v)
    if a == 0:
        s = "0"
    elif a >= 10 ** (-digits) and a < 1e5:
        s = f"{a:.{digits}f}"
    elif a >= 1e-4 and a < 1e5:
        s = f"{a:.{digits}g}"
    else:
        s = f"{a:.{max(digits - 1, 0)}e}"
    if v < 0:
        s = "−" + s
        return f"({s})" if paren else s
    return "+" + s if sign else s


# -- wishes: how much each neuron wants the previous layer to change ------------------------
@dataclass(frozen=True, eq=False)
class NeuronWishes:
    """What neuron j of weight layer `layer` wants from the previous layer's activations.

    contributions[k] = w_jk δ_j: neuron j's term of ∂C/∂a_k. The change it wishes for is
    nudges = −contributions (brighter where w_jk δ_j < 0), in proportion to how strongly
    it is connected and how wrong it is. delta: δ_j (averaged over the batch when the
    wishes are). weights: row j of W (n_prev,).
    """

    layer: int
    j: int
    example: int | None
    delta: float
    weights: np.ndarray
    contributions: np.ndarray

    @property
    def nudges(self) -> np.ndarray:
        return -self.contributions

    @property
    def order(self) -> np.ndarray:
        """Previous-layer neurons, the strongest wish first."""
        return np.argsort(-np.abs(self.contributions), kind="stable")


@dataclass(frozen=True, eq=False)
class LayerWishes:
    """Every neuron's wishes for the previous layer, and their sum, as 3Blue1Brown draws it.

    contributions: (n_out, n_prev), row j = w_jk δ_j. total: (n_prev,) = Σ_j w_jk δ_j =
    (Wᵀδ)_k = ∂C/∂a_k, the previous layer's desired change (as −total) before the σ'
    factor. delta_prev: total ⊙ σ'(z) of the previous layer = its δ (None when the
    previous layer is the input, which cannot change).
    """

    layer: int
    example: int | None
    contributions: np.ndarray
    total: np.ndarray
    delta_prev: np.ndarray | None

    @property
    def nudges(self) -> np.ndarray:
        return -self.contributions

    @property
    def total_nudge(self) -> np.ndarray:
        return -self.total


def all_wishes(trace: Trace, layer: int, example: int | None = None) -> LayerWishes:
    """The wishes of every neuron of weight layer `layer` (0-based) for layer-1's
    activations, for one example or (example=None) averaged over the batch, as the
    gradient is. total and delta_prev use backward's own arithmetic (δ W, then ⊙ σ')."""
    _check_index("layer", layer, trace.n_layers)
    if example is not None:
        _check_index("example", example, trace.batch_size)
    w = trace.weights[layer]
    delta = trace.deltas[layer]
    total = delta @ w  # (batch, n_prev), as Network.backward computes it
    prime = trace.sigma_primes[layer - 1] if layer > 0 else None
    delta_prev = total * prime if prime is not None else None
    if example is None:
        d = delta.mean(axis=0)
        total = total.mean(axis=0)
        delta_prev = delta_prev.mean(axis=0) if delta_prev is not None else None
    else:
        d, total = delta[example], total[example]
        delta_prev = delta_prev[example] if delta_prev is not None else None
    return LayerWishes(
        layer, example, _frozen(w * d[:, None]), _frozen(total), None if delta_prev is None else _frozen(delta_prev)
    )


def wishes(trace: Trace, layer: int, output_j: int, example: int | None = None) -> NeuronWishes:
    """How much neuron output_j of weight layer `layer` wants each neuron of the previous
    layer to change (contributions ∝ w_jk δ_j; see NeuronWishes)."""
    _check_index("layer", layer, trace.n_layers)
    _check_index("neuron", output_j, trace.sizes[layer + 1])
    if example is not None:
        _check_index("example", example, trace.batch_size)
    delta = trace.deltas[layer][:, output_j]
    d = delta.mean() if example is None else delta[example]
    w = trace.weights[layer][output_j]
    return NeuronWishes(layer, output_j, example, float(d), w, _frozen(w * d))


# -- checks and tables ------------------------------------------------------------------------
@dataclass(frozen=True)
class GradientCheck:
    """Backprop's ∂C/∂p against the centred difference (C(p+ε) − C(p−ε)) / 2ε, in float64.

    relative_difference = |analytic − numeric| / max(|analytic|, |numeric|) (0 when both
    are 0). Near a ReLU kink the finite difference is wrong, not backprop.
    """

    layer: int
    param: str
    index: tuple[int, ...]
    analytic: float
    numeric: float
    eps: float

    @property
    def abs_difference(self) -> float:
        return abs(self.analytic - self.numeric)

    @property
    def relative_difference(self) -> float:
        scale = max(abs(self.analytic), abs(self.numeric))
        return self.abs_difference / scale if scale > 0 else 0.0


def gradient_check(
    net: Network, x: np.ndarray, labels, layer: int, i: int, j: int | None = None, param: str = "w", eps: float = 1e-4
) -> GradientCheck:
    """Check ∂C/∂W[layer][i, j] (param "w": row i is neuron i, column j its input) or
    ∂C/∂b[layer][i] (param "b") on a float64 copy of net; net is not modified."""
    if param not in ("w", "b"):
        raise ValueError(f"param must be 'w' or 'b', got {param!r}")
    net64 = Network.from_params(net.weights, net.biases, net.activations, net.cost, net.init, dtype="float64")
    _check_index("layer", layer, net64.n_layers)
    index: tuple[int, ...]
    if param == "w":
        if j is None:
            raise ValueError("a weight needs two indices: i (the neuron) and j (its input)")
        _check_index("neuron", i, net64.sizes[layer + 1])
        _check_index("input", j, net64.sizes[layer])
        params, index = net64.weights[layer], (i, j)
    else:
        _check_index("neuron", i, net64.sizes[layer + 1])
        params, index = net64.biases[layer], (i,)
    x = net64._as_input(x)
    _, y = _labels_and_targets(net64, labels, x.shape[0])
    trace = trace_backprop(net64, x, y, eta=1.0)
    analytic = float((trace.grad_w if param == "w" else trace.grad_b)[layer][index])
    old = params[index]
    params[index] = old + eps
    plus = net64.cost_of(x, y)
    params[index] = old - eps
    minus = net64.cost_of(x, y)
    params[index] = old
    return GradientCheck(layer, param, index, analytic, (plus - minus) / (2 * eps), eps)


@dataclass(frozen=True, eq=False)
class MinibatchTable:
    """Per-example gradients of chosen parameters of one layer, and their average.

    params: (i, j) for the weight W[i, j], an int i for the bias b[i]; names: as quantity()
    writes them, "w²₃,₄" or "b²₃". per_example: (n_params, batch), column e is example e's own ∂C/∂p.
    average: the mean of the columns; batch_gradient: the same from Network.backward.
    """

    layer: int
    params: tuple[tuple[int, int] | int, ...]
    names: tuple[str, ...]
    labels: np.ndarray
    per_example: np.ndarray
    average: np.ndarray
    batch_gradient: np.ndarray


def minibatch_table(
    net: Network, x: np.ndarray, labels, layer: int, params: Sequence[tuple[int, int] | int]
) -> MinibatchTable:
    """The stepper's averaging table: rows are the chosen parameters of weight layer
    `layer` (0-based), columns the examples of x (batch, n_in); see MinibatchTable."""
    _check_index("layer", layer, net.n_layers)
    x = net._as_input(x)
    lab, y = _labels_and_targets(net, labels, x.shape[0])
    grad_w, grad_b = net.per_example_gradients(x, y, layer)
    back = net.backward(net.forward_cache(x), y)
    rows, batch_rows, names = [], [], []
    keys: list[tuple[int, int] | int] = []
    for p in params:
        if isinstance(p, (int, np.integer)):
            i = int(p)
            _check_index("neuron", i, net.sizes[layer + 1])
            rows.append(grad_b[:, i])
            batch_rows.append(back.grad_b[layer][i])
            names.append(quantity("b", layer + 1, i))
            keys.append(i)
        else:
            i, j = (int(q) for q in p)
            _check_index("neuron", i, net.sizes[layer + 1])
            _check_index("input", j, net.sizes[layer])
            rows.append(grad_w[:, i, j])
            batch_rows.append(back.grad_w[layer][i, j])
            names.append(quantity("w", layer + 1, i, j))
            keys.append((i, j))
    per_example = np.array(rows, dtype=net.dtype).reshape(len(rows), x.shape[0])
    return MinibatchTable(
        layer,
        tuple(keys),
        tuple(names),
        _frozen(lab),
        _frozen(per_example),
        _frozen(per_example.mean(axis=1)),
        _frozen(np.array(batch_rows, dtype=net.dtype)),
    )


def _check_index(what: str, i: int, n: int) -> None:
    if not 0 <= i < n:
        raise IndexError(f"{what} {i} out of range 0..{n - 1}")
