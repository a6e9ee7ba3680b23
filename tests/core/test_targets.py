"""Labels, targets and predictions: one rule for several outputs and for one output neuron."""

import numpy as np
import pytest

from visnet.core.network import Network
from visnet.core.surface import decision_score
from visnet.core.targets import (
    binary_targets,
    class_targets,
    decision_threshold,
    labels_from_targets,
    n_classes,
    predict_classes,
    targets_for,
)
from visnet.core.training import evaluate

SINGLE_OUTPUTS = ("sigmoid", "relu", "leaky_relu", "tanh", "identity")


def test_several_outputs_are_one_hot_and_argmax():
    labels = np.array([2, 0, 1])
    y = class_targets(labels, 3, "softmax")
    np.testing.assert_array_equal(y, np.eye(3, dtype=np.float32)[labels])
    np.testing.assert_array_equal(labels_from_targets("softmax", y), labels)
    a = np.array([[0.1, 0.7, 0.2], [0.5, 0.2, 0.3]])
    np.testing.assert_array_equal(predict_classes("sigmoid", a), [1, 0])
    assert n_classes(3) == 3 and n_classes(1) == 2


@pytest.mark.parametrize(
    ("output", "targets", "threshold"),
    [
        ("sigmoid", (0.0, 1.0), 0.5),
        ("relu", (0.0, 1.0), 0.5),
        ("leaky_relu", (0.0, 1.0), 0.5),
        ("tanh", (-1.0, 1.0), 0.0),
        ("identity", (-1.0, 1.0), 0.0),
    ],
)
def test_one_output_targets_and_threshold(output, targets, threshold):
    assert binary_targets(output) == targets
    assert decision_threshold(output) == threshold == sum(targets) / 2
    labels = np.array([0, 1, 1, 0])
    y = class_targets(labels, 1, output, np.float64)
    assert y.shape == (4, 1) and y.dtype == np.float64
    np.testing.assert_array_equal(y[:, 0], np.array(targets)[labels])
    np.testing.assert_array_equal(labels_from_targets(output, y), labels)
    a = np.array([[threshold - 0.01], [threshold], [threshold + 0.01]])
    np.testing.assert_array_equal(predict_classes(output, a), [0, 0, 1])  # class 1 strictly above


@pytest.mark.parametrize("output", SINGLE_OUTPUTS)
def test_network_predict_evaluate_and_decision_surface_agree(output):
    net = Network([2, 5, 1], activations="tanh", output=output, cost="quadratic", init="normal", seed=2)
    assert net.n_classes == 2
    x = np.random.default_rng(0).uniform(-3, 3, (400, 2)).astype(np.float32)
    a = net.forward(x)
    predicted = net.predict(x)
    assert set(np.unique(predicted)) == {0, 1}  # both classes occur, so the test means something
    np.testing.assert_array_equal(predicted, predict_classes(net, a))
    score, level = decision_score(net, a)
    np.testing.assert_array_equal(predicted, (score > level).astype(np.int64))
    np.testing.assert_array_equal(targets_for(net, predicted), class_targets(predicted, 1, output, np.float32))
    labels = (x[:, 0] > 0).astype(np.int64)
    ev = evaluate(net, x, labels, chunk=150)
    assert ev.confusion.shape == (2, 2) and ev.confusion.sum() == 400
    assert ev.accuracy == pytest.approx(np.mean(predicted == labels))
    np.testing.assert_array_equal(ev.confusion.sum(axis=1), np.bincount(labels, minlength=2))
    np.testing.assert_array_equal(ev.confusion.sum(axis=0), np.bincount(predicted, minlength=2))
    assert ev.loss == pytest.approx(net.cost_of(x, labels), rel=1e-6)


def test_a_softmax_over_one_output_is_refused_with_a_reason():
    with pytest.raises(ValueError, match="softmax over one output neuron is always 1"):
        Network([2, 4, 1])  # softmax is the default output
    with pytest.raises(ValueError, match="softmax over one output"):
        Network.from_params([np.zeros((1, 2))], [np.zeros(1)], ["softmax"])


def test_labels_outside_the_classes_are_refused():
    with pytest.raises(ValueError, match=r"0\.\.1 for 1 output neuron$"):
        class_targets(np.array([0, 2]), 1, "sigmoid")
    with pytest.raises(ValueError, match=r"0\.\.2 for 3 output neurons"):
        class_targets(np.array([-1, 2]), 3, "softmax")
    net = Network([2, 1], output="sigmoid")
    with pytest.raises(ValueError, match=r"0\.\.1"):
        net.cost_of(np.zeros((2, 2)), np.array([0, 3]))
