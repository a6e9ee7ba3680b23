"""A long run's bounded history in a model file: saved as a faithful curve, opened, continued."""

import numpy as np

import visnet
from visnet.core.history import MAX_POINTS, SAVE_POINTS, HistoryRecorder
from visnet.core.training import EpochRecord, LayerStats, TrainingProgress
from visnet.io import open_model, save_model


def long_run(recorder: HistoryRecorder, start: int, batches: int, chunk: int = 1000) -> None:
    """`batches` mini-batches from batch `start` on, 1,000 per epoch: a loss falling as
    2 / (1 + epochs / 10) plus noise of mean 0.5, an epoch record and layer stats per epoch."""
    rng = np.random.default_rng(start)
    for first in range(start, start + batches, chunk):
        i = np.arange(first, first + chunk)
        x = (i + 1) / 1000
        recorder.add_batches(x, 2.0 / (1.0 + x / 10) + rng.random(chunk))
        epoch = (first + chunk) // 1000
        recorder.add_epochs([EpochRecord(epoch, 1.0 / epoch, 1.1 / epoch, 1 - 0.5 / epoch)])
        recorder.add_layer_stats(x[-1], LayerStats(np.full(2, 1e-2 / epoch), np.full(2, 1e-3)))
    steps = start + batches
    recorder.set_progress(TrainingProgress(steps, steps // 1000, 10 * steps))


def test_a_million_batches_are_saved_as_a_faithful_curve_and_training_goes_on(tmp_path):
    net = visnet.Network([6, 4, 3], "relu", seed=0)
    recorder = HistoryRecorder(net.n_layers)
    long_run(recorder, 0, 1_000_000)
    held = recorder.history()
    assert len(held.batch_x) <= MAX_POINTS

    path = save_model(net, tmp_path / "long.safetensors", history=held)
    saved = open_model(path).history
    assert saved is not None and len(saved.batch_x) == SAVE_POINTS
    assert (saved.steps, saved.epochs_done, saved.samples_seen) == (1_000_000, 1000, 10_000_000)
    assert saved.batch_x[0] == held.batch_x[0] and saved.batch_x[-1] == held.batch_x[-1] == 1000.0
    assert saved.batch_loss[-1] == held.batch_loss[-1]
    assert np.all(np.diff(saved.batch_x) > 0)
    old = slice(1, 1000)  # means of hundreds of batches each: the trend, without the noise
    assert np.all(np.diff(saved.batch_x[old]) > 0.1)
    np.testing.assert_allclose(saved.batch_loss[old], 2.0 / (1.0 + saved.batch_x[old] / 10) + 0.5, atol=0.1)
    assert saved.epoch[0] == 1 and saved.epoch[-1] == 1000  # whole epoch records
    np.testing.assert_allclose(saved.train_loss, 1.0 / saved.epoch)
    np.testing.assert_allclose(saved.grad_rms[:, 0], 1e-2 / np.ceil(saved.stats_x), rtol=0.3)

    again = HistoryRecorder(net.n_layers, start=saved)
    long_run(again, 1_000_000, 100_000)
    h = again.history()
    assert len(h.batch_x) <= MAX_POINTS and np.all(np.diff(h.batch_x) > 0)
    assert h.batch_x[0] == saved.batch_x[0] and h.batch_x[-1] == 1100.0
    assert (h.steps, h.epochs_done) == (1_100_000, 1100) and h.epoch[-1] == 1100
    reopened = open_model(save_model(net, tmp_path / "longer.safetensors", history=h)).history
    assert reopened is not None and reopened.batch_x[-1] == 1100.0
