"""The daily deadline run (``manage.py tick_deadlines``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.utils.translation import gettext_lazy as _

from .. import workdays
from ..models import Application
from .common import TransitionRefused
from .transitions import perform


@dataclass
class TickResult:
    lapsed: int = 0
    concluded: int = 0
    flagged: int = 0
    unflagged: int = 0
    held: int = 0
    refusals: list[str] = field(default_factory=list)


def tick_deadlines(on: date | None = None) -> TickResult:
    """The daily run: lapse overdue corrections, conclude finished notices, flag overdue acceptances.

    Idempotent: a second run on the same day finds nothing left to do.
    """
    now = on or workdays.today()
    result = TickResult()
    for app in Application.objects.filter(state="correction_requested", due_kind="correction", due_date__lt=now):
        try:
            perform(
                app,
                "lapse",
                None,
                on=now,
                comment=str(_("补正期限 %(d)s 已过，未提交补正材料。") % {"d": app.due_date}),
            )
            result.lapsed += 1
        except TransitionRefused:
            pass
    for app in Application.objects.filter(state="public_notice", due_kind="public_notice", due_date__lt=now):
        try:
            perform(app, "conclude_notice", None, on=now)
            result.concluded += 1
        except TransitionRefused as exc:
            result.held += 1
            result.refusals.append(f"{app.case_number}: {exc.reason}")
    overdue = Application.objects.filter(state="submitted", due_kind="acceptance", due_date__lt=now)
    result.flagged = overdue.filter(overdue_since__isnull=True).update(overdue_since=now)
    result.unflagged = (
        Application.objects.filter(overdue_since__isnull=False)
        .exclude(pk__in=overdue.values("pk"))
        .update(overdue_since=None)
    )
    return result
