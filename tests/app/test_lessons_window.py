"""Every shipped lesson walks to its end in the real window by doing what it asks: each
check is false when its step opens and passes once the learner has done the thing."""

from __future__ import annotations

from dataclasses import replace

import pytest
from PySide6.QtCore import QSettings, Qt
from window_checks import drawn

from visnet.app import settings as keys
from visnet.lessons import Action, find_lesson, load_lessons, parse_lesson

TRAIN_TIMEOUT_MS = 15_000


@pytest.fixture
def window(make_main_window):
    return make_main_window()


def click(qtbot, viewport, pos) -> None:
    qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=pos)


class Walk:
    """Drives the Lesson panel as a learner would."""

    def __init__(self, window, qtbot, name: str):
        self.window, self.qtbot = window, qtbot
        self.panel = window.lessons.panel
        self.lesson = window.lessons.start(name)
        assert window.lessons.dock.isVisible()

    def at(self, index: int) -> None:
        assert self.panel.index == index
        assert self.panel.progress_label.text() == f"Step {index + 1} of {len(self.lesson)}"

    def locked(self) -> None:
        """The step's check does not hold yet: Next is disabled and does nothing."""
        index = self.panel.index
        self.panel.refresh()
        assert not self.panel.check_passes()
        assert not self.panel.next_button.isEnabled()
        self.panel.next()
        assert self.panel.index == index

    def next(self) -> None:
        self.qtbot.waitUntil(lambda: self.panel.next_button.isEnabled(), timeout=TRAIN_TIMEOUT_MS)
        self.qtbot.mouseClick(self.panel.next_button, Qt.MouseButton.LeftButton)

    def train_until_done(self) -> None:
        """Press Space, wait for the check, pause."""
        if self.window.controller.state != "running":
            self.qtbot.keyClick(self.window, Qt.Key.Key_Space)
        self.qtbot.waitUntil(self.panel.check_passes, timeout=TRAIN_TIMEOUT_MS)
        self.pause()

    def pause(self) -> None:
        controller = self.window.controller
        if controller.state == "running":
            controller.pause()
            self.qtbot.waitUntil(lambda: controller.latest_snapshot.state in ("paused", "diverged"), timeout=3000)
        drawn(self.window)

    def finish(self) -> None:
        assert self.panel.next_button.text().replace("&", "") == "Finish"
        self.next()
        assert self.panel.lesson is None
        assert not self.window.lessons.dock.isVisible()


def test_lesson_1_a_neuron_holds_a_number(window, qtbot):
    walk = Walk(window, qtbot, "a-neuron-holds-a-number")
    assert window.session.snapshot.sizes == (784, 16, 16, 10)
    assert window.session.sample.index == 0
    walk.next()
    walk.at(1)
    view = window.network_view
    drawn(window)
    click(qtbot, view.graphics_view().viewport(), view.neuron_widget_pos(0, 3))  # the first hidden layer
    assert window.session.neuron == (0, 3)
    walk.locked()
    click(qtbot, view.graphics_view().viewport(), view.neuron_widget_pos(1, 3))
    assert window.session.neuron == (1, 3)
    walk.next()
    walk.at(2)
    walk.locked()
    assert window.controller.delay == 0.0  # full speed
    walk.train_until_done()
    walk.next()
    walk.at(3)
    assert window.workspace == "inside" and window.draw_dock.isVisible()
    walk.locked()
    qtbot.waitExposed(window.draw_panel.canvas)
    window.draw_panel.canvas.draw_stroke([(140, 40), (140, 240)])
    walk.locked()  # drawn but not used yet
    qtbot.mouseClick(window.draw_panel.use_button, Qt.MouseButton.LeftButton)
    walk.next()
    walk.finish()


def test_lesson_2_weights_as_pictures(window, qtbot):
    walk = Walk(window, qtbot, "weights-as-pictures")
    walk.next()
    walk.locked()
    walk.train_until_done()
    assert window.controller.latest_snapshot.epoch_progress >= 3
    walk.next()
    walk.locked()
    panel = window.weights_panel
    drawn(window)
    click(qtbot, panel.graphics_view().viewport(), panel.tile_widget_pos(5))
    assert window.session.neuron == (0, 5)
    walk.next()
    assert window.workspace == "inside"
    walk.finish()


