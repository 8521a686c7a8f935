"""Shared fixtures. Factories live in tests/factories/; each area's tests in tests/<area>/."""

import pytest
from django.db import connection


def pytest_collection_modifyitems(config, items):
    """Tests marked `postgres` need real row locks: skip them before any database set-up on SQLite."""
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


@pytest.fixture
def roles(db):
    from invest.roles import ensure_groups

    ensure_groups()
