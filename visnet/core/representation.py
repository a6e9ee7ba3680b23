"""A map of what a layer has learned: every test example as a point, placed by its
activations in one layer, flattened to 2-D by principal component analysis.

Layers are numbered as in `Network.sizes`: 0 is the input, 1 … L−1 the hidden layers and L
the outputs, so `a[l]` is (n, sizes[l]).

The map is drawn anew for every frame while the network trains, so two things matter
besides the maths:
- speed: the two leading principal components come from a few rounds of subspace
  iteration on the centred activations (two thin matrix products a round) rather than
  from the full d x d covariance, warm-started from the previous frame's plane, which is
  already nearly right; a layer of at most EXACT_DIM neurons takes the exact eigenvectors
  of its covariance instead (it costs nothing);
- steadiness: principal components have no sign of their own, and two of nearly equal
  variance may trade places or turn within their plane from one frame to the next. Each
  new map is turned (rotated, or mirrored) onto the previous one by orthogonal Procrustes
  on the points' 2-D coordinates, so points move only as far as the network moved them.

On demand, a t-SNE map of one moment (tsne_map) comes from openTSNE, an optional extra
(`pip install 'visnet[tsne]'`): slower (seconds) and not comparable from frame to frame, but it
keeps each point's neighbours, so classes that PCA's plane lays over one another come apart.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .network import Network
from .neuron_analysis import layer_activations

MAX_POINTS = 2000  # test examples on the map at most: the first ones of the split
EXACT_DIM = 64  # layers up to this wide: the covariance's exact eigenvectors
OVERSAMPLE = 6  # extra directions the subspace iteration carries beyond the two it wants
TOLERANCE = 1e-5  # subspace iteration stops when |C v − λ v| < TOLERANCE · λ₁ for both
MAX_ROUNDS = 40


@dataclass(frozen=True)
class Projection:
    """Points of one layer on the map.

    coords: (n, 2) float64, each point's place: (a − mean) @ components.T.
    components: (2, d) float64, orthonormal rows: the map's two axes in the layer's space
        (the two principal components, turned as a whole to follow the previous map).
    mean: (d,) float64, the mean activation, the map's origin.
    explained: (2,) share of the layer's total variance along the first and second
        principal components (their sum is the share the map shows).
    total_variance: sum of the layer's per-neuron variances (n − 1 in the denominator).
    rounds: subspace-iteration rounds taken (0: computed exactly).
    """

    coords: np.ndarray
    components: np.ndarray
    mean: np.ndarray
    explained: np.ndarray
    total_variance: float
    rounds: int

    @property
    def n(self) -> int:
        return len(self.coords)


def map_size(n_test: int, max_points: int = MAX_POINTS) -> int:
    """How many test examples (the first ones) the map shows."""
    return max(0, min(int(n_test), int(max_points)))


def every_layer(net: Network, x: np.ndarray) -> list[np.ndarray]:
    """[x, a¹, …, aᴸ]: the input and every layer's activations, float32 (n, sizes[l]),
    from the network's own forward pass."""
    x = np.asarray(x)
    with np.errstate(over="ignore", invalid="ignore"):  # a run about to diverge still has a map
        return [x.astype(np.float32, copy=False), *layer_activations(net, x)]


