"""Mini-batch stochastic gradient descent: momentum, L2 weight decay, learning-rate schedules.

The update for every parameter p with gradient g (batch-averaged ∂C/∂p) is
    v ← μ v − η (g + λ p)        (weights only get the λ p term; biases are not decayed)
    p ← p + v
and with μ = 0 simply p ← p − η (g + λ p). λ here is a per-step weight-decay coefficient:
Nielsen's λ/n (λ = 5, n = 50,000) is 1e-4.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

SCHEDULES = ("constant", "step", "exponential", "cosine")


@dataclass
class Schedule:
    """η as a function of training progress t in (fractional) epochs.

    step: η·γ^⌊t / step_epochs⌋; exponential: η·γ^t; cosine: anneals η to 0 over
    total_epochs, η·½(1 + cos(π t / total_epochs)).
    """

    kind: str = "constant"
    gamma: float = 0.5
    step_epochs: float = 1.0
    total_epochs: float = 10.0

    def __post_init__(self):
        if self.kind not in SCHEDULES:
            raise ValueError(f"unknown schedule {self.kind!r}; choose one of {', '.join(SCHEDULES)}")

    def factor(self, t: float) -> float:
        if self.kind == "constant":
            return 1.0
        if self.kind == "step":
            return self.gamma ** math.floor(t / self.step_epochs)
        if self.kind == "exponential":
            return self.gamma**t
        return 0.5 * (1.0 + math.cos(math.pi * min(t, self.total_epochs) / self.total_epochs))


def sgd_update(
    params: np.ndarray,
    grad: np.ndarray,
    velocity: np.ndarray | None,
    eta: float,
    momentum: float = 0.0,
    lmbda: float = 0.0,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Apply one SGD step to params in place and return the change made.

    With momentum, velocity (required then) is updated in place and returned as the
    change, so it is only valid until the next step. out (shaped like params) holds the
    intermediate terms instead of new arrays; without momentum it is the change returned.
    """
    dtype = params.dtype.type
    step = grad
    if lmbda:
        step = np.multiply(params, dtype(lmbda), out=out)
        step = np.add(grad, step, out=step)
    if momentum:
        velocity *= dtype(momentum)
        velocity -= np.multiply(step, dtype(eta), out=out)
        step = velocity
    else:
        step = np.multiply(step, dtype(-eta), out=out)
    params += step
    return step
