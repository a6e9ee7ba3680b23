"""Image folders: one subfolder of images per class, read with Pillow into a Dataset.

    digits/0/*.png, digits/1/*.png, …        classes "0", "1", … (subfolder names, numeric-aware order)
    pets/train/cat/…, pets/test/cat/…        train/ and test/ subfolders: the split is theirs

Every image is converted to grayscale and resized (stretched, not cropped) to one size:

- transparent pixels are composited on black, the background of MNIST-style sets, so a
  white stroke on a transparent background becomes a white stroke on black;
- 16-bit images are scaled by 1/65535 (not clipped at 255), other modes go through Pillow's
  "L" conversion (ITU-R 601-2 luma); an animated GIF gives its first frame;
- the size is the spec's, else the most common size among the images, scaled down to fit
  within MAX_AUTO_SIDE x MAX_AUTO_SIDE.

Files that are not images (by their extension: anything but PNG, JPEG, BMP and GIF) are
skipped and counted in Dataset.notes; so are image files Pillow cannot read (corrupt,
truncated, or a decompression bomb of more than MAX_IMAGE_PIXELS pixels, refused from its
header before any pixel is decoded), the first of them named. A class folder with no readable
image is refused, named, because a class with no examples cannot be learned or tested.
Without train/ and test/ subfolders, each class is split into test and train by the seed.
"""

from __future__ import annotations

import os
import stat
import warnings
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from visnet.data.dataset import Dataset
from visnet.data.errors import DataError
from visnet.data.files import MAX_VALUES, open_regular_file
from visnet.data.specs import MAX_AUTO_SIDE, FolderSpec
from visnet.data.splitting import natural_key, split_by_class
from visnet.regular_files import describe_file_kind

IMAGE_EXTENSIONS = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".gif"})
# The largest image decoded: a 6000x4000 photo (24 megapixels) fits; Pillow's own limit is
# a warning only, and a 64x64 result needs no more.
MAX_IMAGE_PIXELS = 6000 * 4000
SPLIT_FOLDERS = ("train", "test")
# Pillow decodes and resizes without the GIL, which pays for large images and JPEGs; for
# small PNGs the per-file Python work dominates and more threads than cores only add switching.
_THREADS = min(4, os.cpu_count() or 1)
_SIXTEEN_BIT_MODES = frozenset({"I;16", "I;16B", "I;16L", "I;16N", "I"})

Progress = Callable[[int, int], None]  # (images done, images in all)


class _Unreadable(Exception):
    """One image file Pillow cannot use; the message says why, in a few words."""


@dataclass(frozen=True)
class _ClassFiles:
    name: str
    folder: Path
    files: tuple[Path, ...]


def is_image_folder(path: Path) -> bool:
    """True if a class subfolder of `path` (or of its train/ folder) holds an image file: a
    look at folder listings only, so a data root holding other data sets (MNIST/raw) is not
    taken for an image folder."""
    classes = _subfolders(path)
    if SPLIT_FOLDERS[0] in {c.name for c in classes}:
        classes = _subfolders(path / SPLIT_FOLDERS[0])
    return any(_holds_an_image(c) for c in classes)


def _subfolders(path: Path) -> list[Path]:
    try:
        with os.scandir(path) as entries:
            return [Path(e.path) for e in entries if not e.name.startswith(".") and e.is_dir()]
    except OSError:
        return []


def _holds_an_image(folder: Path) -> bool:
    try:
        with os.scandir(folder) as entries:
            return any(os.path.splitext(e.name)[1].lower() in IMAGE_EXTENSIONS and e.is_file() for e in entries)
    except OSError:
        return False


