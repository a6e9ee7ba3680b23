"""A run's timeline inside a visnet model file (a "run file"): extra tensors, one row per moment.

For m moments of a network with L weight layers and k classes (little-endian, safetensors):

    timeline.weights.{l} (m, n_out, n_in), timeline.biases.{l} (m, n_out)   network dtype
    timeline.step, timeline.epochs_done, timeline.samples_seen,              (m,) I64
    timeline.batch_in_epoch, timeline.batches_per_epoch
    timeline.epoch_progress, timeline.eta                                    (m,) F64
    timeline.kept                                                            (m,) U8, 0 or 1
    timeline.grad_rms, timeline.update_ratio                                 (m, L) F64
    timeline.neuron_grad.{l}                                                 (m, n_out) F64
    timeline.test_loss, timeline.test_accuracy                               (m,) F64
    timeline.test_n                                                          (m,) I64
    timeline.confusion                                                       (m, k, k) I64

A moment without layer statistics (before the first step) has NaN in its grad_rms,
update_ratio and neuron_grad rows; one without an evaluation has test_n 0 (and NaN loss and
accuracy, zero confusion). The description's "timeline" entry holds {"moments": m, "budget":
bytes}. Steps increase strictly; moments are stored oldest first.

Like the history, the timeline is an extra: read_timeline never raises for it. Anything
wrong drops the timeline and returns a one-line warning; the network still opens.
"""

from __future__ import annotations

import math

import numpy as np

from ..core.snapshot import Snapshot
from ..core.targets import n_classes
from ..core.timeline import DEFAULT_BUDGET, Timeline
from ..core.training import Evaluation, LayerStats
from .container import SafetensorsFile
from .errors import ModelFileError, listed, shown

PREFIX = "timeline."
DESCRIPTION_KEY = "timeline"
COUNTERS = ("step", "epochs_done", "samples_seen", "batch_in_epoch", "batches_per_epoch", "test_n")
FLOATS = ("epoch_progress", "eta", "test_loss", "test_accuracy")
MAX_BUDGET = 2**40
_EMPTY_INDICES = np.empty(0, np.intp)
_EMPTY_INDICES.setflags(write=False)


def is_timeline_tensor(name: str) -> bool:
    return name.startswith(PREFIX)


def _layer_names(n_layers: int) -> list[str]:
    return [f"{PREFIX}{kind}.{l}" for l in range(n_layers) for kind in ("weights", "biases", "neuron_grad")]


def timeline_tensors(timeline: Timeline, sizes, dtype) -> dict[str, np.ndarray]:
    """The tensors to store for timeline (of a network with these sizes and dtype)."""
    moments = list(timeline)
    m, L = len(moments), len(sizes) - 1
    k = n_classes(sizes[-1])
    out: dict[str, np.ndarray] = {}
    for l in range(L):
        out[f"{PREFIX}weights.{l}"] = np.array([mo.weights[l] for mo in moments], dtype=dtype).reshape(
            m, sizes[l + 1], sizes[l]
        )
        out[f"{PREFIX}biases.{l}"] = np.array([mo.biases[l] for mo in moments], dtype=dtype).reshape(m, sizes[l + 1])
        grads = np.full((m, sizes[l + 1]), np.nan)
        for i, mo in enumerate(moments):
            stats = mo.layer_stats
            if stats is not None and len(stats.neuron_grad_norms) == L:
                grads[i] = stats.neuron_grad_norms[l]
        out[f"{PREFIX}neuron_grad.{l}"] = grads
    for name in COUNTERS[:-1]:
        out[PREFIX + name] = np.array([getattr(mo, name) for mo in moments], dtype=np.int64)
    out[PREFIX + "epoch_progress"] = np.array([mo.epoch_progress for mo in moments], dtype=np.float64)
    out[PREFIX + "eta"] = np.array([mo.eta for mo in moments], dtype=np.float64)
    out[PREFIX + "kept"] = np.array([timeline.is_kept(i) for i in range(m)], dtype=np.uint8)
    rms, ratio = np.full((m, L), np.nan), np.full((m, L), np.nan)
    test_loss, test_acc = np.full(m, np.nan), np.full(m, np.nan)
    test_n, confusion = np.zeros(m, np.int64), np.zeros((m, k, k), np.int64)
    for i, mo in enumerate(moments):
        if mo.layer_stats is not None:
            rms[i], ratio[i] = mo.layer_stats.grad_rms, mo.layer_stats.update_ratio
        ev = mo.evaluation
        if ev is not None and np.shape(ev.confusion) == (k, k):
            test_loss[i], test_acc[i], test_n[i], confusion[i] = ev.loss, ev.accuracy, ev.n, ev.confusion
    out.update(
        {
            PREFIX + "grad_rms": rms,
            PREFIX + "update_ratio": ratio,
            PREFIX + "test_loss": test_loss,
            PREFIX + "test_accuracy": test_acc,
            PREFIX + "test_n": test_n,
            PREFIX + "confusion": confusion,
        }
    )
    return {name: np.ascontiguousarray(a) for name, a in out.items()}


