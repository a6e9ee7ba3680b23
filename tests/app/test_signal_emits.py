"""Regression guard: PySide6 6.12.0 on Python 3.11 aborts the interpreter ("Fatal Python
error: bool_dealloc") after roughly 570 emits of a Python-defined Signal. visnet emits one
per snapshot (30 a second), so such a build would crash within a minute of training;
pyproject.toml excludes it, and this test fails loudly if one slips in anyway."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal, Slot

N_EMITS = 5000


class Emitter(QObject):
    ticked = Signal()
    counted = Signal(int)
    flagged = Signal(bool)
    carried = Signal(object)
    named = Signal(str)


class Receiver(QObject):
    def __init__(self):
        super().__init__()
        self.calls = 0

    @Slot()
    def on_ticked(self):
        self.calls += 1

    @Slot(int)
    def on_counted(self, n: int):
        self.calls += 1

    @Slot(bool)
    def on_flagged(self, on: bool):
        self.calls += 1

    @Slot(object)
    def on_carried(self, value):
        self.calls += 1

    @Slot(str)
    def on_named(self, text: str):
        self.calls += 1


def test_python_signals_survive_thousands_of_emits(qapp):
    emitter, receiver = Emitter(), Receiver()
    emitter.ticked.connect(receiver.on_ticked)
    emitter.counted.connect(receiver.on_counted)
    emitter.flagged.connect(receiver.on_flagged)
    emitter.carried.connect(receiver.on_carried)
    emitter.named.connect(receiver.on_named)
    payload = {"loss": 0.5}
    for i in range(N_EMITS):
        emitter.ticked.emit()
        emitter.counted.emit(i)
        emitter.flagged.emit(i % 2 == 0)
        emitter.carried.emit(payload)
        emitter.named.emit("running")
    assert receiver.calls == 5 * N_EMITS


def test_signal_to_plain_callable_survives_thousands_of_emits(qapp):
    emitter = Emitter()
    seen = []
    emitter.flagged.connect(seen.append)
    for i in range(N_EMITS):
        emitter.flagged.emit(i % 3 == 0)
    assert len(seen) == N_EMITS
