"""Models made elsewhere: PyTorch Linear stacks in safetensors, network2.py JSON."""

import json
import struct

import numpy as np
import pytest
from safetensors.numpy import save_file

from visnet.core.network import Network
from visnet.io import ModelFileError, load_model, read_description, save_state_dict

RNG = np.random.default_rng(0)


def relu(z):
    return np.maximum(z, 0)


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def torch_mlp(sizes, prefix="", dtype=np.float32, names=None):
    """A state dict as nn.Sequential(Linear, ReLU, Linear, ...) names it: 0, 2, 4, ..."""
    names = names or [str(2 * l) for l in range(len(sizes) - 1)]
    tensors = {}
    for name, n_in, n_out in zip(names, sizes[:-1], sizes[1:]):
        tensors[f"{prefix}{name}.weight"] = RNG.normal(size=(n_out, n_in)).astype(dtype)
        tensors[f"{prefix}{name}.bias"] = RNG.normal(size=n_out).astype(dtype)
    return tensors


def manual(tensors, names, hidden=relu, out=softmax, x=None):
    a = x
    for i, name in enumerate(names):
        z = a @ tensors[f"{name}.weight"].T + tensors[f"{name}.bias"]
        a = out(z) if i == len(names) - 1 else hidden(z)
    return a


def test_pytorch_sequential_state_dict(tmp_path):
    tensors = torch_mlp([12, 10, 8, 4])
    path = tmp_path / "torch_model.safetensors"
    save_file(tensors, str(path), metadata={"format": "pt"})
    net = load_model(path)
    assert net.sizes == (12, 10, 8, 4)
    assert net.activations == ["relu", "relu", "softmax"] and net.cost == "cross-entropy"
    assert net.dtype == np.float32
    assert net.info["layer_names"] == ["0", "2", "4"]
    x = RNG.normal(size=(5, 12)).astype(np.float32)
    np.testing.assert_allclose(net.forward(x), manual(tensors, ["0", "2", "4"], x=x), rtol=1e-5, atol=1e-6)
    assert read_description(path)["sizes"] == [12, 10, 8, 4]


def test_numeric_order_not_text_order(tmp_path):
    # 11 layers: "10" sorts before "2" as text; shapes only chain in numeric order
    sizes = list(range(3, 15))
    names = [str(2 * l) for l in range(11)]
    tensors = torch_mlp(sizes, prefix="net.", names=names)
    save_file(tensors, str(tmp_path / "deep.safetensors"))
    net = load_model(tmp_path / "deep.safetensors")
    assert net.sizes == tuple(sizes)


def test_named_layers_ordered_by_shape_chain(tmp_path):
    tensors = torch_mlp([6, 5, 4, 3], names=["input", "hidden", "output"])
    save_file(tensors, str(tmp_path / "named.safetensors"))
    net = load_model(tmp_path / "named.safetensors")
    assert net.sizes == (6, 5, 4, 3)
    x = RNG.normal(size=(2, 6)).astype(np.float32)
    np.testing.assert_allclose(
        net.forward(x), manual(tensors, ["input", "hidden", "output"], x=x), rtol=1e-5, atol=1e-6
    )


@pytest.mark.parametrize(
    "meta",
    [
        {"activations": '["tanh", "sigmoid"]'},
        {"activations": "Tanh, Sigmoid"},
        {"activations": "tanh", "output": "sigmoid"},
    ],
)
def test_activations_from_metadata(tmp_path, meta):
    tensors = torch_mlp([5, 4, 3], names=["fc1", "fc2"])
    save_file(tensors, str(tmp_path / "m.safetensors"), metadata=meta)
    net = load_model(tmp_path / "m.safetensors")
    assert net.activations == ["tanh", "sigmoid"]
    x = RNG.normal(size=(3, 5)).astype(np.float32)
    np.testing.assert_allclose(
        net.forward(x), manual(tensors, ["fc1", "fc2"], np.tanh, sigmoid, x), rtol=1e-5, atol=1e-6
    )