def timeline_description(timeline: Timeline) -> dict:
    return {"moments": len(timeline), "budget": int(timeline.budget)}


class _Dropped(Exception):
    """The timeline is unusable; the message says why."""


def read_timeline(
    sf: SafetensorsFile, description: dict, sizes, activations, cost: str, dtype: str
) -> tuple[Timeline | None, str | None]:
    """(timeline, None), (None, None) for a file without one, or (None, warning) with a
    one-line warning naming the file when its timeline is unusable."""
    names = [n for n in sf.tensors if is_timeline_tensor(n)]
    entry = description.get(DESCRIPTION_KEY)
    if not names and entry is None:
        return None, None
    try:
        return _read(sf, names, entry, list(sizes), tuple(activations), cost, np.dtype(dtype)), None
    except _Dropped as problem:
        return None, str(ModelFileError(sf.path, f"timeline ignored: {problem}"))


def _expected_shapes(m: int, sizes: list[int]) -> dict[str, tuple[tuple[int, ...], str]]:
    L, k = len(sizes) - 1, n_classes(sizes[-1])
    shapes: dict[str, tuple[tuple[int, ...], str]] = {}
    for l in range(L):
        shapes[f"{PREFIX}weights.{l}"] = ((m, sizes[l + 1], sizes[l]), "net")
        shapes[f"{PREFIX}biases.{l}"] = ((m, sizes[l + 1]), "net")
        shapes[f"{PREFIX}neuron_grad.{l}"] = ((m, sizes[l + 1]), "F64")
    for name in COUNTERS:
        shapes[PREFIX + name] = ((m,), "I64")
    for name in FLOATS:
        shapes[PREFIX + name] = ((m,), "F64")
    shapes[PREFIX + "kept"] = ((m,), "U8")
    shapes[PREFIX + "grad_rms"] = ((m, L), "F64")
    shapes[PREFIX + "update_ratio"] = ((m, L), "F64")
    shapes[PREFIX + "confusion"] = ((m, k, k), "I64")
    return shapes


def _read(sf, names, entry, sizes, activations, cost, dtype) -> Timeline:
    if not isinstance(entry, dict):
        raise _Dropped("the description has no valid 'timeline' entry")
    m, budget = entry.get("moments"), entry.get("budget", DEFAULT_BUDGET)
    if type(m) is not int or not 1 <= m <= 2**31:
        raise _Dropped(f"moments is {shown(m)}, not a whole number >= 1")
    if type(budget) is not int or not 1 <= budget <= MAX_BUDGET:
        raise _Dropped(f"budget is {shown(budget)}, not a whole number of bytes from 1 to 2**40")
    net_dtype = {np.dtype(np.float32): "F32", np.dtype(np.float64): "F64"}[dtype]
    expected = _expected_shapes(m, sizes)
    missing = [n for n in expected if n not in sf.tensors]
    if missing:
        raise _Dropped(f"missing tensor(s) {listed(missing)}")
    extra = sorted(n for n in names if n not in expected)
    if extra:
        raise _Dropped(f"unexpected tensor(s) {listed(extra)}")
    for name, (shape, st_dtype) in expected.items():
        t = sf.tensors[name]
        want = net_dtype if st_dtype == "net" else st_dtype
        if t.dtype != want:
            raise _Dropped(f"tensor {name} is {t.dtype}, expected {want}")
        if t.shape != shape:
            raise _Dropped(f"tensor {name} has shape {t.shape}, expected {shape}")
    try:
        a = sf.load(list(expected))
    except ModelFileError as err:
        raise _Dropped(err.problem) from None
    _check(a, m, len(sizes) - 1)
    timeline = Timeline(budget)
    L = len(sizes) - 1
    for i in range(m):
        timeline.add(_moment(a, i, sizes, activations, cost, L), kept=bool(a[PREFIX + "kept"][i]))
    return timeline


