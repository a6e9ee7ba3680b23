"""The neuron inspector and hand edits, driven through the real main window."""

from __future__ import annotations

import dataclasses

import numpy as np
import pyqtgraph as pg
import pytest
from gallery_layout import assert_captions_clear_of_pictures
from PySide6.QtCore import Qt

from visnet.app.neuron_history import NeuronHistory
from visnet.app.panels.neuron_inspector import K_EXAMPLES
from visnet.core.edits import Edit, accuracy_change
from visnet.core.network import Network
from visnet.core.neuron_analysis import layer_activations
from visnet.core.snapshot import Snapshot, take_snapshot
from visnet.core.training import TrainConfig, Trainer
from visnet.io import load_model
from visnet.resources import EXAMPLE_MODEL, resource_path


@pytest.fixture
def trained_model_path(tmp_path, small_mnist):
    """The shipped example model, or (if not built) a quickly trained 784-16-16-10."""
    try:
        return resource_path(EXAMPLE_MODEL)
    except FileNotFoundError:
        from visnet.core.training import TrainConfig, Trainer
        from visnet.io import save_model

        net = Network([784, 16, 16, 10], output="softmax", seed=0)
        d = small_mnist
        trainer = Trainer(net, d.x_train, d.y_train, d.x_test, d.y_test, TrainConfig(eta=0.5, epochs=10))
        for _ in range(10):
            trainer.run_epoch()
        return save_model(net, tmp_path / "trained.safetensors")


def click(qtbot, graphics, pos):
    qtbot.mouseClick(graphics.viewport(), Qt.MouseButton.LeftButton, pos=pos)


def test_clicking_a_mosaic_tile_selects_that_neuron_in_the_inspector(make_main_window, qtbot):
    window = make_main_window()
    panel = window.weights_panel
    qtbot.waitUntil(lambda: panel.mosaic_image() is not None, timeout=3000)
    click(qtbot, panel.graphics_view(), panel.tile_widget_pos(5))
    assert window.session.neuron == (0, 5) and window.inspector.neuron() == (0, 5)
    assert "Look inside" in window.statusBar().currentMessage()
    window.show_workspace("inside")
    assert window.inspector_dock.isVisible()
    qtbot.waitUntil(lambda: "neuron 5 of hidden layer 1" in window.inspector.title_label.text(), timeout=3000)
    assert window.inspector.layer_spin.value() == 1 and window.inspector.neuron_spin.value() == 5
    # ... and the incoming weights picture is that neuron's row of weights[0].
    w = window.controller.latest_snapshot.weights[0][5]
    np.testing.assert_array_equal(window.inspector.weights_image.image, w.reshape(28, 28))


def test_clicking_a_neuron_in_the_network_view_selects_it(make_main_window, qtbot):
    window = make_main_window()
    view = window.network_view
    qtbot.waitUntil(lambda: view.predicted_class() is not None, timeout=3000)
    click(qtbot, view.graphics_view(), view.neuron_widget_pos(1, 7))
    assert window.inspector.neuron() == (1, 7)


def test_spin_boxes_select_a_neuron_everywhere(make_main_window, qtbot):
    window = make_main_window()
    qtbot.waitUntil(lambda: window.controller.latest_snapshot is not None, timeout=3000)
    window.show_workspace("inside")
    window.inspector.refresh_now()
    window.inspector.layer_spin.setValue(3)  # the output layer
    window.inspector.neuron_spin.setValue(4)
    assert window.inspector.neuron() == (2, 4)
    assert "output neuron 4" in window.inspector.title_label.text()
    assert not window.inspector.ablate_button.isEnabled()  # an output neuron has no outgoing weights


@pytest.mark.parametrize("layer, j", [(0, 3), (1, 11), (2, 7)])
def test_top_activating_images_are_the_true_top_k(make_main_window, qtbot, layer, j):
    window = make_main_window()
    qtbot.waitUntil(lambda: window.controller.latest_snapshot is not None, timeout=3000)
    window.inspector.select_neuron(layer, j)
    snap = window.controller.latest_snapshot
    a = layer_activations(snap.network, window.dataset.x_test)[layer][:, j]
    expected_top = np.argsort(-a, kind="stable")[:K_EXAMPLES]
    expected_bottom = np.argsort(a, kind="stable")[:K_EXAMPLES]
    np.testing.assert_array_equal(window.inspector.top_indices(), expected_top)
    np.testing.assert_array_equal(window.inspector.bottom_indices(), expected_bottom)
    assert window.inspector.stats().values.shape == (window.dataset.n_test,)


