"""Company onboarding through the pages: a new user registers, registers a new company with its business
licence (or claims one already in the registry), the office confirms, and the user can apply at once.

Regression for issue 15 part 1: registering gave no applicant role, so /my/cases/ and /my/apply/<code>/
answered 403, and a company not yet in the registry had no way in but a phone call to the office.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from applications.models import Notification
from companies import services
from companies.models import Company, CompanyRegistration, Membership
from invest.models import AuditEntry
from invest.roles import has_role
from tests.factories.companies import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("immediate_tasks")]

CODE = "91500116MA5U7AXH23"  # valid check digit (companies.uscc)
PASSWORD = "Jiangjin-film-2026"


@pytest.fixture
def manager(db):
    from invest.roles import ensure_groups

    ensure_groups()
    return UserFactory(username="office-manager", roles=["manager"])


def licence_pdf(name="营业执照.pdf"):
    from io import BytesIO

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    buffer = BytesIO()
    writer.write(buffer)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="application/pdf")


def sign_up(client, username="newfilm"):
    response = client.post(
        reverse("register"),
        {"username": username, "email": f"{username}@example.com", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 302 and response["Location"] == reverse("companies:mine")
    return get_user_model().objects.get(username=username)


def company_data(**overrides):
    data = {
        "credit_code": CODE.lower()[:9] + " " + CODE.lower()[9:],
        "name": "重庆新片场影业有限公司",
        "legal_representative": "陈导演",
        "registration_district": "江津区",
        "tax_district": "江津区",
        "contact_person": "刘联系",
        "contact_phone": "023-47000000",
        "contact_email": "contact@newfilm.example.com",
    }
    data.update(overrides)
    return data


def send_registration(client, **overrides):
    return client.post(reverse("companies:register_company"), {**company_data(**overrides), "licence": licence_pdf()})


def decide(client, registration, decision, reason=""):
    return client.post(
        reverse("companies:registration_decide", args=[registration.pk]),
        {"decision-decision": decision, "decision-reason": reason},
    )


def test_register_company_confirm_and_apply_at_once(client, manager):
    call_command("seed_policies", verbosity=0)
    user = sign_up(client)
    hub = client.get(reverse("companies:mine")).content.decode()
    assert "登记新企业" in hub and "认领已登记的企业" in hub

    response = send_registration(client)
    registration = CompanyRegistration.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "companies:registration", args=[registration.pk]
    )
    assert registration.credit_code == CODE and registration.status == "requested"
    assert registration.licence_kind == "pdf" and registration.licence_name == "营业执照.pdf"
    assert not Company.objects.exists()
    # Pending: the applicant pages explain, they do not refuse.
    for url in (reverse("portal:my_cases"), reverse("portal:apply", args=["JJ-FILM-01"])):
        response = client.get(url, follow=True)
        assert response.status_code == 200
        page = response.content.decode()
        assert "管理员将核对您上传的营业执照" in page and "重庆新片场影业有限公司" in page

    # The office sees it beside the membership requests, previews the licence, confirms.
    office = client.__class__()
    office.force_login(manager)
    page = office.get(reverse("companies:requests")).content.decode()
    assert "待核实的企业登记" in page and "重庆新片场影业有限公司" in page
    detail = office.get(reverse("companies:registration", args=[registration.pk])).content.decode()
    assert "确认登记" in detail and "拒绝登记" in detail and "营业执照预览" in detail
    licence = office.get(reverse("companies:registration_licence", args=[registration.pk]) + "?inline=1")
    assert licence.status_code == 200 and licence["Content-Type"] == "application/pdf"
    assert licence["Content-Security-Policy"].startswith("sandbox")
    # The page shows the first page as an image, rendered on the server.
    preview_url = reverse("companies:registration_licence", args=[registration.pk]) + "?preview=1"
    assert preview_url in detail
    preview = office.get(preview_url)
    assert preview.status_code == 200 and preview.content.startswith(b"\x89PNG")
    assert decide(office, registration, "confirm").status_code == 302

    company = Company.objects.get(credit_code=CODE)
    assert company.name == "重庆新片场影业有限公司" and company.registration_district == "江津区"
    membership = Membership.objects.get(user=user, company=company)
    assert membership.status == "confirmed" and membership.decided_by == manager
    assert has_role(get_user_model().objects.get(pk=user.pk), "applicant")
    assert AuditEntry.objects.filter(action="company_registration_confirmed", actor=manager).exists()
    assert AuditEntry.objects.filter(action="company_created").exists()
    assert Notification.objects.filter(recipient=user, event="company.registration_confirmed").exists()

    # Confirmed means able to apply at once.
    assert client.get(reverse("portal:apply", args=["JJ-FILM-01"])).status_code == 200
    assert client.get(reverse("portal:my_cases")).status_code == 200


def test_refused_registration_shows_the_reason_and_is_sent_again(client, manager):
    user = sign_up(client)
    send_registration(client, name="重庆新片厂影业有限公司")  # a typo in the name
    registration = CompanyRegistration.objects.get()
    office = client.__class__()
    office.force_login(manager)

    # A refusal needs a reason, shown next to the field.
    response = decide(office, registration, "refuse")
    assert response.status_code == 400
    assert 'id="id_decision-reason_error"' in response.content.decode()
    registration.refresh_from_db()
    assert registration.status == "requested"

    decide(office, registration, "refuse", "企业名称与营业执照不一致：应为“新片场”。")
    registration.refresh_from_db()
    assert registration.status == "refused"
    assert Notification.objects.filter(recipient=user, event="company.registration_refused").exists()

    for url in (reverse("companies:mine"), reverse("portal:my_cases")):
        page = client.get(url, follow=True).content.decode()
        assert "企业名称与营业执照不一致" in page
    page = client.get(reverse("companies:registration", args=[registration.pk])).content.decode()
    assert "修改后重新提交" in page and 'value="重庆新片厂影业有限公司"' in page

    # Corrected and sent again: same row, next revision, licence kept when none is chosen.
    response = client.post(
        reverse("companies:registration", args=[registration.pk]), company_data(name="重庆新片场影业有限公司")
    )
    assert response.status_code == 302
    registration.refresh_from_db()
    assert registration.status == "requested" and registration.revision == 2
    assert registration.name == "重庆新片场影业有限公司" and registration.licence_name == "营业执照.pdf"
    resent = AuditEntry.objects.get(action="company_registration_resubmitted")
    assert (
        resent.before["reason"].startswith("企业名称与营业执照不一致")
        and resent.before["name"] == "重庆新片厂影业有限公司"
    )
    assert CompanyRegistration.objects.count() == 1
    assert Notification.objects.filter(recipient=manager, event="company.registration_requested").count() == 2

    decide(office, registration, "confirm")
    assert Membership.objects.get(user=user).status == "confirmed"


def test_a_new_user_without_a_request_is_led_to_claim_or_register(client):
    sign_up(client)
    response = client.get(reverse("portal:apply", args=["JJ-FILM-01"]))
    assert response.status_code == 302 and response["Location"].startswith(reverse("companies:mine"))
    page = client.get(response["Location"]).content.decode()
    assert "为企业办理申报，需要先成为一家已登记企业的已确认成员" in page
    assert reverse("companies:register_company") in page and reverse("companies:join") in page


def test_staff_without_the_applicant_role_still_get_403(client, manager):
    client.force_login(manager)
    assert client.get(reverse("portal:my_cases")).status_code == 403


def test_registration_refuses_a_code_already_registered_or_pending(client, manager):
    sign_up(client)
    Company.objects.create(credit_code=CODE, name="已登记的公司")
    response = send_registration(client)
    assert response.status_code == 200
    assert "请改为“认领已登记的企业”" in response.content.decode()
    assert not CompanyRegistration.objects.exists()


def test_a_second_pending_registration_for_the_same_code_is_refused(client):
    sign_up(client)
    send_registration(client)
    other = client.__class__()
    sign_up(other, "someoneelse")
    response = send_registration(other)
    assert response.status_code == 200 and "正在核实中" in response.content.decode()
    assert CompanyRegistration.objects.count() == 1


def test_licence_is_checked_like_every_material(client):
    sign_up(client)
    fake = SimpleUploadedFile("营业执照.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    response = client.post(reverse("companies:register_company"), {**company_data(), "licence": fake})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="id_licence_error"' in page and "营业执照.pdf" in page
    assert not CompanyRegistration.objects.exists()


def test_licence_only_to_the_requester_and_the_office(client, manager):
    sign_up(client)
    send_registration(client)
    registration = CompanyRegistration.objects.get()
    url = reverse("companies:registration_licence", args=[registration.pk])
    assert client.get(url).status_code == 200
    stranger = client.__class__()
    sign_up(stranger, "stranger")
    assert stranger.get(url).status_code == 404
    assert stranger.get(reverse("companies:registration", args=[registration.pk])).status_code == 404
    assert (
        stranger.post(
            reverse("companies:registration_decide", args=[registration.pk]), {"decision-decision": "confirm"}
        ).status_code
        == 403
    )
    registration.refresh_from_db()
    assert registration.status == "requested"


def _confirmed_company(client, manager, username="first"):
    user = sign_up(client, username)
    send_registration(client)
    office = client.__class__()
    office.force_login(manager)
    decide(office, CompanyRegistration.objects.get(requested_by=user), "confirm")
    return user, Company.objects.get(credit_code=CODE)


def test_first_member_confirms_a_colleague_and_a_non_member_cannot(client, manager):
    first, company = _confirmed_company(client, manager)
    colleague_client = client.__class__()
    colleague = sign_up(colleague_client, "colleague")
    colleague_client.post(reverse("companies:join"), {"credit_code": CODE})
    request = Membership.objects.get(user=colleague)
    assert request.status == "requested"
    # Pending colleague: helpful page, not 403.
    page = colleague_client.get(reverse("portal:my_cases"), follow=True).content.decode()
    assert "由管理员或该企业第一位已确认的成员确认" in page

    # A signed-in stranger cannot decide it.
    stranger = client.__class__()
    sign_up(stranger, "stranger")
    assert stranger.post(reverse("companies:decide", args=[request.pk]), {"decision": "confirm"}).status_code == 403
    assert services.can_decide_membership(get_user_model().objects.get(username="stranger"), request)[0] is False
    # Nor the colleague themselves.
    allowed, reason = services.can_decide_membership(colleague, request)
    assert not allowed and "自己" in reason

    # The first member is told, with a link to the company page.
    told = Notification.objects.get(recipient=first, event="membership.requested")
    assert told.url == reverse("companies:detail", args=[company.credit_code]) and "colleague" in told.subject
    assert Notification.objects.filter(recipient=manager, event="membership.requested").exists()
    # The first member sees the request on the company page and confirms it.
    detail_url = reverse("companies:detail", args=[company.credit_code])
    page = client.get(detail_url).content.decode()
    assert "待确认的成员申请" in page and "colleague" in page
    response = client.post(reverse("companies:decide", args=[request.pk]), {"decision": "confirm", "next": detail_url})
    assert response.status_code == 302 and response["Location"] == detail_url
    request.refresh_from_db()
    assert request.status == "confirmed" and request.decided_by == first
    assert colleague_client.get(reverse("portal:my_cases")).status_code == 200
    assert Notification.objects.filter(recipient=colleague, event="membership.confirmed").exists()
    entry = AuditEntry.objects.filter(action="membership_confirmed", actor=first).get()
    assert entry.actor_role == "applicant"

    # The colleague is not the first member: they cannot decide the next request.
    third_client = client.__class__()
    third = sign_up(third_client, "third")
    third_client.post(reverse("companies:join"), {"credit_code": CODE})
    third_request = Membership.objects.get(user=third)
    assert (
        colleague_client.post(reverse("companies:decide", args=[third_request.pk]), {"decision": "confirm"}).status_code
        == 403
    )
    # The first member refuses it, with a reason.
    client.post(reverse("companies:decide", args=[third_request.pk]), {"decision": "refuse", "reason": "不认识此人"})
    third_request.refresh_from_db()
    assert third_request.status == "refused" and third_request.reason == "不认识此人"
    assert "不认识此人" in third_client.get(reverse("companies:mine")).content.decode()


def test_ending_the_last_membership_takes_the_applicant_role_away(client, manager):
    first, company = _confirmed_company(client, manager)
    colleague_client = client.__class__()
    colleague = sign_up(colleague_client, "colleague")
    colleague_client.post(reverse("companies:join"), {"credit_code": CODE})
    membership = Membership.objects.get(user=colleague)
    client.post(reverse("companies:decide", args=[membership.pk]), {"decision": "confirm"})
    assert has_role(get_user_model().objects.get(pk=colleague.pk), "applicant")

    # The colleague cannot end the first member's membership.
    first_membership = Membership.objects.get(user=first)
    assert colleague_client.post(reverse("companies:end_membership", args=[first_membership.pk])).status_code == 403

    # The first member ends the colleague's: group gone in the same step, applicant pages explain again.
    client.post(reverse("companies:end_membership", args=[membership.pk]))
    membership.refresh_from_db()
    assert membership.status == "ended" and membership.ended_by == first
    colleague = get_user_model().objects.get(pk=colleague.pk)
    assert not has_role(colleague, "applicant")
    assert colleague_client.get(reverse("portal:my_cases")).status_code == 302
    assert AuditEntry.objects.filter(action="membership_ended", actor=first).exists()

    # The office ends the first member's: the role goes too.
    office = client.__class__()
    office.force_login(manager)
    office.post(reverse("companies:end_membership", args=[first_membership.pk]))
    assert not has_role(get_user_model().objects.get(pk=first.pk), "applicant")

    # Asking again after it ended is possible.
    colleague_client.post(reverse("companies:join"), {"credit_code": CODE})
    membership.refresh_from_db()
    assert membership.status == "requested"


def test_two_decisions_on_one_registration_make_one_company(client, manager):
    sign_up(client)
    send_registration(client)
    registration = CompanyRegistration.objects.get()
    services.decide_registration(registration, manager, confirm=True)
    with pytest.raises(Exception) as caught:
        services.decide_registration(registration, manager, confirm=False, reason="迟到的拒绝")
    assert "已经处理过" in str(caught.value)
    assert Company.objects.count() == 1
    registration.refresh_from_db()
    assert registration.status == "confirmed"
