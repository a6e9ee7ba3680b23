"""WeightMosaicPanel with playground networks: the weight matrix with named inputs in
place of 1x2 'pictures', and clicks still select neurons."""

import numpy as np
import pytest
from playground_nets import perceptron, snapshot_of, toy, trained
from PySide6.QtCore import Qt

from visnet.app.panels.weights import WeightMosaicPanel
from visnet.core.network import Network
from visnet.data.dataset import Dataset


@pytest.fixture
def panel(qtbot):
    p = WeightMosaicPanel()
    qtbot.addWidget(p)
    p.resize(420, 520)
    p.show()
    qtbot.waitExposed(p)
    return p


def test_a_playground_layer_is_drawn_as_its_weight_matrix_with_named_inputs(panel):
    data = toy(features=("x1_sq", "x1_x2"))
    net, snap = trained(data, hidden=(5,))
    panel.set_features(("x1_sq", "x1_x2"))
    panel.show_snapshot(snap)
    assert panel.input_labels() == ("x₁", "x₂", "x₁²", "x₁x₂", "bias")
    m = panel.mosaic_image()
    assert m.shape == (5, 6)  # 4 inputs, a gap, the bias
    np.testing.assert_array_equal(m[:, :4], snap.weights[0])
    assert np.isnan(m[:, 4]).all()
    np.testing.assert_array_equal(m[:, 5], snap.biases[0])
    texts = [t.textItem.toPlainText() for t in panel._cell_texts]
    assert texts[0] == f"{snap.weights[0][0, 0]:+.2f}".replace("-", "−")
    assert texts[4] == f"{snap.biases[0][0]:+.2f}".replace("-", "−").replace("+0.00", "0.00")
    ticks = panel._plot.getAxis("bottom")._tickLevels[0]
    assert [name for _, name in ticks] == ["x₁", "x₂", "x₁²", "x₁x₂", "bias"]


def test_without_features_the_extra_inputs_are_numbered(panel):
    data = toy(features=("sin_x1",))
    panel.show_snapshot(trained(data, hidden=(3,))[1])
    assert panel.input_labels() == ("x₁", "x₂", "input 3", "bias")


def test_clicking_a_row_selects_its_neuron(panel, qtbot):
    data = toy()
    panel.show_snapshot(trained(data, hidden=(6,))[1])
    with qtbot.waitSignal(panel.neuron_selected) as blocker:
        qtbot.mouseClick(panel.graphics_view().viewport(), Qt.MouseButton.LeftButton, pos=panel.tile_widget_pos(4))
    assert blocker.args == [0, 4]
    assert panel._highlight.isVisible()
    assert panel._highlight.rect().height() < 1.5  # frames one row, not its neighbours


def test_the_perceptrons_weights_and_back_to_pictures(panel):
    data = toy(name="blobs")
    _, snap = perceptron(data)
    panel.show_snapshot(snap)
    assert panel.mosaic_image().shape == (1, 4)
    assert "output neuron's weights and bias" in panel._title.text()
    rng = np.random.default_rng(0)
    x = rng.random((20, 784), dtype=np.float32)
    digits = Dataset("d", x, np.arange(20) % 10, x, np.arange(20) % 10, tuple("0123456789"))
    panel.show_snapshot(snapshot_of(Network([784, 9, 10], seed=0), digits))
    assert panel.input_labels() == () and panel._cell_texts == []
    assert panel.mosaic_image().shape == (3 * 29 - 1, 3 * 29 - 1)
    assert not panel._plot.getAxis("left").isVisible()
