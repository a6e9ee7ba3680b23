"""The training child process dying in the window: the training it reported is kept, the
user is told, and the next Train starts a new child."""

from __future__ import annotations

import os
import signal
import time

import numpy as np

from visnet.app.training.process import CHECKPOINT_INTERVAL_S
from visnet.io import open_model


def test_killing_the_training_process_keeps_the_training_and_says_so(qtbot, make_main_window, tmp_path):
    window = make_main_window()
    controller = window.controller
    window.train_action.trigger()
    started = time.monotonic()
    qtbot.waitUntil(lambda: controller.training_pid is not None, timeout=10_000)
    # Long enough for the child to have sent a checkpoint or two
    qtbot.waitUntil(lambda: time.monotonic() - started > 2.5 * CHECKPOINT_INTERVAL_S, timeout=10_000)
    pid = controller.training_pid
    os.kill(pid, signal.SIGKILL)
    qtbot.waitUntil(lambda: controller.state == "paused", timeout=5000)
    qtbot.waitUntil(lambda: window.session.snapshot.state == "paused", timeout=3000)

    kept = controller.latest_snapshot
    assert kept.step > 300  # not rolled back to where Train was pressed
    assert window.banner.isVisible() and not window.banner.lower_button.isVisible()
    assert "killed by signal 9" in window.banner.text()
    assert f"kept up to epoch {kept.epoch_progress:.1f}" in window.banner.text()
    assert window.train_action.text() == "Train"
    x, loss = window.loss_panel.batch_losses()
    assert len(x) > 0 and x[-1] == kept.epoch_progress  # the curve reaches the kept step
    with controller.locked_trainer() as trainer:
        assert trainer.steps == kept.step
        for w, shown in zip(trainer.net.weights, kept.weights):
            np.testing.assert_array_equal(w, shown)

    assert window.save_model_to(tmp_path / "kept.safetensors")  # and the work can be saved, curve and all
    saved = open_model(tmp_path / "kept.safetensors")
    assert saved.history.steps == kept.step and len(saved.history.batch_x) > 0

    window.train_action.trigger()  # Space: a new child goes on from the kept state
    qtbot.waitUntil(lambda: controller.training_pid not in (None, pid), timeout=5000)
    qtbot.waitUntil(lambda: controller.latest_snapshot.step > kept.step + 50, timeout=5000)
    assert not window.banner.isVisible()
    assert window.errors == []
