"""The cost landscape: grid values are the core's cost at those parameters, projections are
least squares, filter normalisation and path directions, the one-weight slope is backprop's."""

import numpy as np
import pytest

from visnet.core.landscape import (
    Projector,
    choose_grid_size,
    combine,
    cost_grid,
    dot,
    grid_order,
    params_of,
    path_directions,
    project,
    random_directions,
    strongest_weight,
    weight_slice,
)
from visnet.core.network import Network
from visnet.core.training import TrainConfig, Trainer, net_cost


@pytest.fixture(scope="module")
def batch(embedded_mnist):
    return embedded_mnist.x_test[:200], embedded_mnist.y_test[:200]


def flat(p):
    return np.concatenate([a.ravel().astype(np.float64) for a in (*p[0], *p[1])])


def core_cost_at(net, theta, d1, d2, alpha, beta, x, labels):
    weights, biases = combine(theta, d1, d2, alpha, beta, net.dtype)
    moved = Network.from_params(weights, biases, net.activations, net.cost)
    return net_cost(moved, moved.forward(x), labels)


@pytest.mark.parametrize(
    "sizes, activations, cost, dtype, rtol",
    [
        ((784, 16, 16, 10), "sigmoid", "cross-entropy", "float64", 1e-12),
        ((784, 12, 10), "relu", "quadratic", "float64", 1e-12),
        ((784, 16, 16, 10), "tanh", "cross-entropy", "float32", 1e-6),
    ],
)
def test_grid_values_are_the_core_cost_at_those_parameters(batch, sizes, activations, cost, dtype, rtol):
    x, labels = batch
    net = Network(sizes, activations, cost=cost, seed=3, dtype=dtype)
    theta = params_of(net)
    d1, d2 = random_directions(theta, seed=5)
    grid = cost_grid(net, x, labels, d1, d2, extent=(-0.8, 1.0, -1.0, 0.6), n=9)
    assert not np.isnan(grid.costs).any()
    for r, c in [(0, 0), (4, 4), (2, 7), (8, 1), (8, 8)]:
        expected = core_cost_at(net, theta, d1, d2, grid.alphas[c], grid.betas[r], x, labels)
        assert grid.costs[r, c] == pytest.approx(expected, rel=rtol)
    # The centre of a symmetric grid is the network itself.
    centred = cost_grid(net, x, labels, d1, d2, extent=(-1, 1, -1, 1), n=5)
    assert centred.costs[2, 2] == pytest.approx(net_cost(net, net.forward(x), labels), rel=rtol)


def test_a_float32_grid_is_the_float64_cost_to_float32_rounding(batch):
    # Measured: within 2e-7 of the float64 cost. Where an output probability falls below
    # float32's clip of 1e-7 the two differ by more (the log is clipped at 1e-7, not 1e-12);
    # these small tanh weights keep every probability far above it.
    x, labels = batch
    net = Network((784, 16, 16, 10), "tanh", seed=3)
    theta = params_of(net)
    d1, d2 = random_directions(theta, seed=5)
    grid = cost_grid(net, x, labels, d1, d2, n=5)
    for r, c in [(0, 0), (1, 3), (2, 2), (4, 1)]:
        weights, biases = combine(theta, d1, d2, grid.alphas[c], grid.betas[r], np.float64)
        exact = Network.from_params(weights, biases, net.activations, net.cost, dtype="float64")
        assert grid.costs[r, c] == pytest.approx(net_cost(exact, exact.forward(x), labels), rel=1e-6)


def test_random_directions_are_filter_normalised_and_seeded():
    net = Network((784, 16, 16, 10), seed=1)
    theta = params_of(net)
    d1, d2 = random_directions(theta, seed=7)
    for w, d in zip(theta[0], d1[0]):
        np.testing.assert_allclose(np.linalg.norm(d, axis=1), np.linalg.norm(w.astype(np.float64), axis=1))
    assert all(not b.any() for b in d1[1])
    again, _ = random_directions(theta, seed=7)
    np.testing.assert_array_equal(flat(again), flat(d1))
    assert not np.allclose(flat(d1), flat(d2))


