"""Saturated and dead hidden layers: why a network stops learning without any NaN.

A hidden neuron learns through σ'(z). A sigmoid or tanh neuron whose |z| is large for
every input sits on a flat tail of its curve (σ'(6) ≈ 0.0025, 1 % of σ's peak slope;
tanh'(3) ≈ 0.0099, 1 % of tanh's), and a ReLU neuron whose z ≤ 0 for every input has
σ'(z) = 0 everywhere: no gradient reaches its weights, so it never changes again. A huge
learning rate does this to most of a layer in a few steps; the loss then sits still and
the gradients read 0, which looks like a converged network unless someone says why.

diagnose() looks at one forward pass over a few hundred inputs and names the worst layer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .network import Network

# |z| beyond which a neuron's slope is under 1 % of its activation's steepest slope.
SATURATION_Z = {"sigmoid": 6.0, "tanh": 3.0}
DEAD_ACTIVATIONS = ("relu",)  # leaky ReLU keeps a slope of 0.01 below 0: it is never dead
NEARLY_EVERY_INPUT = 0.95  # a neuron is saturated when |z| is that large for this share of inputs
MOST_OF_A_LAYER = 0.5  # the share of a layer's neurons that makes the layer worth a warning


@dataclass(frozen=True)
class Diagnosis:
    """What stops the network learning, for the user.

    kind: "saturated" (sigmoid/tanh neurons on the flat tails of their curve) or "dead"
    (ReLU neurons with z ≤ 0 for every input). layers: indices into net.weights of the
    hidden layers affected, fractions: the share of each one's neurons affected.
    message: one sentence with the numbers; remedy: one sentence saying what to do.
    """

    kind: str
    layers: tuple[int, ...]
    fractions: tuple[float, ...]
    message: str
    remedy: str


def saturated_neurons(z: np.ndarray, limit: float) -> np.ndarray:
    """Per neuron (column of z (batch, n)), whether |z| > limit for nearly every input."""
    with np.errstate(invalid="ignore"):
        return np.mean(np.abs(z) > limit, axis=0) >= NEARLY_EVERY_INPUT


def dead_neurons(z: np.ndarray) -> np.ndarray:
    """Per neuron (column of z (batch, n)), whether z ≤ 0 for every input."""
    with np.errstate(invalid="ignore"):
        return np.all(z <= 0, axis=0)


def diagnose(net: Network, x: np.ndarray) -> Diagnosis | None:
    """The worst saturated or dead hidden layer of net on inputs x (batch, n_in), or None
    when no hidden layer has most of its neurons saturated or dead (or x is empty).

    A few hundred inputs suffice: a neuron is flagged only when nearly every one of them
    agrees, which one pass over a small fixed set tells as well as the whole test split.
    """
    if len(x) == 0 or net.n_layers < 2:
        return None
    with np.errstate(over="ignore", invalid="ignore"):  # parameters of a run about to diverge
        zs = net.forward_cache(x).zs
    found: dict[str, list[tuple[int, float]]] = {"saturated": [], "dead": []}
    for l, (z, name) in enumerate(zip(zs[:-1], net.activations[:-1])):
        if name in SATURATION_Z:
            kind, flagged = "saturated", saturated_neurons(z, SATURATION_Z[name])
        elif name in DEAD_ACTIVATIONS:
            kind, flagged = "dead", dead_neurons(z)
        else:
            continue
        fraction = float(np.mean(flagged))
        if fraction >= MOST_OF_A_LAYER:
            found[kind].append((l, fraction))
    worst = max(found, key=lambda k: max((f for _, f in found[k]), default=0.0))
    hits = found[worst]
    if not hits:
        return None
    layers = tuple(l for l, _ in hits)
    fractions = tuple(f for _, f in hits)
    where = _layers_text(net, hits)
    if worst == "saturated":
        names = sorted({net.activations[l] for l in layers})
        limits = (
            " or ".join(f"{SATURATION_Z[n]:g} ({n})" for n in names)
            if len(names) > 1
            else f"{SATURATION_Z[names[0]]:g}"
        )
        message = (
            f"Saturated neurons: {where} have |z| > {limits} for nearly every input, so σ'(z) is "
            "under 1 % of its peak and almost no gradient reaches their weights."
        )
        remedy = (
            "Lower the learning rate η and start again from N(0, 1/n) initial weights (init 'normal' "
            "or 'xavier'), or use ReLU in the hidden layers."
        )
    else:
        message = (
            f"Dead neurons: {where} have z ≤ 0 for every input, so ReLU's slope there is 0 and "
            "their weights can never change again."
        )
        remedy = (
            "Lower the learning rate η and start again from fresh He initial weights, or use "
            "leaky ReLU, whose slope below 0 keeps every neuron learning."
        )
    return Diagnosis(worst, layers, fractions, message, remedy)


def _layers_text(net: Network, hits: list[tuple[int, float]]) -> str:
    """'92 % of hidden layer 1's 16 neurons (sigmoid) and 100 % of hidden layer 2's 16 neurons'."""
    parts = [
        f"{100 * f:.0f} % of hidden layer {l + 1}'s {net.sizes[l + 1]} {net.activations[l]} neurons" for l, f in hits
    ]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
