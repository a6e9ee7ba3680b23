"""The confusion matrix and the mistakes gallery."""

from __future__ import annotations

import numpy as np
import pytest
from gallery_layout import assert_captions_clear_of_pictures
from PySide6.QtCore import QPoint, QRectF, Qt
from PySide6.QtGui import QFontMetricsF

from visnet.app.colors import percent
from visnet.app.panels.mistakes import MAX_GALLERY, MistakesPanel
from visnet.app.session import Session
from visnet.app.training.controller import TrainingController
from visnet.core.network import Network
from visnet.core.snapshot import take_snapshot
from visnet.core.training import TrainConfig, Trainer, evaluate


def shown_window(make_main_window, qtbot, **kwargs):
    window = make_main_window(**kwargs)
    window.show_workspace("inside")
    window.mistakes_dock.raise_()
    qtbot.waitUntil(lambda: window.mistakes_panel.confusion() is not None, timeout=3000)
    return window


def test_confusion_matrix_counts_the_whole_test_split(make_main_window, qtbot):
    window = shown_window(make_main_window, qtbot)
    d = window.dataset
    counts = window.mistakes_panel.confusion()
    assert counts.sum() == d.n_test
    expected = evaluate(window.controller.latest_snapshot.network, d.x_test, d.y_test).confusion
    np.testing.assert_array_equal(counts, expected)
    accuracy = window.mistakes_panel.per_class_accuracy()
    rows = expected.sum(axis=1)
    np.testing.assert_allclose(accuracy[rows > 0], (np.diag(expected) / rows)[rows > 0])


def test_a_clicked_cell_shows_exactly_its_images(make_main_window, qtbot):
    window = shown_window(make_main_window, qtbot)
    panel = window.mistakes_panel
    d = window.dataset
    predicted = window.controller.latest_snapshot.network.predict(d.x_test)
    counts = panel.confusion()
    off = counts.copy()
    np.fill_diagonal(off, 0)
    off[off > (panel.gallery.capacity() or MAX_GALLERY)] = 0  # a cell the gallery shows whole
    r, c = np.unravel_index(int(np.argmax(off)), off.shape)
    assert off[r, c] > 0
    qtbot.mouseClick(panel.graphics_view().viewport(), Qt.MouseButton.LeftButton, pos=panel.cell_widget_pos(r, c))
    shown = panel.gallery.indices()
    expected = np.flatnonzero((d.y_test == r) & (predicted == c))
    assert sorted(shown.tolist()) == expected.tolist()
    assert len(shown) == counts[r, c]
    assert all(caption == f"{r}→{c}" for caption in panel.gallery.captions())


def test_mistakes_gallery_is_sorted_by_confidence_and_clicks_set_the_sample(make_main_window, qtbot):
    window = shown_window(make_main_window, qtbot)
    panel = window.mistakes_panel
    d = window.dataset
    out = window.controller.latest_snapshot.network.forward(d.x_test)
    wrong = np.flatnonzero(out.argmax(axis=1) != d.y_test)
    confidence = out.max(axis=1)
    idx = panel.mistake_indices()
    assert sorted(idx.tolist()) == wrong.tolist()
    assert np.all(np.diff(confidence[idx]) <= 0)
    shown = panel.gallery.indices()
    assert 3 <= len(shown) <= min(MAX_GALLERY, panel.gallery.capacity())  # as many as fit, legibly
    np.testing.assert_array_equal(shown, idx[: len(shown)])
    target = int(panel.gallery.indices()[2])
    gallery = panel.gallery
    with qtbot.waitSignal(window.session.sample_changed, timeout=2000):
        qtbot.mouseClick(gallery.graphics_view().viewport(), Qt.MouseButton.LeftButton, pos=gallery.tile_widget_pos(2))
    assert window.session.sample.index == target
    assert window.sample_panel.current_index() == target


def test_the_matrix_follows_training(make_main_window, qtbot):
    window = shown_window(make_main_window, qtbot)
    before = window.mistakes_panel.confusion()
    qtbot.keyClick(window, Qt.Key.Key_E)  # one epoch
    qtbot.waitUntil(lambda: window.controller.latest_snapshot.epochs_done == 1, timeout=5000)
    qtbot.waitUntil(lambda: window.controller.state == "paused", timeout=3000)

    def updated():
        counts = window.mistakes_panel.confusion()
        assert counts.sum() == window.dataset.n_test and not np.array_equal(counts, before)

    qtbot.waitUntil(updated, timeout=3000)


# -- bound to a session, and the matrix's layout --------------------------------------------------
@pytest.fixture
def bound_panel(qtbot, small_mnist):
    """A MistakesPanel bound to a session on the small MNIST set, showing a briefly trained 784-16-10."""
    session = Session(TrainingController(use_process=False))
    session.set_dataset(small_mnist, "embedded")
    panel = MistakesPanel(session=session)
    qtbot.addWidget(panel)
    panel.resize(700, 380)
    panel.show()
    net = Network([784, 16, 10], seed=0)
    d = small_mnist
    trainer = Trainer(net, d.x_train, d.y_train, d.x_test, d.y_test, TrainConfig(eta=0.5))
    for _ in range(60):
        trainer.step()
    snap = take_snapshot(trainer, state="paused")
    session.show_snapshot(snap)
    panel.show_snapshot(snap)
    panel.refresh_now()
    return panel, session


