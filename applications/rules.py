"""Object permissions on cases, derived from the workflow table (django-rules).

Loaded by rules' AutodiscoverRulesConfig. Each transition gets a permission
``applications.transition_<key>``; its predicate is "has one of the table's roles for it", and for the
applicant role also "is a confirmed member of the case's company". Viewing: staff roles see every case,
experts only the cases assigned to them, applicants only their own company's.

Superusers get no extra powers here: ``may_take`` tests the predicates directly, not ``user.has_perm``,
so an administrator account cannot approve a subsidy by accident.
"""

from __future__ import annotations

import rules

from companies.models import Membership
from invest.roles import ALL_CASES_ROLES, has_role

from . import workflow


@rules.predicate
def is_company_member(user, application) -> bool:
    if application is None or not getattr(user, "is_authenticated", False):
        return False
    return (
        has_role(user, "applicant")
        and Membership.objects.filter(
            user=user, company_id=application.company_id, status=Membership.Status.CONFIRMED
        ).exists()
    )


@rules.predicate
def is_assigned_expert(user, application) -> bool:
    if application is None or not getattr(user, "is_authenticated", False):
        return False
    return has_role(user, "expert") and application.expert_assignments.filter(expert=user).exists()


@rules.predicate
def is_staff_role(user) -> bool:
    return getattr(user, "is_authenticated", False) and has_role(user, *ALL_CASES_ROLES)


def _role_predicate(role: str):
    if role == "applicant":
        return is_company_member
    if role == "expert":
        return is_assigned_expert
    if role == workflow.PUBLIC:
        return rules.always_allow
    if role == workflow.SYSTEM:
        return rules.predicate(lambda user: user is None, name="is_system")
    return _has_role_predicate(role)


def _has_role_predicate(role: str):
    def check(user) -> bool:
        return getattr(user, "is_authenticated", False) and has_role(user, role)

    return rules.predicate(check, name=f"has_role_{role}")


def _transition_predicate(spec: workflow.Transition):
    predicate = rules.always_deny
    for i, role in enumerate(spec.roles):
        predicate = _role_predicate(role) if i == 0 else predicate | _role_predicate(role)
    return predicate


TRANSITION_PREDICATES = {t.key: _transition_predicate(t) for t in workflow.TRANSITIONS}

can_view_application = is_staff_role | is_company_member | is_assigned_expert

rules.add_perm("applications.view_application", can_view_application)
for _key, _predicate in TRANSITION_PREDICATES.items():
    rules.add_perm(f"applications.transition_{_key}", _predicate)


def may_take(user, application, key: str) -> bool:
    """Whether the table lets this user take this transition on this case (stage not considered)."""
    return bool(TRANSITION_PREDICATES[key].test(user, application))


def may_view(user, application) -> bool:
    return bool(can_view_application.test(user, application))
