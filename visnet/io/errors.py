"""The one error type raised for any unreadable, invalid or unwritable model file, and
how values from a file are shown in its messages."""

from __future__ import annotations

import os
import reprlib

from ..printable import printable

MAX_PROBLEM = 300  # characters of a problem shown: a message fits a status bar, whatever the file holds

_SHORT = reprlib.Repr()
_SHORT.maxstring = _SHORT.maxother = _SHORT.maxlong = 40
_SHORT.maxlist = _SHORT.maxdict = 6
_SHORT.maxlevel = 3


def shown(value: object) -> str:
    """A short repr of a value read from a file: long strings, lists and numbers are cut,
    so that naming a bad value costs little even when the file holds megabytes of it."""
    return _SHORT.repr(value)


def listed(names: list[str], most: int = 6) -> str:
    """names joined by commas, the first few of them when a file holds thousands."""
    if len(names) <= most:
        return ", ".join(names)
    return f"{', '.join(names[:most])} and {len(names) - most} more"


class ModelFileError(Exception):
    """A model file could not be read or written.

    str(error) is one line, "<file>: <problem>", fit for a status bar or a CLI message.
    path: the file as given; problem: what went wrong, without the file name (one
    printable line of at most MAX_PROBLEM characters).
    """

    def __init__(self, path: str | os.PathLike, problem: str):
        self.path = os.fspath(path)
        problem = printable(problem)
        if len(problem) > MAX_PROBLEM:
            problem = problem[: MAX_PROBLEM - 3] + "..."
        self.problem = problem
        super().__init__(f"{printable(self.path)}: {self.problem}")
