"""A strip above the network view that says what went wrong, why, and what to do.

Red for an error (a divergence: training paused; a training process that died; a bug),
amber for a warning or an offer (training goes on but learns nothing; unsaved training
found at start). Its action button offers the remedy the message names, when there is
one: a learning rate ten times smaller, opening the unsaved training.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

COLORS = {"error": "#7a1020", "warning": "#7a5200"}


class MessageBanner(QFrame):
    """One message at a time: a bold headline, the reason, and an action button for the remedy.

    dismiss_text / dismiss_tip: the dismiss button, which hides the banner (connect to its
    clicked signal for more, such as deleting what the message offered)."""

    def __init__(
        self, parent: QWidget | None = None, *, dismiss_text: str = "Dismiss", dismiss_tip: str = "Hide this message"
    ):
        super().__init__(parent)
        self.setObjectName("message_banner")
        self.kind = ""
        self.message_label = QLabel()
        self.message_label.setWordWrap(True)
        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.action_button = QPushButton()
        self.dismiss_button = QPushButton(dismiss_text)
        self.dismiss_button.setToolTip(dismiss_tip)
        self.dismiss_button.clicked.connect(self.hide)
        row = QHBoxLayout(self)
        row.setContentsMargins(10, 6, 10, 6)
        row.addWidget(self.message_label, 1)
        row.addWidget(self.action_button)
        row.addWidget(self.dismiss_button)
        self.hide()

    def show_message(
        self, headline: str, text: str, kind: str = "error", action: str | None = None, action_tip: str = ""
    ) -> None:
        """Show `headline` in bold, then `text`; the action button with label `action` and
        tooltip `action_tip`, or none when action is None."""
        self.kind = kind
        self.setStyleSheet(
            f"#{self.objectName()} {{ background: {COLORS.get(kind, COLORS['error'])}; border-radius: 4px; }}"
            f"#{self.objectName()} QLabel {{ color: white; }}"
        )
        self.message_label.setText(f"<b>{html.escape(headline)}</b> {html.escape(text)}")
        self.action_button.setVisible(action is not None)
        self.action_button.setText(action or "")
        self.action_button.setToolTip(action_tip)
        self.show()

    def text(self) -> str:
        return self.message_label.text()
