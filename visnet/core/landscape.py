"""The cost landscape: the cost over a plane through the parameters, and along one weight.

A plane through the parameters θ is spanned by two directions d₁, d₂ (each shaped like the
parameters: one array per weight matrix and one per bias vector); its point (α, β) is the
network with parameters θ + α·d₁ + β·d₂. The directions are either

- random, normalised per neuron (Li et al., "Visualizing the Loss Landscape of Neural Nets",
  2018, "filter normalisation"): row j of each layer's direction is rescaled to the norm of
  neuron j's incoming weights, and the biases' directions are zero, so a step of 1 along a
  direction changes every neuron by as much as its weights are long, whatever the layer's
  scale; or
- the two main directions of the path training took: the principal components of the
  moments' parameters minus θ (Li et al.'s PCA directions), unit vectors, so α and β are
  distances in parameter space.

The cost at every point of an (n, n) grid is net_cost on a fixed evaluation batch: the
first layer is linear in its parameters, so its z for every grid point is z₀ + α·z_α + β·z_β
from three products computed once; the later layers run for a chunk of grid points at a time
as one stacked matrix product. The points are visited coarse to fine (grid_order), so a
caller that shows partial results sees the whole plane early and its detail later.

weight_slice is 3Blue1Brown's one-parameter picture: the cost as one weight varies with all
the others fixed, its slope there (backprop's ∂C/∂w on the same batch) and the step −η·∂C/∂w
gradient descent takes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from .costs import cost_value
from .network import Network
from .targets import targets_for

GRID_SIZE = 41  # points per side of the grid
EVALUATION_SIZE = 1000  # examples in the fixed evaluation batch
RANDOM_SPAN = 1.0  # the grid runs over [-1, 1]² of filter-normalised directions (Li et al.)
PATH_MARGIN = 0.25  # the grid reaches this fraction of the path's extent beyond it
PATH_MOMENTS = 64  # at most this many moments of the path go into its principal directions
GRID_BUDGET = 1e11  # multiply-adds a grid may take above the first layer: ~5 s on two cores
CHUNK_ELEMENTS = 262_144  # activations per chunk of grid points: 1 MB in float32 stays in cache, 2x faster than 32 MB

Params = tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...]]  # (weights, biases)


def params_of(net: Network) -> Params:
    return tuple(net.weights), tuple(net.biases)


def dot(p: Params, q: Params) -> float:
    """The inner product of two parameter-shaped vectors, accumulated in float64."""
    total = 0.0
    for a_list, b_list in zip(p, q):
        for a, b in zip(a_list, b_list):
            total += float(np.dot(a.ravel().astype(np.float64, copy=False), b.ravel().astype(np.float64, copy=False)))
    return total


def combine(theta: Params, d1: Params, d2: Params, alpha: float, beta: float, dtype=np.float64) -> Params:
    """θ + α·d₁ + β·d₂, each array in `dtype`."""
    out = []
    for t_list, a_list, b_list in zip(theta, d1, d2):
        out.append(tuple((t + alpha * a + beta * b).astype(dtype) for t, a, b in zip(t_list, a_list, b_list)))
    return out[0], out[1]


def difference(p: Params, q: Params) -> Params:
    """p − q in float64."""
    out = []
    for p_list, q_list in zip(p, q):
        out.append(tuple(np.asarray(a, np.float64) - np.asarray(b, np.float64) for a, b in zip(p_list, q_list)))
    return out[0], out[1]


def _scaled(p: Params, s: float) -> Params:
    return tuple(a * s for a in p[0]), tuple(b * s for b in p[1])


# -- directions -----------------------------------------------------------------------------
def random_direction(theta: Params, rng: np.random.Generator) -> Params:
    """A Gaussian direction with each neuron's row rescaled to the norm of that neuron's
    incoming weights (filter normalisation); zero for the biases. float64."""
    weights, biases = [], []
    for w, b in zip(*theta):
        d = rng.standard_normal(w.shape)
        w_norms = np.linalg.norm(np.asarray(w, np.float64), axis=1, keepdims=True)
        d_norms = np.linalg.norm(d, axis=1, keepdims=True)
        weights.append(d * (w_norms / np.maximum(d_norms, 1e-12)))
        biases.append(np.zeros(b.shape))
    return tuple(weights), tuple(biases)


def random_directions(theta: Params, seed: int = 0) -> tuple[Params, Params]:
    """Two filter-normalised random directions through θ, the same for the same seed."""
    rng = np.random.default_rng(seed)
    return random_direction(theta, rng), random_direction(theta, rng)


@dataclass(frozen=True)
class PathDirections:
    """The two main directions of a path (unit vectors) and the share of the path's
    squared distance from θ each explains."""

    d1: Params
    d2: Params
    explained: tuple[float, float]


def path_directions(path: Sequence[Params], theta: Params, seed: int = 0) -> PathDirections:
    """The principal directions of the moments' parameters minus θ (uncentred, as Li et al.:
    the path is seen from θ), from at most PATH_MOMENTS moments spread over the path.

    With the differences as the rows of M (n × n_params), M's right singular vectors are
    Mᵀu/s for the eigenvectors u of the small Gram matrix M Mᵀ; both are summed layer by
    layer, so only one layer's rows are held at once (for 784-512-512-10 a whole M of 64
    moments would be 170 MB). A path that spans a single direction gets, as its second, a
    random filter-normalised direction made orthogonal to the first. Raises ValueError if no
    moment differs from θ."""
    if len(path) > PATH_MOMENTS:
        path = [path[i] for i in np.unique(np.linspace(0, len(path) - 1, PATH_MOMENTS).round().astype(int))]
    n = len(path)

    def rows(kind: int, l: int) -> np.ndarray:
        """Row m: moment m's layer l weights (kind 0) or biases (kind 1) minus θ's, flat."""
        t = np.asarray(theta[kind][l])
        dtype = np.float64 if n * t.size <= CHUNK_ELEMENTS else np.float32
        return np.stack([(np.asarray(p[kind][l], dtype) - t.astype(dtype)).ravel() for p in path])

    gram = np.zeros((n, n))
    for kind in (0, 1):
        for l in range(len(theta[kind])):
            m = rows(kind, l) if n else None
            if m is not None:
                gram += (m @ m.T).astype(np.float64)
    total = float(np.trace(gram))
    if n == 0 or total <= 0.0:
        raise ValueError("the path has no moment away from the current parameters")
    values, vectors = np.linalg.eigh(gram)
    order = np.argsort(values)[::-1]
    values, vectors = np.clip(values[order], 0.0, None), vectors[:, order]
    second = n > 1 and values[1] > 1e-12 * values[0]
    k = 2 if second else 1
    u = vectors[:, :k] / np.sqrt(values[:k])  # (n, k)
    parts: list[list[list[np.ndarray]]] = [[[], []] for _ in range(k)]
    for kind in (0, 1):
        for l, t in enumerate(theta[kind]):
            d = (rows(kind, l).T @ u.astype(np.float64)).T  # (k, size)
            for c in range(k):
                parts[c][kind].append(d[c].astype(np.float64).reshape(np.shape(t)))
    d1: Params = (tuple(parts[0][0]), tuple(parts[0][1]))
    d1 = _scaled(d1, 1.0 / np.sqrt(dot(d1, d1)))
    if second:
        d2: Params = (tuple(parts[1][0]), tuple(parts[1][1]))
    else:
        d2 = random_direction(theta, np.random.default_rng(seed))
    d2 = difference(d2, _scaled(d1, dot(d2, d1)))  # orthogonal to d1 (already, up to rounding)
    d2 = _scaled(d2, 1.0 / np.sqrt(dot(d2, d2)))
    explained = (float(values[0] / total), float(values[1] / total) if second else 0.0)
    return PathDirections(d1, d2, explained)


# -- projection -----------------------------------------------------------------------------
class Projector:
    """Least-squares coordinates on the plane θ + α·d₁ + β·d₂, with what depends on the plane
    alone (the directions in float64, the inverse Gram matrix of d₁, d₂) computed once.

    params − θ is formed in float64 straight from the arrays' own dtype, in one pass: for
    float32 parameters that difference is exact, and it is what the projection of a moment of
    784-512-512-10 costs (~2 ms; converting both to float64 first took over 10 times as long,
    on the GUI thread ten times a second while training)."""

    def __init__(self, theta: Params, d1: Params, d2: Params):
        self.d1, self.d2 = d1, d2
        self._theta = tuple(tuple(np.asarray(a).ravel() for a in part) for part in theta)
        self._d = [tuple(tuple(np.asarray(a, np.float64).ravel() for a in part) for part in d) for d in (d1, d2)]
        gram = np.array([[dot(d1, d1), dot(d1, d2)], [dot(d1, d2), dot(d2, d2)]])
        self._inverse = np.linalg.inv(gram)

    def __call__(self, params: Params) -> tuple[float, float, float]:
        """(α, β, off): the coordinates of params − θ on d₁, d₂ and the distance from params
        to its projection θ + α·d₁ + β·d₂ (0 for a point of the plane)."""
        r1 = r2 = squared = 0.0
        for kind in (0, 1):
            for p, t, a, b in zip(params[kind], self._theta[kind], self._d[0][kind], self._d[1][kind]):
                delta = np.subtract(np.asarray(p).ravel(), t, dtype=np.float64)
                r1 += float(np.dot(delta, a))
                r2 += float(np.dot(delta, b))
                squared += float(np.dot(delta, delta))
        alpha, beta = self._inverse @ np.array([r1, r2])
        off2 = squared - (alpha * r1 + beta * r2)
        return float(alpha), float(beta), float(np.sqrt(max(off2, 0.0)))


def project(params: Params, theta: Params, d1: Params, d2: Params) -> tuple[float, float, float]:
    """(α, β, off) of params on the plane through θ spanned by d₁, d₂ (see Projector; make
    one Projector to project many)."""
    return Projector(theta, d1, d2)(params)


# -- the grid -------------------------------------------------------------------------------
def grid_order(n: int) -> np.ndarray:
    """The (n·n, 2) (row, column) indices of an n × n grid, coarse to fine: every 8th point of
    every 8th row first, then the points of stride 4 not yet visited, and so on to stride 1."""
    seen = np.zeros((n, n), dtype=bool)
    order = []
    stride = 1
    while stride * 2 < n:
        stride *= 2
    while stride >= 1:
        rows, cols = np.meshgrid(np.arange(0, n, stride), np.arange(0, n, stride), indexing="ij")
        new = ~seen[rows, cols]
        order.append(np.column_stack([rows[new], cols[new]]))
        seen[rows, cols] = True
        stride //= 2
    return np.concatenate(order)


def _row_chunks(order: np.ndarray, chunk: int) -> Iterator[np.ndarray]:
    """order (k, 2) in runs of at most `chunk` consecutive points of one row each."""
    breaks = np.flatnonzero(np.diff(order[:, 0])) + 1
    for run in np.split(order, breaks):
        for start in range(0, len(run), chunk):
            yield run[start : start + chunk]


@dataclass(frozen=True)
class CostGrid:
    """costs[r, c]: the cost at θ + alphas[c]·d₁ + betas[r]·d₂ (row r at β = betas[r], so row 0
    is the bottom of a plot with β up); NaN where not computed (a cancelled run)."""

    alphas: np.ndarray
    betas: np.ndarray
    costs: np.ndarray

    @property
    def rect(self) -> tuple[float, float, float, float]:
        """(x, y, width, height) of the cells' outer edges, for ImageItem.setRect."""
        da = self.alphas[1] - self.alphas[0] if len(self.alphas) > 1 else 1.0
        db = self.betas[1] - self.betas[0] if len(self.betas) > 1 else 1.0
        return (self.alphas[0] - da / 2, self.betas[0] - db / 2, da * len(self.alphas), db * len(self.betas))

    def contains(self, alpha: float, beta: float) -> bool:
        return self.alphas[0] <= alpha <= self.alphas[-1] and self.betas[0] <= beta <= self.betas[-1]


