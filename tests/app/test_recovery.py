"""Ending the app by a signal keeps unsaved training in the recovery file, which the next
start offers; the file's own logic is tested without Qt."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from visnet.app import recovery
from visnet.app.main import handle_ending_signals
from visnet.io import open_model


@pytest.fixture
def state_home(tmp_path, monkeypatch):
    """The recovery file goes to a temporary state folder, never the user's."""
    folder = tmp_path / "state"
    monkeypatch.setenv("XDG_STATE_HOME", str(folder))
    return folder


@pytest.fixture
def ending_handlers():
    """The signal handlers the app installs, put back as they were after the test."""
    before = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)}
    yield
    for s, handler in before.items():
        signal.signal(s, handler)


def trained_window(qtbot, make_main_window, steps: int = 150):
    window = make_main_window()
    window.train_action.trigger()
    qtbot.waitUntil(lambda: window.controller.latest_snapshot.step > steps, timeout=10_000)
    return window


def test_sigterm_keeps_unsaved_training_and_the_next_start_offers_it(
    qtbot, make_main_window, state_home, ending_handlers, monkeypatch, capfd
):
    window = trained_window(qtbot, make_main_window)
    asked, quits = [], []
    monkeypatch.setattr(window, "_ask_save_changes", lambda doing: asked.append(doing) or "cancel")
    monkeypatch.setattr(QApplication, "quit", lambda: quits.append(True))
    handle_ending_signals(window)
    signal.getsignal(signal.SIGTERM)(signal.SIGTERM, None)  # as if `kill` had sent it
    qtbot.waitUntil(lambda: bool(quits), timeout=5000)

    assert not window.isVisible() and asked == []  # ended at once, without a prompt
    assert window.controller.training_pid is None
    path = recovery.recovery_path()
    assert path.parent == state_home / "visnet" and path.is_file()
    assert (
        capfd.readouterr().err
        == f"visnet: SIGTERM: the unsaved training is kept in {path} and offered at the next start\n"
    )
    kept = open_model(path)
    with window.controller.locked_trainer() as trainer:
        steps, weights = trainer.steps, [w.copy() for w in trainer.net.weights]
    assert kept.history.steps == steps and len(kept.history.batch_x) > 0

    again = make_main_window()
    assert again.offer_recovery()
    assert again.recovery_banner.isVisible()
    text = again.recovery_banner.text()
    assert "visnet was closed while a model had unsaved training" in text
    assert f"(784-16-16-10, epoch {kept.network.info['epochs']:.1f}, just now). Open it?" in text
    qtbot.mouseClick(again.recovery_banner.action_button, Qt.MouseButton.LeftButton)

    assert not again.recovery_banner.isVisible() and not path.exists()
    with again.controller.locked_trainer() as trainer:
        assert trainer.steps == steps
        for w, expected in zip(trainer.net.weights, weights):
            np.testing.assert_array_equal(w, expected)
    x, _ = again.loss_panel.batch_losses()
    assert len(x) == len(kept.history.batch_x)
    assert again.has_unsaved_work() and again.model_path is None  # still to be saved somewhere
    assert recovery.RECOVERY_INFO not in again.controller.trainer.net.info
    assert again.errors == []


def test_discard_removes_the_recovery_file(qtbot, make_main_window, state_home, monkeypatch):
    window = trained_window(qtbot, make_main_window, steps=20)
    path = window.save_recovery()
    assert path == recovery.recovery_path() and path.is_file()
    window.controller.pause()
    assert window.offer_recovery()
    qtbot.mouseClick(window.recovery_banner.dismiss_button, Qt.MouseButton.LeftButton)
    assert not path.exists() and not window.recovery_banner.isVisible()
    assert not window.offer_recovery()


def test_nothing_unsaved_leaves_no_recovery_file(qtbot, make_main_window, state_home, monkeypatch):
    window = make_main_window()
    monkeypatch.setattr(QApplication, "quit", lambda: None)
    window.end_by_signal("SIGHUP")
    assert not window.isVisible()
    assert not recovery.recovery_path().exists()


def test_an_unreadable_recovery_file_is_removed_not_offered(state_home):
    path = recovery.recovery_path()
    path.parent.mkdir(parents=True)
    path.write_bytes(b"\x00" * 100)
    assert recovery.find_recovery() is None
    assert not path.exists()


def test_the_recovery_file_follows_the_state_folder_convention(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    assert recovery.recovery_path() == tmp_path / "visnet" / "recovery.safetensors"
    monkeypatch.setenv("XDG_STATE_HOME", "relative/path")  # ignored, as the XDG spec says
    assert recovery.state_dir() == Path.home() / ".local" / "state" / "visnet"


def test_a_recovery_says_what_it_holds_and_how_old_it_is():
    now = time.time()
    found = recovery.Recovery(recovery.recovery_path(), (784, 16, 16, 10), 12.34, now - 2 * 3600 - 5, None)
    assert found.describe(now) == "784-16-16-10, epoch 12.3, 2 hours ago"
    assert [recovery.time_ago(s) for s in (5, 60, 119, 7200, 86400 * 3)] == [
        "just now",
        "1 minute ago",
        "1 minute ago",
        "2 hours ago",
        "3 days ago",
    ]
