"""The public password reset: same answer for any address; the link sets a password; messages in the page's language."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail

pytestmark = pytest.mark.django_db
User = get_user_model()


def test_login_page_offers_the_reset(client):
    page = client.get("/accounts/login/").content.decode()
    assert "忘记密码？" in page and 'href="/accounts/password-reset/"' in page


def test_known_and_unknown_addresses_get_the_same_answer(client, settings):
    settings.SITE_URL = "https://film.jiangjin.example"
    User.objects.create_user("chen", email="chen@film.cn", password="old-Password-2026")
    known = client.post("/accounts/password-reset/", {"email": "CHEN@film.cn"}, follow=True)
    unknown = client.post("/accounts/password-reset/", {"email": "nobody@film.cn"}, follow=True)
    assert known.redirect_chain == unknown.redirect_chain == [("/accounts/password-reset/sent/", 302)]
    main = re.compile(r"<main.*?</main>", re.S)  # the rest holds per-request tokens
    assert main.search(known.content.decode()).group() == main.search(unknown.content.decode()).group()
    assert "如果该电子邮箱属于本系统的账户" in known.content.decode()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["chen@film.cn"]

    link = re.search(r"https://film\.jiangjin\.example(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    page = client.get(link, follow=True)
    assert "设置新密码" in page.content.decode()
    short = client.post(page.redirect_chain[-1][0], {"new_password1": "abc", "new_password2": "abc"})
    text = short.content.decode()
    assert "密码太短，至少需要 10 个字符。" in text
    assert "too short" not in text
    client.post(
        page.redirect_chain[-1][0], {"new_password1": "new-Password-2026", "new_password2": "new-Password-2026"}
    )
    assert client.login(username="chen", password="new-Password-2026")


def test_no_mail_for_a_deactivated_account(client):
    User.objects.create_user("gone", email="gone@film.cn", password="x-Password-2026", is_active=False)
    response = client.post("/accounts/password-reset/", {"email": "gone@film.cn"})
    assert response.status_code == 302 and mail.outbox == []


@pytest.mark.parametrize(
    ("language", "expected", "foreign"),
    [
        (
            "zh-hans",
            ["密码太短，至少需要 10 个字符。", "这个密码太常见了。", "密码与用户名太相似"],
            ["This password", "too similar"],
        ),
        (
            "en",
            ["This password is too short. It must contain at least 10 characters.", "too common", "too similar"],
            ["密码"],
        ),
    ],
)
def test_every_validator_message_reads_in_the_page_language(client, language, expected, foreign):
    client.cookies["django_language"] = language
    response = client.post(
        "/accounts/register/",
        {"username": "password1", "email": "p@film.cn", "password1": "password1", "password2": "password1"},
    )
    text = response.content.decode()
    for message in expected:
        assert message in text
    errors = " ".join(re.findall(r'class="field-error"[^>]*>([^<]+)<', text))
    for word in foreign:
        assert word not in errors
