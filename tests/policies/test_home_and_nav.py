"""The home page leads (open rounds with working days left, items with caps, latest 公示, a first step per
visitor) and the navigation shows each role its own entry points."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from applications.workdays import WorkingCalendar
from tests.factories.applications import ApplicationFactory
from tests.factories.companies import MembershipFactory, UserFactory


def _nav(content: str) -> str:
    return re.search(r'<ul id="site-menu">(.*?)</ul>', content, re.S).group(1)


def test_home_shows_the_open_round_with_closing_date_and_working_days_left(client, catalogue, seeded_round):
    content = client.get("/").content.decode()
    closes = timezone.localtime(seeded_round.closes_at)
    today = timezone.localdate()
    calendar = WorkingCalendar()
    left = calendar.working_days_between(today, closes.date()) + (1 if calendar.is_working_day(today) else 0)
    assert "正在受理的申报批次" in content
    assert f"截止 {closes:%Y-%m-%d %H:%M}" in content
    assert f"剩余 {left} 个工作日" in content
    assert seeded_round.name in content


def test_home_without_open_round_says_so(client, catalogue, seeded_round):
    seeded_round.closes_at = timezone.now() - dt.timedelta(days=1)
    seeded_round.opens_at = seeded_round.closes_at - dt.timedelta(days=30)
    seeded_round.save()
    content = client.get("/").content.decode()
    assert "当前没有开放的申报批次" in content
    assert "剩余" not in content


def test_home_lists_items_with_their_caps(client, catalogue):
    content = client.get("/").content.decode()
    assert "剧组拍摄消费补贴" in content
    assert "1,000,000.00" in content  # JJ-FILM-01's cap per application
    assert reverse("policies:item", args=["JJ-FILM-01"]) in content


@pytest.mark.django_db
def test_home_shows_the_latest_public_notice(client):
    case = ApplicationFactory(state="public_notice", project_title="电影《江津往事》")
    content = client.get("/").content.decode()
    assert "最新公示" in content
    assert "电影《江津往事》" in content and case.company.name in content
    assert reverse("portal:notices") in content


@pytest.mark.django_db
def test_first_step_for_each_kind_of_visitor(client):
    content = client.get("/").content.decode()
    assert f'href="{reverse("register")}">注册<' in content and "登录" in content

    newcomer = UserFactory(roles=[])
    client.force_login(newcomer)
    content = client.get("/").content.decode()
    assert f'href="{reverse("companies:mine")}">登记或认领企业<' in content

    member = MembershipFactory().user
    client.force_login(member)
    content = client.get("/").content.decode()
    assert re.search(rf'class="button primary" href="{reverse("portal:my_cases")}">我的申报<', content)

    client.force_login(UserFactory(roles=["clerk"]))
    content = client.get("/").content.decode()
    assert re.search(rf'class="button primary" href="{reverse("portal:workbench")}">审核工作台<', content)
    assert "查看公示" in content and "文书核验" in content


@pytest.mark.django_db
def test_nav_shows_each_role_its_own_entries(client):
    content = client.get("/").content.decode()
    nav = _nav(content)
    assert "我的申报" not in nav and "审核工作台" not in nav and "管理后台" not in nav
    assert "公示公告" in nav and "文书核验" in nav and "政策计算器" in nav

    client.force_login(MembershipFactory().user)
    nav = _nav(client.get("/").content.decode())
    assert "我的申报" in nav and "审核工作台" not in nav and "管理后台" not in nav

    client.force_login(UserFactory(roles=["clerk"]))
    nav = _nav(client.get("/").content.decode())
    assert "审核工作台" in nav and "管理看板" not in nav and "管理后台" not in nav

    manager = UserFactory(roles=["manager"])
    client.force_login(manager)
    nav = _nav(client.get("/").content.decode())
    assert "审核工作台" in nav and "管理看板" in nav and "成员申请" in nav and "企业导入" in nav
    assert f'href="{reverse("admin:index")}">管理后台<' in nav


@pytest.mark.django_db
def test_phone_menu_button_is_there_for_the_script_and_hidden_without_it(client):
    content = client.get("/").content.decode()
    button = re.search(r"<button[^>]*data-menu-toggle[^>]*>菜单</button>", content).group(0)
    assert 'aria-controls="site-menu"' in button and "hidden" in button
