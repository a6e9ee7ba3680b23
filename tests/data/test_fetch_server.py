"""fetch() and `visnet data fetch` against a local server misbehaving in every way we know of.

Each failure must be one DataError line, arrive within the test's deadline, never write more
than the file's size and leave no .part file. The stall rule is shrunk to 0.3 s windows so the
tests stay fast; production uses 20 s.
"""

import hashlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import misbehaving_server as behave
import numpy as np
import pytest
from misbehaving_server import MisbehavingServer, part_sizes_while

from visnet.cli import main
from visnet.data import DataError, fetch
from visnet.data.fetch import FETCH_FILE_NAMES, SIZES

try:
    import resource
except ImportError:  # Windows
    resource = None

STALL = {"stall_seconds": 0.3, "min_bytes_per_second": 2_000}  # 600 bytes per 0.3 s window
DEADLINE = 3.0  # seconds any failure may take with STALL (the slowest takes about two windows)
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def no_proxy_for_the_local_server(monkeypatch):
    """A developer's http_proxy must not send the requests for 127.0.0.1 elsewhere."""
    monkeypatch.setenv("no_proxy", "127.0.0.1")


def make_files(sizes=(60_000, 100, 2_000, 50), seed=0):
    """Random contents for the four file names (fetch checks sizes and checksums, not formats)."""
    rng = np.random.default_rng(seed)
    return {name: rng.bytes(size) for name, size in zip(FETCH_FILE_NAMES, sizes)}


def published(files):
    return {
        "checksums": {name: hashlib.sha256(data).hexdigest() for name, data in files.items()},
        "sizes": {name: len(data) for name, data in files.items()},
    }


def fetch_from(url, dest, files, **limits):
    return fetch("mnist", dest, base_url=url, progress=False, **published(files), **(limits or STALL))


FAILURES = {
    "endless body": (behave.endless, r"sends more than the file's 60,000 bytes"),
    "slow trickle": (behave.trickle(0.05), r"too slow: fewer than 600 bytes in 0\.3 s"),
    "steady but too slow": (behave.steady(1_000, piece=50), r"too slow: fewer than 600 bytes in 0\.3 s"),
    "headers byte by byte": (behave.header_trickle(0.05), r"too slow|no answer in 0\.3 s"),
    "silent server": (behave.silent, r"too slow|no answer in 0\.3 s"),
    "chunked body cut off": (behave.chunked_cut_off, r"the connection closed after 30,000 of 60,000 bytes"),
    "connection closed mid-body": (behave.closed_mid_body, r"the connection closed after 30,000 of 60,000 bytes"),
    "bad status line": (behave.bad_status_line, r"the server's answer is not HTTP"),
    "closed without answer": (behave.closed_without_answer, r"closed the connection without answering"),
    "Content-Length not a number": (behave.content_length("60k"), r"Content-Length '60k' is not a number"),
    "Content-Length negative": (behave.content_length("-1"), r"Content-Length '-1' is not a number"),
    "Content-Length too large": (
        behave.content_length("{size}0"),
        r"Content-Length is 600,000, but the file has 60,000 bytes",
    ),
    "Content-Length too small": (behave.content_length("1"), r"Content-Length is 1, but the file has 60,000 bytes"),
    "404": (behave.status("404 Not Found"), r"HTTP 404: Not Found"),
    "500": (behave.status("500 Internal Server Error"), r"HTTP 500: Internal Server Error"),
    "redirect loop": (behave.redirect_loop, r"HTTP 302: .*infinite loop"),
    "wrong checksum": (behave.other_bytes, r"download failed its checksum check"),
}


@pytest.mark.timing
@pytest.mark.parametrize("behaviour, message", FAILURES.values(), ids=FAILURES.keys())
def test_each_failure_is_one_line_soon_and_bounded(tmp_path, behaviour, message):
    files = make_files()
    with MisbehavingServer(behaviour, files) as server:
        started = time.monotonic()
        largest_part, outcome = part_sizes_while(tmp_path, lambda: fetch_from(server.url, tmp_path, files))
        took = time.monotonic() - started
    assert isinstance(outcome, DataError), outcome
    assert "\n" not in str(outcome) and "\x1b" not in str(outcome)
    assert took < DEADLINE
    assert largest_part <= len(files[FETCH_FILE_NAMES[0]])
    assert list(tmp_path.iterdir()) == []
    assert server.requests[0] == "/" + FETCH_FILE_NAMES[0]
    assert re.search(message, str(outcome)), str(outcome)


