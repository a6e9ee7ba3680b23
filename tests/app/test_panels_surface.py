"""DecisionSurfacePanel: the heatmap is the core's surface, the right way up; points,
the boundary line, and draw mode."""

import numpy as np
import pytest
from PySide6.QtCore import Qt

from visnet.app.panels.surface import DecisionSurfacePanel, boundary_segments
from visnet.core.network import Network
from visnet.core.snapshot import take_snapshot
from visnet.core.surface import choose_resolution, evaluate_surface
from visnet.core.training import TrainConfig, Trainer
from visnet.data.toy2d import make_toy2d


@pytest.fixture
def panel(qtbot):
    p = DecisionSurfacePanel()
    qtbot.addWidget(p)
    p.resize(520, 560)
    p.show()
    qtbot.waitExposed(p)
    return p


@pytest.fixture(scope="module")
def toy():
    return make_toy2d("xor", n_points=60, noise=0.2, train_fraction=0.5, seed=3)


def settle(panel):
    """Paint once, so the plot's layout (axes sized to their labels) is final before
    plane points are mapped to the screen."""
    panel.graphics_view().grab()


def linear_net(w1, w2, b, output="sigmoid"):
    return Network.from_params([np.array([[w1, w2]])], [np.array([b])], [output], cost="quadratic")


def test_heatmap_is_the_cores_surface(panel):
    net = Network([2, 5, 3, 1], "tanh", output="sigmoid", seed=4)
    panel.show_network(net)
    expected = evaluate_surface(net, resolution=choose_resolution(net.sizes))
    np.testing.assert_array_equal(panel.image_array(), expected.output)
    np.testing.assert_array_equal(panel.surface().output, expected.output)
    assert panel.image_array().shape == (100, 100)


def test_show_snapshot_uses_the_features(panel, toy):
    net = Network([3, 4, 1], "tanh", output="tanh", cost="quadratic", seed=1)
    trainer = Trainer(net, toy.as_dataset(["x1_x2"]).x_train, toy.y_train, config=TrainConfig(batch_size=10))
    panel.set_data(toy)
    panel.set_features(["x1_x2"])
    panel.show_snapshot(take_snapshot(trainer))
    expected = evaluate_surface(net, features=["x1_x2"])
    np.testing.assert_allclose(panel.image_array(), expected.output)
    assert panel.surface().level == 0.0
    accuracy = np.mean(net.predict(toy.as_dataset(["x1_x2"]).x_test) == toy.y_test)
    assert f"test accuracy <b>{100 * accuracy:.0f}%" in panel._caption.text


def test_high_output_is_drawn_at_the_top(qtbot, panel):
    panel.show_network(linear_net(0.0, 2.0, 0.0))  # output rises with x2
    settle(panel)
    image = panel.image_array()
    assert image[-1].mean() > 0.99 and image[0].mean() < 0.01  # row 0 is the bottom of the plane
    top, bottom = panel.widget_pos(0.0, 5.0), panel.widget_pos(0.0, -5.0)
    assert top.y() < bottom.y()  # x2 = 5 is higher up on the screen
    picture = panel.graphics_view().grab().toImage()
    top_color, bottom_color = picture.pixelColor(top), picture.pixelColor(bottom)
    assert top_color.red() > top_color.blue()  # orange: class 1
    assert bottom_color.blue() > bottom_color.red()  # blue: class 0


def test_points_are_drawn_per_split_and_class(panel, toy):
    panel.set_data(toy)
    assert panel.point_counts() == {"train": toy.n_train, "test": toy.n_test}
    drawn = panel._points[("test", 1)].getData()
    np.testing.assert_array_equal(drawn[0], toy.x_test[toy.y_test == 1, 0])
    smaller = make_toy2d("moons", n_points=20, seed=0)
    panel.set_data(smaller)  # the same items, new data
    assert panel.point_counts() == {"train": smaller.n_train, "test": smaller.n_test}


def test_boundary_lies_where_the_output_crosses_the_level(panel):
    w1, w2, b = 1.0, 2.0, -1.0
    panel.show_network(linear_net(w1, w2, b))  # sigmoid: output 0.5 where w.x + b = 0
    x, y = panel.boundary_points()
    assert x.size >= 100 and x.size % 2 == 0
    np.testing.assert_allclose(w1 * x + w2 * y + b, 0.0, atol=0.02)
    assert x.min() < -5.5 and x.max() > 5.5  # across the whole plane


def test_boundary_of_a_circle_is_closed_and_round():
    xs = ys = np.linspace(-6, 6, 101)
    r2 = xs[None, :] ** 2 + ys[:, None] ** 2
    x, y = boundary_segments(r2, 9.5, xs, ys)  # the circle r = sqrt(9.5), through no sample
    np.testing.assert_allclose(np.hypot(x, y), np.sqrt(9.5), atol=0.03)
    ends, counts = np.unique(np.round(np.column_stack([x, y]), 9), axis=0, return_counts=True)
    assert (counts == 2).all()  # every end joins two segments: a closed curve


def test_saddle_cells_give_two_segments():
    xs = ys = np.array([0.0, 1.0])
    for centre_high in (True, False):
        v = np.array([[1.0, -1.0], [-1.0, 1.0]]) + (0.5 if centre_high else -0.5)
        x, y = boundary_segments(v, 0.0, xs, ys)
        assert x.size == 4


