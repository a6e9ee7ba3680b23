"""ONNX multilayer perceptrons: files made by torch and skl2onnx open with the right
architecture and outputs, visnet's export round-trips and agrees with onnxruntime, and
every malformed variant gives one ModelFileError line."""

import sys
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import visnet
from visnet.io import ModelFileError, load_model, open_model, read_description, save_model, save_onnx
from visnet.io.common import json_safe

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, external_data_helper, helper, numpy_helper  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures"
REFERENCE = np.load(FIXTURES / "onnx_reference.npz")
FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def flat(x):
    return x.reshape(len(x), -1)


def expect_error(path, *fragments, readers=(load_model, read_description, open_model)):
    """Every reader refuses path with one line naming it and holding the fragments."""
    for reader in readers:
        with pytest.raises(ModelFileError) as err:
            reader(path)
        message = str(err.value)
        assert Path(path).name in message and "\n" not in message, message
        for fragment in fragments:
            assert fragment in message, message
    return str(err.value)


# -- files made by the real libraries -------------------------------------------------------
@pytest.mark.parametrize(
    "file, key, sizes, activations",
    [
        ("torch_legacy_64-16-10.onnx", "torch_legacy", (64, 16, 10), ["relu", "softmax"]),
        ("torch_dynamo_64-16-12-10.onnx", "torch_dynamo", (64, 16, 12, 10), ["tanh", "leaky_relu", "softmax"]),
        ("sklearn_mlp_64-16-10.onnx", "sklearn_mlp", (64, 16, 10), ["relu", "softmax"]),
        ("sklearn_mlp_binary_64-8-1.onnx", "sklearn_binary", (64, 8, 1), ["tanh", "sigmoid"]),
    ],
)
def test_fixtures_open_with_their_architecture_and_outputs(file, key, sizes, activations):
    net = load_model(FIXTURES / file)
    assert net.sizes == sizes and net.activations == activations
    assert net.cost == "cross-entropy" and net.dtype == np.float32
    x, y = flat(REFERENCE[f"x_{key}"]), REFERENCE[f"y_{key}"]
    expected = softmax(y) if key == "torch_legacy" else y  # torch_legacy's file outputs logits
    np.testing.assert_allclose(net.forward(x), expected, atol=1e-5)
    d = read_description(FIXTURES / file)
    assert d["format"] == "onnx" and d["sizes"] == list(sizes) and d["activations"] == activations
    assert d["info"]["imported_from"].startswith("ONNX (")


def test_logits_are_read_as_softmax_unless_told_otherwise():
    path = FIXTURES / "torch_legacy_64-16-10.onnx"
    assert "logits" in " ".join(read_description(path)["info"]["import_notes"])
    net = load_model(path, output="identity")
    x, y = REFERENCE["x_torch_legacy"], REFERENCE["y_torch_legacy"]
    np.testing.assert_allclose(net.forward(x), y, atol=1e-5)
    assert net.cost == "quadratic"


def test_dynamo_export_keeps_the_picture_shape_and_sklearn_its_label_outputs():
    assert read_description(FIXTURES / "torch_dynamo_64-16-12-10.onnx")["info"]["input_shape"] == [8, 8]
    info = read_description(FIXTURES / "sklearn_mlp_64-16-10.onnx")["info"]
    assert info["other_outputs"] == ["output_label", "output_probability"]


def test_recognised_by_content_whatever_the_name(tmp_path):
    renamed = tmp_path / "model.bin"
    renamed.write_bytes((FIXTURES / "torch_legacy_64-16-10.onnx").read_bytes())
    assert load_model(renamed).sizes == (64, 16, 10)
    disguised = save_model(visnet.Network([4, 3, 2], seed=0), tmp_path / "actually_safetensors.onnx")
    assert load_model(disguised).sizes == (4, 3, 2)


