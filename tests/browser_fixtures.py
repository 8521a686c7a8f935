"""Playwright fixtures shared by tests/browser/ and tests/journeys/: Debian's Chromium (/usr/bin/chromium)
against the live test server, screenshots and axe-core checks.

Nothing here downloads a browser or a script: axe.min.js is the copy bundled with axe-playwright-python.
Screenshots go to tests/artifacts/ (ignored by git). Each conftest imports the fixtures it needs from here.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
AXE_RULES = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


@pytest.fixture(scope="module", autouse=True)
def _allow_orm_beside_playwright():
    """Playwright's sync API runs an event loop in this thread; the ORM calls the tests (and their database
    set-up and tear-down) make around it are plain synchronous code, so tell Django not to refuse them — only
    while a browser module runs, so no subprocess started by another test inherits it."""
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="module")
def browser(_allow_orm_beside_playwright):
    """One Chromium per test module, closed before any other module runs (its event loop must not outlive it)."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: run scripts/install-system-deps")
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="jj-chromium-")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
    shutil.rmtree(profile, ignore_errors=True)


def new_context_page(browser, base_url: str, timeout_ms: int = 15000):
    """A fresh browser context (own cookies: one person) with one page, in Chinese at desktop size."""
    context = browser.new_context(base_url=base_url, locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(timeout_ms)
    return page


@pytest.fixture
def page(browser, live_server):
    page = new_context_page(browser, live_server.url)
    yield page
    page.context.close()


@pytest.fixture
def screenshot():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def axe_violations(page) -> list[str]:
    """axe-core (WCAG 2.1 A/AA rules) on the current page: one line per violating element, naming the rule id,
    the page and the element's selector, so a failure says where to look."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options=AXE_RULES)
    lines = []
    for violation in results.response["violations"]:
        for node in violation["nodes"]:
            target = " ".join(str(t) for t in node.get("target", []))
            lines.append(f"{violation['id']} on {page.url} at {target}: {violation['help']}")
    return lines


@pytest.fixture
def axe_check():
    """Run axe-core on the current page and fail on any violation, with rule id, page and target."""

    def check(page) -> None:
        violations = axe_violations(page)
        assert not violations, "axe found violations:\n" + "\n".join(violations)

    return check


def login(page, username: str, password: str = "jiangjin-demo") -> None:
    page.goto("/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录", exact=True).last.click()
    page.wait_for_load_state("networkidle")


def tick(checkbox, attempts: int = 3) -> None:
    """Tick a checkbox as a person clicks it, and make sure it took.

    Under a double load (both suites side by side on 2 cores) a click on a checkbox that reveals a field below
    it has once not taken ("did not change its state"): the page was still laying out. The click is tried again
    on the settled page; a checkbox that never ticks still fails.
    """
    from playwright.sync_api import Error as PlaywrightError

    for attempt in range(attempts):
        checkbox.page.wait_for_load_state("load")
        try:
            checkbox.check()
            return
        except PlaywrightError:
            if attempt == attempts - 1:
                raise
            checkbox.page.wait_for_timeout(300)
