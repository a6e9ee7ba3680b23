"""The panels bound to one Session: they show the session's sample with its one shared
forward pass, so their numbers agree, and they write the user's choices back to it."""

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt

from visnet.app.panels.drawing import DrawDigitPanel
from visnet.app.panels.network_view import NetworkView
from visnet.app.panels.sample import SamplePanel
from visnet.app.panels.surface import DecisionSurfacePanel
from visnet.app.panels.weights import WeightMosaicPanel
from visnet.app.plane import Plane
from visnet.app.session import Session
from visnet.app.training.controller import TrainingController
from visnet.core.edits import EditHistory
from visnet.core.network import Network
from visnet.core.sample_pass import SamplePass
from visnet.core.snapshot import take_snapshot
from visnet.core.training import TrainConfig, Trainer
from visnet.data.toy2d import make_toy2d


@pytest.fixture
def data(embedded_mnist):
    return embedded_mnist.subset(300, 40)


@pytest.fixture
def trainer(data):
    net = Network((784, 16, 10), seed=0)
    t = Trainer(net, data.x_train, data.y_train, data.x_test, data.y_test, TrainConfig(eta=0.5, batch_size=10))
    for _ in range(5):
        t.step()
    return t


@pytest.fixture
def session(qtbot, data):
    s = Session(TrainingController(use_process=False))
    s.set_dataset(data, "embedded")
    return s


@pytest.fixture
def panels(qtbot, session):
    made = {
        "view": NetworkView(session=session),
        "sample": SamplePanel(session=session),
        "draw": DrawDigitPanel(session=session),
        "weights": WeightMosaicPanel(session=session),
        "surface": DecisionSurfacePanel(session=session),
    }
    for panel in made.values():
        qtbot.addWidget(panel)
        panel.resize(700, 450)
        panel.show()
    return made


def show(session, panels, snap):
    """What the window does every frame."""
    session.show_snapshot(snap)
    for panel in panels.values():
        panel.show_snapshot(snap)


def hover(qtbot, view, layer, index):
    """Point the mouse at a neuron until the view reads it (pyqtgraph drops moves that come
    too fast after another)."""
    viewport, pos = view.graphics_view().viewport(), view.neuron_widget_pos(layer, index)

    def pointed_at():
        qtbot.mouseMove(viewport, pos + QPoint(1, 0))
        qtbot.mouseMove(viewport, pos)
        assert f"neuron {index}" in view.hover_text()

    qtbot.waitUntil(pointed_at, timeout=2000)


def assert_agree(session, panels, snap):
    expected = SamplePass.compute(snap.network, session.sample)
    view, sample = panels["view"], panels["sample"]
    np.testing.assert_array_equal(view.activations()[-1], expected.output)
    np.testing.assert_array_equal(sample.output(), expected.output)
    assert view.predicted_class() == sample.predicted_class() == expected.predicted


def test_choosing_a_test_sample_shows_one_shared_pass(session, panels, trainer):
    snap = take_snapshot(trainer)
    show(session, panels, snap)
    for i in (3, 17):
        before = session.sample_passes
        session.choose_test_sample(i)
        assert_agree(session, panels, snap)
        assert session.sample_passes == before + 1  # computed once, for every panel
        assert panels["sample"].current_index() == i


def test_a_new_snapshot_updates_every_caption_alike(session, panels, trainer):
    session.choose_test_sample(5)
    show(session, panels, take_snapshot(trainer))
    for _ in range(20):
        trainer.step()
    snap = take_snapshot(trainer)
    show(session, panels, snap)
    assert_agree(session, panels, snap)


def test_the_sample_panel_arrows_choose_through_the_session(qtbot, session, panels, trainer):
    show(session, panels, take_snapshot(trainer))
    sample = panels["sample"]
    with qtbot.waitSignal(session.sample_changed):
        qtbot.mouseClick(sample._next_button, Qt.MouseButton.LeftButton)
    assert session.sample.index == 1 and sample.current_index() == 1
    sample.set_index(9)
    assert session.sample.index == 9