def load_image_folder(spec: FolderSpec | str, progress: Progress | None = None) -> Dataset:
    """The Dataset an image folder spec names ('folder:PATH?size=28', or a FolderSpec).

    progress(done, total) is called from this thread every 256 images as they are decoded
    (done is 0 while a first pass reads the headers to find the most common size). An exception
    it raises stops the loading: no further image is decoded and the exception propagates, so a
    progress bar's Cancel can stop a long load. DataError, naming the folder or file, if the
    folder cannot be used.
    """
    spec = FolderSpec.parse(spec) if isinstance(spec, str) else spec
    root = Path(spec.path).expanduser()
    _check_folder(root)
    split_roots = {name: root / name for name in SPLIT_FOLDERS}
    presplit = all(_is_dir(p) for p in split_roots.values())
    notes: list[str] = []
    if presplit:
        train_classes, skipped_train = _class_files(split_roots["train"])
        test_classes, skipped_test = _class_files(split_roots["test"])
        class_names = tuple(sorted({c.name for c in train_classes + test_classes}, key=natural_key))
        skipped = skipped_train + skipped_test
    else:
        train_classes, skipped = _class_files(root)
        test_classes = []
        class_names = tuple(c.name for c in train_classes)
    if len(class_names) < 2:
        where = split_roots["train"] if presplit else root
        raise DataError(
            f"{where}: needs a subfolder of images for each of at least 2 classes, found {len(class_names)}"
        )
    if skipped:
        notes.append(f"{_count(skipped, 'file')} that are not images skipped")
    everything = [f for c in train_classes + test_classes for f in c.files]
    total = len(everything)
    # Images over MAX_IMAGE_PIXELS are refused by _open; Pillow's own, higher, threshold would
    # only add a warning for them. The filter is process-wide, so it is set here, not per thread.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        size = spec.size or _most_common_size(everything, root, progress)
        if total * size[0] * size[1] > MAX_VALUES:
            raise DataError(
                f"{root}: {total:,} images of {size[1]}x{size[0]} are more than visnet holds ({MAX_VALUES:,} pixels)"
            )
        x_all, ok, failures = _decode_all(everything, size, progress)
    if failures:
        first_path, first_reason = failures[0]
        notes.append(f"{_count(len(failures), 'unreadable image')} skipped (first: {first_path}: {first_reason})")
    index = {name: i for i, name in enumerate(class_names)}
    labels = np.array([index[c.name] for c in train_classes + test_classes for _ in c.files], dtype=np.int64)
    origin = np.array(
        [split for split, cs in (("train", train_classes), ("test", test_classes)) for c in cs for _ in c.files]
    )
    _check_every_class_has_images(train_classes + test_classes, ok)
    if presplit:
        train = np.flatnonzero(ok & (origin == "train"))
        test = np.flatnonzero(ok & (origin == "test"))
        if not test.size:
            raise DataError(f"{split_roots['test']}: holds no readable images")
    else:
        readable = np.flatnonzero(ok)
        train, test = split_by_class(labels[readable], len(class_names), spec.test_fraction, spec.seed, root)
        train, test = readable[train], readable[test]
    return Dataset(
        name=root.name or str(root),
        x_train=x_all[train],
        y_train=labels[train],
        x_test=x_all[test],
        y_test=labels[test],
        class_names=class_names,
        input_shape=size,
        notes=tuple(notes),
    )


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:
        return False


def _check_folder(root: Path) -> None:
    try:
        mode = root.stat().st_mode
    except (FileNotFoundError, NotADirectoryError):
        raise DataError(f"{root}: no such folder") from None
    except OSError as e:
        raise DataError(f"{root}: cannot read ({e.strerror or e})") from e
    if not stat.S_ISDIR(mode):
        raise DataError(f"{root}: {describe_file_kind(mode)}, not a folder of class subfolders")


def _class_files(root: Path) -> tuple[list[_ClassFiles], int]:
    """The class subfolders of root, in natural order, with their image files; and how many
    other regular files they hold. Hidden entries are ignored; a class with no image file is refused."""
    try:
        with os.scandir(root) as entries:
            folders = sorted((e.name for e in entries if not e.name.startswith(".") and e.is_dir()), key=natural_key)
    except OSError as e:
        raise DataError(f"{root}: cannot read ({e.strerror or e})") from e
    classes, skipped = [], 0
    for name in folders:
        folder = root / name
        images = []
        try:
            with os.scandir(folder) as entries:
                for entry in entries:
                    if entry.name.startswith(".") or not entry.is_file():
                        continue  # sub-subfolders, FIFOs, devices: never opened
                    if os.path.splitext(entry.name)[1].lower() in IMAGE_EXTENSIONS:
                        images.append(folder / entry.name)
                    else:
                        skipped += 1
        except OSError as e:
            raise DataError(f"{folder}: cannot read ({e.strerror or e})") from e
        if not images:
            raise DataError(f"{folder}: class folder holds no images (PNG, JPEG, BMP or GIF)")
        images.sort(key=lambda p: natural_key(p.name))
        classes.append(_ClassFiles(name, folder, tuple(images)))
    return classes, skipped


def _open(stream) -> Image.Image:
    """The image in stream with only its header read; _Unreadable if Pillow cannot use it."""
    try:
        image = Image.open(stream, formats=("PNG", "JPEG", "BMP", "GIF"))
    except Image.DecompressionBombError as e:
        raise _Unreadable("too many pixels (a decompression bomb?)") from e
    except (OSError, ValueError, SyntaxError) as e:  # Pillow's errors for files it cannot parse
        raise _Unreadable("not a readable PNG, JPEG, BMP or GIF image") from e
    if image.width * image.height > MAX_IMAGE_PIXELS or not image.width or not image.height:
        image.close()
        raise _Unreadable(f"{image.width}x{image.height} pixels, more than the {MAX_IMAGE_PIXELS:,} visnet decodes")
    return image


