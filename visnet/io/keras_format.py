"""Keras 3 .keras files of a Sequential of Dense layers, read without Keras.

A .keras file is a zip archive holding config.json (the model's structure as JSON),
model.weights.h5 (the variables, in HDF5) and metadata.json. visnet reads the JSON itself
and the HDF5 with h5py (the optional extra visnet[keras]), from memory.

What opens: InputLayer, Flatten before the first Dense layer, Dense layers with a relu,
sigmoid, tanh, softmax or linear activation, Activation, Softmax and ReLU layers right after
a linear Dense layer, and Dropout, GaussianDropout, GaussianNoise and Identity, which do
nothing at inference. Anything else is refused with the first layer that does not fit.

Keras stores the weights of layer k of a Sequential at layers/<name>/vars/0 (kernel,
(n_in, n_out), transposed here to visnet's (n_out, n_in)) and vars/1 (bias), where <name>
is the layer's class in snake case numbered by its occurrence (dense, dense_1, ...) among
the model's layers, whatever the layer is called in config.json.
"""

from __future__ import annotations

import io
import json
import math
import os
import re
from dataclasses import dataclass, field

import numpy as np

from ..core.network import Network
from .common import build_network, resolve_activations
from .container import MAX_FILE
from .errors import ModelFileError, shown
from .zip_archive import open_archive, read_member

KERAS_FORMAT = "keras"
CONFIG = "config.json"
WEIGHTS = "model.weights.h5"
METADATA = "metadata.json"
MAX_JSON = 2**24  # a config of thousands of layers is a few megabytes
MAX_UNITS = 2**24
MAX_NAME = 200
NEEDS_H5PY = "reading .keras files needs h5py: pip install visnet[keras]"

# Keras's names for the activations visnet has. Keras's leaky_relu has slope 0.2 and
# visnet's 0.01, so it is refused rather than silently changed.
KERAS_ACTIVATIONS = {"relu": "relu", "sigmoid": "sigmoid", "tanh": "tanh", "softmax": "softmax", "linear": "identity"}
INFERENCE_IDENTITIES = ("Dropout", "GaussianDropout", "GaussianNoise", "Identity")
LEAKY_SLOPE = 0.01
# What h5py raises on a damaged or unexpected HDF5 file.
_H5_ERRORS = (OSError, KeyError, ValueError, TypeError, RuntimeError, AttributeError, OverflowError, MemoryError)


