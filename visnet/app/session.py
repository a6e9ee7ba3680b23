"""The shared state of the window, and a signal for each change (napari's ViewerModel).

Every panel takes the session, subscribes to the signals it needs and writes the user's
choices back through it (select a neuron, choose a sample); no panel asks the window for
another panel, and the window relays nothing between panels.

What it holds:
- the data set (with its spec, and for a playground set its points and plane);
- the training controller (the network and trainer);
- the snapshot being shown: the moment of training every panel draws;
- the current sample (a core.sample_pass.Sample) and its forward pass through the network
  being shown, computed once and shared, so two captions never disagree;
- the selected neuron (layer into weights, index), or None;
- the run state (idle, running, paused, stopped, diverged).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import QObject, Signal

from visnet.core.sample_pass import Sample, SamplePass
from visnet.core.snapshot import Snapshot
from visnet.data import Dataset
from visnet.data.toy2d import Toy2D

from .colors import index_names, input_labels, picture_side
from .plane import Plane
from .training.controller import TrainingController


class Session(QObject):
    """The model every panel subscribes to. Signals carry nothing: read the new value from
    the session (so a slot never sees a stale copy)."""

    dataset_changed = Signal()  # dataset, spec, playground points or plane changed
    network_replaced = Signal()  # a different network: panels start afresh
    snapshot_changed = Signal()  # another moment (a newer snapshot) is shown
    sample_changed = Signal()  # the current sample changed
    drawing_changed = Signal()  # the digit being drawn changed (not yet the current sample)
    neuron_changed = Signal()  # the selected neuron changed (or was cleared)
    state_changed = Signal(str)  # the run state

    def __init__(self, controller: TrainingController, parent: QObject | None = None):
        super().__init__(parent)
        self.controller = controller
        self._dataset: Dataset | None = None
        self._dataset_spec = "embedded"
        self._toy: Toy2D | None = None
        self._plane: Plane | None = None
        self._features: tuple[str, ...] | None = None
        self._snapshot: Snapshot | None = None
        self._sample: Sample | None = None
        self._neuron: tuple[int, int] | None = None
        self._pass: SamplePass | None = None
        self._drawing: np.ndarray | None = None
        self.sample_passes = 0  # forward passes computed for the current sample (for tests)
        controller.state_changed.connect(self.state_changed)
        controller.trainer_replaced.connect(self._on_trainer_replaced)

    # -- the data set ---------------------------------------------------------------------
    @property
    def dataset(self) -> Dataset | None:
        return self._dataset

    @property
    def dataset_spec(self) -> str:
        return self._dataset_spec

    @property
    def playground(self) -> Toy2D | None:
        """The playground's points, with those drawn by hand (None for image data)."""
        return self._toy

    @property
    def plane(self) -> Plane | None:
        """The plane the playground's inputs come from (None for image data)."""
        return self._plane

    @property
    def features(self) -> tuple[str, ...] | None:
        """The playground's extra inputs after x1, x2 (core.features names); None for images."""
        return self._features

    @property
    def input_names(self) -> tuple[str, ...] | None:
        """Display names of the inputs when they are values rather than a picture's pixels:
        the playground's x₁, x₂ and features, a table's columns (the data set's
        feature_names), or x₁ … xₙ for inputs that are neither; None for a square picture.
        Every panel that names inputs reads this, so they all name them alike."""
        d = self._dataset
        if d is None:
            return None
        if self._toy is not None or self._features is not None:  # the playground's points
            return input_labels(d.n_inputs, self._features)
        # Only table data sets carry feature_names; pictures and the playground's points do not.
        names = d.feature_names
        if len(names) == d.n_inputs:
            return names
        h, w = d.input_shape if len(d.input_shape) == 2 else (0, 0)
        if h == w and picture_side(d.n_inputs) == h:
            return None
        return index_names(d.n_inputs)

    @property
    def class_names(self) -> tuple[str, ...]:
        return tuple(self._dataset.class_names) if self._dataset is not None else ()

    def set_dataset(
        self,
        dataset: Dataset,
        spec: str,
        toy: Toy2D | None = None,
        plane: Plane | None = None,
        features: Sequence[str] | None = None,
        *,
        keep_sample: bool = False,
    ) -> None:
        """Show `dataset` from now on. The current sample becomes its first test example,
        unless keep_sample (the test split did not change)."""
        self._dataset, self._dataset_spec, self._toy, self._plane = dataset, spec, toy, plane
        self._features = None if features is None else tuple(features)
        self.dataset_changed.emit()
        if keep_sample and self._sample is not None:
            return
        self._sample = None  # test example 0 of another data set is another sample
        if dataset.n_test:
            self.choose_test_sample(0)
        else:
            self._set_sample(None)

    # -- the network and the moment shown ------------------------------------------------
    @property
    def snapshot(self) -> Snapshot | None:
        """The moment every panel draws (the newest snapshot drawn)."""
        return self._snapshot

    @property
    def state(self) -> str:
        return self.controller.state

    def show_snapshot(self, snap: Snapshot) -> None:
        """Make `snap` the moment shown; the sample's forward pass follows it."""
        self._snapshot = snap
        self._pass = None
        self.snapshot_changed.emit()

    def _on_trainer_replaced(self) -> None:
        self._snapshot = None
        self._pass = None
        self._neuron = None
        self.network_replaced.emit()
        # A new network starts with its first neuron selected, so the inspector and the
        # rings in the network view and the weight pictures show the same one.
        self.select_neuron(0, 0)

    # -- the current sample ---------------------------------------------------------------
    @property
    def sample(self) -> Sample | None:
        return self._sample

    def sample_pass(self) -> SamplePass | None:
        """The current sample through the network being shown (computed once per pair), or
        None without either or when they do not fit."""
        snap, sample = self._snapshot, self._sample
        if snap is None or sample is None or sample.x.size != snap.sizes[0]:
            return None
        p = self._pass
        if p is None or p.sample is not sample or p.net is not snap.network:
            p = self._pass = SamplePass.compute(snap.network, sample)
            self.sample_passes += 1
        return p

    def choose_test_sample(self, index: int) -> bool:
        """Make test example `index` the current sample; False if there is no such example."""
        d = self._dataset
        if d is None or not 0 <= index < d.n_test:
            return False
        current = self._sample
        if current is not None and current.source == "test" and current.index == index:
            return True
        self._set_sample(Sample.test(d.x_test[index], int(d.y_test[index]), index))
        return True

    @property
    def drawing(self) -> np.ndarray | None:
        """The digit in the drawing panel (n_inputs,), or None when its canvas is empty."""
        return self._drawing

    def set_drawing(self, x: np.ndarray | None) -> None:
        """What the drawing panel holds now; it becomes the current sample only with use_drawing()."""
        self._drawing = None if x is None else np.asarray(x, np.float32).ravel().copy()
        self.drawing_changed.emit()

    def use_drawing(self, x: np.ndarray | None = None) -> None:
        """Make a drawn digit x (n_inputs,) (default: the drawing panel's) the current sample."""
        if x is not None:
            self.set_drawing(x)
        if self._drawing is not None:
            self._set_sample(Sample.drawing(self._drawing))

    def use_point(self, x: np.ndarray) -> None:
        """Make a point of the plane (its inputs x (n_inputs,), features included) the current sample."""
        self._set_sample(Sample.point(x))

    def _set_sample(self, sample: Sample | None) -> None:
        self._sample = sample
        self._pass = None
        self.sample_changed.emit()

    # -- the selected neuron --------------------------------------------------------------
    @property
    def neuron(self) -> tuple[int, int] | None:
        """(layer into weights, index) of the selected neuron, or None."""
        return self._neuron

    def select_neuron(self, layer: int, index: int) -> None:
        neuron = (int(layer), int(index))
        if neuron != self._neuron:
            self._neuron = neuron
            self.neuron_changed.emit()
