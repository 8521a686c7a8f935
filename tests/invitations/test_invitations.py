"""免申即享 that reaches companies: each new invitation is announced to the company's members once, and an item
whose facts and materials the service already holds is confirmed (确认申报) into a submitted case in one step."""

from decimal import Decimal

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from applications.models import Application, Notification
from companies.documents import upload_document
from companies.models import Membership
from invest.models import AuditEntry
from policies.instant import registry_sourced
from policies.matching import match_policies
from policies.models import Invitation, Round, SupportItem
from policies.services import seed_catalogue
from tests.factories.companies import CompanyFactory, MembershipFactory

pytestmark = pytest.mark.django_db
INVITATIONS = "/policies/invitations/"


@pytest.fixture
def seeded_round(db):
    seed_catalogue()
    return Round.objects.get(year=timezone.localdate().year)


@pytest.fixture
def company(seeded_round):
    """A Jiangjin company with 2,000,000 yuan paid in: invited to JJ-FILM-02 (50,000) and JJ-FILM-09."""
    return CompanyFactory(name="江津光影传媒有限公司", paid_in_capital=Decimal("2000000"))


def _pdf(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4\n" + name.encode() + b"\n%%EOF\n", content_type="application/pdf")


def _store(company, member, *kinds):
    for kind in kinds:
        upload_document(company, member, kind=kind, uploaded_file=_pdf(f"{kind}.pdf"), valid_until=None)


def test_the_rule_comes_from_the_data_only_jj_film_02_is_registry_sourced(seeded_round):
    """JJ-FILM-09 is matched on the registry (its criterion is the district) but its amount needs the interest
    paid, a form fact: it is not a one-step item."""
    assert {i.code for i in SupportItem.objects.all() if registry_sourced(i)} == {"JJ-FILM-02"}


def test_each_new_invitation_tells_the_confirmed_members_once(
    company, seeded_round, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    first, second = MembershipFactory(company=company).user, MembershipFactory(company=company).user
    waiting = MembershipFactory(company=company, status=Membership.Status.REQUESTED).user
    bystander = MembershipFactory(company=CompanyFactory(outside_jiangjin=True)).user  # invited to nothing

    with django_capture_on_commit_callbacks(execute=True):
        summary = match_policies(seeded_round)
    assert summary["created"] == 2 and summary["notified"] == 4
    notices = Notification.objects.filter(event="invitation.new")
    assert sorted((n.recipient.username, n.subject) for n in notices) == sorted(
        (u.username, f"政策推送：{name}") for u in (first, second) for name in ("落户奖励", "贷款贴息")
    )
    settling = notices.get(recipient=first, subject="政策推送：落户奖励")
    assert "江津光影传媒有限公司" in settling.body and "JJ-FILM-02" in settling.body and "50,000.00" in settling.body
    assert settling.url == INVITATIONS and settling.application is None
    assert not notices.filter(recipient__in=[waiting, bystander]).exists()
    assert sorted(m.to[0] for m in mail.outbox) == sorted([first.email] * 2 + [second.email] * 2)

    # Re-runs invite nobody again and announce nothing again; a newcomer's invitations reach only its members.
    assert match_policies(seeded_round)["notified"] == 0
    newcomer = MembershipFactory(company=CompanyFactory(paid_in_capital=Decimal("2000000"))).user
    assert match_policies(seeded_round)["notified"] == 2
    assert Notification.objects.filter(event="invitation.new").count() == 6
    assert Notification.objects.filter(event="invitation.new", recipient=newcomer).count() == 2


def test_one_step_confirmation_submits_the_case_with_the_registry_facts_and_the_pledge(client, company, seeded_round):
    member = MembershipFactory(company=company).user
    _store(company, member, "business_licence", "capital_proof")
    match_policies(seeded_round)
    settling = Invitation.objects.get(company=company, item__code="JJ-FILM-02")
    interest = Invitation.objects.get(company=company, item__code="JJ-FILM-09")
    client.force_login(member)

    page = client.get(reverse("policies:invitations")).content.decode()
    confirm_url = reverse("policies:confirm_invitation", args=[settling.pk])
    assert confirm_url in page  # 确认申报 for JJ-FILM-02 …
    assert reverse("policies:confirm_invitation", args=[interest.pk]) not in page  # … and 发起申报 for JJ-FILM-09
    assert "确认申报" in page and "发起申报" in page
    my_cases = client.get(reverse("portal:my_cases")).content.decode()  # the applicant's home offers it too
    assert confirm_url in my_cases
    assert reverse("policies:confirm_invitation", args=[interest.pk]) not in my_cases

    shown = client.get(confirm_url).content.decode()
    assert "江津区" in shown and "2,000,000.00" in shown and "business_licence.pdf" in shown
    assert "确认申报" in shown and 'name="pledge"' in shown

    refused = client.post(confirm_url, {})
    assert refused.status_code == 422 and "请阅读并勾选诚信承诺" in refused.content.decode()
    assert not Application.objects.exists()

    response = client.post(confirm_url, {"pledge": "on"})
    case = Application.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("portal:case", args=[case.pk])
    assert case.state == "submitted" and case.company == company and case.round == seeded_round
    assert case.integrity_pledge_at is not None and case.submitted_at is not None
    assert case.snapshot["facts"]["paid_in_capital"] == "2000000.00"
    assert case.snapshot["facts"]["registration_district"] == "江津区"
    assert case.snapshot["result"]["eligible"] is True and case.computed_amount == Decimal("50000.00")
    assert case.due_kind == "acceptance" and case.due_date is not None
    revision = case.revisions.get()
    assert set(revision.materials) == {"business_licence", "capital_proof"}
    assert all(m.company_document is not None for m in case.current_materials())
    actions = set(AuditEntry.objects.filter(target_id=str(case.pk)).values_list("action", flat=True))
    assert {"case.create", "case.submit"} <= actions
    settling.refresh_from_db()
    assert settling.status == Invitation.Status.STARTED
    followed = client.get(response["Location"])
    assert case.case_number in followed.content.decode()

    # A second press that had read the invitation before the first committed (a double click, another tab)
    # waits for it on the row lock and is refused: still one case.
    stale = Invitation.objects.get(pk=settling.pk)
    stale.status = Invitation.Status.NEW  # as that request read it
    from applications.services import TransitionRefused
    from policies import instant

    with pytest.raises(TransitionRefused, match="已发起申报"):
        instant.confirm(stale, member, pledge=True)
    assert Application.objects.count() == 1

    # Confirmed once: the page now offers nothing, and a second post makes no second case.
    again = client.post(confirm_url, {"pledge": "on"})
    assert again.status_code == 200 and "已发起申报" in again.content.decode()
    assert Application.objects.count() == 1


def test_an_item_needing_form_facts_or_missing_materials_is_not_confirmed_in_one_step(client, company, seeded_round):
    member = MembershipFactory(company=company).user
    _store(company, member, "business_licence")  # no capital proof in the store
    match_policies(seeded_round)
    client.force_login(member)
    for code, says in (("JJ-FILM-09", "企业登记信息以外的申报数据"), ("JJ-FILM-02", "实缴资本证明")):
        invitation = Invitation.objects.get(company=company, item__code=code)
        url = reverse("policies:confirm_invitation", args=[invitation.pk])
        page = client.get(url).content.decode()
        assert says in page and "按常规流程申报" in page and 'name="pledge"' not in page
        assert reverse("policies:start_invitation", args=[invitation.pk]) in page
        assert client.post(url, {"pledge": "on"}).status_code == 200
        assert url not in client.get(reverse("policies:invitations")).content.decode()
    assert not Application.objects.exists()


def test_nobody_else_confirms_a_companys_invitation(client, company, seeded_round):
    member = MembershipFactory(company=company).user
    _store(company, member, "business_licence", "capital_proof")
    match_policies(seeded_round)
    invitation = Invitation.objects.get(company=company, item__code="JJ-FILM-02")
    client.force_login(MembershipFactory().user)
    url = reverse("policies:confirm_invitation", args=[invitation.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"pledge": "on"}).status_code == 404
    assert not Application.objects.exists()
