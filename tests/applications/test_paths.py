"""A case walked through every path of the workflow table, through the same services the pages and API call."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from applications import services, workflow
from applications.models import Application, CorrectionRequest, Material, Notification, Objection
from applications.selectors import revision_changes
from applications.services import TransitionRefused, perform
from invest.audit import trail
from tests.factories.applications import ApplicationFactory, CaseItemFactory, CaseRoundFactory, applicant_for
from tests.factories.companies import CompanyFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def draft(staff):
    company = CompanyFactory()
    applicant = MembershipFactory(company=company).user
    item = CaseItemFactory()
    rnd = CaseRoundFactory(policy=item.policy)
    app = services.create_draft(
        applicant,
        company=company,
        item=item,
        round=rnd,
        project_title="电影《江津往事》",
        facts={"local_spend": "1200000", "shooting_days_in_jiangjin": 20},
    )
    return app, applicant


def complete_draft(app, applicant, pdf):
    services.add_material(app, applicant, key="licence", uploaded_file=pdf("营业执照.pdf", b"licence"))
    services.add_material(app, applicant, key="invoices", uploaded_file=pdf("发票.pdf", b"invoices v1"))
    services.update_draft(app, applicant, integrity_pledge=True)


def review_to_decision(app, staff, *, reviewed=None, comment=""):
    perform(app, "accept", staff["clerk"])
    perform(app, "start_review", staff["reviewer"])
    expert_a, expert_b = UserFactory(roles=["expert"]), UserFactory(roles=["expert"])
    services.assign_experts([app], [expert_a, expert_b], staff["reviewer"])
    for expert in (expert_a, expert_b):
        services.declare_interest(app, expert, conflict=False)  # before the materials open
    perform(app, "send_to_experts", staff["reviewer"], amount=reviewed, comment=comment)
    services.give_opinion(app, expert_a, opinion="support", score=88)
    assert app.state == "expert_review"  # one opinion still missing
    services.give_opinion(
        app, expert_b, opinion="support_with_reduction", score=75, suggested_amount="100000", comment="发票偏高"
    )
    assert app.state == "pending_decision"  # moved on by itself


def test_happy_path_from_draft_to_archive(
    draft, staff, pdf, clock, signals_seen, django_capture_on_commit_callbacks, settings
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}  # mail by task
    app, applicant = draft
    assert app.case_number.startswith(f"JJYS-{date.today().year}-")
    with pytest.raises(TransitionRefused) as refused:
        perform(app, "submit", applicant)
    assert refused.value.code == "missing_material"
    assert "营业执照" in refused.value.reason

    complete_draft(app, applicant, pdf)
    with django_capture_on_commit_callbacks(execute=True):
        perform(app, "submit", applicant)
    assert app.state == "submitted"
    assert app.computed_amount == Decimal("120000.00")
    assert app.snapshot["result"]["eligible"] is True
    assert app.due_kind == "acceptance"
    assert app.due_date == services.WorkingCalendar().add_working_days(clock.today, 5)
    assert app.revisions.count() == 1
    to_applicant = [m for m in mail.outbox if m.to == [applicant.email]]
    assert len(to_applicant) == 1 and app.case_number in to_applicant[0].subject
    # The clerk learns a case landed in their queue.
    assert Notification.objects.filter(recipient=staff["clerk"], application=app, event="queue").exists()

    review_to_decision(app, staff, reviewed="110000", comment="部分发票不属于江津供应商，核减1万元")
    assert app.reviewed_amount == Decimal("110000.00")

    perform(app, "approve", staff["approver"], amount="110000")
    assert app.state == "public_notice"
    assert app.approved_amount == Decimal("110000.00")
    assert app.notice_batch is not None

    # Nothing happens while the notice runs; the day after it ends, tick_deadlines approves.
    assert services.tick_deadlines().concluded == 0
    clock.set(app.due_date)
    assert services.tick_deadlines().concluded == 0
    clock.advance_working_days(1)
    r = services.tick_deadlines()
    assert r.concluded == 1, r
    app.refresh_from_db()
    assert app.state == "approved"
    assert services.tick_deadlines().concluded == 0  # idempotent

    services.record_disbursement(app, staff["finance"], amount="60000", paid_on=clock.today, voucher_number="PZ-001")
    assert app.state == "approved" and app.disbursed_amount == Decimal("60000.00")
    services.record_disbursement(app, staff["finance"], amount="50000", paid_on=clock.today, voucher_number="PZ-002")
    assert app.state == "disbursed" and app.disbursed_amount == Decimal("110000.00")
    perform(app, "archive", staff["manager"])
    assert app.state == "archived"

    transitions = [e.action for e in trail(app) if e.action.startswith("case.") and e.before and "state" in e.before]
    assert transitions == [
        "case.submit",
        "case.accept",
        "case.start_review",
        "case.send_to_experts",
        "case.complete_expert_review",
        "case.approve",
        "case.conclude_notice",
        "case.disburse",
        "case.disburse",
        "case.archive",
    ]
    reduce = next(e for e in trail(app) if e.action == "case.send_to_experts")
    assert reduce.actor == staff["reviewer"] and reduce.actor_role == "reviewer"
    assert reduce.before == {"state": "preliminary_review", "reviewed_amount": None}
    assert reduce.after == {"state": "expert_review", "reviewed_amount": "110000.00"}
    assert "核减" in reduce.reason

    kinds = {s["transition"]: s["document_kind"] for s in signals_seen if s["signal"] == "case_transitioned"}
    assert kinds["accept"] == "acceptance_notice"
    assert kinds["approve"] is None  # the decision waits for the public notice to end
    assert kinds["conclude_notice"] == "approval_decision"
    assert kinds["disburse"] == "disbursement_notice"
    assert kinds["start_review"] is None
    assert [s["batch"] for s in signals_seen if s["signal"] == "notice_batch_started"] == [app.notice_batch]


# The case is built on the Friday before, so its round is open on the fixed dates around National Day 2026.
@pytest.mark.time_machine(datetime(2026, 9, 25, 10, 0, tzinfo=SHANGHAI))
def test_correction_and_resubmission_keeps_old_files_and_pauses_the_clock(draft, staff, pdf, clock):
    app, applicant = draft
    complete_draft(app, applicant, pdf)
    clock.set(date(2026, 9, 28))  # Monday; the acceptance clock runs over National Day
    perform(app, "submit", applicant)
    assert app.due_date == date(2026, 10, 10)  # 1 Oct–7 Oct skipped, Saturday 10 Oct is worked
    clock.set(date(2026, 9, 30))  # 2 working days used, 3 left
    perform(
        app,
        "request_correction",
        staff["clerk"],
        comment="发票不清晰",
        items=[{"key": "invoices", "problem": "faulty", "note": "第3页模糊"}],
    )
    assert app.state == "correction_requested"
    assert app.due_kind == "correction" and app.paused_working_days == 3
    assert app.due_date == date(2026, 10, 20)  # 10 working days, National Day skipped, 10 Oct counted

    # Only what the notice lists may be replaced.
    with pytest.raises(TransitionRefused) as refused:
        services.add_material(app, applicant, key="licence", uploaded_file=pdf("新执照.pdf"))
    assert refused.value.code == "not_in_correction"
    with pytest.raises(TransitionRefused) as refused:
        perform(app, "resubmit", applicant)
    assert refused.value.code == "missing_material"

    clock.set(date(2026, 10, 12))
    services.add_material(app, applicant, key="invoices", uploaded_file=pdf("发票-清晰.pdf", b"invoices v2"))
    perform(app, "resubmit", applicant)
    assert app.state == "submitted"
    assert app.revision == 2 and app.revisions.count() == 2
    assert app.due_kind == "acceptance" and app.due_date == date(2026, 10, 15)  # 3 days left when paused
    assert app.correction_requests.get().status == CorrectionRequest.Status.ANSWERED
    assert Material.objects.filter(application=app, key="invoices").count() == 2  # the old file is kept
    assert app.current_materials().get(key="invoices").original_name == "发票-清晰.pdf"
    changes = revision_changes(app, 1, 2)
    assert changes["materials"] == {"invoices": "replaced"}
    assert changes["facts"] == {}


def test_correction_not_answered_in_time_lapses(staff, clock):
    app = ApplicationFactory(submitted=True)
    perform(
        app, "request_correction", staff["clerk"], comment="缺少发票", items=[{"key": "invoices", "problem": "missing"}]
    )
    deadline = app.due_date
    clock.set(deadline)
    assert services.tick_deadlines().lapsed == 0
    clock.advance_working_days(1)
    assert services.tick_deadlines().lapsed == 1
    assert services.tick_deadlines().lapsed == 0
    app.refresh_from_db()
    assert app.state == "lapsed"
    assert app.correction_requests.get().status == CorrectionRequest.Status.LAPSED


def test_overdue_acceptance_is_flagged_once_and_cleared_when_decided(staff, clock):
    app = ApplicationFactory(submitted=True, due_date=date(2026, 10, 9))
    clock.set(date(2026, 10, 12))
    assert services.tick_deadlines().flagged == 1
    assert services.tick_deadlines().flagged == 0
    app.refresh_from_db()
    assert app.overdue_since == date(2026, 10, 12)
    perform(app, "accept", staff["clerk"])
    assert app.overdue_since is None


def test_not_accepted_needs_a_reason(staff):
    app = ApplicationFactory(submitted=True)
    with pytest.raises(TransitionRefused) as refused:
        perform(app, "not_accept", staff["clerk"])
    assert refused.value.code == "comment_required"
    perform(app, "not_accept", staff["clerk"], comment="非影视制作企业，不属于扶持范围")
    assert app.state == "not_accepted" and app.due_date is None


def test_rejected_at_decision(staff, signals_seen):
    app = ApplicationFactory(pending_decision=True)
    perform(app, "reject", staff["approver"], comment="项目未在江津实际拍摄")
    assert app.state == "rejected" and app.decided_at is not None
    assert signals_seen[-1]["document_kind"] == "rejection_decision"


@pytest.mark.parametrize("stage", ["draft", "submitted", "accepted", "in_preliminary_review", "in_expert_review"])
def test_applicant_withdraws_before_decision(stage):
    app = ApplicationFactory(**({} if stage == "draft" else {stage: True}))
    perform(app, "withdraw", applicant_for(app))
    assert app.state == "withdrawn"


def test_applicant_cannot_withdraw_once_pending_decision():
    app = ApplicationFactory(pending_decision=True)
    with pytest.raises(TransitionRefused) as refused:
        perform(app, "withdraw", applicant_for(app))
    assert refused.value.code == "wrong_stage"


def test_objection_upheld_rejects_the_case(staff, clock, signals_seen):
    app = ApplicationFactory(in_public_notice=True)
    with pytest.raises(TransitionRefused) as refused:
        services.file_objection(app, name="", contact="", content="该片未在江津拍摄")
    assert refused.value.code == "name_required"
    services.file_objection(app, name="李四", contact="13800000000", content="该片未在江津拍摄")
    app.refresh_from_db()
    assert app.state == "objection_review"
    # A second objection joins the first while the case is held.
    services.file_objection(app, name="王五", contact="wang@example.com", content="发票系虚开")
    assert app.objections.filter(status="open").count() == 2
    # The notice period running out does not approve a held case.
    clock.advance_working_days(10)
    assert services.tick_deadlines().concluded == 0
    perform(app, "uphold_objection", staff["approver"], comment="经核查异议属实")
    assert app.state == "rejected"
    assert set(app.objections.values_list("status", flat=True)) == {Objection.Status.UPHELD}
    assert signals_seen[-1]["document_kind"] == "rejection_decision"


def test_objection_dismissed_restarts_the_notice(staff, clock):
    app = ApplicationFactory(in_public_notice=True)
    services.file_objection(app, name="李四", contact="13800000000", content="怀疑金额虚高")
    clock.advance_working_days(3)
    perform(app, "dismiss_objection", staff["approver"], comment="经核查，金额有发票支持")
    assert app.state == "public_notice"
    assert app.due_date == services.WorkingCalendar().add_working_days(clock.today, 5)
    assert app.objections.get().status == Objection.Status.DISMISSED
    clock.set(app.due_date)
    clock.advance_working_days(1)
    assert services.tick_deadlines().concluded == 1
    app.refresh_from_db()
    assert app.state == "approved"


def test_partial_disbursements_never_exceed_the_approved_amount(staff):
    app = ApplicationFactory(approved=True, approved_amount=Decimal("100000.00"))
    services.record_disbursement(app, staff["finance"], amount="30000", paid_on=date(2026, 11, 2), voucher_number="V1")
    with pytest.raises(TransitionRefused) as refused:
        services.record_disbursement(
            app, staff["finance"], amount="70000.01", paid_on=date(2026, 11, 3), voucher_number="V2"
        )
    assert refused.value.code == "invalid_amount"
    with pytest.raises(TransitionRefused) as refused:
        services.record_disbursement(
            app, staff["finance"], amount="100", paid_on=date(2026, 11, 3), voucher_number="V1"
        )
    assert refused.value.code == "duplicate_voucher"
    with pytest.raises(TransitionRefused) as refused:
        perform(app, "disburse", staff["finance"], amount="10", paid_on=None, voucher_number="")
    assert refused.value.code == "voucher_required"
    services.record_disbursement(app, staff["finance"], amount="70000", paid_on=date(2026, 11, 3), voucher_number="V2")
    assert app.state == "disbursed"
    assert sum(d.amount for d in app.disbursements.all()) == Decimal("100000.00")


def test_clawback_reclaims_and_bans_the_company_for_five_years(staff, clock):
    app = ApplicationFactory(disbursed=True)
    clock.set(date(2026, 11, 26))
    perform(app, "claw_back", staff["manager"], amount="100000", comment="虚报拍摄天数，骗取补贴")
    assert app.state == "clawed_back" and app.reclaimed_amount == Decimal("100000.00")
    app.company.refresh_from_db()
    assert app.company.banned_until == date(2031, 11, 26)
    assert app.clawbacks.get().amount == Decimal("100000.00")
    assert any(e.action == "company.ban" for e in trail(app.company))
    # The banned company can neither start nor submit a case.
    applicant = applicant_for(app)
    with pytest.raises(TransitionRefused) as refused:
        services.create_draft(applicant, company=app.company, item=app.item, round=app.round, project_title="新片")
    assert refused.value.code == "company_banned"
    other = ApplicationFactory(company=app.company)
    with pytest.raises(TransitionRefused) as refused:
        perform(other, "submit", applicant)
    assert refused.value.code == "company_banned"


def test_clawback_cannot_reclaim_more_than_was_paid(staff):
    app = ApplicationFactory(approved=True)
    with pytest.raises(TransitionRefused) as refused:
        perform(app, "claw_back", staff["manager"], amount="1", comment="骗补")
    assert refused.value.code == "invalid_amount"


def test_every_transition_of_the_table_is_walked_by_this_module():
    import inspect
    import sys

    source = inspect.getsource(sys.modules[__name__])
    walked = {t.key for t in workflow.TRANSITIONS if f'"{t.key}"' in source}
    walked |= {"submit", "resubmit", "complete_expert_review", "conclude_notice", "lapse", "file_objection"}
    assert walked == set(workflow.TRANSITION_BY_KEY)


def test_notifications_reach_the_applicant(staff):
    app = ApplicationFactory(submitted=True)
    applicant = applicant_for(app)
    perform(app, "accept", staff["clerk"])
    note = Notification.objects.get(recipient=applicant, application=app)
    assert note.event == "case.accept" and app.case_number in note.subject
    assert Application.objects.get(pk=app.pk).state == "accepted"


def test_objection_text_is_stored_without_control_characters():
    app = ApplicationFactory(in_public_notice=True)
    with pytest.raises(TransitionRefused) as refused:
        services.file_objection(app, name="\x00\u202e", contact="13800000000", content="内容")
    assert refused.value.code == "name_required"
    services.file_objection(app, name="李\x00四", contact="138\x1b[31m00000000", content="该片\u202e未在江津拍摄")
    objection = app.objections.get()
    assert (objection.name, objection.contact, objection.content) == ("李四", "138[31m00000000", "该片未在江津拍摄")


def test_tick_deadlines_on_a_given_date_ends_the_notice_period_and_lapses_corrections(staff):
    """tick_deadlines(on=...) used to judge "period over" by the real today, so a run for a later date (the
    command's --on, catching up a missed day) flagged cases but never concluded or lapsed any."""
    from applications.workdays import today

    later = today() + timedelta(days=40)
    notice = ApplicationFactory(in_public_notice=True, due_date=later - timedelta(days=1))
    correction = ApplicationFactory(submitted=True)
    perform(
        correction,
        "request_correction",
        staff["clerk"],
        comment="缺少发票",
        items=[{"key": "invoices", "problem": "missing"}],
    )
    assert correction.due_date < later

    assert services.tick_deadlines().concluded == 0  # today: the notice still runs
    result = services.tick_deadlines(on=later)
    assert (result.concluded, result.lapsed) == (1, 1), result
    notice.refresh_from_db()
    correction.refresh_from_db()
    assert notice.state == "approved"
    assert correction.state == "lapsed"
