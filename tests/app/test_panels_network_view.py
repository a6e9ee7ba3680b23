"""NetworkView: shading, prediction, selection by click, any architecture."""

import numpy as np
import pyqtgraph as pg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PySide6.QtCore import QPoint, QPointF, Qt

from visnet.app.panels.network_view import NetworkView, largest_indices
from visnet.core.network import Network
from visnet.core.snapshot import take_snapshot
from visnet.core.training import TrainConfig, Trainer

CLASSES = tuple("0123456789")


def trained_snapshot(sizes, steps=30, **net_kwargs):
    """A snapshot of a network trained a few steps on seeded random data."""
    rng = np.random.default_rng(1)
    n_in = sizes[0]
    x = rng.random((200, n_in), dtype=np.float32)
    y = rng.integers(0, sizes[-1], 200)
    trainer = Trainer(Network(sizes, seed=0, **net_kwargs), x, y, x[:50], y[:50], TrainConfig(eta=0.1, batch_size=10))
    for _ in range(steps):
        trainer.step()
    return take_snapshot(trainer), x, y


@pytest.fixture
def view(qtbot):
    v = NetworkView()
    qtbot.addWidget(v)
    v.resize(800, 500)
    v.show()
    qtbot.waitExposed(v)
    return v


def test_highlights_the_networks_answer(view):
    snap, x, y = trained_snapshot((784, 16, 16, 10))
    view.set_sample(x[3], int(y[3]), CLASSES)
    view.show_snapshot(snap)
    expected = int(np.argmax(snap.network.forward(x[3])))
    assert view.predicted_class() == expected
    assert f">{CLASSES[expected]}<" in view.caption()
    assert "true:" in view.caption()
    acts = view.activations()
    np.testing.assert_allclose(acts[-1], snap.network.forward(x[3])[0], rtol=1e-6)


def test_new_sample_recomputes_the_forward_pass(view):
    snap, x, y = trained_snapshot((784, 16, 16, 10))
    view.show_snapshot(snap)
    for i in range(5):
        view.set_sample(x[i], int(y[i]), CLASSES)
        assert view.predicted_class() == int(snap.network.predict(x[i : i + 1])[0])


def test_the_input_picture_is_the_sample_shown(view):
    snap, x, y = trained_snapshot((784, 16, 16, 10))
    view.show_snapshot(snap)
    for i in (0, 1, 1, 0):
        view.set_sample(x[i].copy(), int(y[i]), CLASSES)  # a new array each time, the same values twice
        view.show_snapshot(snap)
        np.testing.assert_array_equal(view.input_picture(), x[i].reshape(28, 28))


def test_the_lines_are_the_strongest_weights(view):
    snap, x, y = trained_snapshot((784, 16, 16, 10))
    view.show_snapshot(snap)
    view.set_sample(x[0], int(y[0]), CLASSES)
    for layer in (1, 2):
        w = snap.weights[layer]
        top = min(100, 3 * sum(w.shape))  # TOP_CONNECTIONS, fewer for small pairs
        j, i = view.connections(layer)
        strongest = np.argsort(np.abs(w).ravel())[-top:]
        assert sorted(zip(j.tolist(), i.tolist())) == sorted(zip(*np.unravel_index(strongest, w.shape)))
    j, i = view.connections(0)  # input pixels: lit ones only
    assert 0 < len(j) <= 48 and (x[0][i] > 0).all()


@pytest.mark.parametrize("layer, index", [(0, 0), (0, 7), (1, 15), (2, 9)])
def test_click_on_a_neuron_selects_it(qtbot, view, layer, index):
    snap, x, y = trained_snapshot((784, 16, 16, 10))
    view.set_sample(x[0], int(y[0]), CLASSES)
    view.show_snapshot(snap)
    pos = view.neuron_widget_pos(layer, index)
    with qtbot.waitSignal(view.neuron_selected, timeout=2000) as blocker:
        qtbot.mouseClick(view.graphics_view().viewport(), Qt.MouseButton.LeftButton, pos=pos)
    assert blocker.args == [layer, index]


def test_click_selects_a_cell_of_a_large_layer(qtbot, view):
    snap, x, y = trained_snapshot((784, 512, 10), steps=3, activations="relu")
    view.set_sample(x[0], int(y[0]), CLASSES)
    view.show_snapshot(snap)
    pos = view.neuron_widget_pos(0, 300)
    with qtbot.waitSignal(view.neuron_selected, timeout=2000) as blocker:
        qtbot.mouseClick(view.graphics_view().viewport(), Qt.MouseButton.LeftButton, pos=pos)
    assert blocker.args == [0, 300]


