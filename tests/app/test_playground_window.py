"""The playground in the real window: 2-D data opens, trains, redraws every surface, takes
drawn points, and saves and opens like any other model."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt

from visnet.app.colors import percent
from visnet.app.panels.config import PRESETS
from visnet.core.network import Network
from visnet.core.surface import evaluate_surface
from visnet.data.playground import PlaygroundSpec
from visnet.io import load_model, save_model

XOR = "playground:xor?noise=0.2&seed=0&points=400&train=0.5"


def preset(label_start: str):
    return next(p for p in PRESETS if p.label.startswith(label_start))


def accuracy_of(window) -> float:
    evaluation = window.controller.latest_snapshot.evaluation
    return 0.0 if evaluation is None else evaluation.accuracy


def wait_drawn(qtbot, window) -> None:
    qtbot.waitUntil(lambda: not window.controller.has_pending_snapshot(), timeout=3000)


def pause_and_wait(qtbot, window) -> None:
    if window.controller.state == "running":
        qtbot.keyClick(window, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: window.controller.latest_snapshot.state in ("paused", "diverged"), timeout=3000)
    wait_drawn(qtbot, window)


@pytest.fixture
def playground_window(make_main_window):
    return make_main_window(dataset=None, dataset_spec=XOR)


def test_opens_on_playground_data_with_a_2_4_1_and_the_surface_in_front(playground_window, qtbot):
    window = playground_window
    snap = window.controller.latest_snapshot
    assert snap.sizes == (2, 4, 1) and snap.activations == ("tanh", "sigmoid")
    assert window.playground is not None and window.playground.n_train == 200
    assert window.dataset.input_shape == (1, 2)
    qtbot.waitUntil(lambda: not window.surface_dock.visibleRegion().isEmpty(), timeout=2000)  # in front
    assert window.config_panel.playground_chosen()
    assert window.workspace == "playground"
    wait_drawn(qtbot, window)
    expected = evaluate_surface(window.controller.trainer.net)
    np.testing.assert_array_equal(window.surface_panel.image_array(), expected.output)


def test_trains_xor_live_and_every_panel_redraws(playground_window, qtbot):
    window = playground_window
    wait_drawn(qtbot, window)
    before = window.surface_panel.image_array().copy()
    qtbot.keyClick(window, Qt.Key.Key_Space)
    qtbot.waitUntil(
        lambda: window.controller.latest_snapshot.step > 200 and window.surface_panel.surface() is not None,
        timeout=8000,
    )
    # Training goes on in the background; the pictures follow it.
    qtbot.waitUntil(lambda: not np.array_equal(window.surface_panel.image_array(), before), timeout=3000)
    qtbot.waitUntil(lambda: accuracy_of(window) >= 0.95, timeout=15000)
    pause_and_wait(qtbot, window)
    net = window.controller.trainer.net
    np.testing.assert_array_equal(window.surface_panel.image_array(), evaluate_surface(net).output)
    # The caption reads the accuracy of the network drawn (momentum may take it back a little
    # from its best between the check above and the pause).
    toy = window.playground
    test = float(np.mean(net.predict(toy.x_test) == toy.y_test))
    assert f"test accuracy <b>{percent(test)}</b>" in window.surface_panel._caption.text
    assert test >= 0.85


def test_a_drawn_point_joins_the_training_data(playground_window, qtbot):
    window = playground_window
    wait_drawn(qtbot, window)
    panel = window.surface_panel
    panel.set_draw_mode(True)
    panel.set_draw_label(1)
    panel.graphics_view().grab()  # lay the plot out before mapping plane points to pixels
    qtbot.mouseClick(panel.graphics_view().viewport(), Qt.MouseButton.LeftButton, pos=panel.widget_pos(4.0, -4.0))
    toy = window.playground
    assert len(toy.drawn) == 1 and toy.drawn[0].label == 1
    assert toy.drawn[0].x1 == pytest.approx(4.0, abs=0.2) and toy.drawn[0].x2 == pytest.approx(-4.0, abs=0.2)
    with window.controller.locked_trainer() as trainer:
        assert trainer.n_train == 201 and tuple(trainer.y_train[-1:]) == (1,)
    qtbot.keyClick(window, Qt.Key.Key_Right)  # and trains on
    qtbot.waitUntil(lambda: window.controller.latest_snapshot.step == 1, timeout=3000)


def test_save_and_open_a_playground_model_with_its_drawn_points(playground_window, qtbot, tmp_path):
    window = playground_window
    assert window.add_point(-5.0, 5.0, 1) and window.add_point(5.0, 5.0, 0, "test")
    qtbot.keyClick(window, Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: window.controller.latest_snapshot.step == 1, timeout=3000)
    path = tmp_path / "xor.safetensors"
    assert window.save_model_to(path)
    saved = load_model(path)
    assert PlaygroundSpec.parse(saved.info["dataset_spec"]) == PlaygroundSpec.parse(XOR)
    assert saved.info["drawn_points"] == [[-5.0, 5.0, 1, "train"], [5.0, 5.0, 0, "test"]]
    trained = [w.copy() for w in saved.weights]

    window.config_panel.apply_preset(PRESETS[0])  # digits, then back to the saved model
    window.config_panel.apply_button.click()
    assert window.playground is None and not window.surface_dock.isVisible()
    assert window.open_model(path)
    assert window.errors == []
    assert window.playground.drawn == window.playground.drawn[:2] and len(window.playground.drawn) == 2
    assert window.dataset.n_train == 201 and window.dataset.n_test == 201
    assert window.surface_dock.isVisible()
    assert all(np.array_equal(a, b) for a, b in zip(window.controller.trainer.net.weights, trained))
    wait_drawn(qtbot, window)
    np.testing.assert_array_equal(
        window.surface_panel.image_array(), evaluate_surface(window.controller.trainer.net).output
    )


def test_a_digit_model_opened_in_the_playground_brings_the_digits_back(playground_window, tmp_path):
    window = playground_window
    path = save_model(Network([784, 12, 10], seed=1), tmp_path / "digits.safetensors", dataset_spec="embedded")
    assert window.open_model(path)
    assert window.playground is None and window.dataset.n_inputs == 784
    assert not window.surface_dock.isVisible()


def test_a_model_with_unreadable_drawn_points_opens_without_them_and_says_so(playground_window, tmp_path):
    window = playground_window
    net = Network([2, 4, 1], "tanh", output="sigmoid", seed=0)
    path = save_model(net, tmp_path / "odd.safetensors", dataset_spec=XOR, drawn_points=[[99, 0, 1, "train"]])
    assert window.open_model(path)
    assert window.playground.drawn == ()
    assert "drawn by hand" in window.statusBar().currentMessage()


def test_the_perceptron_preset_separates_blobs(make_main_window, qtbot):
    window = make_main_window()
    window.config_panel.apply_preset(preset("Perceptron"))
    window.config_panel.epochs_spin.setValue(10_000)
    window.config_panel.apply_button.click()
    snap = window.controller.latest_snapshot
    assert snap.sizes == (2, 1) and snap.activations == ("step",)
    assert window.controller.trainer.config.rule == "perceptron"
    qtbot.keyClick(window, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: accuracy_of(window) == 1.0, timeout=10000)
    pause_and_wait(qtbot, window)
    assert window.errors == []


def test_clicking_the_plane_makes_a_point_the_current_sample(playground_window, qtbot):
    window = playground_window
    wait_drawn(qtbot, window)
    panel = window.surface_panel
    panel.graphics_view().grab()
    x_test, y_test = window.dataset.x_test, window.dataset.y_test
    i = 17
    qtbot.mouseClick(
        panel.graphics_view().viewport(),
        Qt.MouseButton.LeftButton,
        pos=panel.widget_pos(float(x_test[i, 0]) + 0.05, float(x_test[i, 1])),
    )
    sample = window.session.sample
    assert (sample.source, sample.index, sample.label) == ("test", i, int(y_test[i]))
    assert panel.current_point() == pytest.approx((float(x_test[i, 0]), float(x_test[i, 1])))
    # A bare point of the plane, far from every test point: no label.
    far = np.array([[5.9, 0.0]])
    assert np.min(np.hypot(*(x_test - far).T)) > 0.3
    qtbot.mouseClick(panel.graphics_view().viewport(), Qt.MouseButton.LeftButton, pos=panel.widget_pos(5.9, 0.0))
    sample = window.session.sample
    assert sample.source == "plane" and sample.label is None
    assert sample.x == pytest.approx([5.9, 0.0], abs=0.1)


def test_shift_click_in_draw_mode_adds_a_test_point(playground_window, qtbot):
    window = playground_window
    wait_drawn(qtbot, window)
    panel = window.surface_panel
    panel.set_draw_mode(True)
    panel.set_draw_label(0)
    panel.graphics_view().grab()
    n_test = window.dataset.n_test
    qtbot.mouseClick(
        panel.graphics_view().viewport(),
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.ShiftModifier,
        pos=panel.widget_pos(-3.0, 3.0),
    )
    assert window.playground.drawn[-1].split == "test" and window.dataset.n_test == n_test + 1
    window.sample_panel.set_index(n_test)  # the new point is the last test point
    assert window.sample_panel.current_index() == n_test
    assert window.sample_panel.current_sample()[1] == 0
    with window.controller.locked_trainer() as trainer:
        assert len(trainer.y_test) == n_test + 1 and trainer.n_train == 200


def test_the_file_menu_opens_a_playground_and_goes_back_to_the_digits(make_main_window, qtbot):
    window = make_main_window()
    actions = {a.text(): a for a in window.playground_menu.actions()}
    actions["Circle"].trigger()
    assert PlaygroundSpec.parse(window.config_panel.applied_spec().dataset).name == "circle"
    assert window.controller.latest_snapshot.sizes == (2, 4, 1)
    assert window.surface_dock.isVisible()
    actions["Back to the &digits"].trigger()
    assert window.playground is None and window.controller.latest_snapshot.sizes == (784, 16, 16, 10)
    assert not window.surface_dock.isVisible()


def test_a_diverging_playground_run_stops_with_its_pictures_intact(playground_window, qtbot):
    from visnet.core.training import TrainConfig

    window = playground_window
    net = Network([2, 4, 1], "identity", output="identity", cost="quadratic", seed=0)
    assert window.install_network(
        net,
        window.dataset,
        window.session.dataset_spec,
        TrainConfig(eta=5.0, batch_size=10, epochs=10_000),
        window.playground,
    )
    qtbot.keyClick(window, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: window.controller.state == "diverged", timeout=10000)
    wait_drawn(qtbot, window)
    assert window.banner.isVisible()
    image = window.surface_panel.image_array()
    assert image is not None and np.isfinite(image).all()  # the last finite parameters are shown
    assert window.errors == []


def test_extra_inputs_and_the_backprop_stepper_in_the_window(playground_window, qtbot):
    window = playground_window
    panel = window.config_panel
    box = panel.feature_boxes["x1_x2"]
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))  # on its tick box
    assert box.isChecked()
    panel.apply_button.click()
    assert window.controller.latest_snapshot.sizes == (3, 4, 1)
    wait_drawn(qtbot, window)
    net = window.controller.trainer.net
    np.testing.assert_array_equal(window.surface_panel.image_array(), evaluate_surface(net, features=["x1_x2"]).output)
    qtbot.keyClick(window, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)  # backprop, step by step
    assert window.in_backprop_mode()
    trace = window.stepper.trace
    assert trace is not None and trace.x[0].shape == (3,)
    np.testing.assert_allclose(trace.x[0][2], trace.x[0][0] * trace.x[0][1], rtol=1e-5)  # x₁x₂ really is fed
    assert window.stepper.input_labels() == ("x₁", "x₂", "x₁x₂")
    qtbot.keyClick(window, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)
    assert not window.in_backprop_mode()


def test_the_stepper_explains_that_the_perceptron_has_no_gradients(make_main_window, qtbot):
    window = make_main_window()
    window.config_panel.apply_preset(preset("Perceptron"))
    window.config_panel.apply_button.click()
    qtbot.keyClick(window, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)
    assert window.in_backprop_mode() and window.stepper.showing_perceptron()
    assert "no gradients" in window.stepper.message()


def test_undo_point_takes_back_the_point_drawn_last(playground_window, qtbot):
    window = playground_window
    panel = window.surface_panel
    assert not panel.undo_point_button.isEnabled()
    assert window.add_point(-5.0, 5.0, 1) and window.add_point(5.0, 5.0, 0, "test")
    assert panel.undo_point_button.isEnabled() and window.dataset.n_test == 201
    panel.graphics_view().setFocus()
    qtbot.keyClick(panel.graphics_view(), Qt.Key.Key_Backspace)  # the test point goes
    assert [p.split for p in window.playground.drawn] == ["train"] and window.dataset.n_test == 200
    qtbot.mouseClick(panel.undo_point_button, Qt.MouseButton.LeftButton)  # then the training point
    assert window.playground.drawn == () and not panel.undo_point_button.isEnabled()
    with window.controller.locked_trainer() as trainer:
        assert trainer.n_train == 200 and len(trainer.y_test) == 200
        np.testing.assert_array_equal(trainer.x_train, PlaygroundSpec.parse(XOR).load()[1].x_train)
    assert not window.undo_point()
