"""Activation functions σ and their derivatives σ'(z), vectorized over a mini-batch.

Every function takes z of shape (batch, n) and returns an array of the same shape and dtype.
Softmax couples the outputs of a row, so it has no element-wise derivative; it is only
used on the output layer together with the cross-entropy cost (see costs.py).

step is the perceptron's activation: 1 where z > 0, else 0. Its slope is 0 wherever it is
defined, so backpropagation cannot train it and refuses to (Network.backward raises
ValueError); a step neuron is trained by the perceptron rule instead
(training.TrainConfig(rule="perceptron")). It is only allowed as the single output of a
network with no hidden layer: Network([2, 1], output="step", cost="quadratic").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

LEAKY_SLOPE = 0.01


def sigmoid(z: np.ndarray) -> np.ndarray:
    # 0.5 * (1 + tanh(z/2)) equals 1 / (1 + e^-z) but never overflows.
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def sigmoid_prime(z: np.ndarray) -> np.ndarray:
    s = sigmoid(z)
    return s * (1.0 - s)


def relu(z: np.ndarray) -> np.ndarray:
    return np.maximum(z, 0)


def relu_prime(z: np.ndarray) -> np.ndarray:
    return (z > 0).astype(z.dtype)


def leaky_relu(z: np.ndarray) -> np.ndarray:
    return np.where(z > 0, z, z * z.dtype.type(LEAKY_SLOPE))


def leaky_relu_prime(z: np.ndarray) -> np.ndarray:
    return np.where(z > 0, z.dtype.type(1), z.dtype.type(LEAKY_SLOPE))


def tanh(z: np.ndarray) -> np.ndarray:
    return np.tanh(z)


def tanh_prime(z: np.ndarray) -> np.ndarray:
    t = np.tanh(z)
    return 1.0 - t * t


def identity(z: np.ndarray) -> np.ndarray:
    return z


def identity_prime(z: np.ndarray) -> np.ndarray:
    return np.ones_like(z)


def step(z: np.ndarray) -> np.ndarray:
    """The Heaviside step: 1 where z > 0, 0 where z <= 0 (so a neuron with zero weights says 0)."""
    return (z > 0).astype(z.dtype)


NO_GRADIENT = (
    "backpropagation needs the output activation's slope, and a step output has none (it is 0 "
    "wherever it is defined): a step neuron is a perceptron, trained without gradients by the "
    "perceptron rule, TrainConfig(rule='perceptron')"
)


def step_prime(z: np.ndarray) -> np.ndarray:
    raise ValueError(NO_GRADIENT)


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def softmax_prime(z: np.ndarray) -> np.ndarray:
    raise ValueError("softmax has no element-wise derivative; pair it with the cross-entropy cost")


def _prime_from_a(name: str) -> Callable[[np.ndarray, np.ndarray], np.ndarray] | None:
    """σ'(z) written with the already computed a = σ(z): fewer passes over memory."""
    if name == "sigmoid":
        return lambda z, a: a * (1.0 - a)
    if name == "tanh":
        return lambda z, a: 1.0 - a * a
    return None


@dataclass(frozen=True)
class Activation:
    name: str
    f: Callable[[np.ndarray], np.ndarray]
    prime: Callable[[np.ndarray], np.ndarray]
    bounded: bool  # True when outputs lie in a fixed range, so cells can be shaded 0..1
    output_only: bool = False
    differentiable: bool = True  # False: backpropagation cannot train it (step)

    def __call__(self, z: np.ndarray) -> np.ndarray:
        return self.f(z)

    def prime_za(self, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        """σ'(z), given z and a = σ(z)."""
        fast = _prime_from_a(self.name)
        return fast(z, a) if fast is not None else self.prime(z)


def activate_into(act: Activation, z: np.ndarray, out: np.ndarray) -> np.ndarray:
    """a = σ(z) written into out, for z (n, batch) with one example per column (softmax
    normalises each column). The same operations as act.f, in place: no temporaries."""
    if act.name == "sigmoid":
        np.multiply(z, 0.5, out=out)
        np.tanh(out, out=out)
        out += 1.0
        out *= 0.5
    elif act.name == "relu":
        np.maximum(z, 0, out=out)
    elif act.name == "softmax":
        np.subtract(z, z.max(axis=0), out=out)
        np.exp(out, out=out)
        out /= out.sum(axis=0)
    else:
        out[...] = act.f(z)
    return out


def multiply_by_slope(act: Activation, delta: np.ndarray, z: np.ndarray, a: np.ndarray, scratch: np.ndarray) -> None:
    """delta ⊙= σ'(z) in place, σ' taken from the stored a = σ(z) where it can be (the same
    numbers as act.prime_za; scratch, shaped like z, saves allocating it)."""
    if act.name == "sigmoid":
        np.subtract(1.0, a, out=scratch)
        scratch *= a
    elif act.name == "tanh":
        np.multiply(a, a, out=scratch)
        np.subtract(1.0, scratch, out=scratch)
    else:
        scratch[...] = act.prime_za(z, a)
    delta *= scratch


ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in (
        Activation("sigmoid", sigmoid, sigmoid_prime, bounded=True),
        Activation("relu", relu, relu_prime, bounded=False),
        Activation("leaky_relu", leaky_relu, leaky_relu_prime, bounded=False),
        Activation("tanh", tanh, tanh_prime, bounded=True),
        Activation("identity", identity, identity_prime, bounded=False),
        Activation("softmax", softmax, softmax_prime, bounded=True, output_only=True),
        Activation("step", step, step_prime, bounded=True, output_only=True, differentiable=False),
    )
}

HIDDEN_ACTIVATIONS = tuple(name for name, a in ACTIVATIONS.items() if not a.output_only)
# The output activations backpropagation trains (the CLI's --output, the app's output menu).
# "step" is not one of them: it is the perceptron's, chosen with TrainConfig(rule="perceptron").
OUTPUT_ACTIVATIONS = tuple(name for name, a in ACTIVATIONS.items() if a.differentiable)
PERCEPTRON_OUTPUT = "step"


def get_activation(name: str) -> Activation:
    try:
        return ACTIVATIONS[name]
    except KeyError:
        raise ValueError(f"unknown activation {name!r}; choose one of {', '.join(ACTIVATIONS)}") from None
