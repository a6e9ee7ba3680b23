"""Decision surfaces: a network evaluated over the whole input plane, for heatmaps.

A playground network takes a point (x1, x2), plus any extra features of it (features.py).
evaluate_surface() runs ONE vectorized forward pass over a res x res grid of points and
returns the output and every neuron's activation as images.

Orientation: every image is indexed [row, column] = [y, x]. Column c holds x1 = xs[c] and
row r holds x2 = ys[r], both ascending, so ROW 0 IS THE BOTTOM of the plane (the smallest
x2). Each grid point is the centre of its pixel: the res x res pixels tile the extent
exactly. To draw one with pyqtgraph (imageAxisOrder="row-major", as visnet configures it)
in a plot whose y axis points up (the default, not inverted):

    item.setImage(surface.output, autoLevels=False, levels=...)
    item.setRect(QRectF(*surface.rect))  # (x_min, y_min, width, height)

With an inverted y axis (like the digit views) the plane would appear upside down.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .features import check_features, with_features
from .network import Network
from .targets import decision_threshold

PLANE_EXTENT: tuple[float, float, float, float] = (-6.0, 6.0, -6.0, 6.0)  # (x_min, x_max, y_min, y_max)

MAX_RESOLUTION = 100  # pixels per side for small networks
MIN_RESOLUTION = 20  # never coarser, however big the network (the cost then grows with it)
# Work per frame, in multiply-adds: each grid point costs one per weight and bias, plus
# NEURON_COST per neuron for its activation function, its copy into an image and the
# GUI's colour lookup. 6.5e6 gives 2-8-8-8-2 (186 parameters, 26 neurons) its 100x100.
FRAME_BUDGET = 6_500_000
NEURON_COST = 16


@dataclass(frozen=True)
class PlaneGrid:
    """The points a surface is evaluated at, ready for a network.

    xs: (res,) x1 of each image column, ascending; ys: (res,) x2 of each image row, ascending.
    inputs: (res*res, 2 + len(features)) float64, the network's input; point r*res + c is
        (xs[c], ys[r]) followed by its features, so a (res*res,) result reshapes to (res, res).
    """

    xs: np.ndarray
    ys: np.ndarray
    inputs: np.ndarray
    extent: tuple[float, float, float, float]
    features: tuple[str, ...]

    @property
    def resolution(self) -> int:
        return self.xs.shape[0]


@dataclass(frozen=True)
class Surface:
    """A network's response over the plane; every image is (res, res), row = y from the
    bottom, column = x from the left (see the module docstring). All arrays are read-only.

    output: (res, res) the class-1 score: the output neuron's activation if the network has
        one output, class 1's output if it has two (with softmax), or a1 - a0 (two outputs
        without softmax). The network predicts class 1 exactly where output > level.
    level: the decision boundary's value of output (0.5, or 0 for a tanh or identity
        single output and for a1 - a0): draw the boundary as this contour.
    layers[l]: (sizes[l+1], res, res) activations of layer l's neurons, hidden layers first
        and the output layer last; layers[l][j] is neuron j's picture.
    """

    output: np.ndarray
    level: float
    layers: tuple[np.ndarray, ...]
    xs: np.ndarray
    ys: np.ndarray
    extent: tuple[float, float, float, float]
    features: tuple[str, ...]

    @property
    def resolution(self) -> int:
        return self.xs.shape[0]

    @property
    def hidden(self) -> tuple[np.ndarray, ...]:
        """The hidden layers' neuron surfaces, (n_neurons, res, res) each."""
        return self.layers[:-1]

    @property
    def rect(self) -> tuple[float, float, float, float]:
        """(x_min, y_min, width, height): the rectangle the image covers, for ImageItem.setRect."""
        x_min, x_max, y_min, y_max = self.extent
        return (x_min, y_min, x_max - x_min, y_max - y_min)

    def neuron(self, layer: int, j: int) -> np.ndarray:
        """(res, res) surface of neuron j of weight layer `layer` (0 = first hidden layer)."""
        return self.layers[layer][j]


def _check_extent(extent: Sequence[float]) -> tuple[float, float, float, float]:
    values = tuple(float(v) for v in extent)
    if len(values) != 4 or not all(math.isfinite(v) for v in values):
        raise ValueError(f"extent must be four finite numbers (x_min, x_max, y_min, y_max), got {extent}")
    x_min, x_max, y_min, y_max = values
    if not (x_min < x_max and y_min < y_max):
        raise ValueError(f"extent needs x_min < x_max and y_min < y_max, got {values}")
    return values  # type: ignore[return-value]