@pytest.mark.parametrize(
    "meta, cost",
    [
        ({}, "cross-entropy"),  # a softmax output, as nn.CrossEntropyLoss trains
        ({"cost": "quadratic"}, "quadratic"),
        ({"cost": "MSELoss"}, "quadratic"),
        ({"cost": "nn.MSELoss"}, "quadratic"),
        ({"cost": "CrossEntropyLoss"}, "cross-entropy"),
        ({"output": "sigmoid", "cost": "BCEWithLogitsLoss"}, "cross-entropy"),
        ({"output": "identity", "cost": "mse"}, "quadratic"),
    ],
)
def test_cost_from_metadata(tmp_path, meta, cost):
    save_file(torch_mlp([5, 4, 3]), str(tmp_path / "m.safetensors"), metadata=meta)
    net = load_model(tmp_path / "m.safetensors")
    assert net.cost == cost
    assert "cost" not in net.info.get("metadata", {})  # used, not kept as extra metadata


@pytest.mark.parametrize(
    "meta, problem",
    [
        ({"cost": "HingeLoss"}, "unknown cost 'HingeLoss' in the file's 'cost' metadata; visnet knows quadratic,"),
        ({"cost": ""}, "unknown cost ''"),
        ({"cost": "\x1b[2J"}, "unknown cost '\\x1b[2J'"),
        ({"output": "tanh", "cost": "cross-entropy"}, "not a usable network"),
    ],
)
def test_a_cost_metadata_visnet_cannot_use_is_one_line(tmp_path, meta, problem):
    save_file(torch_mlp([5, 4, 3]), str(tmp_path / "m.safetensors"), metadata=meta)
    with pytest.raises(ModelFileError) as err:
        load_model(tmp_path / "m.safetensors")
    assert "\n" not in str(err.value) and problem in str(err.value)


def test_an_exported_state_dict_keeps_its_cost(tmp_path):
    net = Network([5, 4, 3], "tanh", output="sigmoid", cost="quadratic", seed=0)
    save_state_dict(net, tmp_path / "torch.safetensors")
    again = load_model(tmp_path / "torch.safetensors")
    assert (again.activations, again.cost) == (net.activations, "quadratic")


def test_arguments_override_metadata(tmp_path):
    save_file(torch_mlp([5, 4, 3]), str(tmp_path / "m.safetensors"), metadata={"activations": "tanh"})
    net = load_model(tmp_path / "m.safetensors", activations="leaky_relu", output="identity")
    assert net.activations == ["leaky_relu", "identity"] and net.cost == "quadratic"


def test_half_precision_becomes_float32_and_float64_is_kept(tmp_path):
    save_file(torch_mlp([4, 3, 2], dtype=np.float16), str(tmp_path / "h.safetensors"))
    assert load_model(tmp_path / "h.safetensors").dtype == np.float32
    save_file(torch_mlp([4, 3, 2], dtype=np.float64), str(tmp_path / "d.safetensors"))
    assert load_model(tmp_path / "d.safetensors").dtype == np.float64


def test_bfloat16_is_converted_exactly(tmp_path):
    w = np.array([[1.0, -2.0], [0.5, 3.0]], np.float32)  # exactly representable in bfloat16
    b = np.array([0.25, -1.0], np.float32)
    entries, blobs, pos = {}, [], 0
    for name, a in (("0.weight", w), ("0.bias", b)):
        raw = (a.view(np.uint32) >> 16).astype("<u2").tobytes()
        entries[name] = {"dtype": "BF16", "shape": list(a.shape), "data_offsets": [pos, pos + len(raw)]}
        blobs.append(raw)
        pos += len(raw)
    header = json.dumps(entries).encode()
    (tmp_path / "bf16.safetensors").write_bytes(struct.pack("<Q", len(header)) + header + b"".join(blobs))
    net = load_model(tmp_path / "bf16.safetensors")
    assert net.dtype == np.float32
    assert np.array_equal(net.weights[0], w) and np.array_equal(net.biases[0], b)


