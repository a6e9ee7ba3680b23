"""Points drawn by hand on the playground's plane, and points clicked to follow them.

A drawn point joins the training data from the next mini-batch on, without restarting;
Undo point takes back the one drawn last. A click on the plane makes the test point under
the mouse (or the bare point there) the current sample."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, Signal

from visnet.core.features import with_features
from visnet.data.playground import PlaygroundSpec
from visnet.data.toy2d import Toy2D, add_point

from .session import Session
from .training.controller import TrainingController

NEAR_POINT = 0.3  # plane units (~2 % of its width): a click this close to a test point picks it


class PlaygroundPoints(QObject):
    """Adds, takes back and follows points of the session's playground data."""

    message = Signal(str, int)  # what happened, for the status bar, and for how many ms

    def __init__(self, session: Session, controller: TrainingController, parent: QObject | None = None):
        super().__init__(parent)
        self._session = session
        self._controller = controller

    def add(self, x1: float, x2: float, label: int, split: str = "train") -> bool:
        """Add a point of class label; training goes on with it from its next mini-batch.
        False (with a message) if it cannot be added."""
        toy = self._session.playground
        if toy is None:
            return False
        try:
            toy = add_point(toy, x1, x2, label, split)
        except ValueError as err:
            self.message.emit(f"Not added: {err}", 8000)
            return False
        if not self._train_on(toy, test_changed=split == "test", doing="added"):
            return False
        self.message.emit(
            f"Added a class {label} point at ({x1:.2f}, {x2:.2f}): {toy.n_train} training points now.", 4000
        )
        return True

    def undo(self) -> bool:
        """Take back the point drawn last; False if there is none."""
        toy = self._session.playground
        if toy is None or not toy.drawn:
            return False
        *kept, last = toy.drawn
        toy, _ = PlaygroundSpec.parse(self._session.dataset_spec).load(kept)
        if not self._train_on(toy, test_changed=last.split == "test", doing="removed"):
            return False
        self.message.emit(f"Removed the class {last.label} point at ({last.x1:.2f}, {last.x2:.2f}).", 4000)
        return True

    def follow(self, x1: float, x2: float) -> None:
        """Make the test point at (x1, x2) (within NEAR_POINT) or the bare point the current sample."""
        session = self._session
        d = session.dataset
        if session.playground is None or d is None:
            return
        if d.n_test:
            distance = np.hypot(d.x_test[:, 0] - x1, d.x_test[:, 1] - x2)
            nearest = int(np.argmin(distance))
            if distance[nearest] <= NEAR_POINT:
                session.choose_test_sample(nearest)
                return
        session.use_point(with_features(np.array([[x1, x2]]), session.features or ())[0])

    def _train_on(self, toy: Toy2D, test_changed: bool, doing: str) -> bool:
        """Train on toy's points from the next mini-batch on, and show them."""
        session = self._session
        spec = session.dataset_spec
        dataset = PlaygroundSpec.parse(spec).dataset(toy)
        try:
            with self._controller.locked_trainer() as trainer:
                trainer.set_data(dataset.x_train, dataset.y_train, dataset.x_test, dataset.y_test)
        except (RuntimeError, ValueError) as err:
            self.message.emit(f"Not {doing}: {err}", 8000)
            return False
        session.set_dataset(dataset, spec, toy, session.plane, session.features, keep_sample=not test_changed)
        if self._controller.state != "running":
            self._controller.publish_snapshot()  # the change's effect on the accuracy shows at once
        return True
