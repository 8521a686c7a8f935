"""Reads of the applications area: calendar warnings, what changed between revisions. Who sees which case is
applications.visibility."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from invest.audit import EventType, trail
from invest.models import AuditEntry

from .workdays import today

# Audit entries about the expert review stay between the office and its experts (who the experts are is never
# shown to the applicant: assignments, declarations, recusals and opinions).
STAFF_ONLY_EVENTS = frozenset(
    {
        EventType.CASE_ASSIGN_EXPERT,
        EventType.CASE_EXPERT_OPINION,
        EventType.CASE_EXPERT_DECLARATION,
        EventType.CASE_EXPERT_RECUSED,
    }
)


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


def expert_comparison(application) -> dict:
    """The experts' opinions side by side (for the reviewer and the approver): one column per expert who has not
    recused, one row per rubric criterion as each expert scored it (from the stored scores, so a later edit of
    the rubric does not change them), then the total, opinion, suggested amount and comment; and the recused
    experts with their reasons. Criteria are in the item's rubric order; one no longer in it comes last."""
    assignments = list(application.expert_assignments.select_related("expert").order_by("id"))
    active = [a for a in assignments if a.active]
    order = {c.pk: i for i, c in enumerate(application.item.rubric.all())}
    labels: dict[int, dict] = {}
    for a in active:
        for row in a.scores or []:
            labels.setdefault(row["criterion"], row)
    criteria = sorted(labels, key=lambda pk: (order.get(pk, len(order)), pk))
    rows = []
    for pk in criteria:
        spec = labels[pk]
        by_expert = []
        for a in active:
            mine = next((r for r in a.scores or [] if r["criterion"] == pk), None)
            by_expert.append(Decimal(mine["score"]) if mine else None)
        rows.append(
            {
                "label": spec["label"],
                "weight": Decimal(spec["weight"]),
                "maximum": Decimal(spec["maximum"]),
                "scores": by_expert,
            }
        )
    return {
        "experts": active,
        "rows": rows,
        "recused": [a for a in assignments if not a.active],
        "answered": sum(1 for a in active if a.answered_at),
    }
