"""The obligation pages in Chromium: the company uploads its report from 我的履约事项, the reviewer accepts it from
履约管理, the approver opens the proposals; axe-core on each page."""

from __future__ import annotations

import pytest

from applications.obligations.models import Obligation
from tests.browser.test_portal_flow import pdf_bytes
from tests.browser_fixtures import (  # noqa: F401  (fixtures, found by pytest through this module)
    _allow_orm_beside_playwright,
    axe_check,
    browser,
    login,
    page,
    screenshot,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_company_uploads_its_report_and_the_reviewer_accepts_it(world, page, live_server, axe_check, screenshot):  # noqa: F811 (fixtures imported above)
    app, owner = world.approved(
        "JJ-FILM-01", {"has_filing": True, "shooting_days_in_jiangjin": "20", "local_spend": "800000"}
    )
    world.pay(app)
    proof = app.obligations.get()

    login(page, owner.username)
    page.get_by_role("link", name="我的履约事项").first.click()
    page.wait_for_load_state("networkidle")
    assert proof.label in page.content()
    axe_check(page)
    page.get_by_role("link", name=f"提交材料 {proof.label}").click()
    page.wait_for_load_state("networkidle")
    page.get_by_label("选择文件").set_input_files(
        {"name": "公映许可证.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes("release")}
    )
    page.get_by_label("说明（可选）").fill("已于院线上映")
    axe_check(page)
    page.get_by_role("button", name="提交履约材料").click()
    page.wait_for_load_state("networkidle")
    assert "材料已提交，等待审核" in page.content()
    screenshot(page, "obligation-submitted")
    proof.refresh_from_db()
    assert proof.status == Obligation.Status.SUBMITTED

    page.context.clear_cookies()
    login(page, world.staff["reviewer"].username)
    page.get_by_role("link", name="履约管理").first.click()
    page.wait_for_load_state("networkidle")
    axe_check(page)
    page.get_by_role("link", name=proof.label).click()
    page.wait_for_load_state("networkidle")
    page.get_by_label("通过").check()
    axe_check(page)
    page.get_by_role("button", name="提交审核结果").click()
    page.wait_for_load_state("networkidle")
    assert "已审核通过" in page.content()
    screenshot(page, "obligation-accepted")
    proof.refresh_from_db()
    assert proof.status == Obligation.Status.ACCEPTED


def test_the_approver_reads_the_proposal_pages(world, page, live_server, axe_check):  # noqa: F811
    app, _owner = world.approved("JJ-FILM-02")
    company = app.company
    company.registration_district = "渝中区"
    company.save()
    login(page, world.staff["approver"].username)
    page.goto("/obligations/proposals/")
    assert app.case_number in page.content()
    axe_check(page)
    page.get_by_role("link", name=f"审定 {app.case_number}").click()
    page.wait_for_load_state("networkidle")
    axe_check(page)
    page.get_by_label("不予追回的理由").fill("已核实为集团统一安排")
    page.get_by_role("button", name="不予追回").click()
    page.wait_for_load_state("networkidle")
    assert "已决定不予追回" in page.content()