def test_draw_mode_emits_clicked_points(qtbot, panel):
    panel.show_network(linear_net(0.0, 1.0, 0.0))
    panel.set_draw_mode(True)
    panel.set_draw_label(0)
    settle(panel)
    with qtbot.waitSignal(panel.point_added, timeout=2000) as blocker:
        qtbot.mouseClick(panel.graphics_view().viewport(), Qt.MouseButton.LeftButton, pos=panel.widget_pos(2.0, -3.0))
    x1, x2, label, split = blocker.args
    assert x1 == pytest.approx(2.0, abs=0.05) and x2 == pytest.approx(-3.0, abs=0.05)
    assert (label, split) == (0, "train")
    with qtbot.waitSignal(panel.point_added, timeout=2000) as blocker:
        qtbot.mouseClick(panel.graphics_view().viewport(), Qt.MouseButton.RightButton, pos=panel.widget_pos(-1.0, 4.0))
    assert blocker.args[2] == 1  # right click: the other class
    with qtbot.waitSignal(panel.point_added, timeout=2000) as blocker:
        qtbot.mouseClick(
            panel.graphics_view().viewport(),
            Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.ShiftModifier,
            pos=panel.widget_pos(1.0, 1.0),
        )
    assert blocker.args[2:] == [0, "test"]  # Shift: a test point


def test_clicks_outside_draw_mode_choose_a_point_and_add_none(qtbot, panel):
    assert not panel.draw_mode()
    settle(panel)
    with qtbot.assertNotEmitted(panel.point_added), qtbot.waitSignal(panel.point_chosen, timeout=2000) as blocker:
        qtbot.mouseClick(panel.graphics_view().viewport(), Qt.MouseButton.LeftButton, pos=panel.widget_pos(1.0, 1.0))
    assert blocker.args == [pytest.approx(1.0, abs=0.05), pytest.approx(1.0, abs=0.05)]


def test_keys_choose_the_class_in_draw_mode(qtbot, panel):
    panel.graphics_view().setFocus()
    qtbot.keyClick(panel.graphics_view(), Qt.Key.Key_0)
    assert panel.draw_label() == 1  # not in draw mode: the keys do nothing
    panel.set_draw_mode(True)
    qtbot.keyClick(panel.graphics_view(), Qt.Key.Key_0)
    assert panel.draw_label() == 0
    qtbot.keyClick(panel.graphics_view(), Qt.Key.Key_1)
    assert panel.draw_label() == 1


def test_hover_reads_the_output(qtbot, panel):
    panel.show_network(linear_net(0.0, 1.0, 0.0))
    settle(panel)
    expected = 1 / (1 + np.exp(-2.0))
    qtbot.mouseMove(panel.graphics_view().viewport(), panel.widget_pos(1.0, 2.0))
    # An earlier move (the cursor of a previous test) may arrive first: wait for this one.
    qtbot.waitUntil(lambda: f"output {expected:.2f}" in panel._info.text(), timeout=1000)
    assert "x₂ = +2.0" in panel._info.text() and "→ class 1" in panel._info.text()


def test_unsuitable_networks_show_a_message(panel):
    panel.show_network(Network([3, 4, 1], output="sigmoid", seed=0))  # three inputs, no features
    assert panel.surface() is None and panel.image_array() is None
    assert "3-4-1" in panel._caption.text
    panel.show_network(Network([2, 3, 1], output="sigmoid", seed=0))  # and back
    assert panel.surface() is not None


@pytest.mark.parametrize(("output", "levels"), [("sigmoid", (0.0, 1.0)), ("tanh", (-1.0, 1.0)), ("step", (0.0, 1.0))])
def test_colour_levels_are_centred_on_the_decision_level(panel, output, levels):
    panel.show_network(linear_net(1.0, -1.0, 0.5, output))
    assert panel._levels == levels
    assert sum(panel._levels) / 2 == panel.surface().level


def test_unbounded_outputs_get_levels_from_the_surface(panel):
    panel.show_network(linear_net(1.0, 0.0, 0.0, "identity"))  # output x1 over [-6, 6]
    low, high = panel._levels
    assert low == -high and 5.0 < high <= 6.0
    panel.show_network(linear_net(1.02, 0.0, 0.0, "identity"))  # a small drift keeps them
    assert panel._levels == (low, high)


def test_a_shared_plane_is_evaluated_once_per_snapshot(panel, toy):
    from visnet.app.plane import Plane

    net = Network([4, 3, 1], "tanh", output="sigmoid", seed=2)
    data = toy.as_dataset(["x1_sq", "x2_sq"])
    trainer = Trainer(net, data.x_train, data.y_train, config=TrainConfig(batch_size=10))
    plane = Plane(["x1_sq", "x2_sq"])
    panel.set_data(toy)
    panel.set_plane(plane)
    snap = take_snapshot(trainer)
    shared = plane.surface_for(snap)  # another panel asked first
    panel.show_snapshot(snap)
    assert panel.surface() is shared
    np.testing.assert_array_equal(panel.image_array(), evaluate_surface(net, features=["x1_sq", "x2_sq"]).output)
    trainer.step()
    panel.show_snapshot(take_snapshot(trainer))
    assert panel.surface() is not shared  # a new snapshot, a new surface
    panel.set_plane(None)
    assert panel.surface() is None and panel.image_array() is None


def test_the_hint_can_be_left_out_of_pictures(panel):
    assert panel.hint_visible()
    panel.set_hint_visible(False)
    assert not panel.hint_visible() and not panel._info.isVisible()
    panel.set_hint_visible(True)
    assert panel.hint_visible() and panel._info.isVisible()
