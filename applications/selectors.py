"""Reads of the applications area: queues, calendar warnings, what changed between revisions."""

from __future__ import annotations

from datetime import date

from .workdays import today


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


def cases_visible_to(user):
    """Staff roles see every case, experts the cases assigned to them, applicants their companies' cases."""
    from companies.models import Membership
    from invest.roles import ALL_CASES_ROLES, has_role

    from .models import Application

    if not getattr(user, "is_authenticated", False):
        return Application.objects.none()
    if has_role(user, *ALL_CASES_ROLES):
        return Application.objects.all()
    if has_role(user, "expert"):
        return Application.objects.filter(expert_assignments__expert=user).distinct()
    if has_role(user, "applicant"):
        return Application.objects.filter(
            company__memberships__user=user, company__memberships__status=Membership.Status.CONFIRMED
        ).distinct()
    return Application.objects.none()


def queue_for(user):
    """The cases waiting for this user's action, overdue ones first, then by deadline.

    Derived from the workflow table: a case is in a role's queue when the role takes a transition from the
    case's state. An expert's queue is the assigned cases still waiting for their opinion.
    """
    from django.db.models import F, Q

    from invest.roles import user_roles

    from . import workflow
    from .models import Application

    roles = user_roles(user) - {"applicant"}
    states = {s.key for s in workflow.STATES if workflow.roles_acting_in(s.key) & roles}
    condition = Q(state__in=states)
    if "expert" in roles:
        condition |= Q(
            state="expert_review",
            expert_assignments__expert=user,
            expert_assignments__answered_at__isnull=True,
        )
    if not roles:
        return Application.objects.none()
    return (
        Application.objects.filter(condition)
        .distinct()
        .select_related("company", "item")
        .order_by(F("overdue_since").asc(nulls_last=True), F("due_date").asc(nulls_last=True), "id")
    )
