"""Extra input features computed from a point (x1, x2) of the plane, as in TensorFlow Playground.

A playground network's input is the two raw coordinates, always first, followed by any of
FEATURES in the order asked for:

    with_features(x, ["x1_x2", "sin_x1"])  # (n, 2) → (n, 4): x1, x2, x1·x2, sin x1

With x1·x2 as an input a network with no hidden layer separates XOR; with x1² and x2² it
separates a disc from a ring. The data sets (visnet.data.toy2d) and the decision surfaces
(surface.py) both use this one definition, so a network sees the same features in training
and on the plane.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

RAW_INPUTS: tuple[str, ...] = ("x1", "x2")

_FORMULAS: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "x1_sq": lambda x1, x2: x1 * x1,
    "x2_sq": lambda x1, x2: x2 * x2,
    "x1_x2": lambda x1, x2: x1 * x2,
    "sin_x1": lambda x1, x2: np.sin(x1),
    "sin_x2": lambda x1, x2: np.sin(x2),
}

FEATURES: tuple[str, ...] = tuple(_FORMULAS)  # canonical order, for check boxes and menus

FEATURE_LABELS: dict[str, str] = {
    "x1": "x₁",
    "x2": "x₂",
    "x1_sq": "x₁²",
    "x2_sq": "x₂²",
    "x1_x2": "x₁x₂",
    "sin_x1": "sin x₁",
    "sin_x2": "sin x₂",
}


def check_features(features: Sequence[str]) -> tuple[str, ...]:
    """features as a tuple, or ValueError for an unknown or repeated name."""
    if isinstance(features, str):
        raise TypeError(f"features must be a sequence of names, e.g. [{features!r}], not a string")
    names = tuple(features)
    for name in names:
        if name not in _FORMULAS:
            raise ValueError(f"unknown feature {name!r}; choose from {', '.join(FEATURES)}")
    if len(set(names)) != len(names):
        raise ValueError(f"features repeat a name: {', '.join(names)}")
    return names


def input_names(features: Sequence[str] = ()) -> tuple[str, ...]:
    """The name of each network input: ("x1", "x2", *features)."""
    return RAW_INPUTS + check_features(features)


def with_features(x: np.ndarray, features: Sequence[str] = ()) -> np.ndarray:
    """x: (n, 2) points (x1, x2) → (n, 2 + len(features)): x1, x2, then each feature in order.

    A new array of x's float dtype (float32 stays float32; integers become float64).
    """
    names = check_features(features)
    x = np.asarray(x)
    if x.ndim != 2 or x.shape[1] != 2:
        raise ValueError(f"points must have shape (n, 2), got {x.shape}")
    dtype = np.result_type(x.dtype, np.float32) if np.issubdtype(x.dtype, np.floating) else np.float64
    out = np.empty((x.shape[0], 2 + len(names)), dtype=dtype)
    out[:, :2] = x
    x1, x2 = out[:, 0], out[:, 1]
    for k, name in enumerate(names):
        out[:, 2 + k] = _FORMULAS[name](x1, x2)
    return out
