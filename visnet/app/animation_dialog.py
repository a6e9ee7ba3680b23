"""File ▸ Export animation: the dialog that chooses what to export, and the progress dialog
(with Cancel) that shows the export going on. The rendering is animation.py's."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressDialog,
    QPushButton,
    QSpinBox,
    QWidget,
)

from visnet.core.timeline import Timeline

from .animation import (
    DEFAULT_FPS,
    DEFAULT_MAX_FRAMES,
    MAX_FPS,
    MAX_FRAMES,
    VIDEO_EXTRA,
    AnimationError,
    AnimationSettings,
    Progress,
    check_output,
    video_available,
)

WHOLE_WINDOW = ""  # the panel choice that exports the whole window
MAX_SIDE = 8192


class AnimationDialog(QDialog):
    """Which panel (by dock name; WHOLE_WINDOW for the window), which span of the timeline,
    the frame rate and the number of frames (or the duration), the size and the file.

    targets: (dock name, title, size on screen) of each panel that can be exported now."""

    def __init__(
        self,
        timeline: Timeline,
        targets: Sequence[tuple[str, str, tuple[int, int]]],
        chosen: str,
        suggested_path: str,
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self.setWindowTitle("Export animation")
        self._timeline = timeline
        self._sizes = {name: size for name, _, size in targets}
        n = len(timeline)

        self.panel_box = QComboBox()
        for name, title, _ in targets:
            self.panel_box.addItem(title, name)
        self.panel_box.setCurrentIndex(max(0, self.panel_box.findData(chosen)))
        self.panel_box.currentIndexChanged.connect(self._on_panel_changed)

        self.first_spin, self.first_label = QSpinBox(), QLabel()
        self.last_spin, self.last_label = QSpinBox(), QLabel()
        for spin in (self.first_spin, self.last_spin):
            spin.setRange(0, max(n - 1, 0))
            spin.valueChanged.connect(self._on_span_changed)
        self.last_spin.setValue(n - 1)

        self.fps_spin = QSpinBox()
        self.fps_spin.setRange(1, MAX_FPS)
        self.fps_spin.setValue(DEFAULT_FPS)
        self.fps_spin.setSuffix(" frames/s")
        self.frames_spin = QSpinBox()
        self.frames_spin.setRange(1, MAX_FRAMES)
        self.frames_spin.setValue(min(n, DEFAULT_MAX_FRAMES))
        self.seconds_spin = QDoubleSpinBox()
        self.seconds_spin.setRange(0.05, MAX_FRAMES)
        self.seconds_spin.setDecimals(2)
        self.seconds_spin.setSuffix(" s")
        self.fps_spin.valueChanged.connect(self._on_frames_changed)
        self.frames_spin.valueChanged.connect(self._on_frames_changed)
        self.seconds_spin.valueChanged.connect(self._on_seconds_changed)

        self.width_spin, self.height_spin = QSpinBox(), QSpinBox()
        for spin in (self.width_spin, self.height_spin):
            spin.setRange(16, MAX_SIDE)
            spin.setSuffix(" px")

        self.path_edit = QLineEdit(suggested_path)
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._on_browse_clicked)
        path_row = QHBoxLayout()
        path_row.addWidget(self.path_edit, 1)
        path_row.addWidget(browse)
        size_row = QHBoxLayout()
        size_row.addWidget(self.width_spin)
        size_row.addWidget(QLabel("×"))
        size_row.addWidget(self.height_spin)
        size_row.addStretch(1)
        timing_row = QHBoxLayout()
        timing_row.addWidget(self.frames_spin)
        timing_row.addWidget(QLabel("frames, lasting"))
        timing_row.addWidget(self.seconds_spin)
        timing_row.addStretch(1)

        self.problem_label = QLabel()
        self.problem_label.setWordWrap(True)
        self.problem_label.setStyleSheet("color: #e06c5a")
        note = "a .gif, or a .mp4" + ("" if video_available() else f" (needs {VIDEO_EXTRA})")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Export")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)

        form = QFormLayout(self)
        form.addRow("Panel", self.panel_box)
        form.addRow("From moment", _row(self.first_spin, self.first_label))
        form.addRow("To moment", _row(self.last_spin, self.last_label))
        form.addRow("Frame rate", self.fps_spin)
        form.addRow("Frames", timing_row)
        form.addRow("Size", size_row)
        form.addRow("File", path_row)
        form.addRow("", QLabel(f"<small>{note}; the frames are evenly spaced moments of the span</small>"))
        form.addRow(self.problem_label)
        form.addRow(buttons)
        self._on_panel_changed()
        self._on_span_changed()
        self._on_frames_changed()

    def settings(self) -> AnimationSettings:
        """What the dialog says to export (its path may still be unusable: accept() checks)."""
        path = Path(os.path.expanduser(self.path_edit.text().strip()))
        if path.name and not path.suffix:
            path = path.with_suffix(".gif")
        return AnimationSettings(
            path=path,
            first=self.first_spin.value(),
            last=self.last_spin.value(),
            fps=self.fps_spin.value(),
            frames=self.frames_spin.value(),
            size=(self.width_spin.value(), self.height_spin.value()),
        )

    def panel(self) -> str:
        return self.panel_box.currentData()

    def accept(self) -> None:
        """Close only with a file that can be written (else say why in the dialog)."""
        settings = self.settings()
        try:
            check_output(settings.path, settings.fps)
        except AnimationError as err:
            self.problem_label.setText(str(err))
            return
        super().accept()

    @Slot()
    def _on_panel_changed(self) -> None:
        width, height = self._sizes.get(self.panel(), (800, 600))
        self.width_spin.setValue(width)
        self.height_spin.setValue(height)

    @Slot()
    def _on_span_changed(self) -> None:
        for spin, label in ((self.first_spin, self.first_label), (self.last_spin, self.last_label)):
            if len(self._timeline):
                moment = self._timeline[spin.value()]
                label.setText(f"step {moment.step:,} · epoch {moment.epoch_progress:.2f}")

    @Slot()
    def _on_frames_changed(self) -> None:
        seconds = self.frames_spin.value() / self.fps_spin.value()
        if abs(self.seconds_spin.value() - seconds) > 0.005:
            self.seconds_spin.blockSignals(True)
            self.seconds_spin.setValue(seconds)
            self.seconds_spin.blockSignals(False)

    @Slot()
    def _on_seconds_changed(self) -> None:
        self.frames_spin.setValue(max(1, round(self.seconds_spin.value() * self.fps_spin.value())))

    @Slot()
    def _on_browse_clicked(self) -> None:
        file_filter = "Animated GIF (*.gif);;MP4 video (*.mp4)"
        path, _ = QFileDialog.getSaveFileName(self, "Export the animation to", self.path_edit.text(), file_filter)
        if path:
            self.path_edit.setText(path)


def _row(*widgets: QWidget) -> QWidget:
    box = QWidget()
    row = QHBoxLayout(box)
    row.setContentsMargins(0, 0, 0, 0)
    for w in widgets:
        row.addWidget(w)
    row.addStretch(1)
    return box


@contextmanager
def progress_dialog(parent: QWidget, text: str) -> Iterator[Progress]:
    """A modal progress dialog with Cancel, as a Progress callback for render_animation."""
    dialog = QProgressDialog(text, "Cancel", 0, 1, parent)
    dialog.setWindowTitle("Export animation")
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.setMinimumDuration(300)
    dialog.setAutoReset(False)
    dialog.setAutoClose(False)

    def progress(done: int, total: int) -> bool:
        dialog.setMaximum(total)
        dialog.setValue(done)  # a modal dialog's setValue processes events: Cancel is seen here
        return not dialog.wasCanceled()

    try:
        yield progress
    finally:
        dialog.close()
        dialog.deleteLater()
