"""Backpropagation against centred finite differences in float64, for every combination."""

import itertools

import numpy as np
import pytest

from visnet.core.activations import HIDDEN_ACTIVATIONS
from visnet.core.network import Network
from numerical import numerical_gradients, relative_error

OUTPUT_COST = [
    (output, "quadratic") for output in ("sigmoid", "relu", "leaky_relu", "tanh", "identity", "softmax")
] + [("softmax", "cross-entropy"), ("sigmoid", "cross-entropy")]


@pytest.mark.parametrize(("hidden", "output_cost"), list(itertools.product(HIDDEN_ACTIVATIONS, OUTPUT_COST)))
def test_backprop_matches_finite_differences(hidden, output_cost):
    output, cost = output_cost
    rng = np.random.default_rng(1)
    net = Network([5, 4, 3, 3], activations=hidden, output=output, cost=cost, init="normal", seed=3, dtype="float64")
    # Keep pre-activations away from the kinks of relu/leaky_relu, where finite differences lie.
    x = rng.uniform(-1, 1, (4, 5))
    labels = np.array([0, 2, 1, 2])
    analytic = net.gradients(x, labels)
    num_w, num_b = numerical_gradients(net, x, labels)
    for l, (gw, gb) in enumerate(analytic):
        assert gw.shape == net.weights[l].shape and gb.shape == net.biases[l].shape
        assert relative_error(gw, num_w[l]) < 1e-6, f"layer {l} weights"
        assert relative_error(gb, num_b[l]) < 1e-6, f"layer {l} biases"


def test_per_example_gradients_average_to_the_batch_gradient():
    rng = np.random.default_rng(0)
    net = Network([6, 5, 4], activations="tanh", seed=1, dtype="float64")
    x = rng.normal(size=(7, 6))
    labels = rng.integers(0, 4, 7)
    for layer in range(net.n_layers):
        per_w, per_b = net.per_example_gradients(x, labels, layer)
        assert per_w.shape == (7,) + net.weights[layer].shape
        gw, gb = net.gradients(x, labels)[layer]
        np.testing.assert_allclose(per_w.mean(axis=0), gw, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(per_b.mean(axis=0), gb, rtol=1e-12, atol=1e-15)
        # and each row is the gradient of that example alone
        gw0, _ = net.gradients(x[:1], labels[:1])[layer]
        np.testing.assert_allclose(per_w[0], gw0, rtol=1e-12, atol=1e-15)