def test_clicking_a_top_image_makes_it_the_current_sample(make_main_window, qtbot):
    window = make_main_window()
    qtbot.waitUntil(lambda: window.controller.latest_snapshot is not None, timeout=3000)
    window.show_workspace("inside")
    window.inspector.tabs.setCurrentIndex(1)  # "Fires on"
    window.session.select_neuron(0, 2)
    gallery = window.inspector.top_gallery
    qtbot.waitUntil(lambda: len(gallery.indices()) > 3, timeout=3000)
    target = int(gallery.indices()[3])
    with qtbot.waitSignal(window.session.sample_changed, timeout=2000):
        click(qtbot, gallery.graphics_view(), gallery.tile_widget_pos(3))
    sample = window.session.sample
    assert (sample.source, sample.index, sample.label) == ("test", target, int(window.dataset.y_test[target]))
    np.testing.assert_array_equal(sample.x, window.dataset.x_test[target])
    assert window.sample_panel.current_index() == target


def test_activation_maximisation_runs_off_the_gui_thread(make_main_window, qtbot):
    window = make_main_window()
    qtbot.waitUntil(lambda: window.controller.latest_snapshot is not None, timeout=3000)
    with qtbot.waitSignal(window.inspector.maximizer.found, timeout=5000) as blocker:
        window.inspector.select_neuron(1, 2)
    layer, j, x = blocker.args
    assert (layer, j) == (1, 2) and x.shape == (784,) and 0 <= x.min() and x.max() <= 1
    np.testing.assert_array_equal(window.inspector.maximum_image_data(), x.reshape(28, 28))


def test_a_new_selection_cancels_the_running_maximisation(make_main_window, qtbot):
    window = make_main_window()
    qtbot.waitUntil(lambda: window.controller.latest_snapshot is not None, timeout=3000)
    found = []
    window.inspector.maximizer.found.connect(lambda layer, j, x: found.append((layer, j)))
    for j in range(6):
        window.inspector.select_neuron(0, j)
    qtbot.waitUntil(lambda: (0, 5) in found, timeout=5000)
    assert found[-1] == (0, 5)


def test_ablating_changes_accuracy_as_the_core_computes_and_undo_restores_bit_identical_weights(
    make_main_window, qtbot, trained_model_path
):
    window = make_main_window(model_path=trained_model_path)
    d = window.dataset
    before = [np.array(a) for a in window.controller.trainer.net.weights + window.controller.trainer.net.biases]
    expected = accuracy_change(window.controller.trainer.net, d.x_test, d.y_test, Edit("ablate", 0, 4))
    window.inspector.select_neuron(0, 4)
    window.inspector.tabs.setCurrentIndex(5)
    qtbot.mouseClick(window.inspector.ablate_button, Qt.MouseButton.LeftButton)

    result = window.editor.last_result
    assert result.edit == Edit("ablate", 0, 4, old=result.edit.old)
    assert result.before.accuracy == expected.before.accuracy
    assert result.after.accuracy == expected.after.accuracy
    assert result.after.accuracy != result.before.accuracy  # a trained neuron matters
    assert f"{100 * expected.after.accuracy:.2f}%" in window.inspector.edit_result_label.text()
    snap = window.controller.latest_snapshot
    assert not snap.weights[1][:, 4].any()  # every panel draws the edited network
    assert snap.evaluation.accuracy == expected.after.accuracy
    assert window.inspector.edit_descriptions() == ["Switch off neuron 4 of layer 1"]
    assert window.undo_action.isEnabled() and window.isWindowModified()

    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    after_undo = window.controller.trainer.net.weights + window.controller.trainer.net.biases
    assert all(np.array_equal(a, b) and a.dtype == b.dtype for a, b in zip(before, after_undo))
    assert window.editor.last_result.after.accuracy == expected.before.accuracy
    assert np.array_equal(window.controller.latest_snapshot.weights[1], before[1])
    assert window.inspector.edit_descriptions() == []

    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert not window.controller.trainer.net.weights[1][:, 4].any()
    assert window.editor.last_result.after.accuracy == expected.after.accuracy


