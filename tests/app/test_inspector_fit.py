"""The neuron inspector fits the dock it has in the Look inside workspace: on every page, for
neurons of every layer, of a small and a large digit network and of a playground network,
nothing is cut off, no title is clipped and nothing that has words overlaps anything else."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QPoint, QRect, QRectF
from PySide6.QtWidgets import QApplication, QLabel, QWidget

from visnet.app.panels.neuron_inspector import NeuronInspector
from visnet.app.plane import Plane
from visnet.app.session import Session
from visnet.app.training.controller import TrainingController
from visnet.core.network import Network
from visnet.core.snapshot import take_snapshot
from visnet.core.training import TrainConfig, Trainer

# The inspector dock's widget in Look inside on a 1366x768 laptop (measured: 497x610) and
# on a 1920x1080 desktop, and in the Playground workspace on the laptop.
LAPTOP, DESKTOP, PLAYGROUND = (490, 600), (690, 880), (464, 584)
TOLERANCE = 1.0  # pixels of rounding


def widget_rect(widget: QWidget, root: QWidget) -> QRect:
    return QRect(widget.mapTo(root, QPoint(0, 0)), widget.size())


def inside(outer: QRectF, inner: QRectF) -> bool:
    return outer.adjusted(-TOLERANCE, -TOLERANCE, TOLERANCE, TOLERANCE).contains(inner)


def assert_scene_fits(view: pg.GraphicsView, where: str) -> None:
    """Every plot, picture, title, axis label and text of a graphics view is drawn whole
    inside it, and every title's text is no wider than the title."""
    area = view.mapToScene(view.viewport().rect()).boundingRect()
    for item in view.scene().items():
        if not item.isVisible():
            continue
        rect = item.sceneBoundingRect()
        if isinstance(item, pg.PlotItem):
            assert inside(area, rect), (where, "plot cut off", rect, area)
            title = item.titleLabel
            if title.isVisible() and title.text:
                text_px = title.item.boundingRect().width()
                assert text_px <= title.width() + TOLERANCE, (where, "title clipped", title.text)
                assert inside(rect, title.sceneBoundingRect()), (where, title.text)
            for name in ("left", "bottom", "right"):
                axis = item.getAxis(name)
                if axis.isVisible() and axis.label.isVisible() and axis.labelText:
                    label = axis.label.mapRectToScene(axis.label.boundingRect())
                    assert inside(area, label), (where, "axis label cut off", axis.labelText)
        elif isinstance(item, pg.ImageItem) and item.image is not None:
            box = item.getViewBox().sceneBoundingRect()
            assert inside(box, rect), (where, "picture cut off", rect, box)
        elif isinstance(item, pg.TextItem) and item.textItem.toPlainText():
            box = item.getViewBox().sceneBoundingRect()
            assert inside(box, rect), (where, "text cut off", item.textItem.toPlainText(), rect, box)


def assert_fits(root: QWidget, where: str) -> None:
    """The views and the labels with words shown in root lie inside it, apart from each
    other, and draw everything inside themselves."""
    for _ in range(2):  # lay out (posted events), then draw everything at its final place
        QApplication.processEvents()
        root.grab()
    views = [v for v in root.findChildren(pg.GraphicsView) if v.isVisible()]
    labels = [w for w in root.findChildren(QLabel) if w.isVisible() and w.text()]
    boxes = [(w, widget_rect(w, root)) for w in views + labels]
    for w, rect in boxes:
        assert root.rect().contains(rect), (where, "outside", w, rect)
    for (a, ra), (b, rb) in combinations(boxes, 2):
        assert not ra.intersects(rb), (where, "overlap", a, b, ra, rb)
    for view in views:
        assert_scene_fits(view, where)


def assert_bar_labels_apart(inspector: NeuronInspector, where: str) -> None:
    for bars in (inspector.incoming_bars, inspector.contribution_bars, inspector.votes_bars):
        rects = bars.label_rects() if bars.plot.scene().views()[0].isVisible() else []
        for a, b in combinations(rects, 2):
            assert not a.intersects(b), (where, "bar labels overlap", a, b)


