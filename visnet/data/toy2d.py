"""Two-dimensional toy data sets for the playground: points (x1, x2) of two classes, 0 and 1.

    from visnet.data.toy2d import make_toy2d, add_point
    data = make_toy2d("xor", n_points=500, noise=0.3, train_fraction=0.5, seed=0)
    data.x_train  # (250, 2) float32 inside PLANE_EXTENT; data.y_train  # (250,) int64, 0 or 1
    data = add_point(data, 1.5, -2.0, label=1)  # a new data set with one drawn point more

Every set lives in the fixed plane PLANE_EXTENT = [-6, 6]², as in TensorFlow Playground, so
a decision surface can be drawn over the same square whatever the data. The same name,
number of points, noise, train fraction and seed give the same points, bit for bit.

noise is the standard deviation, in plane units, of Gaussian jitter added to each
coordinate (0 to MAX_NOISE); jitter that would carry a point out of the plane is drawn
again, so every point stays inside. Half the points (rounded down) are class 0; each class
is split into train and test in the same proportion, so both splits are balanced.

Extra input features (x1², x1·x2, sin x1, ...) are computed by visnet.core.features, the
one definition the decision surfaces use too; with_features and FEATURES are re-exported here.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from numbers import Integral, Real
from typing import NamedTuple

import numpy as np

from visnet.core.features import FEATURE_LABELS, FEATURES, input_names, with_features
from visnet.core.surface import PLANE_EXTENT
from visnet.data.dataset import Dataset, read_only

__all__ = [
    "CLASS_NAMES",
    "DEFAULT_POINTS",
    "FEATURES",
    "FEATURE_LABELS",
    "MAX_NOISE",
    "PLANE_EXTENT",
    "SPLITS",
    "TOY2D_GENERATORS",
    "DrawnPoint",
    "Toy2D",
    "ToyGenerator",
    "add_point",
    "add_points",
    "input_names",
    "make_toy2d",
    "with_features",
]

CLASS_NAMES: tuple[str, ...] = ("0", "1")
SPLITS: tuple[str, ...] = ("train", "test")
DEFAULT_POINTS = 500
MAX_NOISE = 2.0
_REDRAWS = 100  # rounds of redrawing jitter that left the plane, then clip what remains


class DrawnPoint(NamedTuple):
    """A point the user added by clicking: its coordinates, class (0 or 1) and split."""

    x1: float
    x2: float
    label: int
    split: str = "train"


@dataclass(frozen=True)
class Toy2D:
    """A two-class data set in the plane.

    x_train: (n_train, 2) float32 points (x1, x2) inside extent; y_train: (n_train,) int64, 0 or 1
    x_test, y_test: the same for the held-out split.
    name, n_points, noise, train_fraction, seed: how the generated points were made
        (make_toy2d(name, n_points, noise, train_fraction, seed) makes them again).
    drawn: points added by hand since, in order; they are the last rows of their split.
    extent: (x_min, x_max, y_min, y_max) of the plane.
    class_names: the names of classes 0 and 1 ("0" and "1" for generated sets).
    """

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    seed: int
    noise: float
    train_fraction: float
    n_points: int
    drawn: tuple[DrawnPoint, ...] = ()
    extent: tuple[float, float, float, float] = PLANE_EXTENT
    class_names: tuple[str, str] = CLASS_NAMES

    def __post_init__(self) -> None:
        """Freeze the arrays and catch programming errors early."""
        for split in SPLITS:
            x = read_only(getattr(self, f"x_{split}"), np.float32)
            y = read_only(getattr(self, f"y_{split}"), np.int64)
            if x.ndim != 2 or x.shape[1] != 2:
                raise ValueError(f"x_{split} must be (n, 2), got {x.shape}")
            if y.shape != (x.shape[0],):
                raise ValueError(f"y_{split} must be ({x.shape[0]},), got {y.shape}")
            if np.any((y != 0) & (y != 1)):
                raise ValueError(f"y_{split} must hold only the labels 0 and 1")
            object.__setattr__(self, f"x_{split}", x)
            object.__setattr__(self, f"y_{split}", y)
        object.__setattr__(self, "drawn", tuple(DrawnPoint(*p) for p in self.drawn))
        object.__setattr__(self, "extent", tuple(float(v) for v in self.extent))
        object.__setattr__(self, "class_names", tuple(self.class_names))
        if len(self.class_names) != 2:
            raise ValueError(f"a 2-D set has two classes, got names {self.class_names}")

    @property
    def n_train(self) -> int:
        return self.x_train.shape[0]

    @property
    def n_test(self) -> int:
        return self.x_test.shape[0]

    @property
    def description(self) -> str:
        """The generator's one-line description ("" for a name it does not know)."""
        generator = TOY2D_GENERATORS.get(self.name)
        return generator.description if generator is not None else ""

    def describe(self) -> str:
        """One line for status bars."""
        drawn = f", {len(self.drawn)} drawn" if self.drawn else ""
        return (
            f"{self.name}: {self.n_train:,} train / {self.n_test:,} test points{drawn}, "
            f"noise {self.noise:g}, seed {self.seed}"
        )

    def as_dataset(self, features: Sequence[str] = ()) -> Dataset:
        """A Dataset for the trainer and the panels: inputs x1, x2 and then `features`
        ((n, 2 + k) float32, see with_features), classes "0" and "1", input_shape (1, 2 + k)."""
        x_train = with_features(self.x_train, features)
        return Dataset(
            name=self.name,
            x_train=x_train,
            y_train=self.y_train,
            x_test=with_features(self.x_test, features),
            y_test=self.y_test,
            class_names=self.class_names,
            input_shape=(1, x_train.shape[1]),
        )


