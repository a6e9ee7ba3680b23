"""The main window driven like a user would: keys, toolbar actions, files, settings."""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication

from visnet.app import settings as keys
from visnet.app.main_window import SPEED_STEPS, MainWindow, config_from_info, delay_for_speed
from visnet.core.network import Network
from visnet.core.sample_pass import SamplePass
from visnet.core.training import TrainConfig
from visnet.io import load_model, save_model


def weights_of(window: MainWindow) -> list[np.ndarray]:
    return [np.array(w) for w in window.controller.latest_snapshot.weights]


def start_and_wait(qtbot, window: MainWindow, steps: int = 100) -> None:
    qtbot.keyClick(window, Qt.Key.Key_Space)
    assert window.controller.state == "running"
    qtbot.waitUntil(lambda: window.controller.latest_snapshot.step > steps, timeout=5000)


def pause_and_wait(qtbot, window: MainWindow) -> None:
    if window.controller.state == "running":
        qtbot.keyClick(window, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: window.controller.latest_snapshot.state in ("paused", "diverged"), timeout=3000)
    qtbot.waitUntil(lambda: not window.controller.has_pending_snapshot(), timeout=3000)  # drawn


def test_opens_with_a_fresh_network_drawn(make_main_window, qtbot):
    window = make_main_window()
    qtbot.waitUntil(lambda: window.weights_panel.mosaic_image() is not None, timeout=3000)
    snap = window.controller.latest_snapshot
    assert snap.sizes == (784, 16, 16, 10) and snap.step == 0
    assert window.windowTitle().startswith("Untitled")
    assert not window.isWindowModified()
    assert "13,002 parameters" in window.config_panel.param_count_label.text()
    docks = {d.objectName(): d for d in window.docks}
    first = {"network_dock", "weights_dock", "loss_dock", "gradients_dock", "sample_dock", "config_dock"}
    assert first <= set(docks)  # later panels (inspector, drawing, mistakes, ...) are tabbed with these
    assert all(docks[name].isVisible() for name in first)


def test_opens_the_example_model_when_it_is_shipped(make_main_window, qtbot):
    from visnet.resources import EXAMPLE_MODEL, resource_path

    try:
        path = resource_path(EXAMPLE_MODEL)
    except FileNotFoundError:
        pytest.skip("the example model is not built in this checkout")
    window = make_main_window(load_example=True)
    assert window.model_path == path
    assert "(example)" in window.windowTitle()
    expected = load_model(path)
    assert all(np.array_equal(a, b) for a, b in zip(weights_of(window), expected.weights))
    assert window.controller.latest_snapshot.evaluation.accuracy > 0.5  # it is trained
    recent = keys.recent_files()
    assert str(path) not in recent  # the shipped file is not a "recent file" of the user's


def test_space_trains_and_the_pictures_change(make_main_window, qtbot):
    window = make_main_window()
    qtbot.waitUntil(lambda: window.weights_panel.mosaic_image() is not None, timeout=3000)
    before = window.weights_panel.mosaic_image()
    start_and_wait(qtbot, window)
    assert window.train_action.text() == "Pause"
    qtbot.waitUntil(lambda: window.loss_panel.n_points() > 100, timeout=5000)

    def mosaic_changed():
        after = window.weights_panel.mosaic_image()
        assert after.shape == before.shape
        assert not np.allclose(np.nan_to_num(after), np.nan_to_num(before))

    qtbot.waitUntil(mosaic_changed, timeout=3000)
    assert window.status.state_label.text() == "Training"
    assert "samples/s" in window.status.rate_label.text()
    assert window.isWindowModified()
    pause_and_wait(qtbot, window)


def test_pause_stops_snapshots(make_main_window, qtbot):
    window = make_main_window()
    start_and_wait(qtbot, window)
    pause_and_wait(qtbot, window)
    assert window.controller.state == "paused"
    assert window.status.state_label.text() == "Paused"
    count, steps = window.controller.snapshot_count, window.controller.trainer.steps
    points = window.loss_panel.n_points()
    qtbot.wait(300)
    assert window.controller.snapshot_count == count
    assert window.controller.trainer.steps == steps
    assert window.loss_panel.n_points() == points == steps  # every batch's loss was drawn