def path_extent(coords: np.ndarray, minimum: float) -> tuple[float, float, float, float]:
    """(α min, α max, β min, β max) around (0, 0) and the points coords (k, 2), PATH_MARGIN of
    their extent beyond them, each side at least `minimum` from 0."""
    pts = np.vstack([np.zeros((1, 2)), np.asarray(coords, np.float64).reshape(-1, 2)])
    pts = pts[np.all(np.isfinite(pts), axis=1)]
    low, high = pts.min(axis=0), pts.max(axis=0)
    margin = PATH_MARGIN * np.maximum(high - low, minimum)
    low, high = np.minimum(low - margin, -minimum), np.maximum(high + margin, minimum)
    return float(low[0]), float(high[0]), float(low[1]), float(high[1])


def choose_grid_size(sizes: Sequence[int], batch: int = EVALUATION_SIZE, budget: float = GRID_BUDGET) -> int:
    """Points per side (odd, so that θ is a grid point; at most GRID_SIZE, at least 11) for
    which the layers above the first, which run once per grid point, take at most `budget`
    multiply-adds: 41 for 784-30-10 or 784-16-16-10, 19 for 784-512-512-10."""
    sizes = [int(s) for s in sizes]
    per_point = batch * sum(n_in * n_out for n_in, n_out in zip(sizes[1:-1], sizes[2:])) + batch * sum(sizes[1:])
    n = int(np.sqrt(budget / max(per_point, 1)))
    n = min(GRID_SIZE, max(11, n))
    return n if n % 2 else n - 1