def _check(a: dict[str, np.ndarray], m: int, L: int) -> None:
    def col(name):
        return a[PREFIX + name]

    for l in range(L):
        for kind in ("weights", "biases"):
            if not np.all(np.isfinite(a[f"{PREFIX}{kind}.{l}"])):
                raise _Dropped(f"{PREFIX}{kind}.{l} contains NaN or infinite values")
    step = col("step")
    if np.any(step < 0) or np.any(np.diff(step) <= 0):
        raise _Dropped("steps must be >= 0 and increase from moment to moment")
    for name in ("epochs_done", "samples_seen", "batch_in_epoch", "test_n"):
        if np.any(col(name) < 0):
            raise _Dropped(f"{PREFIX}{name} holds negative values")
    if np.any(col("batches_per_epoch") < 1):
        raise _Dropped(f"{PREFIX}batches_per_epoch must be >= 1")
    progress = col("epoch_progress")
    if not np.all(np.isfinite(progress)) or np.any(progress < 0) or np.any(np.diff(progress) < 0):
        raise _Dropped("epoch_progress must be finite, >= 0 and never decrease")
    if np.any(np.abs(col("epochs_done") - np.floor(progress)) > 1):
        raise _Dropped("epochs_done does not match epoch_progress")
    if not np.all(np.isfinite(col("eta"))) or np.any(col("eta") < 0):
        raise _Dropped("eta must be finite and >= 0")
    if np.any(col("kept") > 1):
        raise _Dropped("kept must be 0 or 1")
    stats = [col("grad_rms"), col("update_ratio")] + [a[f"{PREFIX}neuron_grad.{l}"] for l in range(L)]
    for s in stats:
        if np.any(s < 0) or np.any(np.isinf(s)):
            raise _Dropped("gradient statistics must be >= 0 and finite (NaN: none)")
    evaluated = col("test_n") > 0
    if not np.all(np.isfinite(col("test_loss")[evaluated])):
        raise _Dropped("an evaluation's test_loss is not finite")
    acc = col("test_accuracy")[evaluated]
    if not np.all((acc >= 0) & (acc <= 1)):
        raise _Dropped("an evaluation's test_accuracy is not between 0 and 1")
    confusion = col("confusion")
    if np.any(confusion < 0) or np.any(confusion.sum(axis=(1, 2)) != col("test_n")):
        raise _Dropped("a confusion matrix's counts do not add up to test_n")


def _frozen(x) -> np.ndarray:
    x = np.array(x, copy=True)
    x.setflags(write=False)
    return x


def _moment(a: dict[str, np.ndarray], i: int, sizes, activations, cost, L: int) -> Snapshot:
    def col(name):
        return a[PREFIX + name][i]

    stats = None
    if not np.any(np.isnan(col("grad_rms"))):
        stats = LayerStats(
            _frozen(col("grad_rms")),
            _frozen(col("update_ratio")),
            tuple(_frozen(a[f"{PREFIX}neuron_grad.{l}"][i]) for l in range(L)),
        )
    evaluation = None
    if col("test_n") > 0:
        evaluation = Evaluation(
            float(col("test_loss")), float(col("test_accuracy")), _frozen(col("confusion")), int(col("test_n"))
        )
    eta = float(col("eta"))
    return Snapshot(
        sizes=tuple(sizes),
        activations=activations,
        cost=cost,
        weights=tuple(_frozen(a[f"{PREFIX}weights.{l}"][i]) for l in range(L)),
        biases=tuple(_frozen(a[f"{PREFIX}biases.{l}"][i]) for l in range(L)),
        step=int(col("step")),
        epochs_done=int(col("epochs_done")),
        epoch_progress=float(col("epoch_progress")),
        batch_in_epoch=int(col("batch_in_epoch")),
        batches_per_epoch=int(col("batches_per_epoch")),
        samples_seen=int(col("samples_seen")),
        eta=eta if math.isfinite(eta) else 0.0,
        layer_stats=stats,
        evaluation=evaluation,
        state="paused",
        batch_indices=_EMPTY_INDICES,
    )
