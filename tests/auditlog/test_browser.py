"""The audit viewer in Chromium: the auditor opens 审计日志 from the menu, filters by keyboard alone, meets an error
beside the field, pages on; axe-core on each state of the page."""

from __future__ import annotations

import pytest

from applications.services import perform
from invest.audit import EventType, audit
from tests.browser_fixtures import (  # noqa: F401  (fixtures, found by pytest through this module)
    _allow_orm_beside_playwright,
    axe_check,
    browser,
    login,
    page,
    screenshot,
)
from tests.factories.applications import ApplicationFactory
from tests.factories.companies import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_auditor_filters_the_log_with_the_keyboard(page, live_server, axe_check, screenshot, monkeypatch):  # noqa: F811
    from invest.auditlog import selectors

    monkeypatch.setattr(selectors, "PAGE_SIZE", 4)
    auditor = UserFactory(username="auditor-b", first_name="沈计", roles=["auditor"])
    clerk = UserFactory(username="clerk-b", first_name="王受理", roles=["clerk"])
    manager = UserFactory(username="manager-b", first_name="赵管理", roles=["manager"])
    case = ApplicationFactory(submitted=True)
    other = ApplicationFactory(submitted=True)
    perform(case, "accept", clerk)
    audit(
        clerk,
        "case.request_correction",
        other,
        before={"state": "submitted"},
        after={"state": "correction_requested"},
        reason="缺少拍摄计划和本地消费发票",
        role="clerk",
    )
    audit(
        manager,
        EventType.CASE_UPDATE,
        other,
        before={"facts": {"local_spend": "500000"}},
        after={"facts": {"local_spend": "650000"}},
        role="manager",
    )
    for n in range(3):
        audit(manager, EventType.LEAD_CREATE, ("investment.lead", 40 + n), after={"name": f"某影业{n}"})

    login(page, auditor.username)
    page.get_by_role("link", name="审计日志").first.click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("heading", name="审计日志", level=1).is_visible()
    axe_check(page)
    screenshot(page, "audit-log")

    # older entries on the next page, and back
    page.get_by_role("link", name="下一页（较早）").click()
    page.wait_for_load_state("networkidle")
    assert case.case_number in page.content()
    axe_check(page)
    page.get_by_role("link", name="上一页（较新）").click()
    page.wait_for_load_state("networkidle")

    # by keyboard: type the person, tab on, Enter submits the filter
    page.get_by_label("操作人").focus()
    page.keyboard.type("王受理")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_load_state("networkidle")
    table = page.get_by_role("table")
    assert "缺少拍摄计划" in table.inner_text()
    assert "某影业" not in table.inner_text()
    assert "已提交 → 待补正" in table.inner_text()
    screenshot(page, "audit-log-by-actor")

    # a date the other way round: the error sits beside the field, the page still renders
    page.get_by_label("开始日期").fill("2026-03-05")
    page.get_by_label("结束日期").fill("2026-03-01")
    page.get_by_role("button", name="筛选").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_text("结束日期不能早于开始日期。").is_visible()
    assert page.get_by_label("结束日期").get_attribute("aria-invalid") == "true"
    axe_check(page)
    screenshot(page, "audit-log-error")

    # on a phone each entry reads as a card, each cell with its column's name
    page.set_viewport_size({"width": 390, "height": 844})
    page.get_by_role("link", name="清除筛选").click()
    page.wait_for_load_state("networkidle")
    axe_check(page)
    screenshot(page, "audit-log-phone")
