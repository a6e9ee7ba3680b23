"""The visnet command end to end, in a subprocess, as a user runs it."""

import contextlib
import io
import json
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from visnet.io import load_model, open_model


def visnet(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "visnet", *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=120
    )


def test_train_save_info_eval(tmp_path):
    model = tmp_path / "m.safetensors"
    r = visnet(
        "train", "--layers", "784,20,10", "--epochs", "1", "--train-size", "1000", "--test-size", "300", "--save", model
    )
    assert r.returncode == 0, r.stderr
    assert "epoch 1/1" in r.stdout and "test accuracy" in r.stdout and "samples/s" in r.stdout
    net = load_model(model)
    assert net.sizes == (784, 20, 10)
    assert net.info["samples_seen"] == 1000 and net.info["dataset"] == "embedded MNIST"

    r = visnet("info", model)
    assert r.returncode == 0, r.stderr
    assert "784-20-10" in r.stdout and "15,910" in r.stdout

    r = visnet("eval", model)
    assert r.returncode == 0, r.stderr
    assert "accuracy" in r.stdout and "rows: true class" in r.stdout
    # the confusion matrix printed sums to the test split
    rows = [line.split() for line in r.stdout.splitlines() if line.strip()[:1].isdigit() and "%" in line]
    assert len(rows) == 10
    assert sum(int(v) for row in rows for v in row[1:11]) == 2000


def test_resume_continues_from_a_model(tmp_path):
    first, second = tmp_path / "a.safetensors", tmp_path / "b.safetensors"
    assert (
        visnet("train", "--epochs", "1", "--train-size", "500", "--test-size", "100", "--save", first).returncode == 0
    )
    r = visnet(
        "train", "--resume", first, "--epochs", "1", "--train-size", "500", "--test-size", "100", "--save", second
    )
    assert r.returncode == 0, r.stderr
    assert load_model(second).info["samples_seen"] == 1000
    assert not np.array_equal(load_model(first).weights[0], load_model(second).weights[0])


def test_a_bad_model_file_is_one_line_and_exit_code_1(tmp_path):
    bad = tmp_path / "broken.safetensors"
    bad.write_bytes(b"\x00\x01not a model at all")
    for command in ("info", "eval"):
        r = visnet(command, bad)
        assert r.returncode == 1
        assert r.stderr.count("\n") == 1 and "broken.safetensors" in r.stderr
        assert "Traceback" not in r.stderr


def test_usage_errors_exit_with_2():
    assert visnet("train", "--activation", "swish").returncode == 2
    r = visnet("train", "--layers", "100,10")
    assert r.returncode == 2 and "784 inputs" in r.stderr
    assert visnet("eval").returncode == 2


def test_missing_data_set_is_one_line(tmp_path):
    r = visnet("train", "--data", tmp_path / "nowhere")
    assert r.returncode == 1 and "Traceback" not in r.stderr and r.stderr.count("\n") == 1


def test_help_lists_every_command_and_the_window_options():
    r = visnet("--help")
    assert r.returncode == 0
    for command in ("train", "eval", "info", "data"):
        assert f"\n    {command} " in r.stdout
    for option in ("MODEL", "--data DIR", "--playground [SET]", "xor", "spirals", "--version"):
        assert option in r.stdout
    assert visnet("model.safetensors", "--help").stdout.count("--playground") >= 1


def test_data_list_names_each_data_set_and_place_once(tmp_path):
    import os

    folder = tmp_path / "fashion-mnist"
    folder.mkdir()
    for name in (
        "train-images-idx3-ubyte",
        "train-labels-idx1-ubyte",
        "t10k-images-idx3-ubyte",
        "t10k-labels-idx1-ubyte",
    ):
        (folder / name).write_bytes(b"")  # found by name; `data list` does not read them
    env = dict(os.environ, VISNET_DATA=str(folder), HOME=str(tmp_path))
    r = subprocess.run(
        [sys.executable, "-m", "visnet", "data", "list"], capture_output=True, text=True, env=env, timeout=120
    )
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert [line.split()[0] for line in lines].count("fashion-mnist") == 1
    assert r.stdout.count(str(folder)) == 1
    assert lines[0].startswith("embedded ")


