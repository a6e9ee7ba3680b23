"""The perceptron: one step neuron trained by the perceptron rule through the ordinary Trainer.

It converges on linearly separable data and then stops changing; on XOR it never does.
"""

import numpy as np
import pytest

from visnet.core.activations import ACTIVATIONS, OUTPUT_ACTIVATIONS, step
from visnet.core.network import Network
from visnet.core.surface import decision_score
from visnet.core.training import TrainConfig, Trainer, evaluate, perceptron_rule
from visnet.data.toy2d import make_toy2d


def perceptron(init="zeros", seed=0, dtype="float32"):
    return Network([2, 1], output="step", cost="quadratic", init=init, seed=seed, dtype=dtype)


def trainer(net, data, **config):
    config = {"rule": "perceptron", "eta": 1.0, "batch_size": 1, "seed": 0, **config}
    return Trainer(net, data.x_train, data.y_train, data.x_test, data.y_test, TrainConfig(**config))


@pytest.fixture(scope="module")
def blobs():
    return make_toy2d("blobs", n_points=400, noise=0.0, seed=1)


@pytest.fixture(scope="module")
def xor():
    return make_toy2d("xor", n_points=400, noise=0.0, seed=0)


# -- the step neuron ----------------------------------------------------------------------
def test_the_step_is_1_above_zero_and_0_elsewhere():
    z = np.array([[-2.0, -0.0, 0.0, 1e-30, 3.0]], dtype=np.float32)
    a = step(z)
    assert a.dtype == np.float32
    np.testing.assert_array_equal(a, [[0, 0, 0, 1, 1]])
    assert "step" in ACTIVATIONS and "step" not in OUTPUT_ACTIVATIONS  # backprop's menu does not offer it


def test_a_step_neuron_predicts_where_its_line_says_and_the_surface_agrees():
    net = Network.from_params([np.array([[1.0, -2.0]])], [np.array([0.5])], ["step"], cost="quadratic")
    x = np.array([[0.0, 0.0], [2.0, 1.25], [2.0, 1.3], [-1.0, 0.0]])
    z = x @ net.weights[0].T + net.biases[0]
    np.testing.assert_array_equal(net.predict(x), (z[:, 0] > 0).astype(int))
    score, level = decision_score(net, net.forward(x))
    assert level == 0.5
    np.testing.assert_array_equal(net.predict(x), score > level)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Network([2, 3, 1], output="step", cost="quadratic"), "one output neuron and no hidden layer"),
        (lambda: Network([2, 2], output="step", cost="quadratic"), "one output neuron and no hidden layer"),
        (lambda: Network([2, 3, 1], activations="step", output="sigmoid"), "only be used on the output layer"),
        (lambda: Network([2, 1], output="step"), "step output is exactly 0 or 1: use the quadratic cost"),
    ],
)
def test_a_step_is_only_the_single_output_of_a_perceptron(build, message):
    with pytest.raises(ValueError, match=message):
        build()


def test_each_rule_refuses_the_networks_it_cannot_train(blobs):
    with pytest.raises(ValueError, match="no gradient.*rule='perceptron'"):
        trainer(perceptron(), blobs, rule="backprop")
    with pytest.raises(ValueError, match="perceptron rule trains a single neuron with a step output"):
        trainer(Network([2, 1], output="sigmoid"), blobs)
    with pytest.raises(ValueError, match="unknown learning rule"):
        trainer(perceptron(), blobs, rule="hebb")
    tr = trainer(perceptron(), blobs)
    tr.step()
    tr.config.rule = "backprop"  # changed between steps, as the GUI changes eta
    with pytest.raises(ValueError, match="no gradient"):
        tr.step()
    assert tr.steps == 1


