"""The status bar's permanent fields: what training is doing, where it is, how fast, how well.

They follow the session: the run state as it changes, the rest from the moment shown."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QProgressBar, QStatusBar

from .session import Session

STATE_TEXT = {"idle": "Ready", "running": "Training", "paused": "Paused", "stopped": "Stopped", "diverged": "Diverged"}
STATE_COLOR = {"running": "#1b7f3b", "diverged": "#b00020", "stopped": "#8a5a00"}


class TrainingStatus:
    """State, epoch, batch and an epoch progress bar, samples/s, test accuracy, added to `bar`."""

    def __init__(self, bar: QStatusBar, session: Session):
        self._session = session
        self.state_label = QLabel()
        self.state_label.setToolTip("What the training is doing")
        self.epoch_label = QLabel()
        self.epoch_label.setToolTip("The epoch being trained (one epoch = one pass over the training set)")
        self.batch_label = QLabel()
        self.batch_label.setToolTip("Mini-batches done in this epoch")
        self.epoch_progress = QProgressBar()
        self.epoch_progress.setRange(0, 100)  # percent: a finer value would repaint the bar every frame
        self.epoch_progress.setTextVisible(False)
        self.epoch_progress.setFixedWidth(120)
        self.epoch_progress.setMaximumHeight(14)
        self.epoch_progress.setToolTip("Progress through the current epoch")
        self.rate_label = QLabel()
        self.rate_label.setToolTip("Training examples processed per second")
        self.accuracy_label = QLabel()
        self.accuracy_label.setToolTip("Accuracy on the test split, measured at the end of each epoch")
        metrics = bar.fontMetrics()
        for label, widest in (
            (self.state_label, "Training · looking back"),
            (self.epoch_label, "Epoch 8888"),
            (self.batch_label, "batch 88,888 / 88,888"),
            (self.rate_label, "888,888 samples/s"),
            (self.accuracy_label, "Test accuracy 88.8%"),
        ):
            label.setMinimumWidth(metrics.horizontalAdvance(widest) + 12)
        # A status message too long for its place is cut at the state label: a gap keeps the
        # two from reading as one ("…starts a freshReady").
        gap = metrics.horizontalAdvance("  ")
        self.state_label.setContentsMargins(gap, 0, 0, 0)
        self.state_label.setMinimumWidth(self.state_label.minimumWidth() + gap)
        for w in (
            self.state_label,
            self.epoch_label,
            self.batch_label,
            self.epoch_progress,
            self.rate_label,
            self.accuracy_label,
        ):
            bar.addPermanentWidget(w)

    def show(self) -> None:
        """Show the run state and the moment shown (the session's snapshot)."""
        state = self._session.state
        shown = (state, self._session.looking_back)
        if self.state_label.property("shown") != shown:  # a style sheet change re-polishes: not per frame
            color = STATE_COLOR.get(state)
            self.state_label.setProperty("shown", shown)
            text = STATE_TEXT.get(state, state)
            self.state_label.setText(f"{text} · looking back" if self._session.looking_back else text)
            self.state_label.setStyleSheet(f"color: {color}; font-weight: bold;" if color else "font-weight: bold;")
        snap = self._session.snapshot
        if snap is None:
            return
        self.epoch_label.setText(f"Epoch {snap.epochs_done + 1}")
        self.batch_label.setText(f"batch {snap.batch_in_epoch:,} / {snap.batches_per_epoch:,}")
        fraction = snap.batch_in_epoch / snap.batches_per_epoch if snap.batches_per_epoch else 0.0
        self.epoch_progress.setValue(round(100 * fraction))
        self.rate_label.setText(
            f"{snap.samples_per_second:,.0f} samples/s"
            if state == "running" and snap.samples_per_second
            else "– samples/s"
        )
        ev = snap.evaluation
        self.accuracy_label.setText(f"Test accuracy {100 * ev.accuracy:.1f}%" if ev is not None else "Test accuracy –")
