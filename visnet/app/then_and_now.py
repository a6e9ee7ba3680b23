"""Then and now: while the user looks back at a moment, weight pictures can show that moment,
the present, or what changed between them, to see which pixels a neuron learned when.

All three share one colour scale (symmetric about 0, from the larger of the two moments), so
a change reads on the same scale as the weights it changed.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QButtonGroup, QHBoxLayout, QLabel, QToolButton, QWidget

from .colors import MUTED, symmetric_limit
from .session import Session

THEN, NOW, CHANGE = "then", "now", "change"
LABELS = {
    THEN: ("Then", "The weights at the moment you went back to"),
    NOW: ("Now", "The weights now (live training)"),
    CHANGE: (
        "Change",
        "What changed since then: now − then, on the weights' colour scale (a weight that grew has a positive weight's colour)",
    ),
}


def compared(
    then: np.ndarray, now: np.ndarray | None, mode: str, percentile: float = 100.0
) -> tuple[np.ndarray, float]:
    """(the values to draw, the colour limit) for `mode`; now None: the moment itself."""
    if now is None or mode == THEN:
        values = then
    elif mode == NOW:
        values = now
    else:
        values = np.asarray(now, np.float64) - np.asarray(then, np.float64)
    both = then if now is None else np.concatenate([np.ravel(then), np.ravel(now)])
    return values, symmetric_limit(both, percentile)


class ThenNowChoice(QWidget):
    """Three toggles (Then, Now, Change), shown only while the session looks back."""

    changed = Signal(str)

    def __init__(self, session: Session | None, parent: QWidget | None = None):
        super().__init__(parent)
        self._session = session
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        caption = QLabel("Looking back:")
        caption.setStyleSheet(f"color: {MUTED.name()}")
        layout.addWidget(caption)
        self._group = QButtonGroup(self)
        self._buttons: dict[str, QToolButton] = {}
        for mode, (text, tip) in LABELS.items():
            button = QToolButton()
            button.setText(text)
            button.setToolTip(tip)
            button.setCheckable(True)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            self._group.addButton(button)
            self._buttons[mode] = button
            layout.addWidget(button)
            button.toggled.connect(lambda on, mode=mode: on and self.changed.emit(mode))
        layout.addStretch(1)
        self._buttons[THEN].setChecked(True)
        if session is not None:
            session.moment_changed.connect(self._follow_session)
        self._follow_session()

    @property
    def mode(self) -> str:
        """What to draw now: THEN when live (the moment is the present)."""
        if self._session is None or not self._session.looking_back:
            return THEN
        return next(mode for mode, b in self._buttons.items() if b.isChecked())

    def set_mode(self, mode: str) -> None:
        self._buttons[mode].setChecked(True)

    def present(self):
        """The live snapshot to compare with, or None while live."""
        if self._session is None or not self._session.looking_back:
            return None
        return self._session.live_snapshot

    def _follow_session(self) -> None:
        self.setVisible(self._session is not None and self._session.looking_back)
