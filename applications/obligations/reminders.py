"""Reminders of obligations (invest.reminders): a report due in 10 working days, and one overdue — to the
company's members and the officers who review reports. Each once per obligation and due date (the key), however
often ``send_reminders`` runs; a due date moved (a new payment date) is a new event.

Overdue detection itself (status, clawback proposal) is the daily ``manage.py check_obligations``; this source
only reminds, from the due dates, so it sends the overdue notice even on a day the check has not run yet.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from django.utils.translation import gettext as _

from applications import workdays
from invest.reminders import Reminder, source

#: How many working days before the due date the company and the officers are reminded.
DUE_SOON_WORKING_DAYS = 10


@source
def obligation_reminders(today: date) -> Iterator[Reminder]:
    from .models import Kind, Obligation
    from .services import RUNNING_STATES, company_members, obligation_url, officers

    horizon = workdays.add_working_days(today, DUE_SOON_WORKING_DAYS)
    waiting = (
        Obligation.objects.filter(
            due_on__isnull=False,
            due_on__lte=horizon,
            status__in=(*Obligation.OPEN_STATUSES, Obligation.Status.OVERDUE),
            application__state__in=RUNNING_STATES,
        )
        .exclude(kind=Kind.STAY)
        .select_related("application__company")
    )
    staff = None
    for obligation in waiting:
        app = obligation.application
        if staff is None:
            staff = tuple(officers())
        recipients = (*company_members(app), *staff)
        values = {"case": app.case_number, "label": obligation.label, "due": obligation.due_on.isoformat()}
        if obligation.due_on < today:
            yield Reminder(
                key=f"obligation:{obligation.pk}:{obligation.due_on}:overdue",
                recipients=recipients,
                event="reminder.obligation_overdue",
                subject=_("【%(case)s】履约材料已逾期：%(label)s") % values,
                body=_("“%(label)s”的截止日 %(due)s 已过，尚未提交合格的材料。请尽快提交；逾期将按规定提出追回建议。")
                % values,
                url=obligation_url(obligation),
                application=app,
            )
        elif obligation.status != Obligation.Status.OVERDUE:
            days = workdays.working_days_between(today, obligation.due_on)
            yield Reminder(
                key=f"obligation:{obligation.pk}:{obligation.due_on}:due{DUE_SOON_WORKING_DAYS}",
                recipients=recipients,
                event="reminder.obligation_due",
                subject=_("【%(case)s】履约材料即将到期：%(label)s") % values,
                body=_("“%(label)s”须在 %(due)s 前提交（还有 %(days)s 个工作日）。需提交：%(upload)s。")
                % {**values, "days": days, "upload": obligation.upload_label or obligation.label},
                url=obligation_url(obligation),
                application=app,
            )
