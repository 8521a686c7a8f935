"""Stage visits: written live by each transition (``record``) and rebuilt from the audit log (``rebuild``).

Both count a visit's working days the same way (``visit_days``), so a backfilled visit equals the one the
transition would have written on the same day with the same calendar.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from applications.workdays import WorkingCalendar

CASE_TARGET = "applications.application"
CHUNK = 2000


def visit_days(calendar: WorkingCalendar, entered: datetime, left: datetime) -> int:
    """Working days from the day entered to the day left (Asia/Shanghai): after the first, up to the last."""
    return calendar.working_days_between(timezone.localdate(entered), timezone.localdate(left))


def record(application, source: str, target: str, *, at: datetime | None = None) -> None:
    """Close the case's visit of ``source`` and open one of ``target``; a move within a stage (a part
    payment: 已批准 → 已批准) changes nothing. Runs inside the transition's transaction, with the case row
    locked, so two moves of one case never interleave."""
    from .models import StageVisit

    if source == target:
        return
    at = at or timezone.now()
    calendar = WorkingCalendar()
    current = StageVisit.objects.filter(application=application, left_at__isnull=True).first()
    if current is not None:
        current.left_at = at
        current.working_days = visit_days(calendar, current.entered_at, at)
        current.save(update_fields=["left_at", "working_days"])
    elif source == "draft" and application.created_at:
        # A draft is a case from its creation; no transition opened its visit.
        StageVisit.objects.create(
            application=application,
            state=source,
            entered_at=application.created_at,
            left_at=at,
            working_days=visit_days(calendar, application.created_at, at),
        )
    StageVisit.objects.create(application=application, state=target, entered_at=at)


class _HistoricalCalendar(WorkingCalendar):
    """The working calendar read through a migration's historical models."""

    def __init__(self, calendar_year, calendar_day) -> None:
        super().__init__()
        self._models = (calendar_year, calendar_day)

    def _year(self, year: int):
        if year not in self._years:
            calendar_year, calendar_day = self._models
            if not calendar_year.objects.filter(year=year).exists():
                self._years[year] = None
            else:
                rows = list(calendar_day.objects.filter(year__year=year).values_list("date", "kind"))
                self._years[year] = (
                    frozenset(d for d, k in rows if k == "holiday"),
                    frozenset(d for d, k in rows if k == "workday"),
                )
        return self._years[year]


def _state(value: Any) -> str | None:
    return value.get("state") if isinstance(value, dict) else None


def rebuild(apps, schema_editor=None) -> int:
    """Write every case's visits from its audit trail (the state in each entry's before → after), replacing
    what is there. Used by the data migration that introduced the table; returns the visits written.

    A case's trail starts with its creation (after: draft) or, for older cases, with its first transition;
    the draft visit of a case without a creation entry starts at the case's ``created_at``.
    """
    application = apps.get_model("applications", "Application")
    audit_entry = apps.get_model("invest", "AuditEntry")
    stage_visit = apps.get_model("statistics", "StageVisit")
    calendar = _HistoricalCalendar(
        apps.get_model("applications", "CalendarYear"), apps.get_model("applications", "CalendarDay")
    )
    stage_visit.objects.all().delete()
    created = dict(application.objects.values_list("pk", "created_at"))
    entries = (
        audit_entry.objects.filter(target_type=CASE_TARGET, action__startswith="case.")
        .order_by("target_id", "at", "id")
        .values_list("target_id", "at", "before", "after")
        .iterator(chunk_size=CHUNK)
    )
    batch: list = []
    written = 0
    case_id: int | None = None
    current: tuple[str, datetime] | None = None

    def flush(force: bool = False) -> None:
        nonlocal batch, written
        if batch and (force or len(batch) >= CHUNK):
            stage_visit.objects.bulk_create(batch)
            written += len(batch)
            batch = []

    def close_case() -> None:
        if case_id is not None and current is not None:
            batch.append(stage_visit(application_id=case_id, state=current[0], entered_at=current[1]))

    for target_id, at, before, after in entries:
        if not str(target_id).isdigit() or int(target_id) not in created:
            continue
        if int(target_id) != case_id:
            close_case()
            flush()
            case_id, current = int(target_id), None
        source, target = _state(before), _state(after)
        if target is None:
            continue
        if source is None:
            if current is None:  # the creation entry; a draft starts when the case was made, as in record()
                current = (target, created[case_id] if target == "draft" and created[case_id] else at)
            continue
        if source == target:
            continue
        if current is None and source == "draft" and created[case_id]:
            current = ("draft", created[case_id])
        if current is not None:
            batch.append(
                stage_visit(
                    application_id=case_id,
                    state=current[0],
                    entered_at=current[1],
                    left_at=at,
                    working_days=visit_days(calendar, current[1], at),
                )
            )
        current = (target, at)
    close_case()
    flush(force=True)
    return written
