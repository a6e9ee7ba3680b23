"""Text that changes every frame without re-laying out the plots next to it.

A pyqtgraph LabelItem or a QLabel asks its layout for room to fit its text; when the text
changes each frame, every plot beside it is resized and all their axes are redrawn from
scratch, which cost 30-40 ms a frame. These keep a fixed footprint instead.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QSizePolicy


class CaptionItem(pg.LabelItem):
    """A LabelItem whose width never constrains its layout and whose height only changes
    when the font does."""

    _height: float | None = None

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
