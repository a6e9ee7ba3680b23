"""MNIST-style preprocessing of drawn digits: crop, area-average to 20x20, centre of mass at (14, 14)."""

import numpy as np
import pytest

from visnet.core.drawing import (
    BOX,
    CENTER,
    area_weights,
    center_of_mass,
    ink_bbox,
    preprocess_drawing,
    preprocess_drawing_steps,
    resample_area,
    stroke_to_canvas,
)
from visnet.core.network import Network
from visnet.core.training import TrainConfig, Trainer


def ellipse(cx, cy, rx, ry, n=64):
    t = np.linspace(0, 2 * np.pi, n + 1)
    return np.c_[cx + rx * np.cos(t), cy + ry * np.sin(t)]


STROKES = {
    "one": [(140, 30), (140, 250)],
    "slanted one": [(165, 35), (120, 245)],
    "zero": ellipse(140, 140, 70, 100),
    "small off-centre blob": ellipse(40, 230, 6, 4, n=16),
    "seven": [(60, 40), (220, 40), (110, 250)],
    "dot": [(200, 60)],
    "wide dash": [(20, 140), (260, 146)],
}


@pytest.fixture(scope="module")
def digits():
    from visnet.data import load_embedded

    return load_embedded()


@pytest.fixture(scope="module")
def trained(digits):
    """The 784-30-10 network of Nielsen's chapter 1 (cross-entropy), 2 epochs: ~92%."""
    net = Network([784, 30, 10], "sigmoid", output="softmax", cost="cross-entropy", init="normal", seed=0)
    config = TrainConfig(eta=0.5, batch_size=10, seed=0)
    trainer = Trainer(net, digits.x_train, digits.y_train, digits.x_test, digits.y_test, config)
    for _ in range(2):
        trainer.run_epoch()
    assert trainer.last_evaluation.accuracy > 0.9
    return net


def test_center_of_mass_uses_pixel_centres_at_integers():
    img = np.zeros((5, 7))
    img[1, 2] = 1
    assert center_of_mass(img) == (1.0, 2.0)
    img[3, 6] = 1
    assert center_of_mass(img) == (2.0, 4.0)
    assert all(np.isnan(center_of_mass(np.zeros((4, 4)))))
    with pytest.raises(ValueError):
        center_of_mass(np.zeros(4))


def test_area_resampling_averages_blocks_and_keeps_mass():
    rng = np.random.default_rng(0)
    img = rng.uniform(0, 1, (280, 140))
    small = resample_area(img, 0.1)
    np.testing.assert_allclose(small, img.reshape(28, 10, 14, 10).mean(axis=(1, 3)), atol=1e-12)
    for n_in, scale in [(250, 20 / 250), (13, 20 / 13), (7, 1.0), (300, 0.0667)]:
        w = area_weights(n_in, scale)
        assert w.shape == (int(np.ceil(n_in * scale - 1e-9)), n_in)
        np.testing.assert_allclose(w.sum(axis=0), scale)  # every input pixel is counted once
        assert np.all(w.sum(axis=1) <= 1 + 1e-12)
        np.testing.assert_allclose(w.sum(axis=1)[:-1], 1)  # full output pixels average
    # total ink scales with the area
    np.testing.assert_allclose(resample_area(img, 20 / 280).sum(), img.sum() * (20 / 280) ** 2)


def test_stroke_to_canvas_draws_a_round_anti_aliased_pen():
    canvas = stroke_to_canvas([(100.0, 50.0), (200.0, 50.0)], size=(120, 280), brush=20)
    assert canvas.shape == (120, 280) and canvas.dtype == np.float32
    assert canvas.min() == 0 and canvas.max() == 1
    column = canvas[:, 150]
    assert column.sum() == pytest.approx(20, abs=0.01)  # the pen's diameter, edges included
    assert canvas[50, 150] == 1 and canvas[10, 150] == 0
    assert np.any((canvas > 0) & (canvas < 1))  # grey edge
    assert canvas[50, 205] > 0 and canvas[50, 215] == 0  # round cap of radius 10
    dot = stroke_to_canvas([(10.5, 20.5)], size=40, brush=6)
    assert center_of_mass(dot) == pytest.approx((20.0, 10.0))
    both = stroke_to_canvas([(5, 5), (30, 5)], size=40, brush=4, canvas=dot)
    assert both is dot and dot[5, 20] == 1 and dot[20, 10] == 1
    assert not stroke_to_canvas([], size=10).any()