def cost_grid(
    net: Network,
    x: np.ndarray,
    labels: np.ndarray,
    d1: Params,
    d2: Params,
    extent: tuple[float, float, float, float] = (-RANDOM_SPAN, RANDOM_SPAN, -RANDOM_SPAN, RANDOM_SPAN),
    n: int = GRID_SIZE,
    *,
    progress: Callable[[CostGrid, int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> CostGrid:
    """The cost of net's parameters θ + α·d₁ + β·d₂ on (x, labels) over an n × n grid of
    extent (α min, α max, β min, β max). x: (batch, n_in), labels: (batch,) integers.

    Computed in net's dtype, as net_cost computes it (equal to a forward pass of the network
    at that point up to the rounding of the order of the sums; a float32 grid is within a few
    1e-7 of the float64 cost, except where an output probability falls below float32's clip
    of 1e-7 for the cross-entropy's log). Each layer above the first runs once per point: for
    784-512-512-10 that is a (1000, 512) @ (512, 512) product a point, which is most of the
    time a grid takes. progress(grid, done) is called
    after every chunk with the grid so far (NaN where not computed yet; the same arrays,
    filled in place); should_stop() ends the run early (the rest stays NaN)."""
    dtype = net.dtype
    alphas = np.linspace(extent[0], extent[1], n)
    betas = np.linspace(extent[2], extent[3], n)
    costs = np.full((n, n), np.nan)
    grid = CostGrid(alphas, betas, costs)
    x = np.asarray(x, dtype)
    y = targets_for(net, np.asarray(labels))
    acts = net.layer_activations
    L = net.n_layers
    w, b = net.weights, net.biases
    cast = [(tuple(np.asarray(a, dtype) for a in d[0]), tuple(np.asarray(a, dtype) for a in d[1])) for d in (d1, d2)]
    (w1, b1), (w2, b2) = cast
    # The first layer is linear in its parameters: z(α, β) = z₀ + α·z_α + β·z_β.
    z0 = x @ w[0].T + b[0]
    z_alpha = x @ w1[0].T + b1[0]
    z_beta = x @ w2[0].T + b2[0]
    batch = x.shape[0]
    widest = max(net.sizes[1:])
    chunk = int(max(1, min(n * n, CHUNK_ELEMENTS // max(1, batch * widest))))
    z_first = np.empty((chunk, batch, net.sizes[1]), dtype)
    w_point = {l: np.empty((chunk, *np.shape(w[l])), dtype) for l in range(1, L)}
    done = 0
    row = -1
    z_row = z0
    w_row: dict[int, np.ndarray] = {}
    b_row: dict[int, np.ndarray] = {}
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        for rc in _row_chunks(grid_order(n), chunk):
            if should_stop is not None and should_stop():
                break
            g = len(rc)
            if rc[0, 0] != row:
                # What depends on β alone is formed once per run of a row: a point's own part
                # is then one multiply and one add, two passes over memory instead of four.
                row = rc[0, 0]
                beta = dtype.type(betas[row])
                z_row = z0 + beta * z_beta
                w_row = {l: w[l] + beta * w2[l] for l in range(1, L)}
                b_row = {l: b[l] + beta * b2[l] for l in range(1, L)}
            al = alphas[rc[:, 1]].astype(dtype)[:, None, None]
            z = np.multiply(al, z_alpha, out=z_first[:g])
            z += z_row
            a = acts[0].f(z.reshape(g * batch, -1))
            for l in range(1, L):
                wl = np.multiply(al, w1[l], out=w_point[l][:g])  # (g, n_out, n_in)
                wl += w_row[l]
                bl = b_row[l] + al[:, :, 0] * b1[l]  # (g, n_out)
                z = np.matmul(a.reshape(g, batch, -1), wl.transpose(0, 2, 1))
                z += bl[:, None, :]
                a = acts[l].f(z.reshape(g * batch, -1))
            a = a.reshape(g, batch, -1)
            for k in range(g):
                costs[rc[k, 0], rc[k, 1]] = cost_value(net.cost, a[k], y, acts[-1])
            done += g
            if progress is not None:
                progress(grid, done)
    return grid


# -- one weight -----------------------------------------------------------------------------
@dataclass(frozen=True)
class WeightSlice:
    """The cost as weight (layer, j, i) takes the values ws, all other parameters fixed:
    costs (len(ws),); at its value w: cost, slope = ∂C/∂w (backprop), and step = −η·slope."""

    layer: int
    j: int
    i: int
    ws: np.ndarray
    costs: np.ndarray
    w: float
    cost: float
    slope: float
    eta: float

    @property
    def step(self) -> float:
        return -self.eta * self.slope


def strongest_weight(net: Network, layer: int, j: int) -> int:
    """The index i of neuron j's largest incoming weight in magnitude."""
    return int(np.argmax(np.abs(net.weights[layer][j])))


def weight_slice(
    net: Network,
    x: np.ndarray,
    labels: np.ndarray,
    layer: int,
    j: int,
    i: int,
    eta: float,
    span: float | None = None,
    n: int = 81,
) -> WeightSlice:
    """The cost on (x, labels) as weight i of neuron j of `layer` varies over w ± span
    (default: the larger of 1, 2|w| and twice the step), with its slope from net.backward.

    Only column j of that layer's z changes with the weight, by (w' − w)·a_i, so the layers
    below run once and the ones above run for every value, in one stacked pass."""
    w0 = float(net.weights[layer][j, i])
    cache = net.forward_cache(x)
    with np.errstate(over="ignore", invalid="ignore"):
        back = net.backward(cache, labels)
    slope = float(back.grad_w[layer][j, i])
    if span is None:
        span = max(1.0, 2.0 * abs(w0), 2.0 * abs(eta * slope))
    ws = np.linspace(w0 - span, w0 + span, n)
    y = targets_for(net, np.asarray(labels))
    acts = net.layer_activations
    dtype = net.dtype
    a_in = cache.activations[layer][:, i]
    batch = a_in.shape[0]
    costs = np.empty(n)
    widest = max(net.sizes[layer + 1 :])
    chunk = int(max(1, CHUNK_ELEMENTS // max(1, batch * widest)))
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        for start in range(0, n, chunk):
            dw = (ws[start : start + chunk] - w0).astype(dtype)
            g = len(dw)
            z = np.repeat(cache.zs[layer][None], g, axis=0)
            z[:, :, j] += dw[:, None] * a_in
            a = acts[layer].f(z.reshape(g * batch, -1)).reshape(g, batch, -1)
            for l in range(layer + 1, net.n_layers):
                # One 2-D product: numpy multiplies a stack by a transposed matrix without BLAS (10x slower).
                z = a.reshape(g * batch, -1) @ net.weights[l].T + net.biases[l]
                a = acts[l].f(z).reshape(g, batch, -1)
            for k in range(g):
                costs[start + k] = cost_value(net.cost, a[k], y, acts[-1])
    return WeightSlice(layer, j, i, ws, costs, w0, float(back.cost), slope, float(eta))


def evaluation_batch(x: np.ndarray, labels: np.ndarray, size: int = EVALUATION_SIZE) -> tuple[np.ndarray, np.ndarray]:
    """The fixed evaluation batch: the first `size` examples (the same every time)."""
    return x[:size], labels[:size]
