"""SamplePanel: navigation, misclassified-only mode, signals, outputs as bars."""

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPainter

from visnet.app.panels.sample import SamplePanel
from visnet.core.network import Network
from visnet.core.snapshot import take_snapshot
from visnet.core.training import TrainConfig, Trainer

CLASSES = tuple("0123456789")


def data(n=120, n_in=784, seed=5):
    rng = np.random.default_rng(seed)
    return rng.random((n, n_in), dtype=np.float32), rng.integers(0, 10, n)


def snapshot(x, y, steps=20, **net_kwargs):
    trainer = Trainer(Network((x.shape[1], 16, 10), seed=0, **net_kwargs), x, y, config=TrainConfig(eta=0.5))
    for _ in range(steps):
        trainer.step()
    return take_snapshot(trainer)


@pytest.fixture
def panel(qtbot):
    p = SamplePanel()
    qtbot.addWidget(p)
    p.resize(700, 450)
    p.show()
    return p


def test_arrows_move_through_the_test_split(qtbot, panel):
    x, y = data()
    with qtbot.waitSignal(panel.sample_changed) as blocker:
        panel.set_dataset(x, y, CLASSES)
    assert blocker.args == [0]
    with qtbot.waitSignal(panel.sample_changed) as blocker:
        qtbot.mouseClick(panel._next_button, Qt.MouseButton.LeftButton)
    assert blocker.args == [1] and panel.current_index() == 1
    qtbot.mouseClick(panel._previous_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(panel._previous_button, Qt.MouseButton.LeftButton)
    assert panel.current_index() == len(x) - 1  # wraps around
    panel.set_index(42)
    assert panel._index_box.value() == 42
    np.testing.assert_array_equal(panel.current_sample()[0], x[42])
    with qtbot.waitSignal(panel.sample_changed) as blocker:
        panel._index_box.setValue(7)  # typing an index
    assert blocker.args == [7]


def test_setting_the_same_index_does_not_emit(qtbot, panel):
    x, y = data()
    panel.set_dataset(x, y, CLASSES)
    panel.set_index(3)
    with qtbot.assertNotEmitted(panel.sample_changed):
        panel.set_index(3)


def test_misclassified_only_visits_only_wrong_answers(qtbot, panel):
    x, y = data()
    snap = snapshot(x, y)
    wrong = np.flatnonzero(snap.network.predict(x) != y)
    assert 0 < wrong.size < len(x)
    panel.set_dataset(x, y, CLASSES)
    panel.show_snapshot(snap)
    panel.set_misclassified_only(True)
    np.testing.assert_array_equal(panel.misclassified(), wrong)
    assert panel.current_index() in wrong
    visited = []
    for _ in range(wrong.size):
        with qtbot.waitSignal(panel.sample_changed):
            qtbot.mouseClick(panel._next_button, Qt.MouseButton.LeftButton)
        visited.append(panel.current_index())
    assert set(visited) == set(wrong.tolist())
    panel.previous_sample()
    assert panel.current_index() in wrong
    panel._index_box.stepBy(1)  # the spin box arrows skip the same way
    assert panel.current_index() in wrong


def test_bars_show_the_output_and_the_prediction(panel):
    x, y = data()
    snap = snapshot(x, y)
    panel.set_dataset(x, y, CLASSES)
    panel.show_snapshot(snap)
    panel.set_index(5)
    out = snap.network.forward(x[5])[0]
    np.testing.assert_allclose(panel.output(), out, rtol=1e-6)
    np.testing.assert_allclose(panel._bars.opts["width"], out, rtol=1e-6)
    predicted = CLASSES[int(np.argmax(out))]
    assert "Looks like" in panel._caption.text and f">{predicted}<" in panel._caption.text
    assert "probability" in panel._bar_plot.getAxis("bottom").labelText


def test_outputs_that_are_not_probabilities_are_labelled(panel):
    x, y = data()
    panel.set_dataset(x, y, CLASSES)
    panel.show_snapshot(snapshot(x, y, output="sigmoid", cost="quadratic"))
    assert "not a probability" in panel._bar_plot.getAxis("bottom").labelText
    assert "a = " in panel._caption.text


def test_reset_and_mismatched_inputs(panel):
    x, y = data()
    panel.set_dataset(x, y, CLASSES)
    panel.show_snapshot(snapshot(x, y))
    panel.reset()
    assert panel.output() is None
    small_x, small_y = data(n_in=30)
    panel.show_snapshot(snapshot(small_x, small_y))  # a network for other inputs: no crash
    assert panel.output() is None
    assert "expects 30" in panel._caption.text


def tick_label_rects(axis):
    """The rectangles of the labels the axis draws now."""
    image = QImage(10, 10, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        _, _, texts = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    return [rect for rect, _, _ in texts]


def assert_apart(rects):
    for k, a in enumerate(rects):
        for b in rects[k + 1 :]:
            assert not a.intersects(b), (a, b)


def test_class_labels_never_overlap_in_a_small_dock(qtbot, panel):
    x, y = data()
    panel.set_dataset(x, y, CLASSES)
    panel.show_snapshot(snapshot(x, y))
    assert len(tick_label_rects(panel.class_axis())) == 10  # room for all
    panel.resize(220, 190)
    qtbot.waitUntil(lambda: len(tick_label_rects(panel.class_axis())) < 10)
    rects = tick_label_rects(panel.class_axis())
    assert len(rects) >= 2
    assert_apart(rects)


def test_the_value_of_a_confident_answer_stays_in_a_narrow_plot(qtbot, panel):
    x, y = data()
    snap = snapshot(x, y, steps=200)
    confident = int(np.argmax(snap.network.forward(x).max(axis=1)))
    panel.set_dataset(x, y, CLASSES)
    panel.show_snapshot(snap)
    panel.set_index(confident)
    view = panel._bar_plot.getViewBox()
    for width, plot_is_narrow in ((700, False), (220, True)):
        panel.resize(width, 300)
        qtbot.waitUntil(lambda narrow=plot_is_narrow: (view.width() < 200) == narrow)
        panel.grab()  # a text item places itself when painted
        text = panel._predicted_text.textItem
        assert text.isVisible()
        assert view.sceneBoundingRect().contains(text.mapRectToScene(text.boundingRect())), panel.value_text()
