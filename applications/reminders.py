"""The case reminders (invest.reminders sources), counted in working days of the service's calendar.

- correction due in 3 and in 1 working days → the applicant company's confirmed members;
- acceptance due on the next working day ("tomorrow") → the clerks;
- an expert's opinion outstanding 3 working days after the expert could give it (assigned, and the case in
  expert review) → the expert, and the reviewer who assigned them (every reviewer when no one is recorded).

"Due in N working days" is ``working_days_between(today, due) == N``, so a run on a weekend or holiday finds
what the last working day found (the key makes it once) and a day the timer missed is caught up the next day.
Keys carry the due date, so a new deadline (another correction round, a resumed acceptance clock) gets its
own reminders.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from companies.selectors import members_by_company
from invest.reminders import Reminder, source
from invest.roles import users_with_roles

from . import workflow
from .models import Application, ExpertAssignment
from .workdays import WorkingCalendar

#: Working days before a correction deadline on which the applicant is reminded.
CORRECTION_DAYS_BEFORE = (3, 1)
#: Working days an expert has for an opinion before the expert and the reviewer are reminded.
EXPERT_OPINION_DAYS = 3


def _due_window(calendar: WorkingCalendar, today: date, days: int) -> tuple[date, date]:
    """The due dates ``d`` with ``working_days_between(today, d) == days``: from the ``days``-th working day
    after today up to (not including) the next one."""
    return calendar.add_working_days(today, days), calendar.add_working_days(today, days + 1)


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


@source
def correction_due(today: date) -> Iterator[Reminder]:
    calendar = WorkingCalendar()
    for days in CORRECTION_DAYS_BEFORE:
        first, after = _due_window(calendar, today, days)
        cases = list(
            Application.objects.filter(
                state="correction_requested", due_kind="correction", due_date__gte=first, due_date__lt=after
            ).select_related("company")
        )
        members = members_by_company({c.company_id for c in cases})
        for case in cases:
            yield Reminder(
                key=f"correction:{case.pk}:{case.due_date.isoformat()}:{days}",
                recipients=tuple(members.get(case.company_id, ())),
                event="reminder.correction_due",
                subject=_("【%(case)s】补正期限提醒：还剩 %(n)d 个工作日") % {"case": case.case_number, "n": days},
                body=_(
                    "您单位的申报“%(title)s”（案件编号 %(case)s）的补正期限为 %(due)s，还剩 %(n)d 个工作日。"
                    "请在期限前登录系统，按补正通知上传材料并提交补正；逾期未补正的，本次申报将终止。"
                )
                % {"title": case.project_title, "case": case.case_number, "due": case.due_date, "n": days},
                application=case,
            )


@source
def acceptance_due_tomorrow(today: date) -> Iterator[Reminder]:
    first, after = _due_window(WorkingCalendar(), today, 1)
    cases = list(
        Application.objects.filter(
            state="submitted", due_kind="acceptance", due_date__gte=first, due_date__lt=after
        ).select_related("company")
    )
    if not cases:
        return
    clerks = tuple(users_with_roles("clerk"))
    for case in cases:
        yield Reminder(
            key=f"acceptance:{case.pk}:{case.due_date.isoformat()}",
            recipients=clerks,
            event="reminder.acceptance_due",
            subject=_("【%(case)s】受理期限将于 %(due)s 到期") % {"case": case.case_number, "due": case.due_date},
            body=_(
                "%(company)s 的申报“%(title)s”（案件编号 %(case)s）受理期限为 %(due)s（下一个工作日）。"
                "请在期限前受理，或发出补正通知、作出不予受理决定。"
            )
            % {
                "company": case.company.name,
                "title": case.project_title,
                "case": case.case_number,
                "due": case.due_date,
            },
            application=case,
        )


def _cutoff(calendar: WorkingCalendar, today: date, days: int) -> date:
    """The latest day ``a`` with ``working_days_between(a, today) >= days``."""
    counted, day = 0, today
    while True:
        if calendar.is_working_day(day):
            counted += 1
            if counted == days:
                return day - timedelta(days=1)
        day -= timedelta(days=1)


def _sent_to_experts(case_ids: list[int]) -> dict[int, datetime]:
    """When each case last entered expert review (its send_to_experts entry in the audit log)."""
    from invest.models import AuditEntry

    entered: dict[int, datetime] = {}
    rows = AuditEntry.objects.filter(
        action=workflow.TABLE.event_type("send_to_experts"),
        target_type=Application._meta.label_lower,
        target_id__in=[str(pk) for pk in case_ids],
    ).values_list("target_id", "at")
    for target_id, at in rows:
        pk = int(target_id)
        if pk not in entered or at > entered[pk]:
            entered[pk] = at
    return entered


@source
def expert_opinion_outstanding(today: date) -> Iterator[Reminder]:
    calendar = WorkingCalendar()
    cutoff = _cutoff(calendar, today, EXPERT_OPINION_DAYS)
    before = _start_of(cutoff + timedelta(days=1))
    waiting = list(
        ExpertAssignment.objects.filter(
            application__state="expert_review",
            answered_at__isnull=True,
            recused_at__isnull=True,  # a recused expert has nothing to give
            assigned_at__lt=before,
        )
        .select_related("application", "expert", "assigned_by")
        .order_by("pk")
    )
    if not waiting:
        return
    entered = _sent_to_experts(sorted({a.application_id for a in waiting}))
    reviewers: tuple | None = None
    for assignment in waiting:
        case = assignment.application
        since = max(assignment.assigned_at, entered.get(case.pk, assignment.assigned_at))
        since_day = timezone.localdate(since)
        if since_day > cutoff:
            continue
        values = {
            "case": case.case_number,
            "title": case.project_title,
            "since": since_day,
            "n": EXPERT_OPINION_DAYS,
            "expert": assignment.expert.get_full_name() or assignment.expert.get_username(),
        }
        subject = _("【%(case)s】专家评审意见尚未提交") % values
        yield Reminder(
            key=f"expert_opinion:{assignment.pk}:{since_day.isoformat()}:expert",
            recipients=(assignment.expert,),
            event="reminder.expert_opinion",
            subject=subject,
            body=_(
                "案件 %(case)s（%(title)s）自 %(since)s 起等待您的评审意见，已超过 %(n)d 个工作日。"
                "请登录工作台，在该案件页面提交评审意见。"
            )
            % values,
            application=case,
        )
        if assignment.assigned_by_id and assignment.assigned_by.is_active:
            to_reviewers: tuple = (assignment.assigned_by,)
        else:
            if reviewers is None:
                reviewers = tuple(users_with_roles("reviewer"))
            to_reviewers = reviewers
        yield Reminder(
            key=f"expert_opinion:{assignment.pk}:{since_day.isoformat()}:reviewer",
            recipients=to_reviewers,
            event="reminder.expert_opinion",
            subject=subject,
            body=_(
                "专家 %(expert)s 自 %(since)s 起评审案件 %(case)s（%(title)s），已超过 %(n)d 个工作日尚未提交意见。"
                "请催办，或在案件页面改派其他专家。"
            )
            % values,
            application=case,
        )