def test_every_kind_of_edit_applies_and_undoes(make_main_window, qtbot):
    window = make_main_window()
    net = window.controller.trainer.net
    original = [np.array(a) for a in net.weights + net.biases]
    window.inspector.select_neuron(1, 3)
    window.inspector.scale_spin.setValue(2.0)
    qtbot.mouseClick(window.inspector.scale_button, Qt.MouseButton.LeftButton)
    np.testing.assert_array_equal(net.weights[1][3], original[1][3] * np.float32(2.0))
    window.inspector.bias_spin.setValue(-1.5)
    qtbot.mouseClick(window.inspector.bias_button, Qt.MouseButton.LeftButton)
    assert net.biases[1][3] == original[4][3] + np.float32(-1.5)
    window.inspector.weight_index_spin.setValue(6)
    window.inspector.weight_value_spin.setValue(0.25)
    qtbot.mouseClick(window.inspector.weight_button, Qt.MouseButton.LeftButton)
    assert net.weights[1][3, 6] == np.float32(0.25)
    assert len(window.editor.applied()) == 3
    for _ in range(3):
        window.undo_action.trigger()
    assert all(np.array_equal(a, b) for a, b in zip(original, net.weights + net.biases))
    assert not window.undo_action.isEnabled() and window.redo_action.isEnabled()


def test_editing_while_training_pauses_training_first(make_main_window, qtbot):
    window = make_main_window()
    qtbot.keyClick(window, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: window.controller.latest_snapshot.step > 20, timeout=5000)
    window.edit_network("ablate", 0, 1)
    assert window.controller.state == "paused"
    qtbot.waitUntil(lambda: not window.controller.has_pending_snapshot(), timeout=3000)
    qtbot.wait(100)  # any snapshot still on its way from the worker arrives
    assert not window.controller.latest_snapshot.weights[1][:, 1].any()
    assert not window.controller.trainer.net.weights[1][:, 1].any()


def test_edits_survive_save_and_reopen(make_main_window, qtbot, tmp_path):
    window = make_main_window()
    window.edit_network("ablate", 0, 2)
    window.edit_network("shift_bias", 1, 5, 0.75)
    edited = [np.array(a) for a in window.controller.trainer.net.weights + window.controller.trainer.net.biases]
    path = tmp_path / "edited.safetensors"
    assert window.save_model_to(path)
    assert not window.isWindowModified()
    saved = load_model(path)
    assert saved.info["edits"] == [
        {"op": "ablate", "layer": 0, "neuron": 2},
        {"op": "shift_bias", "layer": 1, "neuron": 5, "delta": 0.75},
    ]
    assert all(np.array_equal(a, b) for a, b in zip(edited, saved.weights + saved.biases))

    window.new_network(ask=False)
    assert window.editor.applied() == [] and not window.undo_action.isEnabled()
    assert window.open_model(path, ask=False)
    assert window.inspector.edit_descriptions() == [
        "Switch off neuron 2 of layer 1 (saved in the model file)",
        "Shift the bias of neuron 5 of layer 2 by +0.75 (saved in the model file)",
    ]
    # A further edit is saved after the earlier ones.
    window.edit_network("ablate", 0, 7)
    assert window.save_model_to(path)
    assert [e["neuron"] for e in load_model(path).info["edits"]] == [2, 5, 7]


def _snapshot(net: Network, step: int) -> Snapshot:
    return Snapshot(
        tuple(net.sizes),
        tuple(net.activations),
        net.cost,
        tuple(w.copy() for w in net.weights),
        tuple(b.copy() for b in net.biases),
        step,
        0,
        step / 100,
        step,
        100,
        10 * step,
        0.1,
    )


def test_neuron_history_records_norms_and_update_sizes():
    net = Network([4, 3, 2], seed=1)
    history = NeuronHistory(capacity=8)
    history.record(_snapshot(net, 0))
    net.weights[0][1] += 0.5  # four weights each move by 0.5 over 5 steps
    history.record(_snapshot(net, 5))
    epochs, norms, updates, grads = history.series(0, 1)
    assert np.allclose(norms, [np.linalg.norm(net.weights[0][1] - 0.5), np.linalg.norm(net.weights[0][1])])
    assert np.isnan(updates[0]) and updates[1] == pytest.approx(np.sqrt(4 * 0.25) / 5)
    for step in range(6, 20):
        history.record(_snapshot(net, step))
    assert len(history) <= 8  # thinned, never more than capacity
    assert history.series(0, 1)[0][0] == 0.0  # the first row survives thinning


