"""Saturated and dead hidden layers are named before (or instead of) any NaN."""

import numpy as np
import pytest

from visnet.core.health import diagnose
from visnet.core.network import Network
from visnet.core.snapshot import take_snapshot
from visnet.core.training import HEALTH_INPUTS, TrainConfig, Trainer


@pytest.fixture(scope="module")
def digits():
    """400 training and 300 test digits: a huge η ruins a network within an epoch of them."""
    from visnet.data.embedded import load_embedded

    d = load_embedded().subset(400, 300)
    return d.x_train, d.y_train, d.x_test, d.y_test


def trained(data, activation: str, eta: float, epochs: int = 2) -> Trainer:
    net = Network([784, 16, 16, 10], activation, seed=0)
    tr = Trainer(net, *data, TrainConfig(eta=eta, batch_size=10))
    for _ in range(epochs):
        tr.run_epoch()
    return tr


@pytest.mark.parametrize(("activation", "kind"), [("sigmoid", "saturated"), ("relu", "dead")])
def test_a_huge_learning_rate_is_flagged_though_no_nan_appears(digits, activation, kind):
    tr = trained(digits, activation, eta=1000.0)
    assert np.isfinite(tr.last_evaluation.loss) and tr.last_evaluation.accuracy < 0.2  # stuck, not NaN
    health = tr.health
    assert health is not None and health.kind == kind
    assert health.layers and all(f >= 0.5 for f in health.fractions)
    assert f"{100 * health.fractions[0]:.0f} %" in health.message
    assert "learning rate" in health.remedy
    snap = take_snapshot(tr)
    assert snap.health == health  # the window only reads it


@pytest.mark.parametrize("activation", ["sigmoid", "relu", "tanh"])
def test_a_normally_trained_network_is_not_flagged(digits, activation):
    tr = trained(digits, activation, eta=1.0 if activation == "sigmoid" else 0.1, epochs=4)
    assert tr.last_evaluation.accuracy > 0.6
    assert tr.health is None and take_snapshot(tr).health is None


def test_saturation_follows_the_activation_curves():
    """Sigmoid neurons count as saturated beyond |z| > 6, tanh ones beyond |z| > 3, and only
    when most of the layer is; a ReLU layer is dead only where z ≤ 0 for every input."""
    x = np.random.default_rng(0).uniform(0.5, 1.0, (200, 2))

    def net(activation, hidden_bias):
        n = Network([2, 4, 2], activation, seed=0, dtype="float64")
        n.weights[0][...] = 0.0
        n.biases[0][...] = hidden_bias
        return n

    assert diagnose(net("sigmoid", [7, -7, 7, 0]), x).kind == "saturated"
    assert diagnose(net("sigmoid", [7, 0, 0, 0]), x) is None  # one neuron in four: not most of the layer
    assert diagnose(net("sigmoid", [4, -4, 4, 4]), x) is None  # σ'(4) is still 7 % of its peak
    assert diagnose(net("tanh", [4, -4, 4, 4]), x).kind == "saturated"
    dead = diagnose(net("relu", [-1, -1, -1, 1]), x)
    assert dead.kind == "dead" and dead.layers == (0,) and dead.fractions == (0.75,)
    assert "75 % of hidden layer 1's 4 relu neurons" in dead.message
    assert diagnose(net("leaky_relu", [-1, -1, -1, 1]), x) is None  # still learns below 0
    assert diagnose(net("relu", [-1, -1, -1, 1]), x[:0]) is None


def test_the_check_runs_on_a_fixed_few_test_inputs(digits):
    tr = trained(digits, "sigmoid", eta=1000.0, epochs=1)
    assert tr.health == diagnose(tr.net, digits[2][:HEALTH_INPUTS])
    tr.net.biases[0][...] = 0.0
    tr.net.weights[0][...] = 0.0
    tr.net.weights[1][...] = 0.0
    tr.net.biases[1][...] = 0.0
    assert tr.check_health() is None and tr.health is None