def test_select_neuron_does_not_emit(qtbot, view):
    snap, x, y = trained_snapshot((784, 16, 16, 10))
    view.show_snapshot(snap)
    with qtbot.assertNotEmitted(view.neuron_selected):
        view.select_neuron(1, 3)
        view.select_neuron(5, 99)  # out of range: nothing outlined, no crash


def test_hover_describes_the_neuron(qtbot, view):
    snap, x, y = trained_snapshot((784, 16, 16, 10))
    view.set_sample(x[0], int(y[0]), CLASSES)
    view.show_snapshot(snap)
    qtbot.mouseMove(view.graphics_view().viewport(), view.neuron_widget_pos(1, 4))
    qtbot.waitUntil(lambda: "neuron 4" in view.graphics_view().toolTip())
    tip = view.graphics_view().toolTip()
    assert "layer 2" in tip and "z =" in tip and "b =" in tip


@pytest.mark.parametrize(
    "sizes, kwargs",
    [
        ((784, 30, 10), {}),
        ((784, 512, 512, 10), {"activations": "relu"}),
        ((784, 64, 32, 16, 10), {"activations": "tanh"}),
        ((784, 20, 10), {"activations": "leaky_relu", "output": "sigmoid", "cost": "quadratic"}),
        ((2, 8, 3), {}),
    ],
)
def test_any_architecture_draws(view, sizes, kwargs):
    snap, x, y = trained_snapshot(sizes, steps=2, **kwargs)
    view.set_sample(x[0], int(y[0]), CLASSES[: sizes[-1]])
    view.show_snapshot(snap)
    assert view.predicted_class() == int(np.argmax(snap.network.forward(x[0])))
    view.grab()  # paints without error


def test_architecture_change_and_reset(view):
    small, x, y = trained_snapshot((784, 16, 16, 10), steps=2)
    big, _, _ = trained_snapshot((784, 100, 10), steps=2)
    view.set_sample(x[0], int(y[0]), CLASSES)
    view.show_snapshot(small)
    view.show_snapshot(big)
    assert len(view.activations()) == 3
    view.reset()
    assert view.predicted_class() is None
    view.show_snapshot(small)
    assert len(view.activations()) == 4


def test_sample_of_the_wrong_size_is_explained(view):
    snap, x, y = trained_snapshot((784, 16, 10), steps=1)
    view.show_snapshot(snap)
    view.set_sample(np.zeros(100, np.float32), 1, CLASSES)
    assert view.predicted_class() is None
    assert "expects 784" in view.caption()


# -- the playground plane: a heatmap tile per neuron -------------------------------------------
from visnet.app.panels.network_view import tile_indices, tile_levels  # noqa: E402
from visnet.app.plane import Plane  # noqa: E402
from visnet.core.features import with_features  # noqa: E402


def plane_snapshot(sizes=(2, 4, 1), activations="tanh", output="sigmoid", features=(), steps=20):
    """A snapshot of a small playground network trained a few steps on seeded points."""
    rng = np.random.default_rng(2)
    points = rng.uniform(-6, 6, (200, 2))
    x = with_features(points, features).astype(np.float32)
    y = (points[:, 0] * points[:, 1] > 0).astype(np.int64)
    net = Network(list(sizes), activations, output=output, cost="quadratic", seed=0)
    trainer = Trainer(net, x, y, x[:50], y[:50], TrainConfig(eta=0.05, batch_size=10))
    for _ in range(steps):
        trainer.step()
    return take_snapshot(trainer, state="paused"), x, y


def linear_snapshot(w1, w2, b, activation="tanh"):
    """2-1-1: a hidden neuron a = act(w1 x1 + w2 x2 + b) feeding a sigmoid output."""
    net = Network.from_params(
        [np.array([[w1, w2]]), np.array([[1.0]])],
        [np.array([b]), np.array([0.0])],
        [activation, "sigmoid"],
        cost="quadratic",
    )
    trainer = Trainer(net, np.zeros((4, 2)), np.array([0, 1, 0, 1]), config=TrainConfig(batch_size=2))
    return take_snapshot(trainer, state="paused")


@pytest.mark.parametrize("activations", ["tanh", "relu"])
def test_plane_draws_each_neurons_surface(view, activations):
    snap, x, y = plane_snapshot(activations=activations)
    plane = Plane()
    view.set_plane(plane)
    view.set_sample(x[0], int(y[0]), ("0", "1"))
    view.show_snapshot(snap)
    assert view.draws_tiles()
    surface = plane.surface_for(snap)
    for l, n in enumerate(snap.sizes[1:]):
        levels = view.tile_levels(l)
        expected_levels = tile_levels(snap.activations[l], surface.layers[l])
        assert levels == expected_levels
        if activations == "tanh" or l == 1:
            assert levels == ((-1.0, 1.0) if l == 0 else (0.0, 1.0))
        for j in range(n):
            np.testing.assert_array_equal(view.tile_image(l, j), surface.layers[l][j])
            np.testing.assert_array_equal(view.tile_colors(l, j), tile_indices(surface.layers[l][j], levels))
    assert view.tile_image(1, 1) is None  # one output neuron
    view.grab()


