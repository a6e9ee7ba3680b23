"""Tables: rows of numeric features and a class label, from a CSV file or an .npz, as a Dataset.

    table:iris.csv?label=species     CSV with a header row; the label column named (default: the last)
    table:points.npz                 x (n, n_features) numbers, y (n,) labels, optional feature_names

A CSV has a header row naming its columns, cells separated by commas, semicolons or tabs
(whichever the header uses most, so a .tsv file reads too), optionally a UTF-8 byte-order mark and quoted fields.
Every feature cell must be a finite number and every label cell non-empty: a file with a
missing or non-numeric cell is refused, naming its line and column, because silently leaving
rows out would change the data set without anyone noticing. Blank lines are ignored.

Labels that are all integers become classes in numeric order ('1' < '2' < '10'), other labels
in natural order ('a' < 'b', 'x2' < 'x10'); the class index is the position in that order.
Rows are split into train and test per class by the seed, then standardised with the mean and
std of the training rows only (Dataset.standardization), so the test split is scaled as new
rows will be. An .npz may also hold x of shape (n, height, width): then it is a set of images
(pixels 0..255 as uint8 or 0..1 as floats), neither standardised nor named.
"""

from __future__ import annotations

import csv
import io
import math
import zipfile
from pathlib import Path

import numpy as np

from visnet.data.dataset import Dataset, Standardization, check_float_pixels, pixels_to_float
from visnet.data.errors import DataError
from visnet.data.files import MAX_VALUES, open_regular_file
from visnet.data.npz import read_npz_member
from visnet.data.specs import TableSpec
from visnet.data.splitting import natural_key, split_by_class
from visnet.data.toy2d import Toy2D

# More classes than any table visnet can show a confusion matrix for; a label column of
# free text (one class per row) is refused instead of making a 10,000-way output layer.
MAX_CLASSES = 1000
MAX_FEATURES = 4096
_QUOTED = 40  # characters of a bad cell quoted in a message
# Room around a CSV's points in the playground's plane, as a fraction of their larger span.
PLANE_MARGIN = 0.1
# Cells of a CSV held at once, as float64: 512 MiB.
MAX_CELLS = MAX_VALUES // 4
MAX_HEADER_CHARS = 1 << 20
DELIMITERS = (",", ";", "\t")
TABLE_SUFFIXES = (".csv", ".tsv")


def load_table(spec: TableSpec | str) -> Dataset:
    """The Dataset a table spec names ('table:PATH?label=COLUMN', or a TableSpec); DataError
    naming the file and the problem if it cannot be used."""
    spec = TableSpec.parse(spec) if isinstance(spec, str) else spec
    path = Path(spec.path).expanduser()
    if path.suffix.lower() == ".npz":
        x, labels, feature_names = _read_npz(path, spec.label)
    else:
        x, labels, feature_names = read_csv(path, spec.label)
    class_names, y = _classes(labels, path)
    train, test = split_by_class(y, len(class_names), spec.test_fraction, spec.seed, path)
    name = path.stem
    if x.ndim == 3:  # an .npz of images
        pixels = pixels_to_float(x)
        return Dataset(
            name=name,
            x_train=pixels[train],
            y_train=y[train],
            x_test=pixels[test],
            y_test=y[test],
            class_names=class_names,
            input_shape=x.shape[1:],
        )
    scaling = Standardization.of(x[train])
    return Dataset(
        name=name,
        x_train=scaling.apply(x[train]),
        y_train=y[train],
        x_test=scaling.apply(x[test]),
        y_test=y[test],
        class_names=class_names,
        input_shape=(1, x.shape[1]),
        feature_names=feature_names,
        standardization=scaling,
    )


def read_csv(path: Path, label: str | None) -> tuple[np.ndarray, list[str], tuple[str, ...]]:
    """(features (n, n_features) float64, labels as text, feature names) from a CSV file."""
    with open_regular_file(path) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        try:
            return _parse_csv(text, path, label)
        except UnicodeDecodeError as e:
            raise DataError(f"{path}: not UTF-8 text ({e.reason} at byte {e.start} of a block)") from None


