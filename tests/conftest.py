"""Shared fixtures. Factories live in tests/factories.py; each app's tests in tests/<app>/."""

import pytest


@pytest.fixture(autouse=True)
def _chinese_by_default(settings):
    settings.LANGUAGE_CODE = "zh-hans"


@pytest.fixture
def roles(db):
    from invest.roles import ensure_groups

    ensure_groups()
