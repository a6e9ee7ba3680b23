"""Playground data sets named by one string, like every other data set of visnet.

The window, model files and the command line name a data set by a spec string
('embedded', 'mnist', a folder). A generated 2-D set is named the same way, with the
settings that make its points again:

    playground:xor?noise=0.2&seed=0&points=500&train=0.5&features=x1_sq,x2_sq

PlaygroundSpec.parse() reads it (DataError on anything wrong), str() writes it, and
load() gives the points (a Toy2D) and the Dataset the network trains on.

A CSV file of points takes the place of a generator's name (columns x1, x2 and a label of two
classes, any names, the label last), with the split settings only:

    playground:points.csv?seed=0&train=0.5&features=x1_x2
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import parse_qsl

from visnet.core.features import FEATURE_LABELS, check_features
from visnet.data.dataset import Dataset
from visnet.data.errors import DataError
from visnet.data.table import TABLE_SUFFIXES, load_points_csv
from visnet.data.toy2d import DEFAULT_POINTS, TOY2D_GENERATORS, DrawnPoint, Toy2D, add_points, make_toy2d

PREFIX = "playground:"
DEFAULT_NOISE = 0.2
MAX_POINTS = 20_000  # Playground-sized: every point is drawn each frame
TITLES = {
    "blobs": "Two blobs",
    "overlap": "Overlapping blobs",
    "circle": "Circle",
    "xor": "XOR",
    "spirals": "Spirals",
    "moons": "Moons",
}


def is_playground(spec: object) -> bool:
    return isinstance(spec, str) and spec.startswith(PREFIX)


@dataclass(frozen=True)
class PlaygroundSpec:
    """A generated 2-D data set: make_toy2d's settings plus the extra input features."""

    name: str = "xor"
    noise: float = DEFAULT_NOISE
    seed: int = 0
    n_points: int = DEFAULT_POINTS
    train_fraction: float = 0.5
    features: tuple[str, ...] = ()

    @classmethod
    def parse(cls, spec: str) -> PlaygroundSpec:
        """The settings in a 'playground:NAME?key=value&…' string; DataError if it is not one."""
        if not is_playground(spec):
            raise DataError(f"{spec!r} is not a playground data set (they start with {PREFIX!r})")
        name, _, query = spec[len(PREFIX) :].partition("?")
        try:
            fields = dict(parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query)))
        except ValueError as err:
            raise DataError(f"{spec!r}: cannot read the settings after '?': {err}") from None
        if name.lower().endswith(TABLE_SUFFIXES) and {"noise", "points"} & set(fields):
            raise DataError(f"{spec!r}: noise and points are settings of generated sets, not of a CSV file")
        unknown = set(fields) - {"noise", "seed", "points", "train", "features"}
        if unknown:
            raise DataError(
                f"{spec!r}: unknown setting {', '.join(sorted(unknown))}; known: noise, seed, points, train, features"
            )
        try:
            parsed = cls(
                name=name,
                noise=float(fields.get("noise", DEFAULT_NOISE)),
                seed=int(fields.get("seed", 0)),
                n_points=int(fields.get("points", DEFAULT_POINTS)),
                train_fraction=float(fields.get("train", 0.5)),
                features=tuple(f for f in fields.get("features", "").split(",") if f),
            )
            parsed.check()
        except ValueError as err:
            raise DataError(f"{spec!r}: {err}") from None
        return parsed

    @property
    def is_file(self) -> bool:
        """True if the points come from a CSV or TSV file (name is its path), not a generator."""
        return self.name.lower().endswith(TABLE_SUFFIXES)

    def check(self) -> None:
        """ValueError for settings make_toy2d or the features refuse."""
        check_features(self.features)
        if self.is_file:
            if not 0 < self.train_fraction < 1:
                raise ValueError(f"train must be strictly between 0 and 1, got {self.train_fraction:g}")
            if self.seed < 0:
                raise ValueError(f"seed must be a non-negative integer, got {self.seed}")
            return
        if not 4 <= self.n_points <= MAX_POINTS:
            raise ValueError(f"points must be from 4 to {MAX_POINTS:,}, got {self.n_points}")
        make_toy2d(self.name, min(self.n_points, 8), self.noise, 0.5, self.seed)  # cheap: validates the rest
        if not 0 < self.train_fraction < 1:
            raise ValueError(f"train must be strictly between 0 and 1, got {self.train_fraction:g}")

    def __str__(self) -> str:
        if self.is_file:
            text = f"{PREFIX}{self.name}?seed={self.seed}&train={self.train_fraction!r}"
            return text + (f"&features={','.join(self.features)}" if self.features else "")
        text = (
            f"{PREFIX}{self.name}?noise={self.noise:g}&seed={self.seed}&points={self.n_points}"
            f"&train={self.train_fraction:g}"
        )
        return text + (f"&features={','.join(self.features)}" if self.features else "")

    @property
    def title(self) -> str:
        """'XOR, noise 0.2 + x₁x₂' for captions and window titles."""
        extra = "".join(f" + {FEATURE_LABELS[f]}" for f in self.features)
        if self.is_file:
            return Path(self.name).name + extra
        return f"{TITLES.get(self.name, self.name)}, noise {self.noise:g}{extra}"

    def with_changes(self, **changes) -> PlaygroundSpec:
        return replace(self, **changes)

    def make(self) -> Toy2D:
        """The points these settings generate, bit for bit the same every time (or read from
        the CSV file, split by seed)."""
        if self.is_file:
            return load_points_csv(Path(self.name).expanduser(), self.train_fraction, self.seed)
        try:
            return make_toy2d(self.name, self.n_points, self.noise, self.train_fraction, self.seed)
        except ValueError as err:
            raise DataError(f"{self}: {err}") from None

    def load(self, drawn: Sequence = ()) -> tuple[Toy2D, Dataset]:
        """The points and the Dataset a network trains on (inputs x1, x2, then the features).
        drawn: points added by hand, [x1, x2, label, split] rows as a model file keeps them;
        DataError if they are unreadable."""
        toy = self.make()
        if drawn:
            try:
                toy = add_points(toy, [DrawnPoint(*p) for p in drawn])
            except (TypeError, ValueError) as err:
                raise DataError(f"the points drawn by hand are not readable ({err}); none were added") from None
        return toy, self.dataset(toy)

    def dataset(self, toy: Toy2D) -> Dataset:
        data = toy.as_dataset(self.features)
        return replace(data, name=f"playground {self.title}")


PLAYGROUND_SETS: tuple[str, ...] = tuple(TOY2D_GENERATORS)
