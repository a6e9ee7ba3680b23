"""visnet's own model files: exact round trips and atomic saves."""

import errno
import json
import os

import numpy as np
import pytest
import safetensors.numpy

import visnet
from visnet.io import ModelFileError, load_model, read_description, save_model


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_round_trip_is_bit_exact(tmp_path, dtype):
    net = visnet.Network(
        [6, 5, 4, 3], ["tanh", "leaky_relu"], output="sigmoid", cost="quadratic", init="xavier", seed=3, dtype=dtype
    )
    net.info = {"dataset": "embedded MNIST", "input_shape": [28, 28]}
    path = save_model(
        net,
        tmp_path / "model.safetensors",
        epochs=np.int64(3),
        samples_seen=180_000,
        metrics={"test_accuracy": np.float32(0.875)},
        class_names=[str(i) for i in range(3)],
        training={"eta": 0.1, "batch_size": 10},
        edits=[{"layer": 1, "neuron": 2, "op": "zero"}],
    )
    assert path == tmp_path / "model.safetensors"

    back = load_model(path)
    assert back.sizes == net.sizes
    assert back.activations == net.activations
    assert (back.cost, back.init, back.dtype) == ("quadratic", "xavier", np.dtype(dtype))
    for a, b in zip(net.weights + net.biases, back.weights + back.biases):
        assert a.dtype == b.dtype and a.tobytes() == b.tobytes()
    assert back.info == {
        "dataset": "embedded MNIST",
        "input_shape": [28, 28],
        "epochs": 3,
        "samples_seen": 180_000,
        "metrics": {"test_accuracy": 0.875},
        "class_names": ["0", "1", "2"],
        "training": {"eta": 0.1, "batch_size": 10},
        "edits": [{"layer": 1, "neuron": 2, "op": "zero"}],
    }
    assert net.info == {"dataset": "embedded MNIST", "input_shape": [28, 28]}  # save does not modify net
    x = np.random.default_rng(0).normal(size=(7, 6)).astype(dtype)
    assert np.array_equal(back.forward(x), net.forward(x))


def test_file_layout_and_description(tmp_path):
    net = visnet.Network([4, 3, 2], "relu", seed=0)
    path = save_model(net, tmp_path / "m.safetensors", epochs=1)
    arrays = safetensors.numpy.load_file(str(path))
    assert set(arrays) == {"layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias"}
    assert arrays["layers.0.weight"].shape == (3, 4) and arrays["layers.1.bias"].shape == (2,)
    with open(path, "rb") as f:
        n = int.from_bytes(f.read(8), "little")
        meta = json.loads(f.read(n))["__metadata__"]
    d = json.loads(meta["visnet"])
    assert d["format"] == "visnet-mlp" and d["version"] == 1  # no history: version 1, which older visnets open
    assert d["visnet_version"] == visnet.__version__
    assert d["sizes"] == [4, 3, 2] and d["activations"] == ["relu", "softmax"] and d["dtype"] == "float32"

    desc = read_description(path)
    assert desc["sizes"] == [4, 3, 2] and desc["info"] == {"epochs": 1}
    assert desc["n_params"] == 4 * 3 + 3 + 3 * 2 + 2 and desc["file_size"] == path.stat().st_size


def test_top_level_helpers_and_overwrite(tmp_path):
    path = tmp_path / "model"  # saved exactly where asked, no suffix added
    visnet.save_model(visnet.Network([3, 2], seed=0), path)
    net = visnet.Network([3, 4, 2], seed=1)
    visnet.save_model(net, path)
    assert visnet.load_model(path).sizes == (3, 4, 2)
    assert os.listdir(tmp_path) == ["model"]


def test_failed_save_keeps_previous_file_and_leaves_no_temp(tmp_path, monkeypatch):
    path = tmp_path / "model.safetensors"
    save_model(visnet.Network([4, 3, 2], seed=0), path)
    before = path.read_bytes()

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "replace", disk_full)
    with pytest.raises(ModelFileError) as err:
        save_model(visnet.Network([4, 8, 2], seed=1), path)
    assert "model.safetensors" in str(err.value) and os.strerror(errno.ENOSPC) in str(err.value)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.safetensors"]


def test_failed_write_midway_leaves_no_temp(tmp_path, monkeypatch):
    path = tmp_path / "model.safetensors"
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (_ for _ in ()).throw(OSError(errno.EIO, "I/O error")))
    with pytest.raises(ModelFileError, match="I/O error"):
        save_model(visnet.Network([4, 3, 2], seed=0), path)
    monkeypatch.setattr(os, "fsync", real_fsync)
    assert os.listdir(tmp_path) == []


def test_refuses_folders_missing_folders_and_non_finite(tmp_path):
    net = visnet.Network([4, 3, 2], seed=0)
    with pytest.raises(ModelFileError, match="folder"):
        save_model(net, tmp_path)
    with pytest.raises(ModelFileError, match="does not exist"):
        save_model(net, tmp_path / "nowhere" / "m.safetensors")
    net.weights[1][0, 0] = np.nan
    with pytest.raises(ModelFileError, match="NaN"):
        save_model(net, tmp_path / "m.safetensors")
    with pytest.raises(ModelFileError, match="JSON"):
        save_model(visnet.Network([4, 2], seed=0), tmp_path / "m.safetensors", callback=print)
    assert os.listdir(tmp_path) == []


def test_overrides_apply_to_native_files(tmp_path):
    path = save_model(visnet.Network([4, 3, 3, 2], "sigmoid", seed=0), tmp_path / "m.safetensors")
    assert load_model(path, activations="relu").activations == ["relu", "relu", "softmax"]
    assert load_model(path, activations=["tanh", "relu"], output="sigmoid").activations == ["tanh", "relu", "sigmoid"]
    with pytest.raises(ModelFileError, match="unknown activation 'swish'"):
        load_model(path, activations="swish")


@pytest.mark.parametrize(("sizes", "output", "cost"), [([2, 1], "step", "quadratic"), ([4, 3, 1], "tanh", "quadratic")])
def test_playground_networks_round_trip(tmp_path, sizes, output, cost):
    """A perceptron (step output) and a one-output network save and open like any other."""
    net = visnet.Network(sizes, "relu", output=output, cost=cost, init="normal", seed=1)
    back = load_model(save_model(net, tmp_path / "p.safetensors", training={"rule": "perceptron"}))
    assert back.sizes == net.sizes and back.activations == net.activations and back.cost == cost
    for a, b in zip(net.weights + net.biases, back.weights + back.biases):
        assert a.tobytes() == b.tobytes()
