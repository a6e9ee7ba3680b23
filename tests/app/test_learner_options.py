"""Help ▸ Keyboard shortcuts, View ▸ Colour-blind-safe colours and View ▸ Larger text."""

from __future__ import annotations

import pyqtgraph as pg
import pytest
from PySide6.QtCore import QSettings
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QApplication, QLabel

from visnet.app import appearance, colors, workspaces
from visnet.app import settings as keys
from visnet.app.shortcuts import ShortcutsDialog, action_keys, shown_keys_text, window_shortcuts


@pytest.fixture(autouse=True)
def _standard_look(qapp):
    """The palette and the text size are the application's: put them back after each test."""
    yield
    colors.set_palette(colors.STANDARD)
    appearance.set_text_scale(1.0)


def _menu_actions(menu):
    for action in menu.actions():
        if action.menu() is not None:
            yield from _menu_actions(action.menu())
        elif not action.isSeparator():
            yield action


def test_the_shortcut_list_is_the_windows_actions(make_main_window, qtbot):
    window = make_main_window()
    expected = set()
    for action in window.actions():
        for seq in action.shortcuts():
            expected.add(seq.toString(QKeySequence.SequenceFormat.NativeText))
    for entry in window.menuBar().actions():
        for action in _menu_actions(entry.menu()):
            if "\t" in action.text():
                expected.add(action.text().split("\t")[1])
            for seq in action.shortcuts():
                expected.add(seq.toString(QKeySequence.SequenceFormat.NativeText))
    for shortcut in window.findChildren(QShortcut):
        if shortcut.whatsThis():
            expected.add(shortcut.key().toString(QKeySequence.SequenceFormat.NativeText))

    listed = set()
    for row in window_shortcuts(window):
        listed.update(row.keys.split(" or "))
    assert listed == expected
    assert {"Space", "Ctrl+B", "→ / PgDown", "P", "Ctrl+/"} <= listed
    # Grouped by menu: the training keys are under Training, the stepper's under Backprop.
    groups = {row.command: row.group for row in window_shortcuts(window)}
    assert groups["Train"] == "Training" and groups["Next step"] == "Backprop"


def test_the_dialog_shows_every_shortcut_and_filters(make_main_window, qtbot):
    window = make_main_window()
    dialog = ShortcutsDialog(window)
    qtbot.addWidget(dialog)
    assert dialog.shown_keys() == [(row.command, shown_keys_text(row.keys)) for row in window_shortcuts(window)]
    assert ("Previous moment", ", (comma)") in dialog.shown_keys()
    qtbot.keyClicks(dialog.filter_edit, "epoch")
    assert dialog.shown_keys() == [("Step epoch", action_keys(window.step_epoch_action))]
    dialog.filter_edit.setText("timeline")  # a menu's name shows all of it
    assert len(dialog.shown_keys()) == 4


def test_help_menu_opens_the_shortcuts(make_main_window, monkeypatch):
    window = make_main_window()
    shown = []
    monkeypatch.setattr(window, "_show_dialog", shown.append)
    window.shortcuts_action.trigger()
    assert isinstance(shown[0], ShortcutsDialog)


def _luts(widget) -> list[tuple]:
    """The lookup tables (as tuples) of every ImageItem showing a diverging map in widget."""
    tables = []
    for view in widget.findChildren(pg.GraphicsView):
        for item in view.scene().items():
            if isinstance(item, pg.ImageItem) and item.getColorMap() is not None:
                if item.getColorMap().name in colors.DIVERGING_NAMES:
                    tables.append(_lut(item.getColorMap()))
    return tables


def _lut(cmap: pg.ColorMap) -> tuple:
    return tuple(map(tuple, cmap.getLookupTable(0.0, 1.0, 8)))


def test_colour_blind_palette_recolours_the_panels(make_main_window):
    window = make_main_window()
    before = _luts(window.weights_panel)
    positive_before = colors.POSITIVE.getRgb()
    assert before
    window.appearance.colour_blind_action.trigger()
    after = _luts(window.weights_panel)
    assert len(after) == len(before) and set(after).isdisjoint(before)
    assert colors.POSITIVE.getRgb() != positive_before
    assert QSettings().value(keys.COLOUR_BLIND_SAFE) in (True, "true")
    # Captions name the colours the screen shows.
    texts = " ".join(label.text() for label in window.findChildren(QLabel))
    assert "orange pixels excite" in texts and "red pixels" not in texts
    assert "(blue right, orange wrong)" in texts


