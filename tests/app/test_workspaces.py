"""Workspaces fit a laptop screen and a desktop screen, are remembered, and are repaired
when a remembered layout does not suit the data."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings, Qt

from visnet.app import settings as keys
from visnet.app import workspaces

# The window's client area on a 1366x768 laptop (a 32 px task bar and a 30 px title bar
# taken off) and on a 1920x1080 desktop.
SCREENS = {"laptop": (1366, 706), "desktop": (1920, 1020)}


def settle(qtbot, window, size):
    window.resize(*size)
    qtbot.waitUntil(lambda: window.size().toTuple() == size, timeout=2000)
    window.restore_layout_action.trigger()
    qtbot.wait(50)


@pytest.mark.parametrize("screen", SCREENS)
def test_every_workspace_fits_the_screen_with_every_dock_at_its_minimum_size_or_more(make_main_window, qtbot, screen):
    window = make_main_window()
    size = SCREENS[screen]
    for ws in workspaces.WORKSPACES:
        if ws.name == "playground":
            assert window.open_playground("xor", ask=False)
        else:
            window.show_workspace(ws.name)
        assert window.workspace == ws.name
        settle(qtbot, window, size)
        assert window.minimumSizeHint().width() <= size[0] and window.minimumSizeHint().height() <= size[1]
        assert window.size().toTuple() == size  # nothing forced the window larger
        assert window.layout_problems() == [], ws.name
        shown = {d.objectName() for d in window.docks if d.isVisible()}
        assert shown, ws.name
        assert shown <= set(ws.dock_names()), ws.name


def test_workspace_tabs_and_keys_switch_workspaces(make_main_window, qtbot):
    window = make_main_window()
    assert window.workspace == "watch"
    window.workspace_tabs.setCurrentIndex(1)
    assert window.workspace == "inside" and window.inspector_dock.isVisible()
    qtbot.keyClick(window, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    assert window.workspace == "backprop" and window.stepper_dock.isVisible()
    assert window.in_backprop_mode() and window.backprop_action.isChecked()
    qtbot.keyClick(window, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)  # back where it was
    assert window.workspace == "inside" and not window.backprop_action.isChecked()
    assert window.workspace_tabs.currentIndex() == 1


def test_each_workspace_remembers_its_own_arrangement(make_main_window, qtbot):
    window = make_main_window()
    window.tabifyDockWidget(window.loss_dock, window.gradients_dock)
    window.show_workspace("inside")
    assert not window.loss_dock.isVisible()
    window.show_workspace("watch")
    assert window.gradients_dock in window.tabifiedDockWidgets(window.loss_dock)
    assert window.close()
    assert QSettings().value(keys.WORKSPACE) == "watch"
    second = make_main_window()
    qtbot.waitUntil(lambda: second.gradients_dock in second.tabifiedDockWidgets(second.loss_dock), timeout=2000)


def test_a_remembered_layout_that_does_not_suit_the_data_is_repaired(make_main_window, qtbot):
    first = make_main_window()
    first.surface_dock.show()  # a decision surface on a digit network: blank and useless
    first.tabifyDockWidget(first.weights_dock, first.surface_dock)
    first.surface_dock.raise_()
    assert first.close()
    second = make_main_window()
    qtbot.waitUntil(lambda: not second.surface_dock.isVisible(), timeout=2000)
    assert second.weights_dock.isVisible()
    assert second.layout_problems() == []


def test_the_playground_workspace_on_digits_opens_a_playground_and_the_digits_bring_back_watch(make_main_window, qtbot):
    window = make_main_window()
    window.workspace_tabs.setCurrentIndex([w.name for w in workspaces.WORKSPACES].index("playground"))
    assert window.playground is not None and window.workspace == "playground"
    assert window.surface_dock.isVisible() and not window.weights_dock.isVisible()
    window.playground_menu.actions()[-1].trigger()  # Back to the digits
    assert window.playground is None and window.workspace == "watch"
    assert not window.surface_dock.isVisible()