def test_neuron_history_records_each_neurons_gradient_norm():
    rng = np.random.default_rng(0)
    x, y = rng.random((50, 4)), rng.integers(0, 2, 50)
    net = Network([4, 3, 2], seed=1)
    trainer = Trainer(net, x, y, config=TrainConfig(eta=0.1, batch_size=5))
    history = NeuronHistory(capacity=8)
    for _ in range(3):
        batch_x, batch_y, _ = trainer.next_batch()
        grad_w = net.gradients(batch_x, batch_y)[0][0]
        trainer.step()
        history.record(take_snapshot(trainer))
        assert history.series(0, 1)[3][-1] == pytest.approx(np.linalg.norm(grad_w[1]), rel=1e-5)


def test_split_activations_while_training_come_from_a_background_thread(qtbot, small_mnist):
    """wait=False: the GUI thread gets the newest activations already computed at once, and
    `computed` arrives when the asked-for snapshot's are ready (from another thread)."""
    import threading

    from visnet.app.split_activations import SplitActivations

    split = SplitActivations()
    split.set_dataset(small_mnist.x_test, small_mnist.y_test, small_mnist.class_names)
    trainer = Trainer(
        Network([784, 16, 10], seed=0),
        small_mnist.x_train,
        small_mnist.y_train,
        small_mnist.x_test,
        small_mnist.y_test,
        TrainConfig(),
    )
    first = take_snapshot(trainer)
    old = split.activations(first, wait=False)  # nothing ready yet: computed here
    trainer.step()
    second = take_snapshot(trainer)
    threads = []
    real = layer_activations

    def spy(net, x):
        threads.append(threading.current_thread())
        return real(net, x)

    import visnet.app.split_activations as inspection

    inspection.layer_activations, restore = spy, inspection.layer_activations
    try:
        with qtbot.waitSignal(split.computed, timeout=3000):
            assert split.activations(second, wait=False) is old  # the older ones, at once
    finally:
        inspection.layer_activations = restore
    assert threads and threads[0] is not threading.main_thread()
    new = split.activations(second, wait=False)
    expected = layer_activations(second.network, small_mnist.x_test)
    np.testing.assert_allclose(new[-1], expected[-1])
    assert split.activations(second) is new  # cached: no second pass


# -- the playground plane ------------------------------------------------------------------------
from visnet.app.panels.neuron_inspector import NeuronInspector  # noqa: E402
from visnet.app.plane import Plane  # noqa: E402


@pytest.fixture
def plane_inspector(qtbot):
    """A NeuronInspector on a playground 2-4-3-1 (tanh, sigmoid output) with xor-like points."""
    rng = np.random.default_rng(5)
    points = rng.uniform(-6, 6, (120, 2)).astype(np.float32)
    y = (points[:, 0] * points[:, 1] > 0).astype(np.int64)
    net = Network([2, 4, 3, 1], "tanh", output="sigmoid", seed=2)
    trainer = Trainer(net, points, y, points[:60], y[:60], TrainConfig(eta=0.1, batch_size=10))
    for _ in range(30):
        trainer.step()
    inspector = NeuronInspector()
    qtbot.addWidget(inspector)
    inspector.resize(520, 760)
    inspector.show()
    plane = Plane()
    inspector.set_plane(plane)
    inspector.set_dataset(points[:60], y[:60], ("0", "1"))
    inspector.set_sample(points[0], int(y[0]))
    inspector.show_snapshot(take_snapshot(trainer, state="paused"))
    yield inspector, plane, trainer
    inspector.shutdown()