def test_a_drawing_is_used_only_when_asked(qtbot, session, panels, trainer):
    snap = take_snapshot(trainer)
    show(session, panels, snap)
    session.choose_test_sample(2)
    test_output = panels["view"].activations()[-1]
    draw = panels["draw"]
    with qtbot.waitSignal(session.drawing_changed):
        draw.canvas.draw_stroke([(140, 60), (140, 220)])
    np.testing.assert_array_equal(session.drawing, draw.sample())
    # No preview: the network view still shows the current sample, the test image.
    np.testing.assert_array_equal(panels["view"].activations()[-1], test_output)
    with qtbot.waitSignal(session.sample_changed):
        qtbot.mouseClick(draw.use_button, Qt.MouseButton.LeftButton)
    assert session.sample.source == "drawing"
    np.testing.assert_array_equal(session.sample.x, draw.sample())
    assert_agree(session, panels, snap)
    assert "Drawn" in panels["sample"].caption()
    session.use_drawing(np.zeros(784, np.float32))  # any drawn digit, given by the window
    assert_agree(session, panels, snap)
    draw.clear()
    assert session.drawing is None


def test_clicking_a_neuron_selects_it_everywhere(qtbot, session, panels, trainer):
    show(session, panels, take_snapshot(trainer))
    view, weights = panels["view"], panels["weights"]
    with qtbot.waitSignal(view.neuron_selected):
        qtbot.mouseClick(view.graphics_view().viewport(), Qt.MouseButton.LeftButton, pos=view.neuron_widget_pos(0, 7))
    assert session.neuron == (0, 7)
    assert weights.selected_neuron() == 7
    qtbot.mouseClick(view.graphics_view().viewport(), Qt.MouseButton.LeftButton, pos=view.neuron_widget_pos(1, 4))
    assert session.neuron == (1, 4) and weights.selected_neuron() is None  # not a first-layer neuron
    qtbot.mouseClick(weights.graphics_view().viewport(), Qt.MouseButton.LeftButton, pos=weights.tile_widget_pos(11))
    assert session.neuron == (0, 11) and view.selected_neuron() == (0, 11)


def test_a_switched_off_neuron_is_drawn_off(qtbot, session, panels, trainer):
    EditHistory(trainer.net).ablate(0, 3)
    snap = take_snapshot(trainer)
    session.choose_test_sample(0)
    show(session, panels, snap)
    view = panels["view"]
    np.testing.assert_array_equal(view.switched_off(0), [3])
    assert view.activations()[1][3] == 0
    assert_agree(session, panels, snap)
    hover(qtbot, view, 0, 3)
    assert "layer 1 neuron 3" in view.hover_text() and "switched off (a = 0)" in view.hover_text()
    hover(qtbot, view, 0, 4)
    assert "layer 1 neuron 4" in view.hover_text() and "switched off" not in view.hover_text()


def test_a_playground_data_set_reaches_every_panel(session, panels):
    toy = make_toy2d("xor", n_points=80, noise=0.2, seed=0)
    features = ("x1_x2",)
    plane = Plane(features, toy.extent)
    session.set_dataset(toy.as_dataset(features), "xor+x1_x2", toy, plane, features)
    assert panels["view"].plane() is plane
    assert panels["sample"].input_labels() == ("x₁", "x₂", "x₁x₂")
    assert panels["weights"].input_labels() == ()  # matrix names come with the first snapshot
    x = session.sample.x
    assert panels["surface"].current_point() == pytest.approx((x[0], x[1]))
    session.use_point(np.array([0.5, -1.0, -0.5], np.float32))
    assert panels["surface"].current_point() == pytest.approx((0.5, -1.0))
    assert "Point" in panels["sample"].caption()
    net = Network((3, 4, 1), "tanh", output="sigmoid", seed=0)
    show(session, panels, take_snapshot(Trainer(net, toy.as_dataset(features).x_train, toy.y_train)))
    assert panels["view"].draws_tiles()
    assert_agree(session, panels, session.snapshot)


def test_misclassified_only_steps_through_the_session(qtbot, session, panels, trainer):
    snap = take_snapshot(trainer)
    show(session, panels, snap)
    sample = panels["sample"]
    sample.set_misclassified_only(True)
    wrong = sample.misclassified()
    assert wrong.size
    assert session.sample.index in wrong
    sample.next_sample()
    assert session.sample.index in wrong and sample.current_index() == session.sample.index
    assert_agree(session, panels, snap)


def test_a_new_data_set_lets_the_session_choose_the_sample(qtbot, session, panels, data):
    sample = panels["sample"]
    session.choose_test_sample(7)
    with qtbot.assertNotEmitted(sample.sample_changed):
        session.set_dataset(data, "embedded", keep_sample=True)
    assert sample.current_index() == 7
    with qtbot.assertNotEmitted(sample.sample_changed):
        session.set_dataset(data, "embedded")
    assert session.sample.index == 0 and sample.current_index() == 0
