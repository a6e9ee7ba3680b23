"""Every control a learner can use says what it does: a tooltip on each enabled, visible
button, spin box, combo box, slider, check box and text field, in every workspace."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QComboBox,
    QLineEdit,
    QSlider,
    QTabWidget,
    QToolButton,
    QWidget,
)

from visnet.app import workspaces
from visnet.app.shortcuts import plain_text

CONTROLS = (QAbstractButton, QAbstractSpinBox, QComboBox, QSlider, QLineEdit)


def _tip(widget: QWidget) -> str:
    """The widget's tooltip, or its action's for a toolbar button, or (a spin box's or a
    combo box's line edit) its owner's."""
    if widget.toolTip().strip():
        return widget.toolTip()
    if isinstance(widget, QToolButton) and widget.defaultAction() is not None:
        return widget.defaultAction().toolTip()
    parent = widget.parentWidget()
    if isinstance(widget, QLineEdit) and isinstance(parent, (QAbstractSpinBox, QComboBox)):
        return parent.toolTip()
    return ""


def _untipped(window) -> list[str]:
    missing = []
    for kind in CONTROLS:
        for widget in window.findChildren(kind):
            if widget.isVisible() and widget.isEnabled() and not _tip(widget).strip():
                text = widget.text() if hasattr(widget, "text") else ""
                missing.append(f"{type(widget).__name__} {widget.objectName()!r} {text!r} in {_where(widget)}")
    return missing


def _where(widget: QWidget) -> str:
    names = []
    while widget is not None:
        names.append(type(widget).__name__ + (f"({widget.objectName()})" if widget.objectName() else ""))
        widget = widget.parentWidget()
    return " < ".join(names[1:5])


def _visit_every_tab(window, found: set[str]) -> None:
    """Collect the untipped controls of every page of every tab widget shown."""
    found.update(_untipped(window))
    for tabs in window.findChildren(QTabWidget):
        if tabs.isVisible():
            current = tabs.currentIndex()
            for index in range(tabs.count()):
                tabs.setCurrentIndex(index)
                found.update(_untipped(tabs))
            tabs.setCurrentIndex(current)


def test_every_control_has_a_tooltip(make_main_window, qtbot):
    window = make_main_window()
    missing: set[str] = set()
    for ws in workspaces.WORKSPACES:
        window.show_workspace(ws.name)
        qtbot.wait(1)  # Qt's own buttons get their tips once the docks have moved
        _visit_every_tab(window, missing)
    assert window.open_playground("xor", ask=False)  # the playground's own controls
    for name in ("playground", "inspect"):
        window.show_workspace(name)
        qtbot.wait(1)
        _visit_every_tab(window, missing)
    assert not missing, "\n".join(sorted(missing))


def test_every_menu_command_says_what_it_does(make_main_window):
    """A menu command's tooltip (shown as its status tip too) is more than its own name."""
    window = make_main_window()

    def commands(menu):
        for action in menu.actions():
            if action.menu() is not None:
                yield from commands(action.menu())
            elif not action.isSeparator():
                yield action

    bare = [
        action.text()
        for entry in window.menuBar().actions()
        for action in commands(entry.menu())
        if action.toolTip().strip() in ("", plain_text(action.text()))
    ]
    assert not bare
