"""Mutated model files of every format through every reader: how many load, how many are
refused with ModelFileError, and how many raise anything else (the target is 0), with the
slowest read and the peak memory.

Starts from one valid file per format (a visnet file with a training history and training
settings, a PyTorch state dict, network2.py JSON; and, with the onnx and h5py extras, the
ONNX, .keras and .skops fixtures of tests/io/fixtures made by the real libraries, plus an
ONNX file visnet exported, whose metadata carries its info) and mutates it at random
(seeded): damaged bytes (flipped, inserted, removed, cut short), any JSON value at any place
of the safetensors header, of the visnet description, of network2.py's JSON, of a .keras
file's config.json or metadata.json, of a .skops file's schema.json or of an exported ONNX
file's visnet metadata, and generated tensor entries (any dtype, shapes up to 2**64, the byte
count an int64 product would claim; in a .skops file any .npy header, in a .keras file any
HDF5 dataset). Zip members are also damaged inside an intact zip (so the damage reaches the
JSON, NumPy or HDF5 reader, not only the zip's checksum), and ONNX files get protobuf fields
changed (operators, node inputs, attributes, initializer shapes, types and bytes, input
shapes, opsets). Each file goes through visnet.io.load_model, open_model and
read_description; a file that loads must hold a network of finite parameters whose shapes
match its sizes. Also times a device (/dev/zero) and a FIFO, which must be refused at once,
and a PyTorch file of 100,000 layers out of order.

    python benchmarks/fuzz_model_files.py [--files 12000] [--seed 0]
"""

from __future__ import annotations

import argparse
import collections
import copy
import io
import json
import math
import os
import random
import resource
import struct
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np
import safetensors.numpy

from visnet.core.history import TrainingHistory
from visnet.core.network import Network
from visnet.io import ModelFileError, load_model, open_model, read_description, save_model, save_onnx

try:
    import onnx
except ImportError:
    onnx = None
try:
    import h5py
except ImportError:
    h5py = None

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "io" / "fixtures"
# The other libraries' files, made with the real libraries (tools/make_onnx_fixtures.py,
# tools/make_keras_skops_fixtures.py).
FOREIGN = {
    "onnx-torch": "torch_legacy_64-16-10.onnx",
    "onnx-dynamo": "torch_dynamo_64-16-12-10.onnx",
    "onnx-sklearn": "sklearn_mlp_64-16-10.onnx",
    "keras": "keras_64_16_10.keras",
    "skops": "skops_classifier.skops",
}
INT64 = [2**31, 2**32, 2**62, 2**63 - 1, -1, -(2**63), 0]  # what protobuf's int64 fields hold
ONNX_OPS = ["Gemm", "MatMul", "Add", "Relu", "Sigmoid", "Tanh", "LeakyRelu", "Softmax", "LogSoftmax"]
ONNX_OPS += ["Identity", "Flatten", "Reshape", "Cast", "ArgMax", "ZipMap", "Conv", "If", "Loop", "", "\x1b[2J"]
NPY_DTYPES = ["<f4", "<f8", ">f8", "<f2", "<i8", "|u1", "|b1", "<U3", "|O", "<c16", "|V8", "<M8[s]", "x", ""]

HUGE = [2**31, 2**32, 2**62, 2**63, 2**64 - 1, 2**64, 10**30, -1, -(2**63)]
DTYPES = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "U8": 1, "BOOL": 1, "F8_E5M2": 1}
STRINGS = ["", "NaN", "Infinity", "-inf", "1e300", "F32", "BF16", "relu", "softmax", "float32", "\x1b[2J", "a\nb"]
READERS = {"load_model": load_model, "open_model": open_model, "read_description": read_description}


