"""Neuron statistics, effective patterns, contributions and activation maximisation."""

import numpy as np
import pytest

from visnet.core.network import Network
from visnet.core.neuron_analysis import (
    AscentStep,
    NeuronStats,
    _value_and_input_gradient,
    bottom_k,
    contribution_map,
    effective_pattern,
    effective_patterns,
    iter_maximize_activation,
    layer_activations,
    maximize_activation,
    neuron_stats,
    outgoing_weights,
    top_k,
)
from visnet.core.training import TrainConfig, Trainer


@pytest.fixture(scope="module")
def digits():
    from visnet.data import load_embedded

    return load_embedded()


@pytest.fixture(scope="module")
def trained(digits):
    """784-30-16-10 sigmoid network after one epoch on 3,000 digits (about 0.1 s)."""
    net = Network([784, 30, 16, 10], "sigmoid", init="normal", seed=0)
    Trainer(net, digits.x_train[:3000], digits.y_train[:3000], config=TrainConfig(eta=0.5, seed=0)).run_epoch()
    return net


@pytest.fixture(scope="module")
def x_test(digits):
    return digits.x_test[:500]


def test_layer_activations_are_the_forward_pass_in_chunks(trained, x_test):
    acts = layer_activations(trained, x_test, chunk=128)
    cache = trained.forward_cache(x_test)
    assert len(acts) == trained.n_layers
    for a, expected in zip(acts, cache.activations[1:]):
        assert a.dtype == np.float32 and a.shape == expected.shape
        # the same sums, blocked differently by OpenBLAS for another number of rows: float32 rounding
        np.testing.assert_allclose(a, expected, rtol=1e-5, atol=1e-6)


def test_layer_activations_rejects_wrong_input_width(trained):
    with pytest.raises(ValueError, match="784"):
        layer_activations(trained, np.zeros((3, 10)))


@pytest.mark.parametrize("k", [0, 1, 5, 9, 50, 1000])
def test_top_and_bottom_k_are_the_stable_argsort_even_with_ties(k):
    rng = np.random.default_rng(1)
    for values in (rng.normal(size=300), rng.integers(0, 5, size=300).astype(np.float32), np.zeros(40)):
        np.testing.assert_array_equal(top_k(values, k), np.argsort(-values, kind="stable")[:k])
        np.testing.assert_array_equal(bottom_k(values, k), np.argsort(values, kind="stable")[:k])


def test_neuron_stats_top_k_are_the_true_top_k_of_the_core_activations(trained, x_test):
    cache = trained.forward_cache(x_test)
    acts = layer_activations(trained, x_test)
    for layer, j in [(0, 0), (0, 17), (1, 5), (2, 3)]:
        stats = NeuronStats.from_activations(acts, layer, j, k=9)
        values = cache.activations[layer + 1][:, j]
        np.testing.assert_array_equal(stats.top, np.argsort(-stats.values, kind="stable")[:9])
        np.testing.assert_array_equal(stats.bottom, np.argsort(stats.values, kind="stable")[:9])
        # and the core's own values rank them the same (the values agree to the last bits)
        assert np.all(values[stats.top] >= np.sort(values)[-9] - 1e-6)
        assert np.all(values[stats.bottom] <= np.sort(values)[8] + 1e-6)
        assert stats.mean == pytest.approx(values.mean(), rel=1e-5)
        assert stats.std == pytest.approx(values.std(), rel=1e-4)
        assert stats.n == len(x_test)
        assert not stats.values.flags.writeable and not stats.top.flags.writeable


def test_neuron_stats_helper_computes_its_own_activations(trained, x_test):
    a = neuron_stats(trained, x_test, 1, 4, k=3)
    b = NeuronStats.from_activations(layer_activations(trained, x_test), 1, 4, k=3)
    np.testing.assert_array_equal(a.top, b.top)
    with pytest.raises(IndexError):
        neuron_stats(trained, x_test, 1, 16)


def test_histogram_counts_sum_to_n(trained, x_test):
    stats = NeuronStats.from_activations(layer_activations(trained, x_test), 0, 3)
    counts, edges = stats.histogram(bins=25)
    assert counts.sum() == len(x_test) and len(edges) == 26
    counts, edges = stats.histogram(bins=10, range=(0.2, 0.8))  # narrower than the data
    assert counts.sum() == len(x_test) and edges[0] == 0.2 and edges[-1] == 0.8
    constant = NeuronStats.from_values(np.full(7, 0.5), 0, 0)
    assert constant.histogram(bins=4)[0].sum() == 7
    with pytest.raises(ValueError):
        stats.histogram(range=(1, 0))


def test_effective_pattern_is_the_product_of_weight_matrices(trained):
    w = trained.weights
    np.testing.assert_array_equal(effective_pattern(trained, 0, 7), w[0][7])
    np.testing.assert_array_equal(effective_pattern(trained, 1, 3), w[1][3] @ w[0])
    np.testing.assert_allclose(effective_pattern(trained, 2, 9), w[2][9] @ w[1] @ w[0], rtol=1e-5, atol=1e-6)
    patterns = effective_patterns(trained, 2)
    assert patterns.shape == (10, 784)
    np.testing.assert_allclose(patterns[9], effective_pattern(trained, 2, 9), rtol=1e-5, atol=1e-6)
    p = effective_pattern(trained, 0, 7)
    p[:] = 0
    assert np.any(trained.weights[0][7])  # a copy, not a view


