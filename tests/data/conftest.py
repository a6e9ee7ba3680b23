"""Fixtures that write small, valid (or deliberately broken) IDX data sets into tmp folders."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

IDX_NAMES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


def idx_bytes(array: np.ndarray, type_code: int = 0x08) -> bytes:
    """The IDX encoding of a uint8 array: 00 00 type ndim, big-endian dims, values."""
    header = bytes([0, 0, type_code, array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
    return header + np.ascontiguousarray(array).tobytes()


def write_idx(path: Path, array: np.ndarray, gz: bool = False) -> Path:
    data = idx_bytes(array)
    path.write_bytes(gzip.compress(data, mtime=0) if gz else data)
    return path


def small_split(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """n random 28x28 uint8 images and labels covering 0..9."""
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), (np.arange(n) % 10).astype(np.uint8)


def write_idx_folder(
    folder: Path, n_train: int = 30, n_test: int = 10, gz: bool = True, seed: int = 0
) -> dict[str, np.ndarray]:
    """Write the four IDX files into folder; return the arrays written, keyed like a Keras npz."""
    folder.mkdir(parents=True, exist_ok=True)
    x_train, y_train = small_split(n_train, seed)
    x_test, y_test = small_split(n_test, seed + 1)
    arrays = {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}
    for name, array in zip(IDX_NAMES, arrays.values()):
        write_idx(folder / (name + ".gz" if gz else name), array, gz=gz)
    return arrays


@pytest.fixture
def make_idx_folder():
    """write_idx_folder, as a fixture so test modules need no import path tricks."""
    return write_idx_folder


@pytest.fixture
def idx():
    """The byte-level helpers: idx.bytes(array), idx.write(path, array, gz)."""

    class Helpers:
        bytes = staticmethod(idx_bytes)
        write = staticmethod(write_idx)
        split = staticmethod(small_split)

    return Helpers
