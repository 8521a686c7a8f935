"""Companies over the API: managers list, search and edit; members read only their own; others see nothing."""

from __future__ import annotations

import pytest

from invest.models import AuditEntry
from tests.factories.companies import CompanyFactory, MembershipFactory, UserFactory

from .conftest import client_for

pytestmark = pytest.mark.django_db


def test_manager_lists_and_searches_by_name_or_code(manager_api, company):
    other = CompanyFactory(name="江津光影传媒有限公司")
    listed = manager_api.get("/api/v1/companies/").json()
    assert listed["count"] == 2

    by_name = manager_api.get("/api/v1/companies/", {"search": "光影"}).json()
    assert [c["credit_code"] for c in by_name["results"]] == [other.credit_code]

    typed = other.credit_code[-8:].lower()  # people type codes in lower case
    by_code = manager_api.get("/api/v1/companies/", {"search": typed}).json()
    assert [c["credit_code"] for c in by_code["results"]] == [other.credit_code]


def test_member_reads_only_their_own_company(applicant_api, company):
    CompanyFactory()  # someone else's
    listed = applicant_api.get("/api/v1/companies/").json()
    assert [c["credit_code"] for c in listed["results"]] == [company.credit_code]
    assert applicant_api.get(f"/api/v1/companies/{company.credit_code}/").status_code == 200


def test_someone_elses_company_is_404_like_a_missing_one(applicant_api):
    stranger = CompanyFactory()
    hidden = applicant_api.get(f"/api/v1/companies/{stranger.credit_code}/")
    missing = applicant_api.get("/api/v1/companies/91500116000000000X/")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()


def test_unconfirmed_member_sees_nothing(roles):
    membership = MembershipFactory(status="requested")
    client = client_for(membership.user)
    assert client.get("/api/v1/companies/").json()["count"] == 0
    assert client.get(f"/api/v1/companies/{membership.company.credit_code}/").status_code == 404


def test_code_in_url_is_normalised(applicant_api, company):
    spaced = " ".join([company.credit_code[:6], company.credit_code[6:]]).lower()
    assert applicant_api.get(f"/api/v1/companies/{spaced}/").json()["credit_code"] == company.credit_code


def test_bank_account_is_masked_for_members_and_shown_to_managers(applicant_api, manager_api, company):
    assert applicant_api.get(f"/api/v1/companies/{company.credit_code}/").json()["bank_account_number"] == (
        "*" * 15 + "4567"
    )
    assert manager_api.get(f"/api/v1/companies/{company.credit_code}/").json()["bank_account_number"] == (
        "6222020000001234567"
    )


def test_manager_edits_and_the_change_is_audited(manager, manager_api, company):
    response = manager_api.patch(
        f"/api/v1/companies/{company.credit_code}/", {"paid_in_capital": "12000000.00"}, format="json"
    )
    assert response.status_code == 200
    company.refresh_from_db()
    assert str(company.paid_in_capital) == "12000000.00"
    entry = AuditEntry.objects.get(action="company_profile_updated")
    assert entry.actor == manager
    assert entry.before == {"paid_in_capital": "2000000.00"} and entry.after == {"paid_in_capital": "12000000.00"}


def test_manager_replaces_a_whole_record(manager_api, company):
    body = manager_api.get(f"/api/v1/companies/{company.credit_code}/").json()
    body.update(name="重庆新名影业有限公司", bank_account_number="6222020000009999999")
    response = manager_api.put(f"/api/v1/companies/{company.credit_code}/", body, format="json")
    assert response.status_code == 200, response.json()
    company.refresh_from_db()
    assert company.name == "重庆新名影业有限公司"


def test_credit_code_cannot_be_changed(manager_api, company):
    original = company.credit_code
    manager_api.patch(f"/api/v1/companies/{original}/", {"credit_code": "91350100M000100Y43"}, format="json")
    company.refresh_from_db()
    assert company.credit_code == original


def test_member_edits_contacts_as_on_the_portal(applicant, applicant_api, company):
    response = applicant_api.patch(
        f"/api/v1/companies/{company.credit_code}/", {"contact_phone": "023-87654321"}, format="json"
    )
    assert response.status_code == 200
    company.refresh_from_db()
    assert company.contact_phone == "023-87654321"
    assert AuditEntry.objects.get(action="company_profile_updated").actor == applicant


def test_member_edits_over_the_api_every_field_the_portal_lets_them_edit(applicant_api, company):
    """The API's member-editable fields come from companies.services.MEMBER_EDITABLE, like the portal form's."""
    from django.db import models

    from companies.forms import CompanyProfileForm
    from companies.models import Company
    from companies.services import MEMBER_EDITABLE

    assert tuple(CompanyProfileForm._meta.fields) == MEMBER_EDITABLE
    changes = {name: f"新{name}" for name in MEMBER_EDITABLE}
    for name in MEMBER_EDITABLE:
        if isinstance(Company._meta.get_field(name), models.EmailField):
            changes[name] = f"{name}@baisha.example.cn"
    changes["bank_account_number"] = "6222020000007654321"
    response = applicant_api.patch(f"/api/v1/companies/{company.credit_code}/", changes, format="json")
    assert response.status_code == 200, response.json()
    company.refresh_from_db()
    assert {name: getattr(company, name) for name in MEMBER_EDITABLE} == changes


def test_member_may_not_change_registry_facts(applicant_api, company):
    response = applicant_api.patch(
        f"/api/v1/companies/{company.credit_code}/", {"paid_in_capital": "99000000"}, format="json"
    )
    assert response.status_code == 403
    assert "paid_in_capital" in response.json()["detail"]
    company.refresh_from_db()
    assert str(company.paid_in_capital) == "2000000.00"


def test_invalid_edit_is_400_with_per_field_messages(manager_api, company):
    response = manager_api.patch(
        f"/api/v1/companies/{company.credit_code}/",
        {"contact_email": "not-an-email", "paid_in_capital": "-5", "industry": "spaceflight"},
        format="json",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert set(body["fields"]) == {"contact_email", "paid_in_capital", "industry"}
    assert body["fields"]["contact_email"] == ["请输入合法的邮件地址。"]


def test_per_field_messages_in_english(manager_api, company):
    response = manager_api.patch(
        f"/api/v1/companies/{company.credit_code}/", {"contact_email": "x"}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.json()["fields"]["contact_email"] == ["Enter a valid email address."]


def test_staff_roles_read_all_but_cannot_edit(roles, company):
    reviewer = client_for(UserFactory(roles=["reviewer"]))
    assert reviewer.get("/api/v1/companies/").json()["count"] == 1
    assert reviewer.patch(f"/api/v1/companies/{company.credit_code}/", {}, format="json").status_code == 403
