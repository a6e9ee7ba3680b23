"""A bug in a slot, or a file the loader does not refuse cleanly, gives a message, not a
traceback nor a dead window."""

from __future__ import annotations

import sys

import pytest
from PySide6.QtCore import QTimer

from visnet.app.error_log import install_excepthook


@pytest.mark.qt_no_exception_capture  # the app's own excepthook is under test here
def test_an_exception_in_a_slot_shows_one_line_and_logs_the_traceback(
    qtbot, make_main_window, tmp_path, monkeypatch, capfd
):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # put back after the test
    window = make_main_window()
    install_excepthook(window.show_unexpected_error)

    def broken_slot():
        raise ZeroDivisionError("division by zero")

    QTimer.singleShot(0, broken_slot)
    qtbot.waitUntil(window.banner.isVisible, timeout=3000)

    log = tmp_path / "cache" / "visnet" / "errors.log"
    text = window.banner.text()
    assert "Something went wrong:" in text and f"ZeroDivisionError: division by zero — details saved to {log}" in text
    assert "\n" not in text and not window.banner.action_button.isVisible()
    assert "Traceback (most recent call last)" in log.read_text() and "broken_slot" in log.read_text()
    assert "Traceback" not in capfd.readouterr().err
    window.train_action.trigger()  # the window still works
    qtbot.waitUntil(lambda: window.controller.latest_snapshot.step > 10, timeout=5000)


def test_opening_a_file_that_raises_something_unexpected_gives_a_message(
    qtbot, make_main_window, tmp_path, monkeypatch
):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    window = make_main_window()

    def broken_loader(path):
        raise OverflowError("cannot fit 'int' into an index-sized integer")

    monkeypatch.setattr("visnet.app.main_window.open_model", broken_loader)
    monkeypatch.setattr(window, "_ask_open_path", lambda: str(tmp_path / "odd.safetensors"))
    before = window.controller.trainer
    window.open_action.trigger()
    assert len(window.errors) == 1
    title, text = window.errors[0]
    assert title == "Could not open the model"
    assert text.startswith(f"{tmp_path / 'odd.safetensors'}: unexpected error, OverflowError: cannot fit")
    assert window.controller.trainer is before  # the network shown stays
