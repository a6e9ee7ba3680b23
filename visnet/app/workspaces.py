"""Workspaces: named dock layouts for the tasks a learner switches between.

Each workspace shows a few docks that fit together on a 1366x768 laptop screen: the rest
are hidden (View brings any of them back). Every layout is three columns (the left and
right dock areas span the window's height, the top area is the centre column), each a
stack of tab groups:

    Workspace("watch", "Watch it learn", ..., columns=(
        Column(0.22, (Group(("sample_dock", "minibatch_dock"), 0.45), Group(("config_dock",), 0.55))),
        ...))

The window remembers each workspace's arrangement as the user leaves it (QMainWindow.saveState)
and restores it on return, unless it no longer suits the screen or the network, for example
a decision surface remembered for a digit network; then the workspace is laid out afresh.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QByteArray, QSettings, Qt
from PySide6.QtWidgets import QDockWidget, QMainWindow

from . import settings as keys

LAYOUT_VERSION = 7  # bump when docks or workspaces change: older remembered layouts are dropped
AREAS = (
    Qt.DockWidgetArea.LeftDockWidgetArea,
    Qt.DockWidgetArea.TopDockWidgetArea,
    Qt.DockWidgetArea.RightDockWidgetArea,
)
IMAGES_ONLY = ("weights_dock", "draw_dock")  # make sense for pictures, not for points in the plane
PLANE_ONLY = ("surface_dock",)


@dataclass(frozen=True)
class Group:
    """Docks shown as tabs of one another (the first in front), and the share of the
    column's height they take."""

    docks: tuple[str, ...]
    height: float


@dataclass(frozen=True)
class Column:
    """A column of the window: its share of the width and its tab groups, top to bottom."""

    width: float
    groups: tuple[Group, ...]


@dataclass(frozen=True)
class Workspace:
    name: str
    title: str
    tip: str
    columns: tuple[Column, Column, Column]  # left, centre, right

    def dock_names(self) -> tuple[str, ...]:
        return tuple(name for column in self.columns for group in column.groups for name in group.docks)


WORKSPACES = (
    Workspace(
        "watch",
        "Watch it learn",
        "The network, its weight pictures and the curves while it trains",
        (
            Column(0.22, (Group(("sample_dock",), 0.52), Group(("minibatch_dock", "config_dock"), 0.48))),
            Column(0.5, (Group(("network_dock",), 0.62), Group(("loss_dock",), 0.38))),
            Column(0.28, (Group(("weights_dock", "surface_dock"), 0.6), Group(("gradients_dock",), 0.4))),
        ),
    ),
    Workspace(
        "inside",
        "Look inside",
        "One neuron up close, your own drawing, and where the network goes wrong",
        (
            Column(0.2, (Group(("sample_dock",), 1.0),)),
            Column(0.42, (Group(("network_dock",), 0.5), Group(("mistakes_dock", "draw_dock", "weights_dock"), 0.5))),
            Column(0.38, (Group(("inspector_dock", "representation_dock", "landscape_dock"), 1.0),)),
        ),
    ),
    Workspace(
        "backprop",
        "Backpropagation",
        "One SGD step of the current sample, quantity by quantity, with the real numbers",
        (
            Column(0.3, (Group(("network_dock",), 0.58), Group(("sample_dock",), 0.42))),
            Column(0.7, (Group(("stepper_dock",), 1.0),)),
            Column(0.0, ()),
        ),
    ),
    Workspace(
        "playground",
        "Playground",
        "Points in the plane: the decision surface and every neuron's response to it",
        (
            Column(0.27, (Group(("config_dock",), 0.62), Group(("sample_dock",), 0.38))),
            Column(0.4, (Group(("network_dock",), 0.55), Group(("loss_dock", "gradients_dock"), 0.45))),
            Column(0.33, (Group(("surface_dock", "representation_dock", "inspector_dock", "landscape_dock"), 1.0),)),
        ),
    ),
    Workspace(
        "compare",
        "Compare runs",
        "An experiment: runs side by side, their curves overlaid, and two runs' weights matched neuron by neuron",
        (
            Column(0.22, (Group(("config_dock",), 1.0),)),
            Column(0.5, (Group(("experiment_dock",), 1.0),)),
            Column(0.28, (Group(("matched_weights_dock", "run_maps_dock"), 1.0),)),
        ),
    ),
)
BY_NAME = {w.name: w for w in WORKSPACES}