def test_projection_is_least_squares_and_now_is_the_origin():
    net = Network((784, 8, 10), seed=2, dtype="float64")
    theta = params_of(net)
    d1, d2 = random_directions(theta, seed=1)
    assert project(theta, theta, d1, d2) == pytest.approx((0.0, 0.0, 0.0), abs=1e-12)
    # A point of the plane projects to its own coordinates, at distance 0.
    on_plane = combine(theta, d1, d2, 0.3, -0.7)
    assert project(on_plane, theta, d1, d2) == pytest.approx((0.3, -0.7, 0.0), abs=1e-9)
    # Any other point: numpy's least squares on the flattened vectors.
    rng = np.random.default_rng(0)
    other = (tuple(w + rng.normal(0, 0.1, w.shape) for w in theta[0]), tuple(b + 0.2 for b in theta[1]))
    D = np.column_stack([flat(d1), flat(d2)])
    delta = flat(other) - flat(theta)
    coef, *_ = np.linalg.lstsq(D, delta, rcond=None)
    alpha, beta, off = project(other, theta, d1, d2)
    np.testing.assert_allclose([alpha, beta], coef, rtol=1e-9)
    assert off == pytest.approx(np.linalg.norm(delta - D @ coef), rel=1e-9)


def test_path_directions_are_the_paths_principal_components(small_mnist):
    path = []
    net2 = Network((784, 10, 10), seed=0, dtype="float64")
    trainer = Trainer(net2, small_mnist.x_train, small_mnist.y_train, config=TrainConfig(eta=0.5, batch_size=20))
    for _ in range(12):
        trainer.step()
        path.append((tuple(w.copy() for w in net2.weights), tuple(b.copy() for b in net2.biases)))
    theta = path[-1]
    dirs = path_directions(path, theta)
    assert dot(dirs.d1, dirs.d1) == pytest.approx(1.0)
    assert dot(dirs.d2, dirs.d2) == pytest.approx(1.0)
    assert dot(dirs.d1, dirs.d2) == pytest.approx(0.0, abs=1e-9)
    # The same as an SVD of the (uncentred) matrix of differences from θ.
    M = np.stack([flat(p) - flat(theta) for p in path])
    _, s, vt = np.linalg.svd(M, full_matrices=False)
    assert abs(np.dot(vt[0], flat(dirs.d1))) == pytest.approx(1.0, abs=1e-8)
    assert abs(np.dot(vt[1], flat(dirs.d2))) == pytest.approx(1.0, abs=1e-8)
    assert dirs.explained[0] == pytest.approx(s[0] ** 2 / np.sum(s**2))
    # Every moment of the path projects onto the plane as least squares says.
    D = np.column_stack([flat(dirs.d1), flat(dirs.d2)])
    for p in path[:3]:
        coef, *_ = np.linalg.lstsq(D, flat(p) - flat(theta), rcond=None)
        np.testing.assert_allclose(project(p, theta, dirs.d1, dirs.d2)[:2], coef, rtol=1e-7, atol=1e-12)


def test_a_straight_path_gets_a_random_second_direction():
    net = Network((784, 6, 10), seed=0, dtype="float64")
    theta = params_of(net)
    d1, _ = random_directions(theta, seed=3)
    path = [combine(theta, d1, d1, t, 0.0) for t in (2.0, 1.0)]
    dirs = path_directions(path, theta)
    assert abs(dot(dirs.d1, d1)) / np.sqrt(dot(d1, d1)) == pytest.approx(1.0)
    assert dot(dirs.d1, dirs.d2) == pytest.approx(0.0, abs=1e-9)
    assert dirs.explained[1] == 0.0
    with pytest.raises(ValueError):
        path_directions([theta], theta)


