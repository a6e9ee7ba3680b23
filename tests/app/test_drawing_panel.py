"""Drawing a digit with the mouse: MNIST-style preprocessing and a live forward pass."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPainter

from visnet.app.panels.drawing import DrawDigitPanel
from visnet.core.drawing import CENTER, center_of_mass
from visnet.core.network import Network
from visnet.core.sample_pass import SamplePass
from visnet.core.snapshot import take_snapshot
from visnet.core.training import TrainConfig, Trainer


@pytest.fixture(scope="module")
def trained_snapshot():
    """A 784-30-10 trained for three epochs on the embedded training set (about a second)."""
    from visnet.data.embedded import load_embedded

    d = load_embedded()
    net = Network([784, 30, 10], output="softmax", seed=0)
    trainer = Trainer(net, d.x_train, d.y_train, d.x_test, d.y_test, TrainConfig(eta=0.5, epochs=3, seed=0))
    for _ in range(3):
        trainer.run_epoch()
    assert trainer.evaluate().accuracy > 0.85
    return take_snapshot(trainer, state="idle")


@pytest.fixture
def panel(qtbot, trained_snapshot):
    panel = DrawDigitPanel()
    qtbot.addWidget(panel)
    panel.resize(640, 420)
    panel.show()
    qtbot.waitExposed(panel)
    panel.show_snapshot(trained_snapshot)
    return panel


def draw_with_mouse(qtbot, canvas, points) -> None:
    """Press at the first canvas point, move through the others, release at the last."""
    pos = [canvas.from_canvas(x, y).toPoint() for x, y in points]
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=pos[0])
    for p in pos[1:]:
        qtbot.mouseMove(canvas, p)
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=pos[-1])


def test_a_vertical_stroke_becomes_a_centred_one(qtbot, panel):
    # Off-centre on purpose: preprocessing must move it to the middle.
    points = [(200, 40 + 20 * k) for k in range(11)]
    draw_with_mouse(qtbot, panel.canvas, points)
    assert not panel.canvas.is_empty()
    image = panel.image()
    assert image.shape == (28, 28) and 0 <= image.min() and image.max() <= 1
    r, c = center_of_mass(image)
    assert abs(r - CENTER[0]) <= 1 and abs(c - CENTER[1]) <= 1
    assert image.sum(axis=1).nonzero()[0].size == 20  # fitted to 20 pixels tall
    assert panel.predicted_class() == 1
    assert "Looks like a" in panel.caption() and ">1<" in panel.caption()
    assert panel.output().sum() == pytest.approx(1.0)


def test_strokes_update_the_prediction_while_drawing(qtbot, panel):
    seen = []
    panel.digit_changed.connect(lambda x: seen.append(x.copy()))
    canvas = panel.canvas
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=canvas.from_canvas(140, 40).toPoint())
    for y in range(60, 260, 40):
        qtbot.mouseMove(canvas, canvas.from_canvas(140, y).toPoint())
    qtbot.waitUntil(lambda: len(seen) >= 1, timeout=2000)  # before the button is released
    assert panel.output() is not None
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=canvas.from_canvas(140, 240).toPoint())
    assert seen[-1].shape == (784,)


def test_clear_empties_the_canvas_and_the_answer(qtbot, panel):
    panel.canvas.draw_stroke([(140, 40), (140, 240)])
    assert panel.predicted_class() is not None
    qtbot.mouseClick(panel.clear_button, Qt.MouseButton.LeftButton)
    assert panel.canvas.is_empty() and panel.predicted_class() is None
    assert not panel.image().any()
    assert panel.caption() == "Draw a digit."


def test_brush_size_changes_the_pen(qtbot, panel):
    panel.brush_spin.setValue(40)
    panel.canvas.draw_stroke([(140, 140)])
    wide = int((panel.canvas.array() > 0.5).sum())
    panel.clear()
    panel.brush_spin.setValue(10)
    panel.canvas.draw_stroke([(140, 140)])
    assert int((panel.canvas.array() > 0.5).sum()) < wide / 4


def test_use_as_current_sample_reaches_every_panel(make_main_window, qtbot):
    window = make_main_window()
    window.show_workspace("inside")
    window.draw_dock.raise_()
    canvas = window.draw_panel.canvas
    qtbot.waitExposed(canvas)
    test_image = window.session.sample
    draw_with_mouse(qtbot, canvas, [(140, 40), (140, 140), (140, 240)])
    # Drawing alone changes nothing elsewhere: every panel keeps showing the current sample.
    assert window.session.sample is test_image
    np.testing.assert_array_equal(window.network_view.activations()[0], test_image.x)
    np.testing.assert_array_equal(window.session.drawing, window.draw_panel.sample())
    with qtbot.waitSignal(window.session.sample_changed, timeout=2000):
        qtbot.mouseClick(window.draw_panel.use_button, Qt.MouseButton.LeftButton)
    sample = window.session.sample
    assert sample.source == "drawing" and sample.label is None
    np.testing.assert_array_equal(sample.x, window.draw_panel.sample())
    expected = SamplePass.compute(window.session.snapshot.network, sample)
    np.testing.assert_array_equal(window.network_view.activations()[0], sample.x)
    assert window.network_view.predicted_class() == expected.predicted
    window.session.select_neuron(0, 3)
    qtbot.waitUntil(lambda: "z" in window.inspector.equation_label.text(), timeout=3000)
    # The Current sample panel shows the drawing and the network's answer for it...
    panel = window.sample_panel
    np.testing.assert_array_equal(panel.output(), expected.output)
    assert panel.caption().startswith("Drawn: looks like")
    # ...until the user moves on to a test image again.
    panel.next_sample()
    assert window.session.sample.source == "test"


def test_empty_canvas_is_not_sent(qtbot, panel):
    with qtbot.assertNotEmitted(panel.use_requested):
        qtbot.mouseClick(panel.use_button, Qt.MouseButton.LeftButton)


def test_class_labels_never_overlap_in_a_small_dock(qtbot, panel):
    panel.canvas.draw_stroke([(140, 60), (140, 220)])

    def label_rects():
        image = QImage(10, 10, QImage.Format.Format_ARGB32)
        painter = QPainter(image)
        try:
            return [rect for rect, _, _ in panel.class_axis().generateDrawSpecs(painter)[2]]
        finally:
            painter.end()

    panel.resize(640, 640)
    qtbot.waitUntil(lambda: len(label_rects()) == 10)  # room for all
    panel.resize(220, 230)
    qtbot.waitUntil(lambda: len(label_rects()) < 10)
    rects = label_rects()
    assert len(rects) >= 2
    assert not any(a.intersects(b) for k, a in enumerate(rects) for b in rects[k + 1 :])


def test_reset_forgets_the_networks_bars(panel):
    panel.canvas.draw_stroke([(140, 60), (140, 220)])
    panel.update_prediction()
    assert panel.output() is not None
    panel.set_class_names(("zero", "one"))
    panel.reset()
    assert panel.output() is None
    assert panel.class_axis().names() == ("zero", "one")


def snapshot_reading(side: int):
    """A snapshot of an untrained network reading side x side pictures."""
    rng = np.random.default_rng(0)
    x, y = rng.random((20, side * side), dtype=np.float32), np.arange(20) % 10
    trainer = Trainer(Network([side * side, 10], output="softmax", seed=0), x, y, x, y, TrainConfig(seed=0))
    return take_snapshot(trainer, state="idle")


@pytest.mark.parametrize("side", [8, 16, 28])
def test_the_pen_draws_a_stroke_about_two_pixels_wide_at_every_picture_size(qtbot, side):
    panel = DrawDigitPanel()
    qtbot.addWidget(panel)
    panel.show_snapshot(snapshot_reading(side))
    assert panel.field_shape() == (side, side)
    panel.canvas.draw_stroke([(140, 40), (140, 240)])  # a "1", 200 canvas pixels tall
    panel.update_prediction()
    ink_per_row = panel.image().sum(axis=1)
    inked = ink_per_row[ink_per_row > 0.05]
    middle = inked[1:-1] if inked.size > 2 else inked  # the pen's round ends are thinner
    assert 1.5 <= middle.mean() <= 3.0, (side, middle)
