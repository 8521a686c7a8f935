"""The API's shared behaviour: documentation from local files, authentication by session and by revocable
token, one error format in the caller's language, pagination and throttling."""

from __future__ import annotations

import pytest
from django.contrib.admin.sites import site as admin_site
from django.test import RequestFactory
from rest_framework.authtoken.models import Token, TokenProxy

from invest.models import AuditEntry
from tests.factories.companies import CompanyFactory, UserFactory

from .conftest import RecordingClient

pytestmark = pytest.mark.django_db


def test_swagger_ui_is_served_from_local_static_files(api):
    page = api.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "cdn.jsdelivr" not in html and "https://" not in html

    script = api.get("/api/docs/", {"script": ""})
    assert script.status_code == 200
    assert "/api/schema/" in script.content.decode()


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_doc_pages_keep_scripts_to_this_server_but_allow_their_inline_styles(api, path):
    policy = api.get(path).get("Content-Security-Policy", "")
    if not policy:
        pytest.skip("no Content-Security-Policy middleware installed")
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if " " in part.strip())
    assert directives["script-src"] == "'self'"
    assert "'unsafe-inline'" in directives["style-src"]


def test_redoc_loads_nothing_from_outside(api):
    page = api.get("/api/redoc/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "/static/drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js" in html
    assert "https://" not in html


def test_schema_is_served_as_openapi_3(api):
    response = api.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/companies/" in schema["paths"]


def test_anonymous_gets_401_in_chinese_by_default(api):
    response = api.get("/api/v1/companies/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json() == {"code": "not_authenticated", "detail": "身份认证信息未提供。"}


def test_errors_follow_accept_language(api):
    response = api.get("/api/v1/companies/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 401
    assert response.json()["detail"] == "Authentication credentials were not provided."


def test_unknown_api_path_is_a_json_404(api):
    response = api.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "not_found"


def test_unparsable_json_is_a_400_not_a_500(manager_api):
    company = CompanyFactory()
    response = manager_api.generic(
        "PATCH", f"/api/v1/companies/{company.credit_code}/", "{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_wrong_method_is_a_json_405(manager_api):
    response = manager_api.delete("/api/v1/companies/")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


class TestTokens:
    def test_password_gets_a_token_that_authenticates(self, api, roles):
        user = UserFactory(username="clerk1", roles=["manager"])
        response = api.post("/api/v1/auth/token/", {"username": "clerk1", "password": "jiangjin-demo"}, format="json")
        assert response.status_code == 200
        key = response.json()["token"]
        assert Token.objects.get(user=user).key == key

        client = RecordingClient(HTTP_AUTHORIZATION=f"Token {key}")
        assert client.get("/api/v1/companies/").status_code == 200

    def test_wrong_password_is_refused_without_saying_which_part_was_wrong(self, api, roles):
        UserFactory(username="clerk1")
        response = api.post("/api/v1/auth/token/", {"username": "clerk1", "password": "nope"}, format="json")
        assert response.status_code == 401
        assert response.json() == {"code": "invalid_login", "detail": "用户名或密码不正确，请重新输入。"}

    def test_missing_fields_are_named(self, api):
        response = api.post("/api/v1/auth/token/", {}, format="json")
        assert response.status_code == 400
        body = response.json()
        assert body["code"] == "invalid"
        assert set(body["fields"]) == {"username", "password"}
        assert body["fields"]["username"] == ["该字段是必填项。"]

    def test_user_revokes_own_token(self, roles):
        user = UserFactory()
        token = Token.objects.create(user=user)
        client = RecordingClient(HTTP_AUTHORIZATION=f"Token {token.key}")
        assert client.delete("/api/v1/auth/token/").status_code == 204
        assert not Token.objects.filter(user=user).exists()
        again = client.get("/api/v1/companies/")
        assert again.status_code == 401
        assert again.json()["code"] == "authentication_failed"

    def test_manager_revokes_anothers_token_and_it_is_audited(self, manager, manager_api):
        user = UserFactory()
        token = Token.objects.create(user=user)
        response = manager_api.delete(f"/api/v1/users/{user.pk}/token/")
        assert response.status_code == 204
        assert not Token.objects.filter(pk=token.pk).exists()
        entry = AuditEntry.objects.get(action="api_token_revoked")
        assert entry.actor == manager and entry.target_id == str(user.pk)

    def test_only_a_manager_may_revoke_anothers_token(self, applicant_api):
        other = UserFactory()
        Token.objects.create(user=other)
        response = applicant_api.delete(f"/api/v1/users/{other.pk}/token/")
        assert response.status_code == 403
        assert response.json() == {"code": "permission_denied", "detail": "只有管理员可以执行此操作。"}
        assert Token.objects.filter(user=other).exists()

    def test_revoking_for_an_unknown_user_is_404(self, manager_api):
        assert manager_api.delete("/api/v1/users/999999/token/").status_code == 404

    def test_admin_action_revokes_selected_tokens(self, manager):
        keep, drop = Token.objects.create(user=UserFactory()), Token.objects.create(user=UserFactory())
        model_admin = admin_site._registry[TokenProxy]
        assert "revoke_selected" in model_admin.actions
        request = RequestFactory().post("/admin/")
        request.user = manager
        request._messages = type("M", (), {"add": lambda *a, **k: None})()
        model_admin.revoke_selected(request, TokenProxy.objects.filter(pk=drop.pk))
        assert list(Token.objects.values_list("pk", flat=True)) == [keep.pk]
        assert AuditEntry.objects.filter(action="api_token_revoked", target_id=str(drop.user_id)).count() == 1


class TestThrottling:
    def test_too_many_requests_get_429_with_retry_after(self, manager_api, settings):
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK}
        settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "user": "2/minute",
        }
        statuses = [manager_api.get("/api/v1/companies/").status_code for _ in range(3)]
        assert statuses == [200, 200, 429]
        response = manager_api.get("/api/v1/companies/")
        assert response.status_code == 429
        assert response.json()["code"] == "throttled"
        assert int(response["Retry-After"]) > 0

    def test_anonymous_callers_of_public_endpoints_are_throttled(self, api, settings, catalogue):
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK}
        settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "anon": "2/minute",
        }
        statuses = [api.get("/api/v1/items/").status_code for _ in range(3)]
        assert statuses == [200, 200, 429]
        assert api.get("/api/v1/items/", HTTP_ACCEPT_LANGUAGE="en").json()["code"] == "throttled"

    def test_password_guessing_is_throttled_harder(self, api, settings):
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK}
        settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "token": "3/minute",
        }
        statuses = [
            api.post("/api/v1/auth/token/", {"username": "x", "password": "y"}, format="json").status_code
            for _ in range(4)
        ]
        assert statuses == [401, 401, 401, 429]