def _parse_csv(text: io.TextIOWrapper, path: Path, label: str | None) -> tuple[np.ndarray, list[str], tuple[str, ...]]:
    first = text.readline(MAX_HEADER_CHARS)
    if len(first) == MAX_HEADER_CHARS:
        raise DataError(f"{path}: the header row is longer than {MAX_HEADER_CHARS:,} characters")
    if not first.strip():
        raise DataError(f"{path}: empty; a CSV table needs a header row naming its columns")
    delimiter = header_delimiter(first)
    header = next(csv.reader([first], delimiter=delimiter))
    header = [h.strip() for h in header]
    if all(_is_number(h) for h in header):
        raise DataError(f"{path}: the first line holds numbers; a header row naming the columns is required")
    if len(header) < 2:
        raise DataError(f"{path}: one column ({header[0]!r}); a table needs feature columns and a label column")
    if len(header) - 1 > MAX_FEATURES:
        raise DataError(f"{path}: {len(header) - 1:,} feature columns, more than visnet reads ({MAX_FEATURES:,})")
    if len(set(header)) != len(header):
        repeated = next(h for h in header if header.count(h) > 1)
        raise DataError(f"{path}: the column name {repeated!r} is used twice in the header")
    label_index = _label_index(header, label, path)
    feature_names = tuple(h for i, h in enumerate(header) if i != label_index)
    n_features = len(header) - 1
    rows = np.empty((1024, n_features), np.float64)  # doubled as it fills
    labels: list[str] = []
    reader = csv.reader(text, delimiter=delimiter, strict=True)
    max_rows = MAX_CELLS // len(header)
    while True:
        try:
            cells = next(reader, None)
        except csv.Error as e:
            raise DataError(f"{path}: line {reader.line_num + 1} is not readable as CSV ({e})") from None
        if cells is None:
            break
        line = reader.line_num + 1  # the header is line 1
        if not cells or all(not c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            raise DataError(f"{path}: line {line} has {len(cells)} cells, but the header names {len(header)} columns")
        n = len(labels)
        if n >= max_rows:
            raise DataError(f"{path}: more than {max_rows:,} rows of {len(header)} cells, more than visnet reads")
        if n == rows.shape[0]:
            rows = np.concatenate([rows, np.empty_like(rows)])
        value = cells[label_index].strip()
        if not value:
            raise DataError(f"{path}: line {line}, column {header[label_index]!r}: the label is missing")
        j = 0
        for i, cell in enumerate(cells):
            if i == label_index:
                continue
            try:
                number = float(cell)
            except ValueError:
                number = math.nan
            if not math.isfinite(number):
                shown = cell.strip()[:_QUOTED]
                what = "is empty" if not shown else f"{shown!r} is not a finite number"
                raise DataError(f"{path}: line {line}, column {header[i]!r}: {what}")
            rows[n, j] = number
            j += 1
        labels.append(value)
    if not labels:
        raise DataError(f"{path}: a header row and no data rows")
    return rows[: len(labels)], labels, feature_names


def header_delimiter(first_line: str) -> str:
    """The cell separator of a table whose header row is first_line: the one that splits it
    into most cells (commas on a tie, then semicolons)."""
    return max(DELIMITERS, key=lambda d: _fields(first_line, d))


def read_header(path: Path) -> tuple[str, ...]:
    """The column names of a CSV or TSV file's header row; DataError if there is none to read."""
    with open_regular_file(path) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        try:
            first = text.readline(MAX_HEADER_CHARS)
        except UnicodeDecodeError as e:
            raise DataError(f"{path}: not UTF-8 text ({e.reason} at byte {e.start} of a block)") from None
    if not first.strip() or len(first) == MAX_HEADER_CHARS:
        raise DataError(f"{path}: no header row to read")
    return tuple(h.strip() for h in next(csv.reader([first], delimiter=header_delimiter(first))))


def _fields(line: str, delimiter: str) -> int:
    return len(next(csv.reader([line], delimiter=delimiter)))


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _label_index(header: list[str], label: str | None, path: Path) -> int:
    if label is None:
        return len(header) - 1
    if label not in header:
        raise DataError(f"{path}: no column named {label!r} for the labels (columns: {', '.join(header)})")
    return header.index(label)


def _read_npz(path: Path, label: str | None) -> tuple[np.ndarray, list[str], tuple[str, ...]]:
    """(x, labels as text, feature names) from an .npz with x, y and optionally feature_names."""
    if label is not None:
        raise DataError(f"{path}: an .npz table keeps its labels in y; label= is for CSV files")
    with open_regular_file(path) as file:
        try:
            with zipfile.ZipFile(file) as archive:
                names = archive.namelist()
                missing = [k for k in ("x", "y") if f"{k}.npy" not in names]
                if missing:
                    raise DataError(f"{path}: missing arrays {', '.join(missing)} (an .npz table holds x and y)")
                x = read_npz_member(archive, "x", f"{path}[x]", check_dtype=_check_feature_dtype)
                y = read_npz_member(archive, "y", f"{path}[y]", check_dtype=_check_npz_label_dtype)
                names_array = (
                    read_npz_member(archive, "feature_names", f"{path}[feature_names]", check_dtype=_check_text_dtype)
                    if "feature_names.npy" in names
                    else None
                )
        except (ValueError, EOFError, OSError, zipfile.BadZipFile, NotImplementedError) as e:
            raise DataError(f"{path}: not a readable .npz file ({e})") from e
    if x.ndim not in (2, 3) or x.shape[0] == 0 or 0 in x.shape:
        raise DataError(f"{path}[x]: expected (n, n_features) or (n, height, width) with n > 0, got {x.shape}")
    if y.shape != (x.shape[0],):
        raise DataError(f"{path}[y]: expected ({x.shape[0]},) labels, one per row of x, got {y.shape}")
    if x.ndim == 3:
        if x.dtype.kind == "f":
            check_float_pixels(x, f"{path}[x]")
        elif x.dtype != np.uint8:
            raise DataError(f"{path}[x]: images must be uint8 (0..255) or floats (0..1), got {x.dtype}")
        if names_array is not None:
            raise DataError(f"{path}[feature_names]: images have no feature names")
        return x, [str(v) for v in y.tolist()], ()
    x = x.astype(np.float64)
    if not np.all(np.isfinite(x)):
        row, col = np.argwhere(~np.isfinite(x))[0]
        raise DataError(f"{path}[x]: row {row}, column {col} is not a finite number")
    if x.shape[1] > MAX_FEATURES:
        raise DataError(f"{path}[x]: {x.shape[1]:,} features, more than visnet reads ({MAX_FEATURES:,})")
    if names_array is None:
        feature_names = tuple(f"x{i + 1}" for i in range(x.shape[1]))
    else:
        feature_names = tuple(str(n) for n in names_array.tolist())
        if names_array.shape != (x.shape[1],) or len(set(feature_names)) != len(feature_names):
            raise DataError(
                f"{path}[feature_names]: expected {x.shape[1]} different names, one per column of x, "
                f"got {names_array.size}"
            )
    return x, [str(v) for v in y.tolist()], feature_names


def _check_feature_dtype(dtype: np.dtype, source: str) -> None:
    if dtype.kind not in "iuf" or dtype.itemsize > 8:
        raise DataError(f"{source}: expected integer or float features, got {dtype}")


def _check_npz_label_dtype(dtype: np.dtype, source: str) -> None:
    if not (dtype.kind in "iu" and dtype.itemsize <= 8) and dtype.kind != "U":
        raise DataError(f"{source}: expected integer or text labels, got {dtype}")


def _check_text_dtype(dtype: np.dtype, source: str) -> None:
    if dtype.kind != "U":
        raise DataError(f"{source}: expected text, got {dtype}")


def _classes(labels: list[str], path: Path) -> tuple[tuple[str, ...], np.ndarray]:
    """(class names in order, (n,) int64 class index of each label)."""
    distinct = set(labels)
    if len(distinct) < 2:
        raise DataError(f"{path}: every row has the label {labels[0]!r}; a classifier needs at least 2 classes")
    if len(distinct) > MAX_CLASSES:
        raise DataError(
            f"{path}: {len(distinct):,} different labels, more than {MAX_CLASSES:,} classes; is the label column right?"
        )
    if all(_is_integer(v) for v in distinct):
        labels = [str(int(v)) for v in labels]  # '1', '01' and '+1' are one class
        names = tuple(sorted(set(labels), key=int))
    else:
        names = tuple(sorted(distinct, key=natural_key))
    index = {n: i for i, n in enumerate(names)}
    return names, np.array([index[v] for v in labels], dtype=np.int64)


def _is_integer(text: str) -> bool:
    body = text[1:] if text[:1] in "+-" else text
    return body.isascii() and body.isdigit()


def load_points_csv(path: Path, train_fraction: float, seed: int) -> Toy2D:
    """The points of a CSV of two feature columns and a label column of two classes (x1,x2,label
    or any names; the label is the last column) as a Toy2D for the playground. Its plane is the
    points' bounding box with PLANE_MARGIN around it, so every point is drawn."""
    x, labels, feature_names = read_csv(path, None)
    if x.shape[1] != 2:
        raise DataError(
            f"{path}: {x.shape[1]} feature columns ({', '.join(feature_names)}); the playground plots 2 "
            "(x1, x2, then the label); train on it as table:PATH instead"
        )
    class_names, y = _classes(labels, path)
    if len(class_names) != 2:
        raise DataError(f"{path}: {len(class_names)} classes; the playground shows 2 (train on it as table:PATH)")
    train, test = split_by_class(y, 2, 1 - train_fraction, seed, path)
    lo, hi = x.min(axis=0), x.max(axis=0)
    pad = PLANE_MARGIN * max(float((hi - lo).max()), 1.0)
    extent = (lo[0] - pad, hi[0] + pad, lo[1] - pad, hi[1] + pad)
    return Toy2D(
        name=path.name,
        x_train=x[train],
        y_train=y[train],
        x_test=x[test],
        y_test=y[test],
        seed=seed,
        noise=0.0,
        train_fraction=train_fraction,
        n_points=len(y),
        extent=extent,
        class_names=class_names,
    )
