import re

import numpy as np
import pytest

from visnet.core.network import Network
from visnet.core.optim import Schedule, sgd_update
from visnet.core.snapshot import take_snapshot
from visnet.core.training import DivergenceError, TrainConfig, Trainer, TrainingProgress, evaluate


@pytest.fixture(scope="module")
def toy():
    """Four well-separated Gaussian clusters in 8 dimensions."""
    rng = np.random.default_rng(0)
    centres = rng.normal(0, 3, (4, 8))
    labels = rng.integers(0, 4, 600)
    x = centres[labels] + rng.normal(0, 0.5, (600, 8))
    return x[:500], labels[:500], x[500:], labels[500:]


def test_same_seed_gives_bit_identical_training(toy):
    def run():
        net = Network([8, 6, 4], activations="relu", seed=1)
        tr = Trainer(net, *toy, TrainConfig(eta=0.1, momentum=0.9, lmbda=1e-4, batch_size=16, seed=3))
        for _ in range(70):
            tr.step()
        return net

    a, b = run(), run()
    for wa, wb in zip(a.weights + a.biases, b.weights + b.biases):
        np.testing.assert_array_equal(wa, wb)


def test_steps_epochs_and_counters(toy):
    net = Network([8, 6, 4], seed=0)
    tr = Trainer(net, *toy, TrainConfig(batch_size=32))
    assert tr.batches_per_epoch == 16  # 500 / 32 rounded up
    results = [tr.step() for _ in range(16)]
    assert [r.epoch_finished for r in results] == [False] * 15 + [True]
    assert results[-1].batch_size == 500 - 15 * 32
    assert tr.epochs_done == 1 and tr.samples_seen == 500 and tr.steps == 16
    record = tr.history[-1]
    assert record.epoch == 1 and np.isfinite(record.test_loss)
    assert tr.last_evaluation.confusion.sum() == 100


def test_learns_the_clusters_and_evaluation_matches_predictions(toy):
    net = Network([8, 16, 4], activations="relu", seed=0)
    tr = Trainer(net, *toy, TrainConfig(eta=0.1, batch_size=10))
    for _ in range(3):
        tr.run_epoch()
    ev = evaluate(net, toy[2], toy[3])
    assert ev.accuracy > 0.95
    assert ev.accuracy == pytest.approx(np.mean(net.predict(toy[2]) == toy[3]))
    assert ev.confusion.sum() == len(toy[3])
    np.testing.assert_array_equal(ev.confusion.sum(axis=1), np.bincount(toy[3], minlength=4))


def test_hyperparameters_apply_at_the_next_batch(toy):
    net = Network([8, 6, 4], seed=0, dtype="float64")
    tr = Trainer(net, *toy, TrainConfig(eta=0.5, batch_size=10))
    tr.step()
    tr.config.eta, tr.config.batch_size = 0.01, 25
    x, y, _ = tr.next_batch()
    assert len(x) == 25
    expected = [w - 0.01 * g for w, (g, _) in zip(net.weights, net.gradients(x, y))]
    tr.step()
    for w, e in zip(net.weights, expected):
        np.testing.assert_allclose(w, e, rtol=1e-12)


def test_zero_init_hidden_neurons_stay_identical(toy):
    """The symmetry lesson: equal weights get equal gradients and never differentiate.
    Alike up to rounding only: OpenBLAS may compute the last rows of a product with another
    kernel, whose sums round differently."""
    net = Network([8, 5, 4], activations="sigmoid", init="zeros", dtype="float64")
    tr = Trainer(net, *toy, TrainConfig(eta=0.5))
    tr.run_epoch()
    w = net.weights[0]
    assert np.abs(w).max() > 0.1  # it did learn something...
    np.testing.assert_allclose(w, np.broadcast_to(w[0], w.shape), rtol=1e-12, atol=1e-14)  # ...but all rows alike
    np.testing.assert_allclose(net.biases[0], net.biases[0][0], rtol=1e-12, atol=1e-14)