# -- the valid files -----------------------------------------------------------------------
def valid_files(folder: Path) -> dict[str, bytes]:
    rng = np.random.default_rng(0)
    n = 30
    history = TrainingHistory(
        2,
        batch_x=np.linspace(0.1, 2, n),
        batch_loss=rng.random(n),
        epoch=np.arange(1, 3),
        train_loss=np.array([1.0, 0.5]),
        test_loss=np.array([1.1, 0.6]),
        test_accuracy=np.array([0.5, 0.7]),
        stats_x=np.linspace(0.1, 2, 5),
        grad_rms=rng.random((5, 2)),
        update_ratio=rng.random((5, 2)) * 1e-3,
        steps=n,
        epochs_done=2,
        samples_seen=10 * n,
    )
    training = {"eta": 0.5, "momentum": 0.0, "lmbda": 0.0, "batch_size": 10, "epochs": 2, "seed": 0}
    training |= {"schedule": "step", "gamma": 0.5, "step_epochs": 1.0, "rule": "backprop"}
    native = save_model(
        Network([16, 8, 4], "relu", seed=0), folder / "valid.safetensors", history=history, training=training
    )
    torch = safetensors.numpy.save(
        {
            "net.0.weight": rng.normal(size=(8, 16)).astype(np.float32),
            "net.0.bias": rng.normal(size=8).astype(np.float32),
            "net.2.weight": rng.normal(size=(4, 8)).astype(np.float32),
            "net.2.bias": rng.normal(size=4).astype(np.float32),
        },
        metadata={"format": "pt", "activations": '["tanh"]'},
    )
    network2 = {
        "sizes": [5, 3, 2],
        "weights": [rng.normal(size=(3, 5)).tolist(), rng.normal(size=(2, 3)).tolist()],
        "biases": [rng.normal(size=(3, 1)).tolist(), rng.normal(size=(2, 1)).tolist()],
        "cost": "CrossEntropyCost",
    }
    # written again with sorted keys: safetensors stores metadata in a random order, and the
    # mutations are to be the same on every run
    files = {
        "native": join(*split(native.read_bytes())),
        "torch": join(*split(torch)),
        "network2": json.dumps(network2).encode(),
    }
    if onnx is not None:
        exported = Network([16, 8, 4], "relu", seed=0)
        exported.info = {
            "dataset": "iris",
            "input_names": [f"x{i}" for i in range(16)],
            "standardization": {"mean": [0.0] * 16, "std": [1.0] * 16},
        }
        files["onnx-visnet"] = save_onnx(exported, folder / "exported.onnx").read_bytes()
    for kind, name in FOREIGN.items():
        if (kind.startswith("onnx") and onnx is None) or (kind == "keras" and h5py is None):
            continue  # the reader needs the extra: without it every file is refused the same way
        files[kind] = (FIXTURES / name).read_bytes()
    return files


def is_zip(kind: str) -> bool:
    return kind in ("keras", "skops")


def is_onnx(kind: str) -> bool:
    return kind.startswith("onnx")


# -- mutations -------------------------------------------------------------------------------
def any_json(r: random.Random, depth: int = 0):
    kind = r.randrange(9 if depth < 2 else 6)
    if kind == 0:
        return r.choice([None, True, False])
    if kind == 1:
        return r.choice([*HUGE, 0, 1, 2, 3, 10, r.randrange(-(10**6), 10**6)])
    if kind == 2:
        return r.choice([0.0, -0.0, 0.5, 1.5, -1.0, 1e300, -1e300, 5e-324, math.inf, -math.inf, math.nan])
    if kind == 3:
        return r.choice(STRINGS)
    if kind == 4:
        return "".join(chr(r.randrange(1, 0x250)) for _ in range(r.randrange(12)))
    if kind == 5:
        return r.uniform(-10, 10)
    if kind in (6, 7):
        return [any_json(r, depth + 1) for _ in range(r.randrange(5))]
    return {r.choice(STRINGS + ["dtype", "shape", "data_offsets", "x"]): any_json(r, depth + 1) for _ in range(3)}


def places(tree, path=()):
    yield path
    if isinstance(tree, dict):
        for key, value in tree.items():
            yield from places(value, (*path, key))
    elif isinstance(tree, list):
        for i, value in enumerate(tree):
            yield from places(value, (*path, i))


def mutate_tree(r: random.Random, tree):
    tree = copy.deepcopy(tree)
    path = r.choice(list(places(tree)))
    if not path:
        return any_json(r)
    parent = tree
    for key in path[:-1]:
        parent = parent[key]
    if r.random() < 0.15:
        del parent[path[-1]]
    else:
        parent[path[-1]] = any_json(r)
    return tree


