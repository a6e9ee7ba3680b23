"""SamplePanel with playground networks: one output neuron read by its threshold, points
listed by name instead of drawn as pictures, the perceptron's step output."""

import numpy as np
import pytest
from playground_nets import constant_net, perceptron, snapshot_of, toy, trained

from visnet.app.colors import PREDICTED, TRUE_LABEL
from visnet.app.panels.sample import SamplePanel


@pytest.fixture
def panel(qtbot):
    p = SamplePanel()
    qtbot.addWidget(p)
    p.resize(600, 360)
    p.show()
    return p


@pytest.mark.parametrize(
    "output, a, expected",
    [
        ("sigmoid", 0.3, 0),  # below 0.5
        ("sigmoid", 0.7, 1),  # argmax of one output would say 0
        ("tanh", 0.2, 1),  # above 0: tanh's threshold is 0, not 0.5
        ("tanh", -0.2, 0),
    ],
)
def test_a_single_output_is_read_by_its_threshold(panel, output, a, expected):
    data = toy()
    panel.set_dataset(data.x_test, data.y_test, data.class_names)
    panel.show_snapshot(snapshot_of(constant_net(2, a, output), data))
    assert panel.output() == pytest.approx([a], abs=1e-5)
    assert panel.predicted_class() == expected
    caption = panel.caption()
    assert "class <span" in caption and f">{expected}</span>" in caption
    threshold = "0.5" if output == "sigmoid" else "0"
    assert (">" if expected else "≤") + f" {threshold}" in caption
    assert panel._threshold_line.isVisible() and panel._threshold_line.value() == float(threshold)
    label = int(data.y_test[0])
    assert caption.endswith("✓" if label == expected else "✗")


def test_a_point_is_listed_by_name_not_drawn(panel):
    data = toy(features=("x1_sq", "sin_x2"))
    panel.set_features(("x1_sq", "sin_x2"))  # as the window does for a playground set
    panel.set_dataset(data.x_test, data.y_test, data.class_names)
    panel.set_index(4)
    x = data.x_test[4]
    assert panel.input_labels() == ("x₁", "x₂", "x₁²", "sin x₂")
    text = panel.point_text()
    assert text.splitlines()[0] == f"x₁ = {x[0]:.2f}".replace("-", "−")
    assert text.splitlines()[3] == f"sin x₂ = {x[3]:.2f}".replace("-", "−")
    assert panel._image.image is None  # no 1x4 "picture" of coordinates


def test_digit_pictures_are_still_drawn(panel):
    rng = np.random.default_rng(0)
    x = rng.random((5, 784), dtype=np.float32)
    panel.set_dataset(x, np.arange(5), tuple("0123456789"))
    assert panel.point_text() is None and panel.input_labels() == ()
    assert panel._image.image.shape == (28, 28)


def test_a_trained_playground_network_and_its_misclassified_points(panel):
    data = toy()
    net, snap = trained(data)
    panel.set_dataset(data.x_test, data.y_test, data.class_names)
    panel.show_snapshot(snap)
    panel.set_misclassified_only(True)
    wrong = panel.misclassified()
    np.testing.assert_array_equal(wrong, np.flatnonzero(net.predict(data.x_test) != data.y_test))
    for i in range(3):
        panel.set_index(i)
        assert panel.predicted_class() == int(net.predict(data.x_test[i : i + 1])[0])


def test_the_perceptrons_step_output(panel):
    data = toy(name="blobs")
    net, snap = perceptron(data)
    panel.set_dataset(data.x_test, data.y_test, data.class_names)
    panel.show_snapshot(snap)
    for i in range(4):
        panel.set_index(i)
        a = panel.output()
        assert a.shape == (1,) and a[0] in (0.0, 1.0)
        assert panel.predicted_class() == int(a[0])
        assert panel._bar_plot.getAxis("bottom").labelText == "class 1 if a > 0.5"


@pytest.mark.parametrize("a", [0.3, 0.7])
def test_a_single_output_bar_is_the_answers_colour_right_or_wrong(panel, a):
    data = toy()
    panel.set_dataset(data.x_test, data.y_test, data.class_names)
    panel.show_snapshot(snapshot_of(constant_net(2, a), data))
    right = [i for i in range(len(data.y_test)) if data.y_test[i] == int(a > 0.5)][0]
    wrong = [i for i in range(len(data.y_test)) if data.y_test[i] != int(a > 0.5)][0]
    for i, is_right in ((right, True), (wrong, False)):
        panel.set_index(i)
        assert panel.caption().endswith("✓" if is_right else "✗")
        assert panel._bars.opts["brushes"][0].color() == PREDICTED  # never the true label's green
        outlined = panel._bars.opts["pens"][0].color() == TRUE_LABEL
        assert outlined == is_right


def test_reset_forgets_a_single_outputs_axis(panel):
    data = toy()
    panel.set_dataset(data.x_test, data.y_test, data.class_names)
    panel.show_snapshot(snapshot_of(constant_net(2, 0.7), data))
    assert panel.class_axis().names() == ("a",)
    panel.reset()
    assert panel.class_axis().names() == ("0", "1")
    assert not panel._threshold_line.isVisible()
    assert panel._bar_plot.getAxis("bottom").labelText == "probability"