# -- the rule -------------------------------------------------------------------------------
def test_one_step_is_w_plus_eta_sum_of_y_minus_yhat_x(blobs):
    net = perceptron(init="normal", seed=4, dtype="float64")
    tr = trainer(net, blobs, eta=0.25, batch_size=50)
    x, y, labels = tr.next_batch()
    w, b = net.weights[0].copy(), net.biases[0].copy()
    y_hat = (x @ w.T + b > 0).astype(float)
    error = y - y_hat  # +1 missed class 1, -1 false class 1, 0 right
    assert 0 < np.count_nonzero(error) < len(x)  # some right, some wrong: the test means something
    loss_before = net.cost_of(x, labels)
    result = tr.step()
    np.testing.assert_allclose(net.weights[0], w + 0.25 * error.T @ x, rtol=1e-12)
    np.testing.assert_allclose(net.biases[0], b + 0.25 * error.sum(axis=0), rtol=1e-12)
    # The reported loss is the quadratic cost before the update: half the fraction misclassified.
    assert result.loss == loss_before == pytest.approx(0.5 * np.mean(error != 0))
    grad_w, grad_b = tr.last_gradients
    np.testing.assert_allclose(grad_w[0], -error.T @ x, rtol=1e-12)
    np.testing.assert_allclose(grad_b[0], -error.sum(axis=0), rtol=1e-12)
    stats = tr.layer_stats()
    assert stats.grad_rms[0] > 0 and stats.update_ratio[0] > 0 and stats.neuron_grad_norms[0].shape == (1,)
    back = perceptron_rule(net, x, labels)  # the rule on its own, with labels
    np.testing.assert_array_equal(back.deltas[0], (net.forward(x) - y))


def test_batch_size_one_is_rosenblatts_online_rule(blobs):
    net = perceptron(init="normal", seed=2, dtype="float64")
    w, b = net.weights[0][0].copy(), float(net.biases[0][0])
    tr = trainer(net, blobs, eta=0.5)
    x, _, labels = (a.copy() for a in (tr._x_epoch, tr._y_epoch, tr._labels_epoch))
    tr.run_epoch()
    for xi, yi in zip(x, labels):  # the textbook loop
        y_hat = 1 if xi @ w + b > 0 else 0
        w, b = w + 0.5 * (yi - y_hat) * xi, b + 0.5 * (yi - y_hat)
    np.testing.assert_allclose(net.weights[0][0], w, rtol=1e-12)
    assert net.biases[0][0] == pytest.approx(b, rel=1e-12)


# -- what it shows ----------------------------------------------------------------------------
@pytest.mark.parametrize(("init", "batch_size"), [("zeros", 1), ("normal", 1), ("normal", 16)])
def test_converges_on_separable_blobs_and_then_stops_changing(blobs, init, batch_size):
    net = perceptron(init=init, seed=5)
    tr = trainer(net, blobs, batch_size=batch_size)
    for _epoch in range(1, 31):
        tr.run_epoch()
        if evaluate(net, blobs.x_train, blobs.y_train).accuracy == 1.0:
            break
    else:
        pytest.fail("the perceptron did not separate the separable blobs in 30 epochs")
    weights, biases = net.weights[0].copy(), net.biases[0].copy()
    for _ in range(3):  # converged: no example is wrong, so no update moves the line
        record = tr.run_epoch()
        assert record.train_loss == 0
        np.testing.assert_array_equal(net.weights[0], weights)
        np.testing.assert_array_equal(net.biases[0], biases)
    assert tr.layer_stats().grad_rms[0] == 0
    assert tr.history[-1].test_accuracy >= 0.99


def test_never_separates_xor_and_never_settles(xor):
    net = perceptron()
    tr = trainer(net, xor)
    train_accuracies = []
    for _ in range(100):
        before = net.weights[0].copy()
        record = tr.run_epoch()
        train_accuracies.append(evaluate(net, xor.x_train, xor.y_train).accuracy)
        assert record.train_loss > 0  # some example is wrong in every epoch...
        assert not np.array_equal(net.weights[0], before)  # ...so the line keeps moving
        assert record.test_accuracy <= 0.75
    assert max(train_accuracies) <= 0.75


def test_perceptron_training_hands_over_its_state_bit_identically(blobs):
    reference = trainer(perceptron(init="normal", seed=3), blobs, batch_size=7, momentum=0.5)
    original = trainer(perceptron(init="normal", seed=3), blobs, batch_size=7, momentum=0.5)
    for tr in (reference, original):
        for _ in range(5):
            tr.step()
    copy = trainer(perceptron(), blobs, batch_size=3)
    copy.load_state(original.state())
    for _ in range(40):  # 29 batches per epoch: crosses an epoch boundary
        reference.step()
        copy.step()
    assert copy.config.rule == "perceptron" and copy.history == reference.history
    for a, b in zip(copy.net.weights + copy.net.biases, reference.net.weights + reference.net.biases):
        np.testing.assert_array_equal(a, b)
    backprop = Trainer(Network([2, 1], output="sigmoid"), blobs.x_train, blobs.y_train)
    with pytest.raises(ValueError, match="perceptron rule trains a single neuron"):
        backprop.load_state(copy.state())
