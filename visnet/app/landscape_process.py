"""The cost landscape's grid computed in a process of its own (no Qt is loaded there).

cost_grid runs a few numpy calls per chunk of grid points, thousands of chunks a grid; on a
thread of the window's process each call takes the interpreter lock back from the GUI thread,
and the window's frame rate fell from 15 to 2 frames/s while a 784-30-10 grid was computed.
In a process of its own it shares only the CPU. One process serves every request, one at a
time (a spawned interpreter takes ~0.5 s to start); it sends the partial grid every
PROGRESS_S and stops between chunks when asked.
"""

from __future__ import annotations

import atexit
import contextlib
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_limits

from visnet.core.landscape import Params, cost_grid
from visnet.core.network import Network

START_METHOD = "spawn"  # a fresh interpreter: forking a process that runs Qt threads is unsafe
BLAS_THREADS = 1  # the other core draws the window (training has its own process too)
PROGRESS_S = 0.5  # a partial grid at most this often (each costs the window a redraw)
NICENESS = 10  # the window and the training come first: the landscape takes what CPU is left


@dataclass(frozen=True)
class GridRequest:
    """What cost_grid needs, in arrays that pickle: the network's parameters and layers,
    the directions (in the network's dtype), the evaluation batch, the extent and size."""

    weights: tuple[np.ndarray, ...]
    biases: tuple[np.ndarray, ...]
    activations: tuple[str, ...]
    cost: str
    d1: Params
    d2: Params
    x: np.ndarray
    labels: np.ndarray
    extent: tuple[float, float, float, float]
    n: int


def child_main(conn) -> None:
    """The process: answer ("grid", run_id, GridRequest) with ("progress", run_id, done,
    costs) now and then and ("done" or "stopped", run_id, done, costs) at the end; a "stop"
    message ends the grid early; None or a closed pipe ends the process."""
    threadpool_limits(BLAS_THREADS, user_api="blas")
    with contextlib.suppress(OSError, AttributeError):  # (no os.nice on Windows)
        os.nice(NICENESS)
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        if message[0] == "grid" and not _answer(conn, *message[1:]):
            return  # (any other message is a stop that came after its grid ended)


def _answer(conn, run_id: int, request: GridRequest) -> bool:
    """Compute one grid, reporting on conn; False if the parent asked the process to end."""
    stopped = ended = False
    last = 0.0
    done = 0

    def should_stop() -> bool:
        nonlocal stopped, ended
        if conn.poll():
            ended = conn.recv() is None
            stopped = True
        return stopped

    def progress(grid, n_done: int) -> None:
        nonlocal last, done
        done = n_done
        now = time.perf_counter()
        if now - last >= PROGRESS_S:
            last = now
            conn.send(("progress", run_id, done, grid.costs))

    net = Network.from_params(request.weights, request.biases, request.activations, request.cost, copy=False)
    grid = cost_grid(
        net, request.x, request.labels, request.d1, request.d2, request.extent, request.n,
        progress=progress, should_stop=should_stop,
    )  # fmt: skip
    if ended:
        return False
    conn.send(("stopped" if stopped else "done", run_id, done, grid.costs))
    return True


class GridProcess:
    """The process and its pipe, shared by every landscape panel; compute() is called from
    their worker threads, one at a time."""

    def __init__(self):
        self._lock = threading.Lock()
        self._context = multiprocessing.get_context(START_METHOD)
        self._process = None
        self._conn = None
        self._run_id = 0

    def compute(
        self,
        request: GridRequest,
        should_stop: Callable[[], bool],
        on_progress: Callable[[int, np.ndarray], None],
    ) -> tuple[int, np.ndarray] | None:
        """(points done, costs (n, n)) of the whole grid, or None if should_stop() said so
        first. Raises OSError if the process cannot be started or dies."""
        with self._lock:
            conn = self._started()
            self._run_id += 1
            run_id = self._run_id
            conn.send(("grid", run_id, request))
            asked_to_stop = False
            while True:
                if not asked_to_stop and should_stop():
                    conn.send(("stop",))
                    asked_to_stop = True
                if conn.poll(0.05):
                    kind, rid, done, costs = conn.recv()
                    if rid != run_id:
                        continue
                    if kind == "progress":
                        on_progress(done, costs)
                        continue
                    return None if kind == "stopped" or asked_to_stop else (done, costs)
                if not self._process.is_alive():
                    self._process = self._conn = None
                    raise OSError("the landscape process stopped")

    def _started(self):
        if self._process is None or not self._process.is_alive():
            parent_end, child_end = self._context.Pipe()
            self._process = self._context.Process(
                target=child_main, args=(child_end,), name="visnet cost landscape", daemon=True
            )
            self._process.start()
            child_end.close()
            self._conn = parent_end
        return self._conn

    def close(self, timeout: float = 1.0) -> None:
        with self._lock:
            if self._process is None:
                return
            try:
                self._conn.send(None)
            except OSError:
                pass
            self._process.join(timeout)
            if self._process.is_alive():
                self._process.terminate()
            self._process = self._conn = None


_shared: GridProcess | None = None


def shared_grid_process() -> GridProcess:
    """The one GridProcess of this interpreter (started on first use, ended at exit)."""
    global _shared
    if _shared is None:
        _shared = GridProcess()
        atexit.register(_shared.close)
    return _shared
