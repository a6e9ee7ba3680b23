"""The one error type for unusable data files, so callers catch one thing and show one line."""

from __future__ import annotations

import unicodedata

# Control characters, line and paragraph separators: a file name or a spec may hold any of them,
# and in a message they would break the one line or reach the terminal as escape sequences.
_UNPRINTABLE_CATEGORIES = {"Cc", "Zl", "Zp"}


def one_line(text: str) -> str:
    """`text` with every control character and line break written as a Python escape (\\n, \\x1b)."""
    return "".join(repr(ch)[1:-1] if unicodedata.category(ch) in _UNPRINTABLE_CATEGORIES else ch for ch in text)


class DataError(Exception):
    """A data set file is missing, malformed or unreachable; the message names the file and the problem.

    The message is always one printable line, whatever the names and specs inside it hold.
    """

    def __init__(self, message: str) -> None:
        super().__init__(one_line(str(message)))
