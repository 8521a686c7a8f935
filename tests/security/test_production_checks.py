"""Production refuses to start when it would be unsafe or broken (invest/checks.py):

- without a virus scanner, unless CLAMAV_DISABLED=1 says so on purpose (issue 14, item 4);
- without a complete static-files manifest, which a host gets by running `collectstatic` without production
  settings: every page then answered 500 "Missing staticfiles manifest entry for 'favicon.svg'" (item 9).

Both through `manage.py check` (what migrate and runserver run) and through the gunicorn entry point
invest.wsgi, since gunicorn runs no system checks.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import override_settings

from invest import checks

from .static_manifest import write_manifest

ROOT = Path(__file__).resolve().parents[2]
MANIFEST_STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}


def production(tmp_path: Path, *args: str, manifest: bool = True, **extra: str) -> subprocess.CompletedProcess:
    ignored = {"DATABASE_URL", "DEBUG", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE", "CLAMAV_SOCKET"}
    env = {k: v for k, v in os.environ.items() if k not in ignored and not k.startswith("CLAMAV")}
    static = tmp_path / "static"
    if manifest:
        write_manifest(static)
    env.update(
        DJANGO_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="film.jiangjin.example",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        STATIC_ROOT=str(static),
        **extra,
    )
    command = [sys.executable, *args] if args[0] == "-c" else [sys.executable, "manage.py", *args]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


START_GUNICORN_APP = "import invest.wsgi; print('started')"


def test_production_refuses_to_start_without_a_virus_scanner(tmp_path):
    result = production(tmp_path, "check")
    assert result.returncode != 0
    assert "invest.E001" in result.stderr and "CLAMAV_SOCKET" in result.stderr and "CLAMAV_DISABLED=1" in result.stderr
    started = production(tmp_path, "-c", START_GUNICORN_APP)
    assert started.returncode != 0 and "started" not in started.stdout
    assert "invest.E001" in started.stderr


@pytest.mark.parametrize("setting", [{"CLAMAV_SOCKET": "/run/clamav/clamd.ctl"}, {"CLAMAV_DISABLED": "1"}])
def test_production_starts_with_a_scanner_or_scanning_switched_off_on_purpose(tmp_path, setting):
    assert production(tmp_path, "check", **setting).returncode == 0
    started = production(tmp_path, "-c", START_GUNICORN_APP, **setting)
    assert started.returncode == 0, started.stderr
    assert "started" in started.stdout


def test_production_without_a_static_manifest_refuses_to_start_and_says_what_to_run(tmp_path):
    started = production(tmp_path, "-c", START_GUNICORN_APP, manifest=False, CLAMAV_DISABLED="1")
    assert started.returncode != 0 and "started" not in started.stdout
    assert "invest.E002" in started.stderr and "staticfiles.json" in started.stderr
    assert "DJANGO_ENV=production python manage.py collectstatic --noinput" in started.stderr
    deploy = production(tmp_path, "check", "--deploy", manifest=False, CLAMAV_DISABLED="1")
    assert deploy.returncode != 0 and "invest.E002" in deploy.stderr


def test_an_incomplete_manifest_names_the_missing_files(tmp_path):
    write_manifest(tmp_path, leave_out=("favicon.svg",))
    with override_settings(STORAGES=MANIFEST_STORAGES, STATIC_ROOT=str(tmp_path)):
        errors = checks.static_manifest_complete()
    assert [e.id for e in errors] == ["invest.E002"]
    assert "favicon.svg" in errors[0].msg and "collectstatic" in errors[0].hint


def test_a_complete_manifest_passes(tmp_path):
    write_manifest(tmp_path)
    with override_settings(STORAGES=MANIFEST_STORAGES, STATIC_ROOT=str(tmp_path)):
        assert checks.static_manifest_complete() == []
    with override_settings(STATIC_ROOT=str(tmp_path / "empty")):  # development: no manifest storage, no check
        assert checks.static_manifest_complete() == []