@pytest.mark.parametrize("layer, j", [(0, 1), (1, 2), (2, 0)])
def test_plane_shows_the_neurons_surface_large(plane_inspector, layer, j):
    inspector, plane, trainer = plane_inspector
    inspector.select_neuron(layer, j)
    snap = inspector._snap
    surface = plane.surface_for(snap)
    np.testing.assert_array_equal(inspector.surface_array(), surface.layers[layer][j])
    assert not inspector.weights_graphics.isVisible() and not inspector.maximum_graphics.isVisible()
    # Row 0 of the image is the bottom of the plane: the y axis points up, the image covers the extent.
    assert not inspector.surface_plot.getViewBox().yInverted()
    rect = inspector.surface_image.mapRectToView(inspector.surface_image.boundingRect())
    assert (rect.left(), rect.bottom(), rect.width(), rect.height()) == pytest.approx((-6, 6, 12, 12))
    row0 = inspector.surface_image.mapToView(pg.Point(0.5, 0.5))
    assert row0.y() < 0  # the first row is drawn low
    assert inspector.maximizer.is_running() is False
    assert "already shows what makes it fire" in inspector.maximum_label.text()


def test_plane_incoming_weights_are_named_by_input(plane_inspector):
    inspector, plane, trainer = plane_inspector
    inspector.select_neuron(0, 3)
    ticks = inspector.incoming_plot.getAxis("bottom")._tickLevels[0]
    assert [name for _, name in ticks] == ["x₁", "x₂"]
    np.testing.assert_array_equal(inspector.incoming_bars.bars.opts["height"], inspector._snap.weights[0][3])
    assert "x₁" in inspector.equation_label.text() and "pixel" not in inspector.equation_label.text()


def test_plane_one_output_is_named_by_its_threshold(plane_inspector):
    inspector, plane, trainer = plane_inspector
    inspector.select_neuron(2, 0)
    assert "output neuron 0 “class 1 if a &gt; 0.5”" in inspector.title_label.text()
    inspector.select_neuron(1, 0)
    w = inspector._snap.weights[2][0, 0]
    assert f"towards <b>class {1 if w > 0 else 0}</b>" in inspector.votes_label.text()


def test_every_page_draws_for_a_playground_network(qtbot, plane_inspector):
    inspector, plane, trainer = plane_inspector
    for layer, j in [(0, 0), (1, 1), (2, 0)]:
        inspector.select_neuron(layer, j)
        for t in range(inspector.tabs.count()):
            inspector.tabs.setCurrentIndex(t)
            inspector.grab()
    assert inspector.top_gallery.showing_points()  # points are listed by their coordinates, not drawn
    assert "test points" in inspector.fires_summary.text()


def test_set_plane_none_goes_back_to_pictures(plane_inspector):
    inspector, plane, trainer = plane_inspector
    inspector.select_neuron(0, 0)
    assert inspector.surface_array() is not None
    inspector.set_plane(None)
    assert inspector.surface_array() is None and not inspector.surface_graphics.isVisible()
    inspector.set_plane(Plane(["x1_sq"]))  # a plane with a feature: the 2-input network does not fit it
    assert inspector.surface_array() is None
    inspector.set_plane(Plane())
    assert inspector.surface_array() is not None


# -- bound to a session ------------------------------------------------------------------------
from visnet.app.session import Session  # noqa: E402
from visnet.app.training.controller import TrainingController  # noqa: E402
from visnet.core.edits import EditHistory  # noqa: E402


def trained_snapshot(data, sizes=(784, 16, 10), steps=20) -> Snapshot:
    net = Network(list(sizes), seed=0)
    trainer = Trainer(net, data.x_train, data.y_train, data.x_test, data.y_test, TrainConfig(eta=0.5))
    for _ in range(steps):
        trainer.step()
    return take_snapshot(trainer, state="paused")


def show(session: Session, panel, snap: Snapshot) -> None:
    """What the window does each frame: the session first, then the panel."""
    session.show_snapshot(snap)
    panel.show_snapshot(snap)
    panel.refresh_now()


@pytest.fixture
def bound_inspector(qtbot, small_mnist):
    """A NeuronInspector bound to a session on the small MNIST set, showing a 784-16-10."""
    session = Session(TrainingController(use_process=False))
    session.set_dataset(small_mnist, "embedded")
    inspector = NeuronInspector(session=session)
    qtbot.addWidget(inspector)
    inspector.resize(420, 640)
    inspector.show()
    show(session, inspector, trained_snapshot(small_mnist))
    yield inspector, session
    inspector.shutdown()


