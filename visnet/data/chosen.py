"""A file or folder the user picked (in the window's "Open data…"), as the spec that names it.

    digits/              class subfolders of images       folder:digits
    mnist/               the four IDX files                mnist             (the path, as --data takes it)
    iris.csv, iris.tsv   a table                           table:iris.csv?label=species
    points.csv           x1, x2 and two classes            playground:points.csv
    mnist.npz, x.npz     Keras-style or a table of x, y    mnist.npz         (load_dataset tells them apart)

Choosing only looks: it reads folder listings and at most a small CSV, never an image, so a
bad file is reported once, by the loader, when the data set is loaded.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

from visnet.data.discovery import normalise_kind
from visnet.data.errors import DataError
from visnet.data.idx import find_idx_files
from visnet.data.image_folder import is_image_folder
from visnet.data.playground import MAX_POINTS, PlaygroundSpec, is_playground
from visnet.data.specs import FolderSpec, TableSpec, is_folder_spec, is_table_spec
from visnet.data.table import TABLE_SUFFIXES, load_points_csv, read_header

# A last column with one of these names holds the labels without asking (case is ignored).
LABEL_NAMES = frozenset({"label", "labels", "class", "classes", "target", "y", "category"})
# A points file the playground can show has at most MAX_POINTS rows of three short cells; a
# bigger file is a table, and is not read whole just to find that out.
MAX_POINTS_FILE_BYTES = MAX_POINTS * 80


@dataclass(frozen=True)
class ChosenData:
    """What a chosen path holds: kind ('images', 'idx', 'table', 'points', 'npz' or 'file'),
    the spec that loads it (a table's with its default label column), and for a CSV table its
    column names and whether the label column must be asked for."""

    path: str
    kind: str
    spec: str
    columns: tuple[str, ...] = ()
    ask_label: bool = False

    @property
    def suggested_label(self) -> str | None:
        """The column offered first as the label: one named like a label, else the last."""
        named = [c for c in self.columns if c.lower() in LABEL_NAMES]
        return named[0] if named else (self.columns[-1] if self.columns else None)

    def with_label(self, label: str) -> str:
        """The table spec with `label` as its label column (the default, the last, left out)."""
        last = self.columns[-1] if self.columns else None
        return str(TableSpec(self.path, None if label == last else label))


def choose_path(path: str | os.PathLike) -> ChosenData:
    """The data set at `path`, a folder or a file the user picked."""
    text = str(path)
    p = Path(text)
    if p.is_dir():
        if find_idx_files(p) is None and is_image_folder(p):
            return ChosenData(text, "images", str(FolderSpec(text)))
        return ChosenData(text, "idx", text)
    suffix = p.suffix.lower()
    if suffix == ".npz":
        return ChosenData(text, "npz", text)
    if suffix not in TABLE_SUFFIXES:
        return ChosenData(text, "file", text)  # load_dataset says what it cannot read
    try:
        columns = read_header(p)
    except (DataError, OSError):
        return ChosenData(text, "table", str(TableSpec(text)))  # the loader names the problem
    if len(columns) == 3 and _is_points_file(p):
        return ChosenData(text, "points", str(PlaygroundSpec(text)), columns)
    ask = columns[-1].lower() not in LABEL_NAMES
    return ChosenData(text, "table", str(TableSpec(text)), columns, ask_label=ask)


def _is_points_file(path: Path) -> bool:
    """True if the playground can show the file: two number columns and two classes, few rows."""
    try:
        if path.stat().st_size > MAX_POINTS_FILE_BYTES:
            return False
        return load_points_csv(path, 0.5, 0).n_points <= MAX_POINTS
    except (DataError, OSError):
        return False


def spec_path(spec: str) -> str | None:
    """The file or folder of the user's own that `spec` names, or None for a data set visnet
    names (embedded, mnist, a generated playground set) or a spec that does not parse."""
    try:
        if is_folder_spec(spec):
            return FolderSpec.parse(spec).path
        if is_table_spec(spec):
            return TableSpec.parse(spec).path
        if is_playground(spec):
            parsed = PlaygroundSpec.parse(spec)
            return parsed.name if parsed.is_file else None
    except DataError:
        return None
    if not spec or spec.lower() == "embedded":
        return None
    try:
        normalise_kind(spec)
    except ValueError:
        return spec
    return None


def with_absolute_path(spec: str) -> str | None:
    """`spec` with its path made absolute (so it names the same data from any folder), or None
    if it names no path of the user's (see spec_path)."""
    path = spec_path(spec)
    if path is None:
        return None
    absolute = str(Path(path).expanduser().absolute())
    if is_folder_spec(spec):
        return str(replace(FolderSpec.parse(spec), path=absolute))
    if is_table_spec(spec):
        return str(replace(TableSpec.parse(spec), path=absolute))
    if is_playground(spec):
        return str(replace(PlaygroundSpec.parse(spec), name=absolute))
    return absolute