def _most_common_size(files: Sequence[Path], root: Path, progress: Progress | None = None) -> tuple[int, int]:
    """(height, width) shared by most images (ties: the larger), scaled to fit MAX_AUTO_SIDE.
    progress(0, len(files)) every 256 headers: no image is decoded yet, but it may stop the pass."""

    def size_of(path: Path) -> tuple[int, int] | None:
        try:
            with open_regular_file(path) as stream, _open(stream) as image:
                return image.height, image.width
        except (_Unreadable, DataError):
            return None

    sizes: Counter[tuple[int, int]] = Counter()
    with _pool() as pool:
        for read, s in enumerate(pool.map(size_of, files), start=1):
            if s is not None:
                sizes[s] += 1
            if progress is not None and read % 256 == 0:
                progress(0, len(files))
    if not sizes:
        raise DataError(f"{root}: holds no readable images")
    (h, w), _ = max(sizes.items(), key=lambda item: (item[1], item[0]))
    scale = min(1.0, MAX_AUTO_SIDE / max(h, w))
    return max(1, round(h * scale)), max(1, round(w * scale))


def _decode(path: Path, size: tuple[int, int]) -> np.ndarray:
    """(height, width) float32 pixels in [0, 1] of the image at path; _Unreadable if it cannot be used."""
    try:
        with open_regular_file(path) as stream, _open(stream) as image:
            h, w = size
            if image.format == "JPEG":
                image.draft("L", (w, h))  # JPEG decodes straight to gray at a fraction of the size
            image.load()
            if image.mode in _SIXTEEN_BIT_MODES:
                values = np.asarray(image, dtype=np.float32) * np.float32(1 / 65535)
                gray = Image.fromarray(np.clip(values, 0, 1), mode="F")
            elif image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
                rgba = image.convert("RGBA")
                black = Image.new("RGBA", rgba.size, (0, 0, 0, 255))
                gray = Image.alpha_composite(black, rgba).convert("L")
            else:
                gray = image.convert("L")
            if gray.size != (w, h):
                gray = gray.resize((w, h), Image.Resampling.LANCZOS if gray.mode == "L" else Image.Resampling.BILINEAR)
            pixels = np.asarray(gray, dtype=np.float32)
            return pixels if gray.mode == "F" else pixels * np.float32(1 / 255)
    except _Unreadable:
        raise
    except DataError as e:
        raise _Unreadable(str(e).removeprefix(f"{path}: ")) from e
    except (OSError, ValueError, SyntaxError, EOFError) as e:  # truncated or corrupt pixel data
        raise _Unreadable(f"corrupt image data ({str(e)[:80] or type(e).__name__})") from e


def _decode_all(
    files: Sequence[Path], size: tuple[int, int], progress: Progress | None
) -> tuple[np.ndarray, np.ndarray, list[tuple[Path, str]]]:
    """(x, ok, failures): x (n_files, height * width) float32 pixels, each row written as its
    image is decoded (zeros where unreadable); ok (n_files,) bool, True where readable; and
    the (path, reason) of each unreadable file, in file order."""
    x = np.zeros((len(files), size[0] * size[1]), np.float32)
    ok = np.zeros(len(files), bool)
    failures = []

    def one(i: int) -> str | None:
        try:
            x[i] = _decode(files[i], size).reshape(-1)
        except _Unreadable as e:
            return str(e)
        ok[i] = True
        return None

    with _pool() as pool:
        for done, (path, problem) in enumerate(zip(files, pool.map(one, range(len(files)))), start=1):
            if problem is not None:
                failures.append((path, problem))
            if progress is not None and (done % 256 == 0 or done == len(files)):
                progress(done, len(files))
    return x, ok, failures


@contextmanager
def _pool() -> Iterator[ThreadPoolExecutor]:
    """A thread pool that, when its block is left by an exception (a progress callback's
    Cancel), drops the files not yet started instead of decoding them all before it returns.
    (pool.map's iterator cancels them too, but only once it is garbage-collected; this does
    not rely on when that happens.)"""
    pool = ThreadPoolExecutor(_THREADS)
    try:
        yield pool
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def _check_every_class_has_images(classes: Sequence[_ClassFiles], ok: np.ndarray) -> None:
    start = 0
    for c in classes:
        if not ok[start : start + len(c.files)].any():
            raise DataError(f"{c.folder}: class folder holds no readable images")
        start += len(c.files)
