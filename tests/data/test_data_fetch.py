"""fetch() against a local http.server on 127.0.0.1: never the internet."""

import gzip
import hashlib
import http.server
import socket
import threading

import numpy as np
import pytest

from visnet.data import DataError, fetch, load_idx_folder
from visnet.data.fetch import FETCH_FILE_NAMES


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def server(tmp_path, make_idx_folder):
    """Serve a small gzipped IDX data set; yields (base_url, checksums, requested paths)."""
    served = tmp_path / "served"
    make_idx_folder(served, n_train=20, n_test=10, gz=True)
    checksums = {n: hashlib.sha256((served / n).read_bytes()).hexdigest() for n in FETCH_FILE_NAMES}
    requested = []

    class Handler(_QuietHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(served), **kwargs)

        def do_GET(self):
            requested.append(self.path)
            super().do_GET()

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}/", checksums, requested, served
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def test_fetch_downloads_and_verifies(tmp_path, server):
    url, checksums, requested, _ = server
    dest = tmp_path / "dest"
    paths = fetch("mnist", dest, base_url=url, progress=True, checksums=checksums)
    assert [p.name for p in paths] == list(FETCH_FILE_NAMES)
    assert sorted(requested) == sorted("/" + n for n in FETCH_FILE_NAMES)
    assert load_idx_folder(dest).n_train == 20
    assert sorted(p.name for p in dest.iterdir()) == sorted(FETCH_FILE_NAMES)  # no temp files left


def test_second_fetch_downloads_nothing(tmp_path, server):
    url, checksums, requested, _ = server
    fetch("mnist", tmp_path, base_url=url, progress=False, checksums=checksums)
    requested.clear()
    fetch("mnist", tmp_path, base_url=url, progress=False, checksums=checksums)
    assert requested == []


def test_invalid_local_file_is_replaced(tmp_path, server):
    url, checksums, requested, _ = server
    (tmp_path / "t10k-labels-idx1-ubyte.gz").write_bytes(b"stale")
    fetch("mnist", tmp_path, base_url=url, progress=False, checksums=checksums)
    assert (tmp_path / "t10k-labels-idx1-ubyte.gz").read_bytes() != b"stale"


def test_checksum_mismatch_leaves_nothing(tmp_path, server):
    url, checksums, _, served = server
    corrupted = served / "train-labels-idx1-ubyte.gz"
    corrupted.write_bytes(gzip.compress(b"\x00\x00\x08\x01" + np.uint32(20).byteswap().tobytes() + bytes(20)))
    dest = tmp_path / "dest"
    with pytest.raises(DataError, match=r"train-labels-idx1-ubyte\.gz: download failed its checksum check"):
        fetch("mnist", dest, base_url=url, progress=False, checksums=checksums)
    assert not (dest / "train-labels-idx1-ubyte.gz").exists()
    assert not [p for p in dest.iterdir() if p.name.endswith(".part")]


def test_falls_back_to_next_mirror(tmp_path, server):
    url, checksums, requested, _ = server
    dead = f"http://127.0.0.1:{_closed_port()}/"
    fetch("mnist", tmp_path, base_url=[dead, url], progress=False, checksums=checksums)
    assert len(requested) == 4


def test_unreachable_gives_one_line_manual_instructions(tmp_path):
    dest = tmp_path / "dest"
    with pytest.raises(DataError) as info:
        fetch("fashion-mnist", dest, base_url=f"http://127.0.0.1:{_closed_port()}/", progress=False, timeout=5)
    message = str(info.value)
    assert "\n" not in message
    assert all(name in message for name in FETCH_FILE_NAMES)
    assert f"--data {dest}" in message
    assert list(dest.iterdir()) == []


def _closed_port() -> int:
    """A port on 127.0.0.1 with nothing listening (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