def test_grid_order_visits_every_point_once_coarse_first():
    order = grid_order(41)
    assert len(order) == 41 * 41
    assert len({tuple(rc) for rc in order}) == 41 * 41
    assert all(r % 32 == 0 and c % 32 == 0 for r, c in order[:4])


def test_a_stopped_grid_leaves_the_rest_unknown(batch):
    x, labels = batch
    net = Network((784, 8, 10), seed=0)
    d1, d2 = random_directions(params_of(net))
    calls = []
    grid = cost_grid(
        net, x, labels, d1, d2, n=9, progress=lambda g, done: calls.append(done), should_stop=lambda: bool(calls)
    )
    assert calls and np.isnan(grid.costs).sum() == 81 - calls[0]


@pytest.mark.parametrize("layer", [0, 1])
def test_one_weight_slope_is_backprops_gradient_and_the_numerical_derivative(batch, layer):
    x, labels = batch
    net = Network((784, 12, 10), "sigmoid", seed=4, dtype="float64")
    j = 3
    i = strongest_weight(net, layer, j)
    s = weight_slice(net, x, labels, layer, j, i, eta=3.0)
    grad_w = net.gradients(x, labels)[layer][0]
    assert s.slope == pytest.approx(grad_w[j, i], rel=1e-12)
    assert s.step == pytest.approx(-3.0 * grad_w[j, i])
    eps = 1e-6
    probe = net.copy()
    probe.weights[layer][j, i] = s.w + eps
    plus = probe.cost_of(x, labels)
    probe.weights[layer][j, i] = s.w - eps
    minus = probe.cost_of(x, labels)
    assert s.slope == pytest.approx((plus - minus) / (2 * eps), rel=1e-6, abs=1e-10)
    # The curve is the core's cost with that weight changed, and passes through the cost now.
    for k in (0, 17, len(s.ws) - 1):
        probe.weights[layer][j, i] = s.ws[k]
        assert s.costs[k] == pytest.approx(probe.cost_of(x, labels), rel=1e-12)
    assert s.cost == pytest.approx(net.cost_of(x, labels), rel=1e-12)
    assert s.ws[0] < s.w < s.ws[-1]


def test_grid_size_is_41_for_small_networks_and_smaller_for_wide_ones():
    assert choose_grid_size((784, 16, 16, 10)) == 41
    assert choose_grid_size((784, 30, 10)) == 41
    wide = choose_grid_size((784, 512, 512, 10))
    assert 11 <= wide < 41 and wide % 2 == 1


def reversals_along_the_path(eta, data, steps=30):
    """Train the gradient-descent lesson's network (a bowl near its linear output) by full-batch
    gradient descent, project the path onto its two main directions as the panel does, and
    return, per direction, the share of consecutive steps whose component changes sign."""
    net = Network((784, 16, 16, 10), "sigmoid", output="identity", cost="quadratic", init="normal", seed=0)
    x, labels = data.x_train[:200], data.y_train[:200]
    trainer = Trainer(net, x, labels, config=TrainConfig(eta=eta, batch_size=len(x)))
    path = [params_of(net.copy())]
    for _ in range(steps):
        trainer.step()
        path.append(params_of(net.copy()))
    theta = path[-1]
    dirs = path_directions(path, theta)
    projector = Projector(theta, dirs.d1, dirs.d2)
    coords = np.array([projector(p)[:2] for p in path])
    step = np.diff(coords, axis=0)
    return np.mean(step[1:] * step[:-1] < 0, axis=0)


def test_with_too_large_a_learning_rate_the_path_jumps_across_the_valley(small_mnist):
    # η = 2 overshoots: every step lands on the other side of the valley, further up, so the
    # step along the main direction reverses every time (measured: 1.00). η = 0.5, the lesson's
    # steady rate, runs down the valley without turning back (measured: 0.00).
    too_large = reversals_along_the_path(2.0, small_mnist)
    steady = reversals_along_the_path(0.5, small_mnist)
    assert too_large[0] >= 0.9
    assert steady[0] <= 0.1
