"""Download the official MNIST / Fashion-MNIST IDX files, verified by SHA-256, written atomically.

Files already present with the right checksum are not downloaded again. Each download goes
to a temporary file in the destination folder and is moved into place with os.replace only
after its checksum matches, so an interrupted or corrupted download never leaves a file
that looks valid.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path

from tqdm import tqdm

from visnet.data.discovery import default_download_dir, normalise_kind
from visnet.data.errors import DataError
from visnet.data.idx import IDX_FILE_NAMES

FETCH_FILE_NAMES = tuple(name + ".gz" for name in IDX_FILE_NAMES)
MIRRORS: dict[str, tuple[str, ...]] = {
    "mnist": (
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
    ),
    "fashion-mnist": ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
}
# SHA-256 of the official .gz files, as pinned by tensorflow-datasets and others; they match
# the MD5 sums the MNIST and Fashion-MNIST authors publish.
SHA256: dict[str, dict[str, str]] = {
    "mnist": {
        "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
    },
    "fashion-mnist": {
        "train-images-idx3-ubyte.gz": "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
        "train-labels-idx1-ubyte.gz": "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
        "t10k-images-idx3-ubyte.gz": "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
        "t10k-labels-idx1-ubyte.gz": "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
    },
}
CHUNK_BYTES = 1 << 16


class _ChecksumMismatch(Exception):
    """Raised inside a download attempt; becomes a DataError if no mirror has a good copy."""


def fetch(
    kind: str,
    dest_dir: str | os.PathLike | None = None,
    base_url: str | Sequence[str] | None = None,
    progress: bool = True,
    checksums: Mapping[str, str] | None = None,
    timeout: float = 30.0,
) -> list[Path]:
    """Download `kind`'s four .gz files into dest_dir (default: default_download_dir(kind)).

    base_url: one mirror or several tried in order (default MIRRORS[kind]);
    checksums: file name → SHA-256 hex (default SHA256[kind]).
    Returns the four paths, in IDX_FILE_NAMES order. DataError if a file cannot be fetched intact.
    """
    kind = normalise_kind(kind)
    dest = Path(dest_dir) if dest_dir is not None else default_download_dir(kind)
    mirrors = (base_url,) if isinstance(base_url, str) else tuple(base_url or MIRRORS[kind])
    checksums = checksums if checksums is not None else SHA256[kind]
    dest.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in FETCH_FILE_NAMES:
        path = dest / name
        if not (path.is_file() and sha256_of(path) == checksums[name]):
            _download_from_mirrors(name, mirrors, path, checksums[name], progress, timeout)
        paths.append(path)
    return paths


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _download_from_mirrors(
    name: str, mirrors: Sequence[str], path: Path, sha256: str, progress: bool, timeout: float
) -> None:
    """Try each mirror until one gives a copy with the right checksum; DataError if none does."""
    mismatches, failures = [], []
    for mirror in mirrors:
        url = mirror.rstrip("/") + "/" + name
        try:
            _download(url, path, sha256, progress, timeout)
            return
        except _ChecksumMismatch as e:
            mismatches.append(str(e))
        except (urllib.error.URLError, OSError) as e:
            failures.append(f"{url}: {getattr(e, 'reason', e)}")
    if mismatches:
        raise DataError(f"{path}: download failed its checksum check ({'; '.join(mismatches)}); nothing was saved")
    folder = path.parent
    raise DataError(
        f"could not download {name} ({'; '.join(failures)}); to install by hand, put "
        f"{', '.join(FETCH_FILE_NAMES)} into {folder} and run visnet with --data {folder}"
    )


def _download(url: str, path: Path, sha256: str, progress: bool, timeout: float) -> None:
    """Stream `url` into a temporary file beside `path`, check its SHA-256, then os.replace it."""
    digest = hashlib.sha256()
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as response:
            total = int(response.headers.get("Content-Length") or 0) or None
            with tqdm(
                total=total, unit="B", unit_scale=True, unit_divisor=1024, desc=path.name, disable=not progress
            ) as bar:
                while chunk := response.read(CHUNK_BYTES):
                    out.write(chunk)
                    digest.update(chunk)
                    bar.update(len(chunk))
        if digest.hexdigest() != sha256:
            raise _ChecksumMismatch(f"{url} has SHA-256 {digest.hexdigest()}, expected {sha256}")
        os.replace(tmp_name, path)
    finally:
        if os.path.exists(tmp_name):
            os.remove(tmp_name)
