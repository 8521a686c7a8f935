"""Login throttling (django-axes), password strength, cookies, CSP and the other security headers."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.conf import settings as django_settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils import timezone

from tests.factories import UserFactory
from tests.security.static_manifest import write_manifest

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "jiangjin-demo"


def fail(client, url="/accounts/login/", username="reviewer1", password="wrong-password", **extra):
    return client.post(url, {"username": username, "password": password}, **extra)


@pytest.fixture
def reviewer(db):
    return UserFactory(username="reviewer1", roles=["reviewer"])


@pytest.mark.django_db
class TestLoginLockout:
    def test_five_failures_lock_the_login_page_for_fifteen_minutes(self, client, reviewer):
        for _ in range(4):
            response = fail(client)
            assert response.status_code == 200  # the form again, with its error
        response = fail(client)
        assert response.status_code == 429
        body = response.content.decode()
        assert "登录已暂时锁定" in body and "15 分钟后再试" in body and "联系" in body
        assert '<html lang="zh-CN">' in body

    def test_correct_password_is_refused_while_locked_out(self, client, reviewer):
        for _ in range(5):
            fail(client)
        response = fail(client, password=PASSWORD)
        assert response.status_code == 429
        assert "_auth_user_id" not in client.session

    def test_lockout_ends_after_the_cool_off(self, client, reviewer):
        for _ in range(5):
            fail(client)
        AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
        response = fail(client, password=PASSWORD)
        assert response.status_code == 302
        assert client.session["_auth_user_id"] == str(reviewer.pk)

    def test_success_before_the_limit_resets_the_count(self, client, reviewer):
        for _ in range(4):
            fail(client)
        assert fail(client, password=PASSWORD).status_code == 302
        client.logout()
        for _ in range(4):
            assert fail(client).status_code == 200

    def test_lockout_is_per_user_and_address(self, client, reviewer):
        """Another office cannot lock the reviewer out by typing the reviewer's name wrongly."""
        for _ in range(5):
            fail(client, REMOTE_ADDR="203.0.113.9")
        assert fail(client, password=PASSWORD, REMOTE_ADDR="198.51.100.7").status_code == 302

    def test_admin_login_is_throttled_too(self, client, db):
        UserFactory(username="admin1", is_staff=True, is_superuser=True)
        for _ in range(5):
            response = fail(client, url="/admin/login/", username="admin1")
        assert response.status_code == 429

    def test_api_token_endpoint_is_throttled_and_answers_in_json(self, client, reviewer):
        url = "/api/v1/auth/token/"

        def api_login(password="wrong-password"):
            body = json.dumps({"username": "reviewer1", "password": password})
            return client.post(url, body, content_type="application/json")

        first = api_login()
        if first.status_code == 404:
            pytest.skip("no API token endpoint in this tree")
        assert first.status_code in (400, 401, 403)
        for _ in range(4):
            response = api_login()
        assert response.status_code == 429
        assert response.json()["code"] == "locked_out"
        assert "分钟后再试" in response.json()["detail"]
        assert api_login(PASSWORD).status_code == 429

    def test_absurd_user_name_user_agent_and_path_do_not_break_the_login(self, client, reviewer):
        """Axes stores them in 255-character columns; PostgreSQL refuses longer values with a server error."""
        for _ in range(5):
            response = fail(client, username="x" * 10000, HTTP_USER_AGENT="A" * 5000)
        assert response.status_code == 429
        response = client.post(
            "/accounts/login/?" + "q=" * 3000,
            {"username": "reviewer1", "password": "wrong"},
            HTTP_USER_AGENT="B" * 5000,
        )
        assert response.status_code == 200
        assert AccessAttempt.objects.filter(username="x" * 150).exists()

    def test_test_client_login_without_a_request_still_works(self, client, reviewer):
        assert client.login(username="reviewer1", password=PASSWORD)
        assert not client.login(username="reviewer1", password="wrong-password")


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("short1!", "太短"),
        ("12345678901234", "全是数字"),
        ("password1234", "太常见"),
        ("reviewer1-2026", "与用户名太相似"),
    ],
)
def test_weak_passwords_are_refused(db, password, why):
    user = UserFactory.build(username="reviewer1", email="reviewer1@example.com")
    with pytest.raises(ValidationError):
        validate_password(password, user)


def test_strong_password_is_accepted(db):
    user = UserFactory.build(username="reviewer1")
    validate_password("津影-审核-Quartz-7294", user)


