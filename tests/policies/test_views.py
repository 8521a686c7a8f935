from decimal import Decimal

import pytest
from django.urls import reverse

from invest.models import AuditEntry
from policies.matching import match_policies
from policies.models import Invitation
from tests.factories.companies import CompanyFactory, MembershipFactory


def test_calculator_is_public_and_lists_every_published_item(client, catalogue):
    response = client.get(reverse("policies:calculator"))
    assert response.status_code == 200
    content = response.content.decode()
    for code in catalogue:
        assert code in content
    assert "在江津拍摄不少于15天" in content
    assert "打印本页" in content


def test_calculator_shows_per_item_result_amount_and_failed_conditions(client, catalogue):
    response = client.get(
        reverse("policies:calculator"),
        {
            "calculate": "1",
            "registration_district": "江津区",
            "tax_district": "江津区",
            "has_filing": "true",
            "shooting_days_in_jiangjin": "12",
            "local_spend": "600000",
            "first_producer": "true",
            "box_office": "100000000",
        },
    )
    assert response.status_code == 200
    results = {item.code: evaluation for item, evaluation, _apply in response.context["results"]}
    assert results["JJ-FILM-01"].eligible is False
    assert results["JJ-FILM-05"].amount == Decimal("2000000.00")
    content = response.content.decode()
    assert "在江津拍摄天数 12 天，少于 15 天" in content
    assert "2,000,000.00" in content
    assert "在江津拍摄天数（天）：12" in content  # the printed page says what the result was based on


def test_calculator_reports_bad_input_next_to_the_field(client, catalogue):
    response = client.get(reverse("policies:calculator"), {"calculate": "1", "local_spend": "lots"})
    assert response.context["results"] is None
    assert response.context["form"].errors["local_spend"]


def test_calculator_is_prefilled_from_the_company_record(client, catalogue):
    membership = MembershipFactory(company=CompanyFactory(paid_in_capital=Decimal("6000000.00"), in_park=True))
    client.force_login(membership.user)
    response = client.get(reverse("policies:calculator"))
    form = response.context["form"]
    assert form.initial["paid_in_capital"] == Decimal("6000000.00")
    assert form.initial["registration_district"] == "江津区"
    assert form.initial["in_hq_park"] == "true"
    assert membership.company.name in response.content.decode()


def test_calculator_for_a_banned_company_shows_the_ban(client, catalogue):
    membership = MembershipFactory(company=CompanyFactory(banned=True))
    client.force_login(membership.user)
    response = client.get(
        reverse("policies:calculator"),
        {"calculate": "1", "registration_district": "江津区", "loan_interest_paid": "1000"},
    )
    results = {item.code: evaluation for item, evaluation, _apply in response.context["results"]}
    assert not results["JJ-FILM-09"].eligible
    assert "失信禁入期" in response.content.decode()


def test_item_page_shows_conditions_and_materials(client, catalogue):
    response = client.get(reverse("policies:item", args=["JJ-FILM-05"]))
    assert response.status_code == 200
    assert "院线票房不少于3000万元" in response.content.decode()
    assert "票房证明" in response.content.decode()
    assert client.get(reverse("policies:item", args=["JJ-FILM-99"])).status_code == 404


@pytest.fixture
def invited_member(seeded_round):
    membership = MembershipFactory(company=CompanyFactory(paid_in_capital=Decimal("2000000")))
    match_policies(seeded_round)
    return membership


def test_company_sees_its_invitations(client, invited_member):
    client.force_login(invited_member.user)
    response = client.get(reverse("policies:invitations"))
    content = response.content.decode()
    assert "JJ-FILM-02" in content and "JJ-FILM-09" in content
    assert "50,000.00" in content


def test_invitations_need_a_login(client, invited_member):
    response = client.get(reverse("policies:invitations"))
    assert response.status_code == 302


def test_starting_from_an_invitation_goes_to_a_prefilled_application(client, invited_member):
    client.force_login(invited_member.user)
    invitation = Invitation.objects.get(company=invited_member.company, item__code="JJ-FILM-02")
    response = client.post(reverse("policies:start_invitation", args=[invitation.pk]))
    assert response.status_code == 302
    assert (
        f"invitation={invitation.pk}" in response["Location"]
        or f"company={invitation.company_id}" in response["Location"]
    )
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.STARTED
    assert AuditEntry.objects.filter(action="policies.invitation_started", target_id=str(invitation.pk)).exists()


def test_nobody_else_can_start_a_companys_invitation(client, invited_member):
    stranger = MembershipFactory()
    client.force_login(stranger.user)
    invitation = Invitation.objects.filter(company=invited_member.company).first()
    assert client.post(reverse("policies:start_invitation", args=[invitation.pk])).status_code == 404
    assert invited_member.company.name not in client.get(reverse("policies:invitations")).content.decode()
