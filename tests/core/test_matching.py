"""Matching hidden neurons across two networks: the assignment is optimal, a permuted copy
matches as the identity."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from visnet.core.matching import aligned, linear_sum_assignment, match_layer, match_networks
from visnet.core.network import Network


def brute_force_best(cost: np.ndarray) -> float:
    """The smallest total over every assignment of the fewer side into the larger."""
    c = cost if cost.shape[0] <= cost.shape[1] else cost.T
    n, m = c.shape
    return min(c[np.arange(n), list(cols)].sum() for cols in itertools.permutations(range(m), n))


shapes = st.tuples(st.integers(1, 6), st.integers(1, 6))
small_costs = shapes.flatmap(
    lambda s: arrays(np.float64, s, elements=st.floats(-100, 100, allow_nan=False, allow_subnormal=False))
)
integer_costs = shapes.flatmap(lambda s: arrays(np.int64, s, elements=st.integers(0, 3)))  # many ties


@settings(max_examples=300, deadline=None)
@given(st.one_of(small_costs, integer_costs))
def test_the_assignment_is_optimal_against_brute_force(cost):
    rows, cols = linear_sum_assignment(cost)
    k = min(cost.shape)
    assert len(rows) == len(cols) == k
    assert len(set(rows.tolist())) == k and len(set(cols.tolist())) == k
    assert np.all(np.diff(rows) > 0)
    total = cost[rows, cols].sum()
    assert total == pytest.approx(brute_force_best(cost.astype(np.float64)), abs=1e-9)


@settings(max_examples=100, deadline=None)
@given(small_costs)
def test_maximize_is_minimize_of_the_negated_cost(cost):
    rows, cols = linear_sum_assignment(cost, maximize=True)
    assert cost[rows, cols].sum() == pytest.approx(-brute_force_best(-cost), abs=1e-9)


def test_agrees_with_scipy_on_larger_matrices():
    scipy_optimize = pytest.importorskip("scipy.optimize")
    rng = np.random.default_rng(0)
    for shape in [(30, 30), (16, 40), (40, 16), (64, 64)]:
        cost = rng.normal(size=shape)
        rows, cols = linear_sum_assignment(cost)
        r2, c2 = scipy_optimize.linear_sum_assignment(cost)
        assert cost[rows, cols].sum() == pytest.approx(cost[r2, c2].sum(), abs=1e-9)


def test_a_constructed_case_with_one_best_pairing():
    # neuron j of B is neuron perm[j] of A plus a little noise: the assignment undoes perm
    rng = np.random.default_rng(1)
    w_a = rng.normal(size=(8, 20))
    perm = rng.permutation(8)
    w_b = w_a[perm] + 0.01 * rng.normal(size=(8, 20))
    m = match_layer(w_a, np.zeros(8), w_b, np.zeros(8))
    assert np.array_equal(perm[m.b_index], m.a_index)
    assert np.all(m.similarity > 0.99)


def test_bad_costs_are_refused():
    with pytest.raises(ValueError):
        linear_sum_assignment(np.array([1.0, 2.0]))
    with pytest.raises(ValueError):
        linear_sum_assignment(np.array([[1.0, np.inf]]))
    rows, cols = linear_sum_assignment(np.zeros((0, 3)))
    assert len(rows) == len(cols) == 0


def permuted_copy(net: Network, seed: int) -> tuple[Network, list[np.ndarray]]:
    """The same function with every hidden layer's neurons shuffled."""
    rng = np.random.default_rng(seed)
    weights = [w.copy() for w in net.weights]
    biases = [b.copy() for b in net.biases]
    perms = []
    for l in range(net.n_layers - 1):
        p = rng.permutation(len(biases[l]))
        perms.append(p)
        weights[l], biases[l] = weights[l][p], biases[l][p]
        weights[l + 1] = weights[l + 1][:, p]
    return Network.from_params(weights, biases, net.activations, net.cost, net.init, net.dtype), perms


@pytest.mark.parametrize("sizes", [(784, 16, 16, 10), (20, 7, 5, 4, 3)])
def test_a_permuted_copy_matches_as_the_identity_with_zero_difference(sizes):
    net = Network(sizes, "sigmoid", seed=3)
    copy, perms = permuted_copy(net, seed=4)
    x = np.random.default_rng(5).normal(size=(6, sizes[0])).astype(np.float32)
    assert np.allclose(net.forward(x), copy.forward(x), atol=1e-6)  # the same function
    matches = match_networks(net, copy)
    assert len(matches) == len(sizes) - 2
    for m, p in zip(matches, perms):
        assert np.array_equal(p[m.b_index], m.a_index)  # B's matched neuron is A's neuron
        assert np.all(m.difference == 0)
        assert np.allclose(m.similarity, 1.0)
    weights, biases = aligned(copy, matches)
    for w, w0, b, b0 in zip(weights, net.weights, biases, net.biases):
        assert np.array_equal(w, w0) and np.array_equal(b, b0)
    # matched with itself, a network is the identity
    assert all(m.is_identity for m in match_networks(net, net))


def test_layers_of_different_widths_match_the_narrower_one_whole():
    a = Network((30, 8, 10), "relu", seed=0)
    b = Network((30, 12, 10), "relu", seed=1)
    (m,) = match_networks(a, b)
    assert len(m.a_index) == 8 and len(set(m.b_index.tolist())) == 8
    assert m.difference.shape == (8, 30)
    with pytest.raises(ValueError):
        aligned(b, [m])
    with pytest.raises(ValueError):
        match_networks(a, Network((31, 8, 10), seed=0))
