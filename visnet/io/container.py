"""Reading a file's bytes, telling formats apart by content, and checking safetensors.

A safetensors file is an 8-byte little-endian header length n, n bytes of JSON
({name: {"dtype", "shape", "data_offsets"}, "__metadata__": {str: str}}), then the
tensor bytes. The header is checked here before any tensor is touched, so that a
broken file gets a message that says what is wrong with it.
"""

from __future__ import annotations

import json
import math
import os
import struct
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..regular_files import NotARegularFile, open_regular
from .errors import ModelFileError, shown
from .onnx_format import looks_like_onnx
from .zip_archive import is_zip, member_names

MAX_HEADER = 100_000_000  # the safetensors library's own limit
MAX_FILE = 2**31  # a dense MNIST-sized network is megabytes; refuse to slurp anything huge
READ_CHUNK = 2**24
# Every dimension of a tensor is at most MAX_FILE (a larger one holds no element) and a
# shape has at most MAX_DIMS of them (numpy's own limit is 64), so sizes stay small integers.
MAX_DIMS = 32

# safetensors dtype -> (numpy little-endian dtype, bytes per element); None: no numpy dtype
DTYPES: dict[str, tuple[str | None, int]] = {
    "F64": ("<f8", 8),
    "F32": ("<f4", 4),
    "F16": ("<f2", 2),
    "BF16": (None, 2),
    "I64": ("<i8", 8),
    "I32": ("<i4", 4),
    "I16": ("<i2", 2),
    "I8": ("i1", 1),
    "U64": ("<u8", 8),
    "U32": ("<u4", 4),
    "U16": ("<u2", 2),
    "U8": ("u1", 1),
    "BOOL": ("?", 1),
    "F8_E4M3": (None, 1),
    "F8_E5M2": (None, 1),
}
FLOAT_DTYPES = ("F64", "F32", "F16", "BF16")
PICKLE_ADVICE = (
    "visnet never unpickles, since that can run code: save the weights with "
    "safetensors.torch.save_file(model.state_dict(), 'model.safetensors')"
)


def read_bytes(path: str | os.PathLike) -> bytes:
    """The bytes of the regular file at path, at most MAX_FILE of them.

    Anything else is refused before it is read: a folder, and a device or pipe, which
    could stream for ever (/dev/zero) or block until a writer comes (a FIFO). The limit
    holds whatever the file's size claims, since some files report a size of 0."""
    try:
        with open_regular(path) as f:
            size = os.fstat(f.fileno()).st_size
            if size > MAX_FILE:
                raise _too_large(path, size)
            data = _read_at_most(f, size, MAX_FILE + 1)
    except NotARegularFile as err:
        raise ModelFileError(path, f"is {err.kind}, not a model file") from None
    except FileNotFoundError:
        raise ModelFileError(path, "file not found") from None
    except PermissionError:
        raise ModelFileError(path, "permission denied") from None
    except OSError as err:
        raise ModelFileError(path, f"cannot read: {err.strerror or err}") from None
    if len(data) > MAX_FILE:
        raise _too_large(path, len(data))
    return data


def _too_large(path: str | os.PathLike, size: int) -> ModelFileError:
    return ModelFileError(path, f"is over {size / 2**30:.1f} GiB, too large to be a visnet model")


