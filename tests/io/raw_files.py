"""A model file's raw parts for the damaged-file tests: its tensors and its description,
read and written straight through safetensors so a test can damage either, and random
replacement tensors of any dtype, rank and values."""

from __future__ import annotations

import json

import numpy as np
import safetensors.numpy
from hypothesis import strategies as st

DTYPES = [np.float64, np.float32, np.float16, np.int64, np.int32, np.uint8, np.bool_]


def read_file(path):
    """(tensors by name, the visnet description) of a safetensors model file."""
    with open(path, "rb") as f:
        n = int.from_bytes(f.read(8), "little")
        meta = json.loads(f.read(n))["__metadata__"]
    return safetensors.numpy.load_file(str(path)), json.loads(meta["visnet"])


def write_file(path, arrays, description):
    """Write tensors (None ones left out) and a description as a model file; returns path."""
    safetensors.numpy.save_file(
        {k: v for k, v in arrays.items() if v is not None}, str(path), metadata={"visnet": json.dumps(description)}
    )
    return path


@st.composite
def bad_tensor(draw):
    """A random replacement for one tensor: any dtype, rank 0-3, any values."""
    dtype = draw(st.sampled_from(DTYPES))
    shape = tuple(draw(st.lists(st.integers(0, 5), min_size=0, max_size=3)))
    size = int(np.prod(shape, dtype=np.int64))
    if np.issubdtype(dtype, np.floating):
        values = draw(st.lists(st.floats(allow_nan=True, allow_infinity=True, width=16), min_size=size, max_size=size))
    elif dtype is np.bool_:
        values = draw(st.lists(st.booleans(), min_size=size, max_size=size))
    else:
        values = draw(st.lists(st.integers(0, 200), min_size=size, max_size=size))
    return np.array(values, dtype=dtype).reshape(shape)
