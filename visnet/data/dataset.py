"""Dataset: train and test splits as read-only float32 arrays, ready for the numpy core.

Every image loader (embedded, IDX, Keras .npz) ends in `dataset_from_arrays`, so the checks
that protect the core (shapes, label range, matching counts) live in one place. Tables
(table.py) carry the names of their inputs and the standardisation their rows went through.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

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
# Kuzushiji-MNIST: one cursive hiragana for each row of the syllabary, お き す つ な は ま や れ を,
# named in romaji as the data set's authors and torchvision name them.
KMNIST_CLASSES: tuple[str, ...] = ("o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo")
IMAGE_SHAPE = (28, 28)
# The largest side of an image set: room for 64x64 image folders and 32x32 sets with margin,
# while a header cannot make a 10,000-pixel-wide input layer.
MAX_IMAGE_SIDE = 256


def read_only(array: np.ndarray, dtype: type) -> np.ndarray:
    """A read-only view with the wanted dtype; copies only when the dtype changes."""
    view = np.asarray(array, dtype=dtype).view()
    view.setflags(write=False)
    return view


@dataclass(frozen=True)
class Standardization:
    """The scaling a table's rows went through: x' = (x - mean) / std, per feature.

    mean, std: (n_features,) float64 from the training split (a constant feature has std 1,
    so it becomes 0 instead of a division by zero). A model keeps them so that new rows are
    scaled exactly as its training rows were.
    """

    mean: np.ndarray
    std: np.ndarray

    def __post_init__(self) -> None:
        mean, std = read_only(self.mean, np.float64), read_only(self.std, np.float64)
        if mean.ndim != 1 or std.shape != mean.shape:
            raise ValueError(f"mean and std must be (n_features,) arrays, got {mean.shape} and {std.shape}")
        if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(std)) and np.all(std > 0)):
            raise ValueError("mean must be finite and std finite and positive")
        object.__setattr__(self, "mean", mean)
        object.__setattr__(self, "std", std)

    @classmethod
    def of(cls, x_train: np.ndarray) -> Standardization:
        """The mean and std of each column of x_train: (n, n_features), n >= 1."""
        x = np.asarray(x_train, dtype=np.float64)
        std = x.std(axis=0)
        return cls(x.mean(axis=0), np.where(std > 0, std, 1.0))

    def apply(self, rows: np.ndarray) -> np.ndarray:
        """rows: (n, n_features) raw values → (n, n_features) float32 standardised values."""
        rows = np.asarray(rows, dtype=np.float64)
        if rows.ndim != 2 or rows.shape[1] != self.mean.size:
            raise ValueError(f"rows must be (n, {self.mean.size}), got {rows.shape}")
        return ((rows - self.mean) / self.std).astype(np.float32)

    def as_dict(self) -> dict[str, list[float]]:
        """JSON-able, for a model file's metadata."""
        return {"mean": self.mean.tolist(), "std": self.std.tolist()}

    @classmethod
    def from_dict(cls, stored: object) -> Standardization:
        """The inverse of as_dict, for what a model file holds; ValueError if it is not a
        {"mean": [...], "std": [...]} of equal lengths, finite, with std > 0."""
        if not isinstance(stored, dict) or set(stored) != {"mean", "std"}:
            raise ValueError("a standardization is {'mean': [...], 'std': [...]}")
        try:
            mean = np.array(stored["mean"], dtype=np.float64)
            std = np.array(stored["std"], dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError("a standardization's mean and std must be lists of numbers") from None
        return cls(mean, std)


@dataclass(frozen=True)
class Dataset:
    """A labelled data set: images, 2-D points or table rows.

    x_train: (n_train, n_inputs) float32, one flattened image (pixels in [0, 1]) or one row
        of inputs (a table's standardised features) per row
    y_train: (n_train,) int64 class indices into class_names
    x_test, y_test: the same for the held-out split
    input_shape: (height, width) of an image; (1, n_inputs) for points and table rows
    feature_names: the name of each input of a table, in column order; () for images
    standardization: how a table's rows were scaled (None: the inputs are used as they are)
    notes: what the loader left out or changed, one line each (e.g. files that are not images)
    full_size: (n_train, n_test) of the whole set when this is only its first examples
        (subset), so a model file can say it was trained on part of the set; None: all of it
    """

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple[str, ...]
    input_shape: tuple[int, int] = IMAGE_SHAPE
    feature_names: tuple[str, ...] = ()
    standardization: Standardization | None = None
    notes: tuple[str, ...] = ()
    full_size: tuple[int, int] | None = None

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
        object.__setattr__(self, "feature_names", tuple(self.feature_names))
        object.__setattr__(self, "notes", tuple(self.notes))
        if self.feature_names and len(self.feature_names) != n_inputs:
            raise ValueError(f"{len(self.feature_names)} feature names for {n_inputs} inputs")
        if self.standardization is not None and self.standardization.mean.size != n_inputs:
            raise ValueError(f"a standardization of {self.standardization.mean.size} features for {n_inputs} inputs")

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
        return replace(
            self,
            full_size=self.full_size or (self.n_train, self.n_test),
            x_train=self.x_train[:n_train],
            y_train=self.y_train[:n_train],
            x_test=self.x_test[:n_test],
            y_test=self.y_test[:n_test],
        )

    @property
    def is_part(self) -> bool:
        """True when this holds only the first examples of a larger set."""
        return self.full_size is not None and self.full_size != (self.n_train, self.n_test)

    def part_info(self) -> dict | None:
        """What a model file keeps to train on the same part again: {"train": n, "test": m}
        when this is part of a larger set, else None."""
        return {"train": self.n_train, "test": self.n_test} if self.is_part else None

    def part_from_info(self, part: object) -> Dataset:
        """The part a model file's `part_info` names, of this whole set; self when the entry
        is missing, malformed or asks for more than there is."""
        if not isinstance(part, dict):
            return self
        n_train, n_test = part.get("train"), part.get("test")
        if type(n_train) is not int or type(n_test) is not int:  # not bool either
            return self
        whole = (n_train, n_test) == (self.n_train, self.n_test)
        if whole or not (0 < n_train <= self.n_train and 0 < n_test <= self.n_test):
            return self
        return self.subset(n_train, n_test)

    def image(self, index: int, split: str = "train") -> np.ndarray:
        """Example `index` of `split` as an input_shape picture, for display."""
        x = self.x_train if split == "train" else self.x_test
        return x[index].reshape(self.input_shape)

    def describe(self) -> str:
        """One line for status bars and `visnet info`."""
        h, w = self.input_shape
        if self.feature_names:
            what = f"rows of {w} features"
        else:
            what = f"images of {h}x{w}"
        notes = "".join(f"; {note}" for note in self.notes)
        return f"{self.name}: {self.n_train:,} train / {self.n_test:,} test {what}, {self.n_classes} classes{notes}"


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
    """Raise DataError unless images are (n, height, width) pixels (uint8, or floats in 0..1) with
    n > 0 and sides of 1..MAX_IMAGE_SIDE, and labels (n,) integers in 0..n_classes-1."""
    if images.ndim != 3 or not all(1 <= side <= MAX_IMAGE_SIDE for side in images.shape[1:]):
        raise DataError(
            f"{image_source}: expected images of shape (n, height, width) with sides of 1 to {MAX_IMAGE_SIDE}, "
            f"got {images.shape}"
        )
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
    """(n, h, w) uint8 (0..255) or float (0..1) → (n, h*w) float32 in [0, 1]."""
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
    if x_test.shape[1:] != x_train.shape[1:]:
        raise DataError(
            f"{sources[2]}: expected images of shape (n, {x_train.shape[1]}, {x_train.shape[2]}) "
            f"like {sources[0]}, got {x_test.shape}"
        )
    return Dataset(
        name=name,
        x_train=pixels_to_float(x_train),
        y_train=y_train.astype(np.int64),
        x_test=pixels_to_float(x_test),
        y_test=y_test.astype(np.int64),
        class_names=class_names,
        input_shape=x_train.shape[1:],
    )
