"""Download the official MNIST / Fashion-MNIST / Kuzushiji-MNIST IDX files, verified by size and
SHA-256, written atomically.

Files already present with the right checksum are not downloaded again. Each download goes
to a locked temporary file in the destination folder and is moved into place with os.replace
only after its checksum matches, so an interrupted or corrupted download never leaves a file
that looks valid; the temporary files of killed downloads are removed by the next fetch.

No server can make a download run forever or fill the disk: a response announcing another
size than the published one is refused, reading stops past the published size, and a
download that stalls or trickles is abandoned (see STALL_SECONDS). Every failure becomes one
DataError line.
"""

from __future__ import annotations

import functools
import hashlib
import http.client
import os
import re
import socket
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from tqdm import tqdm

from visnet.data.discovery import default_download_dir, normalise_kind
from visnet.data.errors import DataError
from visnet.data.idx import IDX_FILE_NAMES
from visnet.io.atomic import create_locked_temporary, remove_stale_temporaries, replace_while_locked
from visnet.printable import printable

FETCH_FILE_NAMES = tuple(name + ".gz" for name in IDX_FILE_NAMES)
MIRRORS: dict[str, tuple[str, ...]] = {
    "mnist": (
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
    ),
    "fashion-mnist": ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
    "kmnist": ("https://codh.rois.ac.jp/kmnist/dataset/kmnist/",),
}
# A folder URL that replaces the official mirrors, for a local mirror or a network that
# cannot reach them; --mirror on the command line takes precedence.
MIRROR_ENVIRONMENT_VARIABLE = "VISNET_MIRROR"
# SHA-256 of the official .gz files, as pinned by tensorflow-datasets and others; they match
# the MD5 sums the MNIST and Fashion-MNIST authors publish. Kuzushiji-MNIST's are those of
# tensorflow-datasets' url_checksums/kmnist.txt, which torchvision-ruby pins too.
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
    "kmnist": {
        "train-images-idx3-ubyte.gz": "51467d22d8cc72929e2a028a0428f2086b092bb31cfb79c69cc0a90ce135fde4",
        "train-labels-idx1-ubyte.gz": "e38f9ebcd0f3ebcdec7fc8eabdcdaef93bb0df8ea12bee65224341c8183d8e17",
        "t10k-images-idx3-ubyte.gz": "edd7a857845ad6bb1d0ba43fe7e794d164fe2dce499a1694695a792adfac43c5",
        "t10k-labels-idx1-ubyte.gz": "20bb9a0ef54c7db3efc55a92eef5582c109615df22683c380526788f98e42a1c",
    },
}
# Sizes in bytes of the same files, as the MNIST page lists them and the mirrors serve them
# (Kuzushiji-MNIST's: tensorflow-datasets' url_checksums/kmnist.txt).
SIZES: dict[str, dict[str, int]] = {
    "mnist": {
        "train-images-idx3-ubyte.gz": 9_912_422,
        "train-labels-idx1-ubyte.gz": 28_881,
        "t10k-images-idx3-ubyte.gz": 1_648_877,
        "t10k-labels-idx1-ubyte.gz": 4_542,
    },
    "fashion-mnist": {
        "train-images-idx3-ubyte.gz": 26_421_880,
        "train-labels-idx1-ubyte.gz": 29_515,
        "t10k-images-idx3-ubyte.gz": 4_422_102,
        "t10k-labels-idx1-ubyte.gz": 5_148,
    },
    "kmnist": {
        "train-images-idx3-ubyte.gz": 18_165_135,
        "train-labels-idx1-ubyte.gz": 29_497,
        "t10k-images-idx3-ubyte.gz": 3_041_136,
        "t10k-labels-idx1-ubyte.gz": 5_120,
    },
}
# A download is abandoned when a window of STALL_SECONDS (the first one starts before
# connecting) brings fewer than MIN_BYTES_PER_SECOND * STALL_SECONDS bytes and the file is
# not complete. A silent, stalled or trickling server (or one sending its headers byte by
# byte) therefore fails within 20 s, and even with both MNIST mirrors failing that way a
# fetch ends within the minute. 8 kB/s still brings the largest file (Fashion-MNIST's 26 MB)
# within an hour, so a slow but working link succeeds; slower than that, the link is
# effectively stalled. The rule also bounds a whole download: at most about
# STALL_SECONDS + size / MIN_BYTES_PER_SECOND.
STALL_SECONDS = 20.0
MIN_BYTES_PER_SECOND = 8_000
CHUNK_BYTES = 1 << 16
# The temporary files _download creates: ".<file name>.<8 hex digits>.part". The pattern takes
# any 8 characters of tempfile.mkstemp's alphabet, so it also matches .part files that visnet
# versions using mkstemp left.
PART_FILE = re.compile(r"\.(?:" + "|".join(map(re.escape, FETCH_FILE_NAMES)) + r")\.[a-z0-9_]{8}\.part")


