"""The daily reminders of a case (applications/reminders.py through invest.reminders and send_reminders).

The cases are built through the services the pages call (draft, materials, pledge, submit, correction, review)
around National Day 2026, so the working-day calendar (the holiday of 25 Sep and 1–7 Oct, the worked Saturday
10 Oct) decides the days; the command runs three times every day, and each reminder arrives exactly once.
"""

import io
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.management import call_command

from applications import services
from applications.models import Notification
from applications.services import perform
from companies.models import Membership
from invest.models import ReminderLog
from invest.reminders import send_due
from tests.applications.conftest import make_pdf
from tests.factories.applications import CaseItemFactory, CaseRoundFactory
from tests.factories.companies import CompanyFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
REMINDERS = ("reminder.correction_due", "reminder.acceptance_due", "reminder.expert_opinion")


def _submitted_case(title: str, pdf):
    """A case of a new company with two confirmed members and one still waiting, submitted by the first."""
    company = CompanyFactory(contact_phone="023-47520000")
    owner = MembershipFactory(company=company).user
    colleague = MembershipFactory(company=company).user
    waiting = MembershipFactory(company=company, status=Membership.Status.REQUESTED).user
    item = CaseItemFactory()
    app = services.create_draft(
        owner,
        company=company,
        item=item,
        round=CaseRoundFactory(policy=item.policy),
        project_title=title,
        facts={"local_spend": "1200000", "shooting_days_in_jiangjin": 20},
    )
    services.add_material(app, owner, key="licence", uploaded_file=pdf("营业执照.pdf", b"licence"))
    services.add_material(app, owner, key="invoices", uploaded_file=pdf("发票.pdf", b"invoices"))
    services.update_draft(app, owner, integrity_pledge=True)
    return app, owner, colleague, waiting


def _run_days(clock, first: date, last: date) -> dict[date, list[Notification]]:
    """Run the command three times on every day from `first` to `last`; the reminders each day brought."""
    seen: dict[date, list[Notification]] = {}
    day = first
    while day <= last:
        clock.set(day)
        before = set(Notification.objects.values_list("pk", flat=True))
        for _ in range(3):
            call_command("send_reminders", stdout=io.StringIO())
        new = list(
            Notification.objects.filter(event__in=REMINDERS)
            .exclude(pk__in=before)
            .select_related("recipient", "application")
        )
        if new:
            seen[day] = new
        day += timedelta(days=1)
    return seen


@pytest.fixture(autouse=True)
def _case_sources_only(monkeypatch):
    """Only the case reminders: the other apps' sources have their own tests."""
    from invest import reminders

    monkeypatch.setattr(
        reminders, "SOURCES", [s for s in reminders.SOURCES if s.__module__ == "applications.reminders"]
    )


@pytest.fixture
def pdf():
    return make_pdf


@pytest.fixture
def cases(staff, pdf, clock):
    """Three cases submitted on Monday 28 Sep 2026: one waits for acceptance (due Saturday 10 Oct, a worked
    day), one has a correction due Monday 12 Oct, one is with an expert since Tuesday 29 Sep."""
    waiting, waiting_owner, *_ = _submitted_case("电影《受理》", pdf)
    correcting, owner, colleague, pending = _submitted_case("电影《补正》", pdf)
    reviewed, *_ = _submitted_case("电影《评审》", pdf)
    clock.set(date(2026, 9, 28))
    for app, by in ((waiting, waiting_owner), (correcting, owner), (reviewed, None)):
        perform(app, "submit", by or app.created_by)
    perform(
        correcting,
        "request_correction",
        staff["clerk"],
        comment="发票不清晰",
        items=[{"key": "invoices", "problem": "faulty", "note": "第3页模糊"}],
        deadline=date(2026, 10, 12),
    )
    expert = UserFactory(roles=["expert"], first_name="李专家")
    recused = UserFactory(roles=["expert"], first_name="王专家")
    perform(reviewed, "accept", staff["clerk"])
    perform(reviewed, "start_review", staff["reviewer"])
    services.assign_experts([reviewed], [expert, recused], staff["reviewer"])
    clock.set(date(2026, 9, 29))
    perform(reviewed, "send_to_experts", staff["reviewer"])
    services.declare_interest(reviewed, recused, conflict=True, reason="曾任申报单位顾问")  # not chased
    return {
        "waiting": waiting,
        "correcting": correcting,
        "reviewed": reviewed,
        "members": {owner, colleague},
        "pending": pending,
        "expert": expert,
        "recused": recused,
    }


