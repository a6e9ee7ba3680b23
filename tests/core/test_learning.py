"""The network really learns the embedded MNIST digits, with fixed seeds."""

import numpy as np
import pytest

from visnet.cli import PRESETS
from visnet.core.network import Network
from visnet.core.training import TrainConfig, Trainer
from visnet.data import load_embedded


@pytest.fixture(scope="module")
def digits():
    return load_embedded()


def train(data, net, config, epochs):
    trainer = Trainer(net, data.x_train, data.y_train, data.x_test, data.y_test, config)
    return [trainer.run_epoch().test_accuracy for _ in range(epochs)]


def test_784_30_10_softmax_cross_entropy_reaches_92_percent_in_3_epochs(digits):
    net = Network([784, 30, 10], "sigmoid", output="softmax", cost="cross-entropy", init="normal", seed=0)
    accuracies = train(digits, net, TrainConfig(eta=0.5, batch_size=10, seed=0), epochs=3)
    assert max(accuracies) >= 0.92, accuracies


def test_nielsen_network_preset_reaches_88_percent_in_5_epochs(digits):
    p = PRESETS["nielsen-network"]
    sizes = [int(s) for s in p["layers"].split(",")]
    net = Network(sizes, p["activation"], output=p["output"], cost=p["cost"], init=p["init"], seed=0)
    accuracies = train(digits, net, TrainConfig(eta=p["lr"], batch_size=p["batch"], seed=0), epochs=5)
    assert max(accuracies) >= 0.88, accuracies


def test_the_example_model_in_resources_is_at_least_90_percent(digits):
    from visnet.io import load_model
    from visnet.resources import EXAMPLE_MODEL, resource_path

    net = load_model(resource_path(EXAMPLE_MODEL))
    assert net.sizes == (784, 16, 16, 10)
    assert np.mean(net.predict(digits.x_test) == digits.y_test) >= 0.90
