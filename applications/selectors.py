"""Reads of the applications area: calendar warnings, what changed between revisions. Who sees which case is
applications.visibility."""

from __future__ import annotations

from datetime import date

from invest.audit import EventType, trail
from invest.models import AuditEntry

from .workdays import today

# Audit entries about the expert review stay between the office and its experts.
STAFF_ONLY_EVENTS = frozenset({EventType.CASE_ASSIGN_EXPERT, EventType.CASE_EXPERT_OPINION})


def next_year_schedule_missing(on: date | None = None) -> int | None:
    """The year whose holiday schedule managers must enter, or None when it is on file.

    From 1 October on, deadlines set now can already fall into next year, so next year's schedule is
    checked; before that the current year's. The manager dashboard shows a warning while this is not None.
    """
    from .models import CalendarYear

    on = on or today()
    years = [on.year, on.year + 1] if on.month >= 10 else [on.year]
    on_file = set(CalendarYear.objects.filter(year__in=years).values_list("year", flat=True))
    for year in years:
        if year not in on_file:
            return year
    return None


def revision_changes(application, older: int, newer: int) -> dict:
    """What changed between two submitted revisions: facts (old, new) and materials added/replaced/removed."""
    revisions = {r.number: r for r in application.revisions.filter(number__in=[older, newer])}
    a, b = revisions[older], revisions[newer]
    facts = {
        key: (a.facts.get(key), b.facts.get(key))
        for key in sorted(set(a.facts) | set(b.facts))
        if a.facts.get(key) != b.facts.get(key)
    }
    materials = {}
    for key in sorted(set(a.materials) | set(b.materials)):
        if key not in a.materials:
            materials[key] = "added"
        elif key not in b.materials:
            materials[key] = "removed"
        elif a.materials[key] != b.materials[key]:
            materials[key] = "replaced"
    return {"facts": facts, "materials": materials}


def case_trail(application, *, for_applicant: bool) -> list[AuditEntry]:
    """The case's audit entries, oldest first, as its timeline tells them (the portal's pages and the API):
    the applicant's timeline leaves out the expert review's internals (STAFF_ONLY_EVENTS)."""
    return [e for e in trail(application) if not (for_applicant and e.action in STAFF_ONLY_EVENTS)]
