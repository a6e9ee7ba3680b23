"""visnet: see inside a neural network while it learns."""

__version__ = "0.1.0"

from .core.network import Network  # noqa: E402


def load_model(path, *, activations=None, output=None):
    """Read a model file (visnet safetensors, PyTorch state dict or network2 JSON)."""
    from .io import load_model as _load

    return _load(path, activations=activations, output=output)


def save_model(net, path, **info):
    """Write net to path atomically as a visnet safetensors file."""
    from .io import save_model as _save

    return _save(net, path, **info)


__all__ = ["Network", "load_model", "save_model", "__version__"]