def test_a_bound_inspector_follows_the_sessions_neuron_and_writes_its_spin_boxes_back(bound_inspector):
    inspector, session = bound_inspector
    session.select_neuron(0, 7)
    assert inspector.neuron() == (0, 7) and inspector.neuron_spin.value() == 7
    assert "neuron 7 of hidden layer 1" in inspector.title_label.text()
    inspector.layer_spin.setValue(2)  # the output layer
    assert session.neuron == (1, 7)  # the index is kept where the layer has it
    inspector.neuron_spin.setValue(3)
    assert session.neuron == (1, 3) and inspector.neuron() == (1, 3)
    assert "output neuron 3" in inspector.title_label.text()


def test_a_bound_inspectors_equation_shows_the_sessions_shared_pass(bound_inspector, small_mnist):
    inspector, session = bound_inspector
    passes = session.sample_passes
    session.choose_test_sample(5)
    session.select_neuron(0, 2)
    p = session.sample_pass()
    assert p.sample.index == 5
    text = inspector.equation_label.text()
    assert f"z = <b>{float(p.zs[0][2]):+.3f}</b>" in text
    assert f"<b>{float(p.activations[1][2]):.3f}</b>" in text
    assert session.sample_passes == passes + 1  # one pass for the new sample, shared


def test_clicking_a_top_image_chooses_the_sessions_sample(qtbot, bound_inspector):
    inspector, session = bound_inspector
    inspector.tabs.setCurrentIndex(1)  # "Fires on"
    session.select_neuron(0, 2)
    gallery = inspector.top_gallery
    target = int(gallery.indices()[3])
    with qtbot.waitSignal(session.sample_changed, timeout=2000):
        click(qtbot, gallery.graphics_view(), gallery.tile_widget_pos(3))
    assert session.sample.source == "test" and session.sample.index == target


def test_a_bound_inspector_takes_a_new_data_set_from_the_session(bound_inspector, small_mnist):
    inspector, session = bound_inspector
    smaller = small_mnist.subset(1000, 50)
    session.set_dataset(smaller, "embedded")
    inspector.refresh_now()
    assert inspector.stats().values.shape == (50,)
    assert inspector.plane() is None


def test_a_switched_off_neuron_shows_a_zero_and_votes_for_nothing(bound_inspector):
    inspector, session = bound_inspector
    snap = session.snapshot
    net = snap.network.copy()
    EditHistory(net).ablate(0, 4)
    trainer = Trainer(net, np.zeros((1, 784), np.float32), np.zeros(1, np.int64))
    edited = take_snapshot(trainer, state="paused")
    show(session, inspector, edited)
    session.select_neuron(0, 4)
    equation = inspector.equation_label.text()
    assert "a = <b>0</b> (switched off" in equation
    votes = inspector.votes_label.text()
    assert "switched off" in votes and "passes nothing to the next layer" in votes
    assert "pushes most" not in votes
    assert len(inspector.votes_bars.bars.opts["height"]) == 0
    session.select_neuron(0, 5)  # its neighbour still votes
    assert "pushes most" in inspector.votes_label.text()
    assert "switched off" not in inspector.equation_label.text()


def test_the_title_shows_the_step_of_the_snapshot_shown(bound_inspector, small_mnist):
    inspector, session = bound_inspector
    later = trained_snapshot(small_mnist, steps=37)
    show(session, inspector, later)
    assert "(step 37)" in inspector.title_label.text()


def test_top_and_bottom_captions_do_not_overlap_the_pictures(qtbot, bound_inspector):
    inspector, session = bound_inspector
    inspector.tabs.setCurrentIndex(1)  # "Fires on"
    for size in [(420, 640), (420, 520), (700, 1000)]:
        inspector.resize(*size)
        qtbot.waitUntil(lambda: inspector.top_gallery.view_scene_rect().width() > 50, timeout=2000)
        for gallery in (inspector.top_gallery, inspector.bottom_gallery):
            gallery.grab()  # draws the captions at their final place
            assert_captions_clear_of_pictures(gallery)


def test_the_history_tab_asks_for_training_until_there_is_some(bound_inspector, small_mnist):
    inspector, session = bound_inspector
    inspector.tabs.setCurrentIndex(4)  # "History"
    assert inspector.history_message.isVisible()
    assert "Train to record" in inspector.history_message.text()
    (x0, x1), (y0, y1) = inspector.norm_plot.viewRange()
    assert (x0, x1) == pytest.approx((0, 1)) and y0 == pytest.approx(0) and 0 < y1 <= 10
    net = session.snapshot.network.copy()
    trainer = Trainer(net, small_mnist.x_train, small_mnist.y_train, config=TrainConfig(eta=0.5))
    for _ in range(3):
        trainer.step()
        show(session, inspector, take_snapshot(trainer, state="paused"))
    assert not inspector.history_message.isVisible()
    assert len(inspector.norm_curve.getData()[0]) >= 2


