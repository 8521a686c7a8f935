"""The inbox in Chromium: the header's unread count, the entry leading to the case, 全部标为已读; axe on both
widths; the inbox reached and read with the keyboard only."""

from __future__ import annotations

import re

import pytest

from .conftest import login
from .test_portal_flow import PASSWORD, catalogue, pdf_bytes, portal_settings  # noqa: F401
from .worlds import accepted_film_case


@pytest.fixture
def accepted_case(catalogue):  # noqa: F811
    app, _materials = accepted_film_case(
        company="重庆白沙影视文化有限公司", username="tongzhi", clerk="shouli3", title="电影《江津往事》"
    )
    return app


@pytest.mark.django_db(transaction=True)
def test_the_applicant_reads_the_inbox_and_follows_the_entry_to_the_case(
    page, live_server, accepted_case, screenshot, axe_check
):
    app = accepted_case
    login(page, "tongzhi", PASSWORD)
    inbox_link = page.get_by_role("link", name=re.compile(r"^通知\s*（未读通知 2 条）$"))
    assert inbox_link.is_visible()
    inbox_link.click()
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text() == "通知"
    assert page.locator(".inbox-entry.unread").count() == 2
    screenshot(page, "inbox-desktop")
    axe_check(page)

    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "inbox-phone")
    axe_check(page)
    page.set_viewport_size({"width": 1280, "height": 900})

    page.get_by_role("link", name=f"查看案件 【{app.case_number}】已受理").click()
    page.wait_for_load_state("networkidle")
    assert page.url.endswith(f"/my/cases/{app.pk}/")
    assert page.get_by_role("link", name=re.compile(r"^通知\s*（未读通知 1 条）$")).is_visible()

    page.goto("/inbox/")
    page.get_by_role("button", name="全部标为已读").click()
    page.wait_for_load_state("networkidle")
    assert "已将 1 条通知标为已读。" in page.content()
    assert page.locator(".inbox-entry.unread").count() == 0
    assert page.get_by_role("link", name="通知", exact=True).is_visible()
    screenshot(page, "inbox-all-read")
    axe_check(page)


@pytest.mark.django_db(transaction=True)
def test_the_inbox_with_the_keyboard_only(page, live_server, accepted_case):
    app = accepted_case
    login(page, "tongzhi", PASSWORD)
    page.goto("/")
    for _ in range(60):  # Tab along the page until the header's 通知 has the focus
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent").startswith("通知"):
            break
    else:
        pytest.fail("通知 in the header cannot be reached with Tab")
    page.keyboard.press("Enter")
    page.wait_for_url("**/inbox/")
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent").strip() == "全部标为已读":
            break
    else:
        pytest.fail("全部标为已读 cannot be reached with Tab")
    page.keyboard.press("Space")
    page.wait_for_load_state("networkidle")
    assert page.locator(".inbox-entry.unread").count() == 0
    assert app.notifications.filter(read_at__isnull=True, recipient__username="tongzhi").count() == 0