def workspace(name: str) -> Workspace:
    return BY_NAME.get(name, WORKSPACES[0])


def fits_data(dock_name: str, playground: bool) -> bool:
    """Whether a dock makes sense for the data: no decision surface for images, no 28x28
    pictures for points."""
    return dock_name not in (IMAGES_ONLY if playground else PLANE_ONLY)


def suits(docks: dict[str, QDockWidget], playground: bool) -> bool:
    """Whether the docks shown now suit the data (fits_data) and every dock shown is docked
    (a floating one may be anywhere) at no less than its minimum size."""
    shown = [(name, d) for name, d in docks.items() if d.isVisible()]
    if not all(fits_data(name, playground) for name, _ in shown):
        return False
    return all(fits_minimum(d) for _, d in shown if not d.isFloating() and not d.visibleRegion().isEmpty())


def fits_minimum(dock: QDockWidget) -> bool:
    """Whether a dock is at least as large as its widget's minimum size hint."""
    widget = dock.widget()
    need = widget.minimumSizeHint().expandedTo(widget.minimumSize())
    got = widget.size()
    return got.width() >= need.width() and got.height() >= need.height()


def arrange(window: QMainWindow, docks: dict[str, QDockWidget], ws: Workspace, playground: bool) -> None:
    """Lay out workspace `ws`: its docks in their columns and tab groups, every other dock
    hidden. Docks that do not suit the data (IMAGES_ONLY, PLANE_ONLY) are left out."""

    def wanted(name: str) -> bool:
        return name in docks and fits_data(name, playground)

    for dock in docks.values():
        dock.hide()
        dock.setFloating(False)
        window.removeDockWidget(dock)
    # Splits first, tabs after: Qt turns a split of a dock that already has tabs into one more tab.
    heads, groups = [], []
    for area, column in zip(AREAS, ws.columns):
        above = None
        for group in column.groups:
            names = [n for n in group.docks if wanted(n)]
            if not names:
                continue
            head = docks[names[0]]
            if above is None:
                window.addDockWidget(area, head)
            else:
                window.splitDockWidget(above, head, Qt.Orientation.Vertical)
            head.show()
            above = head
            heads.append(head)
            groups.append(names)
    for head, names in zip(heads, groups):
        for name in names[1:]:
            window.tabifyDockWidget(head, docks[name])
            docks[name].show()
        head.raise_()
    # The other docks wait, hidden, as tabs of the last group placed: View ▸ Panels brings one
    # back there, inside the layout (a dock outside every area would float over the others).
    shown = {d for d in docks.values() if d.isVisibleTo(window)}
    for dock in docks.values():
        if dock not in shown and heads:
            window.tabifyDockWidget(heads[-1], dock)
            dock.hide()
    if heads:
        heads[-1].raise_()


def apply_sizes(window: QMainWindow, docks: dict[str, QDockWidget], ws: Workspace) -> None:
    """Give the columns and groups of `ws` their shares of the window (call once it is laid out)."""
    width, height = window.width(), window.height()

    def head(group: Group) -> QDockWidget | None:
        for name in group.docks:
            dock = docks.get(name)
            if dock is not None and dock.isVisible() and not dock.isFloating():
                return dock
        return None

    for column in ws.columns:
        heads = [(head(g), g.height) for g in column.groups]
        heads = [(d, h) for d, h in heads if d is not None]
        if len(heads) > 1:
            window.resizeDocks([d for d, _ in heads], [round(h * height) for _, h in heads], Qt.Orientation.Vertical)
    firsts = []
    for column in ws.columns:
        for group in column.groups:
            d = head(group)
            if d is not None:
                firsts.append((d, column.width))
                break
    if len(firsts) > 1:
        window.resizeDocks([d for d, _ in firsts], [round(w * width) for _, w in firsts], Qt.Orientation.Horizontal)


def remembered(name: str) -> QByteArray | None:
    """The arrangement of workspace `name` the user left last time, or None."""
    value = QSettings().value(f"{keys.WORKSPACE_STATE}/{name}")
    return value if isinstance(value, QByteArray) and not value.isEmpty() else None


def remember(name: str, state: QByteArray) -> None:
    QSettings().setValue(f"{keys.WORKSPACE_STATE}/{name}", state)
