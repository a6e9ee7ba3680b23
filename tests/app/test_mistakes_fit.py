"""The mistakes panel fits the dock it has in the Look inside workspace: the matrix, the
words and the gallery side by side without overlapping, pictures and captions legible."""

from __future__ import annotations

import re
from itertools import combinations

import pyqtgraph as pg
import pytest
from gallery_layout import assert_captions_clear_of_pictures
from PySide6.QtCore import QPoint, QRect
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QApplication, QLabel, QPushButton

from visnet.app.panels.mistakes import MAX_GALLERY, MIN_PICTURE_PX, MistakesPanel
from visnet.app.session import Session
from visnet.app.training.controller import TrainingController
from visnet.core.network import Network
from visnet.core.snapshot import take_snapshot
from visnet.core.training import TrainConfig, Trainer

# The Mistakes dock's widget in Look inside on a 1366x768 laptop (measured: 508x248), a
# little taller, and on a 1920x1080 desktop.
SIZES = [(508, 248), (500, 260), (740, 380)]


@pytest.fixture
def panel(qtbot, small_mnist):
    session = Session(TrainingController(use_process=False))
    session.set_dataset(small_mnist, "embedded")
    panel = MistakesPanel(session=session)
    qtbot.addWidget(panel)
    panel.show()
    d = small_mnist
    trainer = Trainer(Network([784, 16, 10], seed=0), d.x_train, d.y_train, d.x_test, d.y_test, TrainConfig(eta=0.5))
    for _ in range(60):
        trainer.step()
    snap = take_snapshot(trainer, state="paused")
    session.show_snapshot(snap)
    panel.show_snapshot(snap)
    panel.refresh_now()
    return panel


def settle(qtbot, panel, size) -> None:
    panel.resize(*size)
    qtbot.waitUntil(lambda: panel.size().toTuple() == size, timeout=2000)
    for _ in range(3):  # the gallery refills when its room changes; the axis widens on its first paint
        QApplication.processEvents()
        panel.grab()


def rect_in(widget, root) -> QRect:
    return QRect(widget.mapTo(root, QPoint(0, 0)), widget.size())


def text_width(label: QLabel) -> float:
    doc = QTextDocument()
    doc.setDefaultFont(label.font())
    doc.setDocumentMargin(0)
    doc.setHtml(label.text())
    return doc.idealWidth()


@pytest.mark.parametrize("size", SIZES)
def test_nothing_overlaps_or_is_cut_off(qtbot, panel, size):
    settle(qtbot, panel, size)
    parts = [w for w in panel.findChildren(QLabel) if w.isVisible() and w.text()]
    parts += [w for w in panel.findChildren(QPushButton) if w.isVisible()]
    parts += [w for w in panel.findChildren(pg.GraphicsView) if w.isVisible()]
    rects = [(w, rect_in(w, panel)) for w in parts]
    for w, rect in rects:
        assert panel.rect().contains(rect), (w, rect)
    for (a, ra), (b, rb) in combinations(rects, 2):
        assert not ra.intersects(rb), (a, b, ra, rb)
    # The words above the gallery are whole on one line.
    label = panel.gallery_label
    assert text_width(label) <= label.contentsRect().width(), re.sub("<[^>]+>", "", label.text())
    # The matrix and its accuracy column are drawn inside their view.
    view = panel.graphics_view()
    area = view.mapToScene(view.viewport().rect()).boundingRect()
    axis = panel.accuracy_axis().sceneBoundingRect()  # its bounding rect reaches past its ends by a few pixels
    assert area.left() <= axis.left() and axis.right() <= area.right() + 1
    corner = view.mapToScene(panel.cell_widget_pos(9, 9))
    assert area.contains(view.mapToScene(panel.cell_widget_pos(0, 0))) and area.contains(corner)


@pytest.mark.parametrize("size", SIZES)
def test_the_gallery_shows_legible_pictures_and_says_how_many(qtbot, panel, size):
    settle(qtbot, panel, size)
    gallery = panel.gallery
    shown = gallery.indices()
    assert 1 <= len(shown) <= min(MAX_GALLERY, gallery.capacity())
    assert gallery.tile_scene_rect(0).width() >= MIN_PICTURE_PX - 1  # fewer pictures, not smaller ones
    assert_captions_clear_of_pictures(gallery)
    assert min(r.height() for r in gallery.caption_scene_rects()) >= 11  # captions a person can read
    n = len(panel.mistake_indices())
    if n > len(shown):
        assert f"{len(shown)} shown" in panel.gallery_label.text()
    assert f"{n:,} mistakes" in panel.gallery_label.text()
