"""Hand edits of the trained network (core.edits.EditHistory) carried out safely through
the TrainingController, with undo and redo and the accuracy change."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal, Slot

from visnet.core.edits import Edit, EditHistory
from visnet.core.network import Network
from visnet.core.training import Evaluation


@dataclass(frozen=True)
class EditResult:
    """What an edit (or its undo/redo) did: the edit, and the test evaluation before and after."""

    edit: Edit
    action: str  # "apply", "undo" or "redo"
    before: Evaluation | None
    after: Evaluation | None

    @property
    def accuracy_delta(self) -> float | None:
        if self.before is None or self.after is None:
            return None
        return self.after.accuracy - self.before.accuracy


class NetworkEditor(QObject):
    """Edits the network being trained, with undo and redo (core.edits.EditHistory).

    Every change pauses training first, mutates the network only inside
    controller.locked_trainer(), resets the optimiser's momentum, evaluates the test split
    before and after, and asks the controller to publish a snapshot of the edited network so
    every panel redraws it. A new network (controller.trainer_replaced) starts a new history.
    """

    edited = Signal(object)  # EditResult
    history_changed = Signal()  # can_undo / can_redo / applied may have changed

    def __init__(self, controller, parent: QObject | None = None):
        super().__init__(parent)
        self.controller = controller
        self.revision = 0  # counts edits, undos and redos
        self.unsaved = False  # edited since the network was last saved or loaded
        self.last_result: EditResult | None = None
        self._evaluation: Evaluation | None = None  # the test evaluation after the last change
        self._evaluated_at: tuple[int, int] | None = None  # (trainer step, revision) it belongs to
        self.history: EditHistory | None = None
        controller.trainer_replaced.connect(self._on_trainer_replaced)
        self._on_trainer_replaced()

    @Slot()
    def _on_trainer_replaced(self) -> None:
        trainer = self.controller.trainer
        self.history = None if trainer is None else EditHistory(trainer.net)
        self.last_result = None
        self.unsaved = False
        self._evaluation = self._evaluated_at = None
        self.history_changed.emit()

    @property
    def can_undo(self) -> bool:
        return self.history is not None and self.history.can_undo

    @property
    def can_redo(self) -> bool:
        return self.history is not None and self.history.can_redo

    def applied(self) -> list[Edit]:
        return [] if self.history is None else self.history.applied

    def saved_edits(self) -> list[dict]:
        """Edits recorded in the model file before this session (already in its weights)."""
        if self.history is None:
            return []
        return self.history.info_edits()[: len(self.history.info_edits()) - len(self.history)]

    def apply(self, edit: Edit) -> EditResult:
        """Apply edit (ValueError/IndexError, nothing changed, if it does not fit the network)."""
        return self._change("apply", lambda h: h.apply(edit))

    def ablate(self, layer: int, j: int) -> EditResult:
        return self.apply(Edit("ablate", layer, j))

    def scale_weights(self, layer: int, j: int, factor: float) -> EditResult:
        return self.apply(Edit("scale_weights", layer, j, value=float(factor)))

    def shift_bias(self, layer: int, j: int, delta: float) -> EditResult:
        return self.apply(Edit("shift_bias", layer, j, value=float(delta)))

    def set_weight(self, layer: int, j: int, i: int, value: float) -> EditResult:
        return self.apply(Edit("set_weight", layer, j, i=int(i), value=float(value)))

    def set_bias(self, layer: int, j: int, value: float) -> EditResult:
        return self.apply(Edit("set_bias", layer, j, value=float(value)))

    def undo(self) -> EditResult | None:
        return self._change("undo", lambda h: h.undo()) if self.can_undo else None

    def redo(self) -> EditResult | None:
        return self._change("redo", lambda h: h.redo()) if self.can_redo else None

    def mark_saved(self) -> None:
        self.unsaved = False

    def store_in_info(self, net: Network) -> list[dict]:
        """net.info["edits"] = every edit in force (call on the copy about to be saved)."""
        edits = [] if self.history is None else self.history.info_edits()
        if edits:
            net.info["edits"] = edits
        return edits

    def _change(self, action: str, do) -> EditResult:
        c = self.controller
        if c.trainer is None or self.history is None:
            raise RuntimeError("no network to edit")
        if c.state == "running":
            c.pause()  # the worker stops after its current mini-batch; the lock below waits for it
        with c.locked_trainer() as trainer:
            if trainer.net is not self.history.net:  # replaced behind our back
                self.history = EditHistory(trainer.net)
            before = self._evaluation
            if before is None or self._evaluated_at != (trainer.steps, self.revision):
                before = trainer.evaluate()
            edit = do(self.history)  # raises before changing anything if the edit does not fit
            trainer.reset_optimizer()
            after = trainer.evaluate()
            self.revision += 1
            self.unsaved = True
            self._evaluation, self._evaluated_at = after, (trainer.steps, self.revision)
        c.publish_snapshot()
        result = EditResult(edit, action, before, after)
        self.last_result = result
        self.edited.emit(result)
        self.history_changed.emit()
        return result