def test_connection_refused_is_one_line(tmp_path):
    started = time.monotonic()
    with pytest.raises(DataError, match="Connection refused") as info:
        fetch_from(f"http://127.0.0.1:{closed_port()}/", tmp_path, make_files())
    assert "\n" not in str(info.value)
    assert time.monotonic() - started < DEADLINE
    assert list(tmp_path.iterdir()) == []


def test_a_tls_handshake_that_trickles_ends_in_one_line_soon(tmp_path):
    with MisbehavingServer(behave.tls_handshake_trickle(0.05), {}, read_request=False) as server:
        started = time.monotonic()
        with pytest.raises(DataError, match=r"too slow: fewer than 600 bytes in 0\.3 s") as info:
            fetch_from(server.url.replace("http:", "https:"), tmp_path, make_files())
    assert time.monotonic() - started < DEADLINE
    assert "\n" not in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_http_proxy_is_honoured(tmp_path, monkeypatch):
    files = make_files()
    with MisbehavingServer(behave.correct, files) as proxy:
        monkeypatch.setenv("http_proxy", proxy.url)
        fetch_from("http://mnist.invalid/mirror/", tmp_path, files)
    assert proxy.requests[0] == "http://mnist.invalid/mirror/" + FETCH_FILE_NAMES[0]


