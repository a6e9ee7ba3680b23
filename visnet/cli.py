"""The `visnet` command: no subcommand opens the window; train / eval / info / data / export /
animate work headless.

Exit codes: 0 success, 1 a bad model or data file (one line on stderr), 2 a usage error,
70 an internal error (one line; the traceback goes to a crash log), 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

import numpy as np

from . import __version__
from .printable import printable

SUBCOMMANDS = ("train", "compare", "eval", "info", "data", "export", "animate", "lessons")

PRESETS = {
    "3b1b": dict(
        layers="784,16,16,10",
        activation="sigmoid",
        output="softmax",
        cost="cross-entropy",
        init="normal",
        lr=0.5,
        batch=10,
        epochs=5,
    ),
    "nielsen-network": dict(
        layers="784,30,10",
        activation="sigmoid",
        output="sigmoid",
        cost="quadratic",
        init="large",
        lr=3.0,
        batch=10,
        epochs=30,
    ),
    "nielsen-network2": dict(
        layers="784,30,10",
        activation="sigmoid",
        output="sigmoid",
        cost="cross-entropy",
        init="normal",
        lr=0.5,
        batch=10,
        epochs=30,
        l2=1e-4,
    ),
}
PRESET_HELP = {
    "3b1b": "3Blue1Brown's 784-16-16-10 sigmoid network, softmax + cross-entropy",
    "nielsen-network": "Nielsen's network.py: 784-30-10 sigmoid, quadratic cost, eta 3.0, N(0,1) init",
    "nielsen-network2": "Nielsen's network2.py: 784-30-10 sigmoid, cross-entropy, eta 0.5, L2, N(0,1/n) init",
}
# The defaults are the 3Blue1Brown network, which is also what the window opens with.
TRAIN_DEFAULTS = dict(
    layers="784,16,16,10",
    activation="sigmoid",
    output="softmax",
    cost="cross-entropy",
    init="normal",
    lr=0.5,
    momentum=0.0,
    l2=0.0,
    schedule="constant",
    batch=10,
    epochs=5,
    seed=0,
)


# A layer this wide is far beyond what MNIST needs or the window can draw; the memory check
# below catches the networks of smaller layers that still do not fit.
MAX_LAYER_SIZE = 100_000
# Counts and seeds stay within an int64, the widest integer numpy and the model files hold.
MAX_COUNT = 2**63 - 1
# visnet animate: the panels it renders (app/offscreen_animation.py's PANEL_DOCKS) and its limits
ANIMATE_PANELS = ("weights", "network", "loss", "gradients", "surface")
ANIMATION_FORMATS = (".gif", ".mp4")
MAX_ANIMATION_FPS = 50  # a GIF's frame delay is whole centiseconds; viewers slow down anything faster
MAX_ANIMATION_FRAMES = 10_000
MAX_FRAME_SIDE = 8192
INTERNAL_ERROR = 70  # EX_SOFTWARE in sysexits.h
INTERRUPTED = 130  # 128 + SIGINT, as shells report it
DEBUG_VARIABLE = "VISNET_DEBUG"  # set to 1 to see an internal error's traceback instead of a crash log


class CliError(Exception):
    """A problem to report in one line with exit code 1 (bad file, missing data)."""


class OneLineArgumentParser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line, `visnet train: error: ...`; the
    usage itself is one `--help` away."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {printable(message)}\n")

    def _get_values(self, action, arg_strings):
        # argparse drops a "--" given as an option's value (--batch=--) and would pass [] on
        # without calling the option's type, so nothing would check it.
        if arg_strings == ["--"] and action.option_strings and action.nargs is None:
            self.error(f"argument {'/'.join(action.option_strings)}: expected a value, got '--'")
        return super()._get_values(action, arg_strings)


def _whole_number(lowest: int, highest: int = MAX_COUNT) -> Callable[[str], int]:
    """An argparse type: a whole number from lowest to highest, in decimal digits."""
    rule = f"from {lowest} to {highest:,}" if highest < MAX_COUNT else f"of {lowest} or more"

    def parse(text: str) -> int:
        digits = text.strip()
        # 30 digits exceed every highest here and keep int() far from its 4,300-digit limit
        plain = digits.isascii() and digits.isdigit() and len(digits) <= 30
        if not (plain and lowest <= int(digits) <= highest):
            raise argparse.ArgumentTypeError(f"expected a whole number {rule}, got {text!r}")
        return int(digits)

    return parse


def _real_number(accept: Callable[[float], bool], rule: str) -> Callable[[str], float]:
    """An argparse type: a finite number for which accept() holds; rule says which."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and accept(value)):
            raise argparse.ArgumentTypeError(f"expected a finite number {rule}, got {text!r}")
        return value

    return parse


positive_count = _whole_number(1)
seed_number = _whole_number(0)
layer_size = _whole_number(1, MAX_LAYER_SIZE)
learning_rate = _real_number(lambda v: v > 0, "above 0")
momentum_value = _real_number(lambda v: 0 <= v < 1, "from 0 up to but not including 1")
l2_value = _real_number(lambda v: v >= 0, "of 0 or more")


def frame_size(text: str) -> tuple[int, int]:
    """An argparse type: WIDTHxHEIGHT in pixels, such as 800x600."""
    width, x, height = text.strip().lower().partition("x")
    side = _whole_number(16, MAX_FRAME_SIDE)
    try:
        return side(width), side(height)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"expected a size WIDTHxHEIGHT in pixels from 16 to {MAX_FRAME_SIDE:,}, like 800x600, got {text!r}"
        ) from None


def layer_sizes(text: str) -> list[int]:
    """An argparse type: two or more layer sizes separated by commas, input first."""
    items = text.split(",")
    if len(items) < 2:
        raise argparse.ArgumentTypeError(
            f"expected two or more layer sizes separated by commas, like 784,16,16,10, got {text!r}"
        )
    try:
        return [layer_size(item) for item in items]
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"expected layer sizes from 1 to {MAX_LAYER_SIZE:,} separated by commas, like 784,16,16,10, got {text!r}"
        ) from None


def user_path(text: str) -> Path:
    """text as a path with a leading ~ expanded; as written when ~name names no user."""
    try:
        return Path(text).expanduser()
    except RuntimeError:
        return Path(text)


def data_spec(text: str) -> str:
    """An argparse type: a data set spec whose file or folder, if it names one, exists (the
    window says in a message if it then cannot be loaded)."""
    from .data.discovery import KINDS
    from .data.playground import is_playground
    from .data.specs import is_folder_spec, is_table_spec

    if "\0" in text:
        raise argparse.ArgumentTypeError(f"a data set cannot hold a NUL character, got {text!r}")
    named = text.lower() in ("embedded", *KINDS) or is_playground(text) or is_folder_spec(text) or is_table_spec(text)
    if not (named or os.path.exists(user_path(text))):  # os.path: False, not OSError, on a name too long
        raise argparse.ArgumentTypeError(f"no such data set or file: {text!r}")
    return text


