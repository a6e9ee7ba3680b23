"""The newest mini-batch's training examples, with label and answer, right or wrong."""

from __future__ import annotations

import numpy as np
import pytest
from playground_nets import toy

from visnet.app.panels import Panel
from visnet.app.panels.minibatch import GAP, MAX_SHOWN, RIGHT, WRONG, MiniBatchPanel
from visnet.app.session import Session
from visnet.app.training.controller import TrainingController
from visnet.core.network import Network
from visnet.core.snapshot import take_snapshot
from visnet.core.training import TrainConfig, Trainer


def trainer_for(data, batch_size=10, sizes=None) -> Trainer:
    net = Network(list(sizes or (data.n_inputs, 16, data.n_classes)), "sigmoid", seed=0)
    return Trainer(net, data.x_train, data.y_train, data.x_test, data.y_test, TrainConfig(batch_size=batch_size))


@pytest.fixture
def panel(qtbot):
    p = MiniBatchPanel()
    qtbot.addWidget(p)
    p.resize(500, 260)
    p.show()
    return p


def test_it_shows_the_newest_batch_with_labels_and_answers(panel, small_mnist):
    assert isinstance(panel, Panel)
    panel.set_training_data(small_mnist.x_train, small_mnist.y_train, small_mnist.class_names)
    trainer = trainer_for(small_mnist)
    for _ in range(3):
        trainer.step()
    snap = take_snapshot(trainer, state="paused")
    panel.show_snapshot(snap)
    indices = panel.indices()
    np.testing.assert_array_equal(indices, snap.batch_indices)
    assert panel.showing_pictures() and len(indices) == 10
    mosaic = panel.mosaic_image()
    for t in (0, 9):  # each picture is its training image
        r = panel.tile_rect(t)
        tile = mosaic[int(r.top()) : int(r.bottom()), int(r.left()) : int(r.right())]
        np.testing.assert_array_equal(tile, small_mnist.x_train[indices[t]].reshape(28, 28))
    answers = snap.network.predict(small_mnist.x_train[indices])
    labels = small_mnist.y_train[indices]
    np.testing.assert_array_equal(panel.answers(), answers)
    assert panel.captions() == [f"{y}→{a}" for y, a in zip(labels, answers)]
    assert panel.caption_colors() == [RIGHT if a == y else WRONG for y, a in zip(labels, answers)]
    right = int(np.sum(answers == labels))
    assert f"Step 3: {right} of 10 right" in panel.summary()
    trainer.step()  # the next frame shows the next batch, in the same graphics items
    panel.show_snapshot(take_snapshot(trainer))
    np.testing.assert_array_equal(panel.indices(), trainer.last_batch_indices)
    assert not np.array_equal(panel.indices(), indices)


def test_a_large_batch_shows_its_first_pictures(panel, small_mnist):
    panel.set_training_data(small_mnist.x_train, small_mnist.y_train, small_mnist.class_names)
    trainer = trainer_for(small_mnist, batch_size=100)
    trainer.step()
    panel.show_snapshot(take_snapshot(trainer))
    assert len(panel.indices()) == MAX_SHOWN
    assert f"the first {MAX_SHOWN} shown" in panel.summary()
    h, w = panel.mosaic_image().shape
    assert (h + GAP) % (28 + GAP) == 0 or (w + GAP) % (28 + GAP) == 0


def test_before_any_batch_and_after_reset_it_says_so(panel, small_mnist):
    trainer = trainer_for(small_mnist)
    panel.show_snapshot(take_snapshot(trainer))
    assert "data set" in panel.message()  # no training data yet
    panel.set_training_data(small_mnist.x_train, small_mnist.y_train, small_mnist.class_names)
    assert "No mini-batch trained yet" in panel.message()
    trainer.step()
    panel.show_snapshot(take_snapshot(trainer, state="paused"))  # what a single step sends
    assert panel.message() == "" and len(panel.indices()) == 10
    panel.reset()
    assert "No mini-batch trained yet" in panel.message() and len(panel.indices()) == 0


def test_playground_points_are_listed_with_their_coordinates(panel):
    data = toy(features=("x1_sq",))
    panel.set_features(("x1_sq",))
    panel.set_training_data(data.x_train, data.y_train, data.class_names)
    trainer = trainer_for(data, sizes=(data.n_inputs, 4, 2))
    trainer.step()
    panel.show_snapshot(take_snapshot(trainer))
    assert panel.showing_points() and panel.mosaic_image() is None
    table = panel.table()
    assert table.rowCount() == 10
    heads = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    assert heads[0] == "training point" and heads[1:3] == ["x₁", "x₂"] and len(heads) == 5
    i = int(panel.indices()[0])
    assert table.item(0, 0).text() == str(i)
    assert table.item(0, 1).text() == f"{data.x_train[i, 0]:.2f}".replace("-", "−")
    assert table.item(0, 4).text() == panel.captions()[0]


def test_with_a_session_it_takes_the_training_data_and_resets_with_the_network(qtbot, small_mnist):
    controller = TrainingController(use_process=False)
    session = Session(controller)
    panel = MiniBatchPanel(session)
    qtbot.addWidget(panel)
    session.set_dataset(small_mnist, "embedded")
    controller.set_trainer(trainer_for(small_mnist))
    controller.step_batch()
    qtbot.waitUntil(lambda: controller.latest_snapshot.step == 1, timeout=3000)
    panel.show_snapshot(controller.latest_snapshot)
    np.testing.assert_array_equal(panel.indices(), controller.latest_snapshot.batch_indices)
    controller.set_trainer(trainer_for(small_mnist))  # a new network
    assert len(panel.indices()) == 0 and "No mini-batch" in panel.message()
    assert controller.shutdown(1000)


def test_at_full_speed_a_new_batch_is_drawn_a_few_times_a_second_and_every_batch_when_slow(panel, small_mnist, qtbot):
    panel.set_training_data(small_mnist.x_train, small_mnist.y_train, small_mnist.class_names)
    trainer = trainer_for(small_mnist)
    trainer.step()
    panel.show_snapshot(take_snapshot(trainer, state="running"))
    first = panel.indices().copy()
    trainer.step()
    panel.show_snapshot(take_snapshot(trainer, state="running"))  # the next frame, at full speed
    np.testing.assert_array_equal(panel.indices(), first)
    trainer.step()
    panel.show_snapshot(take_snapshot(trainer, state="running", delay=0.05))  # slow motion: every batch
    np.testing.assert_array_equal(panel.indices(), trainer.last_batch_indices[: len(panel.indices())])
    assert not np.array_equal(panel.indices(), first)
