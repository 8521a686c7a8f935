"""Response times of investment leads (招商响应时限): what starts and ends each clock, and which leads are late.

The working days of each clock are data (``ResponseTarget``, edited by managers, seeded 1 / 3 / 5 after
Jiangmen's rules); what starts and ends a clock is declared once here, in ``CLOCKS``. The dates a clock reads
are taken in one query per page (``annotated``): the lead's own dates and its first follow-up of each kind, so
the pipeline page flags every lead it lists without a query per lead.

- 首次接洽 (first contact) runs from the day the lead was registered to its first contact: the contact step's
  date or the first visit, call or meeting in the follow-up log, whichever is earlier.
- 项目研判 (assessment) runs from the first contact to the first assessment in the log.
- 答复企业 (feedback) runs from the day the lead was registered to the first answer in the log.
A lead that has moved on to negotiation (or further) has been assessed and answered, whether or not the log
says so, and a closed lead (settled or lost) waits for nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Min, Q, QuerySet
from django.utils import timezone

from applications.workdays import WorkingCalendar
from invest.workflow import require

from . import workflow
from .models import FollowUp, Lead, ResponseTarget

K = FollowUp.Kind
CONTACT_KINDS = (K.VISIT, K.CALL, K.MEETING, K.ASSESSMENT, K.FEEDBACK)
#: Stages in which assessment and answer are behind the lead.
PAST_ASSESSMENT = (workflow.NEGOTIATING, workflow.AGREEMENT_SIGNED, workflow.SETTLED)


def annotated(leads: QuerySet[Lead]) -> QuerySet[Lead]:
    """The leads with the first follow-up date of each kind the clocks read."""
    return leads.annotate(
        first_touch_logged=Min("follow_ups__on", filter=Q(follow_ups__kind__in=CONTACT_KINDS)),
        first_assessment=Min("follow_ups__on", filter=Q(follow_ups__kind=K.ASSESSMENT)),
        first_feedback=Min("follow_ups__on", filter=Q(follow_ups__kind=K.FEEDBACK)),
    )


def _registered(lead) -> date:
    return timezone.localdate(lead.created_at)


def _first_contact(lead) -> date | None:
    dates = [d for d in (lead.contacted_on, lead.first_touch_logged) if d is not None]
    return min(dates) if dates else None


def _past_assessment(lead) -> bool:
    return lead.state in PAST_ASSESSMENT


@dataclass(frozen=True)
class Clock:
    """One response clock: the day it starts (None: not yet), the day it ended (None: still running) and
    whether the lead's stage ended it without a date."""

    start: Callable[[Any], date | None]
    end: Callable[[Any], date | None]
    ended_by_stage: Callable[[Any], bool] = lambda lead: False


CLOCKS: dict[str, Clock] = {
    ResponseTarget.Key.FIRST_CONTACT: Clock(start=_registered, end=_first_contact),
    ResponseTarget.Key.ASSESSMENT: Clock(
        start=_first_contact, end=lambda lead: lead.first_assessment, ended_by_stage=_past_assessment
    ),
    ResponseTarget.Key.FEEDBACK: Clock(
        start=_registered, end=lambda lead: lead.first_feedback, ended_by_stage=_past_assessment
    ),
}
require(set(CLOCKS) == set(ResponseTarget.Key.values), "every response target needs its clock")


@dataclass(frozen=True)
class ClockStatus:
    key: str
    label: str
    working_days: int
    due_on: date
    done_on: date | None
    overdue: bool

    @property
    def late(self) -> bool:
        """Answered, but after the due day."""
        return self.done_on is not None and self.done_on > self.due_on


def targets() -> list[ResponseTarget]:
    """The active targets in the order a lead meets them (首次接洽, 项目研判, 答复企业: the order of CLOCKS)."""
    order = list(CLOCKS)
    return sorted(ResponseTarget.objects.filter(active=True), key=lambda t: order.index(t.key))


def statuses(
    leads: Iterable[Lead], *, today: date | None = None, active: list[ResponseTarget] | None = None
) -> dict[int, list[ClockStatus]]:
    """Each lead's running and finished clocks, by lead id. The leads come from ``annotated``."""
    today = today or timezone.localdate()
    active = targets() if active is None else active
    calendar = WorkingCalendar()
    result: dict[int, list[ClockStatus]] = {}
    for lead in leads:
        rows = []
        if lead.state in workflow.OPEN_STATES:
            for target in active:
                clock = CLOCKS[target.key]
                start = clock.start(lead)
                if start is None:
                    continue
                done_on = clock.end(lead)
                if done_on is None and clock.ended_by_stage(lead):
                    continue
                due_on = calendar.add_working_days(start, target.working_days)
                rows.append(
                    ClockStatus(
                        key=target.key,
                        label=str(target.get_key_display()),
                        working_days=target.working_days,
                        due_on=due_on,
                        done_on=done_on,
                        overdue=done_on is None and today > due_on,
                    )
                )
        result[lead.pk] = rows
    return result


def overdue_lead_ids(leads: QuerySet[Lead], *, today: date | None = None) -> list[int]:
    """The open leads with a clock past its due day and not yet answered."""
    open_leads = annotated(leads.filter(state__in=workflow.OPEN_STATES).order_by())
    return [pk for pk, rows in statuses(open_leads, today=today).items() if any(r.overdue for r in rows)]
