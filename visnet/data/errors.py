"""The one error type for unusable data files, so callers catch one thing and show one line."""

from __future__ import annotations


class DataError(Exception):
    """A data set file is missing, malformed or unreachable; the message names the file and the problem."""
