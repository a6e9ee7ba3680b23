"""The cost landscape in the window: not in the opening layout, in View ▸ Panels and as a tab
of Look inside, fitting a 1366x768 laptop, following training."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QMenu
from window_checks import drawn

from visnet.core.landscape import project

LAPTOP = (1366, 706)  # a 1366x768 screen less a task bar and a title bar (test_workspaces.py)


def raise_landscape(qtbot, window):
    window.landscape_dock.show()
    window.landscape_dock.raise_()
    qtbot.waitUntil(lambda: window.landscape_panel.isVisible(), timeout=2000)


def test_the_landscape_is_a_tab_of_look_inside_and_fits_a_laptop(make_main_window, qtbot):
    window = make_main_window()
    assert not window.landscape_dock.isVisible()  # not in "Watch it learn"
    panels_menu = next(m for m in window.menuBar().findChildren(QMenu) if m.title() == "&Panels")
    assert window.landscape_dock.toggleViewAction() in panels_menu.actions()
    window.show_workspace("inside")
    window.resize(*LAPTOP)
    qtbot.waitUntil(lambda: window.size().toTuple() == LAPTOP, timeout=2000)
    window.restore_layout_action.trigger()
    raise_landscape(qtbot, window)
    qtbot.wait(50)
    assert window.layout_problems() == []
    panel = window.landscape_panel
    assert panel.width() >= 400 and panel.height() >= 500


def test_the_landscape_follows_training_in_the_window(make_main_window, qtbot):
    window = make_main_window()
    window.show_workspace("inside")
    raise_landscape(qtbot, window)
    panel = window.landscape_panel
    window.step_batch_action.trigger()
    drawn(window)

    def around_the_moment_shown():
        assert not panel.is_computing()
        assert panel.now_position() == pytest.approx((0.0, 0.0), abs=1e-9)

    qtbot.waitUntil(around_the_moment_shown, timeout=15_000)
    # Going back a moment moves the marker to that moment's projection on the same plane.
    window.session.step_through(-1)
    drawn(window)
    moment = window.session.snapshot
    expected = project((moment.weights, moment.biases), *panel.plane())[:2]
    assert panel.now_position() == pytest.approx(expected, abs=1e-9)
