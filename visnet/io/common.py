"""Checks shared by every format: activation names, overrides, finite parameters."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence

import numpy as np

from ..core.activations import ACTIVATIONS
from ..core.costs import COSTS
from ..core.network import Network
from .errors import ModelFileError, shown

# Names other libraries use for our activations (compared lower-case, without _ and -).
ALIASES = {
    "relu": "relu",
    "leakyrelu": "leaky_relu",
    "sigmoid": "sigmoid",
    "logistic": "sigmoid",
    "tanh": "tanh",
    "identity": "identity",
    "linear": "identity",
    "none": "identity",
    "softmax": "softmax",
    "logsoftmax": "softmax",
}


def activation_name(name: object) -> str | None:
    """Our name for an activation called name, or None if there is none."""
    if not isinstance(name, str):
        return None
    if name in ACTIVATIONS:
        return name
    return ALIASES.get(name.strip().lower().replace("_", "").replace("-", "").replace("nn.", ""))


def resolve_activations(
    path: str | os.PathLike,
    names: list[str],
    activations: str | Sequence[str] | None,
    output: str | None,
    what: str = "activations",
) -> list[str]:
    """names (one per layer) with the hidden layers replaced by activations (one name, or
    a list per hidden layer or per layer) and the output layer by output."""
    n = len(names)
    hidden, out = list(names[:-1]), names[-1]
    if isinstance(activations, str):
        hidden = [activations] * (n - 1)
    elif activations is not None:
        given = list(activations)
        if len(given) == n - 1:
            hidden = given
        elif len(given) == n:
            hidden, out = given[:-1], given[-1]
        else:
            raise ModelFileError(
                path,
                f"{len(given)} {what} for {n} layers: give one per hidden layer ({n - 1}) "
                f"or one per layer including the output ({n})",
            )
    if output is not None:
        out = output
    resolved = []
    for name in hidden + [out]:
        ours = activation_name(name)
        if ours is None:
            raise ModelFileError(
                path, f"unknown activation {shown(name)} in {what}; visnet knows {', '.join(ACTIVATIONS)}"
            )
        resolved.append(ours)
    return resolved


def check_finite(path: str | os.PathLike, arrays: dict[str, np.ndarray]) -> None:
    for name, a in arrays.items():
        if not np.all(np.isfinite(a)):
            bad = int(np.size(a) - np.count_nonzero(np.isfinite(a)))
            raise ModelFileError(path, f"tensor {shown(name)} contains {bad} NaN or infinite value(s) as {a.dtype}")


def is_one_of(value: object, names) -> bool:
    """Whether value is one of the names (a file may put a list or an object there)."""
    return isinstance(value, str) and value in names


def build_network(
    path: str | os.PathLike,
    params: dict[str, np.ndarray],
    activations: list[str],
    cost: str,
    init: str,
    dtype: np.dtype | str,
    info: dict,
) -> Network:
    """The network whose parameters are params, named as in the file and in layer order
    (weight, bias, weight, bias, ...), converted to dtype. They are checked finite after
    the conversion, since a float64 1e300 is infinite as float32. Network.from_params's
    ValueErrors (e.g. cross-entropy with a tanh output) become ModelFileError."""
    if not is_one_of(cost, COSTS):
        raise ModelFileError(path, f"unknown cost {shown(cost)}; visnet knows {', '.join(COSTS)}")
    dtype = np.dtype(dtype)
    with np.errstate(over="ignore"):  # too large for dtype: becomes infinite, refused below
        converted = {name: np.asarray(a, dtype=dtype) for name, a in params.items()}
    check_finite(path, converted)
    arrays = list(converted.values())
    try:
        net = Network.from_params(arrays[0::2], arrays[1::2], activations, cost=cost, init=init, dtype=dtype)
    except ValueError as err:
        raise ModelFileError(path, f"not a usable network: {err}") from None
    net.info = info
    return net


def json_safe(value: object, where: str = "info") -> object:
    """value as plain JSON types: numpy scalars and arrays become numbers and lists,
    tuples lists, paths strings, non-finite floats null. TypeError for anything else."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, np.integer)) and not isinstance(value, np.bool_):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, (float, np.floating)):
        f = float(value)
        return f if math.isfinite(f) else None
    if isinstance(value, np.ndarray):
        return json_safe(value.tolist(), where)
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise TypeError(f"{where} has a non-string key {k!r}")
            out[k] = json_safe(v, f"{where}.{k}")
        return out
    if isinstance(value, (list, tuple)):
        return [json_safe(v, f"{where}[{i}]") for i, v in enumerate(value)]
    raise TypeError(f"{where} is a {type(value).__name__}, which cannot be stored as JSON")


# The longest input name kept: a column header, not a paragraph; the panels write names
# beside neurons and in tables.
MAX_INPUT_NAME = 200


def checked_info(path: str | os.PathLike, info: dict, n_inputs: int) -> tuple[dict, list[str]]:
    """info without the entries the window and `visnet eval` would misuse, and one warning
    (a line naming the file) per entry left out: input_names must be a list of at most
    n_inputs printable strings (of at most MAX_INPUT_NAME characters), standardization a
    {"mean": [...], "std": [...]} of n_inputs finite numbers each, with std > 0 (what a table's
    Standardization.as_dict writes). The network itself is fine without them, so a bad one
    costs a warning, not the file, as a bad training setting does (config_from_stored)."""
    kept, warnings = dict(info), []
    for key, problem in (
        ("input_names", _input_names_problem(info.get("input_names"), n_inputs)),
        ("standardization", _standardization_problem(info.get("standardization"), n_inputs)),
    ):
        if key in info and problem is not None:
            del kept[key]
            warnings.append(str(ModelFileError(path, f"{key} ignored: {problem}")))
    return kept, warnings


def _input_names_problem(names: object, n_inputs: int) -> str | None:
    if not isinstance(names, list):
        return f"{shown(names)} is not a list of names"
    if len(names) > n_inputs:
        return f"{len(names)} names for {n_inputs} inputs"
    for name in names:
        if not isinstance(name, str):
            return f"{shown(name)} is not a name"
        if not name.isprintable() or len(name) > MAX_INPUT_NAME:
            return f"{shown(name)} is not a printable name of at most {MAX_INPUT_NAME} characters"
    return None


def _standardization_problem(stored: object, n_inputs: int) -> str | None:
    if not isinstance(stored, dict) or set(stored) != {"mean", "std"}:
        return f"{shown(stored)} is not {{'mean': [...], 'std': [...]}}"
    for key in ("mean", "std"):
        values = stored[key]
        # bool is an int to Python, but no file visnet writes holds one here
        if not isinstance(values, list) or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in values
        ):
            return f"its {key} is not a list of numbers"
        if len(values) != n_inputs:
            return f"its {key} holds {len(values)} numbers for {n_inputs} inputs"
        array = np.array([_as_float(v) for v in values], dtype=np.float64)
        if not np.all(np.isfinite(array)):
            return f"its {key} holds a value that is not a finite number"
        if key == "std" and not np.all(array > 0):
            return "its std holds a value that is not above 0"
    return None


def _as_float(value: int | float) -> float:
    """float(value), an integer too large for a float64 (JSON allows any) becoming infinite."""
    try:
        return float(value)
    except OverflowError:
        return math.inf
