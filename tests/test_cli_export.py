"""`visnet export`: ONNX and PyTorch state dicts from any model visnet opens, and one-line errors."""

import os
import sys

import numpy as np
import pytest

import visnet
from visnet.cli import main
from visnet.io import load_model, save_model


@pytest.fixture
def model(tmp_path):
    net = visnet.Network([12, 8, 6, 4], ["tanh", "leaky_relu"], output="softmax", seed=0)
    return net, save_model(net, tmp_path / "model.safetensors", dataset_spec="embedded")


def run(capsys, *args):
    try:
        code = main([str(a) for a in args])
    except SystemExit as usage_error:  # argparse's, for options it refuses
        code = usage_error.code
    out, err = capsys.readouterr()
    return code, out, err


def test_export_onnx_reopens_as_the_same_network(tmp_path, capsys, model):
    pytest.importorskip("onnx")
    net, path = model
    code, out, err = run(capsys, "export", path, "--onnx", tmp_path / "out.onnx")
    assert code == 0, err
    assert out.strip() == f"wrote {tmp_path / 'out.onnx'}: ONNX opset 17, input 'input' (N, 12), output 'output'"
    back = load_model(tmp_path / "out.onnx")
    assert back.sizes == net.sizes and back.activations == net.activations and back.cost == net.cost
    assert all(np.array_equal(a, b) for a, b in zip(back.weights + back.biases, net.weights + net.biases))
    assert back.info["dataset_spec"] == "embedded"


def test_export_state_dict_reopens_and_prints_code_that_loads_it(tmp_path, capsys, model):
    net, path = model
    target = tmp_path / "torch.safetensors"
    code, out, err = run(capsys, "export", path, "--state-dict", target)
    assert code == 0, err
    back = load_model(target)  # foreign.load_torch, guided by the file's metadata
    assert back.sizes == net.sizes and back.activations == net.activations
    assert all(np.array_equal(a, b) for a, b in zip(back.weights + back.biases, net.weights + net.biases))
    printed = out.split("load it with\n", 1)[1]
    assert "nn.Linear(12, 8),\n    nn.Tanh(),\n    nn.Linear(8, 6),\n    nn.LeakyReLU(0.01)," in printed
    assert printed.rstrip().endswith(f"model.load_state_dict(load_file({str(target)!r}))")

    torch = pytest.importorskip("torch")
    pytest.importorskip("safetensors.torch")
    scope: dict = {}
    exec(printed, scope)  # the code the user is told to run
    x = np.random.default_rng(0).normal(size=(5, 12)).astype(np.float32)
    with torch.no_grad():
        y = scope["model"](torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(y, net.forward(x), atol=1e-5)


def test_export_of_an_onnx_file_to_a_state_dict(tmp_path, capsys):
    pytest.importorskip("onnx")
    source = os.path.join(os.path.dirname(__file__), "io", "fixtures", "sklearn_mlp_binary_64-8-1.onnx")
    code, out, err = run(capsys, "export", source, "--state-dict", tmp_path / "t.safetensors")
    assert code == 0, err
    assert load_model(tmp_path / "t.safetensors").activations == ["tanh", "sigmoid"]


def test_one_line_errors(tmp_path, capsys, model):
    _, path = model
    code, out, err = run(capsys, "export", tmp_path / "absent.safetensors", "--state-dict", tmp_path / "t.safetensors")
    assert code == 1 and err.count("\n") == 1 and "absent.safetensors: file not found" in err
    code, out, err = run(capsys, "export", path, "--onnx", tmp_path / "no_such_folder" / "m.onnx")
    assert code == 2 and err.count("\n") == 1 and "no folder" in err
    code, out, err = run(capsys, "export", path, "--state-dict", tmp_path)
    assert code == 2 and err.count("\n") == 1 and "not a regular file" in err
    code, out, err = run(capsys, "export", path)
    assert code == 2 and err == "visnet export: error: say what to write: --onnx PATH, --state-dict PATH or both\n"
    assert not out


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes anywhere")
def test_a_folder_without_write_permission(tmp_path, capsys, model):
    _, path = model
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    code, _, err = run(capsys, "export", path, "--onnx", locked / "m.onnx")
    assert code == 2 and "cannot write in the folder" in err


def test_without_the_onnx_package(tmp_path, capsys, model, monkeypatch):
    _, path = model
    monkeypatch.setitem(sys.modules, "onnx", None)  # import onnx now raises ImportError
    code, out, err = run(capsys, "export", path, "--onnx", tmp_path / "m.onnx")
    assert code == 1 and err.count("\n") == 1
    assert err.rstrip().endswith("writing ONNX needs the onnx package: pip install visnet[onnx]")
    assert not (tmp_path / "m.onnx").exists()


def test_a_perceptron_has_no_onnx_or_torch_activation(tmp_path, capsys):
    pytest.importorskip("onnx")
    path = save_model(visnet.Network([2, 1], output="step", cost="quadratic"), tmp_path / "p.safetensors")
    for option in ("--onnx", "--state-dict"):
        code, _, err = run(capsys, "export", path, option, tmp_path / "out")
        assert code == 1 and "step" in err and err.count("\n") == 1


def test_what_the_export_leaves_out_is_said_in_one_line_each(tmp_path, capsys):
    """An unusable input_names entry is dropped from the export, and the user is told."""
    pytest.importorskip("onnx")
    net = visnet.Network([3, 4, 2], seed=0)
    path = save_model(net, tmp_path / "named.safetensors", input_names=["a", "b", "c", "d"])  # 4 names, 3 inputs
    code, out, err = run(capsys, "export", path, "--onnx", tmp_path / "out.onnx")
    assert code == 0, err
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("visnet: warning: ") and "input_names" in lines[0]
    assert "input_names" not in load_model(tmp_path / "out.onnx").info
