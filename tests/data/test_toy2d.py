"""The 2-D playground data sets: reproducible, balanced, in the plane, and as (in)separable as claimed."""

import numpy as np
import pytest

from visnet.data import Dataset
from visnet.data.toy2d import (
    FEATURES,
    MAX_NOISE,
    PLANE_EXTENT,
    TOY2D_GENERATORS,
    DrawnPoint,
    add_point,
    add_points,
    input_names,
    make_toy2d,
    with_features,
)

NAMES = tuple(TOY2D_GENERATORS)


def linear_accuracy(x: np.ndarray, y: np.ndarray) -> float:
    """Training accuracy of the least-squares linear classifier sign(w·[1, x]) for labels ±1."""
    design = np.column_stack([np.ones(len(x)), x])
    w, *_ = np.linalg.lstsq(design, 2.0 * y - 1.0, rcond=None)
    return float(np.mean((design @ w > 0) == (y == 1)))


def all_points(data):
    return np.concatenate([data.x_train, data.x_test]), np.concatenate([data.y_train, data.y_test])


def test_the_registry_names_six_described_sets():
    assert set(NAMES) == {"blobs", "overlap", "circle", "xor", "spirals", "moons"}
    for name, generator in TOY2D_GENERATORS.items():
        assert generator.name == name
        assert generator.description and "\n" not in generator.description


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("noise", [0.0, 0.4])
def test_each_set_is_reproducible_from_its_seed_and_differs_for_another(name, noise):
    a = make_toy2d(name, n_points=200, noise=noise, seed=3)
    b = make_toy2d(name, n_points=200, noise=noise, seed=3)
    c = make_toy2d(name, n_points=200, noise=noise, seed=4)
    for split in ("x_train", "y_train", "x_test", "y_test"):
        np.testing.assert_array_equal(getattr(a, split), getattr(b, split))
    assert not np.array_equal(a.x_train, c.x_train)
    assert (a.name, a.seed, a.noise, a.train_fraction, a.n_points) == (name, 3, noise, 0.5, 200)


@pytest.mark.parametrize("name", NAMES)
def test_shapes_dtypes_balance_and_every_point_inside_the_plane(name):
    data = make_toy2d(name, n_points=300, noise=MAX_NOISE, seed=1)
    assert data.x_train.shape == (150, 2) and data.x_test.shape == (150, 2)
    assert data.x_train.dtype == np.float32 and data.y_train.dtype == np.int64
    assert data.y_test.shape == (150,) and data.extent == PLANE_EXTENT
    for y in (data.y_train, data.y_test):
        assert set(np.unique(y)) == {0, 1}
        assert np.sum(y == 1) == 75  # each class split in the same proportion
    x, _ = all_points(data)
    x_min, x_max, y_min, y_max = PLANE_EXTENT
    assert x[:, 0].min() >= x_min and x[:, 0].max() <= x_max
    assert x[:, 1].min() >= y_min and x[:, 1].max() <= y_max
    assert not data.x_train.flags.writeable and not data.y_test.flags.writeable
    assert name in data.describe() and data.description == TOY2D_GENERATORS[name].description


def test_an_odd_number_of_points_gives_class_one_the_extra_point():
    data = make_toy2d("moons", n_points=101, train_fraction=0.3)
    _, y = all_points(data)
    assert np.sum(y == 0) == 50 and np.sum(y == 1) == 51
    assert data.n_train == 15 + 15  # round(50 x 0.3) + round(51 x 0.3)


@pytest.mark.parametrize("fraction, n_train", [(0.5, 250), (0.8, 400), (0.1, 50), (0.25, 126)])
def test_the_train_fraction_is_honoured(fraction, n_train):
    data = make_toy2d("circle", n_points=500, train_fraction=fraction)
    assert data.n_train == n_train and data.n_test == 500 - n_train
    assert abs(data.y_train.mean() - 0.5) < 0.01
    # the splits are disjoint parts of one generated set
    x, _ = all_points(data)
    assert len(np.unique(x, axis=0)) == 500


def test_the_splits_are_shuffled_not_sorted_by_class():
    y = make_toy2d("xor", n_points=400).y_train
    assert 0 < np.argmax(y == 1) < 20 and np.count_nonzero(np.diff(y)) > 50


def test_blobs_are_linearly_separable_and_xor_is_not():
    x, y = all_points(make_toy2d("blobs", n_points=1000, seed=2))
    assert np.all((x.sum(axis=1) > 0) == (y == 1))  # the line x1 + x2 = 0, by construction
    assert linear_accuracy(x, y) == 1.0
    for seed in range(3):
        x, y = all_points(make_toy2d("xor", n_points=1000, seed=seed))
        assert linear_accuracy(x, y) < 0.7
        assert np.all((x[:, 0] * x[:, 1] > 0) == (y == 1))  # quadrants I and III are class 1


def test_overlapping_blobs_defeat_every_line_but_not_by_much():
    x, y = all_points(make_toy2d("overlap", n_points=2000, seed=0))
    assert 0.72 < linear_accuracy(x, y) < 0.9


def test_rings_spirals_and_moons_need_more_than_a_line():
    for name in ("circle", "spirals"):
        x, y = all_points(make_toy2d(name, n_points=1000))
        assert linear_accuracy(x, y) < 0.7, name
    x, y = all_points(make_toy2d("moons", n_points=1000))
    assert linear_accuracy(x, y) < 0.95


def test_noise_free_circle_keeps_disc_and_ring_apart():
    x, y = all_points(make_toy2d("circle", n_points=600))
    r = np.hypot(x[:, 0], x[:, 1])
    assert r[y == 1].max() <= 2.0 + 1e-5 and r[y == 0].min() >= 3.5 - 1e-5 and r.max() <= 5.0 + 1e-5


