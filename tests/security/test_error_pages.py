"""Errors a person can act on (issue 14 item 6, issue 15 part 7): bad query parameters are a 400 in the API's
error shape, a database outage is a 503 "try again", anything else a styled Chinese 500 page (JSON under
/api/), and no answer ever holds a stack trace. Run with DEBUG off, as production runs."""

from __future__ import annotations

import pytest
from django.db import OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test import Client

from tests.factories.companies import UserFactory

pytestmark = pytest.mark.django_db

TRACE_MARKERS = ("Traceback", 'File "', "secret detail", "10.0.0.5", "Server Error (500)")


def no_trace(response) -> None:
    text = response.content.decode()
    for marker in TRACE_MARKERS:
        assert marker not in text, marker


@pytest.fixture
def quiet_client(settings):
    settings.DEBUG = False
    return Client(raise_request_exception=False)


@pytest.mark.parametrize(
    "url",
    ["/api/v1/applications/?search=%C2%A1%00", "/api/v1/companies/?search=a%00", "/api/v1/policies/?page_size=1%00"],
)
def test_nul_in_an_api_query_parameter_is_a_400_naming_the_parameter(quiet_client, url):
    user = UserFactory(roles=["clerk"])
    quiet_client.force_login(user)
    response = quiet_client.get(url)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and "空字符" in body["detail"]
    assert list(body["fields"]) == [url.split("?")[1].split("=")[0]]


@pytest.mark.parametrize(
    ("role", "url"),
    [
        ("clerk", "/workbench/?q=a%00"),
        ("clerk", "/workbench/?state=%00"),
        (None, "/notices/?q=%C2%A1%00"),
        ("applicant", "/my/cases/?state=x%00"),
        (None, "/policies/?item=%00"),
    ],
)
def test_nul_in_a_portal_filter_is_a_400_page_that_says_what_to_do(quiet_client, role, url):
    if role:
        quiet_client.force_login(UserFactory(roles=[role]))
    response = quiet_client.get(url)
    assert response.status_code == 400
    text = response.content.decode()
    assert "请求有误" in text and "空字符" in text and 'class="site-header"' in text
    no_trace(response)


@pytest.mark.urls("tests.security.error_urls")
def test_an_unexpected_error_is_a_styled_chinese_500_page_without_a_trace(quiet_client):
    response = quiet_client.get("/boom/")
    assert response.status_code == 500
    text = response.content.decode()
    assert "系统出现错误，请稍后再试" in text and "联系" in text
    assert 'class="site-header"' in text and "css/site.css" in text
    no_trace(response)


@pytest.mark.urls("tests.security.error_urls")
def test_an_unexpected_error_under_the_api_is_json(quiet_client):
    response = quiet_client.get("/api/v1/boom/")
    assert response.status_code == 500 and response["Content-Type"] == "application/json"
    assert response.json()["code"] == "server_error" and "稍后重试" in response.json()["detail"]
    no_trace(response)


@pytest.mark.urls("tests.security.error_urls")
@pytest.mark.parametrize(("url", "json"), [("/database-gone/", False), ("/api/v1/database-gone/", True)])
def test_a_database_error_in_a_view_is_a_503_try_again(quiet_client, url, json):
    response = quiet_client.get(url)
    assert response.status_code == 503 and response["Retry-After"]
    if json:
        assert response.json()["code"] == "database_unavailable"
    else:
        assert "服务暂时不可用，请稍后再试" in response.content.decode()
    no_trace(response)


def database_down(monkeypatch) -> None:
    """Every new query fails the way psycopg/sqlite3 fail when the server is gone."""

    def refuse(self):
        raise OperationalError("connection to server at 10.0.0.5 failed: Connection refused")

    monkeypatch.setattr(BaseDatabaseWrapper, "ensure_connection", refuse)


@pytest.mark.parametrize(("role", "url"), [(None, "/policies/"), (None, "/notices/"), ("clerk", "/workbench/")])
def test_during_a_database_outage_pages_answer_503_in_chinese(quiet_client, monkeypatch, role, url):
    if role:
        quiet_client.force_login(UserFactory(roles=[role]))
    database_down(monkeypatch)
    response = quiet_client.get(url)
    assert response.status_code == 503
    text = response.content.decode()
    assert "服务暂时不可用，请稍后再试" in text and "数据库暂时无法连接" in text and "重试" in text
    no_trace(response)


@pytest.mark.parametrize("url", ["/api/v1/policies/", "/api/v1/applications/"])
def test_during_a_database_outage_the_api_answers_503_json(quiet_client, monkeypatch, url):
    database_down(monkeypatch)
    response = quiet_client.get(url, HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")
    assert response.status_code == 503
    assert response.json()["code"] == "database_unavailable"
    no_trace(response)


def test_403_page_says_why_and_what_to_do_in_the_site_layout(quiet_client):
    quiet_client.force_login(UserFactory())  # signed in, but no office role
    response = quiet_client.get("/workbench/")
    assert response.status_code == 403
    text = response.content.decode()
    assert "您没有权限访问此页面" in text and "您没有访问此页面的权限。" in text
    assert 'class="site-header"' in text and "返回首页" in text and "管理员" in text


def test_404_page_says_what_to_do_in_the_site_layout(quiet_client):
    response = quiet_client.get("/no-such-page/")
    assert response.status_code == 404
    text = response.content.decode()
    assert "找不到此页面" in text and "检查地址" in text and 'class="site-header"' in text and "返回首页" in text


def test_500_page_renders_without_a_request_context_or_static_manifest(settings):
    """The 500 template uses no context processors, no database, no {% static %}."""
    from django.test import RequestFactory

    from invest.errors import server_error

    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
    settings.STATIC_ROOT = "/nonexistent-static-root"
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        response = server_error(RequestFactory().get("/x/"))
    assert response.status_code == 500
    assert "系统出现错误" in response.content.decode() and "/static/css/site.css" in response.content.decode()