@pytest.mark.time_machine(datetime(2026, 9, 24, 10, 0, tzinfo=SHANGHAI))
def test_each_reminder_once_on_its_working_day(cases, staff, clock):
    second_clerk = UserFactory(roles=["clerk"])
    assert cases["waiting"].due_date == date(2026, 10, 10)
    seen = _run_days(clock, date(2026, 9, 28), date(2026, 10, 16))

    # Only these days bring anything: a weekday-only count would say 7 Oct, 9 Oct and 2 Oct instead.
    assert {day: sorted((n.event, n.recipient.username) for n in new) for day, new in seen.items()} == {
        date(2026, 10, 8): sorted(("reminder.correction_due", u.username) for u in cases["members"]),
        date(2026, 10, 9): sorted(
            [("reminder.acceptance_due", staff["clerk"].username), ("reminder.acceptance_due", second_clerk.username)]
            + [
                ("reminder.expert_opinion", cases["expert"].username),
                ("reminder.expert_opinion", staff["reviewer"].username),
            ]
        ),
        date(2026, 10, 10): sorted(("reminder.correction_due", u.username) for u in cases["members"]),
    }
    correcting = cases["correcting"]
    three, one = seen[date(2026, 10, 8)][0], seen[date(2026, 10, 10)][0]
    for notice, days in ((three, 3), (one, 1)):
        assert notice.application == correcting
        assert correcting.case_number in notice.subject and f"{days} 个工作日" in notice.subject
        assert "2026-10-12" in notice.body and "补正" in notice.body
    accept = next(n for n in seen[date(2026, 10, 9)] if n.event == "reminder.acceptance_due")
    assert accept.application == cases["waiting"]
    assert cases["waiting"].case_number in accept.subject and "2026-10-10" in accept.subject
    assert "受理" in accept.body
    to_expert = next(n for n in seen[date(2026, 10, 9)] if n.recipient == cases["expert"])
    to_reviewer = next(n for n in seen[date(2026, 10, 9)] if n.recipient == staff["reviewer"])
    for notice in (to_expert, to_reviewer):
        assert cases["reviewed"].case_number in notice.subject and "2026-09-29" in notice.body
    assert "请登录工作台" in to_expert.body and "李专家" in to_reviewer.body and "改派" in to_reviewer.body

    # Nobody else heard: not the member still waiting for confirmation, not the other roles.
    assert not Notification.objects.filter(event__in=REMINDERS, recipient=cases["pending"]).exists()
    assert not Notification.objects.filter(event__in=REMINDERS, recipient=cases["recused"]).exists()
    assert "王专家" not in to_reviewer.body
    assert not Notification.objects.filter(event__in=REMINDERS, recipient=staff["approver"]).exists()
    assert ReminderLog.objects.count() == 5
    assert ReminderLog.objects.get(key__startswith=f"acceptance:{cases['waiting'].pk}:").recipient_count == 2


@pytest.mark.time_machine(datetime(2026, 9, 24, 10, 0, tzinfo=SHANGHAI))
def test_the_reminder_goes_by_mail_and_sms_too(cases, clock, settings, django_capture_on_commit_callbacks):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.SMS_BACKEND = "tests.notifications.backends.RecordingSMSBackend"
    from tests.notifications.backends import RecordingSMSBackend

    RecordingSMSBackend.sent = []
    clock.set(date(2026, 10, 8))
    mail.outbox = []
    with django_capture_on_commit_callbacks(execute=True):
        assert send_due() == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert send_due() == 0
    case = cases["correcting"]
    assert sorted(m.to[0] for m in mail.outbox) == sorted(u.email for u in cases["members"])
    assert all(case.case_number in m.subject and "2026-10-12" in m.body for m in mail.outbox)
    assert len(RecordingSMSBackend.sent) == 1
    phone, text = RecordingSMSBackend.sent[0]
    assert phone == "023-47520000" and case.case_number in text


@pytest.mark.time_machine(datetime(2026, 9, 24, 10, 0, tzinfo=SHANGHAI))
def test_a_new_deadline_gets_its_own_reminders_and_answered_ones_none(cases, staff, clock, pdf):
    """The correction answered before its reminder gets none; the expert who gave an opinion is not chased."""
    correcting, expert, reviewed = cases["correcting"], cases["expert"], cases["reviewed"]
    owner = correcting.created_by
    clock.set(date(2026, 9, 30))
    services.add_material(correcting, owner, key="invoices", uploaded_file=pdf("发票.pdf", b"clear"))
    perform(correcting, "resubmit", owner)
    services.declare_interest(reviewed, expert, conflict=False)
    services.give_opinion(reviewed, expert, opinion="support", score=90)
    seen = _run_days(clock, date(2026, 9, 30), date(2026, 10, 16))
    events = {(day, n.event) for day, new in seen.items() for n in new}
    # The resumed acceptance clock (the 5 working days it had left) ends on Tuesday 13 Oct: its clerks hear on
    # Monday 12th; the other case's clerks on Friday 9th, as before.
    correcting.refresh_from_db()
    assert correcting.state == "submitted" and correcting.due_date == date(2026, 10, 13)
    assert events == {(date(2026, 10, 9), "reminder.acceptance_due"), (date(2026, 10, 12), "reminder.acceptance_due")}
    keys = set(ReminderLog.objects.values_list("key", flat=True))
    assert keys == {
        f"acceptance:{cases['waiting'].pk}:2026-10-10",
        f"acceptance:{correcting.pk}:2026-10-13",
    }


@pytest.mark.time_machine(datetime(2026, 9, 24, 10, 0, tzinfo=SHANGHAI))
def test_a_date_given_to_the_command_and_a_day_without_reminders(cases, clock, capsys):
    call_command("send_reminders", "--date", "2026-10-05")  # a holiday: nothing is due
    call_command("send_reminders", "--date", "2026-10-08")
    call_command("send_reminders", "--date", "2026-10-08")
    out = capsys.readouterr().out
    assert out.splitlines() == ["0 reminder(s) sent", "1 reminder(s) sent", "0 reminder(s) sent"]
    assert Notification.objects.filter(event="reminder.correction_due").count() == 2
