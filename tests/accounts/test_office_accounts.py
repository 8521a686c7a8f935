"""Office accounts through the pages: the superuser makes a manager, the manager makes and runs staff accounts."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail

from invest.models import AuditEntry

pytestmark = pytest.mark.django_db
User = get_user_model()
PASSWORD = "Jiangjin-Film-2026!"
LINK = re.compile(r"https://film\.jiangjin\.example(/accounts/reset/[^/\s]+/[^/\s]+/)")


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = "https://film.jiangjin.example"  # the link is built from SITE_URL, not the request


@pytest.fixture
def superuser(roles):
    return User.objects.create_superuser("root", "root@example.cn", PASSWORD)


def _login(client, user):
    client.force_login(user)
    return client


def _create(client, *, username, full_name, email, roles, send_link=True):
    data = {"username": username, "full_name": full_name, "email": email, "roles": roles}
    if send_link:
        data["send_link"] = "on"
    return client.post("/office/accounts/new/", data)


def _set_password_via_link(client, message_body: str, password: str):
    path = LINK.search(message_body).group(1)
    page = client.get(path, follow=True)  # Django moves the token into the session and redirects
    assert "设置新密码" in page.content.decode()
    set_url = page.redirect_chain[-1][0]
    done = client.post(set_url, {"new_password1": password, "new_password2": password}, follow=True)
    assert "密码已设置" in done.content.decode()
    return path


@pytest.fixture
def manager(client, superuser):
    _login(client, superuser)
    response = _create(client, username="wang", full_name="王经理", email="wang@jj.gov.cn", roles=["manager"])
    assert response.status_code == 302
    user = User.objects.get(username="wang")
    client.logout()
    return user


def test_superuser_creates_a_manager_who_gets_the_admin(client, superuser):
    _login(client, superuser)
    response = _create(client, username="wang", full_name="王经理", email="wang@jj.gov.cn", roles=["manager"])
    user = User.objects.get(username="wang")
    assert response["Location"] == f"/office/accounts/{user.pk}/"
    assert user.groups.filter(name="manager").exists()
    assert user.is_staff and not user.is_superuser and not user.has_usable_password()
    assert mail.outbox[-1].to == ["wang@jj.gov.cn"]
    assert AuditEntry.objects.filter(action="account.created", target_id=str(user.pk), actor=superuser).exists()


def test_manager_runs_a_clerk_account_from_creation_to_deactivation(client, manager):
    mail.outbox.clear()
    _login(client, manager)
    page = client.get("/office/accounts/new/").content.decode()
    for label in (
        "用户名",
        "姓名",
        "电子邮箱",
        "角色",
        "受理员",
        "初审员",
        "评审专家",
        "审定人",
        "财务",
        "管理员",
        "审计",
    ):
        assert label in page
    assert "申报单位" not in page  # applicant follows from a membership, never granted here

    _create(
        client, username="li", full_name="李受理", email="li@jj.gov.cn", roles=["clerk", "reviewer"], send_link=False
    )
    clerk = User.objects.get(username="li")
    assert set(clerk.groups.values_list("name", flat=True)) == {"clerk", "reviewer"}
    assert not clerk.is_staff
    assert mail.outbox == []

    # change roles: before → after in the audit
    client.post(
        f"/office/accounts/{clerk.pk}/", {"full_name": "李受理", "email": "li@jj.gov.cn", "roles": ["clerk", "auditor"]}
    )
    clerk.refresh_from_db()
    assert set(clerk.groups.values_list("name", flat=True)) == {"clerk", "auditor"}
    assert clerk.is_staff  # auditors read the admin (invest.roles.ADMIN_ROLES)
    change = AuditEntry.objects.get(action="account.roles_changed", target_id=str(clerk.pk))
    assert change.before["roles"] == ["clerk", "reviewer"] and change.after["roles"] == ["clerk", "auditor"]
    assert change.actor == manager
    client.post(f"/office/accounts/{clerk.pk}/", {"full_name": "李受理", "email": "li@jj.gov.cn", "roles": ["clerk"]})
    clerk.refresh_from_db()
    assert not clerk.is_staff

    # the password-set link: the clerk sets a password and signs in
    response = client.post(f"/office/accounts/{clerk.pk}/send-link/")
    assert response.status_code == 302
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["li@jj.gov.cn"]
    assert AuditEntry.objects.filter(action="account.password_link_sent", target_id=str(clerk.pk)).exists()
    client.logout()
    path = _set_password_via_link(client, mail.outbox[0].body, PASSWORD)
    assert client.post("/accounts/login/", {"username": "li", "password": PASSWORD}).status_code == 302
    client.logout()
    assert "已失效" in client.get(path, follow=True).content.decode()  # a used link is spent

    # deactivate: the clerk can no longer sign in; reactivate
    _login(client, manager)
    client.post(f"/office/accounts/{clerk.pk}/active/", {"active": "0"})
    clerk.refresh_from_db()
    assert not clerk.is_active
    assert AuditEntry.objects.filter(action="account.deactivated", target_id=str(clerk.pk)).exists()
    client.logout()
    assert client.post("/accounts/login/", {"username": "li", "password": PASSWORD}).status_code == 200
    _login(client, manager)
    client.post(f"/office/accounts/{clerk.pk}/active/", {"active": "1"})
    clerk.refresh_from_db()
    assert clerk.is_active
    assert AuditEntry.objects.filter(action="account.reactivated", target_id=str(clerk.pk)).exists()


def test_the_list_filters_by_role_state_and_text_and_pages(client, manager):
    _login(client, manager)
    _create(client, username="zhao", full_name="赵专家", email="zhao@jj.gov.cn", roles=["expert"], send_link=False)
    _create(client, username="qian", full_name="钱财务", email="qian@jj.gov.cn", roles=["finance"], send_link=False)
    client.post(f"/office/accounts/{User.objects.get(username='qian').pk}/active/", {"active": "0"})

    def names(query):
        return set(
            re.findall(
                r'href="/office/accounts/\d+/">([^<]+)</a>', client.get("/office/accounts/" + query).content.decode()
            )
        )

    assert {"wang", "zhao", "qian", "root"} <= names("")
    assert names("?role=expert") == {"zhao"}
    assert names("?active=0") == {"qian"}
    assert names("?q=赵") == {"zhao"}
    assert names("?q=QIAN@jj") == {"qian"}
    for i in range(30):
        User.objects.create_user(f"staff{i:02}", email=f"s{i}@jj.gov.cn").groups.add(
            *__import__("django.contrib.auth.models", fromlist=["Group"]).Group.objects.filter(name="clerk")
        )
    first = names("?role=clerk")
    second = names("?role=clerk&page=2")
    assert len(first) == 25 and len(second) == 5 and not first & second


def test_a_manager_cannot_grant_superuser_nor_touch_a_superuser(client, manager, superuser):
    _login(client, manager)
    _create(
        client, username="zhou", full_name="周", email="zhou@jj.gov.cn", roles=["clerk", "superuser"], send_link=False
    )
    assert not User.objects.filter(username="zhou").exists()  # an unknown role is refused
    _create(client, username="zhou", full_name="周", email="zhou@jj.gov.cn", roles=["clerk"], send_link=False)
    zhou = User.objects.get(username="zhou")
    client.post(
        f"/office/accounts/{zhou.pk}/",
        {"full_name": "周", "email": "zhou@jj.gov.cn", "roles": ["clerk"], "is_superuser": "on"},
    )
    zhou.refresh_from_db()
    assert not zhou.is_superuser

    page = client.get(f"/office/accounts/{superuser.pk}/").content.decode()
    assert "只有超级用户本人可以修改" in page and "保存修改" not in page
    assert (
        client.post(f"/office/accounts/{superuser.pk}/", {"full_name": "x", "email": "x@x.cn", "roles": []}).status_code
        == 403
    )
    assert client.post(f"/office/accounts/{superuser.pk}/active/", {"active": "0"}).status_code == 403
    assert client.post(f"/office/accounts/{superuser.pk}/send-link/").status_code == 403
    superuser.refresh_from_db()
    assert superuser.is_active and superuser.is_superuser and superuser.email == "root@example.cn"


def test_a_manager_cannot_lock_themselves_out(client, manager):
    _login(client, manager)
    page = client.post(
        f"/office/accounts/{manager.pk}/", {"full_name": "王经理", "email": "wang@jj.gov.cn", "roles": ["clerk"]}
    )
    assert "不能去掉您自己的管理员角色" in page.content.decode()
    client.post(f"/office/accounts/{manager.pk}/active/", {"active": "0"})
    manager.refresh_from_db()
    assert manager.is_active and manager.groups.filter(name="manager").exists()


@pytest.mark.parametrize("role", ["auditor", "clerk"])
def test_other_office_roles_cannot_reach_the_pages(client, manager, role):
    _login(client, manager)
    _create(client, username="other", full_name="其他", email="other@jj.gov.cn", roles=[role], send_link=False)
    other = User.objects.get(username="other")
    _login(client, other)
    for url in ("/office/accounts/", "/office/accounts/new/", f"/office/accounts/{manager.pk}/"):
        assert client.get(url).status_code == 403
    assert client.post(f"/office/accounts/{manager.pk}/active/", {"active": "0"}).status_code == 403
    assert "办公账户" not in client.get("/").content.decode()
    _login(client, manager)
    assert 'href="/office/accounts/"' in client.get("/").content.decode()


def test_seed_style_service_call_creates_an_account(superuser):
    from invest.accounts.services import create_office_account, set_active, set_roles

    user = create_office_account(superuser, username="sun", full_name="孙", email="sun@jj.gov.cn", roles=["approver"])
    set_roles(superuser, user, ["approver", "manager"])
    assert user.is_staff
    set_active(superuser, user, False)
    assert list(AuditEntry.objects.filter(target_id=str(user.pk)).order_by("id").values_list("action", flat=True)) == [
        "account.created",
        "account.roles_changed",
        "account.deactivated",
    ]


def test_the_pages_read_in_english_on_english_pages(client, manager):
    _login(client, manager)
    client.cookies["django_language"] = "en"
    page = client.get("/office/accounts/new/").content.decode()
    for text in ("New office account", "Full name", "Acceptance clerk", "Manager", "Create account"):
        assert text in page
    assert "新建办公账户" not in page and "受理员" not in page
    listing = client.get("/office/accounts/").content.decode()
    assert "Office accounts" in listing and "办公账户" not in listing
