"""The cost landscape panel: its grid is the core's cost at those parameters, its "now"
marker and path are the least-squares projections, its one-weight view is backprop's slope,
and it follows the moment the session shows."""

import numpy as np
import pytest

from visnet.app.panels.landscape import LandscapePanel
from visnet.app.session import Session
from visnet.app.training.controller import TrainingController
from visnet.core.landscape import combine, project, strongest_weight
from visnet.core.network import Network
from visnet.core.snapshot import take_snapshot
from visnet.core.timeline import is_recorded_step
from visnet.core.training import TrainConfig, Trainer, net_cost


@pytest.fixture
def data(embedded_mnist):
    return embedded_mnist.subset(300, 60)


@pytest.fixture
def trainer(data):
    net = Network((784, 12, 10), seed=0)
    return Trainer(net, data.x_train, data.y_train, data.x_test, data.y_test, TrainConfig(eta=2.0, batch_size=10))


@pytest.fixture
def session(qtbot, data):
    s = Session(TrainingController(use_process=False))
    s.set_dataset(data, "embedded")
    return s


@pytest.fixture
def panel(qtbot, session):
    p = LandscapePanel(session=session, grid_size=9)
    qtbot.addWidget(p)
    p.resize(460, 520)
    p.show()
    qtbot.waitExposed(p)
    yield p
    p.shutdown()


def moment(session, trainer, steps, state="paused"):
    """Train `steps` mini-batches and show the moment, as the window does."""
    for _ in range(steps):
        trainer.step()
    snap = take_snapshot(trainer, state=state)
    session.timeline.add(snap)
    session.show_snapshot(snap)
    return snap


def computed(qtbot, panel, snap):
    """Show snap and wait for the grid it asks for."""
    with qtbot.waitSignal(panel.grid_computed, timeout=5000):
        panel.show_snapshot(snap)
        if not panel.is_computing():
            panel.recompute()


def test_grid_is_the_core_cost_and_now_is_the_origin(qtbot, panel, session, trainer, data):
    snap = moment(session, trainer, 3)
    computed(qtbot, panel, snap)
    grid = panel.grid()
    theta, d1, d2 = panel.plane()
    x, labels = data.x_test, data.y_test
    for r, c in [(0, 0), (4, 4), (8, 2)]:
        w, b = combine(theta, d1, d2, grid.alphas[c], grid.betas[r], np.float32)
        net = Network.from_params(w, b, snap.activations, snap.cost)
        assert grid.costs[r, c] == pytest.approx(net_cost(net, net.forward(x), labels), rel=1e-5)
    assert panel.now_position() == pytest.approx((0.0, 0.0), abs=1e-9)
    np.testing.assert_array_equal(panel.image_array().shape, (9, 9))
    assert "now: C = " in panel.caption_text()


def test_the_marker_follows_new_moments_by_projection(qtbot, panel, session, trainer):
    first = moment(session, trainer, 2)
    computed(qtbot, panel, first)
    theta, d1, d2 = panel.plane()
    later = moment(session, trainer, 4, state="running")  # no new grid within AUTO_S
    expected = project((later.weights, later.biases), theta, d1, d2)[:2]

    def moved():
        panel.show_snapshot(later)  # while training, the marker moves at most every PROJECT_S
        assert panel.now_position() == pytest.approx(expected, rel=1e-9)

    qtbot.waitUntil(moved, timeout=1000)
    assert panel.plane()[0] is theta
    path = panel.path_positions()
    assert path[-1] == pytest.approx(expected)
    assert path[0] == pytest.approx(project((first.weights, first.biases), theta, d1, d2)[:2], abs=1e-9)
    # Looking back at the first moment moves the marker back to it.
    session.look_at(0)
    panel.show_snapshot(session.snapshot)
    assert panel.now_position() == pytest.approx((0.0, 0.0), abs=1e-9)
    assert len(panel.path_positions()) == 1


def test_path_directions_span_the_path(qtbot, panel, session, trainer):
    for _ in range(6):
        snap = moment(session, trainer, 2)
    panel.set_directions("path")
    computed(qtbot, panel, snap)
    theta, d1, d2 = panel.plane()
    assert "path direction 1" in panel._plot.getAxis("bottom").labelText
    path = panel.path_positions()
    assert len(path) == 6
    grid = panel.grid()
    assert all(grid.contains(a, b) for a, b in path)
    for m, point in zip(session.timeline, path):
        assert point == pytest.approx(project((m.weights, m.biases), theta, d1, d2)[:2], abs=1e-9)


