"""Model files: read, validate and write atomically (no Qt).

    net = load_model("model.safetensors")          # visnet, PyTorch, network2.py, ONNX, .keras, .skops
    save_model(net, "model.safetensors", epochs=3)  # atomic; extra keywords go to net.info
    save_model(net, path, history=recorder.history())  # with the training curves and counters
    model = open_model("model.safetensors")        # model.network, model.history, model.warnings
    read_description("model.safetensors")          # architecture and info, no weights
    save_onnx(net, "model.onnx")                   # Gemm + activation nodes (needs onnx)
    save_state_dict(net, "torch.safetensors")      # PyTorch nn.Sequential layout
    save_experiment(experiment, outcomes, path)    # an experiment's runs in one file
    exp = open_experiment(path)                    # exp.experiment, exp.runs, exp.warnings

Every problem with a file, reading or writing, raises ModelFileError whose message is
one line naming the file and the problem.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..core.history import TrainingHistory
from ..core.network import Network
from ..core.timeline import Timeline
from . import foreign, keras_format, native, onnx_format, skops_format
from .common import checked_info
from .container import parse_safetensors, read_bytes, sniff
from .errors import ModelFileError
from .experiment_file import ExperimentFile, is_experiment_file, open_experiment, save_experiment
from .export import save_state_dict, torch_sequential_code
from .native import FORMAT_VERSION, save_model
from .onnx_format import save_onnx
from .timeline_tensors import DESCRIPTION_KEY as TIMELINE_KEY
from .timeline_tensors import is_timeline_tensor

__all__ = [
    "load_model",
    "open_model",
    "ModelFile",
    "save_model",
    "save_onnx",
    "save_state_dict",
    "torch_sequential_code",
    "read_description",
    "ModelFileError",
    "FORMAT_VERSION",
    "ExperimentFile",
    "open_experiment",
    "save_experiment",
]


@dataclass(frozen=True)
class ModelFile:
    """What open_model read: the network, its training history (None when the file has
    none, or an unusable one), and one-line warnings about what was left out."""

    network: Network
    history: TrainingHistory | None = None
    warnings: tuple[str, ...] = ()
    timeline: Timeline | None = None  # a run file's moments (core.timeline)


def load_model(
    path: str | os.PathLike,
    *,
    activations: str | Sequence[str] | None = None,
    output: str | None = None,
) -> Network:
    """The network stored in path, recognised by content: a visnet .safetensors file, a
    PyTorch state dict of Linear layers saved with safetensors, network2.py JSON, an ONNX
    multilayer perceptron (with the onnx package), a Keras .keras Sequential of Dense
    layers (with h5py), or a scikit-learn MLP saved with skops.

    activations (one name for every hidden layer, or a list per hidden layer or per
    layer) and output (the output layer's) replace what the file says or implies;
    useful for PyTorch files, which do not record their activations.
    Raises ModelFileError for anything missing, unreadable or invalid. The training
    history, if any, is not read: open_model returns it. net.info holds no unusable
    input_names or standardization (open_model says why one was left out).
    """
    return _with_checked_info(path, _load(path, activations, output))[0]


def _load(path, activations, output) -> Network:
    data = read_bytes(path)
    kind = sniff(path, data)
    if kind == "json":
        return foreign.load_network2(path, data, activations, output)
    if kind == "onnx":
        return onnx_format.load(path, data, activations, output)
    if kind == "keras":
        return keras_format.load_keras(path, data, activations, output)
    if kind == "skops":
        return skops_format.load_skops(path, data, activations, output)
    sf = parse_safetensors(path, data)
    _refuse_experiment(sf)
    if native.METADATA_KEY in sf.metadata:
        return native.load(sf, activations, output)
    return foreign.load_torch(sf, activations, output)


def open_model(
    path: str | os.PathLike,
    *,
    activations: str | Sequence[str] | None = None,
    output: str | None = None,
) -> ModelFile:
    """load_model's network with the training history a visnet file carries.

    A problem with the network raises ModelFileError as load_model does; a problem with
    the history never does: the history is left out (None) and ModelFile.warnings says
    why in one line naming the file. Files without a history (older visnet files,
    PyTorch and network2.py files) give history None and no warnings. So do the info's
    input_names and standardization: one that is unusable is left out with a warning.
    """
    data = read_bytes(path)
    kind = sniff(path, data)
    history, timeline, warnings = None, None, []
    if kind == "json":
        net = foreign.load_network2(path, data, activations, output)
    elif kind == "onnx":
        net = onnx_format.load(path, data, activations, output)
    elif kind == "keras":
        net = keras_format.load_keras(path, data, activations, output)
    elif kind == "skops":
        net = skops_format.load_skops(path, data, activations, output)
    else:
        sf = parse_safetensors(path, data)
        _refuse_experiment(sf)
        if native.METADATA_KEY not in sf.metadata:
            net = foreign.load_torch(sf, activations, output)
        else:
            net = native.load(sf, activations, output)
            history, warning = native.load_history(sf, net.n_layers)
            timeline, timeline_warning = native.load_timeline(sf, net)
            warnings += [w for w in (warning, timeline_warning) if w]
    net, info_warnings = _with_checked_info(path, net)
    return ModelFile(net, history, tuple(info_warnings + warnings), timeline)


def _refuse_experiment(sf) -> None:
    """An experiment file holds several networks: say so rather than misread it as a PyTorch file."""
    if is_experiment_file(sf):
        raise sf.fail("is a visnet experiment (several runs), not a model; open it with visnet compare --open")


def _with_checked_info(path: str | os.PathLike, net: Network) -> tuple[Network, list[str]]:
    """net with its info's unusable input_names and standardization left out, and a warning each."""
    net.info, warnings = checked_info(path, net.info if isinstance(net.info, dict) else {}, net.sizes[0])
    return net, warnings


def read_description(path: str | os.PathLike) -> dict:
    """What a model file holds, without building the network (for `visnet info`):
    format, version (visnet files), sizes, activations, cost, init, dtype, info, plus
    n_params, file and file_size; for a visnet file with a training history also
    history (counters, points held, last_test_accuracy and a one-line summary), or
    history_warning when that history is unusable, and info_warnings (a list) when the info's
    input_names or standardization are unusable, which are then left out of info. Raises
    ModelFileError like load_model."""
    data = read_bytes(path)
    kind = sniff(path, data)
    if kind == "json":
        d = foreign.describe_network2(path, data)
    elif kind == "onnx":
        d = onnx_format.describe(path, data)
        d.pop("_chain")
    elif kind == "keras":
        d = keras_format.describe_keras(path, data)
    elif kind == "skops":
        d = skops_format.describe_skops(path, data)
    else:
        sf = parse_safetensors(path, data)
        _refuse_experiment(sf)
        if native.METADATA_KEY in sf.metadata:
            d = native.describe(sf)
            history, warning = native.load_history(sf, len(d["sizes"]) - 1)
            if history is not None:
                d["history"] = _history_summary(history)
            if warning:
                d["history_warning"] = warning
            entry = json.loads(sf.metadata[native.METADATA_KEY]).get(TIMELINE_KEY)
            if entry is not None or any(is_timeline_tensor(n) for n in sf.tensors):
                net = native.load(sf)
                timeline, warning = native.load_timeline(sf, net)
                if timeline is not None:
                    d["timeline"] = _timeline_summary(timeline)
                if warning:
                    d["timeline_warning"] = warning
        else:
            d = foreign.describe_torch(sf)
            d.pop("_layers")
    sizes = d["sizes"]
    d["info"], info_warnings = checked_info(path, d.get("info") or {}, sizes[0])
    if info_warnings:
        d["info_warnings"] = info_warnings
    d["n_params"] = sum(n_in * n_out + n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))
    d["file"] = str(Path(path))
    d["file_size"] = len(data)
    return d


def _timeline_summary(t: Timeline) -> dict:
    steps = t.steps
    return {
        "moments": len(t),
        "first_step": int(steps[0]),
        "last_step": int(steps[-1]),
        "kept": sum(t.is_kept(i) for i in range(len(t))),
        "bytes": t.nbytes,
        "budget": t.budget,
    }


def _history_summary(h: TrainingHistory) -> dict:
    return {
        "steps": h.steps,
        "epochs_done": h.epochs_done,
        "samples_seen": h.samples_seen,
        "batch_points": len(h.batch_x),
        "epoch_records": len(h.epoch),
        "layer_stat_points": len(h.stats_x),
        "last_test_accuracy": h.last_test_accuracy,
        "summary": h.summary(),
    }
