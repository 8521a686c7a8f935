"""Shared fixtures. Factories live in tests/factories/; each area's tests in tests/<area>/."""

import datetime as dt
import os
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.utils import timezone


def pytest_collection_modifyitems(config, items):
    """Every hypothesis test is a `fuzz` test (`make test-fast` leaves them out). Tests marked `postgres` need
    real row locks: skip them before any database set-up on SQLite."""
    for item in items:
        if getattr(getattr(item, "obj", None), "is_hypothesis_test", False):
            item.add_marker(pytest.mark.fuzz)
    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (row locks, pg_dump); run `make test-pg`")
    for item in items:
        if item.get_closest_marker("postgres"):
            item.add_marker(skip)


LOCAL_CACHE = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "tests"}}


@pytest.fixture(autouse=True)
def _fresh_cache(settings):
    """Throttle counters (DRF) live in the cache: each test starts with none, whatever ran before it.

    In this process's memory: production's shared database cache (settings.CACHES) would need database access
    in every test and add its queries to the query budgets; tests/security/test_shared_cache.py runs it for
    real, in-process and with two server processes.
    """
    from django.core.cache import cache

    settings.CACHES = LOCAL_CACHE

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _chinese_by_default(settings):
    settings.LANGUAGE_CODE = "zh-hans"


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    """What every test runs with, whatever the developer's environment says: uploaded materials and rendered
    documents in a throw-away folder (nothing lands in var/), a fast password hasher (factories give every user
    a password; the production hasher would dominate the run time) and no virus scanner unless the test starts
    one (tests/security/test_clamav.py, tests/portal/test_virus_scanner.py)."""
    files = tmp_path / "files"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(files)}},
    }
    settings.MEDIA_ROOT = files
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.CLAMAV_SOCKET = ""


IMMEDIATE_TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def immediate_tasks(settings):
    """Tasks (documents, notices, mail) run at once, with no worker; without it they wait in the database queue."""
    settings.TASKS = IMMEDIATE_TASKS


@pytest.fixture
def staff(db):
    """One user per staff role: staff["clerk"], staff["reviewer"] ..."""
    from invest.roles import ROLE_KEYS
    from tests.factories.companies import UserFactory

    return {role: UserFactory(username=f"{role}-user", roles=[role]) for role in ROLE_KEYS if role != "applicant"}


@pytest.fixture
def roles(db):
    from invest.roles import ensure_groups

    ensure_groups()


class Clock:
    """The test's calendar, moved with time-machine: ``date.today()``, ``datetime.now()`` and so
    ``timezone.now()`` and the workflow's ``workdays.today()`` all follow it, in every module and thread (the
    live server's too). The time of day is kept and time goes on ticking, so records made one after the other
    stay in order."""

    def __init__(self, time_machine):
        self.time_machine = time_machine

    @property
    def today(self) -> dt.date:
        return timezone.localdate()

    def set(self, day: dt.date) -> dt.date:
        now = timezone.localtime()
        self.time_machine.move_to(dt.datetime.combine(day, now.timetz()), tick=True)
        return day

    def advance_working_days(self, n: int) -> dt.date:
        from applications.workdays import add_working_days

        return self.set(add_working_days(self.today, n))


@pytest.fixture(autouse=True)
def _tests_today(request):
    """``TESTS_TODAY=2027-03-15 make test`` runs every test on that day (the clock moved with time-machine, 10:00
    in Shanghai), to show the suite does not depend on the year it runs in. A test that sets its own day (a
    ``time_machine`` mark) keeps it."""
    day = os.environ.get("TESTS_TODAY")
    if day and not request.node.get_closest_marker("time_machine"):
        moment = dt.datetime.combine(dt.date.fromisoformat(day), dt.time(10), tzinfo=ZoneInfo("Asia/Shanghai"))
        request.getfixturevalue("time_machine").move_to(moment, tick=True)


@pytest.fixture
def clock(time_machine) -> Clock:
    """Moves "today" (deadlines, tick_deadlines, the rounds' open and close times) with time-machine."""
    return Clock(time_machine)
