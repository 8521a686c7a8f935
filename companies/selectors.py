"""Reads of the company registry. Every page and API that lists companies goes through here."""

from __future__ import annotations

from django.db.models import QuerySet

from invest.roles import has_role

from .models import Company, Membership


def companies_visible_to(user) -> QuerySet[Company]:
    """Staff roles see every company; anyone else only the companies they are a confirmed member of."""
    if not user.is_authenticated:
        return Company.objects.none()
    if user.is_superuser or has_role(user, "manager", "clerk", "reviewer", "approver", "finance", "auditor"):
        return Company.objects.all()
    return Company.objects.filter(memberships__user=user, memberships__status=Membership.Status.CONFIRMED).distinct()


def can_see_bank_account(user) -> bool:
    return user.is_superuser or has_role(user, "finance", "manager")
