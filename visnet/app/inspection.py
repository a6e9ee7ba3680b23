"""What the "look inside" panels share, kept off the widgets so it can be tested and timed alone.

- SplitActivations: every neuron's activation on every test image, computed once per
  snapshot and shared by the neuron inspector and the mistakes panel (a forward pass over
  the test split is the expensive part of both).
- NeuronHistory: each neuron's incoming-weight norm and its update size over training,
  recorded from the snapshots the window draws (snapshots carry no per-neuron gradient, so
  the update ‖Δw‖ between two frames is what can be measured honestly).
- ActivationMaximizer: gradient ascent on the input (core.inspect.maximize_activation) on
  its own QThread, cancellable, reporting progress to the GUI thread.
- NetworkEditor: hand edits of the trained network (core.edits.EditHistory) carried out
  safely through the TrainingController, with undo and redo and the accuracy change.
"""

from __future__ import annotations

import threading
import time
import weakref
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QObject, QThread, Signal, Slot

from visnet.app.threads import worker_thread
from visnet.core.edits import Edit, EditHistory
from visnet.core.inspect import AscentStep, layer_activations, maximize_activation
from visnet.core.network import Network
from visnet.core.snapshot import Snapshot
from visnet.core.training import Evaluation

BACKGROUND_INTERVAL_S = 1.0  # while training, test-split passes start at most this often
HISTORY_CAPACITY = 2000  # rows kept per neuron history before every other row is dropped


# -- activations over the test split, once per snapshot ---------------------------------------
class SplitActivations(QObject):
    """layer_activations(snapshot.network, x_test), cached for the newest snapshot asked for.

    Snapshots are immutable, so the snapshot object itself is the cache key: a redraw with
    the same snapshot costs nothing, and a new one costs one forward pass over the split.
    While training runs, callers pass wait=False: the pass then runs on a background thread
    (numpy releases the interpreter while it multiplies), the caller gets the newest
    activations already computed for this network shape, and `computed` says when the
    asked-for ones are ready. A 2,000-image pass on the GUI thread cost 15-40 ms per refresh.
    """

    computed = Signal()  # activations for a snapshot asked for with wait=False are ready

    def __init__(self) -> None:
        super().__init__()
        self.x: np.ndarray | None = None
        self.y: np.ndarray | None = None
        self.class_names: tuple[str, ...] = ()
        self._lock = threading.Lock()  # guards the cache and the background request
        self._snap: Snapshot | None = None
        self._acts: list[np.ndarray] | None = None
        self._wanted: Snapshot | None = None  # the newest snapshot to compute in the background
        self._busy = False  # a background thread is computing
        self._started_at = float("-inf")  # when the last background pass started
        self.computations = 0  # how many forward passes over the split were made (for tests)

    def set_dataset(self, x_test: np.ndarray, y_test: np.ndarray, class_names) -> None:
        with self._lock:
            self.x, self.y = np.asarray(x_test), np.asarray(y_test)
            self.class_names = tuple(str(c) for c in class_names)
            self._snap = self._acts = self._wanted = None

    @property
    def n(self) -> int:
        return 0 if self.x is None else len(self.x)

    def fits(self, snap: Snapshot | None) -> bool:
        return snap is not None and self.x is not None and snap.sizes[0] == self.x.shape[1]

    def activations(self, snap: Snapshot, *, wait: bool = True) -> list[np.ndarray] | None:
        """One (n_test, sizes[l + 1]) float32 array per weight layer, or None if they do not fit.

        wait=False: snap's own if ready, else start computing them in the background and
        return the newest ones ready for the same network shape (computed synchronously
        only if there are none)."""
        if not self.fits(snap):
            return None
        with self._lock:
            if snap is self._snap:
                return self._acts
            ready, acts = self._snap, self._acts
        if not wait and ready is not None and ready.sizes == snap.sizes:
            # At most one pass a second: for 784-512-512-10 a pass is ~100 ms of the core
            # the window draws on (the other one trains).
            if time.monotonic() - self._started_at >= BACKGROUND_INTERVAL_S:
                self._compute_in_background(snap)
            return acts
        acts = layer_activations(snap.network, self.x)
        with self._lock:
            self._snap, self._acts = snap, acts
            self.computations += 1
        return acts

    def _compute_in_background(self, snap: Snapshot) -> None:
        with self._lock:
            self._wanted = snap
            if self._busy:
                return  # the running thread picks up the newest wish when it is done
            self._busy = True
            self._started_at = time.monotonic()
        # The thread holds only a weak reference: were it to drop the last one, this QObject
        # would be deleted off the GUI thread (see _AscentWorker on why that can deadlock).
        threading.Thread(target=_compute_split_activations, args=(weakref.ref(self),),
                         name="visnet split activations", daemon=True).start()


