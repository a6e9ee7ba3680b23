"""The timeline in the window: going back shows that moment's network in every panel,
training goes on behind, keys and the bar move along it, and an edit made while looking
back continues training from that moment (a branch) keeping the run so far."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from window_checks import assert_panels_agree, drawn

from visnet.app.panels.mistakes import confusion_matrix
from visnet.io import open_model


@pytest.fixture
def window(make_main_window, qtbot):
    w = make_main_window()
    qtbot.waitUntil(lambda: w.session.snapshot is not None, timeout=3000)
    drawn(w)
    return w


def step_batches(window, qtbot, n: int) -> dict[int, list[np.ndarray]]:
    """Train n single mini-batches; the parameters after each, by step."""
    params = {}
    for _ in range(n):
        before = window.controller.latest_snapshot.step
        qtbot.keyClick(window, Qt.Key.Key_Right)
        qtbot.waitUntil(lambda b=before: window.controller.latest_snapshot.step == b + 1, timeout=3000)
        qtbot.waitUntil(lambda: window.controller.latest_snapshot.state == "paused", timeout=3000)
        drawn(window)
        with window.controller.locked_trainer() as tr:
            params[tr.steps] = [w.copy() for w in tr.net.weights] + [b.copy() for b in tr.net.biases]
    return params


def test_going_back_shows_that_moments_network_in_every_panel(window, qtbot):
    assert window.timeline_bar.caption.text() == "live · step 0 · 1 moment"
    params = step_batches(window, qtbot, 4)
    session = window.session
    assert session.timeline.steps.tolist() == [0, 1, 2, 3, 4]
    window.show_workspace("inside")  # the mistakes panel in view too
    session.choose_test_sample(7)
    drawn(window)
    session.look_at(session.timeline.index_of(2))
    moment = session.snapshot
    assert session.looking_back and moment.step == 2
    for shown, expected in zip([*moment.weights, *moment.biases], params[2]):
        np.testing.assert_array_equal(shown, expected)  # bit for bit
    assert_panels_agree(window)
    assert window.loss_panel.cursor_x == pytest.approx(moment.epoch_progress)
    assert window.gradient_panel.cursor_x == pytest.approx(moment.epoch_progress)
    live = window.controller.latest_snapshot.network  # step 4: what the panels no longer show
    assert not np.array_equal(live.forward(session.sample.x[None]), moment.network.forward(session.sample.x[None]))
    mistakes = window.mistakes_panel
    mistakes.refresh_now()
    qtbot.waitUntil(lambda: (mistakes.refresh_now() or mistakes.confusion()) is not None, timeout=5000)
    d = window.dataset
    predicted = np.argmax(moment.network.forward(d.x_test.astype(np.float32)), axis=1)
    np.testing.assert_array_equal(mistakes.confusion(), confusion_matrix(d.y_test, predicted, 10))
    assert "step 2" in window.timeline_bar.caption.text()
    assert "looking back" in window.status.state_label.text()
    session.go_live()
    drawn(window)
    assert not session.looking_back and session.snapshot.step == 4
    assert window.timeline_bar.caption.text() == "live · step 4 · 5 moments"
    assert window.loss_panel.cursor_x is None and window.gradient_panel.cursor_x is None
    assert_panels_agree(window)


def test_training_goes_on_behind_while_looking_back(window, qtbot):
    step_batches(window, qtbot, 3)
    session = window.session
    session.look_at(1)
    window.loss_panel.flush()
    loss_points = window.loss_panel.n_points()
    window.controller.start()
    qtbot.waitUntil(lambda: session.live_snapshot is not None and session.live_snapshot.step > 60, timeout=10_000)
    window.controller.pause()
    qtbot.waitUntil(lambda: window.controller.state == "paused", timeout=3000)
    drawn(window)
    assert session.looking_back and session.snapshot.step == 1
    assert session.timeline.steps[-1] > 60  # the moments of the steps trained behind
    assert window.loss_panel.cursor_x == pytest.approx(session.snapshot.epoch_progress)
    window.loss_panel.flush()
    assert window.loss_panel.n_points() > loss_points + 50  # the curves took every batch trained behind
    assert "live +" in window.timeline_bar.caption.text()
    assert window.loss_panel.summary().startswith(f"at epoch {session.snapshot.epoch_progress:.2f}")
    qtbot.keyClick(window, Qt.Key.Key_End)
    drawn(window)
    assert not session.looking_back and session.snapshot.step == session.live_snapshot.step > 60


def test_keys_move_along_the_timeline(window, qtbot):
    step_batches(window, qtbot, 3)
    session = window.session
    qtbot.keyClick(window, Qt.Key.Key_Comma)
    assert session.looking_back and session.snapshot.step == 2
    qtbot.keyClick(window, Qt.Key.Key_Comma)
    assert session.snapshot.step == 1
    qtbot.keyClick(window, Qt.Key.Key_Period)
    assert session.snapshot.step == 2
    qtbot.keyClick(window, Qt.Key.Key_Home)
    assert session.snapshot.step == 0
    qtbot.keyClick(window, Qt.Key.Key_Period)
    qtbot.keyClick(window, Qt.Key.Key_Period)
    qtbot.keyClick(window, Qt.Key.Key_Period)
    assert session.snapshot.step == 3 and session.looking_back
    qtbot.keyClick(window, Qt.Key.Key_Period)  # past the newest moment: live
    assert not session.looking_back


def test_the_bar_goes_to_the_moment_clicked_and_to_live(window, qtbot):
    window.controller.start()
    qtbot.waitUntil(lambda: window.controller.latest_snapshot.step > 300, timeout=10_000)
    window.controller.pause()
    qtbot.waitUntil(lambda: window.controller.state == "paused", timeout=3000)
    drawn(window)
    track = window.timeline_bar.track
    session = window.session
    target = session.timeline[len(session.timeline) // 2].step
    qtbot.mouseClick(track, Qt.MouseButton.LeftButton, pos=QPoint(round(track.x_of(target)), track.height() // 2))
    assert session.looking_back and session.snapshot.step == target
    qtbot.mouseClick(track, Qt.MouseButton.LeftButton, pos=QPoint(2, track.height() // 2))
    assert session.snapshot.step == session.timeline[0].step
    window.timeline_bar.live_button.click()
    assert not session.looking_back


def test_an_edit_while_looking_back_branches_and_keeps_the_run(window, qtbot, monkeypatch):
    step_batches(window, qtbot, 6)
    session = window.session
    original = session.timeline.steps.tolist()
    session.look_at(session.timeline.index_of(3))
    monkeypatch.setattr(window, "_ask_branch", lambda doing: False)
    assert window.edit_network("ablate", 0, 2) is None  # declined: nothing changes
    assert session.looking_back and window.controller.trainer.steps == 6
    monkeypatch.setattr(window, "_ask_branch", lambda doing: True)
    assert window.edit_network("ablate", 0, 2) is not None
    drawn(window)
    trainer = window.controller.trainer
    assert not session.looking_back and trainer.steps == 3
    assert np.all(trainer.net.weights[1][:, 2] == 0)  # the edit (outgoing weights cut) applies to the moment
    moment3 = session.earlier_timelines[-1][session.earlier_timelines[-1].index_of(3)]
    np.testing.assert_array_equal(trainer.net.weights[0], moment3.weights[0])
    assert session.earlier_timelines[-1].steps.tolist() == original  # the run so far is kept
    step_batches(window, qtbot, 2)
    assert session.timeline.steps.tolist() == [0, 1, 2, 3, 4, 5]
    assert session.earlier_timelines[-1].steps.tolist() == original


def test_a_saved_run_opens_with_its_timeline_and_replays(window, qtbot, tmp_path):
    step_batches(window, qtbot, 5)
    session = window.session
    steps = session.timeline.steps.tolist()
    path = tmp_path / "run.safetensors"
    assert window.save_model_to(path, with_timeline=True)
    recorded = [session.timeline[i] for i in range(len(session.timeline))]
    assert window.open_model(path, ask=False)
    drawn(window)
    assert session.timeline.steps.tolist() == steps
    session.look_at(session.timeline.index_of(2))
    drawn(window)
    for a, b in zip(session.snapshot.weights, recorded[2].weights):
        np.testing.assert_array_equal(a, b)
    assert_panels_agree(window)
    session.go_live()
    window.controller.step_batch()  # training goes on from the last moment
    qtbot.waitUntil(lambda: window.controller.latest_snapshot.step == 6, timeout=3000)
    drawn(window)
    assert session.timeline.steps.tolist() == [*steps, 6]
    assert window.save_model_to(path)  # a run file in use is saved as a run again
    assert open_model(path).timeline.steps.tolist() == [*steps, 6]


def test_the_inspector_shows_then_now_and_the_change_on_one_scale(window, qtbot):
    step_batches(window, qtbot, 3)
    window.controller.start()
    qtbot.waitUntil(lambda: window.controller.latest_snapshot.step > 200, timeout=10_000)
    window.controller.pause()
    qtbot.waitUntil(lambda: window.controller.state == "paused", timeout=3000)
    drawn(window)
    window.show_workspace("inside")
    inspector, session = window.inspector, window.session
    assert inspector.then_now.isHidden()  # live: nothing to compare
    session.look_at(session.timeline.index_of(2))
    session.select_neuron(0, 3)
    then = session.snapshot.weights[0][3]
    now = session.live_snapshot.weights[0][3]
    assert not inspector.then_now.isHidden()
    images = {}
    for mode in ("then", "now", "change"):
        inspector.then_now.set_mode(mode)
        inspector.refresh_now()
        images[mode] = (inspector.weights_image.image.copy(), tuple(inspector.weights_image.levels))
    np.testing.assert_array_equal(images["then"][0], then.reshape(28, 28))
    np.testing.assert_array_equal(images["now"][0], now.reshape(28, 28))
    np.testing.assert_allclose(images["change"][0], (now.astype(np.float64) - then).reshape(28, 28))
    assert images["then"][1] == images["now"][1] == images["change"][1]  # one colour scale
    assert np.abs(images["change"][0]).max() > 0
    session.go_live()
    assert inspector.then_now.isHidden() and inspector.then_now.mode == "then"


def test_the_timeline_budget_is_asked_applied_and_remembered(window, qtbot, monkeypatch, make_main_window):
    step_batches(window, qtbot, 3)
    monkeypatch.setattr(window, "_ask_timeline_budget", lambda current: None)  # cancelled
    window.timeline_budget_action.trigger()
    assert window.session.timeline.budget == 256 * 2**20
    monkeypatch.setattr(window, "_ask_timeline_budget", lambda current: 32)
    window.timeline_budget_action.trigger()
    assert window.session.timeline.budget == 32 * 2**20
    assert len(window.session.timeline) == 4  # small moments: all still fit
    again = make_main_window()
    assert again.session.timeline.budget == 32 * 2**20


def test_the_playground_surface_and_the_stepper_follow_the_moment(make_main_window, qtbot):
    from visnet.core.surface import evaluate_surface

    window = make_main_window(dataset=None, dataset_spec="playground:xor?noise=0.2&seed=0&points=400&train=0.5")
    qtbot.waitUntil(lambda: window.session.snapshot is not None, timeout=3000)
    step_batches(window, qtbot, 4)
    window.controller.start()
    qtbot.waitUntil(lambda: window.controller.latest_snapshot.step > 300, timeout=10_000)
    window.controller.pause()
    qtbot.waitUntil(lambda: window.controller.state == "paused", timeout=3000)
    drawn(window)
    session = window.session
    session.look_at(session.timeline.index_of(3))
    drawn(window)
    moment = session.snapshot
    qtbot.waitUntil(
        lambda: np.array_equal(window.surface_panel.image_array(), evaluate_surface(moment.network).output),
        timeout=3000,
    )
    assert not np.array_equal(
        evaluate_surface(moment.network).output, evaluate_surface(window.controller.trainer.net).output
    )
    window.show_workspace("backprop")
    qtbot.waitUntil(lambda: window.stepper.state is not None, timeout=3000)
    for a, b in zip(window.stepper.state.net.weights, moment.weights):
        np.testing.assert_array_equal(a, b)  # the stepper traces the moment looked at
    session.look_at(session.timeline.index_of(2))  # moving on retraces
    for a, b in zip(window.stepper.state.net.weights, session.snapshot.weights):
        np.testing.assert_array_equal(a, b)
    assert window.controller.state == "paused" and session.looking_back


def test_the_weight_images_show_then_now_and_the_change(window, qtbot):
    step_batches(window, qtbot, 3)
    window.controller.start()
    qtbot.waitUntil(lambda: window.controller.latest_snapshot.step > 200, timeout=10_000)
    window.controller.pause()
    qtbot.waitUntil(lambda: window.controller.state == "paused", timeout=3000)
    drawn(window)
    panel, session = window.weights_panel, window.session
    assert panel.then_now.isHidden()
    session.look_at(session.timeline.index_of(2))
    then, now = session.snapshot.weights[0], session.live_snapshot.weights[0]

    def tile(j):
        return panel.mosaic_image()[:28, 29 * j : 29 * j + 28]  # 28x28 tiles, 1 pixel apart

    np.testing.assert_array_equal(tile(1), then[1].reshape(28, 28))
    limits = [panel.color_limit()]
    panel.then_now.set_mode("now")
    np.testing.assert_array_equal(tile(1), now[1].reshape(28, 28))
    limits.append(panel.color_limit())
    panel.then_now.set_mode("change")
    np.testing.assert_allclose(tile(1), (now[1].astype(np.float64) - then[1]).reshape(28, 28), rtol=1e-6, atol=1e-7)
    limits.append(panel.color_limit())
    assert limits[1] == limits[2]  # now and the change on one colour scale
    session.go_live()
    drawn(window)
    np.testing.assert_array_equal(tile(1), now[1].reshape(28, 28))
