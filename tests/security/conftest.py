"""A real clamd for the virus-scanning tests, with its own tiny signature database.

There is no internet for freshclam, so the fixture writes a one-line .ndb database with the EICAR
signature into a temporary directory together with its own clamd.conf and socket, starts clamd in the
foreground and stops it at the end of the session. Where clamd is not installed or does not start, the
tests that need it are skipped with the reason.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import pytest

from invest import clamav

from .files import EICAR

CLAMD_CANDIDATES = ("/usr/sbin/clamd", "/usr/bin/clamd")


def _clamd_binary() -> str | None:
    for candidate in CLAMD_CANDIDATES:
        if Path(candidate).exists():
            return candidate
    return shutil.which("clamd")


@pytest.fixture(scope="session")
def clamd_socket(tmp_path_factory) -> str:
    binary = _clamd_binary()
    if binary is None:
        pytest.skip("clamd is not installed (apt-get install clamav-daemon); virus-scanning tests need a real clamd")
    home = tmp_path_factory.mktemp("clamd")
    database = home / "db"
    database.mkdir()
    (database / "eicar.ndb").write_text(f"Eicar-Test-Signature:0:*:{EICAR.hex()}\n")
    socket_path = home / "clamd.sock"
    (home / "clamd.conf").write_text(
        f"LocalSocket {socket_path}\n"
        f"DatabaseDirectory {database}\n"
        f"LogFile {home / 'clamd.log'}\n"
        "Foreground yes\n"
        "StreamMaxLength 30M\n"
    )
    process = subprocess.Popen(
        [binary, "-c", str(home / "clamd.conf")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 30
    while not clamav.ping(str(socket_path), timeout=1):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            log = (home / "clamd.log").read_text(errors="replace")[-500:] if (home / "clamd.log").exists() else ""
            pytest.skip(f"clamd did not start: {log or 'no log'}")
        time.sleep(0.05)
    yield str(socket_path)
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


