"""A strip above the network view that says when training went wrong, why, and what to do.

Red for a divergence (NaN or ∞: training paused), amber for a warning that training goes on
but learns nothing (saturated or dead neurons). Its action button offers the usual remedy,
a learning rate ten times smaller.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

COLORS = {"error": "#7a1020", "warning": "#7a5200"}


class MessageBanner(QFrame):
    """One message at a time: a bold headline, the reason and the remedy."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("message_banner")
        self.kind = ""
        self.message_label = QLabel()
        self.message_label.setWordWrap(True)
        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.lower_button = QPushButton()
        self.lower_button.setToolTip("Set the learning rate to a tenth of its value")
        self.dismiss_button = QPushButton("Dismiss")
        self.dismiss_button.setToolTip("Hide this message")
        self.dismiss_button.clicked.connect(self.hide)
        row = QHBoxLayout(self)
        row.setContentsMargins(10, 6, 10, 6)
        row.addWidget(self.message_label, 1)
        row.addWidget(self.lower_button)
        row.addWidget(self.dismiss_button)
        self.hide()

    def show_message(self, headline: str, text: str, eta: float, kind: str = "error") -> None:
        """Show `headline` in bold, then `text`; the button offers η / 10."""
        self.kind = kind
        self.setStyleSheet(
            f"#message_banner {{ background: {COLORS.get(kind, COLORS['error'])}; border-radius: 4px; }}"
            "#message_banner QLabel { color: white; }"
        )
        self.message_label.setText(f"<b>{html.escape(headline)}</b> {html.escape(text)}")
        self.lower_button.setText(f"Use η = {eta / 10:g}")
        self.show()

    def text(self) -> str:
        return self.message_label.text()
