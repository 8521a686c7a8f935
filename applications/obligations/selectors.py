"""Who sees which obligation: the company's confirmed members, and the office roles that see every case."""

from __future__ import annotations

from django.db.models import QuerySet

from applications.visibility import sees_every_case
from companies.selectors import member_company_ids

from .models import ClawbackProposal, Obligation


def obligations_visible_to(user) -> QuerySet[Obligation]:
    rows = Obligation.objects.select_related("application__company", "application__item")
    if sees_every_case(user):
        return rows
    return rows.filter(application__company_id__in=member_company_ids(user))


def obligations_of_member(user) -> QuerySet[Obligation]:
    """The obligations of the companies the user is a confirmed member of ("我的履约事项")."""
    return Obligation.objects.select_related("application__company", "application__item").filter(
        application__company_id__in=member_company_ids(user)
    )


def is_member_of(user, obligation: Obligation) -> bool:
    return obligation.application.company_id in member_company_ids(user)


def case_obligations(application) -> list[Obligation]:
    return list(application.obligations.prefetch_related("reports").order_by("due_on", "pk"))


def proposals_visible_to(user) -> QuerySet[ClawbackProposal]:
    if not sees_every_case(user):
        return ClawbackProposal.objects.none()
    return ClawbackProposal.objects.select_related("application__company", "obligation", "decided_by")
