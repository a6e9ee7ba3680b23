"""Models made elsewhere: PyTorch Linear stacks saved with safetensors, and the JSON
written by network2.py from Nielsen's "Neural Networks and Deep Learning".

PyTorch: a state dict of nn.Linear layers ("0.weight", "0.bias", "2.weight", ...,
"net.0.weight", "fc1.weight", ...). Layers are ordered by the numbers in their names
(natural order); if that order does not chain, by the one chain the shapes allow.
Activations come from the metadata key "activations" (JSON list or comma list; one per
hidden layer or per layer) and "output", else ReLU hidden layers and a softmax output. The
cost comes from the metadata key "cost" (visnet's name or PyTorch's loss class, such as
MSELoss or CrossEntropyLoss), else cross-entropy for a softmax or sigmoid output and the
quadratic cost otherwise.

network2.py: {"sizes", "weights", "biases", "cost"} with weights[l] (n_out, n_in) and
biases[l] (n_out, 1), sigmoid everywhere, cost "CrossEntropyCost" or "QuadraticCost".
"""

from __future__ import annotations

import json
import re

import numpy as np

from ..core.network import Network
from .common import build_network, check_finite, is_one_of, resolve_activations
from .container import FLOAT_DTYPES, SafetensorsFile
from .errors import ModelFileError, listed, shown

TORCH_FORMAT = "pytorch-state-dict"
NETWORK2_FORMAT = "network2-json"
NETWORK2_COSTS = {"CrossEntropyCost": "cross-entropy", "QuadraticCost": "quadratic"}
# A "cost" metadata entry: visnet's names, and the PyTorch losses that train those costs
# (compared lower-case, without _, - and "nn."). CrossEntropyLoss takes logits and applies
# a softmax itself: with a softmax output layer, that is visnet's cross-entropy.
TORCH_COSTS = {
    "quadratic": "quadratic",
    "mse": "quadratic",
    "mseloss": "quadratic",
    "crossentropy": "cross-entropy",
    "crossentropyloss": "cross-entropy",
    "nllloss": "cross-entropy",
    "bceloss": "cross-entropy",
    "bcewithlogitsloss": "cross-entropy",
}