@pytest.mark.parametrize("name", sorted(STROKES))
@pytest.mark.parametrize("brush", [8, 18, 30])
def test_preprocessed_strokes_look_like_mnist(name, brush):
    canvas = stroke_to_canvas(STROKES[name], brush=brush)
    steps = preprocess_drawing_steps(canvas)
    img = steps.image
    assert img.shape == (28, 28) and img.dtype == np.float32
    assert img.min() >= 0 and img.max() <= 1
    rows = np.flatnonzero(img.any(axis=1))
    cols = np.flatnonzero(img.any(axis=0))
    height, width = rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1
    assert max(height, width) == BOX and min(height, width) >= 1  # the longer side fills 20
    assert steps.scaled.shape == (height, width)
    r, c = center_of_mass(img)
    assert (r, c) == pytest.approx(steps.center_of_mass)
    assert abs(r - CENTER[0]) <= 0.5 + 1e-6 and abs(c - CENTER[1]) <= 0.5 + 1e-6
    # aspect ratio kept: one scale for both sides, the shorter ending in a partial pixel
    top, bottom, left, right = steps.bbox
    long, short = max(bottom - top, right - left), min(bottom - top, right - left)
    assert min(height, width) == int(np.ceil(short * BOX / long - 1e-9))
    assert (height >= width) == (bottom - top >= right - left)


def test_preprocessing_does_not_care_where_or_on_what_canvas_the_digit_is_drawn():
    points = np.array(STROKES["seven"], dtype=float)
    a = preprocess_drawing(stroke_to_canvas(points, size=280))
    b = preprocess_drawing(stroke_to_canvas(points + (-15, 25), size=(330, 300)))
    np.testing.assert_allclose(a, b, atol=1e-6)


def test_empty_canvas_gives_zeros():
    for canvas in (np.zeros((280, 280)), np.full((100, 60), 0.01)):
        img = preprocess_drawing(canvas)
        assert img.shape == (28, 28) and img.dtype == np.float32 and not img.any()
    steps = preprocess_drawing_steps(np.zeros((50, 50)))
    assert steps.bbox is None and all(np.isnan(steps.center_of_mass))
    with pytest.raises(ValueError):
        preprocess_drawing(np.zeros(10))


def test_values_outside_zero_one_are_clipped():
    canvas = 3 * stroke_to_canvas(STROKES["zero"]) - 0.5
    img = preprocess_drawing(canvas)
    assert img.min() >= 0 and img.max() <= 1 and img.max() > 0.9


def test_a_magnified_mnist_digit_comes_back_unchanged(digits):
    """MNIST digits are themselves the output of this process: magnify one tenfold and
    preprocessing it (counting every non-zero pixel as ink) gives the digit again."""
    for k in range(50):
        digit = digits.x_test[k].reshape(28, 28)
        big = np.kron(digit, np.ones((10, 10), np.float32))
        np.testing.assert_allclose(preprocess_drawing(big, threshold=0), digit, atol=1e-5)
        assert ink_bbox(big, threshold=0) is not None


@pytest.mark.parametrize("brush", [12, 18, 30])
def test_a_trained_network_reads_drawn_digits(trained, brush):
    drawings = {
        1: STROKES["one"],
        0: STROKES["zero"],
    }
    for label, points in drawings.items():
        img = preprocess_drawing(stroke_to_canvas(points, brush=brush))
        assert trained.predict(img.reshape(1, 784))[0] == label, (label, trained.forward(img.reshape(1, 784)))
    slanted = preprocess_drawing(stroke_to_canvas(STROKES["slanted one"], brush=brush))
    assert trained.predict(slanted.reshape(1, 784))[0] == 1
