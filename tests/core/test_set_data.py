"""Trainer.set_data: the playground's drawn points join the training without a restart."""

import numpy as np
import pytest

from visnet.core.network import Network
from visnet.core.training import TrainConfig, Trainer
from visnet.data.toy2d import add_point, make_toy2d


def _trainer():
    data = make_toy2d("blobs", n_points=40, noise=0.1, seed=1).as_dataset()
    net = Network([2, 3, 1], ["tanh"], output="sigmoid", cost="cross-entropy", seed=0)
    return Trainer(net, data.x_train, data.y_train, data.x_test, data.y_test, TrainConfig(eta=0.1, batch_size=4))


def test_set_data_keeps_the_network_and_progress_and_trains_on_the_new_points():
    trainer = _trainer()
    for _ in range(3):
        trainer.step()
    toy = add_point(make_toy2d("blobs", n_points=40, noise=0.1, seed=1), 5.0, -5.0, label=1)
    data = toy.as_dataset()
    weights = [w.copy() for w in trainer.net.weights]
    steps, position = trainer.steps, trainer.position
    trainer.set_data(data.x_train, data.y_train, data.x_test, data.y_test)
    assert trainer.n_train == 21
    assert trainer.steps == steps and trainer.position == position
    assert all(np.array_equal(a, b) for a, b in zip(weights, trainer.net.weights))
    assert trainer.last_evaluation is None
    trainer.run_epoch()  # finishes this epoch; the next one's order is a shuffle of all 21 points
    order_points = {tuple(p) for p in trainer.x_train[trainer.state().order]}
    assert (5.0, -5.0) in order_points and len(order_points) == 21


def test_set_data_refuses_a_wrong_shape_or_label_and_keeps_the_old_data():
    trainer = _trainer()
    x_old = trainer.x_train
    with pytest.raises(ValueError, match="training inputs must be"):
        trainer.set_data(np.zeros((5, 3)), np.zeros(5, dtype=int))
    with pytest.raises(ValueError, match="labels must lie in 0..1"):
        trainer.set_data(np.zeros((5, 2)), np.full(5, 2))
    assert trainer.x_train is x_old


def test_test_inputs_and_labels_come_together():
    # Test inputs without labels used to be accepted and fail with a TypeError when the
    # first epoch ended and evaluate() indexed the missing labels.
    data = make_toy2d("blobs", n_points=40, noise=0.1, seed=1).as_dataset()
    net = Network([2, 3, 1], ["tanh"], output="sigmoid", cost="cross-entropy", seed=0)
    with pytest.raises(ValueError, match="given together"):
        Trainer(net, data.x_train, data.y_train, data.x_test)
    with pytest.raises(ValueError, match="given together"):
        Trainer(net, data.x_train, data.y_train, y_test=data.y_test)
    with pytest.raises(ValueError, match="same number of test inputs and labels"):
        Trainer(net, data.x_train, data.y_train, data.x_test, data.y_test[:-1])
    trainer = _trainer()
    with pytest.raises(ValueError, match="given together"):
        trainer.set_data(data.x_train, data.y_train, data.x_test)
    assert Trainer(net, data.x_train, data.y_train).evaluate() is None
