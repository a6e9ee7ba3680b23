"""Find MNIST / Fashion-MNIST / Kuzushiji-MNIST already on this machine (never copying them) and
load any data set by name.

Search order for `mnist`, `fashion-mnist` and `kmnist`, first hit wins:
  1. the --data DIR folder, then $VISNET_DATA: each may hold the IDX files itself (counted as
     Fashion-MNIST when its path mentions "fashion", Kuzushiji-MNIST when it mentions "kmnist"
     or "kuzushiji", else MNIST) or be a parent of mnist/, MNIST/raw, fashion-mnist/,
     FashionMNIST/raw, kmnist/, KMNIST/raw, ... (or mnist.npz);
  2. visnet's own download folder (where `visnet data fetch` puts files);
  3. Keras: ~/.keras/datasets/mnist.npz and ~/.keras/datasets/fashion-mnist/;
  4. torchvision-style roots ~/data, ./data, ~/.cache/torchvision (MNIST/raw, FashionMNIST/raw,
     KMNIST/raw);
  5. Debian's dataset-fashion-mnist package: /usr/share/datasets/fashion-mnist/.
`home`, `cwd` and `debian_dir` are parameters so tests can point them at temporary folders.
"""

from __future__ import annotations

import os
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path

from visnet.data.dataset import Dataset
from visnet.data.embedded import load_embedded
from visnet.data.errors import DataError
from visnet.data.files import open_regular_file
from visnet.data.idx import display_name_for, find_idx_files, guess_kind, load_idx_folder
from visnet.data.image_folder import Progress, is_image_folder, load_image_folder
from visnet.data.npz import load_npz
from visnet.data.playground import PlaygroundSpec, is_playground
from visnet.data.specs import FolderSpec, TableSpec, is_folder_spec, is_table_spec
from visnet.data.table import TABLE_SUFFIXES, load_table
from visnet.printable import printable
from visnet.regular_files import describe_file_kind

KINDS = ("mnist", "fashion-mnist", "kmnist")
DATA_ENV_VAR = "VISNET_DATA"
DEBIAN_DATASETS_DIR = Path("/usr/share/datasets")
_KIND_ALIASES = {
    "mnist": "mnist",
    "fashion-mnist": "fashion-mnist",
    "fashion": "fashion-mnist",
    "fashion_mnist": "fashion-mnist",
    "fashionmnist": "fashion-mnist",
    "kmnist": "kmnist",
    "kuzushiji-mnist": "kmnist",
}
# Sub-folders of a data root that may hold each kind's IDX files (torchvision, Keras, by hand).
_SUBFOLDERS = {
    "mnist": ("mnist", "MNIST/raw", "MNIST", "mnist/raw"),
    "fashion-mnist": ("fashion-mnist", "FashionMNIST/raw", "FashionMNIST", "fashion_mnist", "fashion"),
    "kmnist": ("kmnist", "KMNIST/raw", "KMNIST"),
}
_NPZ_NAMES = {
    "mnist": ("mnist.npz",),
    "fashion-mnist": ("fashion-mnist.npz", "fashion_mnist.npz"),
    "kmnist": ("kmnist.npz",),
}
# Where Keras keeps each kind, if it does (Keras has no Kuzushiji-MNIST).
_KERAS_NAMES = {"mnist": "mnist.npz", "fashion-mnist": "fashion-mnist"}
# PATH_MAX on Linux: a longer spec is neither a name nor a path the system would accept.
MAX_SPEC_LENGTH = 4096


@dataclass(frozen=True)
class SearchPlaces:
    """Where to look; the defaults are this user's real folders."""

    data_dir: Path | None = None
    home: Path | None = None
    cwd: Path | None = None
    debian_dir: Path | None = None

    def resolved(self) -> SearchPlaces:
        return SearchPlaces(
            data_dir=Path(self.data_dir).expanduser() if self.data_dir else None,
            home=Path(self.home) if self.home else Path.home(),
            cwd=Path(self.cwd) if self.cwd else Path.cwd(),
            debian_dir=Path(self.debian_dir) if self.debian_dir else DEBIAN_DATASETS_DIR,
        )


def normalise_kind(kind: str) -> str:
    """'mnist', 'fashion-mnist' or 'kmnist' from any accepted spelling; ValueError otherwise."""
    try:
        return _KIND_ALIASES[kind.lower()]
    except KeyError:
        raise ValueError(f"unknown data set {kind!r}; expected one of {', '.join(KINDS)}") from None


