"""The client address behind the documented nginx (issue 14, item 3).

Behind nginx every request arrives from 127.0.0.1. django-axes counted failed logins per REMOTE_ADDR, so
five wrong passwords typed by anyone under a reviewer's name locked the reviewer out everywhere. With
TRUSTED_PROXIES listing the proxy, the client is the right-most X-Forwarded-For entry that is not a trusted
proxy; from any other address X-Forwarded-For is ignored, so a client cannot pick its own address (and so
cannot start a fresh lockout or API throttle count by forging the header).
"""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import RequestFactory

from invest.security import client_ip
from tests.factories import UserFactory

PASSWORD = "jiangjin-demo"
NGINX = "127.0.0.1"
ALICE, MALLORY = "203.0.113.5", "198.51.100.7"


@pytest.fixture
def reviewer(db):
    return UserFactory(username="reviewer1", roles=["reviewer"])


@pytest.fixture
def behind_nginx(settings):
    settings.TRUSTED_PROXIES = [NGINX, "10.0.0.0/8"]


def login(client, password="wrong-password", *, remote=NGINX, forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client.post("/accounts/login/", {"username": "reviewer1", "password": password}, **extra)


def address(remote: str, forwarded: str | None = None) -> str | None:
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_ip(RequestFactory().get("/", **extra))


def test_from_a_trusted_proxy_the_right_most_untrusted_forwarded_entry_is_the_client(behind_nginx):
    assert address(NGINX, ALICE) == ALICE
    assert address(NGINX, f"6.6.6.6, {ALICE}") == ALICE  # the left entry is the client's own, maybe forged
    assert address(NGINX, f"{ALICE}, 10.1.2.3") == ALICE  # a second trusted proxy in between
    assert address(NGINX, f"{ALICE}:51234") == ALICE
    assert address(NGINX, "2001:db8::1") == "2001:db8::1"
    assert address(NGINX) == NGINX  # nothing forwarded: the proxy itself
    assert address(NGINX, "not-an-address") == NGINX


def test_from_anyone_else_a_forged_forwarded_header_is_ignored(settings):
    settings.TRUSTED_PROXIES = []
    assert address(MALLORY, ALICE) == MALLORY
    settings.TRUSTED_PROXIES = [NGINX]
    assert address(MALLORY, ALICE) == MALLORY


@pytest.mark.django_db
def test_behind_nginx_mistyping_a_reviewers_name_locks_out_that_client_only(client, reviewer, behind_nginx):
    for _ in range(5):
        response = login(client, forwarded=MALLORY)
    assert response.status_code == 429
    assert login(client, PASSWORD, forwarded=MALLORY).status_code == 429  # Mallory stays locked out
    response = login(client, PASSWORD, forwarded=ALICE)
    assert response.status_code == 302, "the real reviewer, at another address behind the same proxy, logs in"
    assert client.session.get("_auth_user_id") == str(reviewer.pk)


@pytest.mark.django_db
def test_a_client_cannot_escape_the_lockout_by_forging_the_forwarded_header(client, reviewer, settings):
    settings.TRUSTED_PROXIES = [NGINX]
    for n in range(5):
        response = login(client, remote=MALLORY, forwarded=f"192.0.2.{n}")
    assert response.status_code == 429
    assert login(client, PASSWORD, remote=MALLORY, forwarded="192.0.2.99").status_code == 429


@pytest.mark.django_db
def test_api_token_throttle_counts_per_client_behind_the_proxy_and_ignores_forged_headers(client, reviewer, settings):
    from rest_framework.settings import api_settings

    rate = 3
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**api_settings.DEFAULT_THROTTLE_RATES, "token": f"{rate}/minute"},
    }
    cache.clear()

    def token(remote, forwarded, username="nobody"):
        return client.post(
            "/api/v1/auth/token/",
            {"username": username, "password": "x"},
            content_type="application/json",
            REMOTE_ADDR=remote,
            HTTP_X_FORWARDED_FOR=forwarded,
        ).status_code

    settings.TRUSTED_PROXIES = []
    answers = [token(MALLORY, f"192.0.2.{n}") for n in range(rate + 1)]  # a new forged address every time
    assert answers[:rate] == [401] * rate and answers[rate] == 429  # wrong password, then throttled
    settings.TRUSTED_PROXIES = [NGINX]
    cache.clear()
    assert [token(NGINX, MALLORY, "somebody") for _ in range(rate + 1)][-1] == 429
    assert token(NGINX, ALICE, "somebody") == 401  # another client behind the proxy still has its own count
