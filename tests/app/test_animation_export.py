"""File ▸ Export animation: a panel (or the whole window) over a span of the timeline as an
animated GIF; Cancel leaves no file; the window returns to the moment the user was at."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageSequence
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox
from window_checks import drawn

from visnet import cli
from visnet.app.animation import AnimationSettings, frame_moments
from visnet.app.animation_dialog import WHOLE_WINDOW, AnimationDialog


@pytest.fixture
def window(make_main_window, qtbot):
    """A window with a timeline of 9 moments: steps 0 to 8."""
    w = make_main_window()
    qtbot.waitUntil(lambda: w.session.snapshot is not None, timeout=3000)
    drawn(w)
    for step in range(1, 9):
        w.controller.step_batch()
        qtbot.waitUntil(lambda s=step: w.controller.latest_snapshot.step == s, timeout=3000)
        drawn(w)
    assert w.session.timeline.steps.tolist() == list(range(9))
    return w


def gif_frames(path) -> list[np.ndarray]:
    with Image.open(path) as gif:
        return [np.asarray(f.convert("RGB"), dtype=np.int16) for f in ImageSequence.Iterator(gif)]


def test_the_weight_images_over_the_run_and_back_to_live(window, tmp_path):
    calls = []
    out = tmp_path / "weights.gif"
    settings = AnimationSettings(out, first=0, last=8, fps=10, frames=5, size=(240, 200))
    assert window.export_animation(settings, "weights_dock", progress=lambda done, total: calls.append(done) or True)
    assert calls == [0, 1, 2, 3, 4, 5]
    frames = gif_frames(out)
    assert len(frames) == 5 and frames[0].shape == (200, 240, 3)
    with Image.open(out) as gif:
        assert gif.info["duration"] == 100  # milliseconds: 10 frames a second
    assert np.abs(frames[-1] - frames[0]).mean() > 0.5
    assert not window.session.looking_back  # live again, as before
    assert window.errors == []


def test_a_run_file_exports_without_keeping_the_moments_of_its_frames(make_main_window, qtbot, tmp_path):
    run = tmp_path / "run.safetensors"
    train = ["train", "--layers", "784,16,16,10", "--train-size", "200", "--test-size", "100", "--epochs", "1"]
    assert cli.main([*train, "--quiet", "--record", "--save", str(run)]) == 0
    window = make_main_window()
    assert window.open_model(run, ask=False)
    drawn(window)
    timeline = window.session.timeline
    kept = [timeline.is_kept(i) for i in range(len(timeline))]
    assert len(kept) == 21 and not any(kept[1:-1])  # visnet train keeps the first and last only
    out = tmp_path / "run.gif"
    assert window.export_animation(AnimationSettings(out, frames=7), "weights_dock", lambda d, t: True)
    assert len(gif_frames(out)) == 7
    assert [timeline.is_kept(i) for i in range(len(timeline))] == kept  # frames are not moments lived through


def test_the_whole_window_and_back_to_the_moment_looked_at(window, tmp_path):
    window.session.look_at(3)
    out = tmp_path / "window.gif"
    assert window.export_animation(AnimationSettings(out, first=1, last=6, frames=3), WHOLE_WINDOW, lambda d, t: True)
    with Image.open(out) as gif:
        assert gif.size == (window.width(), window.height())  # default: the size on screen
    assert window.session.looking_back and window.session.snapshot.step == 3


def test_cancel_leaves_no_file(window, tmp_path):
    out = tmp_path / "cancelled.gif"
    settings = AnimationSettings(out, frames=8, size=(120, 100))
    assert not window.export_animation(settings, "network_dock", progress=lambda done, total: done < 3)
    assert not list(tmp_path.iterdir())  # neither the GIF nor a temporary file
    assert not window.session.looking_back
    assert "cancelled" in window.statusBar().currentMessage()


def test_the_menu_asks_and_exports_with_a_progress_dialog(window, tmp_path, monkeypatch):
    out = tmp_path / "loss.gif"
    monkeypatch.setattr(window, "_ask_animation", lambda: ("loss_dock", AnimationSettings(out, frames=4)))
    window.export_animation_action.trigger()
    assert len(gif_frames(out)) == 4
    assert "Saved an animation of 'Loss and accuracy'" in window.statusBar().currentMessage()


def test_an_mp4_without_the_extra_or_a_bad_file_is_one_message(window, tmp_path, monkeypatch):
    monkeypatch.setattr("visnet.app.animation.video_available", lambda: False)
    assert not window.export_animation(AnimationSettings(tmp_path / "a.mp4"), "weights_dock", lambda d, t: True)
    title, text = window.errors[-1]
    assert "pip install visnet[video]" in text and "\n" not in text
    assert not window.export_animation(AnimationSettings(tmp_path / "a.png"), "weights_dock", lambda d, t: True)
    assert ".gif or .mp4" in window.errors[-1][1]
    assert not list(tmp_path.iterdir())


def test_the_dialog_links_frames_and_duration_and_refuses_a_file_it_cannot_write(window, qtbot, tmp_path):
    targets = [("weights_dock", "Weight images", (300, 200)), (WHOLE_WINDOW, "The whole window", (1000, 700))]
    dialog = AnimationDialog(window.session.timeline, targets, "weights_dock", str(tmp_path / "run"), window)
    qtbot.addWidget(dialog)
    assert (dialog.width_spin.value(), dialog.height_spin.value()) == (300, 200)
    assert dialog.frames_spin.value() == 9 and dialog.fps_spin.value() == 20  # every moment, 20 a second
    dialog.seconds_spin.setValue(2.0)
    assert dialog.frames_spin.value() == 40
    dialog.first_spin.setValue(2)
    assert "step 2" in dialog.first_label.text()
    dialog.panel_box.setCurrentIndex(1)
    assert dialog.panel() == WHOLE_WINDOW and dialog.width_spin.value() == 1000
    settings = dialog.settings()
    assert settings.path == tmp_path / "run.gif" and settings.first == 2 and settings.last == 8
    dialog.path_edit.setText(str(tmp_path / "run.png"))
    export = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)
    qtbot.mouseClick(export, Qt.MouseButton.LeftButton)
    assert dialog.result() != dialog.DialogCode.Accepted
    assert ".gif or .mp4" in dialog.problem_label.text()


def test_frames_are_evenly_spaced_moments():
    assert frame_moments(0, 8, 5) == [0, 2, 4, 6, 8]
    assert frame_moments(0, 2, 5) == [0, 0, 1, 2, 2]  # more frames than moments: some repeat
    assert frame_moments(3, 500, None) == [round(x) for x in np.linspace(3, 500, 200)]  # at most 200 by default