def test_lesson_3_gradient_descent_diverges_with_a_huge_eta(window, qtbot):
    walk = Walk(window, qtbot, "gradient-descent")
    snap = window.session.snapshot
    assert snap.activations == ("sigmoid", "sigmoid", "identity") and snap.cost == "quadratic"
    # The cost landscape panel is another branch's: the step says so instead of failing.
    if window.findChild(type(window.loss_dock), "landscape_dock") is None:
        assert any("landscape_dock" in note for note in walk.panel.notes())
        assert "not part of this version" in walk.panel.text_label.text()
    walk.next()
    walk.locked()
    walk.train_until_done()
    walk.next()
    assert window.config_panel.learning_rate_spin.value() == pytest.approx(0.001)
    walk.locked()
    walk.train_until_done()
    walk.next()  # η = 2 in slow motion: the path zig-zags across the valley
    assert window.config_panel.learning_rate_spin.value() == pytest.approx(2.0)
    assert window.config_panel.train_config().batch_size == 100 and window.controller.delay > 0
    walk.locked()
    window.full_speed_action.trigger()  # an impatient learner: 40 batches without the 10 s wait
    walk.train_until_done()
    walk.next()
    assert window.controller.delay == 0  # full speed again, for the blow-up
    walk.locked()
    window.config_panel.learning_rate_spin.setValue(10.0)  # what the learner types
    walk.locked()
    qtbot.keyClick(window, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: window.controller.state == "diverged", timeout=TRAIN_TIMEOUT_MS)
    walk.next()
    walk.finish()


def test_lesson_4_backpropagation(window, qtbot):
    walk = Walk(window, qtbot, "backpropagation")
    walk.locked()
    qtbot.keyClick(window, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)
    assert window.workspace == "backprop"
    assert window.lessons.dock.isVisible()  # the lesson goes on in every workspace
    walk.next()
    stepper = window.stepper
    qtbot.waitUntil(lambda: stepper.trace is not None, timeout=3000)
    for target in (6, 9, 16):
        walk.locked()
        while stepper.current_index() < target:
            stepper.next_step()
        walk.next()
    walk.finish()


def test_lesson_5_perceptron_and_xor(window, qtbot):
    walk = Walk(window, qtbot, "why-hidden-layers")
    assert window.workspace == "playground" and window.session.playground is not None
    assert window.session.snapshot.sizes == (2, 1)
    walk.locked()
    walk.train_until_done()
    walk.next()
    snap = window.session.snapshot
    assert snap.sizes == (2, 1) and "xor" in window.session.dataset_spec
    walk.locked()
    walk.train_until_done()
    evaluation = window.controller.latest_snapshot.evaluation
    assert evaluation.accuracy < 0.9  # a line never separates XOR
    walk.next()
    assert window.session.snapshot.sizes == (2, 4, 1)
    walk.locked()
    walk.train_until_done()
    walk.next()
    walk.finish()


def test_lesson_6_cross_entropy(window, qtbot):
    walk = Walk(window, qtbot, "cross-entropy")
    assert window.session.snapshot.cost == "quadratic"
    walk.locked()
    walk.train_until_done()
    walk.next()
    walk.locked()
    panel = window.config_panel
    panel.cost_combo.setCurrentText("cross-entropy")
    walk.locked()  # chosen, not yet applied
    qtbot.mouseClick(panel.apply_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.session.snapshot.cost == "cross-entropy", timeout=3000)
    walk.next()
    walk.locked()
    walk.train_until_done()
    walk.next()
    walk.finish()


