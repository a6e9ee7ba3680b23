"""View ▸ Colour-blind-safe colours and View ▸ Larger text: two options for learners,
remembered in QSettings and applied live to every panel.

Colours: colors.set_palette() changes the shared colours in place and emits
colors.palette.changed. What keeps a colour map between frames is refreshed here, in one
sweep over the window's pyqtgraph scenes (every ImageItem or colour bar showing a diverging
map gets the new palette's), so panels need no code of their own for it; a panel that caches
more (the network view's brushes) connects to colors.palette.changed itself. Then every
panel draws the moment shown again.

Text: the application font grows by TEXT_SCALE (every Qt control, menu and tooltip follows
it), and the pyqtgraph texts whose size is set in points, the axes' tick labels and the
captions (LabelItem), by half as much (plot_scale). Axis titles keep their size: at 1366x768
the titles of two plots stacked in one panel ("loss C", "accuracy %") would run into each
other. Each item's own size is remembered on it the first time, so switching back and forth
never compounds. Panels built later (the lazy docks) are swept when shown.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QObject, QSettings, QTimer, Slot
from PySide6.QtGui import QAction, QFont
from PySide6.QtWidgets import QApplication, QDockWidget, QMainWindow, QWidget

from . import colors
from . import settings as keys

TEXT_SCALE = 1.25  # Larger text: the application's font this much bigger
# ... and the plots' tick labels and captions half as much more: plots are sized in pixels, and
# a 10-class confusion matrix's rows or a short accuracy axis overlap at 1.25 on a laptop screen.
PLOT_TEXT_SHARE = 0.5
_BASE_SIZE = "_visnet_base_point_size"  # attribute holding an item's own point size


def _as_bool(value) -> bool:
    """QSettings' INI backend gives back "true"/"false" strings."""
    if isinstance(value, str):
        return value.lower() in ("true", "1", "yes")
    return bool(value)


def graphics_views(root: QWidget) -> list[pg.GraphicsView]:
    return root.findChildren(pg.GraphicsView)


def recolor_diverging_maps(root: QWidget) -> int:
    """Give every ImageItem and ColorBarItem under `root` that shows a diverging map the
    current palette's; returns how many were changed."""
    changed = 0
    for view in graphics_views(root):
        for item in view.scene().items():
            if isinstance(item, pg.ColorBarItem):
                cmap = item.colorMap()
            elif isinstance(item, pg.ImageItem):
                cmap = item.getColorMap()
            else:
                continue
            if cmap is not None and cmap.name in colors.DIVERGING_NAMES:
                if cmap.name != colors.diverging_colormap().name:
                    item.setColorMap(colors.diverging_colormap())
                    changed += 1
    return changed


def _point_size(size) -> float | None:
    text = str(size or "")
    try:
        return float(text[:-2]) if text.endswith("pt") else None
    except ValueError:
        return None


def plot_scale(scale: float) -> float:
    """The factor for plot text when the application's text is `scale` times its size."""
    return 1.0 + (scale - 1.0) * PLOT_TEXT_SHARE


def scale_plot_text(root: QWidget, scale: float) -> None:
    """Set the axis fonts and point-sized captions of every plot under `root` to
    plot_scale(scale) times their own size (1 = as the panel made them)."""
    app_points = QApplication.font().pointSizeF() / current_scale()
    scale = plot_scale(scale)
    for view in graphics_views(root):
        for item in view.scene().items():
            if isinstance(item, pg.AxisItem):
                font = item.style.get("tickFont")
                base = getattr(item, _BASE_SIZE, None)
                if base is None:
                    base = font.pointSizeF() if font is not None and font.pointSizeF() > 0 else app_points
                    setattr(item, _BASE_SIZE, base)
                tick_font = QFont(font) if font is not None else QFont()
                tick_font.setPointSizeF(base * scale)
                # The axis titles keep their size: two stacked plots' titles would overlap.
                item.setStyle(tickFont=tick_font)
            elif isinstance(item, pg.LabelItem):
                base = getattr(item, _BASE_SIZE, None)
                if base is None:
                    base = _point_size(item.opts.get("size")) or app_points
                    setattr(item, _BASE_SIZE, base)
                # pg.LabelItem.setText, not a subclass's: a CaptionItem keeps its variants.
                pg.LabelItem.setText(item, item.text, size=f"{base * scale:.1f}pt")


