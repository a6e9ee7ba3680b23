"""Every panel shows the same moment and sample: after each thing a user does, the network
view, the current-sample panel, the inspector's equation and the backprop stepper show the
sample the session holds, with the numbers the core's forward pass gives for the network
being shown. Also: presets wait for Apply, the example is never written over, a switched-off
neuron reads a = 0, and a network that cannot learn says why."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from window_checks import assert_panels_agree, drawn

from visnet.app.panels.config import PRESETS
from visnet.core.network import Network
from visnet.core.training import TrainConfig


@pytest.fixture
def window(make_main_window, qtbot):
    w = make_main_window()
    qtbot.waitUntil(lambda: w.session.snapshot is not None, timeout=3000)
    drawn(w)
    return w


def test_at_start_every_panel_shows_test_image_0_and_the_first_neuron(window):
    assert window.session.sample.index == 0
    assert_panels_agree(window)
    assert window.session.neuron == (0, 0)
    assert window.network_view.selected_neuron() == (0, 0)
    assert window.weights_panel.selected_neuron() == 0
    assert window.inspector.neuron() == (0, 0)


def test_a_drawn_digit_used_reaches_every_panel_and_the_stepper(window, qtbot):
    window.show_workspace("backprop")
    x = np.clip(window.dataset.x_test[5] * 1.3, 0, 1).astype(np.float32)
    window.draw_panel.canvas.clear()
    window.session.use_drawing(x)
    drawn(window)
    assert window.session.sample.source == "drawing"
    assert_panels_agree(window)


def test_a_test_image_chosen_in_the_stepper_reaches_every_panel(window, qtbot):
    window.show_workspace("backprop")
    stepper = window.stepper
    stepper.example_combo.setCurrentIndex(stepper.example_combo.findData("test"))
    stepper.index_spin.setValue(42)
    drawn(window)
    assert window.session.sample.index == 42
    assert window.sample_panel.current_index() == 42
    assert_panels_agree(window)


def test_a_gallery_image_clicked_reaches_every_panel(window, qtbot):
    window.show_workspace("inside")
    window.mistakes_dock.raise_()
    panel = window.mistakes_panel
    qtbot.waitUntil(lambda: len(panel.gallery.indices()) > 2, timeout=3000)
    target = int(panel.gallery.indices()[2])
    qtbot.mouseClick(
        panel.gallery.graphics_view().viewport(), Qt.MouseButton.LeftButton, pos=panel.gallery.tile_widget_pos(2)
    )
    drawn(window)
    assert window.session.sample.index == target
    assert_panels_agree(window)


def test_one_training_step_moves_every_panel_to_the_new_network(window, qtbot):
    window.session.choose_test_sample(11)
    window.session.select_neuron(1, 4)
    before = window.session.snapshot.step
    qtbot.keyClick(window, Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: window.controller.latest_snapshot.step == before + 1, timeout=3000)
    qtbot.waitUntil(lambda: window.controller.latest_snapshot.state == "paused", timeout=3000)
    drawn(window)
    assert window.session.snapshot.step == before + 1
    assert_panels_agree(window)


def test_a_preset_changes_nothing_until_apply(window, qtbot):
    trainer = window.controller.trainer
    eta, epochs = trainer.config.eta, trainer.config.epochs
    spirals = next(p for p in PRESETS if "spirals" in p.label.lower())
    index = window.config_panel.preset_combo.findData(spirals)
    window.config_panel.preset_combo.activated.emit(index)
    qtbot.wait(50)
    assert window.controller.trainer is trainer
    assert (trainer.config.eta, trainer.config.epochs) == (eta, epochs)
    assert window.playground is None
    window.config_panel.apply_button.click()
    assert window.controller.trainer is not trainer
    assert window.playground is not None and window.workspace == "playground"
    assert window.controller.trainer.config.eta == spirals.config.eta


def test_the_example_model_is_never_written_over(make_main_window, qtbot, monkeypatch, tmp_path):
    from visnet.resources import EXAMPLE_MODEL, resource_path

    path = resource_path(EXAMPLE_MODEL)
    before = path.read_bytes()
    window = make_main_window(load_example=True)
    assert window.model_is_example()
    qtbot.keyClick(window, Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: window.isWindowModified(), timeout=3000)
    asked = []
    monkeypatch.setattr(window, "_ask_save_path", lambda suggested: asked.append(suggested) or None)
    window.save_action.trigger()  # Save on the example asks for a new file...
    assert len(asked) == 1 and not asked[0].endswith(EXAMPLE_MODEL)
    assert not window.save_model_to(path)  # ...and the example's own file is refused
    assert window.errors and "example" in window.errors[-1][1]
    assert path.read_bytes() == before


def test_a_switched_off_neuron_reads_zero_in_the_network_view(window):
    window.edit_network("ablate", 0, 6)
    drawn(window)
    expected = assert_panels_agree(window)
    assert expected.activations[1][6] == 0.0
    assert window.network_view.activations()[1][6] == 0.0
    assert window.network_view.switched_off(0).tolist() == [6]


def test_the_unsaved_prompt_says_edited_and_forgets_an_undone_edit(window, qtbot):
    assert not window.has_unsaved_work()
    window.edit_network("ablate", 0, 2)
    assert window.unsaved_changes() == "edited"
    window.edit_network("undo")
    assert not window.has_unsaved_work()


def test_training_waits_while_the_unsaved_work_prompt_is_open(window, qtbot, monkeypatch):
    qtbot.keyClick(window, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: window.controller.latest_snapshot.step > 20, timeout=5000)
    states = []
    monkeypatch.setattr(window, "_ask_save_changes", lambda doing: states.append(window.controller.state) or "cancel")
    window.new_action.trigger()
    assert states == ["paused"]
    assert window.controller.state == "running"  # cancelled: training goes on
    monkeypatch.setattr(window, "_ask_save_changes", lambda doing: "discard")  # so the window can close


@pytest.mark.parametrize(
    "activation, kind",
    [("sigmoid", "saturated"), ("relu", "dead")],
)
def test_a_huge_learning_rate_warns_of_saturated_or_dead_neurons(
    make_main_window, small_mnist, qtbot, activation, kind
):
    window = make_main_window()
    net = Network([784, 16, 16, 10], activations=activation, output="softmax", seed=0)
    assert window.install_network(net, small_mnist, "embedded", TrainConfig(eta=1000.0, batch_size=10, epochs=10_000))
    for _ in range(3):
        qtbot.keyClick(window, Qt.Key.Key_E)  # an epoch, then the health check
        qtbot.waitUntil(lambda: window.controller.latest_snapshot.state in ("paused", "diverged"), timeout=10000)
    qtbot.waitUntil(lambda: window.banner.isVisible(), timeout=5000)
    assert window.banner.kind == "warning"  # no NaN: training goes on, learning nothing
    assert window.session.snapshot.health.kind == kind
    assert kind in window.banner.text()


def test_an_exported_picture_leaves_out_the_hover_hint_and_the_hint_comes_back(window, tmp_path, monkeypatch):
    view = window.network_view
    assert view.hint_visible()
    seen = []
    original_grab = window.network_dock.widget().grab

    def grab(*args):
        seen.append(view.hint_visible())
        return original_grab(*args)

    monkeypatch.setattr(window.network_dock.widget(), "grab", grab)
    path = tmp_path / "network.png"
    assert window.export_panel_png(path, window.network_dock)
    assert seen == [False] and view.hint_visible()
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