def test_a_slow_but_steady_download_succeeds(tmp_path):
    files = make_files(sizes=(4_000, 100, 500, 50))
    # 10 kB/s against a minimum of 2 kB/s: the first file takes 0.4 s, more than one window
    with MisbehavingServer(behave.steady(10_000), files) as server:
        started = time.monotonic()
        paths = fetch("mnist", tmp_path, base_url=server.url, progress=False, **published(files), **STALL)
        took = time.monotonic() - started
    assert [p.read_bytes() for p in paths] == list(files.values())
    assert took > STALL["stall_seconds"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(FETCH_FILE_NAMES)


def test_a_correct_server_serves_all_four_files(tmp_path):
    files = make_files()
    with MisbehavingServer(behave.correct, files) as server:
        paths = fetch_from(server.url, tmp_path, files)
    assert [p.read_bytes() for p in paths] == list(files.values())
    assert sorted(server.requests) == sorted("/" + name for name in FETCH_FILE_NAMES)


# -- the command line ------------------------------------------------------------------------------
CLI_FAILURES = {
    "404": (behave.status("404 Not Found"), "HTTP 404: Not Found"),
    "redirect loop": (behave.redirect_loop, "infinite loop"),
    "bad status line": (behave.bad_status_line, "not HTTP"),
    "Content-Length not a number": (behave.content_length("lots"), "is not a number"),
    "wrong Content-Length": (behave.content_length("1"), "Content-Length is 1, but the file has 9,912,422 bytes"),
}


@pytest.mark.parametrize("behaviour, message", CLI_FAILURES.values(), ids=CLI_FAILURES.keys())
def test_cli_reports_a_bad_mirror_in_one_line(tmp_path, capsys, behaviour, message):
    with MisbehavingServer(behaviour, make_files()) as server:
        status = main(["data", "fetch", "mnist", "--dir", str(tmp_path), "--mirror", server.url])
    err = capsys.readouterr().err
    assert status == 1
    assert err.count("\n") == 1 and err.startswith("visnet: error: could not download train-images-idx3-ubyte.gz")
    assert message in err and server.url in err
    assert list(tmp_path.iterdir()) == []


def test_cli_stops_an_endless_body_at_the_published_size(tmp_path, capsys):
    with MisbehavingServer(behave.endless, {}) as server:
        largest_part, status = part_sizes_while(
            tmp_path, lambda: main(["data", "fetch", "mnist", "--dir", str(tmp_path), "--mirror", server.url])
        )
    err = capsys.readouterr().err
    assert status == 1
    assert err.count("\n") == 1 and "sends more than the file's 9,912,422 bytes" in err
    assert 0 < largest_part <= SIZES["mnist"]["train-images-idx3-ubyte.gz"]
    assert list(tmp_path.iterdir()) == []


def test_cli_takes_the_mirror_from_visnet_mirror(tmp_path, capsys, monkeypatch):
    with MisbehavingServer(behave.status("404 Not Found"), {}) as server:
        monkeypatch.setenv("VISNET_MIRROR", server.url)
        status = main(["data", "fetch", "fashion-mnist", "--dir", str(tmp_path)])
    assert status == 1
    assert server.requests == ["/train-images-idx3-ubyte.gz"]
    assert server.url in capsys.readouterr().err


@pytest.mark.skipif(not hasattr(signal, "SIGINT") or os.name != "posix", reason="sends SIGINT")
def test_ctrl_c_during_a_stalled_download_is_one_line_and_exit_130(tmp_path):
    with MisbehavingServer(behave.silent, {}) as server:
        process = start_fetch(tmp_path, server.url)
        try:
            assert server.request_seen.wait(30), "visnet never asked the server"
            assert [p for p in tmp_path.iterdir() if p.suffix == ".part"], "no download in progress"
            process.send_signal(signal.SIGINT)
            out, err = process.communicate(timeout=10)
        finally:
            process.kill()
            process.wait()
    assert process.returncode == 130
    assert err.splitlines() == ["visnet: interrupted; the partial download was removed"]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(os.name != "posix", reason="sends SIGKILL")
def test_a_fetch_keeps_the_part_of_a_running_fetch_and_removes_that_of_a_killed_one(tmp_path):
    files = make_files()
    with MisbehavingServer(behave.silent, {}) as stalled, MisbehavingServer(behave.correct, files) as server:
        process = start_fetch(tmp_path, stalled.url)
        try:
            assert stalled.request_seen.wait(30), "visnet never asked the server"
            running = list(tmp_path.glob(".*.part"))
            fetch_from(server.url, tmp_path, files)
            assert list(tmp_path.glob(".*.part")) == running and len(running) == 1
        finally:
            process.kill()
            process.wait()
        fetch_from(server.url, tmp_path, files)
        assert sorted(server.requests) == sorted("/" + name for name in FETCH_FILE_NAMES)  # nothing fetched again
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(FETCH_FILE_NAMES)


def start_fetch(folder, mirror) -> subprocess.Popen:
    """`visnet data fetch mnist` into folder from mirror, in a process of its own."""
    return subprocess.Popen(
        [sys.executable, "-m", "visnet", "data", "fetch", "mnist", "--dir", str(folder), "--mirror", mirror],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def closed_port() -> int:
    """A port on 127.0.0.1 with nothing listening (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_folder_that_cannot_be_created_is_one_line(tmp_path):
    blocker = tmp_path / "a file"
    blocker.write_bytes(b"")
    with pytest.raises(DataError, match="cannot create the download folder") as info:
        fetch_from("http://127.0.0.1:9/", blocker / "dest", make_files())
    assert "\n" not in str(info.value)


@pytest.mark.skipif(resource is None or not hasattr(signal, "SIGXFSZ"), reason="needs RLIMIT_FSIZE")
def test_a_full_disk_is_one_line_and_leaves_nothing(tmp_path):
    files = make_files()
    limits = resource.getrlimit(resource.RLIMIT_FSIZE)
    ignored = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes past the limit then fail with EFBIG
    with MisbehavingServer(behave.correct, files) as server:
        try:
            resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, limits[1]))
            with pytest.raises(DataError, match="cannot write the download: File too large") as info:
                fetch_from(server.url, tmp_path, files)
        finally:
            resource.setrlimit(resource.RLIMIT_FSIZE, limits)
            signal.signal(signal.SIGXFSZ, ignored)
    assert "\n" not in str(info.value)
    assert list(tmp_path.iterdir()) == []
