"""Every option of the visnet command, fed generated values: each is either accepted as a
valid value or refused with exit code 2 and one line on stderr, before any training."""

import contextlib
import io
import math
import os
import subprocess
import sys
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import visnet.cli as cli
from visnet.cli import MAX_COUNT, MAX_LAYER_SIZE, build_gui_parser, build_parser, main
from visnet.core.network import Network, training_bytes
from visnet.data.toy2d import TOY2D_GENERATORS

PARSER = build_parser()
GUI_PARSER = build_gui_parser()

# Text that looks like numbers and lists more often than st.text() alone would
NUMBERISH = st.one_of(
    st.text(),
    st.text(alphabet="0123456789-+.,e_ \tnaifx٣"),
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.floats().map(str),
    st.lists(st.integers(min_value=-10, max_value=10**9), max_size=6).map(lambda xs: ",".join(map(str, xs))),
)

INT_OPTIONS = {"--batch": 1, "--epochs": 1, "--train-size": 1, "--test-size": 1, "--seed": 0}
FLOAT_OPTIONS = {
    "--lr": lambda v: v > 0,
    "--momentum": lambda v: 0 <= v < 1,
    "--l2": lambda v: v >= 0,
}


def parse(parser, argv):
    """(namespace, None) if argv parses, else (None, stderr) after checking the exit code is 2."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            return parser.parse_args(argv), None
        except SystemExit as exit_:
            assert exit_.code == 2
    return None, err.getvalue()


def assert_one_line(stderr: str, prog: str) -> None:
    assert stderr.endswith("\n") and stderr.count("\n") == 1, stderr
    assert stderr.startswith(f"{prog}: error: ") and "usage:" not in stderr
    assert all(c.isprintable() for c in stderr[:-1])


@settings(max_examples=100, deadline=None)
@given(option=st.sampled_from(sorted(INT_OPTIONS)), text=NUMBERISH)
def test_whole_number_options_are_valid_or_one_line(option, text):
    args, err = parse(PARSER, ["train", f"{option}={text}"])
    if args is None:
        assert_one_line(err, "visnet train")
        assert option in err
        return
    value = getattr(args, option[2:].replace("-", "_"))
    assert type(value) is int and INT_OPTIONS[option] <= value <= MAX_COUNT
    assert text.strip().isascii() and int(text) == value  # plain digits, read as written


@settings(max_examples=100, deadline=None)
@given(option=st.sampled_from(sorted(FLOAT_OPTIONS)), text=NUMBERISH)
def test_real_number_options_are_valid_or_one_line(option, text):
    args, err = parse(PARSER, ["train", f"{option}={text}"])
    if args is None:
        assert_one_line(err, "visnet train")
        assert option in err
        return
    value = getattr(args, option[2:])
    assert math.isfinite(value) and FLOAT_OPTIONS[option](value)
    assert float(text) == value


@settings(max_examples=100, deadline=None)
@given(text=NUMBERISH)
def test_layers_are_two_or_more_sizes_separated_by_commas_or_one_line(text):
    args, err = parse(PARSER, ["train", f"--layers={text}"])
    if args is None:
        assert_one_line(err, "visnet train")
        assert "--layers" in err
        return
    assert len(args.layers) >= 2 and all(1 <= n <= MAX_LAYER_SIZE for n in args.layers)
    assert [int(item) for item in text.split(",")] == args.layers  # a minus is never a separator


@settings(max_examples=100, deadline=None)
@given(
    option=st.sampled_from(sorted(INT_OPTIONS)),
    value=st.one_of(st.integers(min_value=-(10**30), max_value=10**30), st.floats()),
    separate=st.booleans(),
)
def test_numbers_as_separate_arguments_follow_the_same_rules(option, value, separate):
    text = str(value)
    args, err = parse(PARSER, ["train", option, text] if separate else ["train", f"{option}={text}"])
    valid = isinstance(value, int) and INT_OPTIONS[option] <= value <= MAX_COUNT
    assert (args is not None) == valid, err
    if valid:
        assert getattr(args, option[2:].replace("-", "_")) == value
    else:
        assert_one_line(err, "visnet train")


@settings(max_examples=100, deadline=None)
@given(sizes=st.lists(st.integers(min_value=1, max_value=MAX_LAYER_SIZE), min_size=2, max_size=6))
def test_every_valid_layer_list_is_accepted_as_written(sizes):
    args, err = parse(PARSER, ["train", "--layers", ",".join(map(str, sizes))])
    assert args is not None and args.layers == sizes, err


@settings(max_examples=100, deadline=None)
@given(
    option=st.sampled_from(["--activation", "--output", "--cost", "--init", "--schedule", "--dtype", "--preset"]),
    text=st.text(),
)
def test_choice_options_are_a_choice_or_one_line(option, text):
    args, err = parse(PARSER, ["train", f"{option}={text}"])
    if args is None:
        assert_one_line(err, "visnet train")
    else:
        assert getattr(args, option[2:]) == text


@settings(max_examples=200, deadline=None)
@given(
    data=st.one_of(st.text(), st.sampled_from(["/", ".", "~", "~0", "n" * 300, "~/" + "n" * 300])),
    playground=st.text(),
    model=st.text(),
)
def test_window_options_are_valid_or_one_line(data, playground, model):
    for argv in (["--data", data], [f"--playground={playground}"], [f"--data={data}", "--", model]):
        args, err = parse(GUI_PARSER, argv)
        if args is None:
            assert_one_line(err, "visnet")
            continue
        # a data set named, or a file or folder that is there (whether it loads is the window's to say)
        assert (
            args.data is None
            or os.path.exists(cli.user_path(args.data))
            or ":" in args.data
            or args.data.lower()
            in (
                "embedded",
                "mnist",
                "fashion-mnist",
                "kmnist",
            )
        )
        assert args.playground in (None, *TOY2D_GENERATORS)
        assert args.model is None or "\0" not in args.model


def test_save_needs_a_folder_it_can_write_in(tmp_path):
    assert parse(PARSER, ["train", "--save", str(tmp_path / "m.safetensors")])[0].save
    for bad in (tmp_path, tmp_path / "nowhere" / "m.safetensors", "a\0b", tmp_path / ("n" * 300) / "m.safetensors"):
        args, err = parse(PARSER, ["train", "--save", str(bad)])
        assert args is None
        assert_one_line(err, "visnet train")


@pytest.mark.parametrize(
    "option",
    [
        ("--layers", "784,-16,10"),
        ("--train-size", "-5"),
        ("--train-size", "0"),
        ("--test-size", "-1"),
        ("--l2", "nan"),
        ("--l2", "inf"),
        ("--layers", "784,1000000,10"),
        ("--layers", "784,100000000,10"),
    ],
)
def test_arguments_once_misread_are_refused_before_training(option, monkeypatch, capsys):
    monkeypatch.setattr(Network, "__init__", pytest.fail)
    with pytest.raises(SystemExit) as exit_:
        main(["train", *option, "--epochs", "1"])
    assert exit_.value.code == 2
    assert_one_line(capsys.readouterr().err, "visnet train")


def test_a_refused_argument_is_one_line_from_a_real_process():
    r = subprocess.run(
        [sys.executable, "-m", "visnet", "train", "--l2", "nan"], capture_output=True, text=True, timeout=60
    )
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr == "visnet train: error: argument --l2: expected a finite number of 0 or more, got 'nan'\n"


def test_valid_arguments_train(tmp_path, capsys):
    argv = ["train", "--layers", "784, 12,10", "--lr", "0.1", "--momentum", "0.5", "--l2", "1e-4"]
    argv += ["--batch", "7", "--epochs", "1", "--seed", "3", "--train-size", "50", "--test-size", "20", "--quiet"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "Network(784-12-10" in out and "50 train / 20 test" in out and "epoch 1/1" in out


# -- memory ---------------------------------------------------------------------------------
def test_a_network_too_large_for_memory_is_refused_before_allocating(monkeypatch, capsys):
    monkeypatch.setattr(cli, "available_memory", lambda: 2 * 10**9)
    monkeypatch.setattr(Network, "__init__", pytest.fail)  # any allocation would start here
    start = time.perf_counter()
    with pytest.raises(SystemExit) as exit_:
        main(["train", "--layers", "784,100000,100000,10", "--train-size", "50", "--test-size", "20"])
    assert exit_.value.code == 2 and time.perf_counter() - start < 5
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("visnet train: error: --layers 784,100000,100000,10 needs about")
    assert "2.0 GB is available" in err


def test_a_network_that_fits_trains_however_little_memory_is_left(monkeypatch, capsys):
    monkeypatch.setattr(cli, "available_memory", lambda: None)  # unknown: no refusal
    assert main(["train", "--layers", "784,8,10", "--epochs", "1", "--train-size", "50", "--quiet"]) == 0
    need = training_bytes([784, 8, 10], "float32", 2000)
    monkeypatch.setattr(cli, "available_memory", lambda: need - 1)
    with pytest.raises(SystemExit):
        main(["train", "--layers", "784,8,10", "--epochs", "1", "--train-size", "50", "--quiet"])
    monkeypatch.setattr(cli, "available_memory", lambda: need)
    assert main(["train", "--layers", "784,8,10", "--epochs", "1", "--train-size", "50", "--quiet"]) == 0


def test_available_memory_is_a_positive_number_of_bytes_here():
    available = cli.available_memory()
    assert available is None or available > 0


@settings(max_examples=100, deadline=None)
@given(
    sizes=st.lists(st.integers(min_value=1, max_value=10**6), min_size=2, max_size=5),
    batch=st.integers(min_value=1, max_value=10**4),
    dtype=st.sampled_from(["float32", "float64"]),
)
def test_training_bytes_counts_at_least_the_parameters_and_their_copies(sizes, batch, dtype):
    n_params = sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))
    itemsize = np.dtype(dtype).itemsize
    need = training_bytes(sizes, dtype, batch)
    assert need >= itemsize * (5 * n_params + 3 * batch * sum(sizes[1:]))
    assert training_bytes(sizes, dtype, batch + 1) > need
    assert training_bytes([*sizes[:-1], sizes[-1] + 1], dtype, batch) > need


@pytest.mark.parametrize("sizes, rows", [([784, 300, 100, 10], 2000), ([784, 1000, 10], 20)])
def test_training_bytes_is_a_fair_estimate_of_what_training_takes(sizes, rows):
    import tracemalloc

    from visnet.core.training import TrainConfig, Trainer, evaluate

    rng = np.random.default_rng(0)
    x, y = rng.random((rows, 784), dtype=np.float32), rng.integers(0, 10, rows)
    tracemalloc.start()
    net = Network(sizes, init="normal")
    trainer = Trainer(net, x[:20], y[:20], None, None, TrainConfig(batch_size=10, momentum=0.5))
    trainer.step()
    evaluate(net, x, y)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    data = x[:20].nbytes * 2  # the trainer's copy and its shuffled copy: not the network's
    estimate = training_bytes(sizes, "float32", rows)
    assert 0.5 * (peak - data) <= estimate <= 2 * (peak - data)


def test_the_windows_data_option_starts_on_a_data_set_or_names_a_place_to_look(tmp_path):
    """A spec or a folder holding a data set is opened; a data root only searched."""
    (tmp_path / "root" / "MNIST").mkdir(parents=True)
    table = tmp_path / "t.csv"
    table.write_text("a,b,label\n1,2,x\n3,4,y\n")
    assert cli.window_data(None) == ("embedded", None)
    assert cli.window_data(f"table:{table}?label=label") == (f"table:{table}?label=label", None)
    assert cli.window_data(str(table)) == (str(table), None)
    assert cli.window_data(str(tmp_path / "root")) == ("embedded", str(tmp_path / "root"))
    images = tmp_path / "digits"
    (images / "0").mkdir(parents=True)
    (images / "0" / "a.png").write_bytes(b"")
    assert cli.window_data(str(images)) == (str(images), str(images))
    args, err = parse(GUI_PARSER, ["--data", str(tmp_path / "nowhere.csv")])
    assert args is None and "no such data set or file" in err


def test_a_double_dash_given_as_an_option_value_is_refused_in_one_line():
    for option in sorted(INT_OPTIONS):
        args, err = parse(PARSER, ["train", f"{option}=--"])
        assert args is None
        assert_one_line(err, "visnet train")