def centred(a: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """(mean (d,) float64, a − mean (n, d) in a's precision, total variance) of the rows of
    a (n, d); activations that are not finite (a run about to diverge) count as the mean."""
    a = np.asarray(a)
    if a.ndim != 2:
        raise ValueError(f"activations must have shape (n, d), got {a.shape}")
    work = np.float64 if a.dtype == np.float64 else np.float32
    mean = a.mean(axis=0, dtype=np.float64)
    if not np.all(np.isfinite(mean)):
        a = np.nan_to_num(a.astype(work), nan=np.nan, posinf=np.nan, neginf=np.nan)
        mean = np.nan_to_num(np.nanmean(a, axis=0, dtype=np.float64)) if len(a) else mean
        ac = np.nan_to_num(a - mean.astype(work), nan=0.0)
    else:
        ac = np.asarray(a, work) - mean.astype(work)
    # Per-neuron sums (pairwise summation in a's precision), then their sum in float64.
    total = float(np.sum(np.einsum("ij,ij->j", ac, ac), dtype=np.float64)) / max(len(a) - 1, 1)
    return np.nan_to_num(mean), ac, total


def principal_plane(
    ac: np.ndarray, total: float, start: np.ndarray | None = None, *, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, int]:
    """The two leading principal components of centred activations ac (n, d) (centred()),
    whose total variance is `total`.

    start: (2, d), directions near the answer (the previous frame's plane) to begin from.
    Returns (components (2, d) orthonormal rows, variances (2,) along them, rounds of
    subspace iteration taken, 0 when computed exactly). A layer of one neuron has a zero
    second component; a layer whose activations do not vary has zero variances and the
    first axes of its space."""
    n, d = ac.shape
    denominator = max(n - 1, 1)
    components = np.zeros((2, d))
    variances = np.zeros(2)
    if n < 2 or total <= 0.0:
        components[: min(2, d)] = np.eye(d)[: min(2, d)]
        return components, variances, 0
    if d <= EXACT_DIM:
        c = ac.T.astype(np.float64) @ ac.astype(np.float64) / denominator
        w, v = np.linalg.eigh(c)
        top = np.argsort(w)[::-1][:2]
        components[: len(top)] = v[:, top].T
        variances[: len(top)] = np.maximum(w[top], 0.0)
        return _orient(components), variances, 0

    k = min(d, 2 + OVERSAMPLE)
    rng = np.random.default_rng(seed)
    q = rng.standard_normal((d, k))
    if start is not None and np.shape(start) == (2, d) and np.all(np.isfinite(start)):
        q[:, :2] = np.asarray(start, np.float64).T
    q = np.linalg.qr(q)[0]
    rounds = 0
    while rounds < MAX_ROUNDS:
        rounds += 1
        z = (ac.T @ (ac @ q.astype(ac.dtype))).astype(np.float64)  # C q · (n − 1)
        h = q.T @ z
        w, s = np.linalg.eigh(0.5 * (h + h.T))
        order = np.argsort(w)[::-1]
        w, s = w[order], s[:, order]
        v, cv = q @ s, z @ s  # Ritz vectors and C times them
        residual = np.linalg.norm(cv[:, :2] - v[:, :2] * w[:2], axis=0)
        if w[0] <= 0 or np.max(residual) <= TOLERANCE * w[0]:
            break
        q = np.linalg.qr(cv)[0]
    components = v[:, :2].T / np.linalg.norm(v[:, :2], axis=0)[:, None]
    variances = np.maximum(w[:2], 0.0) / denominator
    return _orient(components), variances, rounds


def _orient(components: np.ndarray) -> np.ndarray:
    """Each component with its largest entry positive: a fixed sign for a map drawn without
    a previous one to follow."""
    out = components.copy()
    for row in out:
        j = int(np.argmax(np.abs(row)))
        if row[j] < 0:
            row *= -1.0
    return out


def procrustes_rotation(coords: np.ndarray, target: np.ndarray) -> np.ndarray:
    """The orthogonal R (2, 2), a rotation or a mirror image, that brings coords (n, 2)
    closest to target (n, 2): argmin ‖coords R − target‖ (orthogonal Procrustes)."""
    u, _, vt = np.linalg.svd(np.asarray(coords, np.float64).T @ np.asarray(target, np.float64))
    return u @ vt


def project(a: np.ndarray, previous: Projection | None = None) -> Projection:
    """Map the rows of a (n, d) to 2-D by PCA.

    previous: the map drawn before (the last frame, or another layer) of the same n points:
    the new map is turned to lie as close to it as it can, and when it is of the same layer
    its plane starts the search. Without one, each axis points where its component's largest
    entry is positive."""
    mean, ac, total = centred(a)
    start = None
    if previous is not None and previous.components.shape[1] == ac.shape[1]:
        start = previous.components
    components, variances, rounds = principal_plane(ac, total, start)
    coords = (ac @ components.T.astype(ac.dtype)).astype(np.float64)
    if previous is not None and previous.n == len(coords) and len(coords):
        r = procrustes_rotation(coords, previous.coords)
        coords = coords @ r
        components = r.T @ components
    explained = variances / total if total > 0 else np.zeros(2)
    return Projection(coords, components, mean, explained, total, rounds)


def layer_names(sizes: Sequence[int]) -> list[str]:
    """What the map calls each layer: 'input (784)', 'hidden layer 1 (16)', …, 'outputs (10)'."""
    last = len(sizes) - 1
    return [
        f"input ({size})" if l == 0 else f"outputs ({size})" if l == last else f"hidden layer {l} ({size})"
        for l, size in enumerate(sizes)
    ]


def default_layer(sizes: Sequence[int]) -> int:
    """The layer a map opens on: the last hidden layer (the input without one)."""
    return max(len(sizes) - 2, 0)


TSNE_EXTRA = "tsne"
TSNE_MISSING = f"t-SNE needs openTSNE, an optional extra: pip install 'visnet[{TSNE_EXTRA}]'"
TSNE_PERPLEXITY = 30.0
TSNE_EXAGGERATION_ROUNDS = 250  # openTSNE's early-exaggeration phase, then ...
TSNE_ROUNDS = 500  # ... its main phase: its defaults


class TsneUnavailable(ImportError):
    """openTSNE is not installed; str() says which extra to install."""


def tsne_available() -> bool:
    return importlib.util.find_spec("openTSNE") is not None


def tsne_map(
    a: np.ndarray,
    start: np.ndarray | None = None,
    *,
    seed: int = 0,
    progress: Callable[[float], bool] | None = None,
    report_every: int = 10,
    exaggeration_rounds: int = TSNE_EXAGGERATION_ROUNDS,
    rounds: int = TSNE_ROUNDS,
) -> np.ndarray | None:
    """A t-SNE map (n, 2) float64 of the rows of a (n, d), by openTSNE on one thread.

    start: (n, 2), where to begin (the PCA map shown), scaled as openTSNE scales its own
    PCA start, so the t-SNE map keeps the PCA map's orientation; the result is also turned
    onto it (procrustes_rotation). progress(done) is called every report_every rounds with
    the share done (0..1); returning True stops the run, and tsne_map returns None.
    Raises TsneUnavailable when openTSNE is not installed."""
    try:
        open_tsne = importlib.import_module("openTSNE")
    except ImportError as e:
        raise TsneUnavailable(TSNE_MISSING) from e
    a = np.nan_to_num(np.asarray(a, np.float64))
    n = len(a)
    if n < 4:
        return np.zeros((n, 2)) if start is None else np.asarray(start, np.float64).copy()
    total = exaggeration_rounds + rounds
    phase = {"offset": 0, "last": 0, "stopped": False}

    def callback(iteration: int, _error: float, _embedding) -> bool:
        if iteration < phase["last"]:  # the main phase counts from 1 again
            phase["offset"] = exaggeration_rounds
        phase["last"] = iteration
        if progress is not None and progress(min((phase["offset"] + iteration) / total, 1.0)):
            phase["stopped"] = True
        return bool(phase["stopped"])

    if start is not None and np.shape(start) == (n, 2):
        init = np.asarray(start, np.float64) - np.mean(start, axis=0)
        spread = float(np.std(init[:, 0]))
        init = init * (1e-4 / spread) if spread > 0 else None
    else:
        init = None
    tsne = open_tsne.TSNE(
        n_components=2,
        perplexity=min(TSNE_PERPLEXITY, max((n - 1) / 3.0, 1.0)),
        early_exaggeration_iter=exaggeration_rounds,
        n_iter=rounds,
        initialization="pca" if init is None else init,
        n_jobs=1,
        random_state=seed,
        callbacks=callback,
        callbacks_every_iters=max(1, int(report_every)),
        verbose=False,
    )
    with np.errstate(all="ignore"):
        embedding = np.asarray(tsne.fit(a), np.float64)
    if phase["stopped"]:
        return None
    if progress is not None:
        progress(1.0)
    embedding -= embedding.mean(axis=0)
    if start is not None and np.shape(start) == (n, 2):
        embedding = embedding @ procrustes_rotation(embedding, np.asarray(start, np.float64) - np.mean(start, axis=0))
    return embedding
