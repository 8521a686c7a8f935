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


def memberships_of(user) -> QuerySet[Membership]:
    """A user's memberships, confirmed and pending, for the "my companies" page."""
    return Membership.objects.filter(user=user).select_related("company").order_by("status", "company__name")


def can_edit_profile(user, company: Company) -> bool:
    """Confirmed members and managers edit a company's contact and bank details."""
    if user.is_superuser or has_role(user, "manager"):
        return True
    return Membership.objects.filter(user=user, company=company, status=Membership.Status.CONFIRMED).exists()