def test_a_bound_panel_takes_its_data_from_the_session(bound_panel, small_mnist):
    panel, session = bound_panel
    assert panel.confusion().sum() == small_mnist.n_test
    session.set_dataset(small_mnist.subset(1000, 50), "embedded")
    panel.refresh_now()
    assert panel.confusion().sum() == 50


def test_clicking_a_mistake_or_a_cells_image_chooses_the_sessions_sample(qtbot, bound_panel):
    panel, session = bound_panel
    gallery = panel.gallery
    target = int(gallery.indices()[2])
    with qtbot.waitSignal(session.sample_changed, timeout=2000):
        qtbot.mouseClick(gallery.graphics_view().viewport(), Qt.MouseButton.LeftButton, pos=gallery.tile_widget_pos(2))
    assert session.sample.source == "test" and session.sample.index == target
    r = int(np.argmax(np.diag(panel.confusion())))
    qtbot.mouseClick(panel.graphics_view().viewport(), Qt.MouseButton.LeftButton, pos=panel.cell_widget_pos(r, r))
    target = int(gallery.indices()[0])
    with qtbot.waitSignal(session.sample_changed, timeout=2000):
        qtbot.mouseClick(gallery.graphics_view().viewport(), Qt.MouseButton.LeftButton, pos=gallery.tile_widget_pos(0))
    assert session.sample.index == target and session.sample.label == r


def settle(qtbot, panel) -> None:
    """Draw until the matrix stops moving: the first paint widens the accuracy axis to fit its labels."""
    corners = []

    def still():
        panel.grab()
        corners.append(panel.cell_widget_pos(0, 0))
        assert len(corners) > 1 and corners[-1] == corners[-2]

    qtbot.waitUntil(still, timeout=2000)


def test_empty_cells_are_blank_and_every_cell_tells_its_count_on_hover(qtbot, bound_panel):
    panel, session = bound_panel
    counts = panel.confusion()
    zeros = np.argwhere(counts == 0)
    assert len(zeros)
    shade = panel.cell_shades()  # NaN is drawn transparent
    assert np.isnan(shade[counts == 0]).all() and np.isfinite(shade[counts > 0]).all()
    r0, c0 = (int(v) for v in zeros[0])
    r1, c1 = (int(v) for v in np.argwhere(counts > 1)[0])
    settle(qtbot, panel)
    for (r, c), expected in [((r0, c0), "0 images"), ((r1, c1), f"{counts[r1, c1]} images")]:
        tip = f"true {r}, predicted {c}: {expected}"
        assert panel.cell_hint(r, c) == tip

        moves = []

        def hovered(r=r, c=c, tip=tip, moves=moves):
            # pyqtgraph drops moves that follow too closely and Qt one to where the mouse is: move
            # again, a pixel further each time (still inside the cell)
            moves.append(QPoint(len(moves) % 2, 0))
            qtbot.mouseMove(panel.graphics_view().viewport(), panel.cell_widget_pos(r, c) + moves[-1])
            assert panel.graphics_view().toolTip() == tip

        qtbot.waitUntil(hovered, timeout=2000)


def test_the_accuracy_column_and_the_gallery_captions_are_not_clipped(qtbot, bound_panel):
    panel, session = bound_panel
    for size in [(700, 380), (560, 320), (1000, 600)]:
        panel.resize(*size)
        settle(qtbot, panel)
        axis = panel.accuracy_axis()
        labels = panel.accuracy_labels()
        assert labels == [percent(float(a)) for a in panel.per_class_accuracy()]
        font = axis.style["tickFont"] or panel.graphics_view().font()
        widest = max(QFontMetricsF(font).horizontalAdvance(text) for text in labels)
        assert axis.width() >= widest + axis.style["tickTextOffset"][0]
        rect, inside = axis.sceneBoundingRect(), QRectF(panel.graphics_view().viewport().rect())
        assert inside.left() <= rect.left() and rect.right() <= inside.right()  # its labels are not cut off
        assert_captions_clear_of_pictures(panel.gallery)


def test_the_hint_can_be_left_out_of_pictures(bound_panel):
    panel, session = bound_panel
    hint = panel.hint_label
    assert hint.isVisible()
    panel.set_hint_visible(False)
    panel.refresh_now()
    assert not hint.isVisible()


def test_reset_leaves_nothing_of_the_old_network(bound_panel):
    panel, session = bound_panel
    panel.reset()
    assert panel.confusion() is None and panel.cell_shades() is None
    assert panel.summary_label.text() == "No network yet." and panel.gallery_label.text() == ""
    assert len(panel.gallery.indices()) == 0 and len(panel.mistake_indices()) == 0
    assert panel.accuracy_labels() == []
