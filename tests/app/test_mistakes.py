"""The confusion matrix and the mistakes gallery."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt

from visnet.app.panels.mistakes import MAX_GALLERY
from visnet.core.training import evaluate


def shown_window(make_main_window, qtbot, **kwargs):
    window = make_main_window(**kwargs)
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
    off[off > MAX_GALLERY] = 0
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
    np.testing.assert_array_equal(panel.gallery.indices(), idx[:MAX_GALLERY])
    target = int(panel.gallery.indices()[2])
    gallery = panel.gallery
    with qtbot.waitSignal(window.current_sample_changed, timeout=2000) as blocker:
        qtbot.mouseClick(gallery.graphics_view().viewport(), Qt.MouseButton.LeftButton, pos=gallery.tile_widget_pos(2))
    assert blocker.args[2] == f"test:{target}"
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
