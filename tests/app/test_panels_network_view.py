"""NetworkView: shading, prediction, selection by click, any architecture."""

import numpy as np
import pytest
from PySide6.QtCore import Qt

from visnet.app.panels.network_view import NetworkView
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
