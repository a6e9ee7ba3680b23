"""Unexpected exceptions in the running app: one line for the user, the traceback in a log file.

A bug in a slot or an event handler must not end the app nor leave only a traceback on a
terminal nobody reads. install_excepthook() makes every uncaught exception on the GUI thread
append its traceback to errors.log in visnet's cache folder ($XDG_CACHE_HOME/visnet, by
default ~/.cache/visnet) and hand a one-line summary to the app, which shows it.
"""

from __future__ import annotations

import os
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

LOG_FILE = "errors.log"


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME", "")
    root = Path(base) if os.path.isabs(base) else Path.home() / ".cache"
    return root / "visnet"


def log_path() -> Path:
    return cache_dir() / LOG_FILE


def one_line(error: BaseException) -> str:
    """'ZeroDivisionError: division by zero', on one line."""
    text = " ".join(str(error).split())
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def log_exception(error: BaseException) -> Path | None:
    """Append error's traceback to the log; the log's path, or None if it cannot be written."""
    path = log_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as f:
            f.write(f"--- {time.strftime('%Y-%m-%d %H:%M:%S')}\n")
            f.writelines(traceback.format_exception(type(error), error, error.__traceback__))
    except OSError:
        return None
    return path


def install_excepthook(show: Callable[[str], None]) -> None:
    """From now on an uncaught exception calls show('ZeroDivisionError: division by zero —
    details saved to ~/.cache/visnet/errors.log') instead of printing a traceback.
    KeyboardInterrupt and SystemExit keep Python's own handling."""

    def hook(kind, error, tb):
        if issubclass(kind, (KeyboardInterrupt, SystemExit)):
            sys.__excepthook__(kind, error, tb)
            return
        if error.__traceback__ is None:
            error = error.with_traceback(tb)
        path = log_exception(error)
        where = f" — details saved to {path}" if path is not None else ""
        line = f"{one_line(error)}{where}"
        try:
            show(line)
        except Exception:  # the window itself is broken: the terminal is all that is left
            print(f"visnet: something went wrong: {line}", file=sys.stderr)

    sys.excepthook = hook
