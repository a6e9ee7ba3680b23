"""Opening files nobody vouches for: regular files only, and opening never blocks.

A FIFO with no writer blocks open() for ever and a device such as /dev/zero streams for
ever; either can sit where a model or data file is expected (a typo, a model file's
dataset_spec). The model and data readers open their files here and turn the OSError into
their own one-line error.
"""

from __future__ import annotations

import errno
import os
import stat
from typing import BinaryIO

# O_NONBLOCK lets open() return at once on a FIFO with no writer; fstat then refuses it. It has
# no effect on the regular files that pass.
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
_FILE_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


class NotARegularFile(OSError):
    """The path is a folder, a FIFO, a socket or a device; `kind` says which ("a FIFO")."""

    def __init__(self, kind: str):
        super().__init__(f"{kind}, not a regular file")
        self.kind = kind


def describe_file_kind(mode: int) -> str:
    """'a FIFO', 'a folder', ... for what an st_mode says a path is."""
    return next((name for is_kind, name in _FILE_KINDS if is_kind(mode)), "not a regular file")


def open_regular(path: str | os.PathLike) -> BinaryIO:
    """path opened for unbuffered binary reading (symlinks followed); NotARegularFile if it is
    anything but a regular file, other OSErrors (FileNotFoundError, ...) as open() gives them,
    and an OSError for a path no file can have."""
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except ValueError:  # os.open's answer to a NUL character, which no file name can hold
        raise OSError(errno.EINVAL, "the path holds a NUL character") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise NotARegularFile(describe_file_kind(mode))
        return os.fdopen(fd, "rb", buffering=0)
    except BaseException:
        os.close(fd)
        raise
