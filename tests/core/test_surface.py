"""Decision surfaces: one forward pass over the plane, laid out row = y (from the bottom), column = x."""

import numpy as np
import pytest

from visnet.core.features import with_features
from visnet.core.network import Network
from visnet.core.surface import (
    FRAME_BUDGET,
    MAX_RESOLUTION,
    MIN_RESOLUTION,
    NEURON_COST,
    PLANE_EXTENT,
    choose_resolution,
    evaluate_surface,
    plane_grid,
)

# An off-centre, non-square extent and an odd, non-square-friendly resolution: a transposed
# or flipped image cannot pass for the right one.
EXTENT = (-6.0, 4.0, -1.0, 5.0)
RES = 7


def test_the_grid_is_pixel_centres_with_row_zero_at_the_bottom():
    grid = plane_grid(EXTENT, RES)
    x_min, x_max, y_min, y_max = EXTENT
    np.testing.assert_allclose(grid.xs, x_min + (np.arange(RES) + 0.5) * (x_max - x_min) / RES)
    np.testing.assert_allclose(grid.ys, y_min + (np.arange(RES) + 0.5) * (y_max - y_min) / RES)
    assert grid.inputs.shape == (RES * RES, 2)
    r, c = 2, 5
    np.testing.assert_array_equal(grid.inputs[r * RES + c], [grid.xs[c], grid.ys[r]])
    assert grid.ys[0] < grid.ys[-1]  # row 0 is the lowest x2
    assert plane_grid(EXTENT, RES) is grid  # cached between frames
    assert not grid.inputs.flags.writeable


def test_surface_equals_the_forward_pass_point_by_point():
    net = Network([2, 3, 4, 1], activations="tanh", output="sigmoid", dtype="float64", seed=11)
    surface = evaluate_surface(net, EXTENT, RES)
    assert surface.output.shape == (RES, RES) and surface.level == 0.5
    assert [a.shape for a in surface.layers] == [(3, RES, RES), (4, RES, RES), (1, RES, RES)]
    assert len(surface.hidden) == 2
    for r, c in [(0, 0), (0, RES - 1), (RES - 1, 0), (2, 5), (6, 3)]:
        point = np.array([[surface.xs[c], surface.ys[r]]])
        cache = net.forward_cache(point)
        assert surface.output[r, c] == pytest.approx(net.forward(point)[0, 0], abs=1e-12)
        for l, layer in enumerate(surface.layers):
            np.testing.assert_allclose(layer[:, r, c], cache.activations[l + 1][0], atol=1e-12)
        assert surface.neuron(1, 2)[r, c] == pytest.approx(cache.activations[2][0, 2], abs=1e-12)


def test_orientation_matches_a_neuron_that_looks_only_at_x2():
    # One neuron computing x2 exactly: its image must grow up the rows and stay flat along them.
    net = Network.from_params([np.array([[0.0, 1.0]])], [np.array([0.0])], ["identity"], cost="quadratic")
    surface = evaluate_surface(net, EXTENT, RES)
    np.testing.assert_allclose(surface.output[:, 0], surface.ys, rtol=1e-6)
    np.testing.assert_allclose(surface.output, np.repeat(surface.ys[:, None], RES, axis=1), rtol=1e-6)
    assert surface.output[0, 0] < surface.output[-1, 0]  # bottom row (row 0) holds the lowest x2
    assert surface.level == 0.0
    assert surface.rect == (-6.0, -1.0, 10.0, 6.0)


def test_features_are_computed_on_the_grid_as_in_the_data():
    features = ("x1_x2", "sin_x1")
    net = Network([4, 5, 2], activations="sigmoid", output="softmax", dtype="float64", seed=2)
    surface = evaluate_surface(net, EXTENT, RES, features=features)
    assert surface.features == features
    x1, x2 = np.meshgrid(surface.xs, surface.ys)
    inputs = with_features(np.column_stack([x1.ravel(), x2.ravel()]), features)
    expected = net.forward(inputs)[:, 1].reshape(RES, RES)
    np.testing.assert_allclose(surface.output, expected, atol=1e-12)
    with pytest.raises(ValueError, match="4 inputs but the plane gives 2"):
        evaluate_surface(net, EXTENT, RES)


@pytest.mark.parametrize(
    "sizes, output", [((2, 4, 1), "sigmoid"), ((2, 4, 1), "tanh"), ((2, 4, 2), "softmax"), ((2, 4, 2), "sigmoid")]
)
def test_output_above_level_is_exactly_where_class_one_wins(sizes, output):
    net = Network(sizes, activations="relu", output=output, cost="quadratic", seed=4, init="large")
    surface = evaluate_surface(net, PLANE_EXTENT, 30)
    a = net.forward(plane_grid(PLANE_EXTENT, 30).inputs)
    class_one = (a[:, 0] > surface.level) if sizes[-1] == 1 else (np.argmax(a, axis=1) == 1)
    np.testing.assert_array_equal(surface.output.ravel() > surface.level, class_one)
    assert 0 < class_one.mean() < 1  # the boundary crosses the plane, so the test means something


def test_surfaces_are_read_only_float_images():
    surface = evaluate_surface(Network([2, 8, 8, 8, 1], "tanh", output="sigmoid"))
    assert surface.resolution == 100 and surface.extent == PLANE_EXTENT
    for image in (surface.output, *surface.layers):
        assert not image.flags.writeable and image.dtype == np.float32 and image.flags.c_contiguous


def test_bad_networks_extents_and_resolutions_are_refused():
    with pytest.raises(ValueError, match="1 or 2 outputs"):
        evaluate_surface(Network([2, 3]), resolution=10)
    with pytest.raises(ValueError, match="x_min < x_max"):
        plane_grid((1.0, -1.0, 0.0, 1.0), 10)
    with pytest.raises(ValueError, match="four finite numbers"):
        plane_grid((0.0, 1.0, 0.0), 10)
    with pytest.raises(ValueError, match="resolution"):
        plane_grid(PLANE_EXTENT, 1)
    with pytest.raises(ValueError, match="resolution"):
        plane_grid(PLANE_EXTENT, 10.5)


def test_small_networks_get_the_full_resolution_and_big_ones_less():
    assert choose_resolution((2, 8, 8, 8, 1)) == MAX_RESOLUTION == 100
    assert choose_resolution((2, 8, 8, 8, 2)) == 100
    assert choose_resolution((2, 1)) == 100
    grown = [choose_resolution((2,) + (width,) * 3 + (1,)) for width in (4, 8, 16, 32, 64, 128)]
    assert grown == sorted(grown, reverse=True) and grown[-1] < grown[2] < 100
    assert choose_resolution((7, 1000, 1000, 2)) == MIN_RESOLUTION
    with pytest.raises(ValueError):
        choose_resolution((2,))


@pytest.mark.parametrize("sizes", [(2, 16, 16, 1), (2, 32, 32, 32, 2), (4, 64, 64, 1), (2, 100, 100, 100, 100, 2)])
def test_a_chosen_resolution_keeps_the_frame_within_budget(sizes):
    res = choose_resolution(sizes)
    n_params = sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:]))
    per_point = n_params + NEURON_COST * sum(sizes[1:])
    assert MIN_RESOLUTION <= res <= MAX_RESOLUTION
    assert res * res * per_point <= FRAME_BUDGET or res == MIN_RESOLUTION
    assert (res + 1) ** 2 * per_point > FRAME_BUDGET or res == MAX_RESOLUTION  # and uses it
