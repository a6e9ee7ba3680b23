"""Lessons in the window: the Lesson dock, Help ▸ Lessons, and the first-launch invitation.

The dock stays out of the workspaces' layouts (a lesson goes on while the learner switches
workspace): it is placed at the right edge of the window when a lesson starts. The
invitation offers lesson 1 once; dismissing it or starting a lesson is remembered.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QSettings, Qt, QTimer, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QInputDialog

from visnet.lessons import Lesson, LessonError, find_lesson, load_lessons

from . import settings as keys
from .banner import MessageBanner
from .lesson_director import LessonDirector
from .panels.lesson import LessonPanel

DOCK_WIDTH = 280


class Lessons(QObject):
    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.director = LessonDirector(window, self)
        self.panel = LessonPanel(self.director)
        self.dock = QDockWidget("Lesson", window)
        self.dock.setObjectName("lesson_dock")
        self.dock.setToolTip("A guided lesson: read, do what it asks, press Next")
        self.dock.setWidget(self.panel)
        # The panel's Close ends the lesson; a close button on the dock would only hide it.
        self.dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable | QDockWidget.DockWidgetFeature.DockWidgetFloatable
        )
        self.dock.hide()
        self.dock.visibilityChanged.connect(self._on_visibility_changed)
        self.panel.lesson_closed.connect(self.dock.hide)
        self.open_action = QAction("&Lessons…", window)
        self.open_action.setToolTip("Guided lessons that walk through the book and the videos with the real network")
        self.open_action.setStatusTip(self.open_action.toolTip())
        self.open_action.triggered.connect(self._on_open_triggered)
        self.banner = MessageBanner(dismiss_text="No thanks", dismiss_tip="Hide this offer; Help ▸ Lessons has it")
        self.banner.setObjectName("lesson_banner")
        self.banner.action_button.clicked.connect(self._on_invitation_accepted)
        self.banner.dismiss_button.clicked.connect(self._remember_invited)
        self._lessons: list[Lesson] | None = None

    def lessons(self) -> list[Lesson]:
        """The shipped lessons (read once)."""
        if self._lessons is None:
            self._lessons = load_lessons()
        return self._lessons

    def start(self, name_or_lesson: str | Lesson, step: int = 0) -> Lesson:
        """Open the Lesson dock at `step` of a lesson (by name: LessonError if unknown)."""
        lesson = name_or_lesson
        if isinstance(lesson, str):
            lesson = find_lesson(lesson, self.lessons())
        self._remember_invited()
        self.banner.hide()
        self._place_dock()
        self.panel.start(lesson, step)
        return lesson

    def _place_dock(self) -> None:
        window, dock = self.window, self.dock
        if dock.isFloating() or window.dockWidgetArea(dock) == Qt.DockWidgetArea.NoDockWidgetArea:
            dock.setFloating(False)
            window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock, Qt.Orientation.Horizontal)
        dock.show()
        dock.raise_()
        self._fit_width()
        # A workspace laid out as the window first shows shares out the width after this; the
        # lesson then takes its width back.
        QTimer.singleShot(0, self, self._fit_width)

    def _fit_width(self) -> None:
        if self.dock.isVisible() and not self.dock.isFloating():
            self.window.resizeDocks([self.dock], [DOCK_WIDTH], Qt.Orientation.Horizontal)

    def workspace_shown(self) -> None:
        """A workspace was laid out or restored: a lesson under way stays in sight (a
        remembered arrangement from before the lesson has the dock hidden)."""
        if self.panel.lesson is not None and not self.dock.isVisible():
            self._place_dock()

    @Slot(bool)
    def _on_visibility_changed(self, visible: bool) -> None:
        # A remembered arrangement saved during a lesson shows the dock again at the next
        # start, with no lesson in it.
        if visible and self.panel.lesson is None:
            QTimer.singleShot(0, self.dock, self._hide_if_idle)

    def _hide_if_idle(self) -> None:
        if self.panel.lesson is None:
            self.dock.hide()

    def invite(self) -> bool:
        """Offer lesson 1 in a banner, unless it was dismissed or a lesson started before."""
        if _as_bool(QSettings().value(keys.LESSONS_INVITED)):
            return False
        try:
            first = self.lessons()[0]
        except (LessonError, IndexError):
            return False
        self.banner.show_message(
            "New here?",
            f"Lesson 1, “{first.title}”, shows you around the window and the network in a few minutes.",
            kind="warning",
            action="Start lesson 1",
            action_tip="Open the first lesson in a panel at the right",
        )
        return True

    @Slot()
    def _on_invitation_accepted(self) -> None:
        self.start(self.lessons()[0])

    @Slot()
    def _remember_invited(self) -> None:
        QSettings().setValue(keys.LESSONS_INVITED, True)

    @Slot()
    def _on_open_triggered(self) -> None:
        try:
            lessons = self.lessons()
        except LessonError as err:
            self.window.statusBar().showMessage(f"Cannot read the lessons: {err}", 10000)
            return
        names = [f"{i}. {lesson.title}" for i, lesson in enumerate(lessons, start=1)]
        current = self.panel.lesson
        chosen = lessons.index(current) if current in lessons else 0
        item, ok = QInputDialog.getItem(self.window, "Lessons", "Choose a lesson:", names, chosen, False)
        if ok and item in names:
            self.start(lessons[names.index(item)])


def _as_bool(value) -> bool:
    """QSettings' INI backend returns "true" / "false" strings."""
    return value is True or str(value).lower() == "true"
