"""Write a file so that readers see either the old content or the new, never a mix.

The bytes go to a temporary file in the target's folder (so os.replace is a rename on
one file system), are flushed and fsync'ed, and only then replace the target.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from .errors import ModelFileError


def _os_problem(err: OSError) -> str:
    return err.strerror or str(err) or type(err).__name__


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write data to path atomically; on failure the previous file is left untouched,
    the temporary file removed, and ModelFileError raised naming the OS problem."""
    target = Path(path)
    if target.is_dir():
        raise ModelFileError(path, "is a folder; give a file name such as model.safetensors")
    folder = target.parent
    if not folder.is_dir():
        raise ModelFileError(path, f"cannot save: folder {str(folder)!r} does not exist")

    tmp = None
    for _ in range(100):
        candidate = folder / f".{target.name}.{secrets.token_hex(4)}.tmp"
        try:
            # mode 0o666 minus the umask: the same permissions as an ordinary new file
            fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
        except FileExistsError:
            continue
        except OSError as err:
            raise ModelFileError(path, f"cannot save: {_os_problem(err)}") from err
        tmp = candidate
        break
    if tmp is None:
        raise ModelFileError(path, "cannot save: could not create a temporary file next to it")

    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if target.exists():
            try:
                os.chmod(tmp, target.stat().st_mode & 0o7777)  # keep the old file's permissions
            except OSError:
                pass
        os.replace(tmp, target)
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