class _DownloadFailed(Exception):
    """One mirror could not deliver the file; the message says why, in one line."""


class _ChecksumMismatch(_DownloadFailed):
    """The mirror delivered the whole file, but with other contents than the published ones."""


def fetch(
    kind: str,
    dest_dir: str | os.PathLike | None = None,
    base_url: str | Sequence[str] | None = None,
    progress: bool = True,
    checksums: Mapping[str, str] | None = None,
    sizes: Mapping[str, int] | None = None,
    stall_seconds: float = STALL_SECONDS,
    min_bytes_per_second: float = MIN_BYTES_PER_SECOND,
) -> list[Path]:
    """Download `kind`'s four .gz files into dest_dir (default: default_download_dir(kind)).

    base_url: one mirror or several tried in order (default: $VISNET_MIRROR, else MIRRORS[kind]);
    checksums: file name → SHA-256 hex (default SHA256[kind]); sizes: file name → bytes
    (default SIZES[kind]); stall_seconds, min_bytes_per_second: the stall rule (see STALL_SECONDS).
    Returns the four paths, in IDX_FILE_NAMES order. DataError if a file cannot be fetched intact.
    """
    kind = normalise_kind(kind)
    dest = Path(dest_dir) if dest_dir is not None else default_download_dir(kind)
    mirrors = _mirrors(kind, base_url)
    checksums = checksums if checksums is not None else SHA256[kind]
    sizes = sizes if sizes is not None else SIZES[kind]
    try:
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise DataError(f"{dest}: cannot create the download folder: {err.strerror or err}") from err
    remove_stale_temporaries(dest, PART_FILE)
    stall_rule = _StallRule(stall_seconds, min_bytes_per_second)
    paths = []
    for name in FETCH_FILE_NAMES:
        path = dest / name
        if not _is_intact(path, sizes[name], checksums[name]):
            used = _download_from_mirrors(name, mirrors, path, checksums[name], sizes[name], stall_rule, progress)
            mirrors = mirrors[used:]  # the mirrors before it failed; the next files skip them
        paths.append(path)
    return paths


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _mirrors(kind: str, base_url: str | Sequence[str] | None) -> tuple[str, ...]:
    if base_url is None:
        base_url = os.environ.get(MIRROR_ENVIRONMENT_VARIABLE) or MIRRORS[kind]
    mirrors = (base_url,) if isinstance(base_url, str) else tuple(base_url)
    for mirror in mirrors:
        try:
            parts = urllib.parse.urlsplit(mirror)
        except ValueError:
            parts = None
        if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
            raise DataError(f"mirror {mirror!r} is not an http:// or https:// URL")
    return mirrors


def _is_intact(path: Path, size: int, sha256: str) -> bool:
    try:
        return path.is_file() and path.stat().st_size == size and sha256_of(path) == sha256
    except OSError:
        return False  # unreadable: download it again, and the os.replace says if that fails


def _download_from_mirrors(
    name: str,
    mirrors: Sequence[str],
    path: Path,
    sha256: str,
    size: int,
    stall_rule: _StallRule,
    progress: bool,
) -> int:
    """Try each mirror until one gives a copy with the right size and checksum; return its
    index in mirrors. DataError if none does."""
    mismatches, failures = [], []
    for index, mirror in enumerate(mirrors):
        url = mirror.rstrip("/") + "/" + name
        try:
            _download(url, path, sha256, size, stall_rule, progress)
            return index
        except _ChecksumMismatch as e:
            mismatches.append(f"{url}: {e}")
        except _DownloadFailed as e:
            failures.append(f"{url}: {e}")
    if mismatches:
        raise DataError(f"{path}: download failed its checksum check ({'; '.join(mismatches)}); nothing was saved")
    folder = path.parent
    raise DataError(
        f"could not download {name} ({'; '.join(failures)}); to install by hand, put "
        f"{', '.join(FETCH_FILE_NAMES)} into {folder} and run visnet with --data {folder}"
    )


