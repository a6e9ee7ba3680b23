"""Help ▸ Keyboard shortcuts: every shortcut of the window, read from its actions when the
dialog opens, so the list cannot go stale.

An action's keys are its QAction.shortcuts(); an action whose keys work only inside one
panel (the stepper's) has none, and shows them in its menu text after a tab, as Qt menus
do ("Next step\\t→ / PgDown"): those are listed too. Rows are grouped by menu ("View ▸
Panels"); actions in no menu (toolbar buttons) go under "Toolbar and elsewhere". A panel's
own QShortcut (keys that work while the panel has the focus) is listed under the panel's
dock when its whatsThis() says what it does.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QDockWidget,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

ELSEWHERE = "Toolbar and elsewhere"
SPELLED_OUT = {",": ", (comma)", ".": ". (full stop)"}  # keys too small to see alone in a list


def shown_keys_text(keys: str) -> str:
    """keys as the dialog shows them: ", (comma) or Ctrl+B" rather than a lone ","."""
    return " or ".join(SPELLED_OUT.get(k, k) for k in keys.split(" or "))


@dataclass(frozen=True)
class Shortcut:
    group: str  # the menu it is in, "View ▸ Panels", or ELSEWHERE
    command: str  # the action's text without "&" and keys
    keys: str  # "Space", "→ or S", "→ / PgDown"


def plain_text(text: str) -> str:
    """A menu text without its mnemonic '&' (a '&&' stays one '&') or the keys after a tab."""
    return text.split("\t", 1)[0].replace("&&", "\0").replace("&", "").replace("\0", "&").strip()


def action_keys(action: QAction) -> str:
    """The keys of an action as shown to a person: its shortcuts ("→ or S"), else the keys
    its text shows after a tab; "" when it has none."""
    sequences = [s for s in action.shortcuts() if not s.isEmpty()]
    if sequences:
        return " or ".join(s.toString(QKeySequence.SequenceFormat.NativeText) for s in sequences)
    _, _, shown = action.text().partition("\t")
    return shown.strip()


def _menu_rows(menu: QMenu, path: str, seen: set[int]) -> list[Shortcut]:
    rows = []
    for action in menu.actions():
        if action.isSeparator():
            continue
        if action.menu() is not None:
            rows += _menu_rows(action.menu(), f"{path} ▸ {plain_text(action.menu().title())}", seen)
            continue
        seen.add(id(action))
        keys = action_keys(action)
        if keys:
            rows.append(Shortcut(path, plain_text(action.text()), keys))
    return rows


def window_shortcuts(window: QMainWindow) -> list[Shortcut]:
    """Every shortcut of the window's menus, in menu order, then those of its other actions."""
    seen: set[int] = set()
    rows = []
    for entry in window.menuBar().actions():
        if entry.menu() is not None:
            rows += _menu_rows(entry.menu(), plain_text(entry.menu().title()), seen)
    for action in window.actions():
        if id(action) not in seen and (keys := action_keys(action)):
            rows.append(Shortcut(ELSEWHERE, plain_text(action.text()), keys))
    for shortcut in window.findChildren(QShortcut):
        if shortcut.whatsThis() and not shortcut.key().isEmpty():
            rows.append(Shortcut(panel_group(shortcut), shortcut.whatsThis(), shortcut_keys(shortcut)))
    return rows


def shortcut_keys(shortcut: QShortcut) -> str:
    return " or ".join(k.toString(QKeySequence.SequenceFormat.NativeText) for k in shortcut.keys() if not k.isEmpty())


def panel_group(shortcut: QShortcut) -> str:
    """The title of the dock of the panel a QShortcut belongs to, "… (click it first)"."""
    widget = shortcut.parent()
    while widget is not None and not isinstance(widget, QDockWidget):
        widget = widget.parentWidget()
    title = widget.windowTitle() if widget is not None else "A panel"
    return f"{title} panel (click it first)"


class ShortcutsDialog(QDialog):
    """The window's shortcuts as a tree (menu → command, keys), with a filter field."""

    def __init__(self, window: QMainWindow, parent: QWidget | None = None):
        super().__init__(parent or window)
        self.setWindowTitle("Keyboard shortcuts")
        self.resize(560, 560)
        layout = QVBoxLayout(self)
        note = QLabel(
            "Keys of the stepper (Backprop menu) work while it has the keyboard focus: click it first. "
            "Other keys work anywhere in the window, except while typing in a field."
        )
        note.setWordWrap(True)
        layout.addWidget(note)
        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText("Find a command or a key…")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.setToolTip("Show only the commands whose name, menu or keys contain this text")
        self.filter_edit.textChanged.connect(self._on_filter_changed)
        layout.addWidget(self.filter_edit)
        self.tree = QTreeWidget()
        self.tree.setColumnCount(2)
        self.tree.setHeaderLabels(["Command", "Keys"])
        self.tree.setRootIsDecorated(False)
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.tree.header().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.header().setStretchLastSection(False)
        layout.addWidget(self.tree, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        buttons.button(QDialogButtonBox.StandardButton.Close).setToolTip("Close this list")
        layout.addWidget(buttons)
        self.shortcuts = window_shortcuts(window)
        groups: dict[str, QTreeWidgetItem] = {}
        for row in self.shortcuts:
            group = groups.get(row.group)
            if group is None:
                group = groups[row.group] = QTreeWidgetItem(self.tree, [row.group])
                font = group.font(0)
                font.setBold(True)
                group.setFont(0, font)
                group.setFirstColumnSpanned(True)
                group.setFlags(Qt.ItemFlag.ItemIsEnabled)
            QTreeWidgetItem(group, [row.command, shown_keys_text(row.keys)])
        self.tree.expandAll()
        self.filter_edit.setFocus()

    def shown_keys(self) -> list[tuple[str, str]]:
        """(command, keys) of every row the filter leaves visible."""
        shown = []
        for g in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(g)
            for i in range(group.childCount()):
                item = group.child(i)
                if not item.isHidden() and not group.isHidden():
                    shown.append((item.text(0), item.text(1)))
        return shown

    def _on_filter_changed(self, text: str) -> None:
        needle = text.strip().lower()
        for g in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(g)
            group_matches = needle in group.text(0).lower()
            any_shown = False
            for i in range(group.childCount()):
                item = group.child(i)
                hit = not needle or group_matches or needle in item.text(0).lower() or needle in item.text(1).lower()
                item.setHidden(not hit)
                any_shown |= hit
            group.setHidden(not any_shown)