def file_path(text: str) -> str:
    """An argparse type: text the operating system can take as a path; whether the file is
    there and readable is the loader's to say."""
    if "\0" in text:
        raise argparse.ArgumentTypeError(f"a path cannot hold a NUL character, got {text!r}")
    return text


def save_path(text: str) -> str:
    """An argparse type: a file path in a folder that exists and can be written, so that a
    training run cannot end unable to save."""
    path = Path(file_path(text))
    folder = path.parent
    if os.path.exists(path) and not os.path.isfile(path):
        raise argparse.ArgumentTypeError(f"{text!r} is not a regular file; give a file name such as model.safetensors")
    if not os.path.isdir(folder):
        raise argparse.ArgumentTypeError(f"no folder {str(folder)!r} to save {path.name!r} in")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise argparse.ArgumentTypeError(f"cannot write in the folder {str(folder)!r}")
    return text


def animation_path(text: str) -> str:
    """An argparse type: a .gif or .mp4 file that save_path accepts."""
    if Path(text).suffix.lower() not in ANIMATION_FORMATS:
        raise argparse.ArgumentTypeError(f"give a file ending in .gif or .mp4, got {text!r}")
    return save_path(text)


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineArgumentParser(
        prog="visnet",
        usage="visnet [MODEL] [--data DIR] [--playground [SET]] [--lesson NAME]     open the window\n"
        "       visnet train|compare|eval|info|data|export|animate|lessons [options] work headless\n"
        "       visnet [-h] [--version]",
        description="See inside a neural network while it learns. Without a COMMAND, "
        "opens the window, with MODEL loaded if one is given.",
        epilog="Run 'visnet COMMAND --help' for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"visnet {__version__}")
    window = parser.add_argument_group(
        "opening the window (no COMMAND)",
        "MODEL: a model file to open (visnet or PyTorch .safetensors, network2.py JSON, .onnx, .keras, .skops), "
        "or an experiment file (visnet compare --out), opened in the Compare runs workspace.",
    )
    _add_window_options(window)
    sub = parser.add_subparsers(title="commands", dest="command", metavar="COMMAND", prog="visnet")

    train = sub.add_parser(
        "train",
        help="train a network headless, with a progress bar",
        description="Train a network on the command line.",
    )
    train.add_argument(
        "--preset",
        choices=sorted(PRESETS),
        help="; ".join(f"{k}: {v}" for k, v in PRESET_HELP.items()) + " (other options override it)",
    )
    _add_run_options(train)
    train.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    _add_data_option(train)
    _add_subset_options(train)
    train.add_argument("--resume", metavar="MODEL", help="continue training this model instead of a new network")
    train.add_argument("--save", type=save_path, metavar="PATH", help="save the trained model here (also after Ctrl+C)")
    train.add_argument("--quiet", action="store_true", help="no progress bars, only the per-epoch lines")
    train.add_argument(
        "--record",
        action="store_true",
        help="record the run's timeline and save it with --save (a run file the window replays)",
    )
    train.add_argument(
        "--record-budget",
        type=_whole_number(1, 2**20),
        default=256,
        metavar="MB",
        help="memory the timeline may hold, in MB (default 256): a wide network keeps fewer moments",
    )

    compare = sub.add_parser(
        "compare",
        help="an experiment: two to four runs on the same data, side by side, with a results table",
        description="Train two to four runs of the same data, each with its own settings, side by side (a "
        "process per core, in turns on fewer cores), with the same seed unless the seed is varied. Prints one "
        "row per run per epoch and a results table, and saves the experiment (every run with its weights and "
        "curves) in one file. The other options set what the runs share.",
    )
    what = compare.add_mutually_exclusive_group()
    what.add_argument(
        "--vary",
        action="append",
        metavar="NAME=V1,V2",
        help="a setting and one value per run (2 to 4), e.g. cost=quadratic,cross-entropy, lr=0.1,0.5, "
        "layers=784-30-10,784-100-10; several --vary vary together (run i takes the i-th value of each)",
    )
    what.add_argument("--preset", metavar="NAME", help="one of the book's comparisons (see --list-presets)")
    what.add_argument("--list-presets", action="store_true", help="list the ready-made experiments and exit")
    what.add_argument(
        "--open", type=file_path, metavar="EXPERIMENT", help="print a saved experiment's results (and export them)"
    )
    _add_run_options(compare)
    compare.add_argument("--dtype", choices=("float32", "float64"), help="float32 (default) or float64")
    _add_data_option(compare)
    _add_subset_options(compare)
    compare.add_argument(
        "--processes",
        type=_whole_number(0, 64),
        metavar="N",
        help="worker processes (default: one per run, up to the cores; 0: train in this process, in turns)",
    )
    compare.add_argument(
        "--out",
        type=save_path,
        metavar="PATH",
        help="save the experiment here (default compare-NAME-DATE-TIME.safetensors in this folder)",
    )
    compare.add_argument("--csv", type=save_path, metavar="PATH", help="also write every run's curves as CSV")
    compare.add_argument("--png", type=save_path, metavar="PATH", help="also draw the curves as a PNG figure")
    compare.add_argument("--record", action="store_true", help="keep each run's timeline in the experiment file")
    compare.add_argument(
        "--record-budget",
        type=_whole_number(1, 2**20),
        default=256,
        metavar="MB",
        help="memory each run's timeline may hold, in MB (default 256)",
    )

    ev = sub.add_parser(
        "eval",
        help="accuracy, loss and confusion matrix of a model",
        description="Evaluate a model on a data set's test split.",
    )
    ev.add_argument("model", type=file_path, metavar="MODEL")
    _add_data_option(ev, default=None)

    info = sub.add_parser(
        "info",
        help="architecture, parameter count and metadata of a model",
        description="Describe a model file without loading its data set.",
    )
    info.add_argument("model", type=file_path, metavar="MODEL")
    info.add_argument("--json", action="store_true", help="print the full description as JSON")

    export = sub.add_parser(
        "export",
        help="write a model as ONNX or as a PyTorch state dict",
        description="Write a model (any file visnet opens) for other tools: as ONNX, Gemm and activation "
        "nodes with input 'input' (N, n_in) and output 'output', opset 17, for onnxruntime and Netron (needs the "
        "onnx package: pip install visnet[onnx]); or as a PyTorch state dict (0.weight, 0.bias, 2.weight, ...) "
        "saved with safetensors, printing the nn.Sequential that loads it.",
    )
    export.add_argument("model", type=file_path, metavar="MODEL")
    export.add_argument("--onnx", type=save_path, metavar="PATH", help="write the network as ONNX here")
    export.add_argument(
        "--state-dict", type=save_path, metavar="PATH", help="write the PyTorch state dict here (.safetensors)"
    )

    animate = sub.add_parser(
        "animate",
        help="a run's timeline as an animated GIF (or MP4) of a panel, rendered offscreen",
        description="Render a panel as the network was at evenly spaced moments of a run file's timeline "
        "(visnet train --record --save RUN, or File > Save Run), offscreen, without a display, and write "
        "them as an animated GIF, or as MP4 with the optional extra (pip install visnet[video]).",
    )
    animate.add_argument("run", type=file_path, metavar="RUN", help="a run file: a model saved with its timeline")
    animate.add_argument(
        "--panel",
        choices=ANIMATE_PANELS,
        default="weights",
        help="the panel to animate: weight images, network view, loss and accuracy, gradients, or the "
        "decision surface of a playground run (default weights)",
    )
    animate.add_argument("--out", type=animation_path, required=True, metavar="PATH", help="the .gif or .mp4 to write")
    animate.add_argument(
        "--fps", type=_whole_number(1, MAX_ANIMATION_FPS), default=20, help="frames a second (default 20)"
    )
    animate.add_argument(
        "--size", type=frame_size, default=(800, 600), metavar="WxH", help="frame size in pixels (default 800x600)"
    )
    animate.add_argument(
        "--frames",
        type=_whole_number(1, MAX_ANIMATION_FRAMES),
        metavar="N",
        help="number of frames, evenly spaced over the timeline's moments (default: every moment, up to 200)",
    )

    data = sub.add_parser(
        "data",
        help="find or download MNIST, Fashion-MNIST and Kuzushiji-MNIST",
        description="Manage the full data sets.",
    )
    data_sub = data.add_subparsers(dest="data_command", metavar="ACTION", required=True)
    fetch = data_sub.add_parser(
        "fetch",
        help="download the official IDX files (SHA-256 checked)",
        description="Download a data set's four IDX files, verify them and write atomically.",
    )
    fetch.add_argument("kind", choices=("mnist", "fashion-mnist", "kmnist"))
    fetch.add_argument(
        "--dir", metavar="DIR", help="download folder (default: $VISNET_DATA/KIND or ~/.local/share/visnet/data/KIND)"
    )
    fetch.add_argument(
        "--mirror",
        metavar="URL",
        help="http(s) URL of a folder holding the four .gz files (default: $VISNET_MIRROR, else the official mirrors)",
    )
    data_sub.add_parser(
        "list",
        help="show which data sets are found and where",
        description="List the data sets visnet can use on this machine.",
    )
    sub.add_parser(
        "lessons",
        help="list the lessons, one per line with its name first",
        description="List the lessons shipped with visnet: NAME, then the title. "
        "'visnet --lesson NAME' opens the window at one.",
    )
    return parser


def _add_run_options(p: argparse.ArgumentParser) -> None:
    """The options that make a network and its training, shared by train and compare."""
    from .core.activations import HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS
    from .core.costs import COSTS
    from .core.network import INITS
    from .core.optim import SCHEDULES

    p.add_argument("--layers", type=layer_sizes, help="layer sizes, input first (default 784,16,16,10)")
    p.add_argument("--activation", choices=HIDDEN_ACTIVATIONS, help="hidden activation (default sigmoid)")
    p.add_argument("--output", choices=OUTPUT_ACTIVATIONS, help="output activation (default softmax)")
    p.add_argument("--cost", choices=COSTS, help="cost function (default cross-entropy)")
    p.add_argument(
        "--init", choices=INITS, help="weight initialisation (default normal: N(0, 1/n_in) weights, N(0, 1) biases)"
    )
    p.add_argument("--lr", type=learning_rate, help="learning rate eta (default 0.5; try 0.1 with relu)")
    p.add_argument("--momentum", type=momentum_value, help="momentum, from 0 up to 1 (default 0)")
    p.add_argument("--l2", type=l2_value, help="L2 weight decay lambda per step (default 0)")
    p.add_argument("--schedule", choices=SCHEDULES, help="learning-rate schedule (default constant)")
    p.add_argument("--batch", type=positive_count, help="mini-batch size (default 10)")
    p.add_argument("--epochs", type=positive_count, help="epochs to train (default 5)")
    p.add_argument("--seed", type=seed_number, help="seed for initialisation and shuffling (default 0)")


def _add_subset_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--train-size", type=positive_count, metavar="N", help="train on the first N training examples only")
    p.add_argument("--test-size", type=positive_count, metavar="N", help="evaluate on the first N test examples only")


def _add_data_option(p: argparse.ArgumentParser, default: str | None = "embedded") -> None:
    p.add_argument(
        "--data",
        metavar="SPEC",
        default=default,
        help="embedded (10,000 digits shipped with visnet), mnist, fashion-mnist, kmnist, a folder of IDX files, "
        "a playground set such as playground:xor?noise=0.2, an image folder with one subfolder per class "
        "(folder:PATH?size=28&test=0.2&seed=0, or just PATH), or a table (table:PATH.csv?label=COLUMN, "
        "a .tsv, or an .npz with x and y)"
        + (" (default embedded)" if default else " (default: the data set named in the model, else embedded)"),
    )


def build_gui_parser() -> argparse.ArgumentParser:
    p = OneLineArgumentParser(
        prog="visnet",
        description="Open the visnet window.",
        epilog="Headless commands: visnet train | compare | eval | info | data | export | animate | lessons "
        "(see visnet --help).",
    )
    p.add_argument("model", nargs="?", type=file_path, metavar="MODEL", help="a model file to open")
    _add_window_options(p)
    return p


def _add_window_options(p) -> None:
    """--data and --playground, for the window's parser and for `visnet --help`."""
    from .data.toy2d import TOY2D_GENERATORS

    p.add_argument(
        "--data",
        type=data_spec,
        metavar="SPEC",
        help="the data set to open on: a folder of IDX files or of class subfolders of images, a .npz, "
        ".csv or .tsv file, folder:PATH?size=28, table:PATH?label=COLUMN, mnist, fashion-mnist, kmnist; a folder "
        "holding MNIST / Fashion-MNIST in subfolders is where the window looks for them",
    )
    p.add_argument(
        "--playground",
        nargs="?",
        const="xor",
        choices=list(TOY2D_GENERATORS),
        metavar="SET",
        help="open the playground on a 2-D data set instead of the digits: "
        f"{', '.join(TOY2D_GENERATORS)} (default xor)",
    )
    p.add_argument(
        "--lesson",
        metavar="NAME",
        help="open the window at a lesson (visnet lessons lists their names)",
    )


def main(argv: list[str] | None = None) -> int:
    """Run the visnet command and return its exit code. Every error a user can cause is one
    line on stderr; anything else is an internal error, also one line, with its traceback in
    a crash log (or raised, with VISNET_DEBUG=1)."""
    try:
        return _run(list(sys.argv[1:] if argv is None else argv))
    except KeyboardInterrupt:
        print("visnet: interrupted", file=sys.stderr)
        return INTERRUPTED
    except BrokenPipeError:  # the reader left, as in `visnet data list | head -1`: stop quietly
        _discard_stdout()
        return 1
    except Exception as err:
        if os.environ.get(DEBUG_VARIABLE, "") not in ("", "0"):
            raise
        return _report_internal_error(err)


def _run(argv: list[str]) -> int:
    if not argv or (argv[0] not in SUBCOMMANDS and argv[0] not in ("-h", "--help", "--version")):
        return _open_window(argv)
    args = build_parser().parse_args(argv)
    commands = {
        "train": cmd_train,
        "compare": cmd_compare,
        "eval": cmd_eval,
        "info": cmd_info,
        "data": cmd_data,
        "export": cmd_export,
        "animate": cmd_animate,
        "lessons": cmd_lessons,
    }
    from .data import DataError
    from .io import ModelFileError

    try:
        return commands[args.command](args)
    except BrokenPipeError:
        raise
    except (CliError, DataError, ModelFileError, OSError) as err:
        print(f"visnet: error: {printable(err)}", file=sys.stderr)
        return 1
    except MemoryError:
        print("visnet: error: not enough memory for this command", file=sys.stderr)
        return 1


def _open_window(argv: list[str]) -> int:
    args = build_gui_parser().parse_args(argv)
    if args.model and not os.path.isfile(args.model):
        problem = "not a regular file" if os.path.exists(args.model) else "no such model file"
        print(f"visnet: error: {problem}: {printable(args.model)}", file=sys.stderr)
        return 1
    from .app.main import run_app
    from .data.playground import PlaygroundSpec

    if args.lesson is not None:
        from .lessons import LessonError, find_lesson, load_lessons

        try:
            find_lesson(args.lesson, load_lessons())
        except LessonError as err:
            print(f"visnet: error: {printable(err)}", file=sys.stderr)
            return 1
    spec, data_dir = window_data(args.data)
    if args.playground:
        spec = str(PlaygroundSpec(args.playground))
    return run_app(sys.argv[:1], model_path=args.model, data_dir=data_dir, dataset_spec=spec, lesson=args.lesson)


def window_data(data: str | None) -> tuple[str, str | None]:
    """The window's --data as (the data set to start on, a folder to look for MNIST in).

    A data set spec or file starts the window on it; a folder does too when it holds a data
    set itself (IDX files, class subfolders of images), and is otherwise only a place to look
    for MNIST and Fashion-MNIST, as a data root holding them in subfolders is."""
    from .data.idx import find_idx_files
    from .data.image_folder import is_image_folder

    if data is None:
        return "embedded", None
    path = user_path(data)
    if not os.path.isdir(path):
        return data, None
    holds_a_data_set = find_idx_files(path) is not None or is_image_folder(path)
    return (data if holds_a_data_set else "embedded"), data


def _discard_stdout() -> None:
    """Point stdout at devnull, so that flushing it at exit cannot complain of a broken pipe."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError):  # stdout is no file (a test captures it)
        pass


def _report_internal_error(err: Exception) -> int:
    log = _write_crash_log(err)
    where = f"details in {printable(log)}" if log else f"set {DEBUG_VARIABLE}=1 to see the details"
    try:
        message = printable(err)
    except Exception:  # a bug's exception may not even convert to text
        message = ""
    if len(message) > 200:
        message = message[:199] + "…"
    kind = type(err).__name__ + (f": {message}" if message else "")
    print(f"visnet: internal error: {kind} ({where})", file=sys.stderr)
    return INTERNAL_ERROR


def crash_log_folder() -> Path:
    """$XDG_CACHE_HOME/visnet, else ~/.cache/visnet (the XDG spec ignores a relative path)."""
    cache = os.environ.get("XDG_CACHE_HOME", "")
    return (Path(cache) if os.path.isabs(cache) else Path.home() / ".cache") / "visnet"


def _write_crash_log(err: Exception) -> Path | None:
    """Write err's traceback, the command line and the versions to a new crash log; None if
    no log can be written."""
    try:
        folder = crash_log_folder()
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"crash-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log"
        header = f"visnet {__version__}, Python {sys.version.split()[0]}, {sys.platform}\ncommand: {sys.argv!r}\n\n"
        path.write_text(header + "".join(traceback.format_exception(err)), encoding="utf-8", errors="replace")
    except (OSError, RuntimeError):  # RuntimeError: no home folder to be found
        return None
    return path


# -- train --------------------------------------------------------------------------------
def _train_options(args) -> dict:
    opts = dict(TRAIN_DEFAULTS)
    if args.preset:
        opts.update(PRESETS[args.preset])
    for key in TRAIN_DEFAULTS:
        value = getattr(args, key, None)
        if value is not None:
            opts[key] = value
    if isinstance(opts["layers"], str):
        opts["layers"] = layer_sizes(opts["layers"])
    return opts


def _load_data(spec: str | None, args):
    from .data import load_dataset

    with _ImageProgressBar() as bar:
        data = load_dataset(spec or "embedded", progress=bar.update)
    for note in data.notes:
        print(printable(f"visnet: warning: {data.name}: {note}"), file=sys.stderr)
    n_train = getattr(args, "train_size", None)
    n_test = getattr(args, "test_size", None)
    if n_train or n_test:
        data = data.subset(n_train or len(data.y_train), n_test or len(data.y_test))
    return data


class _ImageProgressBar:
    """A tqdm bar on stderr for the images of an image folder, shown on a terminal only and
    only once there are images to count."""

    def __init__(self) -> None:
        self._bar = None

    def update(self, done: int, total: int) -> None:
        if not sys.stderr.isatty():
            return
        if self._bar is None:
            from tqdm import tqdm

            self._bar = tqdm(total=total, unit="image", desc="reading images", leave=False)
        self._bar.update(done - self._bar.n)

    def __enter__(self) -> _ImageProgressBar:
        return self

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            self._bar.close()


def _dataset_info(spec: str | None, data) -> dict:
    """What a model file keeps about its data set: the canonical spec (so `visnet eval` loads
    the same set), and for a table its input names and standardisation."""
    from .data.discovery import canonical_spec

    info = {
        "dataset": data.name,
        "dataset_spec": canonical_spec(spec or "embedded"),
        "input_shape": list(data.input_shape),
        "class_names": list(data.class_names),
    }
    if data.is_part:
        info["dataset_part"] = data.part_info()
    if data.feature_names:
        info["input_names"] = list(data.feature_names)
    if data.standardization is not None:
        info["standardization"] = data.standardization.as_dict()
    return info


def cmd_train(args) -> int:
    from .core.history import HistoryRecorder
    from .core.network import Network
    from .core.targets import n_classes
    from .core.timeline import Timeline
    from .core.training import DivergenceError, TrainConfig, Trainer
    from .io import open_model, save_model

    opts = _train_options(args)
    if args.record and not args.save:
        raise _usage("--record needs --save PATH to keep the timeline in")
    data = _load_data(args.data, args)
    history = None
    timeline = Timeline(args.record_budget * 2**20) if args.record else None
    if args.resume:
        model = open_model(args.resume)
        for warning in model.warnings:
            print(f"visnet: warning: {warning}", file=sys.stderr)
        net, history = model.network, model.history
        if timeline is not None and model.timeline is not None and net.dtype == np.dtype(args.dtype):
            timeline = model.timeline  # the run goes on: so does its timeline
            timeline.set_budget(args.record_budget * 2**20)
        if net.dtype != np.dtype(args.dtype):
            with np.errstate(over="ignore"):  # too large for float32: refused below
                net = Network.from_params(net.weights, net.biases, net.activations, net.cost, net.init, args.dtype)
            if not all(np.isfinite(p).all() for p in net.weights + net.biases):
                raise CliError(f"{args.resume}: its parameters do not fit in {args.dtype}; use --dtype float64")
    else:
        sizes = opts["layers"]
        if sizes[0] != data.n_inputs or n_classes(sizes[-1]) != data.n_classes:
            outputs = "1 or 2" if data.n_classes == 2 else str(data.n_classes)
            raise _usage(
                f"--layers must start with {data.n_inputs} inputs and end with {outputs} "
                f"outputs for {data.name}, got {','.join(map(str, sizes))}"
            )
        _check_memory(sizes, args.dtype, opts["batch"], data)
        try:
            net = Network(
                sizes,
                opts["activation"],
                output=opts["output"],
                cost=opts["cost"],
                init=opts["init"],
                seed=opts["seed"],
                dtype=args.dtype,
            )
        except ValueError as err:
            raise _usage(str(err)) from None
    if net.sizes[0] != data.n_inputs or n_classes(net.sizes[-1]) != data.n_classes:
        raise CliError(
            f"{args.resume}: the model has {net.sizes[0]} inputs and {net.sizes[-1]} outputs, "
            f"but {data.name} has {data.n_inputs} and {data.n_classes}"
        )
    config = TrainConfig(
        eta=opts["lr"],
        momentum=opts["momentum"],
        lmbda=opts["l2"],
        batch_size=opts["batch"],
        epochs=opts["epochs"],
        seed=opts["seed"],
        schedule=opts["schedule"],
    )
    try:
        config.validate()
    except ValueError as err:
        raise _usage(str(err)) from None
    if args.resume:
        config = _resumed_config(config, net.info, args)
    progress = _resumed_progress(net, history) if args.resume else None
    trainer = Trainer(net, data.x_train, data.y_train, data.x_test, data.y_test, config, progress=progress)
    recorder = HistoryRecorder(net.n_layers, start=history)
    print(
        printable(
            f"{net!r} on {data.name}: {len(data.y_train):,} train / {len(data.y_test):,} test, "
            f"eta {config.eta:g}, batch {config.batch_size}, {config.epochs} epochs"
        )
    )
    status = 0
    try:
        _train_epochs(trainer, config.epochs, quiet=args.quiet, recorder=recorder, timeline=timeline)
    except KeyboardInterrupt:
        print(f"\ninterrupted at epoch {trainer.epoch_progress:.2f}", file=sys.stderr)
        status = 130
    except DivergenceError as err:
        print(f"\nvisnet: {err}", file=sys.stderr)
        status = 1
    if args.save:
        ev = trainer.evaluate()
        recorder.set_progress(trainer.progress)
        path = save_model(
            net,
            args.save,
            history=recorder.history(),
            timeline=timeline,
            training=config.as_dict(),
            epochs=trainer.epoch_progress,
            samples_seen=trainer.samples_seen,
            metrics={"test_loss": ev.loss, "test_accuracy": ev.accuracy} if ev else {},
            **_dataset_info(args.data, data),
        )
        print(f"saved {path}")
    return status


# train's options that set TrainConfig fields, and the fields they set
CONFIG_OPTIONS = {
    "lr": "eta",
    "momentum": "momentum",
    "l2": "lmbda",
    "batch": "batch_size",
    "epochs": "epochs",
    "seed": "seed",
    "schedule": "schedule",
}


def _resumed_config(config, info, args):
    """The settings the resumed model was trained with, checked by the schema the window
    uses, for every setting not given on the command line (or by --preset); a bad stored
    setting keeps config's value, with a warning on stderr."""
    from dataclasses import replace

    from .core.training import config_from_stored

    stored = info.get("training") if isinstance(info, dict) else None
    resumed, warnings = config_from_stored(stored, config)
    for warning in warnings:
        print(f"visnet: warning: {args.resume}: {warning}", file=sys.stderr)
    given = set(PRESETS.get(args.preset, {})) | {option for option, v in vars(args).items() if v is not None}
    return replace(
        resumed, **{field: getattr(config, field) for option, field in CONFIG_OPTIONS.items() if option in given}
    )


def _resumed_progress(net, history):
    """The counters to continue from: the file's history, else (older files) the epochs and
    samples its info recorded."""
    from .core.training import TrainingProgress

    if history is not None:
        return history.progress
    try:
        epochs = float(net.info.get("epochs", 0.0))
        samples = int(net.info.get("samples_seen", 0))
    except (TypeError, ValueError, OverflowError):
        return TrainingProgress()
    if not (0 <= epochs < 2**31 and 0 <= samples < 2**63):  # NaN, infinite or absurd: start counting afresh
        return TrainingProgress()
    return TrainingProgress(0, int(epochs), samples, min(epochs - int(epochs), 0.999999))


def _check_memory(sizes: list[int], dtype: str, batch: int, data, command: str = "train") -> None:
    """Refuse, before allocating, a network whose training would not fit in the memory available."""
    from .core.network import training_bytes
    from .core.training import EVALUATION_CHUNK

    rows = max(min(batch, len(data.y_train)), min(EVALUATION_CHUNK, len(data.y_test)))
    need = training_bytes(sizes, dtype, rows)
    available = available_memory()
    if available is not None and need > available:
        raise _usage(
            f"--layers {','.join(map(str, sizes))} needs about {_gigabytes(need)} to train "
            f"(parameters, gradients, velocities, activations); {_gigabytes(available)} is available",
            command,
        )


def available_memory() -> int | None:
    """Bytes of memory available to a new allocation: MemAvailable on Linux, the free
    physical pages elsewhere, None where neither can be read."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, OSError, ValueError):
        return None


def _gigabytes(n_bytes: int) -> str:
    return f"{n_bytes / 1e9:,.1f} GB"


def _usage(message: str, command: str = "train") -> SystemExit:
    print(f"visnet {command}: error: {printable(message)}", file=sys.stderr)
    return SystemExit(2)


def _train_epochs(trainer, epochs: int, quiet: bool, recorder=None, timeline=None) -> None:
    """Train `epochs` epochs, numbered on from the trainer's epochs done, telling recorder
    (a HistoryRecorder) about every step and recording the moments of timeline (a
    core.timeline.Timeline) as the window does; the first and last moments are kept."""
    from tqdm import tqdm

    from .core.snapshot import take_snapshot
    from .core.timeline import MomentRecorder

    moments = MomentRecorder()
    if timeline is not None:
        timeline.add(take_snapshot(trainer, state="idle"), kept=True)
    try:
        _train_epochs_recording(trainer, epochs, quiet, recorder, timeline, moments, tqdm)
    finally:
        if timeline is not None:
            timeline.add_all(moments.take())
            timeline.add(take_snapshot(trainer, state="stopped"), kept=True)


def _train_epochs_recording(trainer, epochs, quiet, recorder, timeline, moments, tqdm) -> None:
    per_epoch = trainer.batches_per_epoch
    first = trainer.epochs_done + 1
    last = trainer.epochs_done + epochs
    for epoch in range(first, last + 1):
        bar = tqdm(
            total=per_epoch,
            desc=f"epoch {epoch}/{last}",
            unit="batch",
            leave=False,
            disable=quiet or not sys.stderr.isatty(),
            file=sys.stderr,
            dynamic_ncols=True,
        )
        start, done = time.perf_counter(), 0
        while True:
            result = trainer.step()
            done += 1
            if recorder is not None:
                recorder.add_step(trainer, result)
            if timeline is not None and moments.after_step(trainer):
                timeline.add_all(moments.take())
            if done % 50 == 0:
                bar.update(50)
                bar.set_postfix(loss=f"{result.loss:.4f}", refresh=False)
            if result.epoch_finished:
                break
        seconds = time.perf_counter() - start
        bar.close()
        r = trainer.history[-1]
        print(
            f"epoch {epoch}/{last}  train loss {r.train_loss:.4f}  test loss {r.test_loss:.4f}  "
            f"test accuracy {100 * r.test_accuracy:.2f}%  {trainer.n_train / seconds:,.0f} samples/s",
            flush=True,
        )


# -- eval / info ----------------------------------------------------------------------------
def cmd_eval(args) -> int:
    from .core.targets import n_classes
    from .core.training import evaluate
    from .data import DataError
    from .io import open_model

    model = open_model(args.model)
    for warning in model.warnings:
        print(f"visnet: warning: {printable(warning)}", file=sys.stderr)
    net = model.network
    spec, reason = (args.data, "given with --data") if args.data else _data_spec_of(net)
    try:
        data = _load_data(spec, args)
    except DataError as err:
        if args.data:
            raise
        raise CliError(f"cannot use the data set {spec!r} ({reason}): {err}; choose one with --data") from None
    print(printable(f"data: {data.name} ({spec}, {reason})"))
    _warn_if_scaled_differently(net.info.get("standardization"), data)
    if net.sizes[0] != data.n_inputs or n_classes(net.sizes[-1]) != data.n_classes:
        raise CliError(
            f"{args.model}: the model has {net.sizes[0]} inputs and {net.sizes[-1]} outputs, "
            f"but {data.name} has {data.n_inputs} and {data.n_classes}"
        )
    ev = evaluate(net, data.x_test, data.y_test)
    print(printable(f"{args.model} on {data.name} test split ({ev.n:,} examples)"))
    print(f"accuracy {100 * ev.accuracy:.2f}%   loss ({net.cost}) {ev.loss:.4f}")
    print()
    print(format_confusion(ev.confusion, [printable(c) for c in data.class_names]))
    return 0


def _warn_if_scaled_differently(stored, data) -> None:
    """A warning when a table's training rows now have other statistics than the model was
    trained with (the file changed since): its inputs are then scaled differently."""
    from .data import Standardization

    if stored is None or data.standardization is None:
        return
    try:
        kept = Standardization.from_dict(stored)
    except ValueError:
        print("visnet: warning: the model file's standardization is unreadable; ignored", file=sys.stderr)
        return
    now = data.standardization
    if kept.mean.shape != now.mean.shape or not (
        np.allclose(kept.mean, now.mean, rtol=1e-6, atol=1e-9) and np.allclose(kept.std, now.std, rtol=1e-6)
    ):
        print(
            printable(
                f"visnet: warning: {data.name}'s training rows are not those the model was trained on "
                "(their mean and std differ from the file's), so its inputs are scaled differently"
            ),
            file=sys.stderr,
        )


def _data_spec_of(net) -> tuple[str, str]:
    """The data set a model was trained on, as a load_dataset spec, and where that came from."""
    spec = net.info.get("dataset_spec")
    if isinstance(spec, str) and spec:
        return spec, "from the model file"
    name = str(net.info.get("dataset", "")).lower()
    if "fashion" in name:
        return "fashion-mnist", "from the data set name in the model file"
    if name.startswith("mnist") or name == "full mnist":
        return "mnist", "from the data set name in the model file"
    return "embedded", "the default: the model file names no data set"


def format_confusion(confusion: np.ndarray, class_names) -> str:
    """Rows: true class; columns: predicted class; with per-class accuracy on the right."""
    names = [printable(c) for c in class_names]
    short = [n if len(n) <= 6 else n[:5] + "." for n in names]
    # one space at least between columns, whatever the longest name or count
    width = max(max(len(s) for s in short), len(str(int(confusion.max())))) + 1
    label_w = max(len(n) for n in short) + 1
    lines = ["true \\ predicted".ljust(label_w + 2)]
    lines[0] = " " * (label_w + 1) + "".join(s.rjust(width) for s in short) + "  accuracy"
    for i, row in enumerate(confusion):
        total = row.sum()
        acc = f"{100 * row[i] / total:7.1f}%" if total else "      -"
        lines.append(short[i].rjust(label_w) + " " + "".join(str(int(v)).rjust(width) for v in row) + "  " + acc)
    return "rows: true class, columns: predicted class\n" + "\n".join(lines)


def cmd_info(args) -> int:
    from .io import read_description

    d = read_description(args.model)
    if args.json:
        # json.dumps escapes every control and non-ASCII character (ensure_ascii)
        print(json.dumps(d, indent=2, default=str))
        return 0
    version = f" version {d['version']}" if "version" in d else ""
    lines = [
        ("file", f"{d['file']} ({d['file_size']:,} bytes)"),
        ("format", f"{d.get('format', '?')}{version}"),
        ("architecture", "-".join(map(str, d["sizes"]))),
        ("parameters", f"{d['n_params']:,}"),
        ("activations", ", ".join(map(str, d.get("activations", [])))),
        ("cost", d.get("cost", "?")),
    ]
    lines += [(key, d[key]) for key in ("init", "dtype") if d.get(key)]
    if d.get("history"):
        lines.append(("history", d["history"]["summary"]))
    if d.get("timeline"):
        t = d["timeline"]
        lines.append(
            (
                "timeline",
                f"{t['moments']:,} moments from step {t['first_step']:,} to {t['last_step']:,} "
                f"({t['bytes'] / 2**20:.1f} MiB; a run file: the window replays it)",
            )
        )
    info = d.get("info") or {}
    lines += [(key, _shortened(printable(_info_text(info[key])))) for key in sorted(info)]
    for label, value in lines:
        print(f"{printable(label):<13} {printable(value)}")
    warnings = [*d.get("info_warnings", [])]
    warnings += [d[key] for key in ("history_warning", "timeline_warning") if d.get(key)]
    for warning in warnings:
        print(f"visnet: warning: {printable(warning)}", file=sys.stderr)
    return 0


def _info_text(value) -> str:
    return json.dumps(value, default=str) if isinstance(value, (dict, list)) else str(value)


def _shortened(text: str, limit: int = 100) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


# -- export -------------------------------------------------------------------------------------
def cmd_export(args) -> int:
    from .io import open_model, save_onnx, save_state_dict, torch_sequential_code
    from .io.onnx_format import OPSET

    if not (args.onnx or args.state_dict):
        print("visnet export: error: say what to write: --onnx PATH, --state-dict PATH or both", file=sys.stderr)
        return 2
    opened = open_model(args.model)
    for warning in opened.warnings:  # what the file held that the export leaves out
        print(printable(f"visnet: warning: {warning}"), file=sys.stderr)
    net = opened.network
    if args.onnx:
        path = save_onnx(net, args.onnx)
        print(printable(f"wrote {path}: ONNX opset {OPSET}, input 'input' (N, {net.sizes[0]}), output 'output'"))
    if args.state_dict:
        path = save_state_dict(net, args.state_dict)
        print(printable(f"wrote {path}: a PyTorch state dict; load it with"))
        print()
        for line in torch_sequential_code(net, os.fspath(args.state_dict)).splitlines():
            print(printable(line))
    return 0


# -- animate -------------------------------------------------------------------------------------
def cmd_animate(args) -> int:
    import importlib.util

    from .io import open_model

    out = Path(args.out)
    if out.suffix.lower() == ".mp4" and importlib.util.find_spec("imageio_ffmpeg") is None:
        raise CliError("writing MP4 needs imageio-ffmpeg: pip install visnet[video] (or write a .gif)")
    opened = open_model(args.run)
    if opened.timeline is None or not len(opened.timeline):
        why = next((w for w in opened.warnings if "timeline" in w), None)
        raise CliError(
            f"{args.run}: {why}"
            if why
            else f"{args.run}: has no timeline; record one with visnet train --record or File ▸ Save Run"
        )
    del opened
    if "PySide6" not in sys.modules:  # (in a test the offscreen Qt is already there)
        os.environ["QT_QPA_PLATFORM"] = "offscreen"  # no display needed, and none used if there is one
    from tqdm import tqdm

    from .app.animation import AnimationError, AnimationSettings
    from .app.offscreen_animation import animate_run

    settings = AnimationSettings(out, fps=args.fps, frames=args.frames, size=args.size)
    bar = tqdm(
        desc="rendering",
        unit="frame",
        leave=False,
        disable=not sys.stderr.isatty(),
        file=sys.stderr,
        dynamic_ncols=True,
    )

    def progress(done: int, total: int) -> bool:
        if bar.total != total:
            bar.reset(total=total)
        bar.update(done - bar.n)
        return True

    start = time.perf_counter()
    try:
        path = animate_run(args.run, args.panel, settings, progress)
    except AnimationError as err:
        raise CliError(str(err)) from None
    finally:
        bar.close()
    frames = bar.total
    print(
        printable(
            f"wrote {path}: {frames} frames of the {args.panel} panel, {args.size[0]}x{args.size[1]}, "
            f"{args.fps} fps ({frames / args.fps:.1f} s), in {time.perf_counter() - start:.1f} s"
        )
    )
    return 0


# -- data ---------------------------------------------------------------------------------------
def cmd_data(args) -> int:
    from .data import available_datasets, fetch

    if args.data_command == "fetch":
        try:
            paths = fetch(args.kind, args.dir, base_url=args.mirror, progress=sys.stderr.isatty())
        except KeyboardInterrupt:
            print("visnet: interrupted; the partial download was removed", file=sys.stderr)
            return 130
        print(f"{args.kind}: {len(paths)} files ready in {paths[0].parent}")
        return 0
    for spec, label in available_datasets():  # each label says where the data set was found
        print(f"{spec:<14} {label}")
    return 0


# -- lessons ------------------------------------------------------------------------------------
def cmd_lessons(args) -> int:
    from .lessons import LessonError, load_lessons

    try:
        lessons = load_lessons()
    except LessonError as err:
        raise CliError(str(err)) from None
    width = max((len(lesson.name) for lesson in lessons), default=0)
    for lesson in lessons:
        print(f"{lesson.name:<{width}}  {lesson.title}")
    return 0


# -- compare ------------------------------------------------------------------------------------
# compare's options that set a run's settings, and the RunSettings fields they set
RUN_OPTIONS = {
    "layers": "layers",
    "activation": "activation",
    "output": "output",
    "cost": "cost",
    "init": "init",
    "dtype": "dtype",
    **CONFIG_OPTIONS,
}


# The timelines' share of an experiment file, which visnet reads up to 2 GiB: the rest is
# room for the networks and curves.
MAX_EXPERIMENT_TIMELINES = 1792 * 2**20


def cmd_compare(args) -> int:
    from .core.experiment import ExperimentError

    if args.list_presets:
        return _list_experiment_presets()
    if args.open:
        return _open_experiment(args)
    try:
        experiment = _compare_experiment(args)
    except ExperimentError as err:
        raise _usage(str(err), "compare") from None
    return _run_experiment(experiment, args)


def _list_experiment_presets() -> int:
    from .core.experiment import PRESETS

    width = max(len(name) for name in PRESETS)
    for name, preset in PRESETS.items():
        print(f"{name:<{width}}  {preset.title}")
    return 0


def _compare_experiment(args):
    """The experiment the options describe: a preset's or --vary's runs over the settings
    the other options give (visnet train's defaults for the rest)."""
    from dataclasses import replace

    from .core.experiment import PRESETS, ExperimentError, RunSettings, parse_vary, vary_experiment

    given = {field: getattr(args, option) for option, field in RUN_OPTIONS.items() if getattr(args, option) is not None}
    if "layers" in given:
        given["layers"] = tuple(given["layers"])
    if args.preset is not None:
        if args.preset not in PRESETS:
            raise ExperimentError(f"no preset {args.preset!r}; presets: {', '.join(PRESETS)}")
        preset = PRESETS[args.preset]
        varied = [v.name for v in preset.variations]
        base = preset.base
        experiment_of = preset.experiment
    else:
        if not args.vary:
            raise ExperimentError("say what to compare: --vary NAME=V1,V2 or --preset NAME (see --list-presets)")
        variations = [parse_vary(text) for text in args.vary]
        varied = [v.name for v in variations]
        base = RunSettings()

        def experiment_of(base, **experiment):
            return vary_experiment(base, variations, **experiment)

    clash = [option for option, field in RUN_OPTIONS.items() if field in given and field in varied]
    if clash:
        raise ExperimentError(f"--{clash[0]} is what the runs vary; give its values in --vary only")
    experiment = experiment_of(replace(base, **given), data=args.data)
    sizes = {
        "train_size": args.train_size or experiment.train_size,
        "test_size": args.test_size or experiment.test_size,
    }
    return replace(experiment, **sizes)


def _run_experiment(experiment, args) -> int:
    from .core.targets import n_classes
    from .experiment_processes import EpochFinished, ExperimentRunner, RunFailed, RunFinished

    if args.record and args.record_budget * 2**20 * len(experiment.runs) > MAX_EXPERIMENT_TIMELINES:
        raise _usage(
            f"--record-budget {args.record_budget} for each of {len(experiment.runs)} runs would make an experiment "
            f"file too large to open again; give at most {MAX_EXPERIMENT_TIMELINES // 2**20 // len(experiment.runs)}",
            "compare",
        )
    args.train_size, args.test_size = experiment.train_size, experiment.test_size
    data = _load_data(args.data, args)
    for run in experiment.runs:
        sizes = list(run.settings.layers)
        if sizes[0] != data.n_inputs or n_classes(sizes[-1]) != data.n_classes:
            outputs = "1 or 2" if data.n_classes == 2 else str(data.n_classes)
            raise _usage(
                f"{run.label}: the layers must start with {data.n_inputs} inputs and end with {outputs} outputs "
                f"for {data.name}, got {'-'.join(map(str, sizes))}",
                "compare",
            )
        _check_memory(sizes, run.settings.dtype, run.settings.batch_size, data, "compare")
    out = args.out or f"compare-{experiment.name}-{time.strftime('%Y%m%d-%H%M%S')}.safetensors"
    what = f" ({experiment.description})" if experiment.description else ""
    print(
        printable(
            f"{len(experiment.runs)} runs on {data.name}: {len(data.y_train):,} train / {len(data.y_test):,} test{what}"
        )
    )
    labels = [printable(label) for label in experiment.labels]
    width = max(len("run"), *(len(label) for label in labels))
    epochs = {i: run.settings.epochs for i, run in enumerate(experiment.runs)}
    print(
        f"{'run':<{width}}  {'epoch':>7}  {'train loss':>10}  {'test loss':>10}  {'test acc':>8}  {'time':>7}",
        flush=True,
    )
    failed = {}
    runner = ExperimentRunner(
        experiment,
        data.x_train,
        data.y_train,
        data.x_test,
        data.y_test,
        processes=args.processes,
        record=args.record,
        budget=args.record_budget * 2**20,
    )
    with runner:
        for event in runner.events():
            if isinstance(event, EpochFinished):
                r = event.record
                print(
                    f"{labels[event.run]:<{width}}  {f'{r.epoch}/{epochs[event.run]}':>7}  {r.train_loss:>10.4f}  "
                    f"{r.test_loss:>10.4f}  {100 * r.test_accuracy:>7.2f}%  {event.seconds:>6.1f}s",
                    flush=True,
                )
            elif isinstance(event, RunFinished) and event.outcome.result.stopped:
                print(printable(f"{labels[event.run]}: stopped early: {event.outcome.result.stopped}"), flush=True)
            elif isinstance(event, RunFailed):
                failed[event.run] = event.message
                print(printable(f"visnet: error: {labels[event.run]}: {event.message}"), file=sys.stderr, flush=True)
    finished = [i for i, outcome in enumerate(runner.outcomes) if outcome is not None]
    print()
    _print_results([runner.outcomes[i] for i in finished], [epochs[i] for i in finished])
    if len(finished) < 2:
        print("visnet: error: fewer than two runs finished; nothing saved", file=sys.stderr)
        return 1
    kept = experiment
    if failed:
        from dataclasses import replace

        kept = replace(experiment, runs=tuple(experiment.runs[i] for i in finished))
    outcomes = [runner.outcomes[i] for i in finished]
    _save_experiment_outputs(kept, outcomes, out, args, data)
    return 1 if failed else 0


def _save_experiment_outputs(experiment, outcomes, out, args, data) -> None:
    from .io import save_experiment
    from .io.experiment_export import save_curves_csv, save_curves_png

    path = save_experiment(experiment, outcomes, out, **_dataset_info(args.data, data))
    print(printable(f"saved {path}"))
    _export_curves(args, experiment, outcomes, save_curves_csv, save_curves_png)


def _export_curves(args, experiment, outcomes, save_curves_csv, save_curves_png) -> None:
    if args.csv:
        print(printable(f"wrote {save_curves_csv(outcomes, args.csv)}"))
    if args.png:
        print(printable(f"wrote {save_curves_png(outcomes, args.png, title=experiment.description)}"))


def _print_results(outcomes, planned) -> None:
    """The results table: a row per run."""
    labels = [printable(o.label) for o in outcomes]
    width = max([len("run"), *(len(label) for label in labels)])
    print("results")
    print(
        f"{'run':<{width}}  {'best test acc':>13}  {'at epoch':>8}  {'epochs':>7}  {'time':>7}  "
        f"{'train acc':>9}  {'test acc':>8}  {'gap':>9}  {'train loss':>10}  {'test loss':>9}"
    )
    for label, outcome, epochs in zip(labels, outcomes, planned):
        r = outcome.result

        def percent(value: float) -> str:
            return f"{100 * value:.2f}%" if math.isfinite(value) else "-"

        gap = f"{100 * r.gap:+.2f} pts" if math.isfinite(r.gap) else "-"
        print(
            f"{label:<{width}}  {percent(r.best_test_accuracy):>13}  {r.best_epoch or '-':>8}  "
            f"{f'{r.epochs}/{epochs}':>7}  {r.seconds:>6.1f}s  {percent(r.final_train_accuracy):>9}  "
            f"{percent(r.final_test_accuracy):>8}  {gap:>9}  {r.final_train_loss:>10.4f}  {r.final_test_loss:>9.4f}"
        )


def _open_experiment(args) -> int:
    from .io import open_experiment
    from .io.experiment_export import save_curves_csv, save_curves_png

    opened = open_experiment(args.open)
    for warning in opened.warnings:
        print(printable(f"visnet: warning: {warning}"), file=sys.stderr)
    e = opened.experiment
    what = f" ({e.description})" if e.description else ""
    print(printable(f"{args.open}: {len(e.runs)} runs on {e.data}{what}"))
    for run in opened.runs:
        s = run.settings
        print(
            printable(
                f"  {run.label}: {run.network!r}, eta {s.eta:g}, batch {s.batch_size}, {s.epochs} epochs, seed {s.seed}"
                + (", with its timeline" if run.timeline is not None else "")
            )
        )
    print()
    _print_results(opened.runs, [run.settings.epochs for run in opened.runs])
    _export_curves(args, e, opened.runs, save_curves_csv, save_curves_png)
    return 0