@pytest.mark.parametrize("key", [Qt.Key.Key_Right, Qt.Key.Key_S])
def test_step_key_trains_exactly_one_mini_batch(make_main_window, qtbot, key):
    window = make_main_window()
    trainer = window.controller.trainer
    qtbot.keyClick(window, key)
    qtbot.waitUntil(lambda: window.controller.latest_snapshot.step == 1, timeout=3000)
    qtbot.keyClick(window, key)
    qtbot.waitUntil(lambda: window.controller.latest_snapshot.step == 2, timeout=3000)
    qtbot.wait(200)
    assert trainer.steps == 2
    assert window.controller.state == "paused"


@pytest.mark.parametrize(
    "key, modifier",
    [(Qt.Key.Key_E, Qt.KeyboardModifier.NoModifier), (Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)],
)
def test_step_epoch_key_trains_one_epoch(make_main_window, qtbot, key, modifier):
    window = make_main_window()
    trainer = window.controller.trainer
    qtbot.keyClick(window, key, modifier)
    qtbot.waitUntil(lambda: window.controller.latest_snapshot.epochs_done == 1, timeout=5000)
    pause_and_wait(qtbot, window)
    assert trainer.steps == trainer.batches_per_epoch
    assert window.status.epoch_label.text() == "Epoch 2"
    assert "%" in window.status.accuracy_label.text()


def test_space_trains_from_the_widget_focused_at_start(make_main_window, qtbot):
    window = make_main_window()
    focused = QApplication.focusWidget()
    assert focused is not None and window.isAncestorOf(focused)
    qtbot.keyClick(focused, Qt.Key.Key_Space)
    assert window.controller.state == "running"
    pause_and_wait(qtbot, window)


def test_space_typed_into_a_number_field_does_not_toggle_training(make_main_window, qtbot):
    window = make_main_window()
    spin = window.config_panel.learning_rate_spin
    spin.setFocus()
    qtbot.keyClick(spin.lineEdit(), Qt.Key.Key_Space)
    qtbot.keyClick(spin.lineEdit(), Qt.Key.Key_E)
    qtbot.keyClick(spin.lineEdit(), Qt.Key.Key_Right)
    assert window.controller.state == "idle"
    assert window.controller.trainer.steps == 0


def test_learning_rate_changes_while_training(make_main_window, qtbot):
    window = make_main_window()
    start_and_wait(qtbot, window)
    window.config_panel.learning_rate_spin.setValue(0.05)
    qtbot.waitUntil(lambda: window.controller.trainer.config.eta == 0.05, timeout=3000)
    window.config_panel.batch_size_spin.setValue(25)
    qtbot.waitUntil(lambda: window.controller.latest_snapshot.batches_per_epoch == 40, timeout=3000)
    assert window.controller.state == "running"
    pause_and_wait(qtbot, window)


def test_speed_slider_slows_training_down(make_main_window, qtbot):
    window = make_main_window()
    window.speed_slider.setValue(0)
    assert window.controller.delay == pytest.approx(1.0)
    assert window.speed_label.text() == "1.0 s/batch"
    qtbot.keyClick(window, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: window.controller.latest_snapshot.step == 1, timeout=3000)
    qtbot.wait(300)
    assert window.controller.trainer.steps == 1
    window.speed_slider.setValue(SPEED_STEPS)
    assert window.speed_label.text() == "full speed" and delay_for_speed(SPEED_STEPS) == 0
    qtbot.waitUntil(lambda: window.controller.latest_snapshot.step > 50, timeout=3000)
    pause_and_wait(qtbot, window)