def test_without_the_onnx_package_one_line_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)  # import onnx now raises ImportError
    message = expect_error(FIXTURES / "sklearn_mlp_64-16-10.onnx")
    assert message.endswith("reading ONNX needs the onnx package: pip install visnet[onnx]")
    with pytest.raises(ModelFileError, match=r"writing ONNX needs the onnx package: pip install visnet\[onnx\]"):
        save_onnx(visnet.Network([2, 2]), "unused.onnx")


def test_cli_info_describes_an_onnx_file(capsys):
    from visnet.cli import main

    assert main(["info", str(FIXTURES / "torch_dynamo_64-16-12-10.onnx")]) == 0
    out = capsys.readouterr().out
    assert "64-16-12-10" in out and "onnx" in out and "tanh, leaky_relu, softmax" in out


# -- export and round trip ----------------------------------------------------------------------
NETWORKS = [
    ([64, 16, 10], "sigmoid", "softmax", "cross-entropy", "float32"),
    ([5, 7, 6, 3], ["relu", "tanh"], "identity", "quadratic", "float64"),
    ([3, 4, 1], "leaky_relu", "sigmoid", "quadratic", "float32"),
    ([2, 4, 1], "identity", "tanh", "quadratic", "float64"),
]


@pytest.mark.parametrize("sizes, hidden, output, cost, dtype", NETWORKS)
def test_export_round_trips_to_the_same_network(tmp_path, sizes, hidden, output, cost, dtype):
    net = visnet.Network(sizes, hidden, output=output, cost=cost, dtype=dtype, seed=1)
    net.info = {"dataset_spec": "embedded", "class_names": ["a", "b"]}
    path = save_onnx(net, tmp_path / "net.onnx")
    onnx.checker.check_model(onnx.load(str(path)), full_check=True)
    back = load_model(path)
    assert (back.sizes, back.activations, back.cost, back.dtype) == (net.sizes, net.activations, cost, net.dtype)
    for a, b in zip(back.weights + back.biases, net.weights + net.biases):
        assert np.array_equal(a, b)
    assert back.info["dataset_spec"] == "embedded" and back.info["class_names"] == ["a", "b"]


def test_exported_graph_is_named_and_sized(tmp_path):
    model = onnx.load(str(save_onnx(visnet.Network([64, 16, 10], "relu"), tmp_path / "n.onnx")))
    assert model.ir_version == 8 and [(o.domain, o.version) for o in model.opset_import] == [("", 17)]
    (x,), (y,) = model.graph.input, model.graph.output
    assert x.name == "input" and [d.dim_param or d.dim_value for d in x.type.tensor_type.shape.dim] == ["N", 64]
    assert y.name == "output" and [d.dim_param or d.dim_value for d in y.type.tensor_type.shape.dim] == ["N", 10]
    assert [n.op_type for n in model.graph.node] == ["Gemm", "Relu", "Gemm", "Softmax"]
    assert all(a.i == 1 for n in model.graph.node if n.op_type == "Gemm" for a in n.attribute if a.name == "transB")


@pytest.mark.parametrize("sizes, hidden, output, cost, dtype", NETWORKS)
def test_onnxruntime_agrees_with_forward(tmp_path, sizes, hidden, output, cost, dtype):
    ort = pytest.importorskip("onnxruntime")
    net = visnet.Network(sizes, hidden, output=output, cost=cost, dtype=dtype, seed=2)
    session = ort.InferenceSession(str(save_onnx(net, tmp_path / "n.onnx")), providers=["CPUExecutionProvider"])
    x = np.random.default_rng(0).normal(size=(7, sizes[0])).astype(dtype)
    np.testing.assert_allclose(session.run(["output"], {"input": x})[0], net.forward(x), atol=1e-5, rtol=0)


def test_a_step_network_or_a_diverged_one_is_not_exported(tmp_path):
    with pytest.raises(ModelFileError, match="no step activation"):
        save_onnx(visnet.Network([2, 1], output="step", cost="quadratic"), tmp_path / "p.onnx")
    net = visnet.Network([3, 2])
    net.weights[0][0, 0] = np.nan
    with pytest.raises(ModelFileError, match="NaN"):
        save_onnx(net, tmp_path / "nan.onnx")
    assert not (tmp_path / "nan.onnx").exists()