_scale = 1.0
_base_app_font: QFont | None = None


def current_scale() -> float:
    return _scale


def set_text_scale(scale: float) -> None:
    """The application font at `scale` times the one Qt chose (or the platform's)."""
    global _scale, _base_app_font
    if _base_app_font is None:
        _base_app_font = QFont(QApplication.font())
    font = QFont(_base_app_font)
    if font.pointSizeF() > 0:
        font.setPointSizeF(_base_app_font.pointSizeF() * scale)
    else:
        font.setPixelSize(round(_base_app_font.pixelSize() * scale))
    _scale = scale
    QApplication.setFont(font)


class Appearance(QObject):
    """The two View options of a window: actions, their settings, and applying them."""

    def __init__(self, window: QMainWindow, redraw=None):
        """redraw(): draws the moment shown again on every panel after a change of palette."""
        super().__init__(window)
        self._window = window
        self._redraw = redraw
        self.colour_blind_action = QAction("Colour-&blind-safe colours", window)
        self.colour_blind_action.setCheckable(True)
        tip = (
            "Purple-orange weights and a sky-blue true label instead of red-blue and green, so the "
            "colours stay apart for red-green colour-blind eyes"
        )
        self.colour_blind_action.setToolTip(tip)
        self.colour_blind_action.setStatusTip(tip)
        self.larger_text_action = QAction("&Larger text", window)
        self.larger_text_action.setCheckable(True)
        tip = (
            f"Controls, menus and tooltips {TEXT_SCALE:g}× larger, the plots' numbers and captions "
            f"{plot_scale(TEXT_SCALE):g}×: easier to read from a distance or on a projector"
        )
        self.larger_text_action.setToolTip(tip)
        self.larger_text_action.setStatusTip(tip)
        self._plots_scaled = False  # some plot text of this window has been scaled
        # One sweep after the docks a workspace switch shows (and the panels it builds).
        self._new_panels_timer = QTimer(self)
        self._new_panels_timer.setSingleShot(True)
        self._new_panels_timer.setInterval(0)
        self._new_panels_timer.timeout.connect(self._apply_to_new_panels)
        settings = QSettings()
        self.colour_blind_action.setChecked(_as_bool(settings.value(keys.COLOUR_BLIND_SAFE, False)))
        self.larger_text_action.setChecked(_as_bool(settings.value(keys.LARGER_TEXT, False)))
        self.colour_blind_action.toggled.connect(self._on_colour_blind_toggled)
        self.larger_text_action.toggled.connect(self._on_larger_text_toggled)
        for dock in window.findChildren(QDockWidget):
            dock.visibilityChanged.connect(self._on_dock_visibility_changed)
        self.apply()

    def actions(self) -> tuple[QAction, QAction]:
        return (self.colour_blind_action, self.larger_text_action)

    def apply(self) -> None:
        """Make the palette and text size those the actions show."""
        name = colors.COLOUR_BLIND_SAFE if self.colour_blind_action.isChecked() else colors.STANDARD
        palette_changed = name != colors.current_palette()
        colors.set_palette(name)
        recolor_diverging_maps(self._window)
        scale = TEXT_SCALE if self.larger_text_action.isChecked() else 1.0
        if scale != current_scale():
            set_text_scale(scale)
        if scale != 1.0 or self._plots_scaled:
            scale_plot_text(self._window, scale)
            self._plots_scaled = scale != 1.0
        if palette_changed and self._redraw is not None:
            self._redraw()

    @Slot(bool)
    def _on_colour_blind_toggled(self, on: bool) -> None:
        QSettings().setValue(keys.COLOUR_BLIND_SAFE, on)
        self.apply()

    @Slot(bool)
    def _on_larger_text_toggled(self, on: bool) -> None:
        QSettings().setValue(keys.LARGER_TEXT, on)
        self.apply()

    @Slot(bool)
    def _on_dock_visibility_changed(self, visible: bool) -> None:
        """A lazily built panel gets the options when it first shows (after the window has
        built it, hence the timer)."""
        if visible:
            self._new_panels_timer.start()

    @Slot()
    def _apply_to_new_panels(self) -> None:
        recolor_diverging_maps(self._window)
        if self._plots_scaled:
            scale_plot_text(self._window, current_scale())