@dataclass(frozen=True)
class ToyGenerator:
    """One kind of data set. sample(rng, n0, n1) returns noiseless points (n0 + n1, 2) inside
    [-5.5, 5.5]², the n0 points of class 0 first."""

    name: str
    description: str
    sample: Callable[[np.random.Generator, int, int], np.ndarray]


def _polar(r: np.ndarray, t: np.ndarray) -> np.ndarray:
    return np.column_stack([r * np.cos(t), r * np.sin(t)])


def _gaussian_within(rng: np.random.Generator, n: int, sd: float, r_max: float) -> np.ndarray:
    """n offsets from N(0, sd² I), truncated to the disc of radius r_max (drawn again beyond it)."""
    d = rng.normal(0.0, sd, (n, 2))
    while (far := np.flatnonzero(np.hypot(d[:, 0], d[:, 1]) > r_max)).size:
        d[far] = rng.normal(0.0, sd, (far.size, 2))
    return d


def _blobs(rng: np.random.Generator, n0: int, n1: int) -> np.ndarray:
    # Centres 2.5√2 ≈ 3.54 from the line x1 + x2 = 0 and offsets truncated at 3: that line
    # separates the classes with room to spare when there is no noise.
    centre = np.array([2.5, 2.5])
    return np.concatenate([-centre + _gaussian_within(rng, n0, 1.0, 3.0), centre + _gaussian_within(rng, n1, 1.0, 3.0)])


def _overlap(rng: np.random.Generator, n0: int, n1: int) -> np.ndarray:
    # Centres √2 from the line x1 + x2 = 0 with spread 1.6: the best line gets about 81% right.
    centre = np.array([1.0, 1.0])
    return np.concatenate([-centre + _gaussian_within(rng, n0, 1.6, 4.5), centre + _gaussian_within(rng, n1, 1.6, 4.5)])


def _circle(rng: np.random.Generator, n0: int, n1: int) -> np.ndarray:
    # Uniform over the areas: the ring 3.5 <= r <= 5 (class 0) and the disc r <= 2 (class 1).
    r_ring = np.sqrt(rng.uniform(3.5**2, 5.0**2, n0))
    r_disc = 2.0 * np.sqrt(rng.uniform(0.0, 1.0, n1))
    t = rng.uniform(0.0, 2 * np.pi, n0 + n1)
    return _polar(np.concatenate([r_ring, r_disc]), t)


