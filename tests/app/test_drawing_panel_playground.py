"""The draw-a-digit panel with networks that are not 784-to-10: a single output neuron is
read by its threshold; a playground network gets a message instead of the canvas."""

import numpy as np
import pytest
from playground_nets import constant_net, perceptron, snapshot_of, toy, trained

from visnet.app.panels.drawing import DrawDigitPanel
from visnet.data.dataset import Dataset


@pytest.fixture
def panel(qtbot):
    p = DrawDigitPanel()
    qtbot.addWidget(p)
    p.resize(640, 420)
    p.show()
    return p


def digits_2class(n=20):
    rng = np.random.default_rng(0)
    x = rng.random((n, 784), dtype=np.float32)
    y = np.arange(n) % 2
    return Dataset("two digits", x, y, x, y, ("0", "1"))


@pytest.mark.parametrize("output, a, expected", [("sigmoid", 0.3, 0), ("sigmoid", 0.7, 1), ("tanh", 0.2, 1)])
def test_a_single_output_digit_network_is_read_by_its_threshold(panel, output, a, expected):
    panel.set_class_names(("0", "1"))
    panel.show_snapshot(snapshot_of(constant_net(784, a, output), digits_2class()))
    panel.canvas.draw_stroke([(140, 60), (140, 220)])
    assert panel.applies()
    assert panel.output() == pytest.approx([a], abs=1e-5)
    assert panel.predicted_class() == expected
    assert f">{expected}</span>" in panel.caption()


@pytest.mark.parametrize("kind", ["mlp", "perceptron", "features"])
def test_a_playground_network_gets_a_message_not_a_canvas(panel, qtbot, kind):
    data = toy(features=("x1_x2",) if kind == "features" else ())
    _, snap = perceptron(data) if kind == "perceptron" else trained(data, steps=5)
    panel.set_class_names(data.class_names)
    panel.show_snapshot(snap)
    assert not panel.applies()
    assert "Drawing digits needs a network that reads square pictures" in panel.message()
    assert "Draw points" in panel.message()
    assert panel._stack.currentWidget() is panel._message and panel._message.isVisible()
    with qtbot.assertNotEmitted(panel.digit_changed), qtbot.assertNotEmitted(panel.use_requested):
        panel.canvas.draw_stroke([(140, 60), (140, 220)])
        panel.update_prediction()
        panel._on_use_clicked()
    assert panel.predicted_class() is None and panel.output() is None


def test_the_canvas_comes_back_with_a_digit_network(panel):
    data = toy()
    panel.show_snapshot(trained(data, steps=1)[1])
    assert not panel.applies()
    panel.show_snapshot(snapshot_of(constant_net(784, 0.7), digits_2class()))
    assert panel.applies() and panel.message() == "" and panel._stack.currentIndex() == 0