def _snake_case(class_name: str) -> str:
    """Keras's naming.to_snake_case, which names the weight groups."""
    name = re.sub(r"\W+", "", class_name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def _read_json(path, archive, name: str) -> object:
    raw = read_member(path, archive, name, MAX_JSON)
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as err:
        raise ModelFileError(path, f"{name} is not valid JSON ({err})") from None


def _activation(path, name: object, where: str) -> str:
    if not isinstance(name, str) or name not in KERAS_ACTIVATIONS:
        hint = " (Keras's leaky_relu has slope 0.2, visnet's 0.01)" if name == "leaky_relu" else ""
        raise ModelFileError(
            path, f"{where} has activation {shown(name)}{hint}; visnet opens {', '.join(KERAS_ACTIVATIONS)}"
        )
    return KERAS_ACTIVATIONS[name]


@dataclass
class _DenseLayer:
    name: str  # as config.json names it, or #k for the k-th layer when that name is unusable
    group: str  # the HDF5 group holding its variables: layers/<group>/vars
    units: int
    use_bias: bool
    activation: str  # visnet's name; an Activation layer after it may replace identity


@dataclass
class _Plan:
    """What config.json says: the input shape without the batch (None if not given) and the
    Dense layers in order."""

    input_shape: list[int] | None = None
    dense: list[_DenseLayer] = field(default_factory=list)


def _positive_ints(value: object) -> list[int] | None:
    """A Keras shape without its batch dimension, when every dimension is known."""
    if not (isinstance(value, list) and 2 <= len(value) <= 8 and value[0] is None):
        return None
    dims = value[1:]
    if all(type(d) is int and 1 <= d <= MAX_UNITS for d in dims):
        return dims
    return None


def _plan(path, config: object) -> _Plan:
    def fail(problem: str) -> ModelFileError:
        return ModelFileError(path, problem)

    if not isinstance(config, dict):
        raise fail("config.json is not a JSON object")
    kind = config.get("class_name")
    if kind != "Sequential":
        raise fail(f"a Keras {shown(kind)} model; visnet opens Sequential models of Dense layers")
    inner = config.get("config")
    layers = inner.get("layers") if isinstance(inner, dict) else None
    if not isinstance(layers, list):
        raise fail("config.json has no list of layers")
    plan = _Plan()
    if isinstance(inner, dict):
        plan.input_shape = _positive_ints(inner.get("build_input_shape"))
    used: dict[str, int] = {}
    for k, layer in enumerate(layers):
        if not isinstance(layer, dict) or not isinstance(layer.get("config"), dict):
            raise fail(f"layer {k} in config.json is not a Keras layer object")
        cls, cfg = layer.get("class_name"), layer["config"]
        name = cfg.get("name")
        if not (isinstance(name, str) and len(name) <= MAX_NAME):
            name = f"#{k}"
        where = f"layer {shown(name)} ({shown(cls)})"
        if cls == "InputLayer":
            if k != 0:
                raise fail(f"{where} comes after other layers")
            plan.input_shape = _positive_ints(cfg.get("batch_shape", cfg.get("batch_input_shape"))) or plan.input_shape
            continue
        if not isinstance(cls, str):
            raise fail(f"layer {k} in config.json has no class name")
        group = _snake_case(cls)
        if group in used:
            used[group] += 1
            group = f"{group}_{used[group]}"
        else:
            used[group] = 0
        if cls == "Dense":
            plan.dense.append(_dense(path, cfg, name, where, group))
        elif cls == "Flatten":
            if plan.dense:
                raise fail(f"{where} comes after a Dense layer; visnet flattens only the input")
        elif cls in INFERENCE_IDENTITIES:
            pass
        elif cls in ("Activation", "Softmax", "ReLU", "LeakyReLU"):
            _apply_activation(path, plan, _layer_activation(path, cls, cfg, where), where)
        else:
            raise fail(
                f"{where} is not a layer visnet opens (Dense, with Flatten at the input, Activation, Softmax, "
                "ReLU and Dropout)"
            )
    if not plan.dense:
        raise fail("the Keras model has no Dense layer")
    return plan


def _dense(path, cfg: dict, name: str, where: str, group: str) -> _DenseLayer:
    units, use_bias = cfg.get("units"), cfg.get("use_bias", True)
    if not (type(units) is int and 1 <= units <= MAX_UNITS):
        raise ModelFileError(path, f"{where} has invalid units {shown(units)}")
    if not isinstance(use_bias, bool):
        raise ModelFileError(path, f"{where} has invalid use_bias {shown(use_bias)}")
    for key in ("quantization_config", "lora_rank"):
        if cfg.get(key) is not None:
            raise ModelFileError(path, f"{where} has {key} {shown(cfg[key])}; visnet opens plain float Dense layers")
    activation = _activation(path, cfg.get("activation", "linear"), where)
    return _DenseLayer(name, group, units, use_bias, activation)


def _layer_activation(path, cls: str, cfg: dict, where: str) -> str:
    if cls == "Activation":
        return _activation(path, cfg.get("activation"), where)
    if cls == "Softmax":
        if cfg.get("axis", -1) not in (-1, [-1]):
            raise ModelFileError(path, f"{where} takes the softmax over axis {shown(cfg.get('axis'))}, not the last")
        return "softmax"
    if cls == "ReLU":
        if cfg.get("max_value") is not None or cfg.get("negative_slope", 0) != 0 or cfg.get("threshold", 0) != 0:
            raise ModelFileError(path, f"{where} is not a plain ReLU (max_value, negative_slope or threshold set)")
        return "relu"
    slope = cfg.get("negative_slope", cfg.get("alpha"))
    if not (isinstance(slope, (int, float)) and math.isclose(slope, LEAKY_SLOPE)):
        raise ModelFileError(path, f"{where} has slope {shown(slope)}; visnet's leaky ReLU has slope {LEAKY_SLOPE}")
    return "leaky_relu"


def _apply_activation(path, plan: _Plan, activation: str, where: str) -> None:
    """An activation layer acts on the Dense layer before it, which must be linear."""
    if not plan.dense:
        raise ModelFileError(path, f"{where} comes before any Dense layer")
    last = plan.dense[-1]
    if last.activation != "identity":
        raise ModelFileError(
            path,
            f"{where} follows Dense layer {shown(last.name)}, which already applies {last.activation}; "
            "visnet has one activation per layer",
        )
    last.activation = activation


def _keras_version(path, archive) -> str | None:
    if METADATA not in archive.namelist():
        return None
    metadata = _read_json(path, archive, METADATA)
    version = metadata.get("keras_version") if isinstance(metadata, dict) else None
    return version if isinstance(version, str) and len(version) <= 40 else None


def _import_h5py(path):
    try:
        import h5py
    except ImportError:
        raise ModelFileError(path, NEEDS_H5PY) from None
    return h5py


def _variable(path, h5py, root, group: str, index: int, layer_name: str):
    """The dataset layers/<group>/vars/<index>, reached through hard links only: a soft or
    external link could lead to another file."""
    node = root
    for part in ("layers", group, "vars", str(index)):
        link = node.get(part, getlink=True) if isinstance(node, h5py.Group) else None
        if link is None:
            raise ModelFileError(
                path, f"{WEIGHTS} has no layers/{group}/vars/{index} for Dense layer {shown(layer_name)}"
            )
        if not isinstance(link, h5py.HardLink):
            raise ModelFileError(path, f"{WEIGHTS} links layers/{group} elsewhere; visnet reads only this file")
        node = node[part]
    if not isinstance(node, h5py.Dataset):
        raise ModelFileError(path, f"{WEIGHTS}: layers/{group}/vars/{index} is not an array")
    if node.external or node.is_virtual:
        raise ModelFileError(path, f"{WEIGHTS}: layers/{group}/vars/{index} keeps its values in another file")
    if node.dtype.kind != "f" or node.dtype.itemsize not in (2, 4, 8):
        raise ModelFileError(path, f"{WEIGHTS}: layers/{group}/vars/{index} has dtype {node.dtype}, not floats")
    return node


def _read_weights(path, weights: bytes, plan: _Plan, with_values: bool):
    """(sizes, dtype, params) from the HDF5 weights; params empty unless with_values."""
    h5py = _import_h5py(path)
    try:
        with h5py.File(io.BytesIO(weights), "r") as root:
            return _weights_from(path, h5py, root, plan, with_values)
    except _H5_ERRORS as err:
        raise ModelFileError(path, f"{WEIGHTS} is not a readable HDF5 file ({str(err)[:120]})") from None


def _weights_from(path, h5py, root, plan: _Plan, with_values: bool):
    n_in = math.prod(plan.input_shape) if plan.input_shape else None
    sizes: list[int] = []
    dtypes = set()
    params: dict[str, np.ndarray] = {}
    for layer in plan.dense:
        kernel = _variable(path, h5py, root, layer.group, 0, layer.name)
        # The group's attributes (Keras writes the layer's name there) are not read: a damaged
        # attribute can keep HDF5 busy for ever, and the order of the groups already names the layer.
        vars_group = root["layers"][layer.group]["vars"]
        expected_vars = {"0", "1"} if layer.use_bias else {"0"}
        if set(vars_group.keys()) != expected_vars:
            raise ModelFileError(
                path,
                f"{WEIGHTS}: Dense layer {shown(layer.name)} has variables {sorted(vars_group.keys())[:6]}, "
                f"expected {sorted(expected_vars)}",
            )
        if n_in is None:
            n_in = kernel.shape[0] if len(kernel.shape) == 2 else 0
        need = (n_in, layer.units)
        if kernel.shape != need:
            raise ModelFileError(
                path,
                f"the kernel of Dense layer {shown(layer.name)} has shape {kernel.shape}; "
                f"the config needs {need} (inputs, units)",
            )
        if not 1 <= n_in <= MAX_UNITS or n_in * layer.units * kernel.dtype.itemsize > MAX_FILE:
            raise ModelFileError(path, f"the kernel of Dense layer {shown(layer.name)} is too large {need}")
        bias = None
        if layer.use_bias:
            bias = _variable(path, h5py, root, layer.group, 1, layer.name)
            if bias.shape != (layer.units,):
                raise ModelFileError(
                    path, f"the bias of Dense layer {shown(layer.name)} has shape {bias.shape}; needs ({need[1]},)"
                )
            dtypes.add(bias.dtype.itemsize)
        dtypes.add(kernel.dtype.itemsize)
        sizes.append(n_in)
        if with_values:
            label = f"{layer.name}.kernel"
            params[label] = np.asarray(kernel[()]).T
            params[f"{layer.name}.bias"] = (
                np.asarray(bias[()]) if bias is not None else np.zeros(layer.units, kernel.dtype)
            )
        n_in = layer.units
    sizes.append(n_in)
    return sizes, ("float64" if dtypes == {8} else "float32"), params


def _cost_for(output: str) -> str:
    # A Keras classifier with a softmax or sigmoid output is trained with a cross-entropy.
    return "cross-entropy" if output in ("softmax", "sigmoid") else "quadratic"


def _read(path, data: bytes, activations, output, with_values: bool):
    archive = open_archive(path, data, "a Keras .keras file")
    with archive:
        plan = _plan(path, _read_json(path, archive, CONFIG))
        version = _keras_version(path, archive)
        weights = read_member(path, archive, WEIGHTS, MAX_FILE)
    sizes, dtype, params = _read_weights(path, weights, plan, with_values)
    acts = resolve_activations(path, [layer.activation for layer in plan.dense], activations, output)
    info: dict = {"imported_from": "Keras .keras file", "layer_names": [d.name for d in plan.dense]}
    if version:
        info["keras_version"] = version
    if plan.input_shape and math.prod(plan.input_shape) == sizes[0]:
        info["input_shape"] = plan.input_shape
    description = {
        "format": KERAS_FORMAT,
        "sizes": sizes,
        "activations": acts,
        "cost": _cost_for(acts[-1]),
        "init": "xavier",  # Keras's default, GlorotUniform
        "dtype": dtype,
        "info": info,
    }
    return description, params


def describe_keras(path: str | os.PathLike, data: bytes) -> dict:
    """format, sizes, activations, cost, init, dtype and info of a .keras file, its weights unread."""
    return _read(path, data, None, None, with_values=False)[0]


def load_keras(path: str | os.PathLike, data: bytes, activations=None, output=None) -> Network:
    """The network in a .keras file (data: its bytes); activations and output as load_model's."""
    d, params = _read(path, data, activations, output, with_values=True)
    return build_network(path, params, d["activations"], d["cost"], d["init"], d["dtype"], d["info"])
