"""The representation map's PCA equals an independent SVD up to sign, reports the explained
variance, and keeps its axes steady from one frame to the next."""

from __future__ import annotations

import re
import sys

import numpy as np
import pytest

from visnet.core.network import Network
from visnet.core.representation import (
    EXACT_DIM,
    MAX_POINTS,
    TsneUnavailable,
    default_layer,
    every_layer,
    layer_names,
    map_size,
    procrustes_rotation,
    project,
    tsne_map,
)


def reference_pca(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(coords (n, 2), explained ratio (2,)) from np.linalg.svd of the centred data."""
    a = np.asarray(a, np.float64)
    ac = a - a.mean(axis=0)
    u, s, vt = np.linalg.svd(ac, full_matrices=False)
    return ac @ vt[:2].T, s[:2] ** 2 / np.sum(s**2)


def data_with_spectrum(n: int, d: int, seed: int) -> np.ndarray:
    """n points in d dimensions with well separated leading variances (10, 5, then ≤ 1)."""
    rng = np.random.default_rng(seed)
    basis = np.linalg.qr(rng.standard_normal((d, d)))[0]
    scales = np.concatenate([[10.0, 5.0], np.linspace(1.0, 0.1, d - 2)])
    return (rng.standard_normal((n, d)) * scales) @ basis.T + rng.standard_normal(d)


@pytest.mark.parametrize("d", [3, EXACT_DIM, 512])  # exact eigenvectors, and subspace iteration
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_pca_coordinates_equal_an_independent_svd_up_to_sign(d, dtype):
    a = data_with_spectrum(2000, d, seed=d).astype(dtype)
    p = project(a)
    coords, explained = reference_pca(a)
    scale = np.abs(coords).max()
    for k in range(2):
        sign = np.sign(coords[:, k] @ p.coords[:, k])
        np.testing.assert_allclose(p.coords[:, k], sign * coords[:, k], atol=2e-4 * scale)
    np.testing.assert_allclose(p.explained, explained, rtol=1e-4)
    np.testing.assert_allclose(p.components @ p.components.T, np.eye(2), atol=1e-9)
    np.testing.assert_allclose(p.coords, (a - p.mean) @ p.components.T, atol=2e-4 * scale)
    assert p.total_variance == pytest.approx(np.var(a.astype(np.float64), axis=0, ddof=1).sum(), rel=1e-5)


def test_explained_variance_ratio_of_a_known_case():
    """Points spread along x with variance 9, along y with variance 1, nothing else: PC1
    explains 90 % and PC2 10 %."""
    rng = np.random.default_rng(0)
    raw = rng.standard_normal((1000, 2))
    e = np.linalg.qr(raw - raw.mean(axis=0))[0] * np.sqrt(999)  # centred, uncorrelated, variance 1
    a = np.zeros((1000, 5))
    a[:, 0], a[:, 1] = 3.0 * e[:, 0], e[:, 1]
    p = project(a)
    np.testing.assert_allclose(p.explained, [0.9, 0.1], atol=1e-12)
    np.testing.assert_allclose(np.abs(p.components[:, :2]), np.eye(2), atol=1e-12)


def test_degenerate_layers_still_map():
    one = project(np.arange(10.0)[:, None])  # one output neuron: a line
    assert one.coords.shape == (10, 2) and np.all(one.coords[:, 1] == 0)
    np.testing.assert_allclose(one.explained, [1.0, 0.0])
    still = project(np.ones((10, 600)))  # a dead layer: every point in one place
    assert np.all(still.coords == 0) and np.all(still.explained == 0)
    broken = np.ones((10, 600), np.float32)
    broken[3, 5] = np.nan
    assert np.all(np.isfinite(project(broken).coords))


def test_procrustes_undoes_a_rotation_and_a_mirror_image():
    rng = np.random.default_rng(1)
    target = rng.standard_normal((50, 2))
    turn = np.array([[np.cos(1.0), -np.sin(1.0)], [np.sin(1.0), np.cos(1.0)]]) @ np.diag([1.0, -1.0])
    r = procrustes_rotation(target @ turn, target)
    np.testing.assert_allclose(target @ turn @ r, target, atol=1e-12)


def drift(first: np.ndarray, second: np.ndarray) -> float:
    """How far points moved between two maps, as a share of the map's spread (RMS radius)."""
    spread = np.sqrt(np.mean(np.sum(first**2, axis=1)))
    return float(np.max(np.linalg.norm(second - first, axis=1)) / spread)


STEADY_BOUND = 0.05  # a point moves at most 5 % of the map's spread between frames


def test_successive_frames_of_a_slowly_changing_network_move_points_little():
    """A network whose weights change by 0.2 % of their size per frame (a few SGD steps):
    every point moves by less than STEADY_BOUND of the map's spread, frame after frame, in
    every layer but the input (which does not change at all)."""
    rng = np.random.default_rng(0)
    x = rng.random((500, 64)).astype(np.float32)
    net = Network((64, 128, 96, 10), "tanh", seed=0)
    previous: dict[int, object] = {}
    moved = []
    for _ in range(15):
        for w in net.weights:
            w += 0.002 * np.abs(w).mean() * rng.standard_normal(w.shape).astype(w.dtype)
        acts = every_layer(net, x)
        for layer in range(1, 4):
            p = project(acts[layer], previous.get(layer))
            if layer in previous:
                moved.append(drift(previous[layer].coords, p.coords))
            previous[layer] = p
    assert max(moved) < STEADY_BOUND


def test_without_alignment_a_sign_flip_breaks_the_bound_and_alignment_keeps_it():
    """PC1 points along (1, −1 + δ, ...) with δ going from +0.01 to −0.01 between two frames:
    a tiny change, but the component's largest entry changes sign, so a map oriented by its
    own components alone mirrors every point; the map turned onto the previous one does not."""
    rng = np.random.default_rng(3)
    t = rng.standard_normal(400)
    noise = 0.05 * rng.standard_normal((400, 6))
    s = 0.3 * rng.standard_normal(400)

    def frame(delta: float) -> np.ndarray:
        u = np.array([1.0, -1.0 + delta, 0.3, 0.0, 0.0, 0.0])
        v = np.array([0.0, 0.0, 0.0, 1.0, 0.0, 0.0])
        return np.outer(t, u) + np.outer(s, v) + noise

    first = project(frame(0.01))
    unaligned = project(frame(-0.01))
    aligned = project(frame(-0.01), first)
    assert drift(first.coords, unaligned.coords) > 1.0  # mirrored: points cross the map
    assert drift(first.coords, aligned.coords) < STEADY_BOUND


def test_a_warm_start_takes_fewer_rounds():
    a = data_with_spectrum(2000, 300, seed=5).astype(np.float32)
    cold = project(a)
    warm = project(a + np.float32(0.001), cold)
    assert 0 < warm.rounds < cold.rounds


def test_layers_are_named_and_mapped_from_the_forward_pass():
    net = Network((20, 8, 6, 3), "relu", seed=0)
    x = np.random.default_rng(0).random((30, 20)).astype(np.float32)
    acts = every_layer(net, x)
    cache = net.forward_cache(x)
    assert [a.shape for a in acts] == [(30, 20), (30, 8), (30, 6), (30, 3)]
    for a, b in zip(acts, cache.activations):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    assert layer_names(net.sizes) == ["input (20)", "hidden layer 1 (8)", "hidden layer 2 (6)", "outputs (3)"]
    assert default_layer(net.sizes) == 2 and default_layer((2, 1)) == 0
    assert map_size(10_000) == MAX_POINTS and map_size(120) == 120


def test_tsne_without_open_tsne_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "openTSNE", None)  # import openTSNE now raises ImportError
    with pytest.raises(TsneUnavailable, match=re.escape("pip install 'visnet[tsne]'")):
        tsne_map(np.zeros((10, 3)))


def test_tsne_keeps_clusters_together_reports_progress_and_stops_when_asked():
    pytest.importorskip("openTSNE")
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(3), 60)
    centres = 6.0 * rng.standard_normal((3, 20))
    a = centres[labels] + rng.standard_normal((180, 20))
    start = project(a).coords
    shares: list[float] = []
    m = tsne_map(a, start, progress=lambda share: shares.append(share) and False, exaggeration_rounds=50, rounds=100)
    assert m is not None and m.shape == (180, 2) and np.all(np.isfinite(m))
    d = np.linalg.norm(m[:, None] - m[None], axis=2)
    np.fill_diagonal(d, np.inf)
    assert np.mean(labels[np.argmin(d, axis=1)] == labels) > 0.95  # each point's neighbour is of its cluster
    assert shares == sorted(shares) and shares[-1] == 1.0
    stopped = tsne_map(a, start, progress=lambda share: share > 0.3, exaggeration_rounds=50, rounds=100)
    assert stopped is None