def test_pytorch_problems(tmp_path):
    bn = torch_mlp([4, 3, 2])
    bn["1.running_mean"] = np.zeros(3, np.float32)
    save_file(bn, str(tmp_path / "bn.safetensors"))
    with pytest.raises(ModelFileError, match="bn.safetensors.*running_mean"):
        load_model(tmp_path / "bn.safetensors")

    broken = torch_mlp([4, 3, 2])
    broken["2.weight"] = np.zeros((2, 5), np.float32)
    save_file(broken, str(tmp_path / "chain.safetensors"))
    with pytest.raises(ModelFileError, match="chain.safetensors.*do not chain"):
        load_model(tmp_path / "chain.safetensors")

    ints = {"0.weight": np.ones((2, 3), np.int64), "0.bias": np.ones(2, np.int64)}
    save_file(ints, str(tmp_path / "ints.safetensors"))
    with pytest.raises(ModelFileError, match="ints.safetensors.*floats"):
        load_model(tmp_path / "ints.safetensors")

    save_file(torch_mlp([4, 3, 2]), str(tmp_path / "acts.safetensors"), metadata={"activations": "gelu"})
    with pytest.raises(ModelFileError, match="acts.safetensors.*gelu"):
        load_model(tmp_path / "acts.safetensors")


# -- network2.py ----------------------------------------------------------------------------
def network2_save(path, sizes, cost="CrossEntropyCost"):
    """What network2.py's Network.save writes (weights (n_out, n_in), biases (n_out, 1))."""
    weights = [RNG.normal(size=(y, x)) / np.sqrt(x) for x, y in zip(sizes[:-1], sizes[1:])]
    biases = [RNG.normal(size=(y, 1)) for y in sizes[1:]]
    data = {
        "sizes": sizes,
        "weights": [w.tolist() for w in weights],
        "biases": [b.tolist() for b in biases],
        "cost": cost,
    }
    with open(path, "w") as f:
        json.dump(data, f)
    return weights, biases


@pytest.mark.parametrize("cost, ours", [("CrossEntropyCost", "cross-entropy"), ("QuadraticCost", "quadratic")])
def test_network2_json(tmp_path, cost, ours):
    path = tmp_path / "net2.json"
    weights, biases = network2_save(path, [784, 30, 10], cost)
    net = load_model(path)
    assert net.sizes == (784, 30, 10) and net.activations == ["sigmoid", "sigmoid"] and net.cost == ours
    x = RNG.uniform(size=(4, 784))
    a = x.T  # network2's feedforward works on column vectors
    for w, b in zip(weights, biases):
        a = sigmoid(w @ a + b)
    np.testing.assert_allclose(net.forward(x), a.T, rtol=1e-10, atol=1e-12)
    assert read_description(path)["format"] == "network2-json"


def test_network2_without_extension_is_recognised_by_content(tmp_path):
    network2_save(tmp_path / "trained_net", [5, 3, 2])
    assert load_model(tmp_path / "trained_net").sizes == (5, 3, 2)


@pytest.mark.parametrize(
    "change, problem",
    [
        (lambda d: d["weights"][0].pop(), "shape"),
        (lambda d: d["biases"].pop(), "bias vectors"),
        (lambda d: d.update(sizes=[5, 0, 2]), "sizes"),
        (lambda d: d.update(cost="HingeCost"), "HingeCost"),
        (lambda d: d["weights"][1][0].__setitem__(0, "x"), "numbers"),
        (lambda d: d["weights"][1][0].__setitem__(0, [1, 2]), "numbers"),
        (lambda d: d["biases"][0][0].__setitem__(0, float("nan")), "NaN"),
    ],
)
def test_network2_problems(tmp_path, change, problem):
    path = tmp_path / "bad_net2.json"
    network2_save(path, [5, 3, 2])
    d = json.loads(path.read_text())
    change(d)
    path.write_text(json.dumps(d))
    with pytest.raises(ModelFileError, match=f"bad_net2.json.*{problem}"):
        load_model(path)
