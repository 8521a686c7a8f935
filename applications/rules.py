"""Object permissions on cases, derived from the workflow table (django-rules).

Loaded by rules' AutodiscoverRulesConfig. Each transition gets a permission
``applications.transition_<key>``; its predicate is "has one of the table's roles for it", and for the
applicant role also "is a confirmed member of the case's company" and for the expert role "is assigned to the
case". Role checks are django-rules' ``is_group_member``; membership is companies.selectors.member_company_ids
and viewing is applications.visibility (the one definition of who sees which case).

Superusers get no extra powers here: ``may_take`` tests the predicates directly, not ``user.has_perm``,
so an administrator account cannot approve a subsidy by accident.
"""

from __future__ import annotations

import rules

from companies.selectors import member_company_ids

from . import workflow
from .visibility import EXPERT, may_see_case


@rules.predicate
def is_company_member(user, application) -> bool:
    return application is not None and application.company_id in member_company_ids(user)


@rules.predicate
def is_assigned(user, application) -> bool:
    return may_see_case(user, application, frozenset({EXPERT}))


def _role_predicate(role: str):
    if role == "applicant":
        return rules.is_group_member("applicant") & is_company_member
    if role == "expert":
        return is_assigned  # holding the expert group is part of being assigned (applications.visibility)
    if role == workflow.PUBLIC:
        return rules.always_allow
    if role == workflow.SYSTEM:
        return rules.predicate(lambda user: user is None, name="is_system")
    return rules.is_group_member(role)


def _transition_predicate(spec: workflow.Transition):
    predicate = rules.always_deny
    for i, role in enumerate(spec.roles):
        predicate = _role_predicate(role) if i == 0 else predicate | _role_predicate(role)
    return predicate


TRANSITION_PREDICATES = {t.key: _transition_predicate(t) for t in workflow.TRANSITIONS}


@rules.predicate
def can_view_application(user, application) -> bool:
    return may_see_case(user, application)


rules.add_perm("applications.view_application", can_view_application)
for _key, _predicate in TRANSITION_PREDICATES.items():
    rules.add_perm(f"applications.transition_{_key}", _predicate)


def may_take(user, application, key: str) -> bool:
    """Whether the table lets this user take this transition on this case (stage not considered)."""
    return bool(TRANSITION_PREDICATES[key].test(user, application))


def may_view(user, application) -> bool:
    return bool(can_view_application.test(user, application))