def test_divergence_stops_with_a_clear_error_and_restores_parameters(toy):
    net = Network([8, 32, 4], activations="relu", output="identity", cost="quadratic", seed=0)
    tr = Trainer(net, *toy, TrainConfig(eta=1e4, batch_size=10))
    with pytest.raises(DivergenceError, match="smaller learning rate"):
        for _ in range(1000):
            tr.step()
    assert all(np.isfinite(w).all() for w in net.weights + net.biases)


def test_sgd_update_formula():
    w = np.array([1.0, -2.0])
    g = np.array([0.5, 0.5])
    v = np.zeros(2)
    step = sgd_update(w, g, v, eta=0.1, momentum=0.0, lmbda=0.1)
    np.testing.assert_allclose(step, -0.1 * (g + 0.1 * np.array([1.0, -2.0])))
    np.testing.assert_allclose(w, [1.0, -2.0] + step)
    w2, v2 = np.array([1.0]), np.array([0.0])
    sgd_update(w2, np.array([1.0]), v2, eta=0.1, momentum=0.9)
    sgd_update(w2, np.array([1.0]), v2, eta=0.1, momentum=0.9)
    np.testing.assert_allclose(w2, 1.0 - 0.1 - (0.9 * 0.1 + 0.1))


def test_schedules():
    assert Schedule("constant").factor(3.7) == 1
    assert Schedule("step", gamma=0.1, step_epochs=2).factor(3.9) == pytest.approx(0.1)
    assert Schedule("exponential", gamma=0.5).factor(2) == pytest.approx(0.25)
    cos = Schedule("cosine", total_epochs=10)
    assert cos.factor(0) == 1 and cos.factor(5) == pytest.approx(0.5) and cos.factor(10) == pytest.approx(0)
    with pytest.raises(ValueError):
        Schedule("linear")


def test_invalid_config_and_data_are_refused(toy):
    net = Network([8, 4])
    with pytest.raises(ValueError, match="learning rate"):
        Trainer(net, *toy, TrainConfig(eta=-1))
    with pytest.raises(ValueError, match="labels"):
        Trainer(net, toy[0], toy[1] + 10)
    with pytest.raises(ValueError, match=r"\(n, 8\)"):
        Trainer(net, toy[0][:, :5], toy[1])


def test_layer_stats_report_gradient_rms_and_update_ratio(toy):
    net = Network([8, 6, 4], seed=0, dtype="float64")
    tr = Trainer(net, *toy, TrainConfig(eta=0.3, batch_size=10))
    assert tr.layer_stats() is None
    before = [w.copy() for w in net.weights]
    x, y, _ = tr.next_batch()
    grads = net.gradients(x, y)
    tr.step()
    stats = tr.layer_stats()
    for l, (gw, _) in enumerate(grads):
        assert stats.grad_rms[l] == pytest.approx(np.sqrt(np.mean(gw**2)))
        assert stats.update_ratio[l] == pytest.approx(
            np.linalg.norm(net.weights[l] - before[l]) / np.linalg.norm(net.weights[l])
        )


def test_a_copy_loaded_from_state_continues_bit_identically(toy):
    """Training moves to another process and back through state()/load_state(): the copy
    must take exactly the steps the original would have (across an epoch boundary, with
    momentum, L2 and a schedule), and the original must pick up where the copy stopped."""
    config = TrainConfig(eta=0.1, momentum=0.9, lmbda=1e-4, batch_size=16, seed=3, schedule="exponential")
    reference = Trainer(Network([8, 6, 4], activations="tanh", seed=1), *toy, config)
    original = Trainer(Network([8, 6, 4], activations="tanh", seed=1), *toy, TrainConfig(**config.as_dict()))
    for tr in (reference, original):
        for _ in range(20):
            tr.step()
    weights_before = original.net.weights[0]
    copy = Trainer(Network([8, 6, 4], activations="tanh", seed=99), *toy, TrainConfig(eta=0.5, seed=77))
    copy.load_state(original.state())
    for _ in range(30):  # 32 batches per epoch: the copy crosses into the next epoch
        reference.step()
        copy.step()
    assert copy.epochs_done == reference.epochs_done == 1
    original.load_state(copy.state())
    assert original.net.weights[0] is weights_before  # written in place
    for _ in range(5):
        reference.step()
        original.step()
    assert original.steps == reference.steps == 55
    assert original.history == reference.history
    assert original.config == reference.config
    for a, b in zip(
        original.net.weights + original.net.biases + list(original.velocities[0]),
        reference.net.weights + reference.net.biases + list(reference.velocities[0]),
    ):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(original.layer_stats().grad_rms, reference.layer_stats().grad_rms)


