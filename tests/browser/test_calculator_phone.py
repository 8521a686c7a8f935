"""The calculator in Chromium: the company's founding date arrives in the date input (as the browser reads it),
开始测算 brings the result into view and focus, 立即申报 opens the prefilled apply page; the phone layout folds
the menu behind 菜单 and keeps the item table readable."""

from __future__ import annotations

import datetime as dt
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories.companies import CompanyFactory, MembershipFactory

from .conftest import login

PASSWORD = "jiangjin-demo"


@pytest.fixture
def catalogue(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.AXES_ENABLED = False
    from policies.models import Round
    from policies.services import seed_catalogue

    seed_catalogue()
    now = timezone.now()
    Round.objects.update(opens_at=now - timedelta(days=30), closes_at=now + timedelta(days=90), year=now.year)


@pytest.fixture
def member(catalogue):
    company = CompanyFactory(name="重庆白沙影视文化有限公司", established_on=dt.date(2021, 3, 15))
    user = MembershipFactory(company=company, user__username="shenbao").user
    user.set_password(PASSWORD)
    user.save()
    return user


@pytest.mark.django_db(transaction=True)
def test_calculator_prefills_the_date_and_applies_in_one_click(page, member, screenshot, axe_check):
    login(page, "shenbao", PASSWORD)
    page.goto("/policies/")
    # What the browser holds, not what the HTML says: a non-ISO value would read as "".
    assert page.get_by_label("成立日期").input_value() == "2021-03-15"
    page.get_by_label("已取得备案或立项").select_option("true")
    page.get_by_label("在江津拍摄天数（天）").fill("20")
    page.get_by_label("在江津消费金额（元）").fill("1200000")
    page.get_by_role("button", name="开始测算").click()
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("#results")
    assert page.evaluate("document.activeElement.id") == "results"
    assert page.get_by_role("heading", name="测算结果").is_visible()
    # the date survived the round trip too
    assert page.get_by_label("成立日期").input_value() == "2021-03-15"
    apply_links = page.get_by_role("link", name=re.compile(r"^立即申报 "))
    names = [apply_links.nth(i).get_attribute("aria-label") for i in range(apply_links.count())]
    assert any(n.startswith("立即申报 JJ-FILM-01 ") for n in names)
    assert not any(n.startswith("立即申报 JJ-FILM-05 ") for n in names)  # no box office: not eligible
    axe_check(page)
    screenshot(page, "calculator-result-1280")
    page.get_by_role("link", name=re.compile(r"^立即申报 JJ-FILM-01 ")).click()
    page.wait_for_load_state("networkidle")
    assert "/my/apply/JJ-FILM-01/" in page.url
    assert page.get_by_label("在江津消费金额").input_value() == "1,200,000.00"
    assert page.get_by_label("在江津拍摄天数").input_value() == "20"
    screenshot(page, "apply-prefilled-1280")


@pytest.mark.django_db(transaction=True)
def test_phone_menu_folds_and_the_item_table_stays_readable(browser, live_server, catalogue, screenshot, axe_check):
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        page.goto("/")
        toggle = page.get_by_role("button", name="菜单")
        assert toggle.get_attribute("aria-expanded") == "false"
        assert not page.get_by_role("link", name="公示公告").is_visible()
        header = page.locator("header.site-header").bounding_box()
        assert header["height"] < 844 / 5, header
        screenshot(page, "home-390")
        toggle.focus()
        page.keyboard.press("Enter")
        assert toggle.get_attribute("aria-expanded") == "true"
        assert page.get_by_role("link", name="公示公告").is_visible()
        axe_check(page)
        screenshot(page, "home-390-menu-open")
        page.keyboard.press("Space")
        assert toggle.get_attribute("aria-expanded") == "false"

        page.goto("/policies/")
        # each cell of the item table is as wide as the phone allows, not a sliver
        cell = page.locator("table.data.stack td[data-label='申报条件']").first
        assert cell.bounding_box()["width"] > 300
        axe_check(page)
        screenshot(page, "calculator-390")
    finally:
        context.close()

    # without the script the menu stays visible
    context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", viewport={"width": 390, "height": 844}, java_script_enabled=False
    )
    page = context.new_page()
    try:
        page.goto("/")
        assert page.get_by_role("link", name="公示公告").is_visible()
        assert not page.get_by_role("button", name="菜单").is_visible()
    finally:
        context.close()
