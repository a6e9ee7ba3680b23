"""Reading named members of a zip archive held in memory, with every size bounded.

Keras .keras and skops .skops files are zip archives. Only members named by the format are
read, never extracted to disk, so a member's own path cannot point anywhere. A member is
inflated only after its declared size passed a limit, and zipfile stops at that declared
size, so a zip bomb costs no more than the limit. bzip2 and lzma members are refused:
neither Keras nor skops writes them.
"""

from __future__ import annotations

import io
import os
import zipfile
import zlib

from .errors import ModelFileError, shown

_READABLE_COMPRESSION = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED}
_ENCRYPTED_FLAG = 0x1
# What zipfile raises on a damaged archive (NotImplementedError: a feature it lacks).
MALFORMED_ZIP = (ValueError, EOFError, OSError, zlib.error, zipfile.BadZipFile, NotImplementedError, KeyError)
MAX_MEMBERS = 100_000  # a skops file holds a few dozen arrays; a Keras file three members


def is_zip(data: bytes) -> bool:
    return data[:4] == b"PK\x03\x04"


def member_names(data: bytes) -> set[str] | None:
    """The names in a zip archive's directory, or None when the directory is unreadable."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return set(archive.namelist())
    except MALFORMED_ZIP:
        return None


def open_archive(path: str | os.PathLike, data: bytes, what: str) -> zipfile.ZipFile:
    """The zip archive in data; ModelFileError naming `what` ("a Keras .keras file") if unreadable."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except MALFORMED_ZIP as err:
        raise ModelFileError(path, f"not a readable zip archive, so not {what} ({err})") from None
    if len(archive.infolist()) > MAX_MEMBERS:
        raise ModelFileError(path, f"holds over {MAX_MEMBERS} zip members, so not {what}")
    return archive


def member_info(path: str | os.PathLike, archive: zipfile.ZipFile, name: str, limit: int) -> zipfile.ZipInfo:
    """The directory entry of member `name`, once it is stored in a way visnet reads and
    declares at most limit bytes."""
    try:
        info = archive.getinfo(name)
    except KeyError:
        raise ModelFileError(path, f"the archive has no member {shown(name)}") from None
    if info.compress_type not in _READABLE_COMPRESSION:
        raise ModelFileError(
            path, f"member {shown(name)} uses zip compression method {info.compress_type} (only stored or deflated)"
        )
    if info.flag_bits & _ENCRYPTED_FLAG:
        raise ModelFileError(path, f"member {shown(name)} is encrypted")
    if info.file_size > limit:
        raise ModelFileError(path, f"member {shown(name)} declares {info.file_size} bytes, over the limit of {limit}")
    return info


def read_member(path: str | os.PathLike, archive: zipfile.ZipFile, name: str, limit: int) -> bytes:
    """The bytes of member `name`, at most limit of them, after checking how it is stored."""
    info = member_info(path, archive, name, limit)
    try:
        with archive.open(info) as member:
            raw = member.read(limit + 1)
    except MALFORMED_ZIP as err:
        raise ModelFileError(path, f"member {shown(name)} is damaged ({err})") from None
    if len(raw) != info.file_size:
        raise ModelFileError(path, f"member {shown(name)} holds {len(raw)} bytes, not the {info.file_size} declared")
    return raw
