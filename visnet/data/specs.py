"""Your own data sets named by one string, like every other data set of visnet:

    folder:PATH?size=28x28&test=0.2&seed=0      a folder with one subfolder of images per class
    table:PATH?label=species&test=0.2&seed=0    a CSV file, or an .npz with x and y arrays

FolderSpec.parse / TableSpec.parse read them (DataError on anything wrong) and str() writes
them back in one canonical form, every setting spelled out, so a model file's dataset_spec
names the same data set whatever the user typed. PATH runs up to the first '?': a path that
holds a '?' cannot be named this way. Settings are URL-encoded, so a label column may hold
'&' or '='.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote

from visnet.data.dataset import MAX_IMAGE_SIDE
from visnet.data.errors import DataError

FOLDER_PREFIX = "folder:"
TABLE_PREFIX = "table:"
DEFAULT_TEST_FRACTION = 0.2
AUTO_SIZE = "auto"
# An image folder is resized to at most this size unless a size is asked for: an input layer
# of 4,096 pixels still trains at a few hundred images a second on a laptop.
MAX_AUTO_SIDE = 64


def is_folder_spec(spec: object) -> bool:
    return isinstance(spec, str) and spec.startswith(FOLDER_PREFIX)


def is_table_spec(spec: object) -> bool:
    return isinstance(spec, str) and spec.startswith(TABLE_PREFIX)


def _split(spec: str, prefix: str, known: tuple[str, ...]) -> tuple[str, dict[str, str]]:
    """(PATH, settings) of 'prefix:PATH?key=value&…'; DataError for an unknown or repeated key."""
    path, _, query = spec[len(prefix) :].partition("?")
    if not path:
        raise DataError(f"{spec!r}: no path after {prefix!r}")
    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query))
    except ValueError as err:
        raise DataError(f"{spec!r}: cannot read the settings after '?': {err}") from None
    fields: dict[str, str] = {}
    for key, value in pairs:
        if key not in known:
            raise DataError(f"{spec!r}: unknown setting {key!r}; known: {', '.join(known)}")
        if key in fields:
            raise DataError(f"{spec!r}: the setting {key!r} is given twice")
        fields[key] = value
    return path, fields


def _test_fraction(text: str) -> float:
    value = float(text)
    if not (math.isfinite(value) and 0 < value < 1):
        raise ValueError(f"test must be a fraction strictly between 0 and 1, got {text}")
    return value


def _seed(text: str) -> int:
    value = int(text)
    if value < 0:
        raise ValueError(f"seed must be a non-negative integer, got {text}")
    return value


def parse_size(text: str) -> tuple[int, int] | None:
    """(height, width) from 'N' (square) or 'WxH' (width first, as image sizes are written);
    None from 'auto'. ValueError otherwise."""
    if text == AUTO_SIZE:
        return None
    parts = text.lower().split("x")
    if len(parts) not in (1, 2) or not all(p.isdigit() for p in parts):
        raise ValueError(f"size must be N, HxW or {AUTO_SIZE}, got {text!r}")
    w, h = int(parts[0]), int(parts[-1])
    if not (1 <= h <= MAX_IMAGE_SIDE and 1 <= w <= MAX_IMAGE_SIDE):
        raise ValueError(f"size sides must be from 1 to {MAX_IMAGE_SIDE}, got {text}")
    return h, w


@dataclass(frozen=True)
class FolderSpec:
    """An image folder: path, size (height, width) or None for the most common size (capped at
    MAX_AUTO_SIDE), the fraction held out for testing and the seed of that split. test and seed
    are unused when the folder has train/ and test/ subfolders."""

    path: str
    size: tuple[int, int] | None = None
    test_fraction: float = DEFAULT_TEST_FRACTION
    seed: int = 0

    @classmethod
    def parse(cls, spec: str) -> FolderSpec:
        if not is_folder_spec(spec):
            raise DataError(f"{spec!r} is not an image folder spec (they start with {FOLDER_PREFIX!r})")
        path, fields = _split(spec, FOLDER_PREFIX, ("size", "test", "seed"))
        try:
            return cls(
                path=path,
                size=parse_size(fields.get("size", AUTO_SIZE)),
                test_fraction=_test_fraction(fields.get("test", str(DEFAULT_TEST_FRACTION))),
                seed=_seed(fields.get("seed", "0")),
            )
        except ValueError as err:
            raise DataError(f"{spec!r}: {err}") from None

    def __str__(self) -> str:
        size = AUTO_SIZE if self.size is None else f"{self.size[1]}x{self.size[0]}"
        return f"{FOLDER_PREFIX}{self.path}?size={size}&test={self.test_fraction!r}&seed={self.seed}"


@dataclass(frozen=True)
class TableSpec:
    """A table: path (.csv or .npz), the label column (None: the last), the fraction held out
    for testing and the seed of that split."""

    path: str
    label: str | None = None
    test_fraction: float = DEFAULT_TEST_FRACTION
    seed: int = 0

    @classmethod
    def parse(cls, spec: str) -> TableSpec:
        if not is_table_spec(spec):
            raise DataError(f"{spec!r} is not a table spec (they start with {TABLE_PREFIX!r})")
        path, fields = _split(spec, TABLE_PREFIX, ("label", "test", "seed"))
        label = fields.get("label")
        if label == "":
            raise DataError(f"{spec!r}: label names no column; leave it out to use the last column")
        try:
            return cls(
                path=path,
                label=label,
                test_fraction=_test_fraction(fields.get("test", str(DEFAULT_TEST_FRACTION))),
                seed=_seed(fields.get("seed", "0")),
            )
        except ValueError as err:
            raise DataError(f"{spec!r}: {err}") from None

    def __str__(self) -> str:
        label = "" if self.label is None else f"label={quote(self.label, safe='')}&"
        return f"{TABLE_PREFIX}{self.path}?{label}test={self.test_fraction!r}&seed={self.seed}"