def test_lesson_7_vanishing_gradients(window, qtbot):
    walk = Walk(window, qtbot, "vanishing-gradients")
    assert window.session.snapshot.sizes == (784, 30, 30, 30, 30, 10)
    walk.locked()
    walk.train_until_done()
    rms = window.controller.latest_snapshot.layer_stats.grad_rms
    assert rms[0] < rms[-1]  # what the step asks the learner to read off the panel
    walk.next()
    walk.next()
    assert window.session.snapshot.activations[:4] == ("relu",) * 4
    walk.locked()
    walk.train_until_done()
    walk.next()
    walk.finish()


def test_lesson_8_overfitting_and_l2(make_main_window, qtbot, embedded_mnist, monkeypatch):
    # The lesson keeps the first 1,000 of the data set's training images.
    window = make_main_window(dataset_loader=lambda spec: embedded_mnist.subset(3000, 200))
    walk = Walk(window, qtbot, "overfitting-and-l2")
    assert window.session.dataset.n_train == 1000
    assert window.session.snapshot.sizes == (784, 30, 10)
    walk.locked()
    walk.train_until_done()
    walk.next()
    walk.next()
    walk.locked()
    window.config_panel.lmbda_spin.setValue(0.001)
    walk.next()
    assert window.controller.trainer.config.lmbda == pytest.approx(0.001)
    assert window.session.dataset.n_train == 1000
    walk.locked()
    # Fifteen more epochs would double the test's time: train one, then let the state say 15.
    qtbot.keyClick(window, Qt.Key.Key_E)
    qtbot.waitUntil(lambda: window.controller.latest_snapshot.epochs_done == 1, timeout=TRAIN_TIMEOUT_MS)
    walk.locked()
    director = window.lessons.director
    real_state = director.state
    monkeypatch.setattr(director, "state", lambda: replace(real_state(), epochs=15.0))
    walk.next()
    walk.finish()


def test_back_and_skip(window, qtbot):
    walk = Walk(window, qtbot, "a-neuron-holds-a-number")
    walk.next()
    walk.locked()
    qtbot.mouseClick(walk.panel.skip_button, Qt.MouseButton.LeftButton)
    walk.at(2)
    qtbot.mouseClick(walk.panel.back_button, Qt.MouseButton.LeftButton)
    walk.at(1)
    assert not walk.panel.back_button.isHidden()


def test_a_panel_that_does_not_exist_is_named_in_the_step(window, qtbot):
    director = window.lessons.director
    assert director.perform(Action("show_panel", {"panel": "loss_dock"})) is None
    assert window.loss_dock.isVisible()
    note = director.perform(Action("show_panel", {"panel": "landscape_dock_x"}))
    assert "landscape_dock_x" in note
    assert director.perform(Action("highlight", {"target": "learning_rate"})) is None
    assert window.config_panel.learning_rate_spin in director.highlights()
    assert "nowhere" in director.perform(Action("highlight", {"target": "nowhere"}))


def test_show_panel_shows_a_lesson_dock_by_name(window, qtbot):
    lesson = parse_lesson(
        'name = "p"\ntitle = "P"\n[[steps]]\ntext = "Look."\n'
        'actions = [{ do = "show_panel", panel = "mistakes_dock" }]\ncheck = { panel_visible = "stepper_dock" }\n'
    )
    walk = Walk(window, qtbot, lesson)
    assert window.mistakes_dock.isVisible() and walk.panel.notes() == []
    walk.locked()
    window.show_workspace("backprop")
    qtbot.waitUntil(walk.panel.check_passes, timeout=3000)


def test_help_lessons_lists_them_and_the_invitation_is_remembered(window, qtbot, monkeypatch):
    assert window.lessons.open_action in window.menuBar().actions()[-1].menu().actions()
    names = []

    def choose(parent, title, label, items, current, editable):
        names.extend(items)
        return items[2], True

    monkeypatch.setattr("visnet.app.lesson_dock.QInputDialog.getItem", choose)
    window.lessons.open_action.trigger()
    assert len(names) == len(load_lessons()) and names[0].startswith("1. A neuron holds a number")
    assert window.lessons.panel.lesson.name == "gradient-descent"
    window.lessons.panel.close_lesson()

    QSettings().remove(keys.LESSONS_INVITED)
    assert window.lessons.invite()
    banner = window.lessons.banner
    assert banner.isVisible() and "Lesson 1" in banner.text()
    qtbot.mouseClick(banner.dismiss_button, Qt.MouseButton.LeftButton)
    assert not banner.isVisible()
    assert not window.lessons.invite()  # remembered

    QSettings().remove(keys.LESSONS_INVITED)
    assert window.lessons.invite()
    qtbot.mouseClick(banner.action_button, Qt.MouseButton.LeftButton)
    assert window.lessons.panel.lesson == find_lesson("a-neuron-holds-a-number", load_lessons())
    assert not window.lessons.invite()


