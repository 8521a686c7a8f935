"""Template context for the navigation: which portal areas the signed-in user may open."""

from __future__ import annotations

from django.http import HttpRequest

from applications import workflow
from invest.roles import ADMIN_ROLES, AUDIT_LOG_ROLES, DASHBOARD_ROLES, OFFICE_ROLES, STATISTICS_ROLES, has_role


def portal(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    return {
        "portal_nav": {
            "applicant": bool(user) and has_role(user, "applicant"),
            "workbench": bool(user) and has_role(user, *OFFICE_ROLES),
            "dashboard": bool(user) and has_role(user, *DASHBOARD_ROLES),
            "statistics": bool(user) and has_role(user, *STATISTICS_ROLES),
            "audit_log": bool(user) and has_role(user, *AUDIT_LOG_ROLES),
            # The Django admin (policies, rounds, registry, calendar): managers, auditors and superusers.
            "admin": bool(user) and (has_role(user, *ADMIN_ROLES) or bool(getattr(user, "is_superuser", False))),
        },
        # The numbers the pages' texts quote, from the workflow table (not typed into the templates).
        "deadline_days": workflow.DEADLINE_DAYS,
        "ban_years": workflow.BAN_YEARS,
    }
