"""One sample run through one network: the numbers every panel shows for the current sample.

The window computes this once per (network state, sample) and every panel reads it, so two
captions can never disagree. A switched-off neuron (core.edits: its outgoing weights all
zero) is shown as off, a = 0: what the next layer receives from it.

    sample = Sample.test(x_test[12], y_test[12], index=12)
    p = SamplePass.compute(snapshot.network, sample)
    p.activations[-1]       # (n_out,) the output layer
    p.predicted             # the class it gives (argmax, or a single output's threshold)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .network import Network
from .targets import predict_classes

SOURCES = ("test", "drawing", "plane")


def _read_only(a: np.ndarray) -> np.ndarray:
    a = np.array(a, copy=True)
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class Sample:
    """The input being shown: x (n_inputs,) float32 (read-only), its true class or None, and
    where it came from: a test image (`index` into the test split), a drawn digit, or a point
    clicked on the playground's plane. Compared by identity: a new choice is a new Sample."""

    x: np.ndarray
    label: int | None
    source: str
    index: int | None = None

    def __post_init__(self) -> None:
        if self.source not in SOURCES:
            raise ValueError(f"sample source must be one of {', '.join(SOURCES)}, not {self.source!r}")
        if (self.source == "test") != (self.index is not None):
            raise ValueError("a test sample has an index into the test split; other samples have none")

    @classmethod
    def test(cls, x: np.ndarray, label: int, index: int) -> Sample:
        return cls(_read_only(np.asarray(x, np.float32).ravel()), int(label), "test", int(index))

    @classmethod
    def drawing(cls, x: np.ndarray) -> Sample:
        return cls(_read_only(np.asarray(x, np.float32).ravel()), None, "drawing")

    @classmethod
    def point(cls, x: np.ndarray, label: int | None = None) -> Sample:
        return cls(_read_only(np.asarray(x, np.float32).ravel()), None if label is None else int(label), "plane")

    def describe(self) -> str:
        """Where the sample came from, in words: 'test image #12', 'your drawing', 'the point (0.50, -1.20)'."""
        if self.source == "test":
            return f"test image #{self.index}"
        if self.source == "drawing":
            return "your drawing"
        return f"the point ({self.x[0]:.2f}, {self.x[1]:.2f})"


def silent_neurons(net: Network) -> list[np.ndarray]:
    """For every layer of activations (input first), which neurons are switched off: a hidden
    neuron whose outgoing weights are all zero says nothing to the next layer. The input and
    output layers are never silent. bool arrays of sizes[k]."""
    silent = [np.zeros(n, dtype=bool) for n in net.sizes]
    for k in range(1, len(net.sizes) - 1):
        silent[k] = ~np.any(net.weights[k], axis=0)
    return silent


@dataclass(frozen=True, eq=False)
class SamplePass:
    """The forward pass of `sample` through `net`: zs[l] (sizes[l+1],) and activations[k]
    (sizes[k],) with activations[0] = x, switched-off neurons set to 0; read-only."""

    net: Network
    sample: Sample
    zs: tuple[np.ndarray, ...]
    activations: tuple[np.ndarray, ...]
    silent: tuple[np.ndarray, ...]
    predicted: int

    @classmethod
    def compute(cls, net: Network, sample: Sample) -> SamplePass:
        if sample.x.size != net.sizes[0]:
            raise ValueError(f"the sample has {sample.x.size} inputs but the network reads {net.sizes[0]}")
        with np.errstate(over="ignore", invalid="ignore"):  # a run about to diverge still draws
            cache = net.forward_cache(sample.x.reshape(1, -1))
        silent = silent_neurons(net)
        activations = []
        for a, off in zip(cache.activations, silent):
            a = np.array(a[0], copy=True)
            a[off] = 0.0
            a.setflags(write=False)
            activations.append(a)
        zs = tuple(_read_only(z[0]) for z in cache.zs)
        predicted = int(predict_classes(net, cache.output)[0])
        return cls(net, sample, zs, tuple(activations), tuple(_read_only(s) for s in silent), predicted)

    @property
    def output(self) -> np.ndarray:
        """(n_out,) the output layer's activations."""
        return self.activations[-1]

    @property
    def correct(self) -> bool | None:
        """Whether the prediction is the true class (None without one)."""
        return None if self.sample.label is None else self.predicted == self.sample.label
