"""A stand-in for clamd on a UNIX socket: a thread that speaks INSTREAM and answers "stream: OK", or
"stream: Eicar-Test-Signature FOUND" when the streamed file holds the EICAR test string. For tests that need
a scanner's answers without the real clamd (tests/security/conftest.py starts that one where installed)."""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from .files import EICAR


def _read_exactly(conn: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        part = conn.recv(size - len(data))
        if not part:
            raise ConnectionError("client went away")
        data += part
    return data


def eicar_verdict(body: bytes) -> bytes:
    """What clamd answers for a streamed file: FOUND for the EICAR test string, else OK."""
    return b"stream: Eicar-Test-Signature FOUND\0" if EICAR in body else b"stream: OK\0"


def _answer(conn: socket.socket, scanned: list[bytes], verdict: Callable[[bytes], bytes | None]) -> None:
    with conn:
        conn.settimeout(5)
        command = b""
        while not command.endswith(b"\0"):
            part = conn.recv(1)
            if not part:
                return
            command += part
        if command == b"zPING\0":
            conn.sendall(b"PONG\0")
            return
        body = b""
        while True:
            (size,) = struct.unpack("!L", _read_exactly(conn, 4))
            if size == 0:
                break
            body += _read_exactly(conn, size)
        scanned.append(body)
        answer = verdict(body)
        if answer is not None:  # None: hang up without a word
            conn.sendall(answer)


@contextmanager
def fake_clamd(path: Path, verdict: Callable[[bytes], bytes | None] = eicar_verdict) -> Iterator[list[bytes]]:
    """Serve on `path` until the block ends; yields the list of files it was asked to scan. `verdict` gives the
    answer to each streamed file (clamd's by default; a test may answer with an error, or None to hang up)."""
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(8)
    server.settimeout(0.2)
    scanned: list[bytes] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                _answer(conn, scanned, verdict)
            except (OSError, ConnectionError, struct.error):
                pass

    thread = threading.Thread(target=serve, name="fake-clamd", daemon=True)
    thread.start()
    try:
        yield scanned
    finally:
        stop.set()
        thread.join(timeout=5)
        server.close()