def test_saved_models_carry_their_history_and_resuming_numbers_on(tmp_path):
    first, second = tmp_path / "a.safetensors", tmp_path / "b.safetensors"
    small = ("--train-size", "500", "--test-size", "100", "--quiet")
    r = visnet("train", "--epochs", "2", *small, "--save", first)
    assert r.returncode == 0, r.stderr
    model = open_model(first)
    h = model.history
    assert model.warnings == () and (h.steps, h.epochs_done, h.samples_seen) == (100, 2, 1000)
    assert len(h.batch_x) == 100 and [r.epoch for r in h.epochs] == [1, 2]
    assert h.grad_rms.shape == (4, 3)  # every 25 steps (50 steps an epoch)
    last_accuracy = f"{100 * h.test_accuracy[-1]:.2f}%"
    assert "epoch 2/2" in r.stdout and last_accuracy in r.stdout

    r = visnet("info", first)
    assert r.returncode == 0, r.stderr
    assert f"history       2 epochs, 100 steps, 1,000 samples, last test accuracy {last_accuracy}" in r.stdout

    r = visnet("train", "--resume", first, "--epochs", "1", *small, "--save", second)
    assert r.returncode == 0, r.stderr
    assert "epoch 3/3" in r.stdout
    h2 = open_model(second).history
    assert (h2.steps, h2.epochs_done, h2.samples_seen) == (150, 3, 1500)
    np.testing.assert_array_equal(h2.batch_x[:100], h.batch_x)
    assert np.all(np.diff(h2.batch_x) > 0) and [r.epoch for r in h2.epochs] == [1, 2, 3]


def test_a_bad_history_is_a_warning_and_the_model_still_trains(tmp_path):
    import json

    import safetensors.numpy

    model = tmp_path / "m.safetensors"
    assert visnet("train", "--epochs", "1", "--train-size", "200", "--test-size", "50", "--save", model).returncode == 0
    with open(model, "rb") as f:
        n = int.from_bytes(f.read(8), "little")
        meta = json.loads(f.read(n))["__metadata__"]
    arrays = safetensors.numpy.load_file(str(model))
    arrays["history.batch_loss"][3] = np.nan
    safetensors.numpy.save_file(arrays, str(model), metadata=meta)
    for command in (("info", model), ("train", "--resume", model, "--epochs", "1", "--train-size", "200")):
        r = visnet(*command)
        assert r.returncode == 0, r.stderr
        assert r.stderr.count("visnet: warning:") == 1 and "training history ignored" in r.stderr
        assert "Traceback" not in r.stderr


def test_presets_train(tmp_path):
    r = visnet("train", "--preset", "nielsen-network", "--epochs", "1", "--train-size", "500", "--test-size", "100")
    assert r.returncode == 0, r.stderr
    assert "784-30-10" in r.stdout and "eta 3" in r.stdout


def test_ctrl_c_stops_cleanly_and_still_saves(tmp_path):
    import signal

    model = tmp_path / "interrupted.safetensors"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "visnet",
            "train",
            "--epochs",
            "1000",
            "--train-size",
            "2000",
            "--test-size",
            "200",
            "--save",
            str(model),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    first_epoch = proc.stdout.readline()  # blocks until an epoch has been trained
    assert first_epoch.startswith("Network(") or "epoch" in first_epoch
    if "epoch 1/" not in first_epoch:
        assert "epoch 1/" in proc.stdout.readline()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    assert "saved" in out
    assert load_model(model).info["samples_seen"] >= 2000


def test_playground_option_opens_the_window_on_a_2d_set(monkeypatch):
    import visnet.app.main as app_main
    from visnet.cli import main
    from visnet.data.playground import PlaygroundSpec

    opened = []
    monkeypatch.setattr(app_main, "run_app", lambda argv, **kwargs: opened.append(kwargs) or 0)
    assert main(["--playground", "circle"]) == 0
    assert main(["--playground"]) == 0
    assert main([]) == 0
    specs = [k["dataset_spec"] for k in opened]
    assert PlaygroundSpec.parse(specs[0]).name == "circle" and PlaygroundSpec.parse(specs[1]).name == "xor"
    assert specs[2] == "embedded"