def test_contribution_map_sums_to_z(trained, x_test):
    x = x_test[3]
    cache = trained.forward_cache(x)
    np.testing.assert_array_equal(contribution_map(trained, x, 0, 4), trained.weights[0][4] * x)
    for layer, j in [(0, 4), (1, 2), (2, 8)]:
        c = contribution_map(trained, x[None, :], layer, j)
        assert c.shape == (trained.sizes[layer],)
        z = cache.zs[layer][0, j]
        assert c.sum() + trained.biases[layer][j] == pytest.approx(z, abs=1e-4)
    with pytest.raises(ValueError, match="one example"):
        contribution_map(trained, x_test[:2], 0, 0)


def test_outgoing_weights_are_the_next_layers_column(trained):
    out = outgoing_weights(trained, 0, 5)
    np.testing.assert_array_equal(out, trained.weights[1][:, 5])
    out[:] = 0
    assert np.any(trained.weights[1][:, 5])
    assert outgoing_weights(trained, 2, 5) is None
    with pytest.raises(IndexError):
        outgoing_weights(trained, 3, 0)


@pytest.mark.parametrize("layer,j", [(0, 2), (1, 7), (2, 4)])
def test_maximize_activation_beats_the_average_and_random_images(trained, x_test, layer, j):
    x = maximize_activation(trained, layer, j)
    assert x.shape == (784,) and x.dtype == np.float32
    assert x.min() >= 0 and x.max() <= 1
    a_star = trained.forward_cache(x).activations[layer + 1][0, j]
    a_test = trained.forward_cache(x_test).activations[layer + 1][:, j]
    assert a_star > a_test.mean()
    assert a_star > trained.forward_cache(x_test.mean(axis=0)).activations[layer + 1][0, j]
    random = np.random.default_rng(5).uniform(0, 1, (50, 784))
    assert a_star > trained.forward_cache(random).activations[layer + 1][:, j].max()


def test_maximize_activation_of_an_output_probability(trained, x_test):
    x = maximize_activation(trained, 2, 6, objective="a")
    p = trained.forward(x)[0, 6]
    assert p > trained.forward(x_test)[:, 6].mean()


def test_maximize_activation_works_through_relu_layers(digits):
    net = Network([784, 64, 32, 10], "relu", init="he", seed=3)
    x = maximize_activation(net, 1, 5, steps=100)
    a = net.forward_cache(x).activations[2][0, 5]
    assert a > net.forward_cache(digits.x_test[:200]).activations[2][:, 5].mean()


def test_maximize_activation_is_deterministic_and_cancellable(trained):
    a = maximize_activation(trained, 1, 3, steps=50, seed=4)
    b = maximize_activation(trained, 1, 3, steps=50, seed=4)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, maximize_activation(trained, 1, 3, steps=50, seed=5))

    seen: list[AscentStep] = []
    maximize_activation(trained, 1, 3, steps=50, callback=seen.append, should_stop=lambda: len(seen) >= 7)
    assert [s.step for s in seen] == list(range(1, 8))
    assert all(s.steps == 50 and not s.x.flags.writeable for s in seen)

    steps = list(iter_maximize_activation(trained, 0, 1, steps=20, x0=np.zeros(784)))
    assert len(steps) == 20
    assert steps[-1].value > steps[0].value
    start = np.full(784, 0.3)
    np.testing.assert_array_equal(maximize_activation(trained, 0, 1, steps=0, x0=start), start.astype(np.float32))


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "leaky_relu"])
@pytest.mark.parametrize("objective", ["z", "a"])
def test_input_gradient_matches_finite_differences(activation, objective):
    net = Network([12, 7, 5, 4], activation, init="xavier", seed=2, dtype="float64")
    weights, biases, acts = net.weights, net.biases, net.layer_activations
    x = np.random.default_rng(0).uniform(0.1, 0.9, 12)
    for layer, j in [(0, 3), (1, 2), (2, 1)]:
        args = (weights[: layer + 1], biases[: layer + 1], acts[: layer + 1], j, objective)
        _, grad = _value_and_input_gradient(x, *args)
        eps = 1e-6
        numeric = np.empty_like(x)
        for i in range(len(x)):
            e = np.zeros_like(x)
            e[i] = eps
            numeric[i] = (
                _value_and_input_gradient(x + e, *args, need_grad=False)[0]
                - _value_and_input_gradient(x - e, *args, need_grad=False)[0]
            ) / (2 * eps)
        np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-8)


def test_maximize_activation_checks_its_arguments(trained):
    with pytest.raises(IndexError):
        maximize_activation(trained, 0, 30)
    with pytest.raises(ValueError):
        maximize_activation(trained, 0, 0, objective="loss")
    with pytest.raises(ValueError):
        maximize_activation(trained, 0, 0, x0=np.zeros(10))
