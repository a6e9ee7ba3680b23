"""The representation map panel: it shows what core.representation computes for the moment
the session shows (the timeline included), rings the mistakes, colours by class in either
palette, and a click on a point makes it the session's current sample; the playground's
test points are mapped the same way."""

from __future__ import annotations

import numpy as np
import pytest
from playground_nets import snapshot_of, toy
from PySide6.QtCore import Qt

from visnet.app import colors
from visnet.app.panels import representation_map
from visnet.app.panels.representation_map import RepresentationMapPanel
from visnet.app.session import Session
from visnet.app.training.controller import TrainingController
from visnet.core.network import Network
from visnet.core.representation import TSNE_MISSING, every_layer, project
from visnet.core.snapshot import take_snapshot
from visnet.core.targets import predict_classes
from visnet.core.training import TrainConfig, Trainer


@pytest.fixture
def data(embedded_mnist):
    return embedded_mnist.subset(300, 150)


@pytest.fixture
def trainer(data):
    net = Network((784, 16, 12, 10), seed=0)
    return Trainer(net, data.x_train, data.y_train, data.x_test, data.y_test, TrainConfig(eta=1.0, batch_size=10))


@pytest.fixture
def session(qtbot, data):
    s = Session(TrainingController(use_process=False))
    s.set_dataset(data, "embedded")
    return s


def make_panel(qtbot, session):
    p = RepresentationMapPanel(session=session)
    qtbot.addWidget(p)
    p.resize(520, 480)
    p.show()
    qtbot.waitExposed(p)
    return p


@pytest.fixture
def panel(qtbot, session):
    return make_panel(qtbot, session)


def moment(session, trainer, steps, state="paused"):
    """Train `steps` mini-batches and show the moment, as the window does."""
    for _ in range(steps):
        trainer.step()
    snap = take_snapshot(trainer, state=state)
    session.timeline.add(snap)
    session.show_snapshot(snap)
    return snap


def drawn(panel, snap):
    panel.show_snapshot(snap)
    panel.refresh_now()


def assert_same_map_up_to_turning(coords, reference):
    """coords == reference @ R for an orthogonal R (the map is turned to follow the previous one)."""
    r, *_ = np.linalg.lstsq(reference, coords, rcond=None)
    np.testing.assert_allclose(r @ r.T, np.eye(2), atol=1e-4)
    scale = np.abs(reference).max()
    np.testing.assert_allclose(reference @ r, coords, atol=1e-4 * scale)


def test_the_map_is_the_core_pca_of_the_moment_shown_also_looking_back(qtbot, session, trainer, panel, data):
    early = moment(session, trainer, 5)
    drawn(panel, early)
    late = moment(session, trainer, 60)
    drawn(panel, late)
    for snap in (late, early):
        if snap is early:
            session.look_at(session.timeline.index_of(early.step))
            assert session.snapshot is early
            drawn(panel, session.snapshot)
        assert panel.shown_snapshot() is snap
        layer = panel.layer()
        assert layer == 2  # the last hidden layer by default
        acts = every_layer(snap.network, data.x_test)[layer]
        np.testing.assert_allclose(panel.activations(), acts, rtol=1e-5, atol=1e-6)
        p = panel.projection()
        reference = project(acts)
        assert_same_map_up_to_turning(p.coords, reference.coords)
        np.testing.assert_allclose(p.explained, reference.explained, rtol=1e-6)
        predicted = predict_classes(snap.activations[-1], snap.network.forward(data.x_test))
        np.testing.assert_array_equal(panel.ringed(), np.flatnonzero(predicted != data.y_test))
        assert panel.layer_chooser.currentText() == "hidden layer 2 (12)"
        wrong = len(panel.ringed())
        assert f"150 test images, {wrong} wrong" in panel.caption.text()
        assert f"{round(100 * p.explained.sum())}% of the" in panel.caption.text()
    assert not np.allclose(every_layer(early.network, data.x_test)[2], every_layer(late.network, data.x_test)[2])


def isolated_point(panel) -> int:
    """A point far from every other on screen, so a click at it is unambiguous."""
    coords = panel.projection().coords
    centre = coords.mean(axis=0)
    return int(np.argmax(np.linalg.norm(coords - centre, axis=1)))


