"""The shared state of the window, and a signal for each change (napari's ViewerModel).

Every panel takes the session, subscribes to the signals it needs and writes the user's
choices back through it (select a neuron, choose a sample); no panel asks the window for
another panel, and the window relays nothing between panels.

What it holds:
- the data set (with its spec, and for a playground set its points and plane);
- the training controller (the network and trainer);
- the snapshot being shown: the moment of training every panel draws: the newest live
  snapshot, or a moment of the run's timeline the user went back to (look_at);
- the run's timeline (core.timeline), fed with the moments every live snapshot carries, and
  the timelines of earlier branches;
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
from visnet.core.timeline import DEFAULT_BUDGET, Timeline
from visnet.core.training import TrainingProgress
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
    timeline_changed = Signal()  # moments were added, or the moment looked at changed
    moment_changed = Signal()  # the user went to another moment, or back to live: redraw everything

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
        self.timeline = Timeline(DEFAULT_BUDGET)
        self.earlier_timelines: list[Timeline] = []  # the runs branched from, newest last
        self._live: Snapshot | None = None  # the newest snapshot from training
        self._looking_at: Snapshot | None = None  # the moment looked back at; None: live
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

    def show_snapshot(self, snap: Snapshot) -> bool:
        """A snapshot from training: its moments go into the timeline, and it becomes the
        moment shown unless the user is looking back (then False: live goes on behind).
        A snapshot of training standing still (a pause, a step, an edit, a new network) is
        a moment the user lived through, which the timeline always keeps."""
        self.timeline.add_all(snap.moments)
        if snap.state != "running" or not len(self.timeline):
            self.timeline.add(snap, kept=True)
        self._live = snap
        if self._looking_at is not None:
            self.timeline_changed.emit()
            return False
        self._snapshot = snap
        self._pass = None
        self.snapshot_changed.emit()
        self.timeline_changed.emit()
        return True

    # -- the timeline ---------------------------------------------------------------------
    @property
    def live_snapshot(self) -> Snapshot | None:
        """The newest snapshot from training (what live shows)."""
        return self._live

    @property
    def looking_back(self) -> bool:
        return self._looking_at is not None

    @property
    def moment_index(self) -> int | None:
        """The index in the timeline of the moment looked at (None: live, or a moment the
        budget has since dropped)."""
        m = self._looking_at
        return None if m is None else self.timeline.index_of(m.step)

    def look_at(self, index: int, keep: bool = True) -> None:
        """Show moment `index` of the timeline in every panel; the moment shown becomes one
        the user lived through, so it is kept (unless not `keep`: an animation's frames)."""
        index = max(0, min(int(index), len(self.timeline) - 1))
        moment = self.timeline[index]
        if keep:
            self.timeline.keep(index)
        if moment is self._looking_at:
            return
        self._looking_at = self._snapshot = moment
        self._pass = None
        self.snapshot_changed.emit()
        self.moment_changed.emit()
        self.timeline_changed.emit()

    def look_at_step(self, step: float) -> None:
        """Show the recorded moment nearest to `step`."""
        i = self.timeline.nearest(step)
        if i is not None:
            self.look_at(i)

    def step_through(self, delta: int) -> None:
        """Go `delta` recorded moments later (negative: earlier); past the newest is live."""
        if not len(self.timeline) or (self._looking_at is None and delta > 0):
            return
        current = self.moment_index
        if current is None:  # live, or a moment since dropped: count from where it stands
            at = self._snapshot.step if self._snapshot is not None else 0
            current = self.timeline.nearest(at)
            if self._looking_at is None and self.timeline[current].step < at:
                current += 1  # live is beyond the newest moment: one step back is that moment
        target = current + delta
        if target >= len(self.timeline):
            self.go_live()
        else:
            self.look_at(max(target, 0))

    def go_live(self) -> None:
        """Show the newest snapshot from training again."""
        if self._looking_at is None:
            return
        self._looking_at = None
        self._snapshot = self._live
        self._pass = None
        self.snapshot_changed.emit()
        self.moment_changed.emit()
        self.timeline_changed.emit()

    def set_timeline(self, timeline: Timeline) -> None:
        """Take the timeline of a run opened from a file (after its network is in place)."""
        timeline.budget = self.timeline.budget
        self.timeline = timeline
        self.timeline_changed.emit()

    def set_timeline_budget(self, nbytes: int) -> None:
        self.timeline.set_budget(nbytes)
        self.timeline_changed.emit()

    def branch(self) -> bool:
        """Continue training from the moment looked at: the run so far stays in
        earlier_timelines, the timeline goes on from that moment, and the trainer takes its
        parameters and counters (momentum starts afresh). False when live."""
        moment, index = self._looking_at, self.moment_index
        if moment is None or index is None:
            return False
        self.earlier_timelines.append(self.timeline)
        self.timeline = self.timeline.branch(index)
        progress = TrainingProgress(
            moment.step,
            moment.epochs_done,
            moment.samples_seen,
            min(max(moment.epoch_progress - moment.epochs_done, 0.0), 0.999999),
        )
        with self.controller.locked_trainer() as trainer:
            trainer.go_back(moment.weights, moment.biases, progress)
        self._looking_at = None
        self._live = self._snapshot = moment
        self._pass = None
        self.controller.publish_snapshot()
        self.moment_changed.emit()
        self.timeline_changed.emit()
        return True

    def _on_trainer_replaced(self) -> None:
        self._snapshot = None
        self._pass = None
        self._neuron = None
        self._live = self._looking_at = None
        self.timeline = Timeline(self.timeline.budget)
        self.earlier_timelines = []
        self.network_replaced.emit()
        self.timeline_changed.emit()
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
