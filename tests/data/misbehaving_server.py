"""An HTTP server on 127.0.0.1 that answers each request in one chosen way, right or wrong.

Raw sockets rather than http.server, so a behaviour can break HTTP itself (a garbage status
line, a chunked body cut off, headers sent byte by byte). Each behaviour is a function
(connection, file bytes or None, stop event) run in a thread per connection; the served files
are a name → bytes mapping.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Mapping

Behaviour = Callable[[socket.socket, "bytes | None", threading.Event], None]


class MisbehavingServer:
    """Serves `files` the way `behaviour` says; use as a context manager. `requests` lists the paths asked for."""

    def __init__(self, behaviour: Behaviour, files: Mapping[str, bytes], read_request: bool = True):
        self.behaviour = behaviour
        self.read_request = read_request  # False: behave before the client's first byte (TLS sends no request line)
        self.files = dict(files)
        self.requests: list[str] = []
        self.request_seen = threading.Event()
        self._stop = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.02)  # closing the listener does not wake a blocked accept()
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}/"
        self._threads = [threading.Thread(target=self._accept, daemon=True)]

    def __enter__(self) -> MisbehavingServer:
        self._threads[0].start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._threads[0].join()
        self._listener.close()
        for thread in self._threads[1:]:
            thread.join(timeout=5)

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return  # the listener was closed
            connection.settimeout(None)
            thread = threading.Thread(target=self._answer, args=(connection,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _answer(self, connection: socket.socket) -> None:
        with connection:
            try:
                path = _read_request_path(connection) if self.read_request else "/"
                self.requests.append(path)
                self.request_seen.set()
                # the last part of the path, so requests through a proxy (absolute URLs) work too
                self.behaviour(connection, self.files.get(path.rsplit("/", 1)[-1]), self._stop)
            except OSError:
                pass  # the client gave up, as it should


def _read_request_path(connection: socket.socket) -> str:
    request = b""
    while b"\r\n\r\n" not in request:
        data = connection.recv(4096)
        if not data:
            raise ConnectionResetError("no request")
        request += data
    return request.split(b" ", 2)[1].decode("ascii")


def _head(status: str = "200 OK", **headers: object) -> bytes:
    lines = [f"HTTP/1.1 {status}", "Connection: close"]
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


# -- behaviours ---------------------------------------------------------------------------------
def correct(connection, body, stop):
    if body is None:
        return status("404 Not Found")(connection, body, stop)
    connection.sendall(_head(Content_Length=len(body)) + body)


def steady(bytes_per_second: float, piece: int = 100) -> Behaviour:
    """The right file, slowly but steadily: `piece` bytes at a time."""

    def behaviour(connection, body, stop):
        connection.sendall(_head(Content_Length=len(body)))
        for start in range(0, len(body), piece):
            if stop.wait(piece / bytes_per_second):
                return
            connection.sendall(body[start : start + piece])

    return behaviour


def endless(connection, body, stop):
    """A body with no length that never ends."""
    connection.sendall(_head())
    block = bytes(1 << 14)
    while not stop.is_set():
        connection.sendall(block)


def trickle(interval: float) -> Behaviour:
    """The right headers, then one byte of the body every `interval` seconds."""

    def behaviour(connection, body, stop):
        connection.sendall(_head(Content_Length=len(body)))
        for i in range(len(body)):
            if stop.wait(interval):
                return
            connection.sendall(body[i : i + 1])

    return behaviour


def header_trickle(interval: float) -> Behaviour:
    """The status line and headers one byte every `interval` seconds, and never a body."""

    def behaviour(connection, body, stop):
        head = _head(Content_Length=len(body), X_Padding="x" * 1000)
        for i in range(len(head)):
            if stop.wait(interval):
                return
            connection.sendall(head[i : i + 1])

    return behaviour


def silent(connection, body, stop):
    """Reads the request and never answers."""
    stop.wait()


def closed_without_answer(connection, body, stop):
    pass


def bad_status_line(connection, body, stop):
    connection.sendall(b"HELLO \x1b[31mTHERE\r\n\r\n")


def tls_handshake_trickle(interval: float) -> Behaviour:
    """A TLS handshake record header announcing 16 kB, then its bytes one every `interval` seconds."""

    def behaviour(connection, body, stop):
        connection.sendall(b"\x16\x03\x03\x40\x00")
        while not stop.wait(interval):
            connection.sendall(b"\x02")

    return behaviour


def content_length(value: str) -> Behaviour:
    """Announces Content-Length `value` ("{size}" is replaced by the file's size), then sends the file."""

    def behaviour(connection, body, stop):
        connection.sendall(_head(Content_Length=value.format(size=len(body))) + body)

    return behaviour


def closed_mid_body(connection, body, stop):
    connection.sendall(_head(Content_Length=len(body)) + body[: len(body) // 2])


def chunked_cut_off(connection, body, stop):
    """A chunked body whose chunk announces the whole file but holds half of it."""
    connection.sendall(_head(Transfer_Encoding="chunked") + f"{len(body):x}\r\n".encode() + body[: len(body) // 2])


def status(line: str) -> Behaviour:
    def behaviour(connection, body, stop):
        connection.sendall(_head(line, Content_Length=len(line)) + line.encode())

    return behaviour


def redirect_loop(connection, body, stop):
    connection.sendall(_head("302 Found", Location="/loop", Content_Length=0))


def other_bytes(connection, body, stop):
    """A body of the right size with other contents."""
    connection.sendall(_head(Content_Length=len(body)) + bytes(len(body)))


def part_sizes_while(folder, action: Callable[[], object]) -> tuple[int, object | BaseException]:
    """Run action() while watching folder; return the largest .part file seen and action's
    result (or the exception it raised)."""
    largest = 0
    done = threading.Event()

    def watch():
        nonlocal largest
        while not done.is_set():
            for part in folder.glob("*.part"):
                try:
                    largest = max(largest, part.stat().st_size)
                except OSError:
                    pass
            time.sleep(0.0005)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        result = action()
    except BaseException as err:  # noqa: BLE001 - handed back for the test to assert on
        result = err
    finally:
        done.set()
        watcher.join()
    return largest, result