def split(data: bytes) -> tuple[dict, bytes]:
    n = struct.unpack("<Q", data[:8])[0]
    return json.loads(data[8 : 8 + n]), data[8 + n :]


def join(header: dict, body: bytes) -> bytes:
    text = json.dumps(header, allow_nan=True, sort_keys=True).encode()
    return struct.pack("<Q", len(text)) + text + body


def damaged_bytes(r: random.Random, data: bytes, _kind: str) -> bytes:
    out = bytearray(data)
    head = 8 + struct.unpack("<Q", data[:8])[0] if data[8:9] == b"{" else len(data)
    for _ in range(r.randint(1, 4)):
        i = min(r.randrange(head + 1) if r.random() < 0.8 else r.randrange(len(out) + 1), len(out))
        action = r.randrange(4)
        if action == 0 and i < len(out):
            out[i] ^= r.randrange(1, 256)
        elif action == 1:
            out[i:i] = r.randbytes(r.randint(1, 8))
        elif action == 2:
            del out[i : i + r.randint(1, 8)]
        elif action == 3:
            del out[i:]
    return bytes(out)


def unzipped(data: bytes) -> list[tuple[zipfile.ZipInfo, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return [(info, archive.read(info)) for info in archive.infolist()]


def zipped(members: list[tuple[zipfile.ZipInfo, bytes]]) -> bytes:
    """The members as a zip again, each with its name and compression, and its checksum right."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for info, body in members:
            archive.writestr(info, body)
    return out.getvalue()


# Where in a zip format's JSON the reader looks; most of the rest is state visnet never reads
# (a .skops schema holds the whole estimator, a Keras config its compile settings), so that
# mutations there, which all load, do not swamp the figures.
READ_PLACES = {
    "skops": [("content", "content", k) for k in ("coefs_", "intercepts_", "activation", "out_activation_")],
    "keras": [("config", "layers"), ("config",), ("class_name",)],
}


def subtree(tree, path):
    for key in path:
        if not isinstance(tree, dict) or key not in tree:
            return None
        tree = tree[key]
    return tree


def mutate_json(r: random.Random, tree, kind: str):
    """tree with one place changed: in the part the reader looks at, more often than not."""
    targets = [p for p in READ_PLACES.get(kind, []) if subtree(tree, p) is not None]
    if not targets or r.random() < 0.3:
        return mutate_tree(r, tree)
    path = r.choice(targets)
    tree = copy.deepcopy(tree)
    parent = subtree(tree, path[:-1])
    parent[path[-1]] = mutate_tree(r, parent[path[-1]])
    return tree


def read_members(kind: str, members) -> set[str]:
    """The zip members a .skops reader reads: the .npy files of coefs_ and intercepts_."""
    if kind != "skops":
        return set()
    schema = json.loads(next(body for info, body in members if info.filename == "schema.json"))
    found: set[str] = set()

    def files(node) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("file"), str):
                found.add(node["file"])
            for value in node.values():
                files(value)
        elif isinstance(node, list):
            for value in node:
                files(value)

    for key in ("coefs_", "intercepts_"):
        files(subtree(schema, ("content", "content", key)))
    return found


def json_anywhere(r: random.Random, data: bytes, kind: str) -> bytes:
    if is_zip(kind):
        members = unzipped(data)
        i = r.choice([i for i, (info, _) in enumerate(members) if info.filename.endswith(".json")])
        info, body = members[i]
        members[i] = (info, json.dumps(mutate_json(r, json.loads(body), kind), allow_nan=True).encode())
        return zipped(members)
    if is_onnx(kind):
        model = onnx.ModelProto.FromString(data)
        props = [p for p in model.metadata_props if p.key == "visnet"]
        if not props:
            return onnx_field(r, data, kind)
        props[0].value = json.dumps(mutate_tree(r, json.loads(props[0].value)), allow_nan=True)
        return model.SerializeToString()
    if kind == "network2":
        return json.dumps(mutate_tree(r, json.loads(data)), allow_nan=True).encode()
    header, body = split(data)
    meta = header.get("__metadata__", {})
    documents = [k for k, v in meta.items() if v[:1] in "[{"]
    if documents and r.random() < 0.5:
        key = r.choice(documents)
        meta[key] = json.dumps(mutate_tree(r, json.loads(meta[key])), allow_nan=True)
        return join(header, body)
    return join(mutate_tree(r, header), body)


def generated_tensor(r: random.Random, data: bytes, kind: str) -> bytes:
    if kind == "network2":
        return json_anywhere(r, data, kind)
    if is_onnx(kind):
        return onnx_field(r, data, kind, initializers_only=True)
    if kind == "skops":
        return generated_npy(r, data)
    if kind == "keras":
        return generated_hdf5_dataset(r, data)
    header, body = split(data)
    raws = {k: body[v["data_offsets"][0] : v["data_offsets"][1]] for k, v in header.items() if k != "__metadata__"}
    name = r.choice(sorted(raws)) if r.random() < 0.8 else r.choice(STRINGS)
    dtype = r.choice(sorted(DTYPES)) if r.random() < 0.85 else any_json(r)
    shape = [
        r.choice([0, 1, 2, 3, 4, 8, 16, *HUGE]) if r.random() < 0.3 else r.randrange(1, 17)
        for _ in range(r.randrange(4))
    ]
    if r.random() < 0.1:
        shape = any_json(r)
    if isinstance(dtype, str) and dtype in DTYPES and isinstance(shape, list) and all(type(s) is int for s in shape):
        claimed = math.prod(shape) * DTYPES[dtype] % 2**64  # what an int64 product records
    else:
        claimed = r.randrange(64)
    raw = b""
    if claimed <= 8192:
        raw = r.randbytes(claimed)
        if dtype == "F64" and r.random() < 0.5:
            values = [r.choice([1e300, -1e300, 1e39, 0.5, math.nan]) for _ in range(claimed // 8)]
            raw = struct.pack(f"<{len(values)}d", *values)
    header[name] = {"dtype": dtype, "shape": shape}
    raws[name] = raw
    out, position = [], 0
    for key, spec in header.items():
        if key == "__metadata__":
            continue
        size = claimed if key == name else len(raws[key])
        spec["data_offsets"] = [position, position + size]
        out.append(raws[key])
        position += size
    return join(header, b"".join(out))


def generated_npy(r: random.Random, data: bytes) -> bytes:
    """A .skops file with one .npy member replaced: any dtype, shape and fortran_order in its
    header, the bytes that shape claims when few, else a few."""
    members = unzipped(data)
    read = read_members("skops", members)
    choices = [i for i, (info, _) in enumerate(members) if info.filename in read]
    if not choices or r.random() < 0.3:
        choices = [i for i, (info, _) in enumerate(members) if info.filename.endswith(".npy")]
    i = r.choice(choices)
    dtype = r.choice(NPY_DTYPES)
    shape = tuple(
        r.choice([0, 1, 2, 3, 16, 64, *HUGE]) if r.random() < 0.3 else r.randrange(1, 65) for _ in range(r.randrange(4))
    )
    header = f"{{'descr': {dtype!r}, 'fortran_order': {r.random() < 0.2}, 'shape': {shape!r}, }}"
    if r.random() < 0.1:
        header = r.choice(STRINGS) + header[r.randrange(len(header)) :]
    text = header.encode("latin-1", "replace")
    text += b" " * (-(10 + len(text) + 1) % 64) + b"\n"
    itemsize = {"<f4": 4, "<f8": 8, ">f8": 8, "<f2": 2, "<i8": 8, "|u1": 1, "|b1": 1, "<U3": 12, "<c16": 16}
    claimed = math.prod(shape) * itemsize.get(dtype, 8) if shape else itemsize.get(dtype, 8)
    body = r.randbytes(claimed if 0 <= claimed <= 8192 else r.randrange(64))
    if r.random() < 0.2:
        body = body[: r.randrange(len(body) + 1)]
    members[i] = (members[i][0], b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text + body)
    return zipped(members)


def generated_hdf5_dataset(r: random.Random, data: bytes) -> bytes:
    """A .keras file with one HDF5 dataset of its weights replaced by one of any dtype and shape."""
    members = unzipped(data)
    i = next(i for i, (info, _) in enumerate(members) if info.filename.endswith(".h5"))
    buffer = io.BytesIO(members[i][1])
    with h5py.File(buffer, "r+") as f:
        names = []
        f.visititems(lambda name, item: names.append(name) if isinstance(item, h5py.Dataset) else None)
        name = r.choice(sorted(names))
        shape = f[name].shape
        del f[name]
        dtype = r.choice(["f4", "f8", "f2", "i8", "u1", "bool", "S3", "c8"])
        if r.random() < 0.5:  # another shape; else the same one with other values or another type
            shape = tuple(r.choice([0, 1, 2, 16, 64, 65]) for _ in range(r.randrange(4)))
        values = np.frombuffer(r.randbytes(math.prod(shape) * np.dtype(dtype).itemsize), dtype=dtype).reshape(shape)
        if r.random() < 0.5 and values.dtype.kind == "f":
            with np.errstate(over="ignore"):  # 1e38 is infinite as float16: a value to try too
                values = np.full(shape, r.choice([np.nan, np.inf, 1e38, -0.0, 0.5]), dtype=dtype)
        f.create_dataset(name, data=values)
    members[i] = (members[i][0], buffer.getvalue())
    return zipped(members)


def damaged_member(r: random.Random, data: bytes, kind: str) -> bytes:
    """A zip file with one member's bytes damaged but its checksum right again, so the damage
    reaches the member's reader (JSON, NumPy, HDF5); an ONNX file with a protobuf field changed."""
    if is_onnx(kind):
        return onnx_field(r, data, kind)
    members = unzipped(data)
    read = read_members(kind, members)
    choices = [i for i, (info, _) in enumerate(members) if info.filename in read or not info.filename.endswith(".npy")]
    i = r.choice(choices if r.random() < 0.7 else range(len(members)))
    info, body = members[i]
    out = bytearray(body)
    # .npy and .json members are short: anywhere; an HDF5 file's structure is in its first kilobytes
    for _ in range(r.randint(1, 4)):
        where = min(r.randrange(min(len(out), 4096) + 1), len(out))
        action = r.randrange(4)
        if action == 0 and where < len(out):
            out[where] ^= r.randrange(1, 256)
        elif action == 1:
            out[where:where] = r.randbytes(r.randint(1, 8))
        elif action == 2:
            del out[where : where + r.randint(1, 8)]
        else:
            del out[where:]
    members[i] = (info, bytes(out))
    return zipped(members)


def onnx_field(r: random.Random, data: bytes, kind: str, initializers_only: bool = False) -> bytes:
    """An ONNX model with one protobuf field changed, as a hand-edited or hostile file may have it."""
    model = onnx.ModelProto.FromString(data)
    g = model.graph
    choice = r.randrange(3) + 4 if initializers_only else r.randrange(10)
    names = [n for node in g.node for n in (*node.input, *node.output)] + [t.name for t in g.initializer]
    if choice == 0 and g.node:
        r.choice(g.node).op_type = r.choice(ONNX_OPS)
    elif choice == 1 and g.node:
        node = r.choice(g.node)
        wires = node.input if (r.random() < 0.5 and node.input) or not node.output else node.output
        if wires:
            wires[r.randrange(len(wires))] = r.choice(names + STRINGS)
    elif choice == 2 and g.node:
        node = r.choice(g.node)
        value = r.choice([r.choice(INT64), r.choice([0.0, 1.0, -1.0, 1e38, math.inf, math.nan]), b"x", [1, -1, 0]])
        name = r.choice(["alpha", "beta", "transA", "transB", "axis", "to", "allowzero", "shape", "x"])
        kept = [a for a in node.attribute if a.name != name]
        del node.attribute[:]
        node.attribute.extend([*kept, onnx.helper.make_attribute(name, value)])
    elif choice == 3 and g.node:
        i = r.randrange(len(g.node))
        if r.random() < 0.5:
            del g.node[i]
        else:
            g.node.insert(r.randrange(len(g.node) + 1), copy.deepcopy(g.node[i]))  # a duplicate, maybe a cycle
    elif choice in (4, 5, 6) and g.initializer:
        t = r.choice(g.initializer)
        if choice == 4:
            t.dims[:] = [
                r.choice([0, 1, 16, 64, *INT64]) if r.random() < 0.3 else r.randrange(1, 65)
                for _ in range(r.randrange(4))
            ]
        elif choice == 5:
            t.data_type = r.randrange(0, 26)
        elif t.raw_data:
            raw = bytes(t.raw_data)
            t.raw_data = raw[: r.randrange(len(raw) + 1)] if r.random() < 0.5 else raw + r.randbytes(r.randint(1, 16))
        else:
            t.float_data.extend([math.nan] * r.randint(1, 4))
    elif choice == 7 and g.input:
        dims = r.choice(g.input).type.tensor_type.shape.dim
        if dims:
            dims[r.randrange(len(dims))].dim_value = r.choice(INT64)
    elif choice == 8:
        if model.opset_import:
            model.opset_import[0].version = r.choice([1, 6, 9, 13, 17, 21, 99, *INT64])
        model.ir_version = r.choice([0, 3, 8, 10, 99, *INT64])
    elif choice == 9 and g.output:
        del g.output[r.randrange(len(g.output))]
    return model.SerializeToString()


MUTATIONS = {
    "damaged bytes": damaged_bytes,
    "JSON anywhere": json_anywhere,
    "generated tensor": generated_tensor,
    "damaged member": damaged_member,
}


def mutations_for(kind: str) -> list[str]:
    """The mutations that make sense for a kind of file (damaged member: zips and ONNX only)."""
    if is_zip(kind) or is_onnx(kind):
        names = sorted(MUTATIONS)
        return names if kind == "onnx-visnet" or not is_onnx(kind) else [n for n in names if n != "JSON anywhere"]
    return sorted(n for n in MUTATIONS if n != "damaged member")


# -- reading --------------------------------------------------------------------------------
def unsound(result) -> str | None:
    """Why a loaded result is not a sound network (None if it is)."""
    net = getattr(result, "network", result)
    if isinstance(result, dict):
        sizes = result["sizes"]
        ok = all(type(s) is int and s >= 1 for s in sizes) and result["n_params"] == sum(
            a * b + b for a, b in zip(sizes[:-1], sizes[1:])
        )
        return None if ok else f"description with sizes {sizes!r}"
    for l, (w, b) in enumerate(zip(net.weights, net.biases)):
        if w.shape != (net.sizes[l + 1], net.sizes[l]) or b.shape != (net.sizes[l + 1],):
            return f"layer {l} shapes {w.shape} {b.shape} for sizes {net.sizes}"
        if not (np.isfinite(w).all() and np.isfinite(b).all()):
            return f"layer {l} holds NaN or infinite values"
    return None


def read_each(path: Path, tally: collections.Counter, others: dict, slowest: list, label: str) -> str:
    """Read path with every reader; returns open_model's outcome."""
    outcomes = {}
    for reader, read in READERS.items():
        start = time.process_time()  # CPU time: a busy machine's scheduling delays are not the reader's
        try:
            result = read(path)
        except ModelFileError as err:
            outcome = "ModelFileError" if "\n" not in str(err) else "ModelFileError on several lines"
        except Exception as err:  # what this benchmark counts
            outcome = f"{type(err).__name__}"
            others.setdefault(f"{reader}: {outcome}: {err}"[:200], path.read_bytes()[:300])
        else:
            problem = unsound(result)
            outcome = "loaded" if problem is None else "loaded but unsound"
            if problem:
                others.setdefault(f"{reader}: unsound: {problem}", path.read_bytes()[:300])
        elapsed = time.process_time() - start
        if elapsed > slowest[0]:
            slowest[:] = [elapsed, f"{reader} on a {label} file ({path.stat().st_size:,} bytes, {outcome})"]
        tally[(reader, outcome)] += 1
        outcomes[reader] = outcome
    return outcomes["open_model"]


def special_files(folder: Path) -> list[str]:
    lines = []
    candidates = [Path("/dev/zero")] if os.path.exists("/dev/zero") else []
    if hasattr(os, "mkfifo"):
        os.mkfifo(folder / "pipe")
        candidates.append(folder / "pipe")
    for path in candidates:
        start = time.perf_counter()
        try:
            read_description(path)
            outcome = "read (should have been refused)"
        except ModelFileError as err:
            outcome = f"refused: {err}"
        lines.append(f"  {str(path):<24} {(time.perf_counter() - start) * 1000:7.2f} ms  {outcome}")
    return lines


def many_layers(folder: Path, n: int = 100_000) -> str:
    """A PyTorch file of n Linear layers in no chaining order: finding the chain is linear."""
    r = random.Random(1)
    tensors = {}
    for i in range(n):
        n_in, n_out = (1, 2) if i % 2 else (2, 1)
        tensors[f"layer{r.randrange(10**12)}_{i}.weight"] = np.zeros((n_out, n_in), np.float32)
    path = folder / "many_layers.safetensors"
    path.write_bytes(safetensors.numpy.save(tensors))
    start = time.process_time()
    try:
        load_model(path)
        outcome = "loaded"
    except ModelFileError as err:
        outcome = f"refused: {err.problem[:60]}..."
    return f"  {n:,} layers {(time.process_time() - start) * 1000:9.0f} ms of CPU time  {outcome}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=12_000, help="mutated files to generate (default 12000)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    r = random.Random(args.seed)
    tally: collections.Counter = collections.Counter()
    made: collections.Counter = collections.Counter()
    made_of: collections.Counter = collections.Counter()  # (kind, mutation, open_model's outcome)
    others: dict[str, bytes] = {}
    slowest = [0.0, ""]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        valid = valid_files(folder)
        rss_start = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        path = folder / "mutant"
        start = time.perf_counter()
        for _ in range(args.files):
            kind = r.choice(sorted(valid))
            mutation = r.choice(mutations_for(kind))
            data = MUTATIONS[mutation](r, valid[kind], kind)
            path.write_bytes(data)
            made[(kind, mutation)] += 1
            made_of[(kind, mutation, read_each(path, tally, others, slowest, f"{kind} ({mutation})"))] += 1
        total = time.perf_counter() - start
        rss_mutants = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        specials = special_files(folder)
        layers = many_layers(folder)
    rss_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    print(f"{args.files:,} mutated model files (seed {args.seed}) in {total:.1f} s:")
    print(f"  {'':<30} {'files':>6} {'open_model: loaded':>19} {'refused':>8}")
    for (kind, mutation), count in sorted(made.items()):
        loaded, refused = made_of[(kind, mutation, "loaded")], made_of[(kind, mutation, "ModelFileError")]
        print(f"  {kind:<12} {mutation:<17} {count:6,} {loaded:19,} {refused:8,}")
    print("\nper reader:")
    outcomes = sorted({o for _, o in tally})
    print(f"  {'':<17}" + "".join(f"{o:>17}" for o in outcomes))
    for reader in READERS:
        print(f"  {reader:<17}" + "".join(f"{tally[(reader, o)]:>17,}" for o in outcomes))
    bad = sum(n for (_, o), n in tally.items() if o not in ("loaded", "ModelFileError"))
    print(f"\nother exceptions or unsound results: {bad} (target 0)")
    for message, head in list(others.items())[:10]:
        print(f"  {message}\n    file starts {head[:120]!r}")
    print(f"slowest read: {slowest[0] * 1000:.1f} ms of CPU time, {slowest[1]}")
    # ru_maxrss is in KiB on Linux
    print(
        f"peak memory: {rss_mutants / 1024:.0f} MiB after the mutated files (after setting up: "
        f"{rss_start / 1024:.0f} MiB), {rss_peak / 1024:.0f} MiB after the 100,000-layer file"
    )
    print("not regular files:")
    print("\n".join(specials))
    print("a PyTorch file with its layers out of order:")
    print(layers)


if __name__ == "__main__":
    main()