def _download(url: str, path: Path, sha256: str, size: int, stall_rule: _StallRule, progress: bool) -> None:
    """Stream `url` into a locked temporary file beside `path`, check its size and SHA-256,
    then os.replace it. _DownloadFailed for what the server did, DataError for local problems."""
    try:
        tmp, out = create_locked_temporary(path.parent, f".{path.name}.", ".part")
    except OSError as err:
        raise DataError(f"{path.parent}: cannot write there: {err.strerror or err}") from err
    try:
        with out, _StallWatch(size, stall_rule) as watch:
            try:
                with _opener(watch).open(url, timeout=stall_rule.seconds) as response:
                    _check_content_length(response.headers, size)
                    with tqdm(
                        total=size, unit="B", unit_scale=True, unit_divisor=1024, desc=path.name, disable=not progress
                    ) as bar:
                        digest = _copy(response, out, tmp, watch, bar.update)
            except (urllib.error.URLError, http.client.HTTPException, OSError) as err:
                if isinstance(err, urllib.error.HTTPError):
                    err.close()
                raise _DownloadFailed(_describe(err, watch)) from err
            if digest != sha256:
                raise _ChecksumMismatch(f"SHA-256 {digest}, expected {sha256}")
            try:
                out.flush()
                os.fsync(out.fileno())
                replace_while_locked(out, tmp, path)
            except OSError as err:
                raise DataError(f"{path}: cannot save the download: {err.strerror or err}") from err
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _check_content_length(headers, size: int) -> None:
    for value in headers.get_all("Content-Length") or ():
        if not (value.isascii() and value.strip().isdigit()):
            raise _DownloadFailed(f"its Content-Length {printable(value[:40])!r} is not a number")
        if int(value) != size:
            raise _DownloadFailed(f"its Content-Length is {int(value):,}, but the file has {size:,} bytes")


def _copy(response, out: BinaryIO, out_path: Path, watch: _StallWatch, advance) -> str:
    """Copy the body into out, never more than the file's size; return its SHA-256 hex."""
    size = watch.size
    digest = hashlib.sha256()
    # read1 returns what one read brings, so the stall watch sees progress as it happens;
    # asking for one byte past size is how a body longer than the file is noticed.
    while chunk := response.read1(min(CHUNK_BYTES, size + 1 - watch.received)):
        if watch.received + len(chunk) > size:
            raise _DownloadFailed(f"it sends more than the file's {size:,} bytes")
        try:
            out.write(chunk)
        except OSError as err:
            raise DataError(f"{out_path}: cannot write the download: {err.strerror or err}") from err
        digest.update(chunk)
        watch.received += len(chunk)
        advance(len(chunk))
    if watch.stalled:  # the watch shut the connection, which reads as the end of the body
        raise _DownloadFailed(watch.rule.describe())
    if watch.received < size:
        raise _DownloadFailed(f"the connection closed after {watch.received:,} of {size:,} bytes")
    return digest.hexdigest()


def _describe(err: BaseException, watch: _StallWatch) -> str:
    """One line saying what went wrong, for the error message."""
    if watch.stalled:  # the watch shut the connection, whatever error that caused
        return watch.rule.describe()
    if isinstance(err, urllib.error.HTTPError):
        reason = str(err.reason).split("\n", 1)[0]  # a redirect loop's reason has three lines
        return printable(f"HTTP {err.code}: {reason}")
    if isinstance(err, urllib.error.URLError):
        err = err.reason if isinstance(err.reason, BaseException) else err
    if isinstance(err, http.client.IncompleteRead):
        return f"the connection closed after {watch.received:,} of {watch.size:,} bytes"
    if isinstance(err, http.client.RemoteDisconnected):
        return "the server closed the connection without answering"
    if isinstance(err, http.client.BadStatusLine):
        return "the server's answer is not HTTP"
    if isinstance(err, TimeoutError):
        return f"no answer in {watch.rule.seconds:g} s"
    if isinstance(err, OSError) and err.strerror:
        return printable(err.strerror)
    if isinstance(err, urllib.error.URLError):
        return printable(str(err.reason))
    return printable(str(err) or type(err).__name__)


