"""What every loader of your own data shares: the natural order of names and the split by seed."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from visnet.data.errors import DataError


def natural_key(name: str) -> tuple:
    """Sort key putting 'img2' before 'img10' and '9' before '10' (case-insensitive otherwise)."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part.casefold()) for part in re.split(r"(\d+)", name))


def split_by_class(
    y: np.ndarray, n_classes: int, test_fraction: float, seed: int, source: Path
) -> tuple[np.ndarray, np.ndarray]:
    """Train and test indices into y: (n,) class indices. Each class's examples are shuffled
    by seed and round(n_c x test_fraction) of them held out, but at least one of a class of two
    or more (so every such class is tested) and never all of them (so every class is learned);
    both splits then have the classes in about the same proportions. Each split is shuffled.
    DataError (naming source) if the test split is empty (every class has one example)."""
    rng = np.random.default_rng(seed)
    train_parts, test_parts = [], []
    for c in range(n_classes):
        members = np.flatnonzero(y == c)
        order = members[rng.permutation(members.size)]
        n_test = min(max(int(np.floor(members.size * test_fraction + 0.5)), 1), max(members.size - 1, 0))
        test_parts.append(order[:n_test])
        train_parts.append(order[n_test:])
    train = rng.permutation(np.concatenate(train_parts))
    test = rng.permutation(np.concatenate(test_parts))
    if not test.size:
        raise DataError(f"{source}: one example per class, none left to test on; each class needs at least 2")
    return train, test