def test_train_and_eval_a_playground_network_with_one_output(tmp_path, capsys):
    from visnet.cli import main
    from visnet.io import load_model

    path = tmp_path / "xor.safetensors"
    assert (
        main(
            [
                "train",
                "--data",
                "playground:xor?noise=0.2&points=400",
                "--layers",
                "2,4,1",
                "--activation",
                "tanh",
                "--output",
                "sigmoid",
                "--lr",
                "0.05",
                "--momentum",
                "0.9",
                "--epochs",
                "60",
                "--quiet",
                "--save",
                str(path),
            ]
        )
        == 0
    )
    saved = load_model(path)
    assert saved.sizes == (2, 4, 1) and saved.info["dataset_spec"] == "playground:xor?noise=0.2&points=400"
    capsys.readouterr()
    assert main(["eval", str(path)]) == 0  # finds its playground set from the file
    out = capsys.readouterr().out
    accuracy = float(out.split("accuracy ")[1].split("%")[0])
    assert accuracy >= 95.0
    with pytest.raises(SystemExit) as exit_:
        main(["train", "--data", "playground:xor", "--layers", "2,4,3", "--epochs", "1"])
    assert exit_.value.code == 2 and "end with 1 or 2 outputs" in capsys.readouterr().err


# -- what visnet prints from files, and how it fails ----------------------------------------
# Text a hostile file might hold: any characters, with terminal controls often
HOSTILE_TEXT = st.one_of(st.text(), st.text(alphabet="\x1b\x07\x9b\x7f\x00\n\r\t\u202e\u2028[]0;31mJ"))


def _controls(text: str) -> set[str]:
    return {c for c in text if not c.isprintable() and c != "\n"}


@settings(max_examples=100, deadline=None)
@given(key=HOSTILE_TEXT, value=HOSTILE_TEXT, name=HOSTILE_TEXT)
def test_info_escapes_every_control_character_from_the_file(tmp_path_factory, key, value, name):
    from visnet.cli import printable
    from visnet.core.network import Network
    from visnet.io import save_model

    file_name = ("m" + name.replace("/", "").replace("\0", ""))[:100] + ".safetensors"
    path = save_model(
        Network([2, 3, 2]),
        tmp_path_factory.mktemp("info") / file_name,
        **{"note" + key: value, "dataset": value, "listed": [key, {key: value}]},
    )
    out = _run_main("info", str(path))
    assert not _controls(out), out
    assert printable(file_name) in out and printable("note" + key) in out
    if len(printable(value)) <= 100:
        assert f"dataset       {printable(value)}\n" in out
    as_json = _run_main("info", "--json", str(path))
    assert as_json.isascii() and not _controls(as_json)
    info = json.loads(as_json)["info"]
    assert info["note" + key] == value and info["listed"] == [key, {key: value}]


def _run_main(*argv) -> str:
    """stdout of visnet.cli.main(argv), which must succeed."""
    from visnet.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(list(argv)) == 0
    return out.getvalue()


def test_eval_says_which_data_it_used_and_why(tmp_path, capsys):
    from visnet.cli import main
    from visnet.core.network import Network
    from visnet.io import save_model

    net = Network([784, 8, 10])
    named = save_model(net, tmp_path / "named.safetensors", dataset_spec="embedded", dataset="embedded MNIST")
    unnamed = save_model(net, tmp_path / "unnamed.safetensors")
    for argv, line in [
        (["eval", str(named)], "data: embedded MNIST (embedded, from the model file)\n"),
        (["eval", str(unnamed)], "data: embedded MNIST (embedded, the default: the model file names no data set)\n"),
        (["eval", str(unnamed), "--data", "embedded"], "data: embedded MNIST (embedded, given with --data)\n"),
    ]:
        assert main(argv) == 0
        assert capsys.readouterr().out.startswith(line)


def test_eval_says_in_one_line_when_the_models_data_set_cannot_be_followed(tmp_path, capsys):
    from visnet.cli import main
    from visnet.core.network import Network
    from visnet.io import save_model

    for spec in ("nowhere\x1b[31m", str(tmp_path), "/dev/zero"):
        path = save_model(Network([784, 8, 10]), tmp_path / "m.safetensors", dataset_spec=spec)
        assert main(["eval", str(path)]) == 1
        err = capsys.readouterr().err
        assert err.startswith("visnet: error: cannot use the data set ") and err.count("\n") == 1
        assert "(from the model file)" in err and "choose one with --data" in err and not _controls(err)


