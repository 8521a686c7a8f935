"""The fast twins of library behaviour are guarded by the pinned version (invest/twins.py)."""

import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from invest import twins

ROOT = Path(__file__).resolve().parent.parent


def pinned(library: str) -> str:
    text = (ROOT / "requirements.txt").read_text()
    match = re.search(rf"^{re.escape(library)}(?:\[[^\]]*\])?==(\S+)$", text, re.M | re.I)
    assert match, f"{library} is not pinned in requirements.txt"
    return match.group(1)


@pytest.mark.parametrize("module", twins.MODULES)
def test_each_twin_was_verified_against_the_pinned_and_installed_version(module):
    twin = twins.declared()[module]
    assert twin.verified == pinned(twin.library) == twins.installed(twin.library)
    assert (ROOT / twin.test).is_file()  # and that equivalence test is part of the suite


def test_check_passes_with_the_pinned_libraries():
    assert twins.twins_match_installed_libraries() == []


def test_another_installed_version_stops_manage_py_check(monkeypatch):
    monkeypatch.setattr(twins, "installed", lambda library: "99.0" if library == "segno" else twins.version(library))
    [error] = twins.twins_match_installed_libraries()
    assert (error.id, error.obj) == ("invest.E003", "applications.documents.qr")
    assert "segno 1.6.6" in error.msg and "segno 99.0" in error.msg and "tests/documents/test_qr.py" in error.hint
    with pytest.raises(SystemCheckError, match="invest.E003"):
        call_command("check")
