"""Backpropagation against centred finite differences in float64, for every combination.

Every output activation x cost x (several outputs, one output) is either checked here,
refused by Network with a ValueError (tested below), or excluded with its reason in
NOT_DIFFERENTIABLE; test_every_combination_is_accounted_for keeps it that way when
activations are added.
"""

import itertools

import numpy as np
import pytest
from numerical import numerical_gradients, relative_error

from visnet.core.activations import ACTIVATIONS, HIDDEN_ACTIVATIONS
from visnet.core.costs import COSTS
from visnet.core.network import Network
from visnet.core.neuron_analysis import maximize_activation
from visnet.core.trace import gradient_check, minibatch_table, trace_backprop

# Output activations no finite-difference check can cover, and why.
NOT_DIFFERENTIABLE: dict[str, str] = {
    "step": "its slope is 0 wherever it is defined: the perceptron rule trains it, and every "
    "gradient path refuses it (test_every_gradient_path_refuses_a_step_output)",
}

N_OUTPUTS = (3, 1)


def refused_because(output: str, cost: str, n_out: int) -> str | None:
    """Why Network must refuse this output layer, or None when it is a valid one."""
    if output == "softmax" and n_out == 1:
        return "softmax over one output neuron"
    if cost == "cross-entropy" and output not in ("sigmoid", "softmax"):
        return "cross-entropy needs outputs in (0, 1)"
    return None


COMBINATIONS = list(itertools.product(ACTIVATIONS, COSTS, N_OUTPUTS))
CHECKED = [c for c in COMBINATIONS if c[0] not in NOT_DIFFERENTIABLE and refused_because(*c) is None]
REFUSED = [c for c in COMBINATIONS if c[0] not in NOT_DIFFERENTIABLE and refused_because(*c) is not None]


def test_every_combination_is_accounted_for():
    assert set(HIDDEN_ACTIVATIONS) <= set(ACTIVATIONS)
    assert set(NOT_DIFFERENTIABLE) <= set(ACTIVATIONS)
    assert len(CHECKED) + len(REFUSED) + len(NOT_DIFFERENTIABLE) * len(COSTS) * len(N_OUTPUTS) == len(COMBINATIONS)
    checked_outputs = {(o, n) for o, _, n in CHECKED}
    for output in set(ACTIVATIONS) - set(NOT_DIFFERENTIABLE):
        assert (output, 3) in checked_outputs
        assert output == "softmax" or (output, 1) in checked_outputs
    assert ("sigmoid", "cross-entropy", 1) in CHECKED  # binary cross-entropy


def combination_id(c) -> str:
    return "-".join(map(str, c))


@pytest.mark.parametrize("hidden", HIDDEN_ACTIVATIONS)
@pytest.mark.parametrize("output_cost", CHECKED, ids=combination_id)
def test_backprop_matches_finite_differences(hidden, output_cost):
    output, cost, n_out = output_cost
    rng = np.random.default_rng(1)
    net = Network(
        [5, 4, 3, n_out], activations=hidden, output=output, cost=cost, init="normal", seed=3, dtype="float64"
    )
    if output in ("relu", "leaky_relu"):
        net.biases[-1] += 1.0  # a (leaky) ReLU output below zero for every example passes (almost) no gradient
    # Keep pre-activations away from the kinks of relu/leaky_relu, where finite differences lie.
    x = rng.uniform(-1, 1, (4, 5))
    labels = np.array([0, 2, 1, 2]) if n_out == 3 else np.array([0, 1, 1, 0])
    analytic = net.gradients(x, labels)
    num_w, num_b = numerical_gradients(net, x, labels)
    for l, (gw, gb) in enumerate(analytic):
        assert gw.shape == net.weights[l].shape and gb.shape == net.biases[l].shape
        assert np.any(gw != 0), f"layer {l}: a zero gradient proves nothing"
        assert relative_error(gw, num_w[l]) < 1e-6, f"layer {l} weights"
        assert relative_error(gb, num_b[l]) < 1e-6, f"layer {l} biases"


@pytest.mark.parametrize(("output", "cost", "n_out"), REFUSED, ids=[combination_id(c) for c in REFUSED])
def test_invalid_output_layers_are_refused(output, cost, n_out):
    with pytest.raises(ValueError, match="softmax over one output|cross-entropy needs outputs in"):
        Network([5, 4, n_out], output=output, cost=cost)


def test_every_gradient_path_refuses_a_step_output():
    net = Network([3, 1], output="step", cost="quadratic", seed=0, dtype="float64")
    x, labels = np.random.default_rng(0).normal(size=(4, 3)), np.array([0, 1, 1, 0])
    assert net.cost_of(x, labels) >= 0  # the forward pass and the cost work
    for gradient_path in (
        lambda: net.gradients(x, labels),
        lambda: net.backward(net.forward_cache(x), labels),
        lambda: net.per_example_gradients(x, labels, 0),
        lambda: trace_backprop(net, x, labels, eta=0.1),
        lambda: gradient_check(net, x, labels, 0, 0, 1),
        lambda: minibatch_table(net, x, labels, 0, [0]),
        lambda: maximize_activation(net, 0, 0, steps=2, objective="a"),
    ):
        with pytest.raises(ValueError, match="a step output has none.*perceptron rule"):
            gradient_path()


def test_binary_cross_entropy_with_one_sigmoid_output_has_delta_a_minus_y():
    net = Network([3, 4, 1], activations="tanh", output="sigmoid", cost="cross-entropy", seed=0, dtype="float64")
    x = np.random.default_rng(0).normal(size=(5, 3))
    labels = np.array([1, 0, 0, 1, 1])
    cache = net.forward_cache(x)
    back = net.backward(cache, labels)
    a, y = cache.output[:, 0], labels.astype(np.float64)
    np.testing.assert_allclose(back.deltas[-1][:, 0], a - y, rtol=1e-15)
    assert back.cost == pytest.approx(-np.mean(y * np.log(a) + (1 - y) * np.log(1 - a)), rel=1e-12)


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
