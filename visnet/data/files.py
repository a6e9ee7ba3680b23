"""Reading data files nobody vouches for: regular files only, and never more than a header may ask.

Every loader opens its files with `open_regular_file` (a FIFO, a device or a socket is refused
before a byte is read, and opening never blocks) and reads array data with `read_values`, which
allocates only what a header declared once `check_declared_shape` has bounded it.
"""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import BinaryIO

import numpy as np

from visnet.data.errors import DataError
from visnet.regular_files import NotARegularFile, open_regular

# At most 2**28 values (268 million pixels) and 1 GiB per array: room for EMNIST Digits (240,000
# training images of 28x28, 188 million pixels), the largest ten-class 28x28 set in common use,
# even as float32, while no header can make visnet allocate more than that for one file.
MAX_VALUES = 2**28
MAX_BYTES = 2**30
# numpy 1.x arrays have at most 32 dimensions (2.x: 64); pixels and labels need 3 and 1.
MAX_DIMENSIONS = 32
READ_CHUNK_BYTES = 1 << 20


def open_regular_file(path: Path) -> BinaryIO:
    """`path` opened for binary reading (symlinks followed); DataError unless it is a regular file."""
    try:
        return io.BufferedReader(open_regular(path))  # type: ignore[arg-type]
    except NotARegularFile as e:
        raise DataError(f"{path}: {e.kind}, not a regular file") from e
    except OSError as e:
        raise DataError(f"{path}: cannot read ({e.strerror or e})") from e


def check_declared_shape(shape: tuple[int, ...], dtype: np.dtype, source: str) -> int:
    """The number of values a header declares, computed exactly; DataError if numpy could not
    hold them or they exceed MAX_VALUES or MAX_BYTES."""
    if len(shape) > MAX_DIMENSIONS:
        raise DataError(
            f"{source}: header declares {len(shape)} dimensions, more than the {MAX_DIMENSIONS} of an array"
        )
    if any(d < 0 for d in shape):
        raise DataError(f"{source}: header declares a negative size {shape}")
    # Python ints: a product of huge dimensions cannot wrap to a small one. Zeros are left out
    # because numpy refuses a shape whose other dimensions overflow even when one is 0.
    extent = math.prod(d for d in shape if d)
    if extent > MAX_VALUES or extent * dtype.itemsize > MAX_BYTES:
        raise DataError(
            f"{source}: header declares a {'x'.join(map(str, shape))} array of {dtype}, more than visnet "
            f"reads from one file ({MAX_VALUES:,} values, {MAX_BYTES >> 20:,} MiB)"
        )
    return math.prod(shape)


def read_values(stream: BinaryIO, dtype: np.dtype, count: int) -> tuple[np.ndarray, int]:
    """Up to `count` values of `dtype` from `stream`, and the number of bytes actually read.

    Only count * itemsize bytes are allocated, filled a chunk at a time, so a stream that
    inflates (gzip, zip) costs no more memory than the caller allowed for. The array is
    read-only, in the file's byte order (see `native`), and complete only if the bytes read
    equal count * itemsize.
    """
    buffer = np.empty(count * dtype.itemsize, np.uint8)
    view = memoryview(buffer)
    filled = 0
    while filled < buffer.size:
        got = stream.readinto(view[filled : filled + READ_CHUNK_BYTES])
        if not got:
            break
        filled += got
    array = buffer.view(dtype)
    array.setflags(write=False)
    return array, filled


def native(array: np.ndarray) -> np.ndarray:
    """`array` read-only in this machine's byte order; a copy only when the file's order differs,
    made once the data is known to be complete."""
    if array.dtype.isnative:
        return array
    swapped = array.astype(array.dtype.newbyteorder("="))
    swapped.setflags(write=False)
    return swapped


def is_at_end(stream: BinaryIO) -> bool:
    """True if `stream` has nothing left; reads at most one byte, however much would follow."""
    return stream.read(1) == b""
