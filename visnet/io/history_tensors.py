"""A TrainingHistory inside a visnet model file: extra tensors and three counters.

Tensors (little-endian, safetensors): history.batch_x, history.batch_loss,
history.train_loss, history.test_loss, history.test_accuracy, history.stats_x (n,) F64;
history.epoch (e,) I64; history.grad_rms and history.update_ratio (m, L) F64, L being
the network's weight layers. The description's "history" entry holds the counters:
{"steps": int, "epochs_done": int, "samples_seen": int}.

The history is an extra: read_history never raises for it. Anything wrong (a missing or
unexpected tensor, a wrong dtype or shape, NaN, x going backwards, a layer count that is
not the network's) drops the history and returns a one-line warning instead.
"""

from __future__ import annotations

import numpy as np

from ..core.history import ARRAYS, DTYPES, LAYER_SERIES, TrainingHistory
from .container import SafetensorsFile
from .errors import ModelFileError, listed, shown

PREFIX = "history."
DESCRIPTION_KEY = "history"
COUNTERS = ("steps", "epochs_done", "samples_seen")
MAX_COUNTER = 2**63 - 1  # counters go into int64 arrays and snapshots
ST_DTYPES = {np.dtype(np.float64): "F64", np.dtype(np.int64): "I64"}


def tensor_name(series: str) -> str:
    return PREFIX + series


def is_history_tensor(name: str) -> bool:
    return name.startswith(PREFIX)


def history_tensors(history: TrainingHistory) -> dict[str, np.ndarray]:
    """The tensors to store for history (contiguous copies)."""
    return {tensor_name(k): np.ascontiguousarray(v) for k, v in history.arrays().items()}


def history_description(history: TrainingHistory) -> dict:
    return {name: int(getattr(history, name)) for name in COUNTERS}


class _Dropped(Exception):
    """The history is unusable; the message says why."""


def read_history(sf: SafetensorsFile, description: dict, n_layers: int) -> tuple[TrainingHistory | None, str | None]:
    """(history, None), (None, None) for a file without one, or (None, warning) with a
    one-line warning naming the file when its history is unusable."""
    names = [n for n in sf.tensors if is_history_tensor(n)]
    counters = description.get(DESCRIPTION_KEY)
    if not names and counters is None:
        return None, None
    try:
        return _read(sf, names, counters, n_layers), None
    except _Dropped as problem:
        return None, str(ModelFileError(sf.path, f"training history ignored: {problem}"))


def _read(sf: SafetensorsFile, names: list[str], counters, n_layers: int) -> TrainingHistory:
    if not isinstance(counters, dict):
        raise _Dropped("the description has no valid 'history' entry with its counters")
    values = {}
    for name in COUNTERS:
        value = counters.get(name)
        if type(value) is not int or not 0 <= value <= MAX_COUNTER:
            raise _Dropped(f"counter {name} is {shown(value)}, not a whole number in [0, 2**63)")
        values[name] = value
    expected = {tensor_name(s): s for s in ARRAYS}
    missing = [n for n in expected if n not in sf.tensors]
    if missing:
        raise _Dropped(f"missing tensor(s) {listed(missing)}")
    extra = sorted(n for n in names if n not in expected)
    if extra:
        raise _Dropped(f"unexpected tensor(s) {listed(extra)}")
    for name, series in expected.items():
        t = sf.tensors[name]
        want = ST_DTYPES[DTYPES[series]]
        if t.dtype != want:
            raise _Dropped(f"tensor {name} is {t.dtype}, expected {want}")
        if series in LAYER_SERIES:
            if len(t.shape) != 2 or t.shape[1] != n_layers:
                raise _Dropped(f"tensor {name} has shape {t.shape}, expected (n, {n_layers}) for {n_layers} layers")
        elif len(t.shape) != 1:
            raise _Dropped(f"tensor {name} has shape {t.shape}, expected (n,)")
    try:
        arrays = sf.load(list(expected))
    except ModelFileError as err:
        raise _Dropped(err.problem) from None
    try:
        return TrainingHistory(n_layers, **{s: arrays[n] for n, s in expected.items()}, **values)
    except ValueError as err:
        raise _Dropped(str(err)) from None
