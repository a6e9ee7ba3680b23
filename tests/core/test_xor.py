"""Why hidden layers matter: XOR needs one, and a network with none never separates it."""

import numpy as np
import pytest

from visnet.core.network import Network
from visnet.core.training import TrainConfig, Trainer, evaluate
from visnet.data.toy2d import make_toy2d


@pytest.fixture(scope="module")
def xor():
    return make_toy2d("xor", n_points=400, noise=0.0, seed=0)


@pytest.mark.parametrize(
    ("hidden", "output", "cost", "eta"),
    [
        (4, "sigmoid", "cross-entropy", 0.05),  # targets 0/1, class 1 where a > 0.5
        (8, "tanh", "quadratic", 0.01),  # targets -1/+1, class 1 where a > 0
    ],
)
def test_one_hidden_layer_learns_xor(xor, hidden, output, cost, eta):
    net = Network([2, hidden, 1], "tanh", output=output, cost=cost, init="xavier", seed=0)
    config = TrainConfig(eta=eta, momentum=0.9, batch_size=10, epochs=60, schedule="cosine", seed=0)
    tr = Trainer(net, xor.x_train, xor.y_train, xor.x_test, xor.y_test, config)
    for _ in range(config.epochs):  # 60 epochs of 20 batches: about 0.1 s
        tr.run_epoch()
    ev = evaluate(net, xor.x_test, xor.y_test)
    assert ev.accuracy >= 0.95, ev.confusion
    assert ev.accuracy == tr.history[-1].test_accuracy == np.mean(net.predict(xor.x_test) == xor.y_test)


@pytest.mark.parametrize(
    ("output", "cost", "eta"),
    [
        ("sigmoid", "cross-entropy", 0.05),
        ("tanh", "quadratic", 0.01),
        ("identity", "quadratic", 0.001),
    ],
)
def test_no_hidden_layer_never_separates_xor(xor, output, cost, eta):
    net = Network([2, 1], output=output, cost=cost, init="xavier", seed=0)
    tr = Trainer(
        net, xor.x_train, xor.y_train, xor.x_test, xor.y_test, TrainConfig(eta=eta, momentum=0.9, batch_size=10, seed=0)
    )
    for _ in range(100):
        record = tr.run_epoch()
        assert record.test_accuracy <= 0.75
        assert evaluate(net, xor.x_train, xor.y_train).accuracy <= 0.75


@pytest.mark.parametrize(("name", "features"), [("xor", ("x1_x2",)), ("circle", ("x1_sq", "x2_sq"))])
def test_the_right_extra_inputs_let_a_network_with_no_hidden_layer_separate_it(name, features):
    """What the playground's extra inputs are for: x1·x2 makes XOR a line, x1² and x2² the circle."""
    data = make_toy2d(name, n_points=400, noise=0.0, seed=0).as_dataset(features)
    net = Network([data.n_inputs, 1], output="sigmoid", cost="cross-entropy", init="xavier", seed=0)
    tr = Trainer(
        net,
        data.x_train,
        data.y_train,
        data.x_test,
        data.y_test,
        TrainConfig(eta=0.01, momentum=0.9, batch_size=10, seed=0),
    )
    for _ in range(100):
        record = tr.run_epoch()
    assert record.test_accuracy >= 0.95
