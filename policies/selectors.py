"""Reads of the policy catalogue and invitations. Pages, the API and the workflow read through here."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet

from .models import Criterion, Invitation, Policy, Round, SupportItem


def published_items() -> QuerySet[SupportItem]:
    """Items of published policies, with their criteria, in catalogue order."""
    return (
        SupportItem.objects.filter(policy__status=Policy.Status.PUBLISHED)
        .select_related("policy")
        .prefetch_related(Prefetch("criteria", queryset=Criterion.objects.order_by("order", "id")))
        .order_by("policy__title", "sort_order", "code")
    )


def filter_choices() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The item and round choices of the queue filters, in the active language: (code, "code name") and
    (pk, "policy round"). Kept by each process for the catalogue's current version (invest.hotcache), which
    any save or delete of a policy, item or round renews (policies.apps)."""
    from django.utils.translation import get_language

    from invest import hotcache

    known = hotcache.shared(hotcache.CATALOGUE)
    language = get_language()
    if language not in known:
        known[language] = (
            [(i.code, f"{i.code} {i.name}") for i in SupportItem.objects.order_by("code")],
            [(str(r.pk), str(r)) for r in Round.objects.select_related("policy")],
        )
    return known[language]


def catalogue_changed(*args, **kwargs) -> None:
    """Receiver of Policy, SupportItem and Round saves and deletes."""
    from invest import hotcache

    hotcache.bump(hotcache.CATALOGUE)


def member_companies(user) -> QuerySet:
    """Companies the user acts for (confirmed memberships, companies.selectors.member_company_ids)."""
    from companies.models import Company
    from companies.selectors import member_company_ids

    return Company.objects.filter(pk__in=member_company_ids(user))


def invitations_for(user) -> QuerySet[Invitation]:
    return (
        Invitation.objects.filter(company__in=member_companies(user))
        .select_related("company", "item", "round")
        .order_by("-created_at", "item__code")
    )


def invitation_prefill(invitation: Invitation) -> dict[str, Any]:
    """What an application started from an invitation begins with: company, item, round and the company's
    registry facts (the form facts are for the applicant to add)."""
    from .services import company_facts

    return {
        "company": invitation.company,
        "item": invitation.item,
        "round": invitation.round,
        "facts": {k: v for k, v in company_facts(invitation.company).items() if v is not None},
        "invitation": invitation,
    }


def open_rounds(at=None) -> QuerySet[Round]:
    """Rounds of published policies open for applications at `at` (now): opens_at <= at < closes_at, soonest
    closing first. The one query for "which rounds are open": the home page, the item page, the applicant's
    pages, the API's new draft and the matching's default round read through here."""
    from django.utils import timezone

    at = at or timezone.now()
    return (
        Round.objects.filter(opens_at__lte=at, closes_at__gt=at, policy__status=Policy.Status.PUBLISHED)
        .select_related("policy")
        .order_by("closes_at", "id")
    )
