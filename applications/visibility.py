"""Who sees which case: the one definition, used by the pages, the API, the documents and the permission
predicates (applications.rules), so the security rule cannot drift between them.

A user sees a case in one of three capacities, and with several roles sees what each lets them see:
- OFFICE: the office roles that work on every case (invest.roles.ALL_CASES_ROLES) see every case, drafts too;
- EXPERT: experts see the cases assigned to them, until they declare a conflict of interest (recused); before
  their declaration of no conflict they see only the case's summary, not its facts and materials
  (may_open_details);
- APPLICANT: applicants see the cases of the companies they are a confirmed member of
  (companies.selectors.member_company_ids), and must hold the `applicant` group, which follows confirmed
  memberships (companies.services).
Pages that serve one audience ask for its capacities only: the workbench for OFFICE and EXPERT (an expert
who is also a company member does not get their company's cases on the office page), the applicant's pages
for APPLICANT.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from companies.selectors import member_company_ids
from invest.roles import ALL_CASES_ROLES, OFFICE_ROLES, has_role

from .models import Application, ExpertAssignment

OFFICE, EXPERT, APPLICANT = "office", "expert", "applicant"
EVERY_CAPACITY = frozenset((OFFICE, EXPERT, APPLICANT))


def _visible(user, capacities: frozenset[str]) -> Q | None:
    """The condition on the cases this user sees in these capacities; None for every case."""
    if not getattr(user, "is_authenticated", False):
        return Q(pk__in=[])
    if OFFICE in capacities and has_role(user, *ALL_CASES_ROLES):
        return None
    visible = Q(pk__in=[])
    if APPLICANT in capacities and has_role(user, "applicant"):
        visible |= Q(company_id__in=member_company_ids(user))
    if EXPERT in capacities and has_role(user, "expert"):
        visible |= Q(
            pk__in=ExpertAssignment.objects.filter(expert=user, recused_at__isnull=True).values("application_id")
        )
    return visible


def cases_visible_to(user, capacities: frozenset[str] = EVERY_CAPACITY) -> QuerySet[Application]:
    """Every case this user may open (in the given capacities; all by default)."""
    condition = _visible(user, frozenset(capacities))
    return Application.objects.all() if condition is None else Application.objects.filter(condition)


def sees_every_case(user) -> bool:
    """Whether the user sees every case (the office roles of ALL_CASES_ROLES)."""
    return _visible(user, frozenset({OFFICE})) is None


def sees_review_internals(user) -> bool:
    """Whether the case timeline the user reads includes the expert review's internals (assignments, opinions):
    every office role, experts too, as on the staff case page; applicants and the public read without them."""
    return has_role(user, *OFFICE_ROLES)


def may_see_case(user, application: Application | None, capacities: frozenset[str] = EVERY_CAPACITY) -> bool:
    """Whether `application` is one of cases_visible_to(user, capacities); no query for the office."""
    if application is None:
        return False
    condition = _visible(user, frozenset(capacities))
    return condition is None or Application.objects.filter(condition, pk=application.pk).exists()


def declaration_pending(user, application: Application | None) -> bool:
    """Whether the user sees this case only as an expert who has not yet declared no conflict of interest: they
    see its summary (company, item, title) and the declaration form, not its facts, materials or documents."""
    if application is None or not getattr(user, "is_authenticated", False):
        return False
    if sees_every_case(user) or may_see_case(user, application, frozenset({APPLICANT})):
        return False
    return (
        ExpertAssignment.objects.filter(application=application, expert=user, recused_at__isnull=True)
        .exclude(declaration=ExpertAssignment.Declaration.NONE)
        .exists()
    )


def may_open_details(user, application: Application | None) -> bool:
    """Whether the user may open the case's facts, materials and documents: whoever sees the case, except an
    expert before their declaration of no conflict of interest (declaration_pending)."""
    return may_see_case(user, application) and not declaration_pending(user, application)
