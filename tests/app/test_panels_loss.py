"""LossPanel: every batch counted once, epochs plotted, a million batches in bounded memory."""

import dataclasses

import numpy as np
import pytest

from visnet.app.panels.loss import LossPanel
from visnet.core.history import MAX_POINTS, HistoryRecorder, TrainingHistory
from visnet.core.network import Network
from visnet.core.snapshot import take_snapshot
from visnet.core.training import TrainConfig, Trainer


def make_trainer():
    rng = np.random.default_rng(3)
    x = rng.random((60, 784), dtype=np.float32)
    y = rng.integers(0, 10, 60)
    return Trainer(Network((784, 16, 10), seed=0), x, y, x[:20], y[:20], TrainConfig(eta=0.5, batch_size=10))


def run(trainer, steps):
    """Train `steps` batches and return the snapshot a worker would send afterwards."""
    epochs, losses, records = [], [], []
    for _ in range(steps):
        result = trainer.step()
        epochs.append(trainer.epoch_progress)
        losses.append(result.loss)
        if result.epoch_finished:
            records.append(trainer.history[-1])
    return take_snapshot(trainer, epochs, losses, records)


@pytest.fixture
def panel(qtbot):
    p = LossPanel()
    qtbot.addWidget(p)
    p.resize(700, 500)
    p.show()
    return p


def test_counts_every_batch_exactly_once(panel):
    trainer = make_trainer()
    total = 0
    losses = []
    for steps in (3, 7, 1, 12):
        snap = run(trainer, steps)
        losses.extend(snap.batch_losses)
        panel.show_snapshot(snap)
        panel.show_snapshot(snap)  # redrawn without new data: nothing added
        total += steps
        assert panel.n_points() == total
    x, y = panel.batch_losses()
    np.testing.assert_array_equal(y, losses)
    assert np.all(np.diff(x) > 0)


def test_epochs_are_plotted(panel):
    trainer = make_trainer()  # 6 batches per epoch
    panel.show_snapshot(run(trainer, 13))
    panel.flush()
    x, y = panel._test_curve.xData, panel._test_curve.yData
    assert list(x) == [1.0, 2.0]
    assert list(y) == [r.test_loss for r in trainer.history]
    acc = panel._acc_curve.yData
    np.testing.assert_allclose(acc, [100 * r.test_accuracy for r in trainer.history])
    assert "test accuracy" in panel._summary.text()


def test_reset_and_a_new_run(panel):
    trainer = make_trainer()
    panel.show_snapshot(run(trainer, 5))
    panel.reset()
    assert panel.n_points() == 0
    panel.show_snapshot(run(make_trainer(), 2))  # a new run starts at step 0 again
    assert panel.n_points() == 2


def test_a_new_run_without_reset_starts_over(panel):
    panel.show_snapshot(run(make_trainer(), 8))
    panel.show_snapshot(run(make_trainer(), 3))  # step 3 < 8: a different run
    assert panel.n_points() == 3


def test_handles_150000_points(qtbot, panel):
    snap = run(make_trainer(), 1)
    x = np.linspace(0.0, 300.0, 150_000)
    y = 1.0 / (1.0 + x) + 0.01
    big = dataclasses.replace(snap, step=150_000, batch_epochs=x, batch_losses=y)
    panel.show_snapshot(big)
    more = dataclasses.replace(
        big, step=150_010, batch_epochs=np.linspace(300.0, 300.1, 10), batch_losses=np.full(10, 0.01)
    )
    panel.show_snapshot(more)
    assert panel.n_points() <= MAX_POINTS
    panel.set_log_scale(True)
    panel.flush()
    panel.grab()
    shown_x, _ = panel._raw_curve.curve.getData()
    assert len(shown_x) < 20_000  # downsampled for the screen