def test_the_other_actions_do_what_they_say(window, qtbot):
    director = window.lessons.director
    controller = window.controller
    assert director.perform(Action("speed", {"batches_per_second": 1})) is None
    assert controller.delay == pytest.approx(1.0)
    assert director.perform(Action("full_speed", {})) is None
    assert controller.delay == 0.0
    assert director.perform(Action("step_batch", {})) is None
    qtbot.waitUntil(lambda: controller.latest_snapshot.step == 1, timeout=3000)
    assert director.perform(Action("train", {})) is None
    qtbot.waitUntil(lambda: controller.state == "running", timeout=3000)
    assert director.perform(Action("pause", {})) is None
    qtbot.waitUntil(lambda: controller.latest_snapshot.state == "paused", timeout=3000)
    drawn(window)
    assert director.perform(Action("look_back", {"moment": 0})) is None
    assert window.session.looking_back and director.state().looking_back
    assert director.perform(Action("go_live", {})) is None
    assert not window.session.looking_back
    assert director.perform(Action("select_neuron", {"layer": 1, "index": 2})) is None
    assert window.session.neuron == (1, 2)
    assert "no neuron 99" in director.perform(Action("select_neuron", {"layer": 0, "index": 99}))
    assert "no test sample" in director.perform(Action("choose_sample", {"index": 10**6}))
    assert director.perform(Action("load_data", {"spec": "embedded"})) is None
    assert controller.latest_snapshot.step == 0  # a fresh network of the same kind
    # A softmax over the playground's one output cannot be built: the step says so.
    assert "could not be built" in director.perform(Action("load_data", {"spec": "playground:circle"}))
    assert window.errors and window.session.playground is None
    assert director.perform(Action("load_preset", {"preset": "3b1b"})) is None
    assert window.session.snapshot.sizes == (784, 16, 16, 10)


@pytest.mark.parametrize("workspace", ["watch", "inside", "backprop"])
def test_the_lesson_dock_fits_a_laptop_screen_beside_every_workspace(window, qtbot, workspace):
    window.show_workspace(workspace)
    window.resize(1366, 706)
    qtbot.waitUntil(lambda: window.size().toTuple() == (1366, 706), timeout=2000)
    window.lessons.start("a-neuron-holds-a-number")
    dock = window.lessons.dock
    qtbot.waitUntil(lambda: dock.geometry().right() < window.width(), timeout=2000)
    assert dock.isVisible() and not dock.isFloating()
    assert window.size().toTuple() == (1366, 706)
    assert window.layout_problems() == []
    buttons = window.lessons.panel
    for button in (buttons.back_button, buttons.next_button, buttons.close_button):
        assert not button.visibleRegion().isEmpty()


def test_a_workspace_remembered_from_before_the_lesson_keeps_the_lesson_in_sight(window, qtbot):
    window.lessons.start("a-neuron-holds-a-number")
    window.lessons.panel.close_lesson()
    window.show_workspace("inside")  # "watch" is remembered with the lesson dock hidden
    window.lessons.start("weights-as-pictures")
    window.show_workspace("watch")
    assert window.lessons.dock.isVisible()
    window.lessons.panel.close_lesson()
    assert not window.lessons.dock.isVisible()
    window.show_workspace("inside")  # remembered with the dock shown, but the lesson is over
    qtbot.waitUntil(lambda: not window.lessons.dock.isVisible(), timeout=2000)