def digit_inspector(qtbot, data, sizes, steps):
    session = Session(TrainingController(use_process=False))
    session.set_dataset(data, "embedded")
    inspector = NeuronInspector(session=session)
    qtbot.addWidget(inspector)
    net = Network(list(sizes), seed=0)
    trainer = Trainer(net, data.x_train, data.y_train, data.x_test, data.y_test, TrainConfig(eta=0.5))
    for _ in range(steps):
        trainer.step()
    snap = take_snapshot(trainer, state="paused")
    session.choose_test_sample(3)
    session.show_snapshot(snap)
    inspector.show_snapshot(snap)
    return inspector


def plane_inspector(qtbot):
    rng = np.random.default_rng(5)
    points = rng.uniform(-6, 6, (120, 2)).astype(np.float32)
    y = (points[:, 0] * points[:, 1] > 0).astype(np.int64)
    net = Network([2, 4, 3, 1], "tanh", output="sigmoid", seed=2)
    trainer = Trainer(net, points, y, points[:60], y[:60], TrainConfig(eta=0.1, batch_size=10))
    for _ in range(30):
        trainer.step()
    inspector = NeuronInspector()
    qtbot.addWidget(inspector)
    inspector.set_plane(Plane())
    inspector.set_dataset(points[:60], y[:60], ("0", "1"))
    inspector.set_sample(points[0], int(y[0]))
    inspector.show_snapshot(take_snapshot(trainer, state="paused"))
    return inspector


NETWORKS = {
    "784-16-16-10": ((784, 16, 16, 10), 60),
    "784-512-512-10": ((784, 512, 512, 10), 3),
}


def check_every_page(qtbot, inspector: NeuronInspector, size, name: str) -> None:
    inspector.resize(*size)
    inspector.show()
    qtbot.waitExposed(inspector)
    try:
        for layer in (0, 1, 2):  # first hidden, second hidden, output
            inspector.select_neuron(layer, 1 if layer < 2 else 0)
            for t in range(inspector.tabs.count()):
                inspector.tabs.setCurrentIndex(t)
                where = f"{name} at {size}, layer {layer}, page {inspector.tabs.tabText(t)!r}"
                assert_fits(inspector, where)
                assert_bar_labels_apart(inspector, where)
    finally:
        inspector.shutdown()


@pytest.mark.parametrize("size", [LAPTOP, DESKTOP], ids=["laptop", "desktop"])
@pytest.mark.parametrize("name", NETWORKS)
def test_every_page_of_a_digit_network_fits_the_dock(qtbot, small_mnist, name, size):
    sizes, steps = NETWORKS[name]
    inspector = digit_inspector(qtbot, small_mnist, sizes, steps)
    check_every_page(qtbot, inspector, size, name)


@pytest.mark.parametrize("size", [PLAYGROUND, DESKTOP], ids=["laptop", "desktop"])
def test_every_page_of_a_playground_network_fits_the_dock(qtbot, size):
    check_every_page(qtbot, plane_inspector(qtbot), size, "2-4-3-1 on the plane")


def test_the_looks_for_pictures_stand_side_by_side_when_wide_and_stacked_when_narrow(qtbot, small_mnist):
    inspector = digit_inspector(qtbot, small_mnist, (784, 16, 16, 10), 20)
    try:
        inspector.select_neuron(1, 2)  # two pictures: its effective pattern, its most exciting input
        inspector.tabs.setCurrentIndex(0)
        inspector.show()
        for size, across in [(LAPTOP, True), ((420, 1000), False)]:
            inspector.resize(*size)
            qtbot.waitUntil(lambda size=size: inspector.size().toTuple() == size, timeout=2000)
            assert_fits(inspector, f"Looks for at {size}")
            assert inspector.pictures.side_by_side() is across, size
            pattern = inspector.pattern_plot.getViewBox().sceneBoundingRect()
            assert min(pattern.width(), pattern.height()) >= 120, size  # as large as the room allows
    finally:
        inspector.shutdown()
