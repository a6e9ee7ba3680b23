"""MistakesPanel and ImageGallery with playground networks: a 2x2 matrix from a single
output's threshold, and mistaken points listed by their coordinates."""

import numpy as np
import pytest
from playground_nets import constant_net, perceptron, snapshot_of, toy, trained
from PySide6.QtCore import Qt

from visnet.app.panels.gallery import ImageGallery
from visnet.app.panels.mistakes import MistakesPanel
from visnet.core.training import evaluate


@pytest.fixture
def panel(qtbot):
    p = MistakesPanel()
    qtbot.addWidget(p)
    p.resize(700, 380)
    p.show()
    return p


def show(panel, data, snap):
    panel.set_dataset(data.x_test, data.y_test, data.class_names)
    panel.show_snapshot(snap)
    panel.refresh_now()


@pytest.mark.parametrize("output, a", [("sigmoid", 0.7), ("tanh", 0.2)])
def test_a_single_output_above_its_threshold_predicts_class_1_everywhere(panel, output, a):
    data = toy()
    show(panel, data, snapshot_of(constant_net(2, a, output), data))
    n0, n1 = int((data.y_test == 0).sum()), int((data.y_test == 1).sum())
    np.testing.assert_array_equal(panel.confusion(), [[0, n0], [0, n1]])  # argmax would say 0 for all
    np.testing.assert_array_equal(panel.per_class_accuracy(), [0.0, 1.0])


def test_a_single_output_below_its_threshold_predicts_class_0(panel):
    data = toy()
    show(panel, data, snapshot_of(constant_net(2, 0.3), data))
    n0, n1 = int((data.y_test == 0).sum()), int((data.y_test == 1).sum())
    np.testing.assert_array_equal(panel.confusion(), [[n0, 0], [n1, 0]])


def test_matrix_of_a_trained_network_and_of_a_perceptron_match_evaluate(panel):
    data = toy(features=("x1_x2",))
    net, snap = trained(data)
    show(panel, data, snap)
    np.testing.assert_array_equal(panel.confusion(), evaluate(net, data.x_test, data.y_test).confusion)
    data = toy(name="blobs")
    net, snap = perceptron(data, steps=3)
    show(panel, data, snap)
    np.testing.assert_array_equal(panel.confusion(), evaluate(net, data.x_test, data.y_test).confusion)


def test_mistaken_points_are_listed_by_coordinates_and_can_be_clicked(panel, qtbot):
    data = toy(features=("x1_sq", "sin_x2"))
    net = constant_net(4, 0.7)  # every class-0 point is a mistake
    panel.set_features(("x1_sq", "sin_x2"))  # as the window does for a playground set
    show(panel, data, snapshot_of(net, data))
    gallery = panel.gallery
    assert gallery.showing_points()
    table = gallery.table()
    heads = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    assert heads == ["test point", "x₁", "x₂", "x₁²", "sin x₂", "true → predicted"]
    wrong = np.flatnonzero(data.y_test == 0)
    assert table.rowCount() == min(len(wrong), 48)
    i = int(table.item(0, 0).text())
    assert data.y_test[i] == 0 and table.item(0, 5).text() == "0→1"
    assert table.item(0, 1).text() == f"{data.x_test[i, 0]:.2f}".replace("-", "−")
    rect = table.visualItemRect(table.item(0, 2))
    with qtbot.waitSignal(panel.sample_requested) as blocker:
        qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert blocker.args == [i]
    panel.select_cell(1, 1)
    assert "points (right)" in panel.gallery_label.text()


def test_the_gallery_still_draws_pictures(qtbot):
    gallery = ImageGallery()
    qtbot.addWidget(gallery)
    images = np.random.default_rng(0).random((3, 784), dtype=np.float32)
    gallery.set_images(images, [4, 5, 6], ["a", "b", "c"])
    assert not gallery.showing_points()
    gallery.set_images(np.zeros((2, 4), np.float32), [1, 2])  # 4 values: a point, not a 2x2 picture
    assert gallery.showing_points() and gallery.table().rowCount() == 2