def test_state_of_another_shape_is_refused(toy):
    small = Trainer(Network([8, 6, 4], seed=0), *toy)
    wide = Trainer(Network([8, 7, 4], seed=0), *toy)
    with pytest.raises(ValueError, match="different network"):
        small.load_state(wide.state())


@pytest.fixture(scope="module")
def two_classes():
    """Two Gaussian clusters in 8 dimensions, labels 0 and 1."""
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 2, 400)
    x = np.where(labels[:, None] == 1, 1.0, -1.0) * 1.5 + rng.normal(0, 1.0, (400, 8))
    return x[:300], labels[:300], x[300:], labels[300:]


@pytest.mark.parametrize(("output", "cost"), [("sigmoid", "cross-entropy"), ("tanh", "quadratic")])
def test_one_output_network_learns_two_classes_and_hands_over_its_state(two_classes, output, cost):
    def trainer(seed=1):
        net = Network([8, 6, 1], activations="relu", output=output, cost=cost, seed=seed)
        return Trainer(net, *two_classes, TrainConfig(eta=0.05, momentum=0.5, batch_size=16, seed=3))

    reference, original = trainer(), trainer()
    for tr in (reference, original):
        for _ in range(10):
            tr.step()
    copy = trainer(seed=9)
    copy.load_state(original.state())
    for _ in range(20):  # 19 batches per epoch: crosses an epoch boundary
        reference.step()
        copy.step()
    for a, b in zip(copy.net.weights + copy.net.biases, reference.net.weights + reference.net.biases):
        np.testing.assert_array_equal(a, b)
    assert copy.history == reference.history
    ev = copy.last_evaluation
    assert ev.confusion.shape == (2, 2) and ev.confusion.sum() == 100
    assert ev.accuracy > 0.9
    assert ev.accuracy == pytest.approx(np.mean(copy.net.predict(two_classes[2]) == two_classes[3]))


def test_one_output_trainer_refuses_labels_beyond_1(toy):
    with pytest.raises(ValueError, match=r"labels must lie in 0\.\.1 for 1 output neuron"):
        Trainer(Network([8, 1], output="sigmoid"), toy[0], toy[1])


def test_progress_continues_the_counters_of_a_saved_model(toy):
    """A trainer given a saved model's counters numbers its steps and epochs on from them,
    and its snapshots say so; the training itself is the same as a fresh trainer's."""
    config = TrainConfig(batch_size=32, seed=2)
    fresh = Trainer(Network([8, 6, 4], seed=0), *toy, TrainConfig(**config.as_dict()))
    resumed = Trainer(
        Network([8, 6, 4], seed=0),
        *toy,
        config,
        progress=TrainingProgress(steps=160, epochs_done=10, samples_seen=5000),
    )
    assert resumed.progress == TrainingProgress(160, 10, 5000)
    assert resumed.epoch_progress == 10.0
    snap = take_snapshot(resumed)
    assert (snap.step, snap.epochs_done, snap.samples_seen) == (160, 10, 5000)
    a, b = fresh.run_epoch(), resumed.run_epoch()
    assert (a.epoch, b.epoch) == (1, 11)
    assert (a.train_loss, a.test_loss, a.test_accuracy) == (b.train_loss, b.test_loss, b.test_accuracy)
    np.testing.assert_array_equal(fresh.net.weights[0], resumed.net.weights[0])
    resumed.step()
    snap = take_snapshot(resumed)
    assert (snap.step, snap.epochs_done, snap.samples_seen) == (177, 11, 5532)
    assert 11.0 < snap.epoch_progress < 11.1