def test_save_and_reopen_gives_identical_weights(make_main_window, qtbot, monkeypatch, tmp_path):
    window = make_main_window()
    start_and_wait(qtbot, window)
    pause_and_wait(qtbot, window)
    path = tmp_path / "trained.safetensors"
    monkeypatch.setattr(window, "_ask_save_path", lambda suggested: str(path))
    window.save_action.trigger()  # untitled: Save asks for a file name
    assert path.is_file() and window.model_path == path
    assert window.windowTitle().startswith("trained.safetensors") and not window.isWindowModified()
    with window.controller.locked_trainer() as trainer:
        trained = [w.copy() for w in trainer.net.weights] + [b.copy() for b in trainer.net.biases]
        steps, epochs = trainer.steps, trainer.epoch_progress
    saved = load_model(path)
    assert all(np.array_equal(a, b) for a, b in zip(saved.weights + saved.biases, trained))
    assert saved.info["samples_seen"] == 10 * steps
    assert saved.info["epochs"] == pytest.approx(epochs)
    assert saved.info["training"]["eta"] == 0.5 and saved.info["training"]["epochs"] == 10_000
    assert 0 < saved.info["metrics"]["test_accuracy"] <= 1
    assert saved.info["class_names"] == list("0123456789")
    assert saved.info["input_shape"] == [28, 28]
    assert saved.info["dataset"] == window.dataset.name

    window.new_action.trigger()  # a fresh network, then open the saved one again
    assert window.controller.latest_snapshot.step == 0 and window.model_path is None
    monkeypatch.setattr(window, "_ask_open_path", lambda: str(path))
    window.open_action.trigger()
    assert window.errors == []
    assert window.model_path == path
    reopened = weights_of(window) + [np.array(b) for b in window.controller.latest_snapshot.biases]
    assert all(np.array_equal(a, b) for a, b in zip(reopened, trained))
    assert window.config_panel.train_values()["epochs"] == 10_000
    assert str(path.resolve()) == keys.recent_files()[0]
    # The opened model shows its curves and continues counting from its step.
    assert window.controller.latest_snapshot.step == steps
    assert window.loss_panel.n_points() >= 1
    assert window.status.epoch_label.text() == f"Epoch {int(epochs) + 1}"
    qtbot.keyClick(window, Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: window.controller.latest_snapshot.step == steps + 1, timeout=3000)
    assert not np.array_equal(weights_of(window)[0], trained[0])


