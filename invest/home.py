"""What the home page shows: the rounds open now with their working days left, the items, the latest 公示, and
which first step fits the visitor."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from applications.workdays import WorkingCalendar
from invest.roles import OFFICE_ROLES, has_role

LATEST_NOTICES = 5


@dataclass(frozen=True)
class OpenRound:
    round: Any
    closes_on: Any
    working_days_left: int


def open_rounds_with_days(at=None) -> list[OpenRound]:
    """Open rounds (policies.selectors.open_rounds), each with the working days from today to its closing day
    (the closing day counted when it is a working day)."""
    from policies.selectors import open_rounds

    at = at or timezone.now()
    today = timezone.localdate(at)
    calendar = WorkingCalendar()
    rows = []
    for r in open_rounds(at):
        closes_on = timezone.localtime(r.closes_at).date()
        left = calendar.working_days_between(today, closes_on) + (1 if calendar.is_working_day(today) else 0)
        rows.append(OpenRound(round=r, closes_on=closes_on, working_days_left=left))
    return rows


def latest_notices(limit: int = LATEST_NOTICES):
    """The cases on public notice now (or paused for an objection), newest notice first."""
    from applications.models import Application

    return (
        Application.objects.filter(state__in=("public_notice", "objection_review"))
        .select_related("company", "item")
        .order_by("-notice_batch_id", "case_number")[:limit]
    )


def visitor_kind(user) -> str:
    """public (not signed in) · newcomer (signed in, no company yet) · member (applicant) · staff (office)."""
    if not getattr(user, "is_authenticated", False):
        return "public"
    if has_role(user, *OFFICE_ROLES):
        return "staff"
    if has_role(user, "applicant"):
        return "member"
    return "newcomer"
