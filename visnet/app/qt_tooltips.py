"""Tooltips for the buttons Qt makes itself: a dock's close and float buttons, a toolbar's
» button, the arrows of a tab bar too narrow for its tabs, a table's corner button.

Qt gives them none, and a learner hovering over every control should learn what each
does. Dock tab bars come and go as workspaces rearrange the docks, so the window's
buttons are looked over again whenever a dock is shown.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Slot
from PySide6.QtWidgets import QAbstractButton, QDockWidget, QMainWindow, QTabBar, QTableView

BUTTON_TIPS = {
    "qt_dockwidget_closebutton": "Close this panel; View ▸ Panels shows it again",
    "qt_dockwidget_floatbutton": "Float this panel in a window of its own (to make it bigger); "
    "double-click its title to put it back",
    "qt_toolbar_ext_button": "More: the buttons the window is too narrow to show",
    "qt_menubar_ext_button": "More: the menus the window is too narrow to show",
}
SCROLL_TIPS = {"ScrollLeftButton": "Show the tabs to the left", "ScrollRightButton": "Show the tabs to the right"}
CORNER_TIP = "Select the whole table (then Ctrl+C copies it)"


def explain_qt_buttons(root: QObject) -> None:
    """Give Qt's own buttons under `root` a tooltip where they have none."""
    for button in root.findChildren(QAbstractButton):
        if button.toolTip():
            continue
        name = button.objectName()
        parent = button.parentWidget()
        if name in BUTTON_TIPS:
            button.setToolTip(BUTTON_TIPS[name])
        elif name in SCROLL_TIPS and isinstance(parent, QTabBar):
            button.setToolTip(SCROLL_TIPS[name])
        elif name == "qt_tableview_cornerbutton" and isinstance(parent, QTableView):
            button.setToolTip(CORNER_TIP)


class QtButtonTips(QObject):
    """Keeps explain_qt_buttons applied to a window as its docks move."""

    def __init__(self, window: QMainWindow):
        super().__init__(window)
        self._window = window
        self._timer = QTimer(self)  # one look after the docks a workspace switch shows
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(lambda: explain_qt_buttons(window))
        for dock in window.findChildren(QDockWidget):
            dock.visibilityChanged.connect(self._on_dock_visibility_changed)
        explain_qt_buttons(window)

    @Slot(bool)
    def _on_dock_visibility_changed(self, visible: bool) -> None:
        if visible:  # after Qt has made the dock's tab bar, and the window a lazy panel
            self._timer.start()