def _read_only(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)
    return a


def plane_grid(
    extent: Sequence[float] = PLANE_EXTENT, resolution: int = MAX_RESOLUTION, features: Sequence[str] = ()
) -> PlaneGrid:
    """The res x res pixel-centre grid over extent, with the network inputs of every point.
    Cached: a worker asking for the same grid every frame builds it once."""
    if isinstance(resolution, bool) or int(resolution) != resolution or resolution < 2:
        raise ValueError(f"resolution must be an integer >= 2, got {resolution!r}")
    return _plane_grid(_check_extent(extent), int(resolution), check_features(features))


@lru_cache(maxsize=8)
def _plane_grid(extent: tuple[float, float, float, float], res: int, features: tuple[str, ...]) -> PlaneGrid:
    x_min, x_max, y_min, y_max = extent
    centres = (np.arange(res) + 0.5) / res
    xs = x_min + (x_max - x_min) * centres
    ys = y_min + (y_max - y_min) * centres
    x1, x2 = np.meshgrid(xs, ys)  # x1[r, c] = xs[c], x2[r, c] = ys[r]
    inputs = with_features(np.column_stack([x1.ravel(), x2.ravel()]), features)
    return PlaneGrid(_read_only(xs), _read_only(ys), _read_only(inputs), extent, features)


def decision_score(net: Network, a_out: np.ndarray) -> tuple[np.ndarray, float]:
    """(score (batch,), level) from output activations a_out (batch, n_out): class 1 is
    predicted exactly where score > level, as Network.predict predicts it (for one output
    the level is targets.decision_threshold: 0.5, or 0 for tanh and identity). Needs one
    or two outputs."""
    n_out = a_out.shape[1]
    output = net.activations[-1]
    if n_out == 1:  # the threshold Network.predict and training.evaluate use (targets.py)
        return a_out[:, 0], decision_threshold(output)
    if n_out == 2:
        if output == "softmax":
            return a_out[:, 1], 0.5
        return a_out[:, 1] - a_out[:, 0], 0.0
    raise ValueError(f"a decision surface needs a network with 1 or 2 outputs, this one has {n_out}")


def evaluate_surface(
    net: Network,
    extent: Sequence[float] = PLANE_EXTENT,
    resolution: int | None = None,
    features: Sequence[str] = (),
) -> Surface:
    """Net's output and every neuron's activation over the plane, from one forward pass.

    net: input size 2 + len(features), 1 or 2 outputs. resolution: pixels per side
    (default: choose_resolution(net.sizes)). Cost: about res² x (parameters + 16 x neurons)
    multiply-adds; 2-8-8-8-1 at 100x100 takes a few milliseconds.
    """
    names = check_features(features)
    if net.sizes[0] != 2 + len(names):
        raise ValueError(
            f"the network has {net.sizes[0]} inputs but the plane gives {2 + len(names)} "
            f"(x1, x2{''.join(', ' + n for n in names)})"
        )
    res = choose_resolution(net.sizes) if resolution is None else resolution
    grid = plane_grid(extent, res, names)
    res = grid.resolution
    with np.errstate(over="ignore", invalid="ignore"):  # parameters of a run about to diverge
        cache = net.forward_cache(grid.inputs)
        score, level = decision_score(net, cache.output)
    # a: (res*res, n) with point r*res + c at (xs[c], ys[r]) → (n, res, res), one image per neuron
    layers = tuple(_read_only(np.ascontiguousarray(a.T).reshape(-1, res, res)) for a in cache.activations[1:])
    output = _read_only(np.array(score).reshape(res, res))
    return Surface(output, level, layers, grid.xs, grid.ys, grid.extent, grid.features)


def choose_resolution(sizes: Sequence[int], budget: float = FRAME_BUDGET) -> int:
    """Pixels per side so one frame (forward pass, every neuron's image) costs about `budget`
    multiply-adds: MAX_RESOLUTION (100) for small networks such as 2-8-8-8-1, less for bigger
    ones, never below MIN_RESOLUTION (20).

    sizes: neurons per layer including the inputs, e.g. (2, 8, 8, 8, 1)."""
    sizes = [int(s) for s in sizes]
    if len(sizes) < 2 or any(s < 1 for s in sizes):
        raise ValueError(f"sizes must list at least two positive layer sizes, got {sizes}")
    n_params = sum((n_in + 1) * n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))
    per_point = n_params + NEURON_COST * sum(sizes[1:])
    res = int(math.sqrt(budget / per_point))
    return max(MIN_RESOLUTION, min(MAX_RESOLUTION, res))