def _xor(rng: np.random.Generator, n0: int, n1: int) -> np.ndarray:
    # |x1|, |x2| in [0.5, 5.5], away from the axes; class 1 where x1 and x2 have the same sign.
    n = n0 + n1
    magnitude = rng.uniform(0.5, 5.5, (n, 2))
    s1 = rng.choice([-1.0, 1.0], n)
    s2 = np.where(np.arange(n) < n0, -s1, s1)
    return magnitude * np.column_stack([s1, s2])


def _spirals(rng: np.random.Generator, n0: int, n1: int) -> np.ndarray:
    # Two arms r = 5s, angle 1.75 turns x s, s in [0, 1]; class 1's arm is turned half a turn.
    s = rng.uniform(0.0, 1.0, n0 + n1)
    t = 1.75 * 2 * np.pi * s + np.where(np.arange(n0 + n1) < n0, 0.0, np.pi)
    return _polar(5.0 * s, t)


def _moons(rng: np.random.Generator, n0: int, n1: int) -> np.ndarray:
    # scikit-learn's make_moons, centred and scaled by 3: the upper moon is class 0.
    t = rng.uniform(0.0, np.pi, n0 + n1)
    upper = np.column_stack([np.cos(t[:n0]), np.sin(t[:n0])])
    lower = np.column_stack([1.0 - np.cos(t[n0:]), 0.5 - np.sin(t[n0:])])
    return 3.0 * (np.concatenate([upper, lower]) - [0.5, 0.25])


TOY2D_GENERATORS: dict[str, ToyGenerator] = {
    g.name: g
    for g in (
        ToyGenerator("blobs", "two Gaussian blobs that a straight line separates", _blobs),
        ToyGenerator("overlap", "two overlapping Gaussian blobs: no line separates them perfectly", _overlap),
        ToyGenerator("circle", "a disc inside a ring: needs a closed boundary", _circle),
        ToyGenerator("xor", "opposite quadrants share a class: no single line works", _xor),
        ToyGenerator("spirals", "two interleaved spirals: the hardest", _spirals),
        ToyGenerator("moons", "two interleaving half-moons: a bent boundary", _moons),
    )
}


def _check_generation(name: str, n_points: int, noise: float, train_fraction: float, seed: int) -> None:
    if name not in TOY2D_GENERATORS:
        raise ValueError(f"unknown 2-D data set {name!r}; choose one of {', '.join(TOY2D_GENERATORS)}")
    if isinstance(n_points, bool) or not isinstance(n_points, Integral) or n_points < 4:
        raise ValueError(f"n_points must be an integer >= 4 (a train and a test point per class), got {n_points!r}")
    if isinstance(noise, bool) or not isinstance(noise, Real) or not 0 <= noise <= MAX_NOISE:
        raise ValueError(f"noise must be a number from 0 to {MAX_NOISE:g} (plane units), got {noise!r}")
    if isinstance(train_fraction, bool) or not isinstance(train_fraction, Real) or not 0 < train_fraction < 1:
        raise ValueError(f"train_fraction must be a number strictly between 0 and 1, got {train_fraction!r}")
    if isinstance(seed, bool) or not isinstance(seed, Integral) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")


def _jitter(rng: np.random.Generator, points: np.ndarray, noise: float, extent: Sequence[float]) -> np.ndarray:
    """points + N(0, noise²) per coordinate, drawing again any jitter that leaves the plane."""
    if noise == 0:
        return points
    lo = np.array([extent[0], extent[2]])
    hi = np.array([extent[1], extent[3]])
    out = points + rng.normal(0.0, noise, points.shape)
    for _ in range(_REDRAWS):
        outside = np.flatnonzero(np.any((out < lo) | (out > hi), axis=1))
        if not outside.size:
            break
        out[outside] = points[outside] + rng.normal(0.0, noise, (outside.size, 2))
    return np.clip(out, lo, hi)


def _train_count(n: int, train_fraction: float) -> int:
    return int(math.floor(n * train_fraction + 0.5))