def test_a_million_batches_keep_a_bounded_faithful_curve(panel):
    """A day at full speed brings hundreds of millions of batches: the panel holds the
    newest as they came and merges older ones into means, in a fixed number of points."""
    snap = run(make_trainer(), 1)
    rng = np.random.default_rng(0)
    chunk, chunks = 5_000, 200
    for k in range(chunks):
        i = np.arange(k * chunk, (k + 1) * chunk)
        x = (i + 1) / 1000
        loss = 2.0 / (1.0 + x / 10) + rng.random(chunk)  # a falling trend, noise of mean 0.5
        panel.show_snapshot(dataclasses.replace(snap, step=(k + 1) * chunk, batch_epochs=x, batch_losses=loss))
    assert panel.n_points() <= MAX_POINTS
    x, raw = panel.batch_losses()
    assert x[0] == 0.001 and x[-1] == 1000.0 and raw[-1] == loss[-1]  # the ends, exactly
    assert np.all(np.diff(x) > 0)
    np.testing.assert_array_equal(raw[-MAX_POINTS // 4 :], loss[-MAX_POINTS // 4 :])  # the newest, as they came
    old = slice(1, 3000)  # means of hundreds of batches each
    assert np.all(np.diff(x[old]) > 0.1)
    np.testing.assert_allclose(raw[old], 2.0 / (1.0 + x[old] / 10) + 0.5, atol=0.1)
    panel.flush()
    assert len(panel._raw_curve.xData) == panel.n_points() and panel._raw_curve.xData[-1] == 1000.0


def test_view_follows_the_last_points_of_a_burst(qtbot, panel):
    trainer = make_trainer()
    for _ in range(5):  # faster than the autorange interval
        panel.show_snapshot(run(trainer, 2))
    last_x = panel.batch_losses()[0][-1]

    def shows_last_point():
        (x0, x1), _ = panel._loss_plot.getViewBox().viewRange()
        assert x0 <= last_x <= x1

    qtbot.waitUntil(shows_last_point, timeout=2000)


def test_many_epochs_are_drawn_as_plain_lines(panel):
    """The playground's small sets finish hundreds of epochs a second: markers on thousands of
    points would cost a frame's whole budget, so past MANY_EPOCHS the curves go plain."""
    from visnet.app.panels.loss import MANY_EPOCHS

    trainer = make_trainer()  # 6 batches per epoch
    panel.show_snapshot(run(trainer, 6 * 3))
    panel.flush()
    assert panel._test_curve.opts["symbol"] == "s" and panel._test_curve.opts["antialias"]
    panel.show_snapshot(run(trainer, 6 * MANY_EPOCHS))
    panel.flush()
    x, _ = panel._test_curve.getData()
    assert len(x) == MANY_EPOCHS + 3  # every epoch still drawn
    assert panel._test_curve.opts["symbol"] is None and not panel._test_curve.opts["antialias"]


def recorded(trainer, steps, recorder=None):
    """Train with a HistoryRecorder as the window does; (snapshot, history)."""
    recorder = recorder or HistoryRecorder(trainer.net.n_layers)
    snap = run(trainer, steps)
    recorder.add_snapshot(snap)
    return snap, recorder


def test_show_history_draws_a_saved_run_then_live_training_appends(panel):
    first = make_trainer()  # 6 batches per epoch
    _, recorder = recorded(first, 14)
    history = recorder.history()
    panel.show_snapshot(run(make_trainer(), 3))  # whatever was shown before goes
    panel.show_history(history)
    x, y = panel.batch_losses()
    np.testing.assert_array_equal(x, history.batch_x)
    np.testing.assert_array_equal(y, history.batch_loss)
    epochs, train, test, acc = panel.epoch_values()
    assert list(epochs) == [1.0, 2.0]
    np.testing.assert_allclose(acc, 100 * history.test_accuracy)
    assert panel.summary().startswith("epoch 2.00")

    resumed = Trainer(
        Network((784, 16, 10), seed=0),
        first.x_train,
        first.y_train,
        first.x_test,
        first.y_test,
        TrainConfig(eta=0.5, batch_size=10),
        progress=history.progress,
    )
    panel.show_snapshot(take_snapshot(resumed))  # before a step: the same step, nothing added
    assert panel.n_points() == 14
    panel.show_snapshot(run(resumed, 6))
    assert panel.n_points() == 20
    x, _ = panel.batch_losses()
    assert np.all(np.diff(x) > 0)  # continues after the saved curve
    assert list(panel.epoch_values()[0]) == [1.0, 2.0, 3.0]

    panel.show_snapshot(run(make_trainer(), 2))  # a fresh trainer: a new run starts over
    assert panel.n_points() == 2


def test_show_history_of_an_untrained_model_is_empty(panel):
    panel.show_history(TrainingHistory(2))
    assert panel.n_points() == 0 and panel.epoch_values()[0].size == 0


def test_a_run_that_goes_back_to_an_earlier_step_drops_the_points_after_it(panel):
    """After a divergence the trainer restores an earlier step: the curve goes back with it
    and carries on from there, instead of starting over."""
    trainer = make_trainer()
    panel.show_snapshot(run(trainer, 9))
    state = trainer.state()
    panel.show_snapshot(run(trainer, 5))
    assert panel.n_points() == 14
    trainer.load_state(state)  # back to step 9, as a divergence restores it
    back = take_snapshot(trainer, state="diverged")
    panel.show_snapshot(back)
    x, _ = panel.batch_losses()
    assert panel.n_points() == 9 and x[-1] <= back.epoch_progress
    panel.show_snapshot(run(trainer, 2))
    assert panel.n_points() == 11
