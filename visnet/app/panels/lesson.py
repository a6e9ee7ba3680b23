"""The Lesson panel: one step of a lesson at a time, with Back, Next and Skip.

When a step opens, the panel asks the director (app/lesson_director.py) to perform its
actions, then watches the step's check a few times a second: Next unlocks when it holds
(Skip moves on regardless). A step once passed stays passed when the learner comes back.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QScrollArea, QVBoxLayout, QWidget

from visnet.lessons import Lesson, Step

CHECK_INTERVAL_MS = 200
DONE_COLOR = "#2e7d32"


class LessonPanel(QWidget):
    """Shows `lesson` step by step; `director` performs actions and reports the state."""

    lesson_closed = Signal()
    step_changed = Signal(int)

    def __init__(self, director, parent: QWidget | None = None):
        super().__init__(parent)
        self.director = director
        self._lesson: Lesson | None = None
        self._index = 0
        self._passed: set[int] = set()
        self._notes: list[str] = []

        self.title_label = QLabel()
        self.title_label.setWordWrap(True)
        font = self.title_label.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.2)
        self.title_label.setFont(font)
        self.progress_label = QLabel()
        self.text_label = QLabel()
        self.text_label.setWordWrap(True)
        self.text_label.setTextFormat(Qt.TextFormat.RichText)
        self.text_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.text_label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.task_label = QLabel()
        self.task_label.setWordWrap(True)
        self.task_label.setTextFormat(Qt.TextFormat.RichText)
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        self.back_button = QPushButton("◀ B&ack")
        self.back_button.setToolTip("The previous step (Alt+A)")
        self.next_button = QPushButton("&Next ▶")
        self.skip_button = QPushButton("S&kip")
        self.skip_button.setToolTip("Go on to the next step without doing this one (Alt+K)")
        self.close_button = QPushButton("Close")
        self.close_button.setToolTip("End the lesson (Help ▸ Lessons starts it again)")
        self.back_button.clicked.connect(self.back)
        self.next_button.clicked.connect(self.next)
        self.skip_button.clicked.connect(self.skip)
        self.close_button.clicked.connect(self.close_lesson)

        body = QWidget()
        column = QVBoxLayout(body)
        column.setContentsMargins(8, 6, 8, 6)
        column.addWidget(self.title_label)
        column.addWidget(self.progress_label)
        column.addWidget(self.text_label)
        column.addWidget(self.task_label)
        column.addWidget(self.status_label)
        column.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(body)
        buttons = QHBoxLayout()
        buttons.setContentsMargins(8, 0, 8, 6)
        for button in (self.back_button, self.skip_button, self.next_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll, 1)
        outer.addLayout(buttons)

        self._timer = QTimer(self)
        self._timer.setInterval(CHECK_INTERVAL_MS)
        self._timer.timeout.connect(self.refresh)

    # -- what it shows ---------------------------------------------------------------------------
    @property
    def lesson(self) -> Lesson | None:
        return self._lesson

    @property
    def index(self) -> int:
        return self._index

    @property
    def step(self) -> Step | None:
        return None if self._lesson is None else self._lesson.steps[self._index]

    def check_passes(self) -> bool:
        """Whether the step shown is done: its check holds now, or held once, or it has none."""
        step = self.step
        if step is None:
            return False
        if self._index in self._passed or step.check is None:
            return True
        if step.check.holds(self.director.state()):
            self._passed.add(self._index)
            return True
        return False

    def notes(self) -> list[str]:
        """What the actions of the step shown could not do here, one sentence each."""
        return list(self._notes)

    # -- walking -------------------------------------------------------------------------------
    def start(self, lesson: Lesson, step: int = 0) -> None:
        self._lesson = lesson
        self._passed = set()
        self.title_label.setText(html.escape(lesson.title))
        self._open(step)
        self._timer.start()

    @Slot()
    def back(self) -> None:
        if self._lesson is not None and self._index > 0:
            self._open(self._index - 1)

    @Slot()
    def next(self) -> None:
        """The next step, once this one is done (the last step's Next ends the lesson)."""
        if self._lesson is None or not self.check_passes():
            return
        self._forward()

    @Slot()
    def skip(self) -> None:
        if self._lesson is not None:
            self._forward()

    @Slot()
    def close_lesson(self) -> None:
        self._timer.stop()
        self._lesson = None
        self.lesson_closed.emit()

    def _forward(self) -> None:
        if self._index + 1 < len(self._lesson.steps):
            self._open(self._index + 1)
        else:
            self.close_lesson()

    def _open(self, index: int) -> None:
        self._index = max(0, min(index, len(self._lesson.steps) - 1))
        step = self._lesson.steps[self._index]
        self._notes = [note for action in step.actions if (note := self.director.perform(action))]
        self.director.step_opened()
        n = len(self._lesson.steps)
        self.progress_label.setText(f"Step {self._index + 1} of {n}")
        notes = "".join(f"<p><i>{html.escape(note)}</i></p>" for note in self._notes)
        self.text_label.setText(step.text + notes)
        self.task_label.setText(f"<b>Your turn:</b> {step.task}" if step.task else "")
        self.task_label.setVisible(bool(step.task))
        self.back_button.setEnabled(self._index > 0)
        last = self._index + 1 == n
        self.next_button.setText("F&inish" if last else "&Next ▶")
        self.skip_button.setVisible(step.check is not None)
        self.refresh()
        self.step_changed.emit(self._index)

    @Slot()
    def refresh(self) -> None:
        """Check the step again and unlock Next when it is done."""
        step = self.step
        if step is None:
            return
        done = self.check_passes()
        self.next_button.setEnabled(done)
        if step.check is None:
            self.status_label.setText("")
        elif done:
            self.status_label.setText(f"<span style='color:{DONE_COLOR}'>✓ Done — press Next.</span>")
        else:
            self.status_label.setText(f"Waiting for {html.escape(step.check.describe())}…")
        self.next_button.setToolTip("The next step (Alt+N)" if done else "Do what the step asks first, or Skip it")