def _read_at_most(f, expected: int, limit: int) -> bytes:
    """Up to limit bytes of f: in one read when the file is as long as expected (no copy),
    in chunks when it goes on."""
    chunks = []
    total = 0
    want = min(expected + 1, limit)
    while total < limit:
        chunk = f.read(min(want, limit - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
        want = READ_CHUNK
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def sniff(path: str | os.PathLike, data: bytes) -> str:
    """ "safetensors", "json", "keras", "skops" or "onnx" by content; ModelFileError for anything else."""
    if not data:
        raise ModelFileError(path, "is empty (0 bytes), not a model file")
    if len(data) >= 9 and data[8:9] == b"{":
        n = struct.unpack("<Q", data[:8])[0]
        if 2 <= n <= MAX_HEADER:
            return "safetensors"
    text = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text[:1] == b"{":
        return "json"
    if is_zip(data):
        names = member_names(data)
        if names is None:
            raise ModelFileError(path, "is a damaged zip archive (its directory cannot be read)")
        if {"config.json", "model.weights.h5"} <= names:
            return "keras"
        if "schema.json" in names:
            return "skops"
        raise ModelFileError(path, f"is a zip archive (a PyTorch .pt/.pth or numpy .npz?); {PICKLE_ADVICE}")
    if data[:1] == b"\x80" and data[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        raise ModelFileError(path, f"is a Python pickle (.pkl, .joblib, an old .pt?); {PICKLE_ADVICE}")
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        raise ModelFileError(path, "is a PNG image, not a model file")
    if looks_like_onnx(path, data):  # after the formats with a signature of their own
        return "onnx"
    raise ModelFileError(
        path,
        "is not a model file (expected a visnet or PyTorch .safetensors file, a network2.py JSON file, "
        "ONNX, a Keras .keras file or a scikit-learn .skops file)",
    )


@dataclass
class TensorInfo:
    dtype: str  # safetensors name, e.g. "F32"
    shape: tuple[int, ...]
    start: int  # byte offsets into the data section
    end: int


@dataclass
class SafetensorsFile:
    path: str | os.PathLike
    data: bytes
    tensors: dict[str, TensorInfo]  # in header order
    metadata: dict[str, str]
    data_start: int

    def fail(self, problem: str) -> ModelFileError:
        return ModelFileError(self.path, problem)

    def load(self, names: list[str]) -> dict[str, np.ndarray]:
        """The named tensors as numpy arrays (BF16 becomes float32, exactly)."""
        if not any(self.tensors[n].dtype in ("BF16", "F8_E4M3", "F8_E5M2") for n in self.tensors):
            try:
                import safetensors.numpy

                arrays = safetensors.numpy.load(self.data)
            except Exception as err:  # SafetensorError and friends: a corrupt file
                raise self.fail(f"corrupt safetensors file ({err})") from None
            return {n: arrays[n] for n in names}
        out = {}
        for n in names:
            t = self.tensors[n]
            raw = self.data[self.data_start + t.start : self.data_start + t.end]
            if t.dtype == "BF16":  # the top 16 bits of a float32
                bits = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
                out[n] = bits.view(np.float32).reshape(t.shape)
            elif DTYPES[t.dtype][0] is None:
                raise self.fail(f"tensor {shown(n)} has dtype {t.dtype}, which visnet cannot read")
            else:
                out[n] = np.frombuffer(raw, dtype=DTYPES[t.dtype][0]).reshape(t.shape).copy()
        return out


def parse_safetensors(path: str | os.PathLike, data: bytes) -> SafetensorsFile:
    """Check the header completely: JSON, dtypes, shapes, offsets covering the data."""

    def fail(problem: str) -> ModelFileError:
        return ModelFileError(path, problem)

    if len(data) < 8:
        raise fail("truncated: shorter than a safetensors header")
    n = struct.unpack("<Q", data[:8])[0]
    if n > MAX_HEADER:
        raise fail("not a safetensors file (header length is implausible)")
    if 8 + n > len(data):
        raise fail(f"truncated: the header says {n} bytes but the file has only {len(data) - 8} after the length")
    try:
        header = json.loads(data[8 : 8 + n].decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as err:
        raise fail(f"corrupt safetensors header ({err})") from None
    if not isinstance(header, dict):
        raise fail("corrupt safetensors header (not a JSON object)")

    metadata = header.pop("__metadata__", None)
    if metadata is None:
        metadata = {}
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise fail("corrupt safetensors header (__metadata__ must map strings to strings)")

    tensors: dict[str, TensorInfo] = {}
    for name, spec in header.items():
        if not isinstance(spec, dict):
            raise fail(f"corrupt safetensors header (entry {shown(name)} is not an object)")
        tensors[name] = _tensor_info(fail, name, spec)

    body = len(data) - 8 - n
    need = max((t.end for t in tensors.values()), default=0)
    if need > body:
        raise fail(f"truncated: the tensors need {need} bytes of data but only {body} are present")
    spans = sorted((t.start, t.end) for t in tensors.values())
    pos = 0
    for start, end in spans:
        if start != pos:
            raise fail("corrupt safetensors file (tensor data overlaps or leaves gaps)")
        pos = end
    if pos != body:
        raise fail(f"corrupt safetensors file ({body - pos} unexpected bytes after the tensor data)")
    return SafetensorsFile(path, data, tensors, dict(metadata), 8 + n)


def _tensor_info(fail: Callable[[str], ModelFileError], name: str, spec: dict) -> TensorInfo:
    """One header entry, checked: a known dtype, a plausible shape, and a byte range whose
    length is the shape's size (Python integers: an int64 product can wrap to 0)."""
    dtype, shape, offsets = spec.get("dtype"), spec.get("shape"), spec.get("data_offsets")
    if not (isinstance(dtype, str) and dtype in DTYPES):
        raise fail(f"tensor {shown(name)} has an unknown dtype {shown(dtype)}")
    if not (
        isinstance(shape, list) and len(shape) <= MAX_DIMS and all(type(s) is int and 0 <= s <= MAX_FILE for s in shape)
    ):
        raise fail(f"tensor {shown(name)} has an invalid shape {shown(shape)}")
    if not (isinstance(offsets, list) and len(offsets) == 2 and all(type(o) is int for o in offsets)):
        raise fail(f"tensor {shown(name)} has invalid data offsets {shown(offsets)}")
    start, end = offsets
    if not 0 <= start <= end or end - start != math.prod(shape) * DTYPES[dtype][1]:
        raise fail(f"tensor {shown(name)}: its byte range does not match its shape {tuple(shape)} and dtype {dtype}")
    return TensorInfo(dtype, tuple(shape), start, end)