# -- malformed files ------------------------------------------------------------------------------
def exported(tmp_path, sizes=(6, 5, 4, 3)):
    path = save_onnx(visnet.Network(list(sizes), "relu", seed=0), tmp_path / "good.onnx")
    return onnx.load(str(path))


def write(tmp_path, model, name="bad.onnx"):
    path = tmp_path / name
    path.write_bytes(model.SerializeToString())
    return path


def initializer(model, name):
    return next(t for t in model.graph.initializer if t.name == name)


def test_a_node_that_is_not_a_perceptron_is_named(tmp_path):
    model = exported(tmp_path)
    model.graph.node.insert(2, helper.make_node("Conv", ["layers.0.a", "layers.0.weight"], ["c"], name="conv1"))
    expect_error(write(tmp_path, model), "node 2 (Conv 'conv1') is not part of a multilayer perceptron")


def test_an_activation_visnet_lacks_is_named(tmp_path):
    model = exported(tmp_path)
    model.graph.node[1].op_type = "Elu"
    expect_error(write(tmp_path, model), "node 1 (Elu 'layers.0.relu')", "activation visnet does not have")


def test_leaky_relu_with_another_slope(tmp_path):
    model = exported(tmp_path)
    model.graph.node[1].CopyFrom(helper.make_node("LeakyRelu", ["layers.0.z"], ["layers.0.a"], alpha=0.2))
    expect_error(write(tmp_path, model), "slope 0.2", "0.01")


def test_missing_initializer(tmp_path):
    model = exported(tmp_path)
    model.graph.initializer.remove(initializer(model, "layers.1.weight"))
    expect_error(write(tmp_path, model), "'layers.1.weight', which is not an initializer")


def test_transposed_weights(tmp_path):
    model = exported(tmp_path)
    w = initializer(model, "layers.1.weight")
    w.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(w).T.copy(), "layers.1.weight"))
    expect_error(write(tmp_path, model), "takes 4 inputs", "gives 5", "transposed")


def test_wrong_bias_shape(tmp_path):
    model = exported(tmp_path)
    initializer(model, "layers.0.bias").CopyFrom(numpy_helper.from_array(np.zeros(7, np.float32), "layers.0.bias"))
    expect_error(write(tmp_path, model), "bias 'layers.0.bias' has shape (7,)")


def test_raw_data_shorter_than_its_shape(tmp_path):
    model = exported(tmp_path)
    w = initializer(model, "layers.2.weight")
    w.raw_data = w.raw_data[:-4]
    expect_error(write(tmp_path, model), "'layers.2.weight' holds 44 bytes")


@pytest.mark.parametrize("value", [np.nan, np.inf, 1e300])
def test_weights_that_are_not_finite_in_the_networks_dtype(tmp_path, value):
    model = exported(tmp_path)
    w = initializer(model, "layers.0.weight")
    a = numpy_helper.to_array(w).astype(np.float64 if value == 1e300 else np.float32)
    a[1, 2] = value  # 1e300: float64 among float32 weights, so the network is float32 and it is infinite
    w.CopyFrom(numpy_helper.from_array(a, "layers.0.weight"))
    path = write(tmp_path, model)
    # read_description reads no values, as for the other formats
    expect_error(
        path, "'layers.0.weight' contains 1 NaN or infinite value(s) as float32", readers=(load_model, open_model)
    )


def test_integer_weights_and_external_data(tmp_path):
    model = exported(tmp_path)
    w = initializer(model, "layers.0.weight")
    w.CopyFrom(numpy_helper.from_array(np.zeros((5, 6), np.int32), "layers.0.weight"))
    expect_error(write(tmp_path, model), "data type 6; visnet reads float32 or float64")
    model = exported(tmp_path)
    w = initializer(model, "layers.0.weight")
    external_data_helper.set_external_data(w, location="../../etc/passwd")
    w.data_location = TensorProto.EXTERNAL
    w.ClearField("raw_data")
    expect_error(write(tmp_path, model), "kept in another file")


