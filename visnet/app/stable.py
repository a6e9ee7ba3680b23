"""Text that changes every frame without re-laying out the plots next to it.

A pyqtgraph LabelItem or a QLabel asks its layout for room to fit its text; when the text
changes each frame, every plot beside it is resized and all their axes are redrawn from
scratch, which cost 30-40 ms a frame. These keep a fixed footprint instead.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontMetricsF
from PySide6.QtWidgets import QLabel, QSizePolicy

_TAG = re.compile(r"<[^>]+>")


def longest_fitting(variants: Sequence[str], font: QFont, width: float) -> str:
    """The first of these (HTML) texts, longest first, whose words fit `width` pixels in
    `font`; the last one if none fits. A text with bold parts is measured all bold, which
    errs on the safe side."""
    bold = QFont(font)
    bold.setBold(True)
    plain_metrics, bold_metrics = QFontMetricsF(font), QFontMetricsF(bold)

    def fits(v: str) -> bool:
        metrics = bold_metrics if "<b>" in v else plain_metrics
        return metrics.horizontalAdvance(_TAG.sub("", v)) <= width

    return next((v for v in variants if fits(v)), variants[-1])


class CaptionItem(pg.LabelItem):
    """A LabelItem whose width never constrains its layout and whose height only changes
    when the font does.

    set_text_variants() gives it the same caption from longest to shortest; it shows the
    longest that fits its width, so a narrow dock drops words rather than cutting off the
    numbers at the end ("... (100%)")."""

    _height: float | None = None
    _variants: tuple[str, ...] = ()

    def set_text_variants(self, variants: Sequence[str]) -> None:
        """Show the first of these (HTML) texts that fits the caption's width, re-chosen
        when it is resized; the last one if none fits."""
        self._variants = tuple(variants)
        self._show_fitting_variant()

    def setText(self, text: str, **args) -> None:  # noqa: N802 (Qt name)
        self._variants = ()
        super().setText(text, **args)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        super().resizeEvent(event)
        if self._variants:
            self._show_fitting_variant()

    def _show_fitting_variant(self) -> None:
        variants = self._variants
        width = self.width() - 8  # the label's own margins
        chosen = longest_fitting(variants, self._caption_font(), width) if width > 0 else variants[0]
        if chosen != self.text:
            pg.LabelItem.setText(self, chosen)

    def _caption_font(self) -> QFont:
        font = QFont(self.item.font())
        size = str(self.opts.get("size", ""))
        if size.endswith("pt"):
            font.setPointSizeF(float(size[:-2]))
        font.setBold(bool(self.opts.get("bold")))
        return font

    def updateMin(self) -> None:
        height = self.itemRect().height()
        if height == self._height:
            return
        self._height = height
        self.setMinimumWidth(0)
        self.setMinimumHeight(height)
        self._sizeHint = {
            Qt.SizeHint.MinimumSize: (0, height),
            Qt.SizeHint.PreferredSize: (0, height),
            Qt.SizeHint.MaximumSize: (-1, -1),
            Qt.SizeHint.MinimumDescent: (0, 0),
        }
        self.updateGeometry()


def add_caption(
    layout: pg.GraphicsLayout | pg.GraphicsLayoutWidget, text: str, row: int, col: int, colspan: int = 1, **opts
) -> CaptionItem:
    """Like GraphicsLayout.addLabel, with a CaptionItem."""
    item = CaptionItem(text, **opts)
    layout.addItem(item, row=row, col=col, colspan=colspan)
    return item


def status_label(text: str = "") -> QLabel:
    """A one-line QLabel whose text may change every frame: it takes the width it is given
    (long text is cut) and never asks its layout for more."""
    label = QLabel(text)
    label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
    label.setMinimumWidth(1)
    return label


class FittingLabel(QLabel):
    """A rich-text QLabel that never asks its layout for more width: given the same text
    from longest to shortest (set_text_variants), it shows the longest that fits, re-chosen
    when it is resized, so a narrow dock drops words rather than cutting off a value."""

    def __init__(self, text: str = ""):
        super().__init__(text)
        self._variants: tuple[str, ...] = ()
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setMinimumWidth(1)

    def set_text_variants(self, variants: Sequence[str]) -> None:
        self._variants = tuple(variants)
        self._show_fitting_variant()

    def setText(self, text: str) -> None:  # noqa: N802 (Qt name)
        self._variants = ()
        super().setText(text)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        super().resizeEvent(event)
        if self._variants:
            self._show_fitting_variant()

    def _show_fitting_variant(self) -> None:
        variants = self._variants
        width = self.contentsRect().width() - 2 * self.margin()
        laid_out = self.isVisible() and width > 0
        chosen = longest_fitting(variants, self.font(), width) if laid_out else variants[0]
        if chosen != self.text():
            QLabel.setText(self, chosen)


def fitting_title(plot: pg.PlotItem) -> CaptionItem:
    """Give `plot` a CaptionItem for its title (once) and return it.

    A PlotItem's own title asks for the width of its text, so a long title widens the plot
    past a narrow dock and the plot is cut off at the edge; this one takes the plot's width
    and, given variants (set_text_variants), shows the longest that fits."""
    if isinstance(plot.titleLabel, CaptionItem):
        return plot.titleLabel
    old = plot.titleLabel
    title = CaptionItem(old.text, parent=plot, **old.opts)
    title.setVisible(old.isVisible())
    title.setMaximumHeight(old.maximumHeight())
    plot.layout.removeItem(old)
    old.setParentItem(None)
    if old.scene() is not None:
        old.scene().removeItem(old)
    plot.layout.addItem(title, 0, 1)
    plot.titleLabel = title
    return title
