"""Read IDX files (the MNIST / Fashion-MNIST format), plain or gzip, trusting nothing in the header.

IDX layout: two zero bytes, a type code, the number of dimensions, then one big-endian
uint32 per dimension, then the values in row-major order. The header's sizes are computed
exactly, bounded, and compared with the file's real length (or, for gzip, with the bytes the
stream inflates to) before any array is built.
"""

from __future__ import annotations

import gzip
import math
import os
import struct
import zlib
from pathlib import Path
from typing import BinaryIO

import numpy as np

from visnet.data.dataset import DIGIT_CLASSES, FASHION_CLASSES, KMNIST_CLASSES, Dataset, dataset_from_arrays
from visnet.data.errors import DataError
from visnet.data.files import check_declared_shape, is_at_end, native, open_regular_file, read_values

GZIP_MAGIC = b"\x1f\x8b"
IDX_DTYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
# The four files of a data set, in the order Dataset wants them.
IDX_FILE_NAMES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """The read-only array stored in the IDX file at `path` (gzip detected by its magic bytes).

    DataError if it is not a regular file or is malformed. A gzip file is read as a stream: its
    header is checked from the first bytes, then at most the size the header declares is
    inflated, so a small file that would inflate to gigabytes is refused after one more byte.
    """
    path = Path(path)
    with open_regular_file(path) as file:
        try:
            if file.peek(2)[:2] != GZIP_MAGIC:
                return read_idx_stream(file, str(path), file_size=os.fstat(file.fileno()).st_size)
            with gzip.GzipFile(fileobj=file) as stream:
                return read_idx_stream(stream, str(path))
        except (gzip.BadGzipFile, EOFError, zlib.error) as e:
            raise DataError(f"{path}: corrupt gzip data ({e})") from e
        except OSError as e:
            raise DataError(f"{path}: cannot read ({e.strerror or e})") from e


def read_idx_stream(stream: BinaryIO, source: str, file_size: int | None = None) -> np.ndarray:
    """The array in the IDX bytes of `stream`; `source` names the file in error messages.

    file_size: the stream's length when known (plain files), to refuse a wrong length before reading.
    """
    magic = stream.read(4)
    if len(magic) < 4:
        raise DataError(f"{source}: too short to be an IDX file ({len(magic)} bytes)")
    zero, type_code, ndim = magic[:2], magic[2], magic[3]
    if zero != b"\x00\x00":
        raise DataError(f"{source}: not an IDX file (magic bytes {magic.hex(' ')}, expected 00 00 08 0n)")
    if type_code not in IDX_DTYPES:
        raise DataError(f"{source}: unknown IDX type code 0x{type_code:02x}")
    if ndim == 0:
        raise DataError(f"{source}: IDX header declares 0 dimensions")
    header_size = 4 + 4 * ndim
    dims = stream.read(4 * ndim)
    if len(dims) < 4 * ndim:
        raise DataError(
            f"{source}: truncated header: {ndim} dimensions need {header_size} bytes, file has {4 + len(dims)}"
        )
    shape = struct.unpack(f">{ndim}I", dims)
    dtype = IDX_DTYPES[type_code]
    if file_size is not None:
        _check_length(shape, dtype, file_size - header_size, source)
    count = check_declared_shape(shape, dtype, source)
    array, n_read = read_values(stream, dtype, count)
    _check_length(shape, dtype, n_read, source)
    if not is_at_end(stream):
        raise DataError(f"{source}: more data than the {_describe_shape(shape)} the header announces")
    return native(array).reshape(shape)


def _check_length(shape: tuple[int, ...], dtype: np.dtype, actual: int, source: str) -> None:
    """DataError unless `actual` bytes of data are exactly what `shape` values of `dtype` need."""
    expected = math.prod(shape) * dtype.itemsize
    if actual < expected:
        raise DataError(
            f"{source}: truncated: header says {_describe_shape(shape)} "
            f"but only {actual} bytes of data (expected {expected})"
        )
    if actual > expected:
        raise DataError(
            f"{source}: {actual - expected} unexpected bytes after the {_describe_shape(shape)} the header announces"
        )


def _describe_shape(shape: tuple[int, ...]) -> str:
    """'60000 images of 28x28', '60000 labels', or '3x4x5 values', for messages."""
    if len(shape) == 3:
        return f"{shape[0]} images of {shape[1]}x{shape[2]}"
    if len(shape) == 1:
        return f"{shape[0]} labels"
    return "x".join(map(str, shape)) + " values"


def find_idx_files(folder: str | os.PathLike) -> list[Path] | None:
    """The four IDX files in `folder` (each plain or .gz, dashed or dotted name), or None if any is missing."""
    folder = Path(folder)
    found = []
    for name in IDX_FILE_NAMES:
        dotted = name.replace("-idx", ".idx")  # as unzipped from the original site on some systems
        candidates = (name, name + ".gz", dotted, dotted + ".gz")
        path = next((folder / c for c in candidates if _is_regular_file(folder / c)), None)
        if path is None:
            return None
        found.append(path)
    return found


def _is_regular_file(path: Path) -> bool:
    """Path.is_file, with an unreadable place (no permission, a name too long) counting as no file."""
    try:
        return path.is_file()
    except OSError:
        return False


def guess_kind(path: str | os.PathLike) -> str:
    """'fashion-mnist' if the path mentions fashion (any case), 'kmnist' if it mentions kmnist or
    kuzushiji, else 'mnist'."""
    text = str(path).lower()
    if "fashion" in text:
        return "fashion-mnist"
    if "kmnist" in text or "kuzushiji" in text:
        return "kmnist"
    return "mnist"


def class_names_for(kind: str) -> tuple[str, ...]:
    return {"fashion-mnist": FASHION_CLASSES, "kmnist": KMNIST_CLASSES}.get(kind, DIGIT_CLASSES)


def display_name_for(kind: str) -> str:
    return {"fashion-mnist": "Fashion-MNIST", "kmnist": "Kuzushiji-MNIST"}.get(kind, "MNIST")


def load_idx_folder(folder: str | os.PathLike, name: str | None = None, kind: str | None = None) -> Dataset:
    """A Dataset from the four (n, 28, 28) / (n,) IDX files in `folder`.

    kind: 'mnist' or 'fashion-mnist' (class names); guessed from the path when None.
    """
    folder = Path(folder)
    paths = find_idx_files(folder)
    if paths is None:
        wanted = ", ".join(f"{n}[.gz]" for n in IDX_FILE_NAMES)
        raise DataError(f"{folder}: not a folder of IDX files (needs {wanted})")
    kind = kind or guess_kind(folder)
    arrays = [read_idx(p) for p in paths]
    return dataset_from_arrays(
        name or display_name_for(kind),
        *arrays,
        class_names=class_names_for(kind),
        sources=tuple(str(p) for p in paths),
    )