def test_a_click_on_a_point_makes_it_the_current_sample(qtbot, session, trainer, panel, data):
    drawn(panel, moment(session, trainer, 20))
    i = isolated_point(panel)
    assert session.sample.index != i
    with qtbot.waitSignal(session.sample_changed, timeout=2000):
        qtbot.mouseClick(panel.graphics_view().viewport(), Qt.MouseButton.LeftButton, pos=panel.point_widget_pos(i))
    assert session.sample.source == "test" and session.sample.index == i
    assert panel.current_point() == i  # ringed as the current sample
    session.choose_test_sample(3)  # chosen anywhere else: the ring follows
    assert panel.current_point() == 3


def test_hover_shows_the_image_true_class_and_prediction(qtbot, session, trainer, panel, data):
    drawn(panel, moment(session, trainer, 20))
    i = isolated_point(panel)
    qtbot.mouseMove(panel.graphics_view().viewport(), panel.point_widget_pos(i))
    qtbot.waitUntil(lambda: f"test image {i}" in panel.hover_text(), timeout=2000)
    text = panel.hover_text()
    assert f"true {data.y_test[i]}" in text
    right = panel.predicted()[i] == data.y_test[i]
    assert f">{panel.predicted()[i]}</b> ({'right' if right else 'wrong'}, " in text
    assert not panel.picture.pixmap().isNull()


def test_the_layer_chooser_maps_each_layer(qtbot, session, trainer, panel, data):
    snap = moment(session, trainer, 10)
    drawn(panel, snap)
    chooser = panel.layer_chooser
    assert [chooser.itemText(k) for k in range(chooser.count())] == [
        "input (784)",
        "hidden layer 1 (16)",
        "hidden layer 2 (12)",
        "outputs (10)",
    ]
    acts = every_layer(snap.network, data.x_test)
    for layer in (0, 1, 3):
        with qtbot.waitSignal(panel.map_drawn, timeout=2000):
            chooser.setCurrentIndex(layer)
        np.testing.assert_allclose(panel.activations(), acts[layer], rtol=1e-5, atol=1e-6)
        assert_same_map_up_to_turning(panel.projection().coords, project(acts[layer]).coords)
        assert panel.layer_chooser.currentText() == chooser.itemText(layer)
    moment(session, trainer, 5)
    drawn(panel, session.snapshot)
    assert panel.layer() == 3  # training on keeps the layer chosen


def test_points_take_their_class_colour_in_both_palettes(qtbot, session, trainer, panel, data):
    drawn(panel, moment(session, trainer, 5))
    try:
        for name in (colors.STANDARD, colors.COLOUR_BLIND_SAFE):
            colors.set_palette(name)
            expected = colors.class_colors(10)
            shown = panel.point_brushes()
            assert len(shown) == len(data.y_test)
            assert all(shown[i] == expected[data.y_test[i]] for i in range(len(shown)))
        assert len({c.rgb() for c in colors.class_colors(10)}) == 10
    finally:
        colors.set_palette(colors.STANDARD)


def test_the_playground_maps_the_hidden_layers_view_of_the_test_points(qtbot):
    data = toy(name="circle", n_points=160)
    session = Session(TrainingController(use_process=False))
    session.set_dataset(data, "circle")
    panel = make_panel(qtbot, session)
    net = Network((2, 8, 6, 1), "tanh", output="sigmoid", seed=0)
    snap = snapshot_of(net, data, steps=40)
    session.show_snapshot(snap)
    drawn(panel, snap)
    assert panel.layer() == 2
    acts = every_layer(snap.network, data.x_test)
    np.testing.assert_allclose(panel.activations(), acts[2], rtol=1e-5, atol=1e-6)
    assert panel.projection().n == data.n_test
    assert_same_map_up_to_turning(panel.projection().coords, project(acts[2]).coords)
    predicted = predict_classes("sigmoid", snap.network.forward(data.x_test))
    np.testing.assert_array_equal(panel.ringed(), np.flatnonzero(predicted != data.y_test))
    shown = panel.point_brushes()
    assert all(shown[i] == colors.TWO_CLASS_COLORS[data.y_test[i]] for i in range(len(shown)))
    assert not panel.picture.isVisible()  # points have no picture: their values are written
    i = isolated_point(panel)
    qtbot.mouseMove(panel.graphics_view().viewport(), panel.point_widget_pos(i))
    qtbot.waitUntil(lambda: f"test point {i}" in panel.hover_text(), timeout=2000)
    assert "x₁ = " in panel.hover_text()
    with qtbot.waitSignal(session.sample_changed, timeout=2000):
        qtbot.mouseClick(panel.graphics_view().viewport(), Qt.MouseButton.LeftButton, pos=panel.point_widget_pos(i))
    assert session.sample.index == i and panel.current_point() == i
    panel.set_layer(3)  # the single output neuron: the points lie on a line (turned as the map before)
    s = np.linalg.svd(panel.projection().coords, compute_uv=False)
    assert s[1] < 1e-9 * s[0]


