"""The one error type for unusable data files, so callers catch one thing and show one line."""

from __future__ import annotations


def one_line(text: str) -> str:
    """`text` with every character str.isprintable() refuses written as a Python escape (\\n, \\x1b, \\u202e).

    File names and specs can hold line breaks, terminal escape sequences or bidirectional
    overrides; in a message they would break the one line, reach the terminal, or disguise a name.
    """
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


class DataError(Exception):
    """A data set file is missing, malformed or unreachable; the message names the file and the problem.

    The message is always one printable line, whatever the names and specs inside it hold.
    """

    def __init__(self, message: str) -> None:
        super().__init__(one_line(str(message)))