def test_a_new_network_clears_the_plane(qtbot, panel, session, trainer):
    computed(qtbot, panel, moment(session, trainer, 1))
    panel.reset()
    assert panel.grid() is None and panel.now_position() is None


def test_one_weight_view_is_the_selected_neurons_strongest_weight(qtbot, panel, session, trainer, data):
    snap = moment(session, trainer, 3)
    panel.show_snapshot(snap)
    session.select_neuron(0, 5)
    panel.set_view("weight")
    assert panel.view() == "weight"

    def drawn_for(layer, j):
        s = panel.weight_view()
        assert s is not None and (s.layer, s.j) == (layer, j)

    qtbot.waitUntil(lambda: drawn_for(0, 5), timeout=2000)
    s = panel.weight_view()
    net = snap.network
    assert s.i == strongest_weight(net, 0, 5)
    grad_w = net.gradients(data.x_test, data.y_test)[0][0]
    assert s.slope == pytest.approx(float(grad_w[5, s.i]), rel=1e-5, abs=1e-9)
    assert s.step == pytest.approx(-snap.eta * s.slope)
    session.select_neuron(1, 2)
    qtbot.waitUntil(lambda: drawn_for(1, 2), timeout=2000)


def test_with_too_large_a_learning_rate_the_drawn_path_zig_zags_across_the_valley(qtbot, panel, session, data):
    # The gradient-descent lesson's network by full-batch gradient descent at η = 2, every step
    # a moment (as the timeline records the first steps of a run): the path drawn on the
    # path's plane reverses along its main direction at every step, and the grid covers it.
    net = Network((784, 16, 16, 10), "sigmoid", output="identity", cost="quadratic", init="normal", seed=0)
    x, labels = data.x_train[:200], data.y_train[:200]
    trainer = Trainer(net, x, labels, data.x_test, data.y_test, TrainConfig(eta=2.0, batch_size=len(x)))
    session.timeline.add(take_snapshot(trainer, state="paused"))
    for _ in range(20):
        snap = moment(session, trainer, 1)
    panel.set_directions("path")
    computed(qtbot, panel, snap)
    path = panel.path_positions()
    assert len(path) == 21
    step = np.diff(path, axis=0)
    assert np.mean(step[1:, 0] * step[:-1, 0] < 0) >= 0.9
    grid = panel.grid()
    assert all(grid.contains(a, b) for a, b in path)


def test_a_run_in_slow_motion_draws_every_step_it_showed(qtbot, panel, session, data):
    # Past the timeline's first 100 steps it records a moment only every 2 %: the path also
    # takes the live moments the marker was shown at, so in slow motion each step is drawn
    # and η = 2's zig-zag across the valley shows (it would alias away in the recorded few).
    net = Network((784, 16, 16, 10), "sigmoid", output="identity", cost="quadratic", init="normal", seed=0)
    x, labels = data.x_train[:200], data.y_train[:200]
    trainer = Trainer(net, x, labels, data.x_test, data.y_test, TrainConfig(eta=0.5, batch_size=len(x)))
    session.timeline.add(take_snapshot(trainer, state="paused"))
    for step in range(1, 201):
        trainer.step()
        if is_recorded_step(step):
            session.timeline.add(take_snapshot(trainer))
    snap = moment(session, trainer, 0)
    computed(qtbot, panel, snap)
    trainer.config.eta = 2.0
    live = []
    for _ in range(16):
        trainer.step()
        snap = take_snapshot(trainer, state="running")
        session.show_snapshot(snap)
        live.append(snap)

        def projected(snap=snap):
            panel.show_snapshot(snap)  # while training, the marker moves at most every PROJECT_S
            expected = project((snap.weights, snap.biases), *panel.plane())[:2]
            assert panel.now_position() == pytest.approx(expected, rel=1e-9)

        qtbot.waitUntil(projected, timeout=2000)
    assert sum(is_recorded_step(m.step) for m in live) <= 5  # what the timeline alone would draw
    with qtbot.waitSignal(panel.grid_computed, timeout=10000):
        panel.recompute()
    theta, d1, d2 = panel.plane()
    path = panel.path_positions()[-16:]
    for m, point in zip(live, path):
        assert point == pytest.approx(project((m.weights, m.biases), theta, d1, d2)[:2], rel=1e-6, abs=1e-9)
    # The overshoot grows from step to step; once it dominates, every step turns back.
    step = np.diff(path[-10:], axis=0)
    assert np.max(np.mean(step[1:] * step[:-1] < 0, axis=0)) >= 0.9
