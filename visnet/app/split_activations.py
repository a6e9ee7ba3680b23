"""Every neuron's activation on every test image, computed once per snapshot and shared by
the neuron inspector and the mistakes panel (a forward pass over the test split is the
expensive part of both)."""

from __future__ import annotations

import threading
import time
import weakref

import numpy as np
from PySide6.QtCore import QObject, Signal

from visnet.core.neuron_analysis import layer_activations
from visnet.core.snapshot import Snapshot

BACKGROUND_INTERVAL_S = 1.0  # while training, test-split passes start at most this often


class SplitActivations(QObject):
    """layer_activations(snapshot.network, x_test), cached for the newest snapshot asked for.

    Snapshots are immutable, so the snapshot object itself is the cache key: a redraw with
    the same snapshot costs nothing, and a new one costs one forward pass over the split.
    While training runs, callers pass wait=False: the pass then runs on a background thread
    (numpy releases the interpreter while it multiplies), the caller gets the newest
    activations already computed for this network shape, and `computed` says when the
    asked-for ones are ready. A 2,000-image pass on the GUI thread cost 15-40 ms per refresh.

    Given the window's Session, it follows the session's data set (make it before the
    panels that read it, so it has the new split when they hear of it).
    """

    computed = Signal()  # activations for a snapshot asked for with wait=False are ready

    def __init__(self, session=None) -> None:
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
        self._session = session
        if session is not None:
            session.dataset_changed.connect(self._on_session_dataset_changed)
            self._on_session_dataset_changed()

    def _on_session_dataset_changed(self) -> None:
        d = self._session.dataset
        if d is not None:
            self.set_dataset(d.x_test, d.y_test, d.class_names)

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
        threading.Thread(
            target=_compute_split_activations, args=(weakref.ref(self),), name="visnet split activations", daemon=True
        ).start()


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