def test_the_hint_can_be_left_out_of_pictures(bound_inspector):
    inspector, session = bound_inspector
    inspector.tabs.setCurrentIndex(1)
    assert inspector.fires_hint.isVisible()
    inspector.set_hint_visible(False)
    assert not inspector.fires_hint.isVisible()
    inspector.refresh_now()
    assert not inspector.fires_hint.isVisible()
    inspector.set_hint_visible(True)
    assert inspector.fires_hint.isVisible()


def test_reset_leaves_nothing_of_the_old_network(bound_inspector):
    inspector, session = bound_inspector
    session.choose_test_sample(3)
    session.select_neuron(0, 6)  # draws its weights as a picture
    session.select_neuron(1, 6)  # titles its 16 incoming weights
    assert "16" in inspector.incoming_plot.titleLabel.text
    inspector.reset()
    assert inspector.title_label.text() == "No network yet."
    for label in (inspector.equation_label, inspector.votes_label, inspector.fires_summary):
        assert label.text() == ""
    for image in (inspector.weights_image, inspector.pattern_image, inspector.contribution_image):
        assert image.image is None
    for bars in (inspector.incoming_bars, inspector.contribution_bars, inspector.votes_bars):
        assert len(bars.bars.opts["height"]) == 0
    xs, _ = inspector.histogram_curve.getData()
    assert xs is None or len(xs) == 0
    assert inspector.histogram_plot.viewRange()[0] == pytest.approx([0, 1])
    assert "16" not in inspector.incoming_plot.titleLabel.text  # "its 16 incoming weights" was the old network's
    assert len(inspector.top_indices()) == 0 and len(inspector.bottom_indices()) == 0
    assert inspector.history_message.isVisibleTo(inspector.tabs.widget(4))
    assert inspector.layer_spin.maximum() == 1 and inspector.neuron_spin.maximum() == 0


def test_an_inspector_made_after_the_first_snapshot_draws_it(qtbot, small_mnist):
    session = Session(TrainingController(use_process=False))
    session.set_dataset(small_mnist, "embedded")
    session.show_snapshot(trained_snapshot(small_mnist, steps=12))
    session.select_neuron(0, 3)
    inspector = NeuronInspector(session=session)
    qtbot.addWidget(inspector)
    inspector.refresh_now()
    assert "neuron 3 of hidden layer 1" in inspector.title_label.text() and "(step 12)" in inspector.title_label.text()
    assert "z = <b>" in inspector.equation_label.text()  # the session's sample, test image #0
    inspector.shutdown()


def test_the_most_exciting_input_follows_an_edit_at_the_same_step(qtbot, bound_inspector):
    inspector, session = bound_inspector
    with qtbot.waitSignal(inspector.maximizer.found, timeout=5000):
        session.select_neuron(0, 1)
    snap = session.snapshot
    again = dataclasses.replace(snap)  # the same parameters published again (a pause): no new run
    show(session, inspector, again)
    assert not inspector.maximizer.is_running()
    weights = list(snap.weights)
    weights[0] = weights[0].copy()
    weights[0][1] *= -1  # an edit: the step stays, the neuron's weights change
    edited = dataclasses.replace(snap, weights=tuple(weights))
    with qtbot.waitSignal(inspector.maximizer.found, timeout=5000) as blocker:
        show(session, inspector, edited)
    assert blocker.args[:2] == [0, 1]


def test_building_the_inspector_leaves_the_keyboard_with_the_window(qtbot):
    """It is built the first time it is shown, while the window is active: none of its
    parts may open (and so activate) a window of its own."""
    from PySide6.QtWidgets import QApplication, QMainWindow

    window = QMainWindow()
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitActive(window):
        window.activateWindow()
    inspector = NeuronInspector()
    qtbot.addWidget(inspector)
    qtbot.wait(50)
    assert QApplication.activeWindow() is window
    assert not any(w.isVisible() for w in QApplication.topLevelWidgets() if w is not window)