def test_float_data_and_double_data_are_read(tmp_path):
    for dtype in ("float32", "float64"):
        net = visnet.Network([4, 3, 2], "tanh", dtype=dtype, seed=3)
        model = onnx.load(str(save_onnx(net, tmp_path / "n.onnx")))
        for t in model.graph.initializer:
            values = numpy_helper.to_array(t).ravel().tolist()
            t.ClearField("raw_data")
            (t.float_data if dtype == "float32" else t.double_data).extend(values)
        back = load_model(write(tmp_path, model, "fields.onnx"))
        assert back.dtype == np.dtype(dtype) and all(np.array_equal(a, b) for a, b in zip(back.weights, net.weights))


def test_graphs_that_are_no_chain(tmp_path):
    model = exported(tmp_path)
    model.graph.input.append(helper.make_tensor_value_info("second", TensorProto.FLOAT, ["N", 6]))
    expect_error(write(tmp_path, model), "has 2 inputs")
    model = exported(tmp_path)
    model.graph.output.append(helper.make_tensor_value_info("layers.0.a", TensorProto.FLOAT, ["N", 5]))
    expect_error(write(tmp_path, model), "output 'layers.0.a' does not come from the network's last layer")
    model = exported(tmp_path)
    model.graph.node[2].op_type = "Softmax"  # a softmax hidden layer, then Relu on it
    model.graph.node[2].ClearField("attribute")
    expect_error(write(tmp_path, model))
    empty = helper.make_model(helper.make_graph([], "g", [], []))
    expect_error(write(tmp_path, empty), "holds no graph of nodes")


def test_truncated_and_random_bytes(tmp_path):
    data = (FIXTURES / "sklearn_mlp_64-16-10.onnx").read_bytes()
    for n in (1, 2, 3, 40, len(data) // 2, len(data) - 1):
        (tmp_path / "cut.onnx").write_bytes(data[:n])
        expect_error(tmp_path / "cut.onnx")
    rng = np.random.default_rng(0)
    for _ in range(20):
        (tmp_path / "noise.onnx").write_bytes(rng.bytes(int(rng.integers(1, 3000))))
        expect_error(tmp_path / "noise.onnx")


NOT_PERCEPTRON_OPS = ["Conv", "Mul", "Div", "Exp", "MaxPool", "Dropout", "BatchNormalization", "Transpose", "Abs"]


@FAST
@given(position=st.integers(0, 6), op=st.sampled_from(NOT_PERCEPTRON_OPS), on_chain=st.booleans())
def test_any_foreign_node_is_refused_by_name(tmp_path, position, op, on_chain):
    model = exported(tmp_path)
    nodes = list(model.graph.node)
    position = min(position, len(nodes))
    source = "input" if position == 0 else nodes[position - 1].output[0]
    name = f"extra_{op.lower()}"
    inserted = helper.make_node(op, [source if on_chain else "layers.1.bias"], [f"{name}_out"], name=name)
    if on_chain and position < len(nodes):  # rewire the next node to read the inserted one
        following = nodes[position]
        following.input[0] = f"{name}_out"
    model.graph.node.insert(position, inserted)
    message = expect_error(write(tmp_path, model, "inserted.onnx"))
    assert f"({op} '{name}') is not part of a multilayer perceptron" in message or "output" in message


@FAST
@given(data=st.data())
def test_mutated_bytes_load_or_give_one_line(tmp_path, data):
    original = bytearray((FIXTURES / "torch_legacy_64-16-10.onnx").read_bytes())
    for _ in range(data.draw(st.integers(1, 8))):
        original[data.draw(st.integers(0, len(original) - 1))] = data.draw(st.integers(0, 255))
    path = tmp_path / "mutated.onnx"
    path.write_bytes(bytes(original))
    for reader in (load_model, read_description):
        try:
            result = reader(path)
        except ModelFileError as err:
            assert "\n" not in str(err) and "mutated.onnx" in str(err)
        else:  # what opens can be saved again: every name from the file became text
            json_safe(result.info if reader is load_model else result["info"])


# -- speed (a generous bound: the benchmark figure is far lower) -------------------------------
@pytest.mark.timing
def test_a_784_512_512_10_file_opens_quickly(tmp_path):
    path = save_onnx(visnet.Network([784, 512, 512, 10], "relu", seed=0), tmp_path / "big.onnx")
    start = time.perf_counter()
    net = load_model(path)
    assert net.sizes == (784, 512, 512, 10) and time.perf_counter() - start < 0.5


# -- graphs written by hand: the other shapes a chain takes ------------------------------------------
def hand_made(tmp_path, nodes, inits, input_dims=("N", 4)):
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(input_dims))],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 3])],
        [
            numpy_helper.from_array(np.asarray(a, np.float32 if a.dtype.kind == "f" else a.dtype), n)
            for n, a in inits.items()
        ],
    )
    return write(tmp_path, helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), "hand.onnx")


