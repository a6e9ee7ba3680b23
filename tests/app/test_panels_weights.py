"""WeightMosaicPanel: exact tiles, live updates, 16 and 512 neurons, clicks."""

import math

import numpy as np
import pytest
from PySide6.QtCore import Qt

from visnet.app.panels.weights import GAP, N_COLORS, WeightMosaicPanel, color_indices, mosaic_shape
from visnet.core.network import Network
from visnet.core.snapshot import take_snapshot
from visnet.core.training import TrainConfig, Trainer


def make_trainer(sizes, **net_kwargs):
    rng = np.random.default_rng(2)
    x = rng.random((100, sizes[0]), dtype=np.float32)
    y = rng.integers(0, sizes[-1], 100)
    return Trainer(Network(sizes, seed=0, **net_kwargs), x, y, config=TrainConfig(eta=0.5, batch_size=10))


def tile(mosaic, j, n, side=28):
    _, cols = mosaic_shape(n)
    r, c = divmod(j, cols)
    step = side + GAP
    return mosaic[r * step : r * step + side, c * step : c * step + side]


@pytest.fixture
def panel(qtbot):
    p = WeightMosaicPanel()
    qtbot.addWidget(p)
    p.resize(700, 500)
    p.show()
    qtbot.waitExposed(p)
    return p


@pytest.mark.parametrize("n", [16, 30, 512])
def test_every_tile_is_its_neurons_weights(panel, n):
    trainer = make_trainer((784, n, 10))
    snap = take_snapshot(trainer)
    panel.show_snapshot(snap)
    mosaic = panel.mosaic_image()
    rows, cols = mosaic_shape(n)
    assert cols == math.ceil(math.sqrt(n))
    assert mosaic.shape == (rows * 29 - 1, cols * 29 - 1)
    for j in {0, 1, n // 2, n - 1}:
        np.testing.assert_array_equal(tile(mosaic, j, n), snap.weights[0][j].reshape(28, 28))
    assert np.isnan(mosaic[28, :]).all()  # the gap below the first row of tiles
    empty_tiles = rows * cols - n
    assert np.isnan(mosaic).sum() >= empty_tiles * 28 * 28


def test_the_colors_drawn_are_the_weights_at_the_color_limit(panel):
    trainer = make_trainer((784, 18, 10))  # 4 rows of 5 tiles: the last two are empty
    snap = take_snapshot(trainer)
    panel.show_snapshot(snap)
    colors, lim = panel.mosaic_colors(), panel.color_limit()
    assert colors.shape == panel.mosaic_image().shape
    for j in (0, 7, 17):
        np.testing.assert_array_equal(tile(colors, j, 18), color_indices(snap.weights[0][j], lim).reshape(28, 28))
    assert (colors[28, :] == 0).all()  # the gaps are transparent
    assert tile(colors, 19, 18).size == 28 * 28 and (tile(colors, 19, 18) == 0).all()  # so is an empty tile
    assert color_indices(np.array([-2 * lim, -lim, 0.0, lim, 2 * lim]), lim).tolist() == [1, 1, 128, N_COLORS, N_COLORS]


def test_mosaic_changes_with_training(panel):
    trainer = make_trainer((784, 16, 10))
    panel.show_snapshot(take_snapshot(trainer))
    before = panel.mosaic_image()
    for _ in range(5):
        trainer.step()
    snap = take_snapshot(trainer)
    panel.show_snapshot(snap)
    after = panel.mosaic_image()
    assert not np.array_equal(np.nan_to_num(before), np.nan_to_num(after))
    np.testing.assert_array_equal(tile(after, 3, 16), snap.weights[0][3].reshape(28, 28))


@pytest.mark.parametrize("n, j", [(16, 0), (16, 11), (512, 400)])
def test_click_on_a_tile_selects_the_neuron(qtbot, panel, n, j):
    panel.show_snapshot(take_snapshot(make_trainer((784, n, 10))))
    with qtbot.waitSignal(panel.neuron_selected, timeout=2000) as blocker:
        qtbot.mouseClick(panel.graphics_view().viewport(), Qt.MouseButton.LeftButton, pos=panel.tile_widget_pos(j))
    assert blocker.args == [0, j]


def test_hover_reads_a_weight(qtbot, panel):
    snap = take_snapshot(make_trainer((784, 16, 10)))
    panel.show_snapshot(snap)
    qtbot.mouseMove(panel.graphics_view().viewport(), panel.tile_widget_pos(5))
    qtbot.waitUntil(lambda: "neuron 5" in panel._info.text())
    assert "w = " in panel._info.text()


def test_select_neuron_outlines_without_emitting(qtbot, panel):
    panel.show_snapshot(take_snapshot(make_trainer((784, 16, 10))))
    with qtbot.assertNotEmitted(panel.neuron_selected):
        panel.select_neuron(0, 6)
    assert panel._highlight.isVisible()
    panel.select_neuron(1, 6)  # another layer: no outline here
    assert not panel._highlight.isVisible()


def test_inputs_that_are_not_a_picture_show_a_message(panel):
    panel.show_snapshot(take_snapshot(make_trainer((30, 8, 3))))
    assert panel.mosaic_image() is None
    assert "square picture" in panel._message.text()
    panel.show_snapshot(take_snapshot(make_trainer((784, 8, 3))))  # and back
    assert panel.mosaic_image() is not None


def test_reset_clears(panel):
    panel.show_snapshot(take_snapshot(make_trainer((784, 16, 10))))
    panel.reset()
    assert panel.mosaic_image() is None


def test_the_hint_can_be_left_out_of_pictures(panel):
    assert panel.hint_visible()
    panel.set_hint_visible(False)
    assert not panel.hint_visible() and not panel._info.isVisible()
    panel.set_hint_visible(True)
    assert panel.hint_visible() and panel._info.isVisible()


def test_a_switched_off_neuron_is_crossed_out_until_reset(panel):
    from visnet.core.edits import EditHistory

    trainer = make_trainer((784, 16, 10))
    EditHistory(trainer.net).ablate(0, 3)
    panel.show_snapshot(take_snapshot(trainer))
    assert panel.switched_off().tolist() == [3]
    EditHistory(trainer.net).ablate(0, 11)
    panel.show_snapshot(take_snapshot(trainer))
    assert panel.switched_off().tolist() == [3, 11]
    panel.reset()
    assert panel.switched_off().size == 0
    panel.show_snapshot(take_snapshot(make_trainer((784, 16, 10))))
    assert panel.switched_off().size == 0


def test_a_big_mosaic_is_redrawn_ten_times_a_second_at_full_speed_and_every_snapshot_otherwise(panel):
    trainer = make_trainer((784, 128, 10))
    panel.show_snapshot(take_snapshot(trainer, state="running"))
    first = panel.mosaic_image()
    trainer.step()
    panel.show_snapshot(take_snapshot(trainer, state="running"))  # the next frame, at full speed
    np.testing.assert_array_equal(panel.mosaic_image(), first)
    panel.show_snapshot(take_snapshot(trainer, state="paused"))  # a pause shows the moment at once
    assert not np.array_equal(panel.mosaic_image(), first)
    small = make_trainer((784, 16, 10))
    panel.show_snapshot(take_snapshot(small, state="running"))
    small.step()
    panel.show_snapshot(take_snapshot(small, state="running"))  # a small mosaic: every frame
    np.testing.assert_array_equal(tile(panel.mosaic_image(), 0, 16), small.net.weights[0][0].reshape(28, 28))
