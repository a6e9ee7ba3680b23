"""Load Keras-style .npz data sets (x_train, y_train, x_test, y_test); also the embedded default.

Nothing in the file is trusted: each member's .npy header is read first (numpy's own parser,
which evaluates literals only and never unpickles), its dtype, shape and declared size are
checked against the member's size in the zip directory, and only then is that many bytes
inflated. A header declaring 10**12 images, an object array or a zip bomb is refused before
anything large is allocated.
"""

from __future__ import annotations

import os
import tokenize
import warnings
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import numpy as np
from numpy.lib.format import read_array_header_1_0, read_array_header_2_0, read_magic

from visnet.data.dataset import Dataset, check_image_dtype, check_label_dtype, dataset_from_arrays
from visnet.data.errors import DataError
from visnet.data.files import check_declared_shape, native, open_regular_file, read_values
from visnet.data.idx import class_names_for, display_name_for, guess_kind

NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")
# np.savez stores members and np.savez_compressed deflates them; zipfile inflates bzip2 and lzma
# members with no limit on the output of one read, so those are refused.
_READABLE_COMPRESSION = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED}
_ENCRYPTED_FLAG = 0x1
# np.save writes version 1.0, or 2.0 for headers over 64 KiB; 3.0 only for unicode field names,
# which no array of pixels or labels has.
_NPY_HEADER_READERS = {(1, 0): read_array_header_1_0, (2, 0): read_array_header_2_0}
# What numpy's header parser raises on malformed bytes: it evaluates the header as a Python
# literal and falls back to Python's tokenizer for old headers.
_MALFORMED_HEADER = (ValueError, TypeError, SyntaxError, tokenize.TokenError)
# What zipfile raises on a damaged archive (NotImplementedError: a version or feature it lacks).
_MALFORMED_ZIP = (ValueError, EOFError, OSError, zlib.error, zipfile.BadZipFile, NotImplementedError)
# numpy quotes a header it cannot parse in full; a message needs only its start.
_QUOTED_CHARS = 120
_LISTED_MEMBERS = 10


def load_npz(path: str | os.PathLike, name: str | None = None, kind: str | None = None) -> Dataset:
    """A Dataset from an .npz holding x_train (n, 28, 28) uint8 or float pixels, y_train (n,) integer
    labels, x_test and y_test.

    kind: 'mnist' or 'fashion-mnist' (class names); guessed from the path when None.
    """
    path = Path(path)
    kind = kind or guess_kind(path)
    with open_regular_file(path) as file:
        try:
            with zipfile.ZipFile(file) as archive:
                _check_members(archive, path)
                arrays = [read_npz_member(archive, key, f"{path}[{key}]") for key in NPZ_KEYS]
        except _MALFORMED_ZIP as e:
            raise DataError(f"{path}: not a readable .npz file ({e})") from e
    sources = tuple(f"{path}[{k}]" for k in NPZ_KEYS)
    return dataset_from_arrays(
        name or display_name_for(kind), *arrays, class_names=class_names_for(kind), sources=sources
    )


def _check_members(archive: zipfile.ZipFile, path: Path) -> None:
    """DataError unless the archive has an x_train.npy, y_train.npy, x_test.npy and y_test.npy."""
    names = archive.namelist()
    missing = [k for k in NPZ_KEYS if f"{k}.npy" not in names]
    if missing:
        has = [n.removesuffix(".npy") for n in names[:_LISTED_MEMBERS]] + ["…"] * (len(names) > _LISTED_MEMBERS)
        raise DataError(f"{path}: missing arrays {', '.join(missing)} (has {', '.join(has) or 'none'})")


def read_npz_member(
    archive: zipfile.ZipFile, key: str, source: str, check_dtype: Callable[[np.dtype, str], None] | None = None
) -> np.ndarray:
    """The array `key` of an .npz archive, read only after its header and size have passed every check.

    check_dtype(dtype, source) raises DataError for a dtype the caller cannot use (default:
    pixels for x_ keys, integer labels otherwise)."""
    info = archive.getinfo(f"{key}.npy")
    if info.compress_type not in _READABLE_COMPRESSION:
        raise DataError(f"{source}: compression method {info.compress_type} (numpy writes only stored or deflated)")
    if info.flag_bits & _ENCRYPTED_FLAG:
        raise DataError(f"{source}: encrypted")
    with archive.open(info) as member:
        shape, fortran_order, dtype = _read_npy_header(member, source)
        if check_dtype is None:
            check_dtype = check_image_dtype if key.startswith("x_") else check_label_dtype
        check_dtype(dtype, source)
        count = check_declared_shape(shape, dtype, source)
        expected = member.tell() + count * dtype.itemsize
        if info.file_size != expected:
            raise DataError(
                f"{source}: header declares {shape} {dtype} ({expected} bytes) "
                f"but the member holds {info.file_size} bytes"
            )
        array, n_read = read_values(member, dtype, count)
    if n_read != count * dtype.itemsize:
        raise DataError(f"{source}: truncated: {n_read} of {count * dtype.itemsize} bytes of data")
    array = native(array)
    return array.reshape(shape[::-1]).T if fortran_order else array.reshape(shape)


def _read_npy_header(member: BinaryIO, source: str) -> tuple[tuple[int, ...], bool, np.dtype]:
    """(shape, fortran_order, dtype) from the .npy header at the start of `member`."""
    try:
        version = read_magic(member)
        read_header = _NPY_HEADER_READERS.get(version)
        if read_header is None:
            raise DataError(f"{source}: unsupported .npy format version {version[0]}.{version[1]}")
        with warnings.catch_warnings(action="ignore"):  # numpy warns about Python 2 headers it still reads
            return read_header(member)
    except _MALFORMED_HEADER as e:
        raise DataError(f"{source}: malformed .npy header ({str(e)[:_QUOTED_CHARS]})") from e
