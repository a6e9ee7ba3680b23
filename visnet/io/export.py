"""A network as a PyTorch state dict, and the nn.Sequential definition that loads it.

The state dict holds `0.weight`, `0.bias`, `2.weight`, ... with weights (n_out, n_in), as
nn.Linear keeps them, saved with safetensors (so loading it runs no code). Every Linear is
followed by one activation module, so Linear k is module 2k; the definition printed by
torch_sequential_code has the same numbering. The file's metadata names the activations
and the output, so visnet reopens it as the same network (foreign.load_torch).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from ..core.network import Network
from .atomic import atomic_write_bytes
from .errors import ModelFileError

# visnet activation -> the torch.nn module that computes it
TORCH_MODULES = {
    "relu": "nn.ReLU()",
    "leaky_relu": "nn.LeakyReLU(0.01)",
    "sigmoid": "nn.Sigmoid()",
    "tanh": "nn.Tanh()",
    "identity": "nn.Identity()",
    "softmax": "nn.Softmax(dim=1)",
}


def state_dict_tensors(net: Network, path: str | os.PathLike = "<network>") -> dict[str, np.ndarray]:
    """{"0.weight": (n_out, n_in), "0.bias": (n_out,), "2.weight": ...} in net's dtype."""
    for name in net.activations:
        if name not in TORCH_MODULES:
            raise ModelFileError(path, f"cannot export: torch.nn has no {name} activation module")
    tensors = {}
    for l, (w, b) in enumerate(zip(net.weights, net.biases)):
        for kind, a in (("weight", w), ("bias", b)):
            a = np.ascontiguousarray(a, dtype=net.dtype)
            if not np.all(np.isfinite(a)):
                raise ModelFileError(path, f"cannot export: layer {l}'s {kind} has NaN or infinite values")
            tensors[f"{2 * l}.{kind}"] = a
    return tensors


def save_state_dict(net: Network, path: str | os.PathLike) -> Path:
    """Write net's PyTorch state dict to path with safetensors, atomically; returns the Path.
    The metadata's "activations", "output" and "cost" let visnet read the network back as it was."""
    import safetensors.numpy

    tensors = state_dict_tensors(net, path)
    metadata = {
        "activations": json.dumps(list(net.activations[:-1])),
        "output": net.activations[-1],
        "cost": net.cost,
        "pytorch_module": torch_sequential_code(net, Path(path).name),
    }
    return atomic_write_bytes(path, safetensors.numpy.save(tensors, metadata=metadata))


def torch_sequential_code(net: Network, file_name: str = "model.safetensors") -> str:
    """Python that builds net as an nn.Sequential and loads its state dict from file_name."""
    lines = [
        "from safetensors.torch import load_file",
        "from torch import nn",
        "",
        "model = nn.Sequential(",
    ]
    for n_in, n_out, act in zip(net.sizes[:-1], net.sizes[1:], net.activations):
        lines.append(f"    nn.Linear({n_in}, {n_out}),")
        lines.append(f"    {TORCH_MODULES[act]},")
    lines.append(")")
    if np.dtype(net.dtype) == np.float64:
        lines.append("model = model.double()")
    lines.append(f"model.load_state_dict(load_file({file_name!r}))")
    return "\n".join(lines)