def default_download_dir(kind: str, home: Path | None = None) -> Path:
    """Where `visnet data fetch` puts files: $VISNET_DATA/<kind>, else ~/.local/share/visnet/data/<kind>."""
    kind = normalise_kind(kind)
    env = os.environ.get(DATA_ENV_VAR)
    root = Path(env).expanduser() if env else (home or Path.home()) / ".local" / "share" / "visnet" / "data"
    return root / kind


def candidate_locations(kind: str, places: SearchPlaces | None = None) -> list[Path]:
    """Every folder or .npz file that could hold `kind`, in search order (existing or not)."""
    kind = normalise_kind(kind)
    p = (places or SearchPlaces()).resolved()
    candidates: list[Path] = []
    env = os.environ.get(DATA_ENV_VAR)
    user_roots = [r for r in (p.data_dir, Path(env).expanduser() if env else None) if r is not None]
    for root in user_roots:
        if guess_kind(root) == kind:
            candidates.append(root)  # the folder (or .npz) itself: Fashion-MNIST if its path says so
        candidates += _under_root(root, kind)
    candidates.append(default_download_dir(kind, p.home))
    if kind in _KERAS_NAMES:
        candidates.append(p.home / ".keras" / "datasets" / _KERAS_NAMES[kind])
    for root in (p.home / "data", p.cwd / "data", p.home / ".cache" / "torchvision"):
        candidates += _under_root(root, kind)
    if kind == "fashion-mnist":
        candidates.append(p.debian_dir / "fashion-mnist")
    return list(dict.fromkeys(candidates))  # drop repeats, keep order


def describe_search(kind: str, places: SearchPlaces | None = None) -> str:
    """candidate_locations in a few words, for the not-found message."""
    kind = normalise_kind(kind)
    p = (places or SearchPlaces()).resolved()

    def short(path: Path) -> str:
        return "~" + str(path)[len(str(p.home)) :] if path.is_relative_to(p.home) else str(path)

    env = os.environ.get(DATA_ENV_VAR)
    parts = [
        f"--data {p.data_dir}" if p.data_dir else None,
        f"${DATA_ENV_VAR}={env}" if env else None,
        short(default_download_dir(kind, p.home)),
        short(p.home / ".keras" / "datasets" / _KERAS_NAMES[kind]) if kind in _KERAS_NAMES else None,
        f"{_SUBFOLDERS[kind][0]}/ or {_SUBFOLDERS[kind][1]} under ~/data, ./data, ~/.cache/torchvision",
        str(p.debian_dir / "fashion-mnist") if kind == "fashion-mnist" else None,
    ]
    return ", ".join(part for part in parts if part)


def _under_root(root: Path, kind: str) -> list[Path]:
    return [root / sub for sub in _SUBFOLDERS[kind]] + [root / n for n in _NPZ_NAMES[kind]]


def _holds_data(path: Path) -> bool:
    """True if `path` is a folder with the 4 IDX files or a .npz file (a cheap check: no reading)."""
    try:
        if path.is_dir():
            return find_idx_files(path) is not None
        return path.suffix == ".npz" and path.is_file()
    except OSError:  # an unreadable or over-long place holds nothing we can use
        return False


def find_dataset(
    kind: str, data_dir: str | os.PathLike | None = None, places: SearchPlaces | None = None
) -> Path | None:
    """The first folder of IDX files or .npz file holding `kind` ('mnist' or 'fashion-mnist'), or None."""
    candidates = candidate_locations(kind, _with_data_dir(places, data_dir))
    return next((c for c in candidates if _holds_data(c)), None)


def _with_data_dir(places: SearchPlaces | None, data_dir: str | os.PathLike | None) -> SearchPlaces:
    places = places or SearchPlaces()
    if data_dir is None:
        return places
    return SearchPlaces(Path(data_dir), places.home, places.cwd, places.debian_dir)