def test_matmul_without_bias_gemm_with_alpha_beta_and_log_softmax(tmp_path):
    rng = np.random.default_rng(0)
    w1, w2, b2 = rng.normal(size=(4, 5)), rng.normal(size=(3, 5)), rng.normal(size=3)
    nodes = [
        helper.make_node("MatMul", ["x", "w1"], ["h"]),
        helper.make_node("Sigmoid", ["h"], ["a"]),
        helper.make_node("Gemm", ["a", "w2", "b2"], ["z"], alpha=2.0, beta=0.5, transB=1),
        helper.make_node("LogSoftmax", ["z"], ["y"], axis=-1),
    ]
    net = load_model(hand_made(tmp_path, nodes, {"w1": w1, "w2": w2, "b2": b2}))
    assert net.activations == ["sigmoid", "softmax"] and not net.biases[0].any()
    x = rng.normal(size=(6, 4)).astype(np.float32)
    a = 1 / (1 + np.exp(-(x @ w1)))
    np.testing.assert_allclose(net.forward(x), softmax(2 * a @ w2.T + 0.5 * b2), atol=1e-5)


def test_reshape_from_a_constant_node_at_the_input(tmp_path):
    rng = np.random.default_rng(1)
    w, b = rng.normal(size=(3, 4)), rng.normal(size=3)
    shape = helper.make_tensor("shape_value", TensorProto.INT64, [2], [-1, 4])
    nodes = [
        helper.make_node("Constant", [], ["shape"], value=shape),
        helper.make_node("Reshape", ["x", "shape"], ["flat"]),
        helper.make_node("Gemm", ["flat", "w", "b"], ["z"], transB=1),
        helper.make_node("Identity", ["z"], ["y"]),  # explicit: identity, not logits
    ]
    path = hand_made(tmp_path, nodes, {"w": w, "b": b}, input_dims=("N", 2, 2))
    net = load_model(path)
    assert net.sizes == (4, 3) and net.activations == ["identity"] and net.cost == "quadratic"
    assert read_description(path)["info"]["input_shape"] == [2, 2]
    three_dims = helper.make_tensor("shape_value", TensorProto.INT64, [3], [-1, 2, 2])
    nodes[0] = helper.make_node("Constant", [], ["shape"], value=three_dims)
    expect_error(hand_made(tmp_path, nodes, {"w": w, "b": b}), "reshapes the input to [-1, 2, 2]")


def test_an_input_that_does_not_match_the_first_layer(tmp_path):
    w = np.zeros((3, 4))
    nodes = [helper.make_node("Gemm", ["x", "w"], ["y"], transB=1)]
    expect_error(hand_made(tmp_path, nodes, {"w": w}, input_dims=("N", 5)), "input 'x' has 5")
    nodes = [helper.make_node("Gemm", ["x", "w"], ["y"], transB=1, transA=1)]
    expect_error(hand_made(tmp_path, nodes, {"w": w}), "transA=1")
