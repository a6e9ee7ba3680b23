"""An experiment's curves as CSV and as a PNG figure, without Qt."""

import csv

import numpy as np
from PIL import Image
from test_io_experiment import tiny_runs

from visnet.io.experiment_export import RUN_COLOURS, save_curves_csv, save_curves_png, smoothed


def test_the_csv_holds_every_point_of_every_run(tmp_path):
    _, runs = tiny_runs(record=False, epochs=12)  # long enough for layer statistics
    assert len(runs[0].history.stats_x)
    path = save_curves_csv(runs, tmp_path / "curves.csv")
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert {r["label"] for r in rows} == {run.label for run in runs}
    for i, run in enumerate(runs, start=1):
        mine = [r for r in rows if r["run"] == str(i)]
        h = run.history
        batch = [float(r["value"]) for r in mine if r["series"] == "batch_loss"]
        assert batch == h.batch_loss.tolist()  # exact: written with repr
        accuracy = [(int(r["x"]), float(r["value"])) for r in mine if r["series"] == "test_accuracy"]
        assert accuracy == list(zip(h.epoch.tolist(), h.test_accuracy.tolist()))
        grad = [r for r in mine if r["series"] == "grad_rms"]
        assert len(grad) == len(h.stats_x) * h.n_layers
        assert {r["layer"] for r in grad} == ({str(l) for l in range(h.n_layers)} if len(h.stats_x) else set())


def test_the_png_shows_each_run_in_its_colour_without_qt(tmp_path):
    _, runs = tiny_runs(record=False)
    path = save_curves_png(runs, tmp_path / "curves.png", title="the learning slowdown")
    image = Image.open(path)
    assert image.format == "PNG" and image.size == (1200, 480)
    pixels = {tuple(p) for p in np.asarray(image.convert("RGB")).reshape(-1, 3)}
    for colour in RUN_COLOURS[: len(runs)]:
        rgb = tuple(int(colour[k : k + 2], 16) for k in (1, 3, 5))
        assert rgb in pixels


def test_smoothing_keeps_the_length_and_a_constant():
    y = np.full(101, 2.0)
    assert np.allclose(smoothed(y), 2.0) and len(smoothed(y)) == 101
    assert len(smoothed(np.arange(3.0))) == 3 and len(smoothed(np.empty(0))) == 0