def load_dataset(
    spec: str = "embedded",
    data_dir: str | os.PathLike | None = None,
    places: SearchPlaces | None = None,
    progress: Progress | None = None,
) -> Dataset:
    """Load `spec`: 'embedded', 'mnist', 'fashion-mnist', 'kmnist', a folder of IDX files, a
    Keras-style .npz, a generated 2-D set ('playground:xor?noise=0.2', see playground.py), an
    image folder ('folder:PATH?size=28', or a plain folder of class subfolders) or a table
    ('table:PATH?label=species', or a plain .csv path, or an .npz holding x and y).

    progress(done, total) follows the images of an image folder as they are decoded.
    A spec may come from a model file, so anything but these is refused with a DataError: a
    spec that is not text, a path to a FIFO, a device or a socket (never opened).
    """
    check_spec(spec)
    if is_playground(spec):
        return PlaygroundSpec.parse(spec).load()[1]
    if is_folder_spec(spec):
        return load_image_folder(FolderSpec.parse(spec), progress)
    if is_table_spec(spec):
        return load_table(TableSpec.parse(spec))
    if spec.lower() == "embedded":
        return load_embedded()
    if spec.lower() in _KIND_ALIASES:
        kind = normalise_kind(spec)
        found = find_dataset(kind, data_dir, places)
        if found is None:
            looked = describe_search(kind, _with_data_dir(places, data_dir))
            raise DataError(
                f"{display_name_for(kind)} not found (looked in {looked}); "
                f"run `visnet data fetch {kind}` or pass --data DIR with the 4 IDX files"
            )
        return _load_path(found, kind)
    try:
        path = Path(spec).expanduser()
    except RuntimeError:  # '~' with no home directory to expand it to: a name like any other
        path = Path(spec)
    return _load_path(path, None, progress)


def canonical_spec(spec: str) -> str:
    """`spec` with every setting spelled out for your own data (folder:, table:), as a model file
    keeps it, so a later change of a default cannot change the split it names; other specs
    unchanged (a playground spec is kept as typed). DataError if it does not parse."""
    if is_folder_spec(spec):
        return str(FolderSpec.parse(spec))
    if is_table_spec(spec):
        return str(TableSpec.parse(spec))
    return spec


def check_spec(spec: object) -> None:
    """DataError unless `spec` could name a data set: non-empty text of sane length without NUL."""
    if not isinstance(spec, str):
        raise DataError(f"a data set is named by text, not by {type(spec).__name__}")
    if not spec:
        raise DataError("no data set named (the spec is empty)")
    if len(spec) > MAX_SPEC_LENGTH:
        raise DataError(f"a data set spec of {len(spec):,} characters (at most {MAX_SPEC_LENGTH:,}) names nothing")
    if "\0" in spec:
        raise DataError(f"{spec}: a data set spec cannot contain a NUL character")
    try:
        os.fsencode(spec)
    except UnicodeEncodeError:  # a lone surrogate such as \ud800: no file system name is spelled so
        raise DataError(f"{printable(spec)}: not a name the file system can hold") from None


def _load_path(path: Path, kind: str | None, progress: Progress | None = None) -> Dataset:
    """Load a folder of IDX files, a folder of class subfolders of images, a regular .npz or
    .csv file; any other kind of file is refused unopened."""
    try:
        mode = path.stat().st_mode
    except (FileNotFoundError, NotADirectoryError):
        raise DataError(
            f"{path}: no such data set; expected embedded, mnist, fashion-mnist, kmnist, a folder of IDX files "
            "or of class subfolders of images, a .npz or a .csv file"
        ) from None
    except OSError as e:
        raise DataError(f"{path}: cannot read ({e.strerror or e})") from e
    if stat.S_ISDIR(mode):
        if kind is None and find_idx_files(path) is None and is_image_folder(path):
            return load_image_folder(FolderSpec(str(path)), progress)
        return load_idx_folder(path, kind=kind)
    if not stat.S_ISREG(mode):
        raise DataError(f"{path}: {describe_file_kind(mode)}, not a folder of IDX files or a .npz file")
    if path.suffix.lower() == ".npz":
        if kind is None and _is_npz_table(path):
            return load_table(TableSpec(str(path)))
        return load_npz(path, kind=kind)
    if path.suffix.lower() in TABLE_SUFFIXES:
        return load_table(TableSpec(str(path)))
    raise DataError(f"{path}: not a folder of IDX files or of images, a .npz, .csv or .tsv file")


def _is_npz_table(path: Path) -> bool:
    """True if the .npz at path holds x and y arrays rather than Keras's x_train, y_train, ..."""
    try:
        with open_regular_file(path) as file, zipfile.ZipFile(file) as archive:
            names = set(archive.namelist())
    except (DataError, OSError, ValueError, zipfile.BadZipFile):
        return False  # load_npz says what is wrong with it
    return {"x.npy", "y.npy"} <= names and "x_train.npy" not in names


def available_datasets(
    data_dir: str | os.PathLike | None = None, places: SearchPlaces | None = None
) -> list[tuple[str, str]]:
    """(spec, label) for each data set that can be loaded now: embedded always, mnist / fashion-mnist if found."""
    found = [("embedded", "Embedded MNIST (8,000 train / 2,000 test, built in)")]
    for kind in KINDS:
        path = find_dataset(kind, data_dir, places)
        if path is not None:
            found.append((kind, f"{display_name_for(kind)} ({path})"))
    return found