class TestPagination:
    def test_lists_are_paged_and_page_size_is_capped(self, manager_api):
        CompanyFactory.create_batch(3)
        page = manager_api.get("/api/v1/companies/", {"page_size": 2}).json()
        assert page["count"] == 3 and len(page["results"]) == 2 and page["next"]
        assert len(manager_api.get("/api/v1/companies/", {"page_size": 100}).json()["results"]) == 3

    @pytest.mark.parametrize(
        "query",
        [
            "page_size=null&page_size=null",
            "page_size=0",
            "page_size=-1",
            "page_size=101",
            "page_size=",
            "page_size=2&page_size=2",
            "page=abc",
            "page=0",
            "page=-3",
        ],
    )
    def test_page_parameters_outside_the_schema_are_400_naming_the_parameter(self, manager_api, query):
        """The schema says integer, 1-100 (page: from 1); the code used to fall back to the default instead."""
        response = manager_api.get(f"/api/v1/companies/?{query}")
        assert response.status_code == 400
        assert list(response.json()["fields"]) == [query.split("=")[0]]

    def test_a_page_past_the_end_is_404(self, manager_api):
        response = manager_api.get("/api/v1/companies/", {"page": 99})
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"


def test_a_post_to_an_unknown_api_path_is_a_json_404_not_a_csrf_page(roles):
    from django.test import Client

    user = UserFactory(roles=["manager"])
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post("/api/v1/applications/not-a-number/", {}, content_type="application/json")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
