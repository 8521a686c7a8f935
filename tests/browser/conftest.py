"""Browser tests: Playwright driving Debian's Chromium (/usr/bin/chromium) against the live test server.

The fixtures live in tests/browser_fixtures.py, shared with the journeys in tests/journeys/.
"""

from __future__ import annotations

import pytest

from tests.browser_fixtures import (  # noqa: F401  (fixtures, found by pytest through this module)
    ARTIFACTS,
    CHROMIUM,
    _allow_orm_beside_playwright,
    axe_check,
    browser,
    login,
    page,
    screenshot,
)


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)