def test_the_window_refuses_a_model_path_that_is_not_a_file_in_one_line(monkeypatch, capsys, tmp_path):
    import visnet.app.main as app_main
    from visnet.cli import main

    monkeypatch.setattr(app_main, "run_app", pytest.fail)
    for path, problem in ((tmp_path / "none\x1b.safetensors", "no such model file"), (tmp_path, "not a regular file")):
        assert main([str(path)]) == 1
        err = capsys.readouterr().err
        assert err.startswith(f"visnet: error: {problem}: ") and err.count("\n") == 1 and not _controls(err)


@pytest.fixture
def failing_info(monkeypatch, tmp_path):
    """visnet info raising a bug's exception; crash logs go to tmp_path/cache/visnet."""
    import visnet.cli as cli

    def fail_with(exc):
        def cmd_info(args):
            raise exc

        monkeypatch.setattr(cli, "cmd_info", cmd_info)

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("VISNET_DEBUG", raising=False)
    return fail_with


def test_an_internal_error_is_one_line_with_the_traceback_in_a_crash_log(failing_info, tmp_path, capsys):
    from visnet.cli import main

    failing_info(RuntimeError("something broke\x1b[31m"))
    assert main(["info", "model.safetensors"]) == 70
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and not _controls(err)
    assert err.startswith("visnet: internal error: RuntimeError: something broke\\x1b[31m (details in ")
    (log,) = (tmp_path / "cache" / "visnet").glob("crash-*.log")
    assert err.endswith(f"{log})\n")
    text = log.read_text()
    assert "Traceback (most recent call last)" in text and "RuntimeError: something broke" in text


def test_an_internal_error_without_a_place_for_its_log_is_still_one_line(failing_info, tmp_path, capsys, monkeypatch):
    from visnet.cli import main

    (tmp_path / "cache").write_text("a file where the cache folder would be")
    failing_info(KeyError("x"))
    assert main(["info", "model.safetensors"]) == 70
    err = capsys.readouterr().err
    assert err == "visnet: internal error: KeyError: 'x' (set VISNET_DEBUG=1 to see the details)\n"


def test_visnet_debug_raises_an_internal_error(failing_info, monkeypatch):
    from visnet.cli import main

    failing_info(RuntimeError("for the developer"))
    monkeypatch.setenv("VISNET_DEBUG", "1")
    with pytest.raises(RuntimeError, match="for the developer"):
        main(["info", "model.safetensors"])


def test_ctrl_c_in_any_command_is_one_line_and_exit_code_130(failing_info, capsys):
    from visnet.cli import main

    failing_info(KeyboardInterrupt())
    assert main(["info", "model.safetensors"]) == 130
    assert capsys.readouterr().err == "visnet: interrupted\n"


def test_crash_logs_follow_xdg_cache_home_when_it_is_absolute(monkeypatch, tmp_path):
    from visnet.cli import crash_log_folder

    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert crash_log_folder() == tmp_path / "xdg" / "visnet"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/cache")
    assert crash_log_folder() == tmp_path / "home" / ".cache" / "visnet"


def test_a_reader_that_leaves_ends_the_command_quietly():
    import os

    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        r = subprocess.run(
            [sys.executable, "-m", "visnet", "data", "list"], stdout=write_end, stderr=subprocess.PIPE, timeout=60
        )
    finally:
        os.close(write_end)
    assert r.returncode == 1 and r.stderr == b""


def test_the_confusion_matrix_keeps_a_space_between_columns_for_long_class_names():
    from visnet.cli import format_confusion

    text = format_confusion(np.array([[10, 2, 0], [1, 9, 3], [0, 0, 12]]), ["setosa", "versicolor", "virginica"])
    header = text.splitlines()[1]
    assert header.split() == ["setosa", "versi.", "virgi.", "accuracy"]
    assert [line.split()[1:4] for line in text.splitlines()[2:]] == [
        ["10", "2", "0"],
        ["1", "9", "3"],
        ["0", "0", "12"],
    ]