def _compute_split_activations(split_ref) -> None:
    """Body of SplitActivations' background thread: compute the newest wish until none is left."""
    while True:
        split = split_ref()
        if split is None:
            return
        with split._lock:
            snap, x, split._wanted = split._wanted, split.x, None
            if snap is None or x is None or snap.sizes[0] != x.shape[1]:
                split._busy = False
                return
        del split  # no strong reference while computing
        acts = layer_activations(snap.network, x)
        split = split_ref()
        if split is None:
            return
        with split._lock:
            if split.x is x:  # not replaced by another data set meanwhile
                split._snap, split._acts = snap, acts
                split.computations += 1
        try:
            split.computed.emit()
        except RuntimeError:  # the window closed meanwhile
            return
        del split


# -- per-neuron history ------------------------------------------------------------------------
class NeuronHistory:
    """For every neuron, per recorded frame: the norm of its incoming weights ‖w_j‖ and the
    mean size of one update ‖Δw_j‖ / (mini-batches since the previous frame).

    For plain SGD that update is η‖∂C/∂w_j‖ averaged over the batches in between; with
    momentum or L2 it is the step actually taken. Memory stays bounded: when
    HISTORY_CAPACITY rows are full, every other row is dropped (older detail thins out).
    """

    def __init__(self, capacity: int = HISTORY_CAPACITY) -> None:
        self.capacity = capacity
        self.clear()

    def clear(self) -> None:
        self._sizes: tuple[int, ...] | None = None
        self._prev: Snapshot | None = None
        self._n = 0
        self._epochs = np.empty(0)
        self._norms: list[np.ndarray] = []
        self._updates: list[np.ndarray] = []
        self._grads: list[np.ndarray] = []

    def __len__(self) -> int:
        return self._n

    def record(self, snap: Snapshot) -> None:
        """Add a row for snap (ignored if it is the same step as the last row, or older)."""
        if snap.sizes != self._sizes or (self._prev is not None and snap.step < self._prev.step):
            self.clear()
            self._sizes = snap.sizes
            rows = self.capacity
            self._epochs = np.full(rows, np.nan)
            self._norms = [np.full((rows, n), np.nan, np.float32) for n in snap.sizes[1:]]
            self._updates = [np.full((rows, n), np.nan, np.float32) for n in snap.sizes[1:]]
            self._grads = [np.full((rows, n), np.nan, np.float32) for n in snap.sizes[1:]]
        prev = self._prev
        if prev is not None and snap.step == prev.step and self._n:
            # The same step again (after an edit, or a pause): refresh the norms in place.
            row = self._n - 1
            for l, w in enumerate(snap.weights):
                self._norms[l][row] = np.sqrt(np.einsum("ij,ij->i", w, w, dtype=np.float64))
            self._prev = snap
            return
        if self._n == self.capacity:
            self._thin()
        row = self._n
        self._epochs[row] = snap.epochs_done + (snap.batch_in_epoch / snap.batches_per_epoch
                                                if snap.batches_per_epoch else 0.0)
        for l, w in enumerate(snap.weights):
            self._norms[l][row] = np.sqrt(np.einsum("ij,ij->i", w, w, dtype=np.float64))
            if prev is not None and snap.step > prev.step:
                d = w.astype(np.float64) - prev.weights[l]
                self._updates[l][row] = np.sqrt(np.einsum("ij,ij->i", d, d)) / (snap.step - prev.step)
        stats = snap.layer_stats
        if stats is not None and len(stats.neuron_grad_norms) == len(self._grads):
            for l, g in enumerate(stats.neuron_grad_norms):
                self._grads[l][row] = g
        self._prev = snap
        self._n += 1

    def _thin(self) -> None:
        keep = np.arange(0, self._n, 2)
        k = len(keep)
        self._epochs[:k] = self._epochs[keep]
        self._epochs[k:] = np.nan
        for arrays in (self._norms, self._updates, self._grads):
            for a in arrays:
                a[:k] = a[keep]
                a[k:] = np.nan
        self._n = k

    def series(self, layer: int, j: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(epochs, ‖w_j‖, update size per mini-batch, ‖∂C/∂w_j‖ of the mini-batch before the
        frame) of neuron (layer, j); views, do not keep."""
        if not self._n or layer >= len(self._norms) or j >= self._norms[layer].shape[1]:
            empty = np.empty(0)
            return empty, empty, empty, empty
        n = self._n
        return self._epochs[:n], self._norms[layer][:n, j], self._updates[layer][:n, j], self._grads[layer][:n, j]


# -- activation maximisation on a thread -------------------------------------------------------
class _AscentWorker(QObject):
    """Runs maximize_activation on its thread; reports progress now and then, then the result.

    The signals carry only the run id; the step and the result wait in latest_step and
    result. A Python object in a signal sent across threads is copied by Qt while it holds
    a lock, and the copy needs the interpreter lock: if the GUI thread, holding the
    interpreter in a Qt call, needs that Qt lock too, both wait for ever (seen as a rare
    hang of the test suite).
    """

    progressed = Signal(int)  # run id: a new AscentStep is in latest_step
    done = Signal(int)  # run id: the final x (n_in,) float32 is in result
    finished = Signal()

    def __init__(self, run_id: int, net: Network, layer: int, j: int, steps: int, report_every: int):
        super().__init__()
        self.run_id = run_id
        self.net, self.layer, self.j, self.steps = net, layer, j, steps
        self.report_every = report_every
        self.stop_event = threading.Event()
        self.latest_step: AscentStep | None = None
        self.result: np.ndarray | None = None

    @Slot()
    def run(self) -> None:
        try:
            def report(step: AscentStep) -> None:
                if step.step % self.report_every == 0 or step.step == step.steps:
                    self.latest_step = step
                    self.progressed.emit(self.run_id)

            x = maximize_activation(self.net, self.layer, self.j, steps=self.steps,
                                    callback=report, should_stop=self.stop_event.is_set)
            if not self.stop_event.is_set():
                self.result = x
                self.done.emit(self.run_id)
        finally:
            self.finished.emit()


class ActivationMaximizer(QObject):
    """Finds the input that excites a neuron most, off the GUI thread.

    start() cancels a run in progress (it ends after its current step) and starts a new one
    on a fresh QThread, wired like superqt's new_worker_qthread. Results arrive through
    queued signals at this GUI-thread object's slots, tagged with a run id (not sender(),
    which is gone once the finished worker is deleted), and are passed on only if they
    belong to the latest request. shutdown() cancels and joins every thread (call it on close).
    """

    progressed = Signal(int, int, object)  # layer, j, AscentStep
    found = Signal(int, int, object)  # layer, j, x (n_in,) float32

    def __init__(self, parent: QObject | None = None, steps: int = 200, report_every: int = 10):
        super().__init__(parent)
        self.steps, self.report_every = steps, report_every
        self._runs: dict[_AscentWorker, QThread] = {}
        self._current: _AscentWorker | None = None
        self._request: tuple[int, int] | None = None
        self._run_id = 0

    def start(self, net: Network, layer: int, j: int) -> None:
        """Maximise neuron (layer, j) of net (pass a network nobody trains, e.g. Snapshot.network)."""
        self.cancel()
        self._run_id += 1
        worker = _AscentWorker(self._run_id, net, layer, j, self.steps, self.report_every)
        thread = worker_thread(worker, "visnet activation maximisation")  # _forget() drops both
        worker.progressed.connect(self._on_progressed)
        worker.done.connect(self._on_done)
        thread.finished.connect(self._on_thread_finished)
        self._runs[worker] = thread
        self._current, self._request = worker, (layer, j)
        thread.start()

    def cancel(self) -> None:
        """Ask the current run to stop after its step; its result is dropped."""
        if self._current is not None:
            self._current.stop_event.set()
        self._current = None

    def is_running(self) -> bool:
        return self._current is not None

    def shutdown(self, timeout_ms: int = 2000) -> bool:
        """Cancel everything and wait for the threads; True if all ended in time."""
        self.cancel()
        ok = True
        for worker, thread in list(self._runs.items()):
            worker.stop_event.set()
            ok = thread.wait(timeout_ms) and ok
            self._forget(worker)
        return ok

    def _forget(self, worker: _AscentWorker) -> None:
        thread = self._runs.pop(worker, None)
        if thread is not None:
            thread.deleteLater()

    @Slot(int)
    def _on_progressed(self, run_id: int) -> None:
        if run_id == self._run_id and self._current is not None and self._current.latest_step is not None:
            self.progressed.emit(*self._request, self._current.latest_step)

    @Slot(int)
    def _on_done(self, run_id: int) -> None:
        if run_id == self._run_id and self._current is not None:
            x, self._current = self._current.result, None
            self.found.emit(*self._request, x)

    @Slot()
    def _on_thread_finished(self) -> None:
        thread = self.sender()
        for worker, t in list(self._runs.items()):
            if t is thread:
                self._forget(worker)


# -- hand edits through the controller ---------------------------------------------------------
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

