"""The statistics page in Chromium: an approver opens 统计分析 from the navigation, filters by district, and the
page passes axe-core; the workbook downloads from the page's link."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from tests.browser_fixtures import (  # noqa: F401  (fixtures, found by pytest through this module)
    _allow_orm_beside_playwright,
    axe_check,
    browser,
    login,
    page,
    screenshot,
)
from tests.factories.companies import UserFactory

from .world import build_world, expected

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_approver_reads_the_statistics_and_downloads_them(page, live_server, axe_check, screenshot):  # noqa: F811 (fixtures imported above)
    world = build_world(cases=60, seed=5)
    approver = UserFactory(username="stats-approver", roles=["approver"])
    login(page, approver.username)
    page.get_by_role("link", name="统计分析").first.click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("heading", name="统计分析").is_visible()
    axe_check(page)
    page.get_by_label("注册区县", exact=True).select_option("渝中区")
    page.get_by_role("button", name="筛选").click()
    page.wait_for_load_state("networkidle")
    assert "district=" in page.url
    want = expected(world, "district", district="渝中区")["渝中区"]
    row = page.locator("tr", has=page.get_by_role("rowheader", name="渝中区")).first
    assert f"{want[2]:,.2f}" in row.inner_text()
    axe_check(page)
    screenshot(page, "statistics-district")
    with page.expect_download() as download:
        page.get_by_role("link", name="导出统计表（Excel）").click()
    book = load_workbook(io.BytesIO(open(download.value.path(), "rb").read()))
    assert "各区县" in book.sheetnames
    assert [r[0] for r in book["各区县"].iter_rows(min_row=2, values_only=True)] == ["渝中区"]