def test_without_open_tsne_the_button_names_the_extra(qtbot, session, trainer, panel, monkeypatch):
    monkeypatch.setattr(representation_map, "tsne_available", lambda: False)
    drawn(panel, moment(session, trainer, 5))
    qtbot.mouseClick(panel.tsne_button, Qt.MouseButton.LeftButton)
    assert panel.message.isVisible() and panel.message.text() == TSNE_MISSING
    assert "pip install 'visnet[tsne]'" in TSNE_MISSING
    assert panel.map_kind() == "PCA" and not panel.tsne_running()


def test_a_tsne_map_is_made_off_the_gui_thread_and_pca_brings_the_live_map_back(qtbot, session, trainer, panel, data):
    pytest.importorskip("openTSNE")
    snap = moment(session, trainer, 20)
    drawn(panel, snap)
    pca = panel.coords()
    try:
        qtbot.mouseClick(panel.tsne_button, Qt.MouseButton.LeftButton)
        assert panel.tsne_running() and panel.tsne_progress.isVisible() and panel.cancel_button.isVisible()
        assert not panel.tsne_button.isEnabled()
        qtbot.waitUntil(lambda: panel.map_kind() == "t-SNE", timeout=60_000)
        assert not panel.tsne_progress.isVisible() and panel.tsne_button.text() == "PCA"
        tsne = panel.coords()
        assert tsne.shape == pca.shape and not np.allclose(tsne, pca)
        assert f"t-SNE of step {snap.step:,}" in panel.caption.text()
        drawn(panel, moment(session, trainer, 5))  # training goes on: the t-SNE map stays, of its moment
        np.testing.assert_array_equal(panel.coords(), tsne)
        i = isolated_point(panel)
        with qtbot.waitSignal(session.sample_changed, timeout=2000):
            qtbot.mouseClick(panel.graphics_view().viewport(), Qt.MouseButton.LeftButton, pos=panel.point_widget_pos(i))
        assert session.sample.index == i
        qtbot.mouseClick(panel.tsne_button, Qt.MouseButton.LeftButton)  # PCA: the live map again
        assert panel.map_kind() == "PCA" and panel.shown_snapshot() is session.snapshot
        acts = every_layer(session.snapshot.network, data.x_test)[panel.layer()]
        assert_same_map_up_to_turning(panel.coords(), project(acts).coords)
    finally:
        panel.shutdown()


def test_cancel_stops_a_tsne_map_and_keeps_the_pca_map(qtbot, session, trainer, panel, monkeypatch):
    pytest.importorskip("openTSNE")
    drawn(panel, moment(session, trainer, 5))
    pca = panel.coords()
    try:
        assert panel.start_tsne()
        qtbot.mouseClick(panel.cancel_button, Qt.MouseButton.LeftButton)
        assert not panel.tsne_running() and not panel.tsne_progress.isVisible() and panel.tsne_button.isEnabled()
        qtbot.wait(300)
        assert panel.map_kind() == "PCA"
        np.testing.assert_array_equal(panel.coords(), pca)
    finally:
        assert panel.tsne.shutdown()


def test_a_drawn_digit_is_ringed_where_its_activations_put_it(qtbot, session, trainer, panel, data):
    drawn(panel, moment(session, trainer, 20))
    session.use_drawing(data.x_test[7].copy())  # the drawing is test image 7: it lands on point 7
    assert session.sample.source == "drawing" and panel.current_point() is None
    np.testing.assert_allclose(panel.current_place(), panel.coords()[7], atol=1e-4 * np.abs(panel.coords()).max())
    session.use_drawing(np.zeros(784, np.float32))  # a blank canvas: somewhere else
    assert not np.allclose(panel.current_place(), panel.coords()[7])


def test_an_exported_picture_leaves_out_the_hover_caption(qtbot, session, trainer, panel):
    drawn(panel, moment(session, trainer, 5))
    panel.set_hint_visible(False)
    assert not panel.hover_label.isVisible() and not panel.picture.isVisible()
    panel.set_hint_visible(True)
    assert panel.hover_label.isVisible() and panel.picture.isVisible()
