"""The skeleton: production guard, health check, demo seed, language switch."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command

from invest.settings import DEV_SECRET_KEY, check_production_settings

ROOT = Path(__file__).resolve().parent.parent
REAL_KEY = "k" * 20 + "9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a1"


def _start_production(extra_env: dict) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "ALLOWED_HOSTS", "DEBUG"}}
    # CLAMAV_DISABLED: these tests are about the secret key and hosts (the scanner's own: test_production_checks).
    env.update(
        {"DJANGO_ENV": "production", "DJANGO_SETTINGS_MODULE": "invest.settings", "CLAMAV_DISABLED": "1", **extra_env}
    )
    return subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


class TestProductionGuard:
    def test_refuses_to_start_without_a_secret_key(self):
        result = _start_production({"ALLOWED_HOSTS": "film.example.cn"})
        assert result.returncode != 0
        assert "SECRET_KEY" in result.stderr

    def test_refuses_to_start_without_allowed_hosts(self):
        result = _start_production({"SECRET_KEY": REAL_KEY})
        assert result.returncode != 0
        assert "ALLOWED_HOSTS" in result.stderr

    def test_starts_with_a_real_key_and_hosts(self):
        result = _start_production({"SECRET_KEY": REAL_KEY, "ALLOWED_HOSTS": "film.example.cn"})
        assert result.returncode == 0, result.stderr

    @pytest.mark.parametrize("key", ["", DEV_SECRET_KEY, "short", "a" * 60])
    def test_weak_keys_are_refused(self, key):
        with pytest.raises(ImproperlyConfigured):
            check_production_settings(key, ["film.example.cn"], debug=False)

    def test_debug_is_refused_in_production(self):
        with pytest.raises(ImproperlyConfigured, match="DEBUG"):
            check_production_settings(REAL_KEY, ["film.example.cn"], debug=True)


@pytest.mark.django_db
class TestHealthz:
    def test_ok_when_the_database_answers(self, client):
        response = client.get("/healthz")
        assert response.status_code == 200
        assert response.json() == {"status": "ok", "database": "ok"}

    def test_503_naming_the_database_when_it_fails(self, client, monkeypatch):
        from django.db.backends.utils import CursorWrapper

        def broken(self, sql, params=None):
            from django.db import OperationalError

            raise OperationalError("connection refused")

        monkeypatch.setattr(CursorWrapper, "execute", broken)
        response = client.get("/healthz")
        assert response.status_code == 503
        assert response.json() == {"status": "unavailable", "database": "unavailable"}


@pytest.fixture(autouse=True)
def _demo_file_store(settings, tmp_path):
    """seed_demo stores the demo company's licence: keep it out of the working tree's file store."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}},
    }


@pytest.mark.django_db
class TestSeedDemo:
    def snapshot(self):
        User = get_user_model()
        return (
            sorted(User.objects.values_list("username", "is_superuser")),
            sorted(Group.objects.values_list("name", "user__username")),
        )

    def test_running_twice_gives_the_same_rows(self):
        call_command("seed_demo", verbosity=0)
        first = self.snapshot()
        call_command("seed_demo", verbosity=0)
        assert self.snapshot() == first
        usernames = [u for u, _ in first[0]]
        for name in ["applicant", "clerk", "reviewer", "expert", "approver", "finance", "manager", "admin"]:
            assert name in usernames
        assert ("applicant", "applicant") in first[1]

    def test_demo_password_logs_in(self, client):
        call_command("seed_demo", verbosity=0)
        assert client.login(username="reviewer", password="jiangjin-demo")

    def test_applicant_belongs_to_the_demo_company(self):
        call_command("seed_demo", verbosity=0)
        applicant = get_user_model().objects.get(username="applicant")
        assert applicant.companies.filter(registration_district="江津区").count() == 1

    def test_demo_company_is_built_through_the_onboarding_services(self):
        from companies.models import Company, CompanyRegistration
        from invest.models import AuditEntry

        call_command("seed_demo", verbosity=0)
        call_command("seed_demo", verbosity=0)
        registration = CompanyRegistration.objects.get()
        assert registration.status == "confirmed" and registration.requested_by.username == "applicant"
        assert registration.decided_by.username == "manager"
        company = Company.objects.get()
        assert company.registered_capital == 10_000_000 and company.in_hq_park
        assert company.bank_account_number.endswith("1234")
        actions = set(AuditEntry.objects.values_list("action", flat=True))
        assert {"company_registration_requested", "company_registration_confirmed", "membership_confirmed"} <= actions

    def test_refused_in_production(self, settings):
        settings.IS_PRODUCTION = True
        with pytest.raises(CommandError, match="production"):
            call_command("seed_demo", verbosity=0)
        assert not get_user_model().objects.filter(username="applicant").exists()


@pytest.mark.django_db
class TestLanguageSwitch:
    def test_home_is_chinese_by_default(self, client):
        response = client.get("/")
        assert response.status_code == 200
        body = response.content.decode()
        assert '<html lang="zh-CN">' in body
        assert "江津区影视产业扶持服务平台" in body

    def test_switching_to_english_and_back(self, client):
        response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
        assert response.status_code == 302
        body = client.get("/").content.decode()
        assert '<html lang="en">' in body
        assert "Jiangjin Film Industry Support Service" in body
        assert "江津区影视产业扶持服务平台" not in body

        client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
        assert "江津区影视产业扶持服务平台" in client.get("/").content.decode()

    def test_every_page_offers_the_switch(self, client):
        body = client.get("/accounts/login/").content.decode()
        assert 'name="language" value="en"' in body


@pytest.mark.django_db
def test_demo_manager_can_open_the_rule_admin(client):
    call_command("seed_demo", verbosity=0)
    client.login(username="manager", password="jiangjin-demo")
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/policies/supportitem/").status_code == 200
    manager = get_user_model().objects.get(username="manager")
    assert manager.has_perm("policies.change_supportitem")
    assert not manager.has_perm("invest.delete_auditentry")
    assert not get_user_model().objects.get(username="reviewer").is_staff


@pytest.mark.django_db
def test_setup_roles_creates_every_group_without_demo_users():
    call_command("setup_roles", verbosity=0)
    call_command("setup_roles", verbosity=0)
    assert set(Group.objects.values_list("name", flat=True)) >= {
        "applicant",
        "clerk",
        "reviewer",
        "expert",
        "approver",
        "finance",
        "manager",
        "auditor",
    }
    assert Group.objects.get(name="manager").permissions.filter(codename="change_company").exists()
    assert not get_user_model().objects.exists()
