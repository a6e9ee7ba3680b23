"""The stepper fits the Backpropagation workspace's dock: at the sizes measured at 1366x768
(about 950x680) and smaller (700x500), for every tab and kind of step, nothing is cut off
and nothing covers anything else."""

import itertools

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QRect, QRectF
from PySide6.QtWidgets import QLabel, QScrollArea, QWidget

from visnet.app.panels.stepper import BackpropStepper, Example, NetworkState
from visnet.core.network import Network

SIZES = [(950, 680), (700, 500)]
ARCHITECTURES = [
    ((784, 16, 16, 10), {}),
    ((784, 30, 30, 30, 30, 10), {}),
    ((784, 512, 512, 10), {}),
    ((2, 4, 1), {"activations": "tanh", "output": "sigmoid", "cost": "cross-entropy"}),
]
PHASES = ("forward", "cost", "backward", "update")
TOLERANCE = 1.0  # pixels: rounding of scene coordinates


@pytest.fixture
def stepper(qtbot):
    widget = BackpropStepper()
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def load(stepper, sizes, kwargs, size):
    rng = np.random.default_rng(0)
    n_out = max(sizes[-1], 2)
    x = rng.random((8, sizes[0]), dtype=np.float32)
    y = rng.integers(0, n_out, 8)
    stepper.resize(*size)
    stepper.show_problem(
        NetworkState(Network(sizes, seed=0, **kwargs), 0.5),
        Example(x[0], int(y[0]), "example 0", 0),
        batch=(x, y),
        class_names=tuple(str(c) for c in range(n_out)),
    )


def visible_scene_rect(view) -> QRectF:
    return view.mapToScene(view.viewport().rect()).boundingRect().adjusted(-TOLERANCE, -TOLERANCE, TOLERANCE, TOLERANCE)


def glyph_rect(text_item) -> QRectF:
    """A TextItem's scene rect without its document's blank margin."""
    m = text_item.textItem.document().documentMargin()
    scale = text_item.sceneTransform().m11() or 1.0
    return text_item.sceneBoundingRect().adjusted(m * scale, m * scale, -m * scale, -m * scale)


def rect_in(widget: QWidget, parent: QWidget) -> QRect:
    return QRect(widget.mapTo(parent, QPoint(0, 0)), widget.size())


def assert_apart(widgets, parent: QWidget) -> None:
    """Visible widgets lie inside parent and none overlaps another."""
    shown = [w for w in widgets if w.isVisibleTo(parent)]
    inside = parent.rect()
    for w in shown:
        assert inside.contains(rect_in(w, parent)), (w, rect_in(w, parent), inside)
    for a, b in itertools.combinations(shown, 2):
        assert not rect_in(a, parent).intersects(rect_in(b, parent)), (a, b)


def assert_labels_whole(labels) -> None:
    """Word-wrapped labels are as tall as their text needs at their width."""
    for label in labels:
        if label.isVisible() and label.wordWrap() and label.text():
            assert label.height() + 1 >= label.heightForWidth(label.width()), label.text()[:60]


def assert_tab_fits(panel: QWidget, widgets) -> None:
    scroll = panel.findChild(QScrollArea)
    body = scroll.widget()
    assert body.width() <= scroll.viewport().width()  # no sideways overflow
    assert_apart(widgets, body)
    assert_labels_whole([w for w in widgets if isinstance(w, QLabel)])


def assert_captions_fit(graphics, boxes) -> None:
    """Captions and the pictures or plots (boxes: items) inside the view, none on another."""
    graphics.grab()
    visible = visible_scene_rect(graphics)
    captions = [c.item.sceneBoundingRect() for c in graphics.captions if c.isVisible()]
    rects = [b.sceneBoundingRect() for b in boxes]
    for rect in captions + rects:
        assert visible.contains(rect), (rect, visible)
    for a, b in itertools.combinations(captions + rects, 2):
        assert not a.adjusted(1, 1, -1, -1).intersects(b.adjusted(1, 1, -1, -1)), (a, b)


def assert_strips_fit(strips) -> None:
    view = strips.graphics_view()
    view.grab()
    visible = visible_scene_rect(view)
    texts = [glyph_rect(t) for t in strips.text_items()]
    assert texts
    for rect in texts:
        assert visible.contains(rect), (rect, visible)
    for a, b in itertools.combinations(texts, 2):
        assert not a.intersects(b), (a, b)


def check_everything_fits(stepper, qtbot) -> None:
    assert stepper.tabs.tabBar().width() >= stepper.tabs.tabBar().sizeHint().width()  # no tab scrolled away
    controls = [
        stepper.example_combo,
        stepper.index_spin,
        stepper.target_combo,
        stepper.network_combo,
        stepper.source_label,
        stepper.reset_button,
        stepper.prev_button,
        stepper.play_button,
        stepper.next_button,
        stepper.last_button,
        stepper.step_slider,
        stepper.trace_button,
        stepper.splitter,
    ]
    assert_apart(controls, stepper)
    assert_strips_fit(stepper.strips)
    for tab in range(stepper.tabs.count()):
        stepper.tabs.setCurrentIndex(tab)
        # A tab fills itself when shown, and its layouts settle over a few event loop passes.
        qtbot.waitUntil(lambda: check_tab_fits(stepper, stepper.tabs.currentWidget()), timeout=2000)


def check_tab_fits(stepper, panel) -> None:
    if panel is stepper.neuron_panel:
        n = stepper.neuron_panel
        assert_tab_fits(
            n,
            [n.title_label, n.z_label, n.delta_label, n.gradient_label, n.pictures, n.check_param_combo]
            + [n.check_label],
        )
        pictures = n.pictures
        assert_captions_fit(pictures, pictures.images or pictures.plots)
    elif panel is stepper.wishes_panel:
        w = stepper.wishes_panel
        assert_tab_fits(w, [w.layer_spin, w.neuron_combo, w.graphics, w.caption])
        assert_captions_fit(w.graphics, [w.one_plot, w.all_plot, w.sum_plot])
    elif panel is stepper.update_panel:
        u = stepper.update_panel
        assert_tab_fits(u, [u.cost_label, u.pictures, u.caption])
        assert_captions_fit(u.pictures, u.pictures.images or u.pictures.plots)
    else:
        m = stepper.minibatch_panel
        assert_apart([m.caption, m.table, m.note], m)
        assert_labels_whole([m.caption, m.note])


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("sizes, kwargs", ARCHITECTURES, ids=lambda a: "-".join(map(str, a)) if a else "")
def test_every_tab_and_step_fits_the_dock(stepper, qtbot, sizes, kwargs, size):
    load(stepper, sizes, kwargs, size)
    steps = stepper.trace.steps
    for phase in PHASES:
        stepper.go_to(next(i for i, s in enumerate(steps) if s.phase == phase))
        qtbot.wait(1)  # let the layouts settle
        check_everything_fits(stepper, qtbot)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_perceptron_message_sits_under_the_controls(stepper, qtbot, size):
    load(stepper, (2, 1), {"output": "step", "cost": "quadratic"}, size)
    assert stepper.showing_perceptron()
    qtbot.wait(1)
    label = stepper.message_label
    assert label.y() < stepper.next_button.y() + 3 * stepper.next_button.height()
    assert label.height() + 1 >= label.heightForWidth(label.width())
    assert_apart([stepper.example_combo, stepper.next_button, stepper.trace_button, label], stepper)
