"""Playground data sets named by a spec string: parse, write, load, refuse."""

import numpy as np
import pytest

from visnet.data import DataError, load_dataset
from visnet.data.playground import PlaygroundSpec, is_playground
from visnet.data.toy2d import make_toy2d


def test_a_spec_string_round_trips_and_loads_the_same_points_as_make_toy2d():
    spec = PlaygroundSpec("circle", noise=0.1, seed=3, n_points=200, train_fraction=0.6, features=("x1_sq", "x2_sq"))
    text = str(spec)
    assert is_playground(text) and not is_playground("embedded")
    assert PlaygroundSpec.parse(text) == spec
    data = load_dataset(text)
    toy = make_toy2d("circle", 200, 0.1, 0.6, 3)
    assert data.input_shape == (1, 4) and data.class_names == ("0", "1")
    assert np.array_equal(data.x_train[:, :2], toy.x_train)
    np.testing.assert_allclose(data.x_train[:, 2], toy.x_train[:, 0] ** 2)
    assert np.array_equal(data.y_test, toy.y_test)


def test_missing_settings_take_the_defaults():
    assert PlaygroundSpec.parse("playground:moons") == PlaygroundSpec("moons")


@pytest.mark.parametrize(
    "text, message",
    [
        ("playground:nope", "unknown 2-D data set"),
        ("playground:xor?noise=9", "noise must be"),
        ("playground:xor?colour=red", "unknown setting colour"),
        ("playground:xor?features=x3", "unknown feature"),
        ("playground:xor?seed=a", "invalid literal"),
        ("playground:xor?points=2", "points must be from 4"),
        ("playground:xor?train=1", "train"),
    ],
)
def test_a_bad_spec_is_a_data_error_naming_the_problem(text, message):
    with pytest.raises(DataError, match=message):
        load_dataset(text)


def test_points_drawn_by_hand_are_added_or_refused_as_a_whole():
    spec = PlaygroundSpec("xor", n_points=40)
    toy, data = spec.load([[1.0, 2.0, 1, "train"], [-1.0, -2.0, 0, "test"]])
    assert [tuple(p) for p in toy.drawn] == [(1.0, 2.0, 1, "train"), (-1.0, -2.0, 0, "test")]
    assert data.n_train == 21 and data.n_test == 21
    with pytest.raises(DataError, match="drawn by hand"):
        spec.load([[99.0, 0.0, 1, "train"]])
    with pytest.raises(DataError, match="drawn by hand"):
        spec.load([["a"]])
