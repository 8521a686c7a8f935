"""Register, ask to join a company by its credit code, a manager confirms; a user sees only their companies."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from companies.models import Membership
from companies.selectors import companies_visible_to
from invest.models import AuditEntry
from tests.factories.companies import CompanyFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def company():
    return CompanyFactory(name="江津白沙影视有限公司", bank_account_number="6222020000001234567")


@pytest.fixture
def manager():
    return UserFactory(username="mgr", roles=["manager"])


def test_register_page_creates_the_account_and_logs_in(client):
    response = client.post(
        reverse("register"),
        {
            "username": "newco",
            "email": "newco@example.com",
            "password1": "Jiangjin-film-2026",
            "password2": "Jiangjin-film-2026",
        },
    )
    assert response.status_code == 302 and response["Location"] == reverse("companies:mine")
    user = get_user_model().objects.get(username="newco")
    assert user.email == "newco@example.com" and user.check_password("Jiangjin-film-2026")
    assert client.get(reverse("companies:mine")).status_code == 200


def test_register_applies_django_password_validators_next_to_the_field(client):
    response = client.post(
        reverse("register"),
        {"username": "weak", "email": "w@example.com", "password1": "12345678", "password2": "12345678"},
    )
    assert response.status_code == 200
    assert not get_user_model().objects.filter(username="weak").exists()
    html = response.content.decode()
    assert 'class="field-error" id="id_password2_error"' in html
    assert '<label for="id_username">' in html


def test_join_by_credit_code_typed_with_spaces_creates_a_pending_request(client, company):
    user = UserFactory()
    client.force_login(user)
    spaced = " ".join(company.credit_code[i : i + 4] for i in range(0, 18, 4)).lower()
    response = client.post(reverse("companies:join"), {"credit_code": spaced})
    assert response.status_code == 302
    membership = Membership.objects.get(user=user, company=company)
    assert membership.status == Membership.Status.REQUESTED
    assert AuditEntry.objects.filter(action="membership_requested", target_id=str(membership.pk)).exists()
    # Pending is not membership yet.
    assert client.get(reverse("companies:detail", args=[company.credit_code])).status_code == 404


def test_join_with_an_invalid_or_unknown_code_says_why_next_to_the_field(client, company):
    client.force_login(UserFactory())
    wrong = "1" if company.credit_code[17] == "0" else "0"  # always a wrong check character
    bad = client.post(reverse("companies:join"), {"credit_code": company.credit_code[:17] + wrong}).content.decode()
    assert "校验位错误" in bad and 'id="id_credit_code_error"' in bad
    from companies.uscc import make_code

    unknown = client.post(reverse("companies:join"), {"credit_code": make_code("91500116999999999")}).content.decode()
    assert "没有找到统一社会信用代码为" in unknown
    assert not Membership.objects.exists()


def test_manager_confirms_a_request_and_the_member_then_sees_the_company(client, company, manager):
    user = UserFactory()
    membership = Membership.objects.create(user=user, company=company)
    client.force_login(manager)
    page = client.get(reverse("companies:requests")).content.decode()
    assert company.name in page and user.username in page
    response = client.post(reverse("companies:decide", args=[membership.pk]), {"decision": "confirm"})
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.status == Membership.Status.CONFIRMED and membership.decided_by == manager
    assert AuditEntry.objects.filter(action="membership_confirmed", actor=manager).exists()
    client.force_login(user)
    assert client.get(reverse("companies:detail", args=[company.credit_code])).status_code == 200
    assert company.name in client.get(reverse("companies:mine")).content.decode()


def test_manager_refuses_a_request(client, company, manager):
    membership = Membership.objects.create(user=UserFactory(), company=company)
    client.force_login(manager)
    # Refusing needs a reason the requester will read.
    client.post(reverse("companies:decide", args=[membership.pk]), {"decision": "refuse"})
    membership.refresh_from_db()
    assert membership.status == Membership.Status.REQUESTED
    client.post(reverse("companies:decide", args=[membership.pk]), {"decision": "refuse", "reason": "非本企业员工"})
    membership.refresh_from_db()
    assert membership.status == Membership.Status.REFUSED and membership.reason == "非本企业员工"
    # A second decision on the same request is refused.
    client.post(reverse("companies:decide", args=[membership.pk]), {"decision": "confirm"})
    membership.refresh_from_db()
    assert membership.status == Membership.Status.REFUSED


def test_only_managers_see_and_decide_requests(client, company):
    membership = Membership.objects.create(user=UserFactory(), company=company)
    client.force_login(UserFactory(roles=["applicant"]))
    assert client.get(reverse("companies:requests")).status_code == 403
    assert client.post(reverse("companies:decide", args=[membership.pk]), {"decision": "confirm"}).status_code == 403
    membership.refresh_from_db()
    assert membership.status == Membership.Status.REQUESTED


def test_a_user_cannot_see_a_company_they_do_not_belong_to(client, company):
    mine = MembershipFactory().user
    other = CompanyFactory(name="别人的公司")
    client.force_login(mine)
    assert client.get(reverse("companies:detail", args=[other.credit_code])).status_code == 404
    assert client.get(reverse("companies:edit", args=[other.credit_code])).status_code == 404
    assert "别人的公司" not in client.get(reverse("companies:mine")).content.decode()
    assert list(companies_visible_to(mine)) == [mine.memberships.get().company]
    refused = Membership.objects.create(user=mine, company=other, status=Membership.Status.REFUSED)
    assert other not in companies_visible_to(mine)
    assert refused.pk


def test_anonymous_visitors_are_sent_to_login(client, company):
    response = client.get(reverse("companies:detail", args=[company.credit_code]))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_bank_account_is_masked_for_members_and_shown_to_finance(client, company):
    member = MembershipFactory(company=company).user
    client.force_login(member)
    html = client.get(reverse("companies:detail", args=[company.credit_code])).content.decode()
    assert "6222020000001234567" not in html and "***************4567" in html
    client.force_login(UserFactory(roles=["finance"]))
    assert "6222020000001234567" in client.get(reverse("companies:detail", args=[company.credit_code])).content.decode()


def test_member_edits_contact_details_and_blank_bank_number_keeps_the_old_one(client, company):
    member = MembershipFactory(company=company).user
    client.force_login(member)
    form = client.get(reverse("companies:edit", args=[company.credit_code])).content.decode()
    assert "6222020000001234567" not in form
    response = client.post(
        reverse("companies:edit", args=[company.credit_code]),
        {
            "registered_address": "重庆市江津区几江街道",
            "contact_person": "新联系人",
            "contact_phone": "023-87654321",
            "contact_email": "new@example.com",
            "bank_account_name": company.bank_account_name,
            "bank_name": company.bank_name,
            "bank_account_number": "",
        },
    )
    assert response.status_code == 302
    company.refresh_from_db()
    assert company.contact_person == "新联系人" and company.bank_account_number == "6222020000001234567"
    entry = AuditEntry.objects.get(action="company_profile_updated")
    assert entry.before == {
        "contact_person": "赵联系",
        "contact_phone": "023-12345678",
        "contact_email": "contact@example.com",
        "registered_address": "重庆市江津区白沙镇",
    }


def test_a_bad_bank_number_is_reported_next_to_the_field(client, company):
    client.force_login(MembershipFactory(company=company).user)
    html = client.post(
        reverse("companies:edit", args=[company.credit_code]),
        {"contact_email": "x@example.com", "bank_account_number": "12ab"},
    ).content.decode()
    assert "银行账号应为8至32位数字" in html and 'id="id_bank_account_number_error"' in html


def test_pending_members_cannot_edit(client, company):
    user = UserFactory()
    Membership.objects.create(user=user, company=company)
    client.force_login(user)
    assert client.get(reverse("companies:edit", args=[company.credit_code])).status_code == 404