def test_tile_indices_span_the_levels():
    values = np.array([[-2.0, -1.0, 0.0], [1.0, 3.0, np.nan]])
    idx = tile_indices(values, (-1.0, 1.0))
    assert idx.dtype == np.uint8
    assert idx.tolist() == [[1, 1, 128], [255, 255, 0]]  # clipped, middle grey at 0, NaN transparent


def test_input_tiles_are_the_features_over_the_plane(view):
    snap, x, y = plane_snapshot(sizes=(4, 3, 1), features=("x1_sq", "sin_x2"))
    plane = Plane(["x1_sq", "sin_x2"])
    view.set_plane(plane)
    view.show_snapshot(snap)
    surface = plane.surface_for(snap)
    x1, x2 = np.meshgrid(surface.xs, surface.ys)
    for j, feature in enumerate([x1, x2, x1 * x1, np.sin(x2)]):
        np.testing.assert_allclose(view.tile_image(-1, j), feature / np.abs(feature).max(), rtol=1e-6, atol=1e-7)
    names = [item.toPlainText() for item in view._items if isinstance(item, pg.TextItem)]
    assert {"x₁", "x₂", "x₁²", "sin x₂"} <= set(names)


def test_a_neuron_high_above_the_x1_axis_is_bright_at_the_top_of_its_tile(view):
    snap = linear_snapshot(0.0, 3.0, 0.0)  # a = tanh(3 x2): +1 above the x1 axis, -1 below
    view.set_plane(Plane())
    view.show_snapshot(snap)
    colors = view.tile_colors(0, 0)
    assert colors[-1].min() > 240 and colors[0].max() < 15  # row 0 is the bottom, as in the Surface
    view.graphics_view().grab()  # settle the layout
    centre = view.neuron_widget_pos(0, 0)
    half = view.neuron_widget_pos(0, 0) - view.graphics_view().mapFromScene(
        view._view.mapViewToScene(view.neuron_view_pos(0, 0) - QPointF(0, view._columns[1].cell / 2))
    )
    top, bottom = centre - half * 0.6, centre + half * 0.6
    assert top.y() < bottom.y()
    picture = view.graphics_view().grab().toImage()
    top_color, bottom_color = picture.pixelColor(top), picture.pixelColor(bottom)
    assert top_color.red() > 200 and top_color.blue() < 100  # orange: high
    assert bottom_color.blue() > 150 and bottom_color.red() < 60  # blue: low


def test_clicking_a_tile_selects_its_neuron(qtbot, view):
    snap, x, y = plane_snapshot(sizes=(2, 8, 8, 1))
    view.set_plane(Plane())
    view.set_sample(x[0], int(y[0]), ("0", "1"))
    view.show_snapshot(snap)
    view.graphics_view().grab()
    for layer, index in [(0, 7), (1, 2), (2, 0)]:
        with qtbot.waitSignal(view.neuron_selected, timeout=2000) as blocker:
            qtbot.mouseClick(
                view.graphics_view().viewport(), Qt.MouseButton.LeftButton, pos=view.neuron_widget_pos(layer, index)
            )
        assert blocker.args == [layer, index]


def test_hovering_a_tile_reads_the_activation_there(qtbot, view):
    snap = linear_snapshot(0.0, 3.0, 0.0)
    view.set_plane(Plane())
    view.show_snapshot(snap)
    view.graphics_view().grab()
    pos = view.graphics_view().mapFromScene(
        view._view.mapViewToScene(view.neuron_view_pos(0, 0) - QPointF(0, view._columns[1].cell / 4))
    )  # a quarter up: x2 = +3
    qtbot.mouseMove(view.graphics_view().viewport(), pos)
    qtbot.waitUntil(lambda: "x₂ = +" in view.graphics_view().toolTip())
    tip = view.graphics_view().toolTip()
    a = float(tip.rsplit("a = ", 1)[1])
    assert a > 0.99


