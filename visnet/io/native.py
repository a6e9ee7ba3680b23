"""visnet's own model files: safetensors with a versioned JSON description.

Tensors: layers.{i}.weight (n_out, n_in) and layers.{i}.bias (n_out,), in the network's
dtype (float32 or float64). Metadata key "visnet": JSON
{"format": "visnet-mlp", "version": 1, "visnet_version", "sizes", "activations", "cost",
 "init", "dtype", "info"}. Readers ignore description keys they do not know; a change
that older readers would misread bumps FORMAT_VERSION.

Version 2 adds the training history (history_tensors.py): history.* tensors and the
description's "history" counters. A file is written with the oldest version that
describes it, so files without a history stay version 1 and older visnets open them;
an older visnet refuses a file with a history as "made by a newer visnet".

Version 3 adds the run's timeline (timeline_tensors.py): timeline.* tensors and the
description's "timeline" entry. A file with one is a "run file"; it opens as a plain model too.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..core.activations import ACTIVATIONS
from ..core.costs import COSTS
from ..core.history import TrainingHistory
from ..core.network import INITS, Network
from ..core.timeline import Timeline
from .atomic import atomic_write_bytes
from .common import build_network, is_one_of, json_safe, resolve_activations
from .container import SafetensorsFile
from .errors import ModelFileError, listed, shown
from .history_tensors import (
    DESCRIPTION_KEY,
    history_description,
    history_tensors,
    is_history_tensor,
    read_history,
)
from .timeline_tensors import DESCRIPTION_KEY as TIMELINE_KEY
from .timeline_tensors import is_timeline_tensor, read_timeline, timeline_description, timeline_tensors

FORMAT = "visnet-mlp"
FORMAT_VERSION = 3  # the newest version this visnet reads and writes
HISTORY_VERSION = 2  # the first version with a training history
TIMELINE_VERSION = 3  # the first version with a timeline
METADATA_KEY = "visnet"
DTYPE_NAMES = {"float32": "F32", "float64": "F64"}


def weight_name(l: int) -> str:
    return f"layers.{l}.weight"


def bias_name(l: int) -> str:
    return f"layers.{l}.bias"


# -- writing ---------------------------------------------------------------------------------
def save_model(
    net: Network,
    path: str | os.PathLike,
    *,
    history: TrainingHistory | None = None,
    timeline: Timeline | None = None,
    **info,
) -> Path:
    """Write net to path (exactly that path) atomically; returns the Path written.

    history: the training curves and counters to keep with the model (for net's layer
    count), thinned to history.SAVE_POINTS points per series. timeline: the run's moments
    (core.timeline), which make the file a run file. info: metadata merged into
    a copy of net.info for the file, e.g. epochs=3, metrics={"test_accuracy": 0.95}; it
    must be JSON-able (numpy scalars and arrays are converted). net itself is not modified.
    """
    import safetensors.numpy

    tensors, description = model_tensors(net, path, history=history, timeline=timeline, **info)
    metadata = {METADATA_KEY: json.dumps(description, allow_nan=False, ensure_ascii=False)}
    data = safetensors.numpy.save(tensors, metadata=metadata)
    return atomic_write_bytes(path, data)


def model_tensors(
    net: Network,
    path: str | os.PathLike,
    *,
    history: TrainingHistory | None = None,
    timeline: Timeline | None = None,
    **info,
) -> tuple[dict[str, np.ndarray], dict]:
    """The tensors and the description (the metadata's JSON, as a dict) save_model writes
    for net; path only names the file in errors. An experiment file holds several of these."""
    from .. import __version__

    dtype = np.dtype(net.dtype)
    if dtype.name not in DTYPE_NAMES:
        raise ModelFileError(path, f"cannot save a {dtype} network; visnet files hold float32 or float64")
    sizes = [int(s) for s in net.sizes]
    if len(net.weights) != len(sizes) - 1 or len(net.biases) != len(sizes) - 1:
        raise ModelFileError(path, f"cannot save: {len(net.weights)} weight matrices for sizes {sizes}")
    tensors: dict[str, np.ndarray] = {}
    for l, (w, b) in enumerate(zip(net.weights, net.biases)):
        if np.shape(w) != (sizes[l + 1], sizes[l]) or np.shape(b) != (sizes[l + 1],):
            raise ModelFileError(
                path,
                f"cannot save: layer {l} has weight {np.shape(w)} and bias {np.shape(b)}, "
                f"not ({sizes[l + 1]}, {sizes[l]}) and ({sizes[l + 1]},)",
            )
        tensors[weight_name(l)] = np.ascontiguousarray(w, dtype=dtype)
        tensors[bias_name(l)] = np.ascontiguousarray(b, dtype=dtype)
    for name, a in tensors.items():
        if not np.all(np.isfinite(a)):
            raise ModelFileError(path, f"cannot save: {name} contains NaN or infinite values (training diverged?)")

    if history is not None:
        if not isinstance(history, TrainingHistory) or history.n_layers != len(sizes) - 1:
            have = getattr(history, "n_layers", type(history).__name__)
            raise ModelFileError(
                path, f"cannot save: a training history for {have} layers with a {len(sizes) - 1}-layer network"
            )
        history = history.thinned()
        tensors.update(history_tensors(history))
    if timeline is not None and len(timeline):
        shapes = [w.shape for w in timeline[0].weights]
        if shapes != [np.shape(w) for w in net.weights]:
            raise ModelFileError(path, "cannot save: the timeline's moments belong to a different network")
        tensors.update(timeline_tensors(timeline, sizes, dtype))
    else:
        timeline = None

    merged = dict(net.info or {})
    merged.update(info)
    try:
        info_json = json_safe(merged)
    except TypeError as err:
        raise ModelFileError(path, f"cannot save: {err}") from None
    description = {
        "format": FORMAT,
        "version": TIMELINE_VERSION if timeline is not None else 1 if history is None else HISTORY_VERSION,
        "visnet_version": __version__,
        "sizes": sizes,
        "activations": list(net.activations),
        "cost": net.cost,
        "init": net.init,
        "dtype": dtype.name,
        "info": info_json,
    }
    if history is not None:
        description[DESCRIPTION_KEY] = history_description(history)
    if timeline is not None:
        description[TIMELINE_KEY] = timeline_description(timeline)
    return tensors, description


# -- reading ---------------------------------------------------------------------------------
def describe(sf: SafetensorsFile) -> dict:
    """The checked description of a visnet file, from its header alone."""
    fail = sf.fail
    try:
        d = json.loads(sf.metadata[METADATA_KEY])
    except (ValueError, RecursionError) as err:
        raise fail(f"the visnet description is not valid JSON ({err})") from None
    if not isinstance(d, dict):
        raise fail("the visnet description is not a JSON object")
    if d.get("format") != FORMAT:
        raise fail(f"unknown model format {shown(d.get('format'))}; visnet reads {FORMAT!r}")
    version = d.get("version")
    if type(version) is not int or version < 1:
        raise fail(f"invalid format version {shown(version)}")
    if version > FORMAT_VERSION:
        raise fail(f"made by a newer visnet (format version {version}); this visnet reads version {FORMAT_VERSION}")

    sizes = d.get("sizes")
    if not (isinstance(sizes, list) and len(sizes) >= 2 and all(type(s) is int and s >= 1 for s in sizes)):
        raise fail(f"invalid sizes {shown(sizes)}: need at least two positive layer sizes")
    n_layers = len(sizes) - 1
    acts = d.get("activations")
    if not (isinstance(acts, list) and all(isinstance(a, str) for a in acts)):
        raise fail(f"invalid activations {shown(acts)}: need a list of names")
    if len(acts) != n_layers:
        raise fail(f"{len(acts)} activations for {n_layers} layers (sizes {shown(sizes)})")
    for a in acts:
        if a not in ACTIVATIONS:
            raise fail(f"unknown activation {shown(a)}; visnet knows {', '.join(ACTIVATIONS)}")
    if not is_one_of(d.get("cost"), COSTS):
        raise fail(f"unknown cost {shown(d.get('cost'))}; visnet knows {', '.join(COSTS)}")
    if not is_one_of(d.get("init", "he"), INITS):
        raise fail(f"unknown init {shown(d.get('init'))}; visnet knows {', '.join(INITS)}")
    if not is_one_of(d.get("dtype"), DTYPE_NAMES):
        raise fail(f"invalid dtype {shown(d.get('dtype'))}; visnet files hold float32 or float64")
    info = d.get("info", {})
    if not isinstance(info, dict):
        raise fail("invalid info: not a JSON object")

    expected = {}
    for l in range(n_layers):
        expected[weight_name(l)] = (sizes[l + 1], sizes[l])
        expected[bias_name(l)] = (sizes[l + 1],)
    missing = [n for n in expected if n not in sf.tensors]
    if missing:
        raise fail(f"missing tensor(s) {listed(missing)}")
    extra = [n for n in sf.tensors if n not in expected and not is_history_tensor(n) and not is_timeline_tensor(n)]
    if extra:
        raise fail(f"unexpected tensor(s) {listed(sorted(extra))} for sizes {shown(sizes)}")
    st_dtype = DTYPE_NAMES[d["dtype"]]
    for name, shape in expected.items():
        t = sf.tensors[name]
        if t.shape != shape:
            raise fail(
                f"tensor {name} has shape {t.shape} but sizes {shown(sizes)} need {shape} (the layers do not chain)"
            )
        if t.dtype != st_dtype:
            raise fail(f"tensor {name} is {t.dtype} but the description says {d['dtype']}")

    return {
        "format": FORMAT,
        "version": version,
        "visnet_version": d.get("visnet_version"),
        "sizes": list(sizes),
        "activations": list(acts),
        "cost": d["cost"],
        "init": d.get("init", "he"),
        "dtype": d["dtype"],
        "info": info,
    }


def load(
    sf: SafetensorsFile,
    activations: str | Sequence[str] | None = None,
    output: str | None = None,
) -> Network:
    d = describe(sf)
    n_layers = len(d["sizes"]) - 1
    names = [n for l in range(n_layers) for n in (weight_name(l), bias_name(l))]
    arrays = sf.load(names)
    for name in names:
        if arrays[name].dtype != np.dtype(d["dtype"]):  # belt and braces: the header said so
            raise sf.fail(f"tensor {name} is {arrays[name].dtype}, not {d['dtype']}")
    acts = resolve_activations(sf.path, d["activations"], activations, output)
    return build_network(
        sf.path,
        {name: arrays[name] for name in names},
        acts,
        d["cost"],
        d["init"],
        d["dtype"],
        d["info"],
    )


def load_history(sf: SafetensorsFile, n_layers: int) -> tuple[TrainingHistory | None, str | None]:
    """The file's training history, or None; never raises for it (history_tensors.py):
    (history, None), (None, None) without one, (None, one-line warning) for a bad one.
    Call after describe(sf), which has checked the description."""
    return read_history(sf, json.loads(sf.metadata[METADATA_KEY]), n_layers)


def load_timeline(sf: SafetensorsFile, net: Network) -> tuple[Timeline | None, str | None]:
    """The file's timeline for net (read from it), or None; never raises for it
    (timeline_tensors.py): (None, one-line warning) for a bad one."""
    description = json.loads(sf.metadata[METADATA_KEY])
    return read_timeline(sf, description, net.sizes, net.activations, net.cost, net.dtype.name)
