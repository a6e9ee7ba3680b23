"""visnet train --record: a run file holding the timeline, which visnet info describes and a
resumed run continues."""

import subprocess
import sys

import numpy as np

from visnet.core.timeline import is_recorded_step
from visnet.io import open_model


def visnet(*args):
    return subprocess.run(
        [sys.executable, "-m", "visnet", *map(str, args)], capture_output=True, text=True, timeout=120
    )


def test_a_recorded_run_is_saved_described_and_continued(tmp_path):
    run = tmp_path / "run.safetensors"
    common = ("--layers", "784,12,10", "--train-size", "200", "--test-size", "100", "--batch", "10", "--quiet")
    r = visnet("train", *common, "--epochs", "2", "--record", "--save", run)
    assert r.returncode == 0, r.stderr
    opened = open_model(run)
    steps = opened.timeline.steps.tolist()
    assert steps == [0] + [s for s in range(1, 41) if is_recorded_step(s)]  # 2 epochs of 20 batches
    last = opened.timeline.last
    for a, b in zip(last.weights, opened.network.weights):
        np.testing.assert_array_equal(a, b)  # the newest moment is the network saved
    assert opened.timeline.is_kept(0) and opened.timeline.is_kept(len(steps) - 1)

    r = visnet("info", run)
    assert r.returncode == 0 and f"{len(steps)} moments from step 0 to 40" in r.stdout

    more = tmp_path / "more.safetensors"
    r = visnet("train", "--resume", run, *common, "--epochs", "1", "--record", "--save", more)
    assert r.returncode == 0, r.stderr
    assert open_model(more).timeline.steps.tolist()[: len(steps)] == steps  # the run goes on
    assert open_model(more).timeline.steps[-1] == 60


def test_record_needs_save_and_a_budget_that_is_a_number():
    r = visnet("train", "--record", "--epochs", "1")
    assert r.returncode == 2 and "--record needs --save" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    r = visnet("train", "--record-budget", "lots")
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1
