"""The one error type raised for any unreadable, invalid or unwritable model file."""

from __future__ import annotations

import os


class ModelFileError(Exception):
    """A model file could not be read or written.

    str(error) is one line, "<file>: <problem>", fit for a status bar or a CLI message.
    path: the file as given; problem: what went wrong, without the file name.
    """

    def __init__(self, path: str | os.PathLike, problem: str):
        self.path = os.fspath(path)
        self.problem = " ".join(str(problem).split())  # one line, whatever the cause said
        super().__init__(f"{self.path}: {self.problem}")
