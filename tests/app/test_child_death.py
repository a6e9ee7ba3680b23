"""The training child process dying in the window: the training it reported is kept, the
user is told, and the next Train starts a new child."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

import visnet
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
    assert window.banner.isVisible() and not window.banner.action_button.isVisible()
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


ORPHANED_CHILD = """
import os, signal
from visnet.app.training.process import TrainingProcess
from visnet.core.network import Network
from visnet.core.training import TrainConfig, Trainer
from visnet.data.embedded import load_embedded

if __name__ == "__main__":
    data = load_embedded().subset(500, 100)
    net = Network([784, 16, 10], "sigmoid", seed=0)
    trainer = Trainer(net, data.x_train, data.y_train, data.x_test, data.y_test, TrainConfig(epochs=10_000))
    process = TrainingProcess()
    process.begin(trainer, history_sent=0, max_rate=30.0)
    while process.receive(1.0) is None:  # training has begun
        pass
    os.kill(process.pid, signal.SIGINT)  # Ctrl+C in a terminal reaches the child too
    print(process.pid, flush=True)
    os._exit(0)  # the GUI process gone at once: the child's next snapshot meets a closed pipe
"""


def test_a_child_whose_window_is_gone_ends_without_a_word(tmp_path):
    script = tmp_path / "orphan.py"
    script.write_text(ORPHANED_CHILD)
    # The child inherits stderr, so run() returns once both have ended and closed it.
    env = {**os.environ, "PYTHONPATH": str(Path(visnet.__file__).parents[1])}  # this checkout's visnet
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0
    assert done.stdout.strip().isdigit()
    assert done.stderr == ""