# -- PyTorch state dicts -------------------------------------------------------------------
def _natural_key(prefix: str) -> list:
    return [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", prefix) if part]


def _torch_layers(sf: SafetensorsFile) -> list[tuple[str, str | None, int, int]]:
    """(weight name, bias name or None, n_in, n_out) per Linear layer, input first."""
    fail = sf.fail
    if not sf.tensors:
        raise fail("contains no tensors")
    groups: dict[str, dict[str, str]] = {}
    for name in sf.tensors:
        prefix, _, kind = name.rpartition(".")
        if kind not in ("weight", "bias"):
            raise fail(f"unsupported tensor {shown(name)}: visnet opens stacks of Linear layers (weight and bias only)")
        groups.setdefault(prefix, {})[kind] = name
    layers = []
    for prefix, g in groups.items():
        if "weight" not in g:
            raise fail(f"bias {shown(g['bias'])} has no matching weight {shown(prefix + '.weight')}")
        w = sf.tensors[g["weight"]]
        if len(w.shape) != 2:
            raise fail(f"tensor {shown(g['weight'])} has shape {w.shape}: not a Linear layer (need (n_out, n_in))")
        n_out, n_in = w.shape
        if n_out < 1 or n_in < 1:
            raise fail(f"tensor {shown(g['weight'])} has an empty shape {w.shape}")
        if "bias" in g and sf.tensors[g["bias"]].shape != (n_out,):
            raise fail(
                f"tensor {shown(g['bias'])} has shape {sf.tensors[g['bias']].shape}, but its weight needs ({n_out},)"
            )
        for name in g.values():
            if sf.tensors[name].dtype not in FLOAT_DTYPES:
                raise fail(f"tensor {shown(name)} has dtype {sf.tensors[name].dtype}; model weights must be floats")
        layers.append((prefix, g["weight"], g.get("bias"), n_in, n_out))

    def chains(order):
        return all(a[4] == b[3] for a, b in zip(order, order[1:]))

    natural = sorted(layers, key=lambda t: _natural_key(t[0]))
    ordered = natural if chains(natural) else _only_chain(layers)
    if ordered is None:
        shapes = listed([f"{p or '(root)'}: {i}->{o}" for p, _, _, i, o in natural])
        raise fail(f"the Linear layers do not chain into one network ({shapes})")
    return [(w, b, i, o) for _, w, b, i, o in ordered]


def _only_chain(layers: list) -> list | None:
    """The single ordering in which every layer's n_in is the previous layer's n_out."""
    by_n_in: dict[int, list] = {}
    for t in layers:
        by_n_in.setdefault(t[3], []).append(t)
    outs = {t[4] for t in layers}
    starts = [t for t in layers if t[3] not in outs]
    if len(starts) != 1:
        return None
    order = [starts[0]]
    while len(order) < len(layers):
        nxt = by_n_in.pop(order[-1][4], [])  # popped: a layer used once cannot come again
        if len(nxt) != 1:
            return None
        order.append(nxt[0])
    return order


def _metadata_names(sf: SafetensorsFile, key: str) -> list[str] | str | None:
    raw = sf.metadata.get(key)
    if raw is None:
        return None
    raw = raw.strip()
    if raw.startswith("["):
        try:
            value = json.loads(raw)
        except (ValueError, RecursionError):
            raise sf.fail(f"metadata {key!r} is not a valid JSON list: {raw[:60]!r}") from None
        if not all(isinstance(v, str) for v in value):
            raise sf.fail(f"metadata {key!r} must list activation names, got {raw[:60]!r}")
        return value
    if key == "output":
        return raw
    names = [part.strip() for part in raw.split(",") if part.strip()]
    if not names:
        raise sf.fail(f"metadata {key!r} is empty")
    return names if "," in raw else names[0]  # one name: every hidden layer


def describe_torch(sf: SafetensorsFile, activations=None, output=None) -> dict:
    layers = _torch_layers(sf)
    n = len(layers)
    sizes = [layers[0][2]] + [o for _, _, _, o in layers]
    acts = ["relu"] * (n - 1) + ["softmax"]
    acts = resolve_activations(
        sf.path,
        acts,
        _metadata_names(sf, "activations"),
        _metadata_names(sf, "output"),
        what="the file's 'activations' metadata",
    )
    acts = resolve_activations(sf.path, acts, activations, output)
    dtypes = {sf.tensors[name].dtype for w, b, _, _ in layers for name in (w, b) if name}
    dtype = "float64" if dtypes == {"F64"} else "float32"
    info = {
        "imported_from": "PyTorch state dict (safetensors)",
        "layer_names": [w[: -len(".weight")] for w, _, _, _ in layers],
    }
    extra = {k: v for k, v in sf.metadata.items() if k not in ("activations", "output", "cost", "format")}
    if extra:
        info["metadata"] = extra
    return {
        "format": TORCH_FORMAT,
        "sizes": sizes,
        "activations": acts,
        "cost": _metadata_cost(sf) or _cost_for(acts[-1]),
        "init": "he",
        "dtype": dtype,
        "info": info,
        "_layers": layers,
    }


def _metadata_cost(sf: SafetensorsFile) -> str | None:
    """visnet's name for the metadata's "cost" entry, or None without one. A cost the output
    layer cannot have (cross-entropy after tanh) is refused later, by build_network."""
    raw = sf.metadata.get("cost")
    if raw is None:
        return None
    cost = TORCH_COSTS.get(raw.strip().lower().replace("_", "").replace("-", "").removeprefix("nn."))
    if cost is None:
        known = "quadratic, cross-entropy, MSELoss, CrossEntropyLoss, NLLLoss, BCELoss, BCEWithLogitsLoss"
        raise sf.fail(f"unknown cost {shown(raw)} in the file's 'cost' metadata; visnet knows {known}")
    return cost


def _cost_for(output: str) -> str:
    # A classifier trained with nn.CrossEntropyLoss; quadratic where cross-entropy is undefined.
    return "cross-entropy" if output in ("softmax", "sigmoid") else "quadratic"


def load_torch(sf: SafetensorsFile, activations=None, output=None) -> Network:
    d = describe_torch(sf, activations, output)
    layers = d.pop("_layers")
    arrays = sf.load([name for w, b, _, _ in layers for name in (w, b) if name])
    params = {}
    for w, b, _, o in layers:
        params[w] = arrays[w]
        params[b or w[: -len("weight")] + "bias"] = arrays[b] if b else np.zeros(o)
    return build_network(sf.path, params, d["activations"], d["cost"], d["init"], d["dtype"], d["info"])


# -- network2.py JSON ------------------------------------------------------------------------
def _numbers(path, value, what: str) -> np.ndarray:
    """A nested list of numbers as float64; ModelFileError for ragged lists or non-numbers."""
    try:
        a = np.array(value)
    except (ValueError, TypeError):
        raise ModelFileError(path, f"{what} is not a rectangular array of numbers") from None
    if a.dtype.kind not in "iuf" or a.dtype == object:
        raise ModelFileError(path, f"{what} is not an array of numbers")
    return a.astype(np.float64)


def _network2_arrays(path, data: bytes):
    try:
        text = data.decode("utf-8-sig")
        d = json.loads(text)
    except (UnicodeDecodeError, ValueError, RecursionError) as err:
        raise ModelFileError(path, f"invalid JSON ({err})") from None
    if not isinstance(d, dict) or not {"sizes", "weights", "biases"} <= d.keys():
        keys = ", ".join(sorted(d)[:6]) if isinstance(d, dict) else type(d).__name__
        raise ModelFileError(
            path,
            f"a JSON file, but not a network2.py model (needs sizes, weights and biases; found {keys or 'nothing'})",
        )
    sizes = d["sizes"]
    if not (isinstance(sizes, list) and len(sizes) >= 2 and all(type(s) is int and s >= 1 for s in sizes)):
        raise ModelFileError(path, f"invalid sizes {shown(sizes)}: need at least two positive layer sizes")
    n = len(sizes) - 1
    cost_name = d.get("cost", "CrossEntropyCost")  # network2.py's default cost
    if not is_one_of(cost_name, NETWORK2_COSTS):
        raise ModelFileError(path, f"unknown cost {shown(cost_name)}; expected {' or '.join(NETWORK2_COSTS)}")
    if not isinstance(d["weights"], list) or len(d["weights"]) != n:
        raise ModelFileError(path, f"sizes {shown(sizes)} need {n} weight matrices")
    if not isinstance(d["biases"], list) or len(d["biases"]) != n:
        raise ModelFileError(path, f"sizes {shown(sizes)} need {n} bias vectors")
    weights, biases = [], []
    for l in range(n):
        w = _numbers(path, d["weights"][l], f"weights[{l}]")
        b = _numbers(path, d["biases"][l], f"biases[{l}]")
        if w.shape != (sizes[l + 1], sizes[l]):
            raise ModelFileError(
                path, f"weights[{l}] has shape {w.shape} but sizes {shown(sizes)} need {(sizes[l + 1], sizes[l])}"
            )
        if b.shape not in ((sizes[l + 1], 1), (sizes[l + 1],)):
            raise ModelFileError(
                path, f"biases[{l}] has shape {b.shape} but sizes {shown(sizes)} need {(sizes[l + 1], 1)}"
            )
        weights.append(w)
        biases.append(b.reshape(-1))
    check_finite(
        path,
        {**{f"weights[{l}]": w for l, w in enumerate(weights)}, **{f"biases[{l}]": b for l, b in enumerate(biases)}},
    )
    return sizes, NETWORK2_COSTS[cost_name], weights, biases


def describe_network2(path, data: bytes, activations=None, output=None) -> dict:
    sizes, cost, _, _ = _network2_arrays(path, data)
    return _network2_description(path, sizes, cost, activations, output)


def _network2_description(path, sizes, cost, activations, output) -> dict:
    acts = resolve_activations(path, ["sigmoid"] * (len(sizes) - 1), activations, output)
    return {
        "format": NETWORK2_FORMAT,
        "sizes": list(sizes),
        "activations": acts,
        "cost": cost,
        "init": "normal",  # network2.py's default_weight_initializer
        "dtype": "float64",
        "info": {"imported_from": "network2.py JSON"},
    }


def load_network2(path, data: bytes, activations=None, output=None) -> Network:
    sizes, cost, weights, biases = _network2_arrays(path, data)
    d = _network2_description(path, sizes, cost, activations, output)
    params = {}
    for l, (w, b) in enumerate(zip(weights, biases)):
        params[f"weights[{l}]"], params[f"biases[{l}]"] = w, b
    return build_network(path, params, d["activations"], d["cost"], d["init"], d["dtype"], d["info"])
