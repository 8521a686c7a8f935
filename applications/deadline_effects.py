"""What a transition does to the case's deadline clock: the changes the workflow table's ``deadline`` column
points to (applications.workflow.DeadlineEffect), applied by ``services.perform`` after the state moved.

Each takes the case (locked, not yet saved) and the transition's context (``correction_deadline`` for a
correction request). This module imports nothing of the services, so the table can name its functions.
"""

from __future__ import annotations

from typing import Any

from . import workdays


def _days(clock: str) -> int:
    from .workflow import DEADLINE_DAYS

    return DEADLINE_DAYS[clock]


def keep(app, context: dict[str, Any]) -> None:
    """The clock is left as it is (also while an objection holds the notice: an open objection stops
    conclude_notice by itself)."""


def start_acceptance(app, context: dict[str, Any]) -> None:
    due = workdays.WorkingCalendar().add_working_days(workdays.today(), _days("acceptance"))
    app.due_kind, app.due_date = "acceptance", due
    app.paused_working_days = None
    app.overdue_since = None


def pause_for_correction(app, context: dict[str, Any]) -> None:
    """The acceptance clock keeps what it had left; the correction deadline (set by the handler) runs."""
    remaining = 0
    if app.due_kind == "acceptance" and app.due_date:
        remaining = workdays.WorkingCalendar().working_days_between(workdays.today(), app.due_date)
    app.paused_working_days = remaining
    app.due_kind, app.due_date = "correction", context["correction_deadline"]
    app.overdue_since = None


def resume(app, context: dict[str, Any]) -> None:
    days = app.paused_working_days if app.paused_working_days is not None else _days("acceptance")
    app.due_kind, app.due_date = "acceptance", workdays.WorkingCalendar().add_working_days(workdays.today(), days)
    app.paused_working_days = None


def start_notice(app, context: dict[str, Any]) -> None:
    app.due_kind = "public_notice"
    app.due_date = workdays.WorkingCalendar().add_working_days(workdays.today(), _days("public_notice"))


def stop(app, context: dict[str, Any]) -> None:
    app.due_kind, app.due_date, app.paused_working_days, app.overdue_since = "", None, None, None
