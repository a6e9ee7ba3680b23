"""Generated bad model files of every format: each reader either loads a sound network or
raises ModelFileError with one line naming the file, and refuses files that are not
regular files at once."""

import copy
import json
import math
import os
import struct
import threading
import time

import numpy as np
import pytest
import safetensors.numpy
from hypothesis import given, settings
from hypothesis import strategies as st
from json_trees import all_paths

import visnet
from visnet.core.history import TrainingHistory
from visnet.core.training import TrainConfig, config_from_stored
from visnet.io import ModelFile, ModelFileError, load_model, open_model, read_description, save_model

SST_DTYPES = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "U8": 1, "BOOL": 1, "F8_E4M3": 1}
HUGE = [2**31, 2**32, 2**62, 2**63, 2**64 - 1, 2**64, 10**30]
FUZZ = settings(max_examples=100, deadline=None)  # with the parametrisations, about 1,000 files a run


# -- valid files of each format ----------------------------------------------------------
def small_history(n_layers: int) -> TrainingHistory:
    rng = np.random.default_rng(1)
    return TrainingHistory(
        n_layers,
        batch_x=np.linspace(0.1, 2, 20),
        batch_loss=rng.random(20),
        epoch=np.arange(1, 3),
        train_loss=np.array([1.0, 0.5]),
        test_loss=np.array([1.1, 0.6]),
        test_accuracy=np.array([0.5, 0.7]),
        stats_x=np.linspace(0.1, 2, 4),
        grad_rms=rng.random((4, n_layers)),
        update_ratio=rng.random((4, n_layers)) * 1e-3,
        steps=20,
        epochs_done=2,
        samples_seen=200,
    )


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz")


@pytest.fixture(scope="module")
def valid(folder):
    """The bytes of one valid file per format: visnet (with history and training settings),
    a PyTorch state dict, network2.py JSON."""
    net = visnet.Network([6, 4, 3], "relu", seed=0)
    native = save_model(
        net,
        folder / "native.safetensors",
        history=small_history(2),
        training=TrainConfig(schedule="step").as_dict(),
        epochs=2,
        dataset="embedded MNIST",
    ).read_bytes()
    rng = np.random.default_rng(0)
    torch = safetensors.numpy.save(
        {
            "0.weight": rng.normal(size=(5, 6)).astype(np.float32),
            "0.bias": rng.normal(size=5).astype(np.float32),
            "2.weight": rng.normal(size=(3, 5)).astype(np.float32),
            "2.bias": rng.normal(size=3).astype(np.float32),
        },
        metadata={"format": "pt", "activations": '["relu"]'},
    )
    network2 = json.dumps(
        {
            "sizes": [4, 3, 2],
            "weights": [rng.normal(size=(3, 4)).tolist(), rng.normal(size=(2, 3)).tolist()],
            "biases": [[[0.1]] * 3, [[0.2]] * 2],
            "cost": "CrossEntropyCost",
        }
    ).encode()
    # written again with sorted keys: safetensors stores metadata in a random order, and a
    # failing example is to be found again on the next run
    return {"native": join(*split(native)), "torch": join(*split(torch)), "network2": network2}


# -- what every reader must do -----------------------------------------------------------
def check_network(net) -> None:
    sizes = net.sizes
    assert len(net.weights) == len(net.biases) == len(sizes) - 1
    for l, (w, b) in enumerate(zip(net.weights, net.biases)):
        assert w.shape == (sizes[l + 1], sizes[l]) and b.shape == (sizes[l + 1],)
        assert w.dtype == b.dtype == net.dtype
        assert np.isfinite(w).all() and np.isfinite(b).all()
    config, warnings = config_from_stored(net.info.get("training"), TrainConfig())
    config.validate()
    assert all("\n" not in w for w in warnings)


def read_all(path):
    """What load_model, open_model and read_description give: a result or a ModelFileError
    with one line naming the file (any other exception fails the test)."""
    results = []
    for read in (load_model, open_model, read_description):
        try:
            results.append(read(path))
        except ModelFileError as err:
            message = str(err)
            assert "\n" not in message and message.startswith(f"{path}: ") and message.isprintable(), message
            results.append(err)
    net, model, description = results
    assert isinstance(net, ModelFileError) == isinstance(model, ModelFileError)
    if not isinstance(net, ModelFileError):
        assert isinstance(model, ModelFile)
        check_network(net)
        check_network(model.network)
        assert model.network.sizes == net.sizes
        assert all("\n" not in w for w in model.warnings)
        assert not isinstance(description, ModelFileError), description  # what loads can be described
    if not isinstance(description, ModelFileError):
        sizes = description["sizes"]
        assert all(type(s) is int and s >= 1 for s in sizes) and len(sizes) >= 2
        assert description["n_params"] == sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))
        if not isinstance(net, ModelFileError):
            assert sizes == list(net.sizes)
    return results


def written(folder, data: bytes):
    path = folder / "mutant.model"
    path.write_bytes(data)
    return path


# -- safetensors surgery ------------------------------------------------------------------
def split(data: bytes) -> tuple[dict, bytes]:
    n = struct.unpack("<Q", data[:8])[0]
    return json.loads(data[8 : 8 + n]), data[8 + n :]


