"""The representation map in the window: in View ▸ Panels, a tab of Look inside and of the
Playground that fits a 1366x768 laptop, following training and the timeline."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtWidgets import QMenu
from window_checks import drawn

from visnet.core.representation import every_layer

LAPTOP = (1366, 706)  # a 1366x768 screen less a task bar and a title bar (test_workspaces.py)


def raise_map(qtbot, window):
    window.representation_dock.show()
    window.representation_dock.raise_()
    qtbot.waitUntil(lambda: window.representation_panel.isVisible(), timeout=2000)


@pytest.mark.parametrize("workspace", ["inside", "playground"])
def test_the_map_is_a_tab_that_fits_a_laptop(make_main_window, qtbot, workspace):
    window = make_main_window()
    assert not window.representation_dock.isVisible()  # not in "Watch it learn"
    panels_menu = next(m for m in window.menuBar().findChildren(QMenu) if m.title() == "&Panels")
    assert window.representation_dock.toggleViewAction() in panels_menu.actions()
    if workspace == "playground":
        assert window.open_playground("circle", ask=False)
    else:
        window.show_workspace(workspace)
    window.resize(*LAPTOP)
    qtbot.waitUntil(lambda: window.size().toTuple() == LAPTOP, timeout=2000)
    window.restore_layout_action.trigger()
    raise_map(qtbot, window)
    qtbot.wait(50)
    assert window.layout_problems() == []
    panel = window.representation_panel
    assert panel.width() >= 300 and panel.height() >= 250


def test_the_map_follows_training_and_the_timeline(make_main_window, qtbot):
    window = make_main_window()
    window.show_workspace("inside")
    raise_map(qtbot, window)
    panel = window.representation_panel
    x = window.dataset.x_test
    for _ in range(3):
        window.step_batch_action.trigger()
        drawn(window)
    qtbot.waitUntil(lambda: panel.shown_snapshot() is window.session.snapshot, timeout=3000)
    now = window.session.snapshot
    np.testing.assert_allclose(panel.activations(), every_layer(now.network, x)[panel.layer()], rtol=1e-5, atol=1e-6)
    window.session.look_at(0)  # back to the first moment: the map of that moment
    drawn(window)
    then = window.session.snapshot
    assert then is not now
    qtbot.waitUntil(lambda: panel.shown_snapshot() is then, timeout=3000)
    np.testing.assert_allclose(panel.activations(), every_layer(then.network, x)[panel.layer()], rtol=1e-5, atol=1e-6)
