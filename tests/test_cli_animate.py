"""visnet animate: a run file's timeline as an animated GIF, rendered offscreen; bad
arguments and files without a timeline are one line on stderr."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
from PIL import Image, ImageSequence

from visnet import cli


@pytest.fixture(scope="module")
def run_files(tmp_path_factory):
    """A tiny recorded run (20 mini-batches, 21 moments) and the same model without a timeline."""
    folder = tmp_path_factory.mktemp("runs")
    common = ["--layers", "784,16,10", "--train-size", "200", "--test-size", "100", "--epochs", "1", "--quiet"]
    common += ["--lr", "3"]  # learns visibly within the 20 mini-batches
    assert cli.main(["train", *common, "--record", "--save", str(folder / "run.safetensors")]) == 0
    assert cli.main(["train", *common, "--save", str(folder / "model.safetensors")]) == 0
    return folder / "run.safetensors", folder / "model.safetensors"


def frames_of(path) -> list[np.ndarray]:
    with Image.open(path) as gif:
        return [np.asarray(frame.convert("RGB"), dtype=np.int16) for frame in ImageSequence.Iterator(gif)]


def test_animate_writes_the_frames_asked_for_and_they_follow_training(run_files, tmp_path, qapp, capsys):
    run, _ = run_files
    out = tmp_path / "training.gif"
    code = cli.main(
        ["animate", str(run), "--panel", "weights", "--out", str(out), "--frames", "6", "--size", "320x240"]
    )
    assert code == 0, capsys.readouterr().err
    printed = capsys.readouterr().out
    assert f"wrote {out}: 6 frames" in printed
    with Image.open(out) as gif:
        assert gif.n_frames == 6 and gif.size == (320, 240)
        assert gif.info["duration"] == 50 and gif.info["loop"] == 0  # 20 frames a second, for ever
    frames = frames_of(out)
    assert all(f.shape == (240, 320, 3) for f in frames)
    assert np.abs(frames[-1] - frames[0]).mean() > 2  # the weights learned from step 0 to step 20
    assert not [p for p in tmp_path.iterdir() if p != out]  # no temporary file left behind


def test_animate_renders_the_network_and_loss_panels_at_their_size(run_files, tmp_path, qapp):
    run, _ = run_files
    for panel in ("network", "loss"):
        out = tmp_path / f"{panel}.gif"
        assert (
            cli.main(["animate", str(run), "--panel", panel, "--out", str(out), "--frames", "3", "--size", "400x300"])
            == 0
        )
        frames = frames_of(out)
        assert len(frames) == 3 and frames[0].shape == (300, 400, 3)
        assert np.any(frames[0] != frames[-1])


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[0]


def test_a_model_without_a_timeline_is_one_line(run_files, tmp_path, capsys):
    _, model = run_files
    assert cli.main(["animate", str(model), "--out", str(tmp_path / "a.gif")]) == 1
    line = one_error_line(capsys)
    assert "has no timeline; record one with visnet train --record or File ▸ Save Run" in line
    assert not (tmp_path / "a.gif").exists()


@pytest.mark.parametrize(
    "args, says",
    [
        (["--size", "800by600"], "WIDTHxHEIGHT"),
        (["--size", "8x6"], "WIDTHxHEIGHT"),
        (["--fps", "0"], "--fps"),
        (["--fps", "60"], "--fps"),
        (["--frames", "0"], "--frames"),
        (["--panel", "inspector"], "--panel"),
        (["--out", "training.png"], ".gif or .mp4"),
        (["--out", "no/such/folder/a.gif"], "no folder"),
    ],
)
def test_bad_arguments_are_one_line(run_files, tmp_path, monkeypatch, capsys, args, says):
    run, _ = run_files
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as raised:
        cli.main(["animate", str(run), "--out", "a.gif", *args])
    assert raised.value.code == 2
    assert says in one_error_line(capsys)
    assert not list(tmp_path.iterdir())


def test_a_missing_file_and_mp4_without_the_extra_are_one_line(run_files, tmp_path, capsys):
    run, _ = run_files
    assert cli.main(["animate", str(tmp_path / "nothing.safetensors"), "--out", str(tmp_path / "a.gif")]) == 1
    one_error_line(capsys)
    if importlib.util.find_spec("imageio_ffmpeg") is not None:
        pytest.skip("imageio-ffmpeg is installed: MP4 can be written")
    assert cli.main(["animate", str(run), "--out", str(tmp_path / "a.mp4")]) == 1
    assert "pip install visnet[video]" in one_error_line(capsys)


def test_animate_writes_an_mp4_with_the_video_extra(run_files, tmp_path, qapp):
    imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg")
    run, _ = run_files
    out = tmp_path / "training.mp4"
    assert cli.main(["animate", str(run), "--out", str(out), "--frames", "10", "--size", "321x240"]) == 0
    frames = imageio_ffmpeg.read_frames(str(out))
    meta = next(frames)  # the first item is the stream's metadata
    count = sum(1 for _ in frames)
    assert meta["size"] == (322, 240) and count == 10  # widths and heights are padded to even numbers
    assert [p.name for p in tmp_path.iterdir()] == ["training.mp4"]


def test_animate_draws_a_playground_runs_decision_surface(tmp_path, qapp):
    run, out = tmp_path / "xor.safetensors", tmp_path / "surface.gif"
    train = ["train", "--data", "playground:xor", "--layers", "2,8,2", "--activation", "tanh", "--epochs", "20"]
    assert cli.main([*train, "--lr", "0.3", "--quiet", "--record", "--save", str(run)]) == 0
    assert (
        cli.main(["animate", str(run), "--panel", "surface", "--out", str(out), "--frames", "4", "--size", "300x300"])
        == 0
    )
    frames = frames_of(out)
    assert len(frames) == 4 and frames[0].shape == (300, 300, 3)
    assert np.abs(frames[-1] - frames[0]).mean() > 2  # the boundary moved as it learned XOR
