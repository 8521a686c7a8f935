"""Office accounts in a real browser: the superuser creates a manager through the labelled form, the manager
filters the list; the forgot-password page from the login page. axe on every page visited."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail

from tests.browser_fixtures import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "Jiangjin-Film-2026!"


def test_superuser_creates_a_manager_who_sets_a_password_and_filters_the_list(
    page, live_server, settings, screenshot, axe_check
):
    from invest.roles import ensure_groups

    ensure_groups()
    settings.SITE_URL = live_server.url
    get_user_model().objects.create_superuser("root", "root@example.cn", PASSWORD)
    login(page, "root", PASSWORD)
    page.get_by_role("link", name="办公账户").first.click()
    page.get_by_role("link", name="新建账户").click()
    page.get_by_label("用户名").fill("wang")
    page.get_by_label("姓名").fill("王经理")
    page.get_by_label("电子邮箱").fill("wang@jj.gov.cn")
    page.get_by_label("管理员", exact=True).check()
    axe_check(page)
    screenshot(page, "accounts-new")
    page.get_by_role("button", name="创建账户").click()
    page.wait_for_load_state("networkidle")
    assert "已创建账户“wang”" in page.content()
    axe_check(page)
    screenshot(page, "accounts-detail")

    link = re.search(r"http\S+/accounts/reset/\S+/", mail.outbox[-1].body).group()
    page.context.clear_cookies()
    page.goto(link)
    page.get_by_label(re.compile(r"^新密码\s*\*?$")).fill("short")
    page.get_by_label("新密码确认").fill("short")
    page.get_by_role("button", name="设置密码").click()
    assert "密码太短，至少需要 10 个字符。" in page.content()
    axe_check(page)
    screenshot(page, "accounts-set-password-error")
    page.get_by_label(re.compile(r"^新密码\s*\*?$")).fill(PASSWORD)
    page.get_by_label("新密码确认").fill(PASSWORD)
    page.get_by_role("button", name="设置密码").click()
    page.get_by_role("link", name="登录").last.click()
    login(page, "wang", PASSWORD)
    page.goto("/office/accounts/?role=manager")
    axe_check(page)
    screenshot(page, "accounts-list")
    assert page.get_by_role("link", name="wang").count() == 1


def test_forgot_password_from_the_login_page(page, screenshot, axe_check):
    page.goto("/accounts/login/")
    page.get_by_role("link", name="忘记密码？").click()
    page.get_by_label("电子邮箱").fill("nobody@film.cn")
    axe_check(page)
    page.get_by_role("button", name="发送重置链接").click()
    assert "如果该电子邮箱属于本系统的账户" in page.content()
    axe_check(page)
    screenshot(page, "accounts-reset-sent")
