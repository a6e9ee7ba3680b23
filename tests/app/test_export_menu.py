"""File ▸ Export ▸ ONNX… and PyTorch state dict…: the network on screen, reopened the same."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from visnet.io import load_model


def same_network(a, b) -> bool:
    return (
        a.sizes == b.sizes
        and a.activations == b.activations
        and all(np.array_equal(x, y) for x, y in zip(a.weights + a.biases, b.weights + b.biases))
    )


def test_export_menu_holds_both_formats(make_main_window):
    window = make_main_window()
    texts = [a.text() for a in window.export_model_menu.actions()]
    assert texts == ["&ONNX…", "&PyTorch state dict…"]


def test_export_onnx(make_main_window, monkeypatch, tmp_path):
    pytest.importorskip("onnx")
    window = make_main_window()
    asked = []
    target = tmp_path / "net"  # no suffix: .onnx is added
    monkeypatch.setattr(window, "_ask_export_path", lambda *args: asked.append(args) or str(target))
    window.export_onnx_action.trigger()
    assert asked[0][1].endswith(".onnx") and "ONNX" in asked[0][2]
    with window.controller.locked_trainer() as trainer:
        assert same_network(load_model(tmp_path / "net.onnx"), trainer.net)
    assert "net.onnx" in window.statusBar().currentMessage()


def test_export_state_dict_shows_the_code_that_loads_it(make_main_window, monkeypatch, tmp_path):
    window = make_main_window()
    shown = []
    monkeypatch.setattr(window, "_ask_export_path", lambda *args: str(tmp_path / "torch.safetensors"))
    monkeypatch.setattr(window, "_show_code", lambda title, text, code: shown.append(code))
    window.export_state_dict_action.trigger()
    with window.controller.locked_trainer() as trainer:
        assert same_network(load_model(tmp_path / "torch.safetensors"), trainer.net)
    assert "nn.Linear(784, 16)" in shown[0] and "load_file('torch.safetensors')" in shown[0]


def test_export_problems_are_shown_in_one_line(make_main_window, monkeypatch, tmp_path):
    window = make_main_window()
    errors = []
    monkeypatch.setattr(window, "_show_error", lambda title, text: errors.append(text))
    monkeypatch.setitem(sys.modules, "onnx", None)  # as if the onnx extra were not installed
    monkeypatch.setattr(window, "_ask_export_path", lambda *args: str(tmp_path / "m.onnx"))
    window.export_onnx_action.trigger()
    monkeypatch.setattr(window, "_ask_export_path", lambda *args: str(tmp_path / "no_folder" / "t.safetensors"))
    window.export_state_dict_action.trigger()
    assert errors[0].endswith("writing ONNX needs the onnx package: pip install visnet[onnx]")
    assert "does not exist" in errors[1] and all("\n" not in e for e in errors)
    monkeypatch.setattr(window, "_ask_export_path", lambda *args: None)  # cancelled: nothing happens
    window.export_onnx_action.trigger()
    assert len(errors) == 2


def test_an_exported_onnx_file_opens_in_the_window(make_main_window, monkeypatch, tmp_path):
    pytest.importorskip("onnx")
    window = make_main_window()
    monkeypatch.setattr(window, "_ask_export_path", lambda *args: str(tmp_path / "net.onnx"))
    window.export_onnx_action.trigger()
    with window.controller.locked_trainer() as trainer:
        before = trainer.net.copy()
    monkeypatch.setattr(window, "_ask_open_path", lambda: str(tmp_path / "net.onnx"))
    window.open_action.trigger()
    assert window.model_path == tmp_path / "net.onnx"
    with window.controller.locked_trainer() as trainer:
        assert same_network(trainer.net, before)
