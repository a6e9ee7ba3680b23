"""Data sets of other shapes for the window's tests: MNIST digits shrunk to 8x8, 16x16 or
32x32 pictures (as scikit-learn's digits, USPS and padded sets are), and a small table of
named features with three classes (an iris-like set of Gaussian clusters)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from visnet.data.dataset import Dataset


@dataclass(frozen=True)
class TableDataset(Dataset):
    """A Dataset whose inputs are named columns (what the table loader gives)."""

    feature_names: tuple[str, ...] = ()


def resized_digits(mnist: Dataset, side: int, n_train: int = 600, n_test: int = 100) -> Dataset:
    """MNIST digits padded to 32x32 and averaged down (or kept) to side x side pixels."""

    def resize(x: np.ndarray) -> np.ndarray:
        images = np.pad(x.reshape(-1, 28, 28), ((0, 0), (2, 2), (2, 2)))
        f = 32 // side
        return images.reshape(-1, side, f, side, f).mean(axis=(2, 4)).reshape(-1, side * side)

    return Dataset(
        name=f"digits {side}x{side}",
        x_train=resize(mnist.x_train[:n_train]),
        y_train=mnist.y_train[:n_train],
        x_test=resize(mnist.x_test[:n_test]),
        y_test=mnist.y_test[:n_test],
        class_names=mnist.class_names,
        input_shape=(side, side),
    )


FLOWER_FEATURES = ("sepal length", "sepal width", "petal length", "petal width")


def flower_table(n_train: int = 240, n_test: int = 60, seed: int = 0) -> TableDataset:
    """Three classes of standardised 4-feature rows, clustered apart as iris's are."""
    rng = np.random.default_rng(seed)
    centres = np.array([[-1.0, 0.8, -1.3, -1.2], [0.1, -0.6, 0.3, 0.2], [1.0, -0.2, 1.0, 1.1]])

    def rows(n: int) -> tuple[np.ndarray, np.ndarray]:
        y = rng.integers(0, 3, n)
        return (centres[y] + 0.4 * rng.standard_normal((n, 4))).astype(np.float32), y

    x_train, y_train = rows(n_train)
    x_test, y_test = rows(n_test)
    return TableDataset(
        name="flowers",
        x_train=x_train,
        y_train=y_train,
        x_test=x_test,
        y_test=y_test,
        class_names=("setosa", "versicolor", "virginica"),
        input_shape=(1, 4),
        feature_names=FLOWER_FEATURES,
    )
