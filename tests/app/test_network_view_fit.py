"""The network view's headings and output labels fit the view: the Backpropagation
workspace gives it about 400x380 at 1366x768, and docks can be narrower still."""

import itertools

import numpy as np
import pytest
from PySide6.QtCore import QRectF

from visnet.app.panels.network_view import NetworkView
from visnet.core.network import Network
from visnet.core.snapshot import take_snapshot
from visnet.core.training import TrainConfig, Trainer

SIZES = [(800, 500), (400, 380), (300, 300), (260, 300)]
ARCHITECTURES = [
    ((784, 16, 16, 10), {}),
    ((784, 30, 30, 30, 30, 10), {}),
    ((784, 512, 512, 10), {}),
    ((784, 30, 40), {}),
    ((2, 4, 1), {"activations": "tanh", "output": "sigmoid", "cost": "cross-entropy"}),
]


def snapshot(sizes, kwargs):
    rng = np.random.default_rng(1)
    n_out = max(sizes[-1], 2)
    x = rng.random((40, sizes[0]), dtype=np.float32)
    y = rng.integers(0, n_out, 40)
    trainer = Trainer(Network(sizes, seed=0, **kwargs), x, y, x[:10], y[:10], TrainConfig(eta=0.1, batch_size=10))
    trainer.step()
    return take_snapshot(trainer), x, y, tuple(str(c) for c in range(n_out))


def glyph_rect(text_item) -> QRectF:
    """A TextItem's scene rect without its document's blank margin."""
    m = text_item.textItem.document().documentMargin()
    return text_item.sceneBoundingRect().adjusted(m, m, -m, -m)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("sizes, kwargs", ARCHITECTURES, ids=lambda a: "-".join(map(str, a)) if a else "")
def test_headings_and_output_labels_are_whole_and_apart(qtbot, sizes, kwargs, size):
    view = NetworkView()
    qtbot.addWidget(view)
    view.resize(*size)
    view.show()
    qtbot.waitExposed(view)
    snap, x, y, names = snapshot(sizes, kwargs)
    view.set_sample(x[0], int(y[0]), names)
    view.show_snapshot(snap)
    qtbot.wait(1)
    graphics = view.graphics_view()
    graphics.grab()
    visible = graphics.mapToScene(graphics.viewport().rect()).boundingRect().adjusted(-1, -1, 1, 1)
    texts = view.text_items()
    shown_labels = [t for t in texts if t.toPlainText() in names or t.toPlainText().startswith("class")]
    assert len(shown_labels) >= min(sizes[-1], 5)  # thinned out at most to every other label
    rects = [glyph_rect(t) for t in texts]
    for t, rect in zip(texts, rects):
        assert visible.contains(rect), (t.toPlainText(), rect, visible)
    for (a, ra), (b, rb) in itertools.combinations(zip(texts, rects), 2):
        assert not ra.intersects(rb), (a.toPlainText(), b.toPlainText())


def test_the_output_heading_is_whole_in_the_backprop_workspace_size(qtbot):
    view = NetworkView()
    qtbot.addWidget(view)
    view.resize(400, 380)
    view.show()
    qtbot.waitExposed(view)
    snap, x, y, names = snapshot((784, 16, 16, 10), {})
    view.show_snapshot(snap)
    qtbot.wait(1)
    assert view.text_items()[3].toPlainText() == "output\n10 softmax"  # room enough not to abbreviate
