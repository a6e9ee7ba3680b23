"""The one error type for unusable data files, so callers catch one thing and show one line."""

from __future__ import annotations

from visnet.printable import printable


class DataError(Exception):
    """A data set file is missing, malformed or unreachable; the message names the file and the problem.

    The message is always one printable line, whatever the names and specs inside it hold.
    """

    def __init__(self, message: str) -> None:
        super().__init__(printable(message))