def test_noise_moves_points_about_as_much_as_asked():
    clean = make_toy2d("blobs", n_points=2000, noise=0.0, seed=5)
    noisy = make_toy2d("blobs", n_points=2000, noise=1.0, seed=5)
    spread = lambda d: np.concatenate([d.x_train, d.x_test])[:, 0].std()  # noqa: E731
    assert spread(noisy) ** 2 - spread(clean) ** 2 == pytest.approx(1.0, abs=0.25)


def test_features_follow_the_raw_coordinates_in_the_order_asked():
    x = np.array([[1.0, 2.0], [-0.5, 3.0], [0.0, -6.0]], dtype=np.float32)
    f = with_features(x, ["x1_x2", "sin_x2", "x1_sq"])
    assert f.shape == (3, 5) and f.dtype == np.float32
    np.testing.assert_array_equal(f[:, :2], x)
    np.testing.assert_allclose(f[:, 2], x[:, 0] * x[:, 1])
    np.testing.assert_allclose(f[:, 3], np.sin(x[:, 1]), rtol=1e-6)
    np.testing.assert_allclose(f[:, 4], x[:, 0] ** 2)
    every = with_features(x.astype(np.float64), FEATURES)
    expected = np.column_stack(
        [x[:, 0], x[:, 1], x[:, 0] ** 2, x[:, 1] ** 2, x[:, 0] * x[:, 1], np.sin(x[:, 0]), np.sin(x[:, 1])]
    )
    np.testing.assert_allclose(every, expected)
    assert with_features(x).shape == (3, 2)
    assert input_names(["sin_x1"]) == ("x1", "x2", "sin_x1")


def test_a_product_feature_makes_xor_linear_and_squares_make_the_circle_linear():
    x, y = all_points(make_toy2d("xor", n_points=600))
    assert linear_accuracy(with_features(x, ["x1_x2"]), y) == 1.0
    x, y = all_points(make_toy2d("circle", n_points=600))
    assert linear_accuracy(with_features(x, ["x1_sq", "x2_sq"]), y) == 1.0


@pytest.mark.parametrize(
    "features, error", [(["x3"], ValueError), (["x1_sq", "x1_sq"], ValueError), ("x1_sq", TypeError)]
)
def test_bad_feature_names_are_refused(features, error):
    with pytest.raises(error):
        with_features(np.zeros((2, 2)), features)


def test_with_features_wants_points_of_two_coordinates():
    with pytest.raises(ValueError, match=r"\(n, 2\)"):
        with_features(np.zeros((4, 3)), [])


def test_adding_a_point_makes_a_new_set_and_leaves_the_old_one_alone():
    data = make_toy2d("xor", n_points=40)
    more = add_point(data, 1.5, -2.0, label=1)
    assert more.n_train == data.n_train + 1 and more.n_test == data.n_test
    np.testing.assert_array_equal(more.x_train[-1], [1.5, -2.0])
    assert more.y_train[-1] == 1 and more.drawn == (DrawnPoint(1.5, -2.0, 1, "train"),)
    np.testing.assert_array_equal(more.x_train[:-1], data.x_train)
    assert data.n_train == 20 and data.drawn == ()
    assert not more.x_train.flags.writeable
    both = add_points(more, [(0.0, 6.0, 0, "test"), DrawnPoint(-6.0, -6.0, 0)])
    assert both.n_test == data.n_test + 1 and both.n_train == data.n_train + 2
    np.testing.assert_array_equal(both.x_test[-1], [0.0, 6.0])
    assert both.y_test[-1] == 0 and len(both.drawn) == 3
    assert (both.name, both.seed, both.n_points) == (data.name, data.seed, data.n_points)
    assert "3 drawn" in both.describe()


@pytest.mark.parametrize(
    "x1, x2, label, split, match",
    [
        (6.5, 0.0, 0, "train", "outside the plane"),
        (float("nan"), 0.0, 0, "train", "finite"),
        (0.0, 0.0, 2, "train", "label"),
        (0.0, 0.0, True, "train", "label"),
        (0.0, 0.0, 1, "validation", "split"),
    ],
)
def test_bad_drawn_points_are_refused(x1, x2, label, split, match):
    with pytest.raises(ValueError, match=match):
        add_point(make_toy2d("blobs", n_points=10), x1, x2, label, split)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"name": "swiss roll"}, "unknown 2-D data set"),
        ({"n_points": 3}, "n_points"),
        ({"n_points": 10.0}, "n_points"),
        ({"noise": -0.1}, "noise"),
        ({"noise": MAX_NOISE + 0.1}, "noise"),
        ({"noise": float("nan")}, "noise"),
        ({"train_fraction": 0.0}, "train_fraction"),
        ({"train_fraction": 1.0}, "train_fraction"),
        ({"train_fraction": 0.04, "n_points": 20}, "at least one"),
        ({"seed": -1}, "seed"),
        ({"seed": None}, "seed"),
    ],
)
def test_bad_generation_arguments_raise_clear_errors(kwargs, match):
    kwargs = {"name": "blobs", **kwargs}
    with pytest.raises(ValueError, match=match):
        make_toy2d(**kwargs)


def test_as_dataset_feeds_the_trainer_the_inputs_and_features():
    data = add_point(make_toy2d("circle", n_points=60), 0.5, 0.5, 1)
    ds = data.as_dataset(["x1_sq", "x2_sq"])
    assert isinstance(ds, Dataset) and ds.n_inputs == 4 and ds.input_shape == (1, 4)
    assert ds.n_train == 31 and ds.class_names == ("0", "1")
    np.testing.assert_allclose(ds.x_train, with_features(data.x_train, ["x1_sq", "x2_sq"]))
    np.testing.assert_array_equal(ds.y_test, data.y_test)