def join(header: dict, body: bytes) -> bytes:
    text = json.dumps(header, allow_nan=True, sort_keys=True).encode()
    return struct.pack("<Q", len(text)) + text + body


def tensor_bytes(header: dict, body: bytes) -> dict[str, bytes]:
    return {
        name: body[spec["data_offsets"][0] : spec["data_offsets"][1]]
        for name, spec in header.items()
        if name != "__metadata__"
    }


# -- strategies ---------------------------------------------------------------------------
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.sampled_from([*HUGE, -1, 0, -(2**63) - 1])
    | st.floats()
    | st.text(max_size=12)
    | st.sampled_from(["NaN", "Infinity", "1e300", "", "F32", "relu", "float32", "\x1b[31m"])
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=8,
)


@st.composite
def mutated_tree(draw, tree):
    """tree with one place replaced by arbitrary JSON, deleted, or given an extra key."""
    tree = copy.deepcopy(tree)
    path = draw(st.sampled_from(list(all_paths(tree))))
    action = draw(st.sampled_from(["replace", "delete", "add"]))
    if not path:
        return draw(json_values) if action == "replace" else tree
    parent = tree
    for key in path[:-1]:
        parent = parent[key]
    if action == "delete":
        del parent[path[-1]]
    elif action == "add" and isinstance(parent[path[-1]], dict):
        parent[path[-1]][draw(st.text(max_size=8))] = draw(json_values)
    else:
        parent[path[-1]] = draw(json_values)
    return tree


@st.composite
def byte_mutants(draw, data: bytes) -> bytes:
    """data with a few bytes flipped, inserted or removed, or cut short; mostly in the
    header, where a change decides what the rest means."""
    out = bytearray(data)
    head = min(len(data), 8 + struct.unpack("<Q", data[:8])[0]) if data[8:9] == b"{" else len(data)
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, head) | st.integers(0, len(out)))
        i = min(i, len(out))
        action = draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
        if action == "flip" and i < len(out):
            out[i] ^= draw(st.integers(1, 255))
        elif action == "insert":
            out[i:i] = draw(st.binary(min_size=1, max_size=8))
        elif action == "delete":
            del out[i : i + draw(st.integers(1, 8))]
        else:
            del out[i:]
    return bytes(out)


@st.composite
def header_mutants(draw, data: bytes) -> bytes:
    """A safetensors file with its header, or a JSON document in its metadata (the visnet
    description, the PyTorch activations), changed at any place to arbitrary JSON."""
    header, body = split(data)
    meta = header.get("__metadata__", {})
    documents = [k for k, v in meta.items() if v[:1] in "[{"]
    if documents and draw(st.booleans()):
        key = draw(st.sampled_from(documents))
        meta[key] = json.dumps(draw(mutated_tree(json.loads(meta[key]))), allow_nan=True)
        return join(header, body)
    return join(draw(mutated_tree(header)), body)


