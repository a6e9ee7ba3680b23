"""fetch() against a local http.server on 127.0.0.1: never the internet."""

import hashlib
import http.server
import socket
import threading

import pytest
from misbehaving_server import MisbehavingServer, status

from visnet.data import DataError, fetch, load_idx_folder
from visnet.data.fetch import FETCH_FILE_NAMES
from visnet.io.atomic import create_locked_temporary


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(autouse=True)
def no_proxy_for_the_local_server(monkeypatch):
    """A developer's http_proxy must not send the requests for 127.0.0.1 elsewhere."""
    monkeypatch.setenv("no_proxy", "127.0.0.1")


@pytest.fixture
def server(tmp_path, make_idx_folder):
    """Serve a small gzipped IDX data set; yields (base_url, fetch's checksums= and sizes=, requested paths, folder)."""
    served = tmp_path / "served"
    make_idx_folder(served, n_train=20, n_test=10, gz=True)
    expected = published(served)
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
    yield f"http://127.0.0.1:{httpd.server_port}/", expected, requested, served
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def test_fetch_downloads_and_verifies(tmp_path, server):
    url, expected, requested, _ = server
    dest = tmp_path / "dest"
    paths = fetch("mnist", dest, base_url=url, progress=True, **expected)
    assert [p.name for p in paths] == list(FETCH_FILE_NAMES)
    assert sorted(requested) == sorted("/" + n for n in FETCH_FILE_NAMES)
    assert load_idx_folder(dest).n_train == 20
    assert sorted(p.name for p in dest.iterdir()) == sorted(FETCH_FILE_NAMES)  # no temp files left


def test_second_fetch_downloads_nothing(tmp_path, server):
    url, expected, requested, _ = server
    fetch("mnist", tmp_path, base_url=url, progress=False, **expected)
    requested.clear()
    fetch("mnist", tmp_path, base_url=url, progress=False, **expected)
    assert requested == []


def test_invalid_local_file_is_replaced(tmp_path, server):
    url, expected, requested, _ = server
    (tmp_path / "t10k-labels-idx1-ubyte.gz").write_bytes(b"stale")
    fetch("mnist", tmp_path, base_url=url, progress=False, **expected)
    assert (tmp_path / "t10k-labels-idx1-ubyte.gz").read_bytes() != b"stale"


def test_checksum_mismatch_leaves_nothing(tmp_path, server):
    url, expected, _, served = server
    corrupted = served / "train-labels-idx1-ubyte.gz"
    data = bytearray(corrupted.read_bytes())
    data[-1] ^= 0xFF  # same size, other contents
    corrupted.write_bytes(data)
    dest = tmp_path / "dest"
    with pytest.raises(DataError, match=r"train-labels-idx1-ubyte\.gz: download failed its checksum check"):
        fetch("mnist", dest, base_url=url, progress=False, **expected)
    assert not (dest / "train-labels-idx1-ubyte.gz").exists()
    assert not [p for p in dest.iterdir() if p.name.endswith(".part")]


def test_falls_back_to_next_mirror(tmp_path, server):
    url, expected, requested, _ = server
    dead = f"http://127.0.0.1:{_closed_port()}/"
    fetch("mnist", tmp_path, base_url=[dead, url], progress=False, **expected)
    assert len(requested) == 4


def test_a_mirror_that_failed_is_not_asked_for_the_other_files(tmp_path, server):
    url, expected, requested, served = server
    with MisbehavingServer(status("503 Service Unavailable"), {}) as failing:
        fetch("mnist", tmp_path, base_url=[failing.url, url], progress=False, **expected)
    assert failing.requests == ["/" + FETCH_FILE_NAMES[0]]
    assert len(requested) == 4


def test_visnet_mirror_chooses_the_mirror(tmp_path, server, monkeypatch):
    url, expected, requested, _ = server
    monkeypatch.setenv("VISNET_MIRROR", url)
    fetch("mnist", tmp_path, progress=False, **expected)
    assert len(requested) == 4


def test_base_url_takes_precedence_over_visnet_mirror(tmp_path, server, monkeypatch):
    url, expected, requested, _ = server
    monkeypatch.setenv("VISNET_MIRROR", f"http://127.0.0.1:{_closed_port()}/")
    fetch("mnist", tmp_path, base_url=url, progress=False, **expected)
    assert len(requested) == 4


@pytest.mark.parametrize(
    "mirror", ["ftp://example.org/mnist/", "file:///tmp/mnist/", "mirror.example.org", "http://[::1"]
)
def test_a_mirror_that_is_not_an_http_url_is_refused(tmp_path, mirror):
    with pytest.raises(DataError, match="is not an http:// or https:// URL") as info:
        fetch("mnist", tmp_path, base_url=mirror, progress=False)
    assert "\n" not in str(info.value)


def test_fetch_removes_parts_of_killed_downloads_but_not_one_being_written(tmp_path, server):
    url, expected, _, _ = server
    killed = [
        tmp_path / ".train-images-idx3-ubyte.gz.k1ll_d00.part",
        tmp_path / ".t10k-labels-idx1-ubyte.gz.0123abcd.part",
    ]
    for part in killed:
        part.write_bytes(b"x" * 1000)
    not_ours = tmp_path / ".notes.txt.0123abcd.part"
    not_ours.write_bytes(b"x")
    being_written, f = create_locked_temporary(tmp_path, ".train-images-idx3-ubyte.gz.", ".part")
    with f:
        fetch("mnist", tmp_path, base_url=url, progress=False, **expected)
        parts = sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".part"))
        assert parts == sorted([being_written.name, not_ours.name])
    assert load_idx_folder(tmp_path).n_train == 20


def test_unreachable_gives_one_line_manual_instructions(tmp_path):
    dest = tmp_path / "dest"
    with pytest.raises(DataError) as info:
        fetch("fashion-mnist", dest, base_url=f"http://127.0.0.1:{_closed_port()}/", progress=False, stall_seconds=5)
    message = str(info.value)
    assert "\n" not in message
    assert all(name in message for name in FETCH_FILE_NAMES)
    assert f"--data {dest}" in message
    assert list(dest.iterdir()) == []


def published(folder):
    """fetch's checksums= and sizes= for the four files in folder, as if they were the official ones."""
    files = {name: (folder / name).read_bytes() for name in FETCH_FILE_NAMES}
    return {
        "checksums": {name: hashlib.sha256(data).hexdigest() for name, data in files.items()},
        "sizes": {name: len(data) for name, data in files.items()},
    }


def _closed_port() -> int:
    """A port on 127.0.0.1 with nothing listening (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
