"""Python's cyclic garbage collector, run on the GUI thread only.

The collector runs in whichever thread allocates when a collection is due. Run in the
training worker's relay thread or a loading thread, it destroys the Qt objects left in
reference cycles there: their destructors take Qt's locks and then wait for the interpreter,
which the GUI thread may hold while it waits for one of those locks — the process hangs (seen
in the tests). So automatic collection is switched off and a timer on the GUI thread
collects when the counts pass the usual thresholds, as the collector itself would.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer, Slot

CHECK_INTERVAL_MS = 250


class GuiThreadCollector(QObject):
    """Switches automatic collection off and collects from a GUI-thread timer instead."""

    def __init__(self, parent: QObject | None = None, interval_ms: int = CHECK_INTERVAL_MS):
        super().__init__(parent)
        self._thresholds = gc.get_threshold()
        gc.disable()
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.check)
        self._timer.start()

    @Slot()
    def check(self) -> None:
        """Collect the generation the counts say is due, if any."""
        counts, limits = gc.get_count(), self._thresholds
        if counts[0] <= limits[0]:
            return
        generation = 2 if counts[2] > limits[2] else 1 if counts[1] > limits[1] else 0
        gc.collect(generation)

    def stop(self) -> None:
        self._timer.stop()
        gc.enable()
