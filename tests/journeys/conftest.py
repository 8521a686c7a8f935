"""Journeys: every role's path from an empty install, through the pages alone, in Debian's Chromium.

The browser fixtures are shared with tests/browser/ (tests/browser_fixtures.py). The database holds what a new
install holds: the migrations (with their seeded calendar), ``seed_policies`` and one superuser made by
``createsuperuser`` — nothing else; everything after that is done by people in the browser.
"""

from __future__ import annotations

import pytest
from django.core.management import call_command

from tests.browser_fixtures import (  # noqa: F401  (fixtures, found by pytest through this module)
    _allow_orm_beside_playwright,
    browser,
    screenshot,
)

SUPERUSER = "chaoji"
SUPERUSER_PASSWORD = "Jiangjin-Super-2026"


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/journeys/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.slow)


@pytest.fixture
def journey_settings(settings, tmp_path):
    """What a test server needs beyond a new install: files in a temporary folder, tasks (documents, e-mails)
    run at once so a PDF exists when the page says so, no virus scanner daemon, a fast password hasher."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "files")},
        },
    }
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.CLAMAV_SOCKET = ""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    return settings


@pytest.fixture
def new_install(journey_settings, live_server, monkeypatch):
    """``migrate`` (the test database), ``seed_policies`` and ``createsuperuser`` — the only shell steps."""
    journey_settings.SITE_URL = live_server.url  # e-mailed links lead to this test server
    call_command("seed_policies", verbosity=0)
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", SUPERUSER_PASSWORD)
    call_command("createsuperuser", interactive=False, username=SUPERUSER, email="chaoji@jiangjin.example", verbosity=0)
    return live_server
