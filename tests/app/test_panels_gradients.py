"""GradientPanel: one curve per layer with the values of layer_stats, counted once."""

import numpy as np
import pytest

from visnet.app.panels.gradients import GradientPanel
from visnet.core.history import MAX_POINTS, HistoryRecorder
from visnet.core.network import Network
from visnet.core.snapshot import take_snapshot
from visnet.core.training import TrainConfig, Trainer


def make_trainer(sizes=(784, 16, 16, 10)):
    rng = np.random.default_rng(4)
    x = rng.random((80, sizes[0]), dtype=np.float32)
    y = rng.integers(0, sizes[-1], 80)
    return Trainer(Network(sizes, seed=0), x, y, config=TrainConfig(eta=0.5, batch_size=10))


@pytest.fixture
def panel(qtbot):
    p = GradientPanel()
    qtbot.addWidget(p)
    p.resize(700, 500)
    p.show()
    return p


def test_one_curve_per_layer_with_the_stats(panel):
    trainer = make_trainer()
    panel.show_snapshot(take_snapshot(trainer))  # before any step: no stats, no point
    snaps = []
    for _ in range(4):
        trainer.step()
        snap = take_snapshot(trainer)
        snaps.append(snap)
        panel.show_snapshot(snap)
        panel.show_snapshot(snap)  # the same snapshot again adds nothing
    panel.flush()
    curves = panel.curves()
    assert len(curves) == 3
    assert [c.name() for c in curves] == ["layer 1 (784→16)", "layer 2 (16→16)", "layer 3 (16→10)"]
    for l, curve in enumerate(curves):
        x, y = curve.xData, curve.yData
        np.testing.assert_allclose(x, [s.epoch_progress for s in snaps])
        np.testing.assert_allclose(y, [s.layer_stats.grad_rms[l] for s in snaps])
    for l, curve in enumerate(panel.ratio_curves()):
        y = curve.yData
        np.testing.assert_allclose(y, [s.layer_stats.update_ratio[l] for s in snaps])


def test_new_architecture_rebuilds_the_curves(panel):
    trainer = make_trainer()
    trainer.step()
    panel.show_snapshot(take_snapshot(trainer))
    deep = make_trainer((784, 32, 16, 16, 16, 10))
    deep.step()
    panel.show_snapshot(take_snapshot(deep))
    assert len(panel.curves()) == 5
    epochs, grads, ratios = panel.history()
    assert grads.shape == (1, 5) and ratios.shape == (1, 5)


def test_reset_forgets(panel):
    trainer = make_trainer()
    for _ in range(3):
        trainer.step()
        panel.show_snapshot(take_snapshot(trainer))
    panel.reset()
    assert panel.history()[0].size == 0
    trainer.step()
    panel.show_snapshot(take_snapshot(trainer))
    assert panel.history()[0].size == 1


def test_show_history_draws_the_saved_series_then_live_training_appends(panel):
    trainer = make_trainer()
    recorder = HistoryRecorder(3)
    for _ in range(5):
        trainer.step()
        recorder.add_snapshot(take_snapshot(trainer))
    history = recorder.history()
    panel.show_history(history, sizes=(784, 16, 16, 10))
    assert [c.name() for c in panel.curves()] == ["layer 1 (784→16)", "layer 2 (16→16)", "layer 3 (16→10)"]
    epochs, grads, ratios = panel.history()
    np.testing.assert_array_equal(epochs, history.stats_x)
    np.testing.assert_array_equal(grads, history.grad_rms)
    np.testing.assert_array_equal(ratios, history.update_ratio)
    panel.flush()
    np.testing.assert_array_equal(panel.curves()[1].yData, history.grad_rms[:, 1])
    assert "RMS" in panel.summary()

    resumed = Trainer(Network((784, 16, 16, 10), seed=0), trainer.x_train, trainer.y_train, progress=history.progress)
    resumed.step()
    panel.show_snapshot(take_snapshot(resumed))
    epochs, grads, _ = panel.history()
    assert grads.shape == (6, 3) and np.all(np.diff(epochs) > 0)

    panel.show_history(history)  # the same network: sizes may be left out
    assert panel.history()[1].shape == (5, 3)
    with pytest.raises(ValueError, match="sizes"):
        panel.show_history(HistoryRecorder(2).history())


def test_hours_of_snapshots_keep_a_bounded_series(panel):
    """At 30 snapshots a second a day brings millions of points: the panel holds a fixed
    number, the newest as they came and older ones merged into means."""
    import dataclasses

    from visnet.core.history import TrainingHistory

    n = 3 * MAX_POINTS
    step = np.arange(1, n + 1)
    grad = np.repeat(1e-3 * (1 + step % 2)[:, None], 3, axis=1)  # alternating 1e-3, 2e-3: means 1.5e-3
    ratio = np.repeat([[0.0, 1e-3, 1e-3]], n, axis=0)  # a layer that never moves: no logarithm, a gap
    long = TrainingHistory(3, stats_x=step / 100, grad_rms=grad, update_ratio=ratio, steps=n)
    panel.show_history(long, sizes=(784, 16, 16, 10))
    trainer = make_trainer()
    trainer.step()
    snap = take_snapshot(trainer)
    for k in range(1, 11):  # live training goes on after it
        panel.show_snapshot(dataclasses.replace(snap, step=n + k, epoch_progress=(n + k) / 100))
    epochs, grads, ratios = panel.history()
    assert len(epochs) <= MAX_POINTS and epochs[-1] == (n + 10) / 100 and epochs[0] == 0.01
    assert np.all(np.diff(epochs) > 0)
    np.testing.assert_allclose(grads[1:1000], 1.5e-3)  # older points: means
    np.testing.assert_array_equal(grads[-100:-10], grad[-90:])  # the newest: as they came
    assert np.all(np.isnan(ratios[:-10, 0])) and np.all(ratios[:-10, 1:] == 1e-3)
