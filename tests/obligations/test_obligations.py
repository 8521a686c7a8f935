"""Obligations (履约与绩效): made at approval and frozen with the case, due dates from the first payment, reports
uploaded by the company and returned or accepted by an officer, registry breaches raised by a company import,
overdue reports, clawback proposals decided by the approver, and who may see and do what."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse

from applications.models import Notification
from applications.obligations.models import ClawbackProposal, Kind, Obligation, ObligationReport, ObligationRule
from applications.obligations.services import add_months
from invest.models import AuditEntry
from invest.reminders import send_due

from .conftest import pdf

pytestmark = pytest.mark.django_db

CREW_FACTS = {"has_filing": True, "shooting_days_in_jiangjin": "20", "local_spend": "800000"}  # 80,000
BIG_CREW_FACTS = {"has_filing": True, "shooting_days_in_jiangjin": "30", "local_spend": "6000000"}  # 900,000


def test_add_months_keeps_the_day_or_takes_the_months_last():
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2026, 11, 20), 36) == date(2029, 11, 20)
    assert add_months(date(2027, 12, 5), 12) == date(2028, 12, 5)


def test_the_settling_award_commits_the_company_to_stay_and_the_due_date_follows_the_first_payment(world):
    app, owner = world.approved("JJ-FILM-02")
    [stay] = app.obligations.all()
    assert (stay.kind, stay.basis, stay.months, stay.status) == (Kind.STAY, "payment", 36, Obligation.Status.OPEN)
    assert stay.due_on is None and stay.due_text == "首次拨付后36个月"
    assert stay.terms["item"] == "JJ-FILM-02" and stay.terms["label"] == stay.label
    assert not stay.needs_upload
    # Made in the approval (the system's conclude_notice), audited, and the company told what it owes.
    assert AuditEntry.objects.filter(action="obligation.create", target_id=str(stay.pk)).exists()
    told = Notification.objects.get(recipient=owner, event="obligation.created")
    assert stay.label in told.body and "首次拨付后36个月" in told.body

    # Frozen with the case: a manager's later edit of the rule changes no approved case.
    rule = ObligationRule.objects.get(pk=stay.rule_id)
    rule.label, rule.months = "改过的规则", 24
    rule.save()
    paid_on = world.clock.today
    world.pay(app, paid_on=paid_on)
    stay.refresh_from_db()
    assert stay.label != "改过的规则" and stay.months == 36
    assert stay.starts_on == paid_on and stay.due_on == add_months(paid_on, 36)
    assert AuditEntry.objects.filter(action="obligation.due", target_id=str(stay.pk)).exists()


def test_an_award_above_500000_adds_the_performance_self_assessment(world):
    small, _owner = world.approved("JJ-FILM-01", CREW_FACTS)
    big, _owner = world.approved("JJ-FILM-01", BIG_CREW_FACTS)
    assert big.approved_amount == Decimal("900000.00")
    assert [o.kind for o in small.obligations.all()] == [Kind.REPORT]
    assert sorted(o.kind for o in big.obligations.all()) == [Kind.PERFORMANCE, Kind.REPORT]
    performance = big.obligations.get(kind=Kind.PERFORMANCE)
    assert performance.terms["min_amount"] == "500000.00" and performance.upload_label == "绩效自评报告（签章）"


def test_the_company_uploads_a_report_the_officer_returns_it_with_a_reason_then_accepts(world, client):
    app, owner = world.approved("JJ-FILM-01", CREW_FACTS)
    world.pay(app)
    proof = app.obligations.get()
    reviewer = world.staff["reviewer"]

    client.force_login(owner)
    mine = client.get(reverse("obligations:mine"))
    assert mine.status_code == 200 and proof.label in mine.content.decode()
    page = client.get(reverse("obligations:detail", args=[proof.pk]))
    assert "提交履约材料" in page.content.decode() and proof.upload_label in page.content.decode()
    case_page = client.get(reverse("portal:case", args=[app.pk])).content.decode()
    assert reverse("obligations:detail", args=[proof.pk]) in case_page

    # Content decides: a text file named .pdf is refused with the upload checks' reason.
    fake = client.post(
        reverse("obligations:upload", args=[proof.pk]),
        {"file": _named(b"hello", "完成证明.pdf")},
    )
    assert fake.status_code == 400 and "完成证明.pdf" in fake.content.decode()
    assert not proof.reports.exists()

    done = client.post(
        reverse("obligations:upload", args=[proof.pk]), {"file": pdf("公映许可证.pdf", "v1"), "note": "已上映"}
    )
    assert done.status_code == 302
    proof.refresh_from_db()
    assert proof.status == Obligation.Status.SUBMITTED
    first = proof.reports.get()
    assert first.original_name == "公映许可证.pdf" and len(first.sha256) == 64
    assert Notification.objects.filter(recipient=reviewer, event="obligation.report").exists()

    client.force_login(reviewer)
    review_url = reverse("obligations:review", args=[first.pk])
    assert "提交审核结果" in client.get(reverse("obligations:detail", args=[proof.pk])).content.decode()
    no_reason = client.post(review_url, {"decision": "return", "reason": ""})
    assert no_reason.status_code == 400 and "退回时必须写明理由" in no_reason.content.decode()
    assert (
        client.post(review_url, {"decision": "return", "reason": "许可证不清晰，请上传原件扫描件"}).status_code == 302
    )
    proof.refresh_from_db()
    first.refresh_from_db()
    assert proof.status == Obligation.Status.RETURNED and first.status == ObligationReport.Status.RETURNED
    returned = Notification.objects.get(recipient=owner, event="obligation.return")
    assert "许可证不清晰" in returned.body
    entry = AuditEntry.objects.get(action="obligation.return", target_id=str(proof.pk))
    assert entry.actor == reviewer and entry.reason == "许可证不清晰，请上传原件扫描件"
    # A decided report is not decided again.
    assert client.post(review_url, {"decision": "accept"}).status_code == 409

    client.force_login(owner)
    again = client.get(reverse("obligations:detail", args=[proof.pk])).content.decode()
    assert "重新提交材料" in again and "许可证不清晰" in again
    client.post(reverse("obligations:upload", args=[proof.pk]), {"file": pdf("公映许可证（原件）.pdf", "v2")})
    second = proof.reports.order_by("-pk").first()
    assert second.pk != first.pk

    client.force_login(reviewer)
    assert client.post(reverse("obligations:review", args=[second.pk]), {"decision": "accept"}).status_code == 302
    proof.refresh_from_db()
    assert proof.status == Obligation.Status.ACCEPTED
    assert Notification.objects.filter(recipient=owner, event="obligation.accept").exists()
    # Accepted: nothing more to upload.
    client.force_login(owner)
    late = client.post(reverse("obligations:upload", args=[proof.pk]), {"file": pdf("多余.pdf", "v3")})
    assert late.status_code == 400 and proof.reports.count() == 2


def _named(content: bytes, name: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="application/pdf")


def test_another_company_cannot_see_or_upload_and_only_officers_review(world, client):
    app, owner = world.approved("JJ-FILM-01", CREW_FACTS)
    world.pay(app)
    proof = app.obligations.get()
    stranger = world.member(username="stranger")
    client.force_login(stranger)
    assert client.get(reverse("obligations:detail", args=[proof.pk])).status_code == 404
    assert client.post(reverse("obligations:upload", args=[proof.pk]), {"file": pdf()}).status_code == 404
    assert proof.label not in client.get(reverse("obligations:mine")).content.decode()
    assert not proof.reports.exists()

    client.force_login(owner)
    client.post(reverse("obligations:upload", args=[proof.pk]), {"file": pdf()})
    report = proof.reports.get()
    client.force_login(stranger)
    assert client.get(reverse("obligations:report_file", args=[report.pk])).status_code == 404
    # The company cannot accept its own report; an expert sees no obligations; the approver reads but does not review.
    client.force_login(owner)
    assert client.post(reverse("obligations:review", args=[report.pk]), {"decision": "accept"}).status_code == 403
    client.force_login(world.experts[0])
    assert client.get(reverse("obligations:office")).status_code == 403
    assert client.get(reverse("obligations:detail", args=[proof.pk])).status_code == 404
    client.force_login(world.staff["approver"])
    assert client.get(reverse("obligations:detail", args=[proof.pk])).status_code == 200
    assert client.post(reverse("obligations:review", args=[report.pk]), {"decision": "accept"}).status_code == 403
    report.refresh_from_db()
    assert report.status == ObligationReport.Status.SUBMITTED
    # A manager reviews (OBLIGATION_REVIEW_ROLES); the office list shows what waits.
    client.force_login(world.staff["manager"])
    assert proof.label in client.get(reverse("obligations:office")).content.decode()
    assert client.post(reverse("obligations:review", args=[report.pk]), {"decision": "accept"}).status_code == 302


def _registry_csv(tmp_path, company, *, district: str, tax: str) -> str:
    path = tmp_path / "名录.csv"
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["统一社会信用代码", "企业名称", "注册区县", "税务登记区县"])
        writer.writerow([company.credit_code, company.name, district, tax])
    return str(path)


def _import(path: str) -> dict:
    out = io.StringIO()
    call_command("import_companies", path, stdout=out, stderr=io.StringIO())
    return json.loads(out.getvalue().strip().splitlines()[-1])


def test_an_import_that_moves_the_company_out_of_jiangjin_raises_a_breach_and_a_clawback_proposal(world, tmp_path):
    app, owner = world.approved("JJ-FILM-02")
    world.pay(app)
    stay = app.obligations.get()
    company = app.company

    # A re-import with the districts as they are changes nothing.
    assert _import(_registry_csv(tmp_path, company, district="江津区", tax="江津区"))["unchanged"] == 1
    stay.refresh_from_db()
    assert stay.status == Obligation.Status.OPEN and not ClawbackProposal.objects.exists()

    result = _import(_registry_csv(tmp_path, company, district="江津区", tax="渝北区"))
    assert result["updated"] == 1
    stay.refresh_from_db()
    assert stay.status == Obligation.Status.BREACHED and "渝北区" in stay.breach_reason
    assert AuditEntry.objects.filter(action="obligation.breach", target_id=str(stay.pk)).exists()
    assert Notification.objects.filter(recipient=world.staff["reviewer"], event="obligation.breach").exists()
    assert Notification.objects.filter(recipient=world.staff["manager"], event="obligation.breach").exists()
    proposal = ClawbackProposal.objects.get()
    assert (proposal.application, proposal.cause, proposal.status) == (app, "breach", "open")
    assert Notification.objects.filter(recipient=world.staff["approver"], event="clawback.proposed").exists()
    # Nothing is reclaimed by itself.
    app.refresh_from_db()
    assert app.state == "disbursed" and app.reclaimed_amount == 0

    # A second import (and the daily check) raise nothing twice.
    _import(_registry_csv(tmp_path, company, district="渝北区", tax="渝北区"))
    call_command("check_obligations", stdout=io.StringIO())
    assert ClawbackProposal.objects.count() == 1
    assert AuditEntry.objects.filter(action="obligation.breach").count() == 1


def test_the_approver_dismisses_one_proposal_with_a_reason_and_forwards_another_to_the_clawback(
    world, tmp_path, client
):
    first, _o1 = world.approved("JJ-FILM-02")
    second, _o2 = world.approved("JJ-FILM-02")
    for app in (first, second):
        world.pay(app)
        _import(_registry_csv(tmp_path, app.company, district="渝中区", tax="渝中区"))
    dismissed, forwarded = (ClawbackProposal.objects.get(application=a) for a in (first, second))
    approver, manager = world.staff["approver"], world.staff["manager"]

    client.force_login(approver)
    listing = client.get(reverse("obligations:proposals")).content.decode()
    assert first.case_number in listing and second.case_number in listing
    page = client.get(reverse("obligations:proposal", args=[dismissed.pk])).content.decode()
    assert "转追回程序" in page and "不予追回" in page
    assert client.post(reverse("obligations:dismiss", args=[dismissed.pk]), {"reason": ""}).status_code == 400
    assert (
        client.post(
            reverse("obligations:dismiss", args=[dismissed.pk]), {"reason": "迁出系集团统一安排，已书面说明"}
        ).status_code
        == 302
    )
    dismissed.refresh_from_db()
    assert dismissed.status == "dismissed" and dismissed.decided_by == approver
    assert AuditEntry.objects.get(action="clawback.dismiss").reason == "迁出系集团统一安排，已书面说明"

    # Only the approver decides.
    client.force_login(manager)
    assert client.post(reverse("obligations:forward", args=[forwarded.pk]), {}).status_code == 403
    client.force_login(approver)
    assert client.post(reverse("obligations:forward", args=[forwarded.pk]), {"note": "同意追回"}).status_code == 302
    forwarded.refresh_from_db()
    assert forwarded.status == "forwarded"
    assert Notification.objects.filter(recipient=manager, event="clawback.forwarded").exists()
    # Decided once.
    assert client.post(reverse("obligations:dismiss", args=[forwarded.pk]), {"reason": "x"}).status_code == 409

    # The manager finds the case's own clawback action with the reason filled in, and takes it there.
    client.force_login(manager)
    page = client.get(reverse("obligations:proposal", args=[forwarded.pk])).content.decode()
    assert reverse("portal:staff_act", args=[second.pk, "claw_back"]) in page
    assert forwarded.reason in page and "同意追回" in page
    done = client.post(
        reverse("portal:staff_act", args=[second.pk, "claw_back"]),
        {"comment": forwarded.reason, "amount": "50000", "confirmed": "1", "seen_state": "disbursed"},
    )
    assert done.status_code == 302
    second.refresh_from_db()
    forwarded.refresh_from_db()
    assert second.state == "clawed_back" and forwarded.status == "clawed_back"
    settled = AuditEntry.objects.get(target_id=str(forwarded.pk), action="clawback.done")
    assert settled.before == {"status": "forwarded"} and settled.after == {"status": "clawed_back"}
    assert AuditEntry.objects.filter(action="clawback.forward", target_id=str(forwarded.pk)).count() == 1
    assert second.obligations.get().status == Obligation.Status.BREACHED  # the breach stays on record


def test_a_report_not_in_by_its_due_date_is_overdue_with_a_proposal_and_reminders_go_once(world, clock):
    app, owner = world.approved("JJ-FILM-01", CREW_FACTS)
    world.pay(app)
    proof = app.obligations.get()
    reviewer = world.staff["reviewer"]
    from applications.workdays import add_working_days

    # Ten working days before the due date: the company and the officers are reminded, once.
    day = clock.today
    while add_working_days(day, 10) < proof.due_on:
        day = add_working_days(day, 1)
    clock.set(day)
    assert send_due(day) >= 1
    assert send_due(day) == 0
    assert Notification.objects.filter(recipient=owner, event="reminder.obligation_due").count() == 1
    assert Notification.objects.filter(recipient=reviewer, event="reminder.obligation_due").count() == 1

    # The day after: nothing overdue yet.
    call_command("check_obligations", "--date", proof.due_on.isoformat(), stdout=io.StringIO())
    proof.refresh_from_db()
    assert proof.status == Obligation.Status.OPEN

    after = date.fromordinal(proof.due_on.toordinal() + 1)
    clock.set(after)
    out = io.StringIO()
    call_command("check_obligations", stdout=out)
    assert json.loads(out.getvalue())["overdue"] == 1
    proof.refresh_from_db()
    assert proof.status == Obligation.Status.OVERDUE
    proposal = ClawbackProposal.objects.get(obligation=proof)
    assert proposal.cause == "overdue" and proof.due_on.isoformat() in proposal.reason
    call_command("check_obligations", stdout=io.StringIO())
    assert ClawbackProposal.objects.count() == 1
    assert send_due(after) >= 1 and send_due(after) == 0
    assert Notification.objects.filter(recipient=owner, event="reminder.obligation_overdue").count() == 1
    # A late report is still taken (the approver decides what the lateness means).
    from applications.obligations.services import submit_report

    submit_report(proof, owner, uploaded_file=pdf())
    proof.refresh_from_db()
    assert proof.status == Obligation.Status.SUBMITTED


def test_a_stay_commitment_kept_for_its_whole_period_is_completed(world, clock):
    app, _owner = world.approved("JJ-FILM-02")
    world.pay(app)
    stay = app.obligations.get()
    clock.set(date.fromordinal(stay.due_on.toordinal() + 1))
    out = io.StringIO()
    call_command("check_obligations", stdout=out)
    assert json.loads(out.getvalue()) == {"breached": 0, "overdue": 0, "completed": 1}
    stay.refresh_from_db()
    assert stay.status == Obligation.Status.COMPLETED


def test_managers_edit_the_rules_in_the_admin_and_the_office_case_page_shows_obligations(world, client):
    from tests.factories.companies import UserFactory

    app, _owner = world.approved("JJ-FILM-02")
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    rules = client.get(reverse("admin:obligations_obligationrule_changelist")).content.decode()
    assert "拨付后3年内注册和税务登记保持在江津区" in rules and "绩效自评报告" in rules
    assert client.get(reverse("admin:obligations_obligationrule_add")).status_code == 200
    client.force_login(world.staff["reviewer"])
    page = client.get(reverse("portal:staff_case", args=[app.pk])).content.decode()
    assert reverse("obligations:detail", args=[app.obligations.get().pk]) in page


def test_one_company_edited_out_of_jiangjin_is_a_breach_at_once(world):
    """A single record changed (the admin's change form saves the model) is checked at once, not only at import."""
    app, _owner = world.approved("JJ-FILM-02")
    company = app.company
    company.contact_person = "新联系人"
    company.save()
    assert not ClawbackProposal.objects.exists()
    company.registration_district = "九龙坡区"
    company.save()
    stay = app.obligations.get()
    assert stay.status == Obligation.Status.BREACHED and "九龙坡区" in stay.breach_reason
    assert ClawbackProposal.objects.get().obligation == stay
