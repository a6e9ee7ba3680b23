"""visnet compare end to end, in a subprocess: tables, the experiment file, and runs equal
to separate `visnet train` runs bit for bit."""

import subprocess
import sys

import numpy as np
import pytest

from visnet.io import open_experiment, open_model

SMALL = ("--epochs", "1", "--train-size", "300", "--test-size", "100", "--layers", "784,12,10")


def visnet(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "visnet", *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=180
    )


def test_compare_prints_a_row_per_run_per_epoch_and_saves_runs_equal_to_separate_runs(tmp_path):
    out, csv, png = tmp_path / "exp.safetensors", tmp_path / "curves.csv", tmp_path / "curves.png"
    r = visnet(
        "compare", "--vary", "cost=quadratic,cross-entropy", *SMALL, "--epochs", "2", "--momentum", "0.5",
        "--out", out, "--csv", csv, "--png", png,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    for label in ("quadratic", "cross-entropy"):
        rows = [line.split() for line in lines if line.startswith(f"cost: {label} ")]
        assert len(rows) == 3  # two epochs and a result
        assert [row[2] for row in rows[:2]] == ["1/2", "2/2"] and rows[2][-3] == "pts"
    results = lines[lines.index("results") :]
    assert "best test acc" in results[1] and "gap" in results[1]
    assert f"saved {out}" in r.stdout and csv.stat().st_size > 0 and png.read_bytes()[:4] == b"\x89PNG"

    opened = open_experiment(out)
    assert opened.experiment.labels == ("cost: quadratic", "cost: cross-entropy")
    for cost, run in zip(("quadratic", "cross-entropy"), opened.runs):
        model = tmp_path / f"{cost}.safetensors"
        alone = visnet("train", *SMALL, "--epochs", "2", "--momentum", "0.5", "--cost", cost, "--save", model)
        assert alone.returncode == 0, alone.stderr
        separate = open_model(model)
        for a, b in zip(run.network.weights + run.network.biases, separate.network.weights + separate.network.biases):
            assert a.dtype == b.dtype and np.array_equal(a, b)
        assert run.history.epochs == separate.history.epochs
        assert np.array_equal(run.history.batch_loss, separate.history.batch_loss)

    r = visnet("compare", "--open", out)
    assert r.returncode == 0, r.stderr
    assert "2 runs on embedded" in r.stdout and "cost: quadratic" in r.stdout and "results" in r.stdout


def test_a_preset_runs_with_its_labels_in_turns(tmp_path):
    out = tmp_path / "init.safetensors"
    r = visnet("compare", "--preset", "init", "--epochs", "1", "--train-size", "200", "--test-size", "50",
               "--processes", "0", "--record", "--out", out)  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "init: large N(0,1)" in r.stdout and "init: normal N(0,1/n)" in r.stdout
    opened = open_experiment(out)
    assert opened.experiment.name == "init" and all(run.timeline is not None for run in opened.runs)


def test_list_presets():
    r = visnet("compare", "--list-presets")
    assert r.returncode == 0
    assert [line.split()[0] for line in r.stdout.splitlines()] == ["cost", "l2", "activation", "init"]


@pytest.mark.parametrize(
    "args",
    [
        ("--vary", "cost=quadratic"),
        ("--vary", "colour=red,blue"),
        ("--vary", "lr=fast,slow"),
        ("--vary", "cost"),
        ("--vary", "layers=784-12-10,784-12-3"),
        ("--preset", "cost", "--cost", "quadratic"),
        ("--preset", "nope"),
        ("--preset", "cost", "--record", "--record-budget", "1000"),
        (),
    ],
)
def test_a_bad_experiment_is_one_line_and_exit_code_2(args):
    r = visnet("compare", *args, *SMALL)
    assert r.returncode == 2, r.stdout + r.stderr
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("visnet compare: error: ")
    assert "Traceback" not in r.stderr


def test_a_bad_experiment_file_is_one_line_and_exit_code_1(tmp_path):
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json at all}")
    r = visnet("compare", "--open", bad)
    assert r.returncode == 1 and r.stderr.count("\n") == 1 and "bad.safetensors" in r.stderr
    assert "Traceback" not in r.stderr
