"""Write a file so that readers see either the old content or the new, never a mix.

The bytes go to a temporary file in the target's folder (so os.replace is a rename on
one file system), are flushed and fsync'ed, and only then replace the target.

A process killed mid-write leaves its temporary file behind. Each temporary file is locked
(flock) for as long as it is written, so the next writer into the folder can tell a stale
one, whose lock is free, from one another visnet is still writing, and removes only the
stale ones. Where flock is unavailable, a temporary file untouched for STALE_AGE_SECONDS
counts as stale.
"""

from __future__ import annotations

import os
import re
import secrets
import time
from pathlib import Path
from typing import BinaryIO

from .errors import ModelFileError

try:
    import fcntl
except ImportError:  # Windows: no flock, and an open file cannot be removed there anyway
    fcntl = None

# Longer than any write pauses between two chunks: a download that stalls this long has failed.
STALE_AGE_SECONDS = 600.0
# The temporary files atomic_write_bytes creates: ".<file name>.<8 hex digits>.tmp".
MODEL_TEMPORARY = re.compile(r"\..+\.[0-9a-f]{8}\.tmp")


def _os_problem(err: OSError) -> str:
    return err.strerror or str(err) or type(err).__name__


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write data to path atomically; on failure the previous file is left untouched,
    the temporary file removed, and ModelFileError raised naming the OS problem.
    Stale temporary files of earlier, killed saves into the same folder are removed first."""
    target = Path(path)
    if target.is_dir():
        raise ModelFileError(path, "is a folder; give a file name such as model.safetensors")
    folder = target.parent
    if not folder.is_dir():
        raise ModelFileError(path, f"cannot save: folder {str(folder)!r} does not exist")

    remove_stale_temporaries(folder, MODEL_TEMPORARY)
    try:
        tmp, f = create_locked_temporary(folder, f".{target.name}.", ".tmp")
    except OSError as err:
        raise ModelFileError(path, f"cannot save: {_os_problem(err)}") from err

    try:
        with f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
            if target.exists():
                try:
                    os.chmod(tmp, target.stat().st_mode & 0o7777)  # keep the old file's permissions
                except OSError:
                    pass
            replace_while_locked(f, tmp, target)
    except BaseException as err:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(err, OSError):
            kept = "; the previous file is unchanged" if target.exists() else ""
            raise ModelFileError(path, f"cannot save: {_os_problem(err)}{kept}") from err
        raise
    _fsync_folder(folder)
    return target


def create_locked_temporary(folder: Path, prefix: str, suffix: str) -> tuple[Path, BinaryIO]:
    """A new file prefix + 8 hex digits + suffix in folder, open for writing and locked until
    closed, so remove_stale_temporaries leaves it alone. OSError if it cannot be created."""
    for _ in range(100):
        tmp = folder / f"{prefix}{secrets.token_hex(4)}{suffix}"
        try:
            # mode 0o666 minus the umask: the same permissions as an ordinary new file
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
        except FileExistsError:
            continue
        f = os.fdopen(fd, "wb")
        if _lock_new_file(f, tmp):
            return tmp, f
        f.close()
    raise FileExistsError(f"could not create a temporary file in {folder}")


def replace_while_locked(f: BinaryIO, tmp: Path, target: Path) -> None:
    """os.replace(tmp, target) while f, tmp's locked handle, is still open, so no cleaner
    ever sees tmp unlocked; where flock is unavailable (Windows), f is closed first because
    an open file cannot be renamed there."""
    if fcntl is None:
        f.close()
    os.replace(tmp, target)


def remove_stale_temporaries(folder: Path, pattern: re.Pattern[str]) -> list[Path]:
    """Remove the files in folder whose whole name matches pattern and that no process is
    writing (their lock is free); best effort, never raises. Returns the paths removed."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return []
    removed = []
    for entry in entries:
        if pattern.fullmatch(entry.name) and entry.is_file(follow_symlinks=False) and _remove_if_stale(entry.path):
            removed.append(Path(entry.path))
    return removed


def _lock_new_file(f: BinaryIO, tmp: Path) -> bool:
    """Lock the file just created at tmp; False if a cleaner removed it before the lock was
    taken (creating and locking are two steps, and between them the file looks stale)."""
    if fcntl is None:
        return True
    try:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX)  # a cleaner holds the lock only while it removes the file
    except OSError:
        return True  # a file system without flock: unlocked, as on Windows
    try:
        return os.path.samestat(os.fstat(f.fileno()), os.stat(tmp, follow_symlinks=False))
    except FileNotFoundError:
        return False


def _remove_if_stale(path: str) -> bool:
    try:
        # O_NONBLOCK: a FIFO given our naming pattern must not block the open
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return False
    try:
        if not (_is_unused(fd) and os.path.samestat(os.fstat(fd), os.stat(path, follow_symlinks=False))):
            return False
        os.unlink(path)  # still holding the lock, so no writer can adopt the file meanwhile
        return True
    except OSError:
        return False
    finally:
        os.close(fd)


def _is_unused(fd: int) -> bool:
    """True if no process holds the file's lock (taking it), or, without flock, if it has not
    been written to for STALE_AGE_SECONDS."""
    if fcntl is not None:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            return False
        except OSError:
            pass  # a file system without flock: judge by age
    return time.time() - os.fstat(fd).st_mtime > STALE_AGE_SECONDS


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX only; best effort)."""
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