def test_save_writes_to_the_current_file_without_asking(make_main_window, qtbot, monkeypatch, tmp_path):
    window = make_main_window()
    path = tmp_path / "model.safetensors"
    assert window.save_model_to(path)
    qtbot.keyClick(window, Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: window.isWindowModified(), timeout=3000)
    monkeypatch.setattr(window, "_ask_save_path", lambda suggested: pytest.fail("Save must not ask"))
    qtbot.keyClick(window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert not window.isWindowModified()
    assert load_model(path).info["samples_seen"] == 10


def test_corrupt_file_shows_an_error_and_keeps_the_network(make_main_window, qtbot, monkeypatch, tmp_path):
    window = make_main_window()
    qtbot.keyClick(window, Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: window.controller.latest_snapshot.step == 1, timeout=3000)
    before = weights_of(window)
    bad = tmp_path / "broken.safetensors"
    bad.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json at all")
    monkeypatch.setattr(window, "_ask_open_path", lambda: str(bad))
    window.open_action.trigger()
    ((title, text),) = window.errors
    assert "open" in title.lower() and "broken.safetensors" in text
    assert all(np.array_equal(a, b) for a, b in zip(weights_of(window), before))
    assert window.controller.trainer.steps == 1
    start_and_wait(qtbot, window, steps=20)  # still trains
    pause_and_wait(qtbot, window)


def test_opening_a_model_switches_to_the_data_set_it_was_saved_with(make_main_window, small_mnist, tmp_path):
    folder = tmp_path / "idx"
    folder.mkdir()
    other = dataclasses.replace(small_mnist.subset(500, 100), name="my IDX digits")
    loaded = []

    def loader(spec):
        loaded.append(spec)
        return other if spec == str(folder) else small_mnist

    window = make_main_window(dataset_loader=loader)
    path = save_model(Network([784, 20, 10]), tmp_path / "m.safetensors", dataset_spec=str(folder))
    assert window.open_model(path)
    assert loaded == [str(folder)]
    assert window.dataset is other
    assert window.config_panel.current_dataset() == str(folder)
    assert window.controller.latest_snapshot.batches_per_epoch == 50
    assert window.sample_panel.current_sample()[0].shape == (784,)


def test_model_that_does_not_fit_the_data_is_refused(make_main_window, tmp_path):
    window = make_main_window()
    path = save_model(Network([100, 10]), tmp_path / "small_input.safetensors")
    assert not window.open_model(path)
    ((title, text),) = window.errors
    assert "100 inputs" in text and "784" in text
    assert window.controller.latest_snapshot.sizes == (784, 16, 16, 10)


def test_unsaved_work_prompt_can_cancel_new(make_main_window, qtbot, monkeypatch):
    window = make_main_window()
    qtbot.keyClick(window, Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: window.isWindowModified(), timeout=3000)
    asked = []
    monkeypatch.setattr(window, "_ask_save_changes", lambda doing: asked.append(doing) or "cancel")
    window.new_action.trigger()
    assert asked == ["start a new network"]
    assert window.controller.trainer.steps == 1  # nothing was thrown away
    monkeypatch.setattr(window, "_ask_save_changes", lambda doing: "discard")
    window.new_action.trigger()
    assert window.controller.trainer.steps == 0 and not window.isWindowModified()


def test_apply_builds_the_configured_network(make_main_window, qtbot, monkeypatch):
    window = make_main_window()
    qtbot.keyClick(window, Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: window.isWindowModified(), timeout=3000)
    panel = window.config_panel
    panel._layer_rows[0].size_spin.setValue(24)
    monkeypatch.setattr(window, "_ask_save_changes", lambda doing: "cancel")
    qtbot.mouseClick(panel.apply_button, Qt.MouseButton.LeftButton)
    assert window.controller.latest_snapshot.sizes == (784, 16, 16, 10)  # cancelled
    monkeypatch.setattr(window, "_ask_save_changes", lambda doing: "discard")
    qtbot.mouseClick(panel.apply_button, Qt.MouseButton.LeftButton)
    assert window.controller.latest_snapshot.sizes == (784, 24, 16, 10)
    assert window.controller.trainer.steps == 0
    assert not panel.has_unapplied_changes()
    qtbot.waitUntil(lambda: window.weights_panel.mosaic_image() is not None, timeout=3000)


def test_reset_draws_the_same_weights_again_for_the_same_seed(make_main_window, qtbot):
    window = make_main_window()
    initial = weights_of(window)
    start_and_wait(qtbot, window)
    window.reset_action.trigger()  # the fixture answers "discard"
    assert window.controller.state == "idle"
    assert all(np.array_equal(a, b) for a, b in zip(weights_of(window), initial))
    assert not window.isWindowModified()
    assert not window.controller.is_thread_running()


def test_huge_learning_rate_shows_the_divergence_banner(make_main_window, qtbot):
    window = make_main_window()
    panel = window.config_panel
    for row in panel._layer_rows:
        row.activation_combo.setCurrentText("relu")
    panel.init_combo.setCurrentText("he")  # zero biases: the ReLUs start alive, so the loss explodes
    qtbot.mouseClick(panel.apply_button, Qt.MouseButton.LeftButton)
    assert window.controller.latest_snapshot.activations[:2] == ("relu", "relu")
    panel.learning_rate_spin.setValue(1e6)
    qtbot.keyClick(window, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: window.banner.isVisible(), timeout=5000)
    text = window.banner.message_label.text()
    assert "diverged" in text and "smaller learning rate" in text
    assert window.controller.state == "diverged"
    qtbot.waitUntil(lambda: window.status.state_label.text() == "Diverged", timeout=3000)
    assert "smaller learning rate" in window.statusBar().currentMessage()
    assert all(np.isfinite(w).all() for w in weights_of(window))
    qtbot.mouseClick(window.banner.action_button, Qt.MouseButton.LeftButton)
    assert panel.learning_rate_spin.value() == pytest.approx(1e5)  # reaches the trainer at its next batch
    assert not window.banner.isVisible()


def test_neuron_selection_and_sample_travel_through_the_session(make_main_window, qtbot):
    window = make_main_window()
    qtbot.waitUntil(lambda: window.session.snapshot is not None, timeout=3000)
    window.session.select_neuron(0, 3)
    assert window.inspector.neuron() == (0, 3)
    window.sample_panel.set_index(7)
    sample = window.session.sample
    assert sample.source == "test" and sample.index == 7
    np.testing.assert_array_equal(sample.x, window.dataset.x_test[7])
    expected = SamplePass.compute(window.session.snapshot.network, sample)
    assert window.network_view.predicted_class() == expected.predicted
    assert window.sample_panel.predicted_class() == expected.predicted


def test_export_the_clicked_panel_as_png(make_main_window, qtbot, monkeypatch, tmp_path):
    window = make_main_window()
    window.loss_panel.setFocus()
    qtbot.waitUntil(lambda: window.current_dock() is window.loss_dock, timeout=2000)
    path = tmp_path / "loss.png"
    monkeypatch.setattr(window, "_ask_png_path", lambda suggested: str(path))
    window.export_action.trigger()
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_recent_files_drop_missing_ones(make_main_window, tmp_path):
    window = make_main_window()
    kept = save_model(Network([784, 10]), tmp_path / "kept.safetensors")
    gone = save_model(Network([784, 10]), tmp_path / "gone.safetensors")
    keys.add_recent_file(gone)
    keys.add_recent_file(kept)
    gone.unlink()
    assert keys.recent_files() == [str(kept.resolve())]
    window.recent_menu.aboutToShow.emit()
    texts = [a.text() for a in window.recent_menu.actions()]
    assert any("kept.safetensors" in t for t in texts)
    assert not any("gone.safetensors" in t for t in texts)
    for i in range(12):
        keys.add_recent_file(save_model(Network([784, 10]), tmp_path / f"m{i}.safetensors"))
    assert len(keys.recent_files()) == keys.MAX_RECENT_FILES


@pytest.mark.timing
def test_closing_mid_training_joins_the_thread_within_a_second(make_main_window, qtbot, qtlog):
    window = make_main_window()
    start_and_wait(qtbot, window)
    assert window.controller.is_thread_running()
    t0 = time.monotonic()
    assert window.close()
    assert time.monotonic() - t0 < 1.0
    assert not window.controller.is_thread_running()
    QApplication.processEvents()
    assert not any("Destroyed while thread" in r.message for r in qtlog.records)


def test_geometry_and_docks_persist_between_windows(make_main_window, qtbot):
    first = make_main_window()
    first.resize(1200, 800)
    first.tabifyDockWidget(first.loss_dock, first.gradients_dock)
    first.sample_dock.hide()
    assert first.close()
    assert QSettings().value(keys.GEOMETRY) is not None

    second = make_main_window()
    qtbot.waitUntil(lambda: second.size().width() == 1200, timeout=2000)
    assert second.size().height() == 800
    assert second.gradients_dock in second.tabifiedDockWidgets(second.loss_dock)
    assert second.sample_dock.isHidden()
    second.restore_layout_action.trigger()
    assert not second.sample_dock.isHidden()
    assert second.gradients_dock not in second.tabifiedDockWidgets(second.loss_dock)


def test_config_from_info_falls_back_on_bad_values():
    fallback = TrainConfig(eta=0.5)
    config, warnings = config_from_info({"training": {"eta": 0.1, "batch_size": 32, "unknown": 1}}, fallback)
    assert (config.eta, config.batch_size, warnings) == (0.1, 32, [])
    config, warnings = config_from_info({"training": {"eta": -3, "step_epochs": 0}}, fallback)
    assert config.eta == 0.5 and config.step_epochs == 1.0
    assert [w.split()[2] for w in warnings] == ["eta", "step_epochs"]
    config, warnings = config_from_info({"training": "nonsense"}, fallback)
    assert config.batch_size == 10 and len(warnings) == 1
    config, warnings = config_from_info({}, fallback)
    assert config == fallback and config is not fallback and warnings == []


def test_an_opened_model_with_bad_training_settings_trains_with_the_defaults_and_says_so(make_main_window, tmp_path):
    from visnet.core.network import Network
    from visnet.io import save_model

    path = tmp_path / "bad_settings.safetensors"
    training = {"eta": 0.2, "step_epochs": 0, "gamma": {}, "schedule": "step"}
    save_model(Network([784, 16, 10], seed=1), path, training=training)
    window = make_main_window()
    assert window.open_model(path)
    assert "training setting gamma ignored" in window.statusBar().currentMessage()
    config = window.controller.trainer.config
    assert (config.eta, config.step_epochs, config.gamma, config.schedule) == (0.2, 1.0, 0.5, "step")


def test_an_opened_model_with_unusable_input_names_opens_without_them_and_says_so(make_main_window, tmp_path):
    path = save_model(
        Network([784, 16, 10], seed=1),
        tmp_path / "bad_names.safetensors",
        input_names=[f"x{i}" for i in range(785)],  # one more name than the network has inputs
    )
    window = make_main_window()
    assert window.open_model(path)
    assert "input_names ignored: 785 names for 784 inputs" in window.statusBar().currentMessage()
    assert window.errors == [] and "input_names" not in window.controller.trainer.net.info


def test_while_training_a_frame_is_drawn_one_panel_per_turn_of_the_event_loop(make_main_window, qtbot):
    """So the user's input and the GUI's timers get a turn between the panels' repaints."""
    from dataclasses import replace

    window = make_main_window()
    qtbot.waitUntil(lambda: window.controller.latest_snapshot is not None, timeout=3000)
    window.controller.take_pending_snapshot()
    drawn = []

    def spy_on(panel):
        original = panel.show_snapshot

        def show_snapshot(snap):
            drawn.append((panel, snap))
            original(snap)

        panel.show_snapshot = show_snapshot

    for panel in window.display_panels:
        spy_on(panel)
    running = replace(window.controller.latest_snapshot, state="running", delay=0.0, gentle=False)
    window.controller._pending = running
    window.frames.draw_pending()
    assert [p for p, _ in drawn] == [window.network_view]  # at full speed, the first panel at once...
    # ...then the others one a turn, but not the decision surface nobody can see (digits).
    seen = [p for p in window.display_panels if p is not window.surface_panel]
    assert not window.surface_dock.isVisible()
    qtbot.waitUntil(lambda: len(drawn) == len(seen), timeout=3000)
    assert [p for p, _ in drawn] == seen
    assert all(snap is running for _, snap in drawn)
    qtbot.waitUntil(lambda: not window.frames.is_drawing(), timeout=3000)  # the frame's closing turn
    paused = replace(running, state="paused")
    window.controller._pending = paused
    drawn.clear()
    window.frames.draw_pending()  # paused: everything at once
    assert [p for p, _ in drawn] == list(window.display_panels)
    # In slow motion the network view and the sample panel share a turn: their captions of
    # the current sample are painted together.
    qtbot.waitUntil(lambda: not window.frames.is_drawing(), timeout=3000)
    drawn.clear()
    window.controller._pending = replace(running, delay=0.5)
    window.frames.draw_pending()
    assert [p for p, _ in drawn] == [window.network_view, window.sample_panel]
    qtbot.waitUntil(lambda: not window.frames.is_drawing(), timeout=3000)
    # A panel out of view catches up with the moment shown as it comes into view.
    drawn.clear()
    window.surface_dock.show()
    window.surface_dock.raise_()  # a tab in front
    qtbot.waitUntil(lambda: (window.surface_panel, window.session.snapshot) in drawn, timeout=2000)


def test_a_look_inside_panel_behind_another_tab_waits_until_its_tab_is_chosen(make_main_window, qtbot):
    """Behind another tab, Qt still calls the inspector visible, but it must not recompute
    over the test split for nobody to see."""
    window = make_main_window()
    window.show_workspace("inside")
    window.tabifyDockWidget(window.mistakes_dock, window.inspector_dock)
    refreshes = []
    refresh = window.inspector._refresh
    original = refresh._refresh
    refresh._refresh = lambda: (refreshes.append(window.controller.latest_snapshot.step), original())
    window.mistakes_dock.raise_()
    qtbot.waitUntil(lambda: window.inspector.visibleRegion().isEmpty(), timeout=2000)
    start_and_wait(qtbot, window, steps=200)
    qtbot.wait(1500)  # longer than the refresh interval while training
    assert window.inspector.isVisible() and refreshes == []
    window.inspector_dock.raise_()
    qtbot.waitUntil(lambda: len(refreshes) >= 1, timeout=2000)  # catches up once its tab is chosen
    assert refreshes[0] > 200
    pause_and_wait(qtbot, window)
