"""Read IDX files (the MNIST / Fashion-MNIST format), plain or gzip, trusting nothing in the header.

IDX layout: two zero bytes, a type code, the number of dimensions, then one big-endian
uint32 per dimension, then the values in row-major order. The header's sizes are compared
with the file's real length before any array is built.
"""

from __future__ import annotations

import gzip
import os
import zlib
from pathlib import Path

import numpy as np

from visnet.data.dataset import DIGIT_CLASSES, FASHION_CLASSES, Dataset, dataset_from_uint8
from visnet.data.errors import DataError

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
    """The array stored in an IDX file (gzip detected by its magic bytes); DataError if malformed.

    The array is read-only; uint8 files (all of MNIST) cost no copy after decompression.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise DataError(f"{path}: cannot read ({e.strerror or e})") from e
    if raw[:2] == GZIP_MAGIC:
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as e:
            raise DataError(f"{path}: corrupt gzip data ({e})") from e
    return parse_idx(raw, str(path))


def parse_idx(data: bytes, source: str) -> np.ndarray:
    """The array in the IDX bytes `data`; `source` names the file in error messages."""
    if len(data) < 4:
        raise DataError(f"{source}: too short to be an IDX file ({len(data)} bytes)")
    zero, type_code, ndim = data[:2], data[2], data[3]
    if zero != b"\x00\x00":
        raise DataError(f"{source}: not an IDX file (magic bytes {data[:4].hex(' ')}, expected 00 00 08 0n)")
    if type_code not in IDX_DTYPES:
        raise DataError(f"{source}: unknown IDX type code 0x{type_code:02x}")
    if ndim == 0:
        raise DataError(f"{source}: IDX header declares 0 dimensions")
    header_size = 4 + 4 * ndim
    if len(data) < header_size:
        raise DataError(f"{source}: truncated header: {ndim} dimensions need {header_size} bytes, file has {len(data)}")
    shape = tuple(int(d) for d in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    dtype = IDX_DTYPES[type_code]
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    actual = len(data) - header_size
    if actual < expected:
        raise DataError(
            f"{source}: truncated: header says {_describe_shape(shape)} "
            f"but only {actual} bytes of data (expected {expected})"
        )
    if actual > expected:
        raise DataError(
            f"{source}: {actual - expected} unexpected bytes after the {_describe_shape(shape)} the header announces"
        )
    array = np.frombuffer(data, dtype=dtype, count=expected // dtype.itemsize, offset=header_size)
    if not dtype.isnative:
        array = array.astype(dtype.newbyteorder("="))
        array.setflags(write=False)
    return array.reshape(shape)


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
        path = next((folder / c for c in candidates if (folder / c).is_file()), None)
        if path is None:
            return None
        found.append(path)
    return found


def guess_kind(path: str | os.PathLike) -> str:
    """'fashion-mnist' if the path mentions fashion (any case), else 'mnist'."""
    return "fashion-mnist" if "fashion" in str(path).lower() else "mnist"


def class_names_for(kind: str) -> tuple[str, ...]:
    return FASHION_CLASSES if kind == "fashion-mnist" else DIGIT_CLASSES


def display_name_for(kind: str) -> str:
    return "Fashion-MNIST" if kind == "fashion-mnist" else "MNIST"


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
    return dataset_from_uint8(
        name or display_name_for(kind),
        *arrays,
        class_names=class_names_for(kind),
        sources=tuple(str(p) for p in paths),
    )