@dataclass(frozen=True)
class _StallRule:
    """Each window of `seconds` must bring min_bytes_per_second * seconds bytes, or the rest of the file."""

    seconds: float
    min_bytes_per_second: float

    @property
    def bytes_per_window(self) -> float:
        return self.min_bytes_per_second * self.seconds

    def describe(self) -> str:
        return f"too slow: fewer than {self.bytes_per_window:,.0f} bytes in {self.seconds:g} s"


class _StallWatch:
    """Watches one download from a thread and, when a window breaks the stall rule, shuts its
    connections: a read blocked on a silent server, a TLS handshake, a redirect or a trickle
    of headers then ends at once, which no per-read timeout achieves."""

    def __init__(self, size: int, rule: _StallRule):
        self.received = 0  # body bytes so far, counted by the reader
        self.stalled = False
        self.rule = rule
        self.size = size
        self._sockets: list[socket.socket] = []
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="visnet-fetch-stall-watch", daemon=True)

    def __enter__(self) -> _StallWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._done.set()
        self._thread.join()
        for sock in self._sockets:
            sock.close()

    def add(self, sock: socket.socket) -> socket.socket:
        """Watch a new connection; returns sock. The watch keeps a duplicate, which stays
        usable when TLS takes sock over, and shuts it at once if the download already stalled."""
        duplicate = sock.dup()
        self._sockets.append(duplicate)
        if self.stalled:
            _shut(duplicate)
        return sock

    def _watch(self) -> None:
        counted = 0
        while not self._done.wait(self.rule.seconds):
            if self.received - counted < min(self.rule.bytes_per_window, self.size - counted):
                self.stalled = True
                for sock in list(self._sockets):
                    _shut(sock)
                return
            counted = self.received


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)  # ends the connection for every duplicate, waking a blocked read
    except OSError:
        pass  # the server closed it already


class _WatchedConnection:
    """Mixed into http.client's connections: hands each socket to the stall watch as soon as
    it is connected, before any TLS handshake or proxy tunnel."""

    def __init__(self, *args, watch: _StallWatch, **kwargs):
        super().__init__(*args, **kwargs)
        connect = self._create_connection  # http.client's hook for opening the socket
        self._create_connection = lambda *args, **kwargs: watch.add(connect(*args, **kwargs))


class _WatchedHTTPConnection(_WatchedConnection, http.client.HTTPConnection):
    pass


class _WatchedHTTPSConnection(_WatchedConnection, http.client.HTTPSConnection):
    pass


class _WatchedHandler(urllib.request.AbstractHTTPHandler):
    """Opens http and https URLs through connections the stall watch can shut."""

    def __init__(self, watch: _StallWatch):
        super().__init__()
        self._watch = watch

    def http_open(self, req):
        return self.do_open(functools.partial(_WatchedHTTPConnection, watch=self._watch), req)

    def https_open(self, req):
        return self.do_open(functools.partial(_WatchedHTTPSConnection, watch=self._watch), req)

    http_request = urllib.request.AbstractHTTPHandler.do_request_
    https_request = urllib.request.AbstractHTTPHandler.do_request_


def _opener(watch: _StallWatch) -> urllib.request.OpenerDirector:
    """urllib's usual opener for http and https only (no ftp: or file: redirects), honouring
    http_proxy / https_proxy / no_proxy, with connections the stall watch can shut."""
    opener = urllib.request.OpenerDirector()
    for handler in (
        urllib.request.ProxyHandler(),
        _WatchedHandler(watch),
        urllib.request.HTTPDefaultErrorHandler(),
        urllib.request.HTTPRedirectHandler(),
        urllib.request.HTTPErrorProcessor(),
        urllib.request.UnknownHandler(),
    ):
        opener.add_handler(handler)
    return opener