@st.composite
def tensor_entries(draw):
    """(dtype, shape, bytes, claimed length): any dtype and shape, with the bytes the shape
    needs when that is small; for huge shapes, the length an int64 product would claim."""
    dtype = draw(st.sampled_from(sorted(SST_DTYPES)) | json_values)
    shape = draw(st.lists(st.integers(0, 6) | st.sampled_from(HUGE), max_size=4) | json_values)
    if (
        isinstance(dtype, str)
        and dtype in SST_DTYPES
        and isinstance(shape, list)
        and all(type(s) is int and s >= 0 for s in shape)
    ):
        claimed = math.prod(shape) * SST_DTYPES[dtype] % 2**64
    else:
        claimed = draw(st.integers(0, 64))
    if claimed > 256:
        return dtype, shape, b"", claimed
    if dtype == "F64" and draw(st.booleans()):
        values = draw(st.lists(st.floats() | st.sampled_from([1e300, -1e300, 1e39]), min_size=claimed // 8))
        raw = np.array(values[: claimed // 8], dtype="<f8").tobytes()
    else:
        raw = draw(st.binary(min_size=claimed, max_size=claimed))
    return dtype, shape, raw, claimed


@st.composite
def tensor_mutants(draw, data: bytes) -> bytes:
    """A safetensors file with one tensor (an existing one or a new one) replaced by a
    generated entry, the data laid out again so that the offsets add up."""
    header, body = split(data)
    raws = tensor_bytes(header, body)
    name = draw(st.sampled_from(sorted(raws)) | st.text(max_size=12))
    dtype, shape, raw, claimed = draw(tensor_entries())
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


@st.composite
def network2_mutants(draw, data: bytes) -> bytes:
    return json.dumps(draw(mutated_tree(json.loads(data))), allow_nan=True).encode()


# -- the properties -----------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["native", "torch", "network2"])
def test_the_valid_files_load(valid, folder, kind):
    net, model, description = read_all(written(folder, valid[kind]))
    assert not isinstance(net, ModelFileError) and model.warnings == ()
    if kind == "native":
        assert model.history is not None


@pytest.mark.parametrize("kind", ["native", "torch", "network2"])
@FUZZ
@given(data=st.data())
def test_damaged_bytes(valid, folder, kind, data):
    read_all(written(folder, data.draw(byte_mutants(valid[kind]))))


@pytest.mark.parametrize("kind", ["native", "torch"])
@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_any_json_anywhere_in_the_header_or_metadata(valid, folder, kind, data):
    read_all(written(folder, data.draw(header_mutants(valid[kind]))))


@pytest.mark.parametrize("kind", ["native", "torch"])
@FUZZ
@given(data=st.data())
def test_generated_shapes_and_dtypes(valid, folder, kind, data):
    read_all(written(folder, data.draw(tensor_mutants(valid[kind]))))


@FUZZ
@given(data=st.data())
def test_any_json_anywhere_in_a_network2_file(valid, folder, data):
    read_all(written(folder, data.draw(network2_mutants(valid["network2"]))))


# -- the cases the issue reported, by name --------------------------------------------------
def test_a_shape_whose_int64_size_wraps_to_zero_is_refused(folder):
    header = {"w": {"dtype": "BF16", "shape": [4, 2**62], "data_offsets": [0, 0]}}
    path = written(folder, join(header, b""))
    for read in (load_model, read_description):
        with pytest.raises(ModelFileError, match="invalid shape"):
            read(path)


@pytest.mark.parametrize("dtype", [[], {}, ["F32"], None, 32])
def test_a_dtype_that_is_not_a_name_is_refused(folder, dtype):
    header = {"w": {"dtype": dtype, "shape": [1], "data_offsets": [0, 4]}}
    with pytest.raises(ModelFileError, match="unknown dtype"):
        read_description(written(folder, join(header, bytes(4))))


def test_weights_too_large_for_the_networks_dtype_are_refused(tmp_path):
    mixed = {"0.weight": np.full((3, 4), 1e300), "0.bias": np.zeros(3, np.float32)}  # a float32 network
    safetensors.numpy.save_file(mixed, str(tmp_path / "huge.safetensors"))
    with pytest.raises(
        ModelFileError, match="huge.safetensors: tensor '0.weight' contains 12 NaN or infinite.*float32"
    ):
        load_model(tmp_path / "huge.safetensors")
    wide = {"0.weight": np.full((3, 4), 1e300), "0.bias": np.zeros(3)}  # float64: 1e300 is a number there
    safetensors.numpy.save_file(wide, str(tmp_path / "wide.safetensors"))
    net = load_model(tmp_path / "wide.safetensors")
    assert net.dtype == np.float64 and net.weights[0][0, 0] == 1e300
    (tmp_path / "inf.json").write_text('{"sizes": [1, 1], "weights": [[[1e999]]], "biases": [[[0]]]}')
    with pytest.raises(ModelFileError, match="inf.json.*weights\\[0\\].*infinite"):
        load_model(tmp_path / "inf.json")


def refused_quickly(path, within: float = 2.0) -> ModelFileError:
    """The error read_description raises for path, asserted to come within seconds (in a
    thread, so a read that blocks fails the test instead of hanging it)."""
    outcome = []

    def read():
        try:
            read_description(path)
        except Exception as err:
            outcome.append(err)

    thread = threading.Thread(target=read, daemon=True)
    start = time.perf_counter()
    thread.start()
    thread.join(within)
    blocked = thread.is_alive()
    if blocked and os.path.exists(path):  # let a reader blocked on a FIFO see end-of-file
        os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
    assert not blocked, f"reading {path} took over {within} s"
    assert len(outcome) == 1 and isinstance(outcome[0], ModelFileError), outcome
    assert time.perf_counter() - start < within
    return outcome[0]


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_an_endless_device_is_refused_without_reading():
    assert "is a character device, not a model file" in str(refused_quickly("/dev/zero"))


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_pipe_is_refused_without_waiting_for_a_writer(tmp_path):
    os.mkfifo(tmp_path / "pipe")
    err = refused_quickly(tmp_path / "pipe")
    assert str(err) == f"{tmp_path / 'pipe'}: is a FIFO, not a model file"


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="needs /proc")
def test_a_file_longer_than_its_stated_size_is_read_to_its_end():
    assert os.stat("/proc/self/status").st_size == 0
    assert "is not a model file" in str(refused_quickly("/proc/self/status"))


def test_messages_stay_short_and_printable_whatever_the_file_holds(folder):
    name = "\x1b[2J" + "x" * 100_000
    header = {name: {"dtype": "F32", "shape": [1, 1], "data_offsets": [0, 4]}, "__metadata__": {"format": "pt"}}
    with pytest.raises(ModelFileError) as err:
        load_model(written(folder, join(header, bytes(4))))
    message = str(err.value)
    assert message.isprintable() and "\x1b" not in message and len(message) < 400, message


@settings(max_examples=50, deadline=None)
@given(name=st.text(min_size=1, max_size=20).map(lambda t: t + "\x00"))
def test_a_path_no_file_can_have_is_one_line(name):
    for read in (load_model, open_model, read_description):
        with pytest.raises(ModelFileError) as info:
            read(name)
        assert "NUL character" in str(info.value) and "\n" not in str(info.value)