@pytest.mark.django_db
class TestHeaders:
    def test_content_security_policy_allows_no_inline_script(self, client):
        response = client.get("/")
        policy = response.headers["Content-Security-Policy"]
        directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
        assert directives["default-src"] == "'self'"
        assert directives["script-src"] == "'self'"
        assert directives["style-src"] == "'self'"
        assert directives["object-src"] == "'none'"
        assert directives["base-uri"] == "'none'"
        assert directives["frame-ancestors"] == "'self'"
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy

    @pytest.mark.parametrize("url", ["/", "/accounts/login/", "/healthz"])
    def test_security_headers_on_every_page(self, client, url):
        response = client.get(url)
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
        assert "camera=()" in response.headers["Permissions-Policy"]
        assert "Content-Security-Policy" in response.headers

    @pytest.mark.parametrize("url", ["/", "/accounts/login/"])
    def test_pages_contain_no_inline_script_or_style(self, client, url):
        body = client.get(url).content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", body)
        assert "<style" not in body
        assert not re.search(r"\son[a-z]+\s*=", body)
        assert not re.search(r'\sstyle\s*=\s*"', body)
        assert "javascript:" not in body

    def test_session_and_csrf_cookies_are_http_only_where_needed_and_same_site(self, client, reviewer):
        response = fail(client, password=PASSWORD)
        cookie = response.cookies[django_settings.SESSION_COOKIE_NAME]
        assert cookie["httponly"]
        assert cookie["samesite"] == "Lax"
        csrf = client.get("/accounts/login/").cookies[django_settings.CSRF_COOKIE_NAME]
        assert csrf["samesite"] == "Lax"


def _templates_in_browser() -> list[Path]:
    """Every template a browser renders (not the PDF templates that WeasyPrint renders on the server)."""
    roots = [ROOT / "templates", *ROOT.glob("*/templates"), *ROOT.glob("*/*/templates")]
    return sorted(p for root in roots for p in root.rglob("*.html") if "/pdf/" not in str(p))


INLINE_PATTERNS = {
    "inline <script>": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE),
    "event handler attribute": re.compile(r"\son(click|load|change|submit|input|focus|blur|key\w+|mouse\w+)\s*=", re.I),
    "javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
}


@pytest.mark.parametrize("template", _templates_in_browser(), ids=lambda p: str(p.relative_to(ROOT)))
def test_templates_have_no_inline_scripts(template):
    """The CSP would block them in the browser; this finds them before a user does."""
    text = template.read_text(encoding="utf-8")
    found = [name for name, pattern in INLINE_PATTERNS.items() if pattern.search(text)]
    assert not found, f"{template.relative_to(ROOT)} has {', '.join(found)}: move it to a static .js file"


def _production_env(**extra) -> dict[str, str]:
    # A clean production environment: nothing the test session set for itself (the browser tests set
    # DJANGO_ALLOW_ASYNC_UNSAFE, which check --deploy rightly reports).
    ignored = {"DATABASE_URL", "DEBUG", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {k: v for k, v in os.environ.items() if k not in ignored}
    env.update(
        DJANGO_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="film.jiangjin.example",
        DATABASE_URL="sqlite:////tmp/jj-security-check.sqlite3",
        # The start-up checks of invest/checks.py: scanning off on purpose, and a complete static manifest.
        CLAMAV_DISABLED="1",
        STATIC_ROOT=str(write_manifest(Path(tempfile.mkdtemp(prefix="jj-static-")))),
    )
    env.update(extra)
    return env


def test_check_deploy_is_clean_under_production_settings():
    """The exact command of `make lint`: every deployment warning counts as a failure."""
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=_production_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_cookies_are_secure_and_https_is_enforced():
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({k: getattr(s, k) for k in ['SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', "
        "'SESSION_COOKIE_HTTPONLY', 'SECURE_SSL_REDIRECT', 'SECURE_HSTS_SECONDS', 'SESSION_COOKIE_NAME', "
        "'CSRF_COOKIE_NAME', 'DEBUG']}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=_production_env(DJANGO_SETTINGS_MODULE="invest.settings"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values["SESSION_COOKIE_SECURE"] and values["CSRF_COOKIE_SECURE"] and values["SESSION_COOKIE_HTTPONLY"]
    assert values["SECURE_SSL_REDIRECT"] and values["SECURE_HSTS_SECONDS"] >= 31536000
    assert values["SESSION_COOKIE_NAME"].startswith("__Host-") and values["CSRF_COOKIE_NAME"].startswith("__Host-")
    assert values["DEBUG"] is False