def test_set_plane_none_returns_to_circles(view):
    snap, x, y = plane_snapshot(sizes=(4, 3, 1), features=("x1_sq", "x2_sq"))
    view.set_sample(x[0], int(y[0]), ("0", "1"))
    view.show_snapshot(snap)
    assert not view.draws_tiles() and view._columns[0].kind == "circles"  # 4 values, no 2x2 picture
    view.set_plane(Plane(["x1_sq", "x2_sq"]))
    assert view.draws_tiles() and view._columns[0].kind == "tiles"
    assert view.tile_image(0, 2) is not None
    view.set_plane(None)
    assert not view.draws_tiles() and view.tile_image(0, 2) is None
    assert [c.kind for c in view._columns] == ["circles", "circles", "circles"]
    view.set_plane(Plane())  # 2 inputs: this network does not fit, it is drawn as before
    assert not view.draws_tiles()


@pytest.mark.parametrize("output, threshold", [("sigmoid", 0.5), ("tanh", 0.0)])
def test_one_output_predicts_by_the_threshold(view, output, threshold):
    net_out = []
    for b in (-3.0, 3.0):
        net = Network.from_params([np.array([[0.0, 0.0]])], [np.array([b])], [output], cost="quadratic")
        trainer = Trainer(net, np.zeros((4, 2)), np.array([0, 1, 0, 1]), config=TrainConfig(batch_size=2))
        snap = take_snapshot(trainer, state="paused")
        view.set_plane(Plane())
        view.set_sample(np.array([1.0, 2.0]), 1, ("0", "1"))
        view.show_snapshot(snap)
        net_out.append(view.predicted_class())
        a = float(view.activations()[-1][0])
        assert view.predicted_class() == int(a > threshold)
        assert f"if a > {threshold:g}" in view._output_labels[0].textItem.toPlainText()
    assert net_out == [0, 1]
    assert ">1<" in view.caption() and "✓" in view.caption()


@pytest.mark.timing
def test_plane_frame_costs_little(view):
    """One frame of 2-8-8-8-1 with tiles, without painting: the surface comes from the plane."""
    import time

    snap, x, y = plane_snapshot(sizes=(2, 8, 8, 8, 1), steps=1)
    plane = Plane()
    view.set_plane(plane)
    view.set_sample(x[0], int(y[0]), ("0", "1"))
    times = []
    for _ in range(20):
        fresh = take_snapshot(Trainer(snap.network.copy(), x, y, config=TrainConfig(batch_size=10)))
        plane.surface_for(fresh)
        t = time.perf_counter()
        view.show_snapshot(fresh)
        times.append(time.perf_counter() - t)
    assert np.median(times) < 0.015


def test_the_hint_can_be_left_out_of_pictures(view):
    assert view.hint_visible()
    view.set_hint_visible(False)
    assert not view.hint_visible()
    view.set_hint_visible(False)  # twice: no harm
    view.set_hint_visible(True)
    assert view.hint_visible() and view.hover_text() == NetworkView.HINT


def test_reset_forgets_what_the_mouse_pointed_at(qtbot, view):
    snap, x, y = trained_snapshot((784, 16, 10))
    view.set_sample(x[0], int(y[0]), CLASSES)
    view.show_snapshot(snap)
    viewport, pos = view.graphics_view().viewport(), view.neuron_widget_pos(1, 4)

    def pointed_at():
        qtbot.mouseMove(viewport, pos + QPoint(1, 0))  # pyqtgraph drops moves that come too fast
        qtbot.mouseMove(viewport, pos)
        assert "neuron 4" in view.hover_text()

    qtbot.waitUntil(pointed_at)
    view.reset()
    assert view.hover_text() == NetworkView.HINT
    assert view.graphics_view().toolTip() == ""


def test_a_narrow_dock_keeps_the_value_in_the_caption(qtbot, view):
    snap, x, y = trained_snapshot((784, 16, 10))
    view.set_sample(x[0], int(y[0]), CLASSES)
    view.show_snapshot(snap)
    assert view.caption().startswith("Looks like")
    value = view.caption().split("(")[1].split(")")[0]
    view.resize(230, 300)
    qtbot.waitUntil(lambda: not view.caption().startswith("Looks like"))
    assert f"({value})" in view.caption()


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 200_000), top=st.integers(1, 400), ties=st.booleans(), seed=st.integers(0, 2**32 - 1))
def test_largest_indices_are_the_largest_values(n, top, ties, seed):
    """The threshold cut before the argpartition keeps exactly the largest, ties included."""
    top = min(top, n)
    values = np.abs(np.random.default_rng(seed).normal(size=n)).astype(np.float32)
    if ties:
        values = np.round(values, 1)
    got = largest_indices(values, top)
    assert len(set(got.tolist())) == top
    np.testing.assert_array_equal(np.sort(values[got]), np.sort(values)[-top:])
