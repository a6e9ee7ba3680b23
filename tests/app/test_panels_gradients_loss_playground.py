"""Gradient and loss panels with playground networks: a one-output network plots like any
other; the perceptron's plots say it uses no gradients and what its loss is."""

import warnings

import numpy as np
import pytest
from playground_nets import toy, trained

from visnet.app.panels.gradients import GradientPanel
from visnet.app.panels.loss import LossPanel
from visnet.core.network import Network
from visnet.core.snapshot import take_snapshot
from visnet.core.training import TrainConfig, Trainer


def snapshots(net, data, rule="backprop", n=12):
    trainer = Trainer(
        net, data.x_train, data.y_train, data.x_test, data.y_test, TrainConfig(eta=0.1, batch_size=10, rule=rule)
    )
    out = []
    for _ in range(n):
        trainer.run_epoch() if len(out) % 4 == 3 else trainer.step()
        out.append(
            take_snapshot(
                trainer, batch_epochs=[trainer.epoch_progress], batch_losses=[0.0 if rule == "perceptron" else 0.5]
            )
        )
    return out


@pytest.fixture
def gradients(qtbot):
    p = GradientPanel()
    qtbot.addWidget(p)
    p.resize(500, 350)
    p.show()
    return p


@pytest.fixture
def loss(qtbot):
    p = LossPanel()
    qtbot.addWidget(p)
    p.resize(500, 350)
    p.show()
    return p


def test_the_perceptrons_gradient_plot_says_it_uses_no_gradients(gradients):
    data = toy(name="blobs")
    net = Network([2, 1], output="step", cost="quadratic", seed=0)
    snaps = snapshots(net, data, "perceptron")
    for snap in snaps:
        gradients.show_snapshot(snap)
    gradients.flush()
    assert gradients.is_perceptron()
    assert gradients._grad_plot.getAxis("left").labelText == "RMS (ŷ − y)·x"
    assert "The perceptron rule uses no gradients" in gradients.summary()
    epochs, rms, ratio = gradients.history()
    assert len(epochs) == len(snaps) and rms.shape == (len(snaps), 1)
    finite = np.isfinite(rms[:, 0])
    np.testing.assert_allclose(rms[finite, 0], [s.layer_stats.grad_rms[0] for s, f in zip(snaps, finite) if f])
    # a backprop network of the same shape afterwards: back to gradients
    sig = Network([2, 1], output="sigmoid", seed=0)
    gradients.reset()
    for snap in snapshots(sig, data, n=3):
        gradients.show_snapshot(snap)
    assert not gradients.is_perceptron() and gradients._grad_plot.getAxis("left").labelText == "RMS ∂C/∂w"
    assert gradients.summary().startswith("layers 1→1")


def test_a_one_output_network_plots_one_curve_per_layer(gradients):
    data = toy(features=("x1_x2",))
    net = Network([3, 4, 4, 1], "tanh", output="sigmoid", seed=0)
    for snap in snapshots(net, data, n=5):
        gradients.show_snapshot(snap)
    gradients.flush()
    epochs, rms, ratio = gradients.history()
    assert rms.shape == (5, 3) and np.isfinite(rms).all() and np.isfinite(ratio).all()


def test_the_perceptrons_loss_is_labelled_and_zero_losses_draw_on_a_log_axis(loss):
    data = toy(name="blobs")
    net = Network([2, 1], output="step", cost="quadratic", seed=0)
    loss.set_log_scale(True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no divide-by-zero from log10(0)
        for snap in snapshots(net, data, "perceptron"):
            loss.show_snapshot(snap)
        loss.flush()
    assert loss.loss_label() == "C = ½ · fraction wrong"
    assert loss.n_points() == 12
    loss.reset()
    loss.show_snapshot(trained(data)[1])
    assert loss.loss_label() == "loss C"
