"""Model files: read, validate and write atomically (no Qt).

    net = load_model("model.safetensors")          # visnet, PyTorch or network2.py files
    save_model(net, "model.safetensors", epochs=3)  # atomic; extra keywords go to net.info
    read_description("model.safetensors")          # architecture and info, no weights

Every problem with a file, reading or writing, raises ModelFileError whose message is
one line naming the file and the problem.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from ..core.network import Network
from . import foreign, native
from .container import parse_safetensors, read_bytes, sniff
from .errors import ModelFileError
from .native import FORMAT_VERSION, save_model

__all__ = ["load_model", "save_model", "read_description", "ModelFileError", "FORMAT_VERSION"]


def load_model(
    path: str | os.PathLike,
    *,
    activations: str | Sequence[str] | None = None,
    output: str | None = None,
) -> Network:
    """The network stored in path, recognised by content: a visnet .safetensors file, a
    PyTorch state dict of Linear layers saved with safetensors, or network2.py JSON.

    activations (one name for every hidden layer, or a list per hidden layer or per
    layer) and output (the output layer's) replace what the file says or implies;
    useful for PyTorch files, which do not record their activations.
    Raises ModelFileError for anything missing, unreadable or invalid.
    """
    data = read_bytes(path)
    if sniff(path, data) == "json":
        return foreign.load_network2(path, data, activations, output)
    sf = parse_safetensors(path, data)
    if native.METADATA_KEY in sf.metadata:
        return native.load(sf, activations, output)
    return foreign.load_torch(sf, activations, output)


def read_description(path: str | os.PathLike) -> dict:
    """What a model file holds, without building the network (for `visnet info`):
    format, version (visnet files), sizes, activations, cost, init, dtype, info, plus
    n_params, file and file_size. Raises ModelFileError like load_model."""
    data = read_bytes(path)
    if sniff(path, data) == "json":
        d = foreign.describe_network2(path, data)
    else:
        sf = parse_safetensors(path, data)
        if native.METADATA_KEY in sf.metadata:
            d = native.describe(sf)
        else:
            d = foreign.describe_torch(sf)
            d.pop("_layers")
    sizes = d["sizes"]
    d["n_params"] = sum(n_in * n_out + n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))
    d["file"] = str(Path(path))
    d["file_size"] = len(data)
    return d