def make_toy2d(
    name: str,
    n_points: int = DEFAULT_POINTS,
    noise: float = 0.0,
    train_fraction: float = 0.5,
    seed: int = 0,
) -> Toy2D:
    """Generate the data set `name` (a key of TOY2D_GENERATORS): n_points in all, n_points // 2
    of class 0, split per class into round(n_c x train_fraction) train and the rest test, each
    split shuffled. noise: jitter standard deviation in plane units, 0 to MAX_NOISE."""
    _check_generation(name, n_points, noise, train_fraction, seed)
    n0 = n_points // 2
    n1 = n_points - n0
    for n_c in (n0, n1):
        k = _train_count(n_c, train_fraction)
        if not 0 < k < n_c:
            raise ValueError(
                f"train_fraction {train_fraction:g} of {n_points} points leaves a class with "
                f"{k} train and {n_c - k} test points; both need at least one"
            )
    rng = np.random.default_rng(seed)
    points = _jitter(rng, TOY2D_GENERATORS[name].sample(rng, n0, n1), float(noise), PLANE_EXTENT)
    labels = np.repeat(np.array([0, 1], dtype=np.int64), [n0, n1])
    train_parts, test_parts = [], []
    for _c, start, n_c in ((0, 0, n0), (1, n0, n1)):
        order = start + rng.permutation(n_c)
        k = _train_count(n_c, train_fraction)
        train_parts.append(order[:k])
        test_parts.append(order[k:])
    train = rng.permutation(np.concatenate(train_parts))
    test = rng.permutation(np.concatenate(test_parts))
    return Toy2D(
        name=name,
        x_train=points[train].astype(np.float32),
        y_train=labels[train],
        x_test=points[test].astype(np.float32),
        y_test=labels[test],
        seed=int(seed),
        noise=float(noise),
        train_fraction=float(train_fraction),
        n_points=int(n_points),
    )


def _check_drawn(point: DrawnPoint, extent: Sequence[float]) -> DrawnPoint:
    x1, x2, label, split = point
    if not (isinstance(x1, Real) and isinstance(x2, Real) and math.isfinite(x1) and math.isfinite(x2)):
        raise ValueError(f"a drawn point needs finite coordinates, got ({x1!r}, {x2!r})")
    x_min, x_max, y_min, y_max = extent
    if not (x_min <= x1 <= x_max and y_min <= x2 <= y_max):
        raise ValueError(
            f"drawn point ({x1:g}, {x2:g}) is outside the plane [{x_min:g}, {x_max:g}] x [{y_min:g}, {y_max:g}]"
        )
    if isinstance(label, bool) or label not in (0, 1):
        raise ValueError(f"a drawn point's label must be 0 or 1, got {label!r}")
    if split not in SPLITS:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    return DrawnPoint(float(x1), float(x2), int(label), split)


def add_points(data: Toy2D, points: Iterable[DrawnPoint | tuple]) -> Toy2D:
    """A new data set: data plus the drawn points (x1, x2, label[, split]) appended, in order,
    to the end of their split. data itself is unchanged."""
    new = tuple(_check_drawn(DrawnPoint(*p), data.extent) for p in points)
    arrays = {}
    for split in SPLITS:
        mine = [p for p in new if p.split == split]
        x_new = np.array([(p.x1, p.x2) for p in mine], dtype=np.float32).reshape(-1, 2)
        y_new = np.array([p.label for p in mine], dtype=np.int64)
        arrays[f"x_{split}"] = np.concatenate([getattr(data, f"x_{split}"), x_new])
        arrays[f"y_{split}"] = np.concatenate([getattr(data, f"y_{split}"), y_new])
    return Toy2D(
        name=data.name,
        seed=data.seed,
        noise=data.noise,
        train_fraction=data.train_fraction,
        n_points=data.n_points,
        drawn=data.drawn + new,
        extent=data.extent,
        class_names=data.class_names,
        **arrays,
    )


def add_point(data: Toy2D, x1: float, x2: float, label: int, split: str = "train") -> Toy2D:
    """A new data set: data plus the point (x1, x2) of class `label` (0 or 1) at the end of
    `split` ("train" or "test"). ValueError for a point outside the plane or a bad label."""
    return add_points(data, [DrawnPoint(x1, x2, label, split)])
