"""Where the files shipped with visnet live (embedded MNIST, example model, lessons).

In a checkout they are in the top-level resources/ folder; an installed wheel carries them
as the package data visnet/_resources (see pyproject.toml).
"""

from __future__ import annotations

from pathlib import Path

_HERE = Path(__file__).resolve().parent
_CANDIDATES = (_HERE / "_resources", _HERE.parent / "resources")

EMBEDDED_MNIST = "mnist_embedded.npz"
EXAMPLE_MODEL = "example_784-16-16-10.safetensors"


def resource_path(name: str) -> Path:
    """Absolute path of a shipped resource file; FileNotFoundError names where it looked."""
    for folder in _CANDIDATES:
        path = folder / name
        if path.is_file():
            return path
    looked = ", ".join(str(c) for c in _CANDIDATES)
    raise FileNotFoundError(f"visnet resource {name!r} is missing (looked in {looked}); reinstall visnet")


def resource_folder(name: str) -> Path:
    """Absolute path of a shipped folder of resources (such as the lessons); FileNotFoundError
    names where it looked."""
    for folder in _CANDIDATES:
        path = folder / name
        if path.is_dir():
            return path
    looked = ", ".join(str(c) for c in _CANDIDATES)
    raise FileNotFoundError(f"visnet resource folder {name!r} is missing (looked in {looked}); reinstall visnet")