def test_progress_survives_state_and_the_schedule_counts_from_the_resumed_run(toy):
    config = TrainConfig(eta=0.4, batch_size=32, schedule="exponential", gamma=0.5)
    fresh = Trainer(Network([8, 6, 4], seed=0), *toy, TrainConfig(**config.as_dict()))
    resumed = Trainer(Network([8, 6, 4], seed=0), *toy, config, progress=TrainingProgress(100, 7, 3200))
    assert resumed.eta == fresh.eta == 0.4  # not 0.4 * 0.5**7: the schedule is this run's
    for _ in range(20):
        fresh.step()
        resumed.step()
    assert resumed.eta == fresh.eta
    copy = Trainer(Network([8, 6, 4], seed=5), *toy)
    copy.load_state(resumed.state())
    assert copy.progress == resumed.progress == TrainingProgress(120, 8, 3200 + 20 * 32 - (32 * 16 - 500), 128 / 500)
    assert copy.eta == resumed.eta
    assert copy.run_epoch().epoch == 9


def test_progress_mid_epoch_goes_on_from_where_the_saved_run_stopped(toy):
    """Saved 4 batches into epoch 3: the resumed run's x goes on from 2.256 and its epoch 3
    ends after the rest of the epoch (a fresh shuffle of the remaining 372 examples)."""
    resumed = Trainer(
        Network([8, 6, 4], seed=0), *toy, TrainConfig(batch_size=32), progress=TrainingProgress(36, 2, 1128, 0.256)
    )
    assert resumed.epoch_progress == pytest.approx(2.256)
    results = [resumed.step() for _ in range(12)]
    assert [r.epoch_finished for r in results] == [False] * 11 + [True]
    assert resumed.history[-1].epoch == 3 and resumed.epoch_progress == 3.0
    assert resumed.progress == TrainingProgress(48, 3, 1128 + 372, 0.0)


@pytest.mark.parametrize(
    "bad",
    [dict(steps=-1), dict(epochs_done=1.5), dict(samples_seen="3"), dict(steps=True), dict(epoch_fraction=1.0)],
)
def test_progress_refuses_nonsense(bad):
    with pytest.raises(ValueError):
        TrainingProgress(**bad)


def test_divergence_goes_back_to_the_step_whose_parameters_it_restores(toy):
    """The message names the step whose parameters are restored, and the counters return to
    it, so every snapshot after the divergence shows that step with those parameters."""
    net = Network([8, 32, 4], activations="relu", output="identity", cost="quadratic", seed=0)
    tr = Trainer(net, *toy, TrainConfig(eta=0.001, batch_size=10))
    for _ in range(30):  # past the checkpoint at step 25
        tr.step()
    good = [w.copy() for w in net.weights]
    tr.config.eta = 1e4
    with pytest.raises(DivergenceError) as caught:
        for _ in range(1000):
            tr.step()
    message = str(caught.value)
    failed = int(re.search(r"diverged at step (\d+)", message).group(1))
    restored = int(re.search(r"Went back to step (\d+)", message).group(1))
    assert restored == 25 < failed
    assert tr.steps == restored and take_snapshot(tr).step == restored
    assert tr.samples_seen == 25 * 10 and tr.position == 25 * 10 and tr.epoch_progress == pytest.approx(0.5)
    assert f"(epoch {tr.epoch_progress:.2f})" in message
    assert len(take_snapshot(tr).batch_indices) == 0  # no batch of the restored state to show
    tr.config.eta = 0.001
    tr.step()  # carries on from step 25: the next batch is the 26th of the epoch's order
    assert tr.steps == 26 and tr.position == 260
    assert not all(np.array_equal(a, b) for a, b in zip(good, net.weights))


def test_snapshot_names_the_training_images_of_the_newest_batch(toy):
    tr = Trainer(Network([8, 6, 4], seed=0), *toy, TrainConfig(batch_size=32))
    assert take_snapshot(tr).batch_indices.size == 0
    x_next, _, labels_next = tr.next_batch()
    tr.step()
    indices = take_snapshot(tr).batch_indices
    assert not indices.flags.writeable
    np.testing.assert_array_equal(tr.x_train[indices], x_next)
    np.testing.assert_array_equal(toy[1][indices], labels_next)
    for _ in range(15):  # the last, shorter batch of the epoch: before the next shuffle
        x_next, _, _ = tr.next_batch()
        tr.step()
    indices = take_snapshot(tr).batch_indices
    assert len(indices) == 500 - 15 * 32
    np.testing.assert_array_equal(tr.x_train[indices], x_next)