def test_a_window_starts_with_the_remembered_palette(make_main_window):
    QSettings().setValue(keys.COLOUR_BLIND_SAFE, True)
    window = make_main_window()
    assert window.appearance.colour_blind_action.isChecked()
    assert colors.current_palette() == colors.COLOUR_BLIND_SAFE
    assert set(_luts(window.weights_panel)) == {_lut(colors.diverging_colormap())}
    window.appearance.colour_blind_action.trigger()
    assert set(_luts(window.weights_panel)) == {_lut(pg.colormap.get(colors.DIVERGING_MAP))}
    assert colors.POSITIVE.getRgb()[:3] == colors.PALETTES[colors.STANDARD]["POSITIVE"]


def test_a_panel_built_later_has_the_palette(make_main_window, qtbot):
    QSettings().setValue(keys.COLOUR_BLIND_SAFE, True)
    window = make_main_window()
    window.show_workspace("inspect")  # builds the neuron inspector
    qtbot.waitUntil(lambda: bool(_luts(window.inspector)))
    assert set(_luts(window.inspector)) == {_lut(colors.diverging_colormap())}


def _tick_points(widget) -> list[float]:
    return [
        item.style["tickFont"].pointSizeF()
        for view in widget.findChildren(pg.GraphicsView)
        for item in view.scene().items()
        if isinstance(item, pg.AxisItem) and item.style.get("tickFont") is not None
    ]


def test_larger_text_scales_the_fonts(make_main_window):
    window = make_main_window()
    points = QApplication.font().pointSizeF()
    window.appearance.larger_text_action.trigger()
    assert QApplication.font().pointSizeF() == pytest.approx(points * appearance.TEXT_SCALE)
    assert _tick_points(window.loss_panel)
    assert min(_tick_points(window.loss_panel)) >= points * appearance.plot_scale(appearance.TEXT_SCALE) - 0.01
    assert QSettings().value(keys.LARGER_TEXT) in (True, "true")
    window.appearance.larger_text_action.trigger()
    assert QApplication.font().pointSizeF() == pytest.approx(points)
    assert max(_tick_points(window.loss_panel)) <= points + 0.01


def test_larger_text_survives_a_restart(make_main_window):
    points = QApplication.font().pointSizeF()
    QSettings().setValue(keys.LARGER_TEXT, True)
    window = make_main_window()
    assert window.appearance.larger_text_action.isChecked()
    assert QApplication.font().pointSizeF() == pytest.approx(points * appearance.TEXT_SCALE)
    assert min(_tick_points(window.loss_panel)) >= points * appearance.plot_scale(appearance.TEXT_SCALE) - 0.01


def test_the_stepper_takes_the_palette_at_once(make_main_window, qtbot):
    window = make_main_window()
    window.enter_backprop_mode()
    qtbot.waitUntil(lambda: window.stepper.trace is not None and bool(_luts(window.stepper)))
    window.appearance.colour_blind_action.trigger()
    assert set(_luts(window.stepper)) == {_lut(colors.diverging_colormap())}


def test_with_larger_text_every_workspace_still_fits_a_laptop(make_main_window, qtbot):
    """The window's client area on a 1366x768 screen, as in test_workspaces."""
    QSettings().setValue(keys.LARGER_TEXT, True)
    window = make_main_window()
    size = (1366, 706)
    problems = {}
    for ws in workspaces.WORKSPACES:
        if ws.name == "playground":
            assert window.open_playground("xor", ask=False)
        else:
            window.show_workspace(ws.name)
        window.resize(*size)
        qtbot.waitUntil(lambda: window.size().toTuple() == size, timeout=2000)
        window.restore_layout_action.trigger()
        qtbot.wait(50)
        problems[ws.name] = window.layout_problems()
    assert problems == {ws.name: [] for ws in workspaces.WORKSPACES}
