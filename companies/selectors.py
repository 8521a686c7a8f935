"""Reads of the company registry. Every page and API that lists companies goes through here."""

from __future__ import annotations

from django.db.models import F, QuerySet

from invest.roles import ALL_CASES_ROLES, has_role

from .models import Company, CompanyRegistration, Membership


def member_company_ids(user) -> set[int]:
    """The companies `user` is a confirmed member of: the one definition of membership that pages,
    case visibility (applications.visibility), documents and notices use."""
    if not getattr(user, "is_authenticated", False):
        return set()
    from invest import hotcache

    def load() -> list[int]:
        confirmed = Membership.objects.filter(user=user, status=Membership.Status.CONFIRMED)
        return sorted(confirmed.values_list("company_id", flat=True))

    # Shared across requests (invest.hotcache), read again when a membership of the user changes
    # (companies.apps connects the receivers).
    return set(hotcache.cached(hotcache.members_key(user.pk), load))


def memberships_changed(sender, instance, **kwargs) -> None:
    """post_save / post_delete receiver of Membership: the user's companies are read again."""
    from invest import hotcache

    hotcache.forget([hotcache.members_key(instance.user_id)])


def company_members_changed(sender, instance, action, reverse, pk_set, **kwargs) -> None:
    """m2m_changed receiver of Company.members (add/remove/clear through the relation, without Membership's
    own signals)."""
    from invest import hotcache

    if not action.startswith(("post_", "pre_clear")):
        return
    if reverse:  # instance is the user
        user_ids = [instance.pk]
    elif action == "pre_clear":
        user_ids = list(Membership.objects.filter(company=instance).values_list("user_id", flat=True))
    else:
        user_ids = list(pk_set or ())
    hotcache.forget([hotcache.members_key(pk) for pk in user_ids])


def members_by_company(company_ids) -> dict[int, list]:
    """The active confirmed members (users) of each company, in one query: who hears about a company's cases,
    obligations and reminders (the members of member_company_ids, seen from the company's side)."""
    members: dict[int, list] = {}
    for m in (
        Membership.objects.filter(
            company_id__in=list(company_ids), status=Membership.Status.CONFIRMED, user__is_active=True
        )
        .select_related("user")
        .order_by("company_id", "user_id")
    ):
        members.setdefault(m.company_id, []).append(m.user)
    return members


def member_users(company_id: int) -> list:
    """The active confirmed members of one company."""
    return members_by_company([company_id]).get(company_id, [])


def companies_visible_to(user) -> QuerySet[Company]:
    """ALL_CASES_ROLES (and superusers) see every company; anyone else only the companies they are a confirmed
    member of."""
    if not user.is_authenticated:
        return Company.objects.none()
    if user.is_superuser or has_role(user, *ALL_CASES_ROLES):
        return Company.objects.all()
    return Company.objects.filter(pk__in=member_company_ids(user))


def can_see_bank_account(user) -> bool:
    return user.is_superuser or has_role(user, "finance", "manager")


def memberships_of(user) -> QuerySet[Membership]:
    """A user's memberships, confirmed and pending, for the "my companies" page."""
    return Membership.objects.filter(user=user).select_related("company").order_by("status", "company__name")


def can_edit_profile(user, company: Company) -> bool:
    """Confirmed members and managers edit a company's contact and bank details."""
    if user.is_superuser or has_role(user, "manager"):
        return True
    return company.pk in member_company_ids(user)


def registrations_of(user) -> QuerySet[CompanyRegistration]:
    """A user's requests to register new companies, newest first."""
    return CompanyRegistration.objects.filter(requested_by=user).order_by("-requested_at", "-id")


def onboarding_state(user) -> str:
    """Where a signed-in user stands on the way to applying for a company.

    "confirmed": may apply; "pending": a membership or registration waits for a decision; "refused": the
    latest answer was a refusal (the page shows the reason and how to send it again); "none": nothing asked.
    """
    memberships = Membership.objects.filter(user=user)
    if memberships.filter(status=Membership.Status.CONFIRMED).exists():
        return "confirmed"
    registrations = CompanyRegistration.objects.filter(requested_by=user)
    if (
        memberships.filter(status=Membership.Status.REQUESTED).exists()
        or registrations.filter(status=CompanyRegistration.Status.REQUESTED).exists()
    ):
        return "pending"
    if (
        memberships.filter(status=Membership.Status.REFUSED).exists()
        or registrations.filter(status=CompanyRegistration.Status.REFUSED).exists()
    ):
        return "refused"
    return "none"


def pending_registrations() -> QuerySet[CompanyRegistration]:
    return (
        CompanyRegistration.objects.filter(status=CompanyRegistration.Status.REQUESTED)
        .select_related("requested_by")
        .order_by("requested_at", "id")
    )


def pending_memberships(company: Company | None = None) -> QuerySet[Membership]:
    qs = Membership.objects.filter(status=Membership.Status.REQUESTED).select_related("user", "company")
    if company is not None:
        qs = qs.filter(company=company)
    return qs.order_by("requested_at", "id")


def confirmed_members(company: Company) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(company=company, status=Membership.Status.CONFIRMED)
        .select_related("user")
        .order_by(F("decided_at").asc(nulls_first=True), "pk")
    )
