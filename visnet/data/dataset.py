"""Dataset: train and test splits as read-only float32 arrays, ready for the numpy core.

Every loader (embedded, IDX, Keras .npz) ends in `dataset_from_arrays`, so the checks that
protect the core (shapes, label range, matching counts) live in one place.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from visnet.data.errors import DataError

DIGIT_CLASSES: tuple[str, ...] = tuple("0123456789")
FASHION_CLASSES: tuple[str, ...] = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
IMAGE_SHAPE = (28, 28)


def read_only(array: np.ndarray, dtype: type) -> np.ndarray:
    """A read-only view with the wanted dtype; copies only when the dtype changes."""
    view = np.asarray(array, dtype=dtype).view()
    view.setflags(write=False)
    return view


@dataclass(frozen=True)
class Dataset:
    """A labelled image data set.

    x_train: (n_train, n_inputs) float32 in [0, 1], one flattened image per row
    y_train: (n_train,) int64 class indices into class_names
    x_test, y_test: the same for the held-out split
    """

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple[str, ...]
    input_shape: tuple[int, int] = IMAGE_SHAPE

    def __post_init__(self) -> None:
        """Freeze the arrays and catch programming errors early (file errors are DataError, upstream)."""
        n_inputs = int(np.prod(self.input_shape))
        for split in ("train", "test"):
            x = read_only(getattr(self, f"x_{split}"), np.float32)
            y = read_only(getattr(self, f"y_{split}"), np.int64)
            if x.ndim != 2 or x.shape[1] != n_inputs:
                raise ValueError(f"x_{split} must be (n, {n_inputs}), got {x.shape}")
            if y.shape != (x.shape[0],):
                raise ValueError(f"y_{split} must be ({x.shape[0]},), got {y.shape}")
            object.__setattr__(self, f"x_{split}", x)
            object.__setattr__(self, f"y_{split}", y)
        object.__setattr__(self, "class_names", tuple(self.class_names))
        object.__setattr__(self, "input_shape", tuple(self.input_shape))

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    @property
    def n_inputs(self) -> int:
        return self.x_train.shape[1]

    @property
    def n_train(self) -> int:
        return self.x_train.shape[0]

    @property
    def n_test(self) -> int:
        return self.x_test.shape[0]

    def subset(self, n_train: int, n_test: int | None = None) -> Dataset:
        """The first n_train / n_test examples of each split (views, no copy): for tests and quick runs."""
        n_test = self.n_test if n_test is None else n_test
        return Dataset(
            name=self.name,
            x_train=self.x_train[:n_train],
            y_train=self.y_train[:n_train],
            x_test=self.x_test[:n_test],
            y_test=self.y_test[:n_test],
            class_names=self.class_names,
            input_shape=self.input_shape,
        )

    def image(self, index: int, split: str = "train") -> np.ndarray:
        """Example `index` of `split` as an input_shape picture, for display."""
        x = self.x_train if split == "train" else self.x_test
        return x[index].reshape(self.input_shape)

    def describe(self) -> str:
        """One line for status bars and `visnet info`."""
        h, w = self.input_shape
        return f"{self.name}: {self.n_train:,} train / {self.n_test:,} test images of {h}x{w}, {self.n_classes} classes"


def check_image_dtype(dtype: np.dtype, source: str) -> None:
    """DataError unless `dtype` holds pixels: uint8 (0..255) or a float of at most 8 bytes (0..1)."""
    if dtype != np.uint8 and not (dtype.kind == "f" and dtype.itemsize <= 8):
        raise DataError(f"{source}: expected uint8 or float pixels, got {dtype}")


def check_label_dtype(dtype: np.dtype, source: str) -> None:
    """DataError unless `dtype` is an integer type of at most 8 bytes."""
    if dtype.kind not in "iu" or dtype.itemsize > 8:
        raise DataError(f"{source}: expected integer labels, got {dtype}")


def check_split(
    images: np.ndarray, labels: np.ndarray, image_source: str, label_source: str, n_classes: int = 10
) -> None:
    """Raise DataError unless images are (n, 28, 28) pixels (uint8, or floats in 0..1) with n > 0
    and labels (n,) integers in 0..n_classes-1."""
    if images.ndim != 3 or images.shape[1:] != IMAGE_SHAPE:
        raise DataError(f"{image_source}: expected images of shape (n, 28, 28), got {images.shape}")
    check_image_dtype(images.dtype, image_source)
    if images.shape[0] == 0:
        raise DataError(f"{image_source}: holds no images")
    if images.dtype.kind == "f":
        check_float_pixels(images, image_source)
    if labels.ndim != 1:
        raise DataError(f"{label_source}: expected a 1-D array of labels, got shape {labels.shape}")
    check_label_dtype(labels.dtype, label_source)
    if labels.shape[0] != images.shape[0]:
        raise DataError(f"{label_source}: {labels.shape[0]} labels but {image_source} has {images.shape[0]} images")
    bad = np.flatnonzero((labels < 0) | (labels >= n_classes))
    if bad.size:
        i = int(bad[0])
        raise DataError(f"{label_source}: label {int(labels[i])} at index {i} is outside 0..{n_classes - 1}")


def check_float_pixels(images: np.ndarray, source: str) -> None:
    """DataError unless every float pixel is finite and within 0..1 (min and max: no temporary arrays)."""
    lo, hi = float(images.min()), float(images.max())
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise DataError(f"{source}: has NaN or infinite pixels")
    if lo < 0 or hi > 1:
        raise DataError(f"{source}: float pixels must lie within 0..1, found {lo:g}..{hi:g}")


def pixels_to_float(images: np.ndarray) -> np.ndarray:
    """(n, 28, 28) uint8 (0..255) or float (0..1) → (n, 784) float32 in [0, 1]."""
    x = images.reshape(images.shape[0], -1).astype(np.float32)
    if images.dtype == np.uint8:
        x *= np.float32(1 / 255)
    return x


def dataset_from_arrays(
    name: str,
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_test: np.ndarray,
    y_test: np.ndarray,
    class_names: tuple[str, ...],
    sources: tuple[str, str, str, str],
) -> Dataset:
    """Check raw splits as read from files (sources name each array's file, for messages) and build a Dataset."""
    check_split(x_train, y_train, sources[0], sources[1], len(class_names))
    check_split(x_test, y_test, sources[2], sources[3], len(class_names))
    return Dataset(
        name=name,
        x_train=pixels_to_float(x_train),
        y_train=y_train.astype(np.int64),
        x_test=pixels_to_float(x_test),
        y_test=y_test.astype(np.int64),
        class_names=class_names,
    )
