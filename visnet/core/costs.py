"""Cost functions C(a, y) averaged over a mini-batch, and the output error δ^L = ∂C/∂z^L.

y holds the targets (batch, n_out) that targets.py makes from the labels: one-hot rows
for several outputs, one column for a single output neuron (0/1, or −1/+1 for tanh and
identity). The quadratic cost is Nielsen's network.py C = 1/(2n) Σ‖y − a‖²; cross-entropy
is categorical with a softmax output and binary per output (network2.py) with a sigmoid
output, whose δ = a − y: for one sigmoid output that is the usual binary cross-entropy
−[y ln a + (1 − y) ln(1 − a)].
"""

from __future__ import annotations

import numpy as np

from .activations import Activation

COSTS = ("quadratic", "cross-entropy")
_EPS = 1e-12


def cost_value(name: str, a: np.ndarray, y: np.ndarray, output: Activation) -> float:
    """Mean cost over the batch: a, y of shape (batch, n_out)."""
    n = a.shape[0]
    if name == "quadratic":
        d = (a - y).ravel()
        return float(0.5 * np.dot(d, d) / n)
    if name == "cross-entropy":
        eps = _EPS if a.dtype == np.float64 else 1e-7
        if output.name == "softmax":
            return float(-np.vdot(y, np.log(np.maximum(a, eps))) / n)
        p = np.clip(a, eps, 1.0 - eps)
        return float(-np.sum(y * np.log(p) + (1 - y) * np.log(1 - p)) / n)
    raise ValueError(f"unknown cost {name!r}; choose one of {', '.join(COSTS)}")


def output_delta(
    name: str, z: np.ndarray, a: np.ndarray, y: np.ndarray, output: Activation, out: np.ndarray | None = None
) -> np.ndarray:
    """δ^L = ∇_a C ⊙ σ'(z^L) per example (not divided by the batch size), written into out
    (batch, n_out) when given."""
    if name == "quadratic":
        if output.name == "softmax":
            # Full softmax Jacobian: δ_i = a_i (g_i − Σ_k g_k a_k) with g = a − y.
            g = a - y
            delta = a * (g - np.sum(g * a, axis=1, keepdims=True))
        else:
            delta = (a - y) * output.prime(z)
    elif name == "cross-entropy":  # the constructor checked the output is softmax or sigmoid
        # σ' cancels for softmax and sigmoid: the reason cross-entropy learns fast
        return np.subtract(a, y, out=out)
    else:
        raise ValueError(f"unknown cost {name!r}; choose one of {', '.join(COSTS)}")
    if out is None:
        return delta
    out[...] = delta
    return out


def check_cost(name: str, output: Activation) -> None:
    """Reject combinations whose cost is undefined, with a message that says why."""
    if name not in COSTS:
        raise ValueError(f"unknown cost {name!r}; choose one of {', '.join(COSTS)}")
    if name == "cross-entropy" and output.name == "step":
        raise ValueError(
            "cross-entropy needs outputs in (0, 1), and a step output is exactly 0 or 1: use the quadratic "
            "cost, which for a step output is half the fraction misclassified"
        )
    if name == "cross-entropy" and output.name not in ("softmax", "sigmoid"):
        raise ValueError(f"cross-entropy needs outputs in (0, 1): use a softmax or sigmoid output, not {output.name}")
