"""The input plane of a playground data set, shared by the panels that draw surfaces on it.

The decision surface panel, the network view (a small heatmap per hidden neuron) and the
neuron inspector (the selected neuron's heatmap, large) all draw the same
core.surface.Surface. Plane evaluates it once per snapshot, for whichever of them asks
first, so a frame costs one vectorized forward pass over the grid however many panels
show it. For digit data there is no plane: the window hands the panels None.
"""

from __future__ import annotations

from collections.abc import Sequence

from visnet.core.features import check_features
from visnet.core.network import Network
from visnet.core.surface import PLANE_EXTENT, Surface, evaluate_surface


class Plane:
    """The plane [x_min, x_max] x [y_min, y_max] and the extra input features a playground
    network takes after (x1, x2); surface_for() caches the newest network's Surface."""

    def __init__(self, features: Sequence[str] = (), extent: Sequence[float] = PLANE_EXTENT):
        self.features = check_features(features)
        self.extent = tuple(float(v) for v in extent)
        self._key: object = None  # the snapshot or network the cached surface belongs to
        self._surface: Surface | None = None

    @property
    def n_inputs(self) -> int:
        return 2 + len(self.features)

    def fits(self, sizes: Sequence[int]) -> bool:
        """Whether a network of these layer sizes can be drawn on this plane: the plane's
        inputs and one or two outputs."""
        return sizes[0] == self.n_inputs and 1 <= sizes[-1] <= 2

    def surface_for(self, source) -> Surface | None:
        """The Surface of a Snapshot's network (or a Network), evaluated once per source;
        None if the network does not fit the plane."""
        if source is self._key:
            return self._surface
        net: Network = source if isinstance(source, Network) else source.network
        surface = evaluate_surface(net, self.extent, None, self.features) if self.fits(net.sizes) else None
        self._key, self._surface = source, surface  # holding the source keeps its id unique
        return surface
