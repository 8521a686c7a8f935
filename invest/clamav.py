"""Virus scanning of uploads through a running clamd, spoken to over its unix socket.

Uses clamd's INSTREAM command, so the file is streamed to the scanner and clamd needs no access to our
file store (it typically runs as another user). Configured by the CLAMAV_SOCKET setting (environment
variable of the same name); `invest.uploads.validate_upload` calls `ensure_clean` when it is set.

A scanner that cannot be reached refuses the upload ("try again later") rather than letting the file
through: accepting unscanned files whenever clamd is down would make the scan worthless exactly when an
attacker could arrange for it to be down.
"""

from __future__ import annotations

import logging
import socket
import struct
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)

CHUNK_SIZE = 64 * 1024


class ScannerUnavailable(Exception):
    """clamd could not be reached or did not answer as expected."""


def _socket_path(socket_path: str | None) -> str:
    path = socket_path or getattr(settings, "CLAMAV_SOCKET", "")
    if not path:
        raise ScannerUnavailable("CLAMAV_SOCKET is not configured")
    return path


def _timeout(timeout: float | None) -> float:
    return float(timeout if timeout is not None else getattr(settings, "CLAMAV_TIMEOUT", 30))


def _connect(path: str, timeout: float) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(path)
    except OSError as exc:
        sock.close()
        raise ScannerUnavailable(f"cannot connect to clamd at {path}: {exc}") from exc
    return sock


def _read_reply(sock: socket.socket) -> str:
    reply = b""
    while not reply.endswith(b"\0"):
        part = sock.recv(4096)
        if not part:
            break
        reply += part
    return reply.rstrip(b"\0").decode("utf-8", "replace").strip()


def ping(socket_path: str | None = None, *, timeout: float | None = None) -> bool:
    """True when clamd answers PONG; for health checks and test fixtures."""
    try:
        sock = _connect(_socket_path(socket_path), _timeout(timeout))
    except ScannerUnavailable:
        return False
    try:
        sock.sendall(b"zPING\0")
        return _read_reply(sock) == "PONG"
    except OSError:
        return False
    finally:
        sock.close()


def scan_stream(
    fileobj: IO[bytes] | Any, *, socket_path: str | None = None, timeout: float | None = None
) -> str | None:
    """Stream the file to clamd; return the signature name if infected, None if clean.

    Raises ScannerUnavailable when clamd is unreachable, times out, or answers with an error (for
    example a file above its StreamMaxLength).
    """
    path = _socket_path(socket_path)
    sock = _connect(path, _timeout(timeout))
    try:
        sock.sendall(b"zINSTREAM\0")
        fileobj.seek(0)
        chunks = (
            fileobj.chunks(CHUNK_SIZE) if hasattr(fileobj, "chunks") else iter(lambda: fileobj.read(CHUNK_SIZE), b"")
        )
        for chunk in chunks:
            sock.sendall(struct.pack("!L", len(chunk)) + chunk)
        sock.sendall(struct.pack("!L", 0))
        reply = _read_reply(sock)
    except OSError as exc:
        raise ScannerUnavailable(f"clamd at {path} failed during the scan: {exc}") from exc
    finally:
        sock.close()
        fileobj.seek(0)
    # Replies: "stream: OK", "stream: <signature> FOUND", "<message> ERROR".
    if reply.endswith(" FOUND"):
        return reply.removeprefix("stream:").removesuffix(" FOUND").strip()
    if reply == "stream: OK":
        return None
    raise ScannerUnavailable(f"unexpected answer from clamd at {path}: {reply!r}")


def ensure_clean(fileobj: IO[bytes] | Any, *, name: str = "") -> None:
    """Raise a ValidationError for an infected file, or when the scanner cannot be asked (fail closed)."""
    try:
        signature = scan_stream(fileobj)
    except ScannerUnavailable as exc:
        logger.error("Upload %r refused: virus scanner unavailable: %s", name, exc)
        raise ValidationError(
            _("病毒扫描服务暂不可用，请稍后再试。文件「%(name)s」未被保存；如多次失败，请联系管理员。"),
            code="scanner_unavailable",
            params={"name": name},
        )
    if signature:
        logger.warning("Upload %r refused: virus scanner found %s", name, signature)
        raise ValidationError(
            _(
                "文件「%(name)s」未通过病毒扫描（检出：%(signature)s），未被接收。"
                "请用杀毒软件检查您的电脑，并上传干净的文件。"
            ),
            code="infected",
            params={"name": name, "signature": signature},
        )
