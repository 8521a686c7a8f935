"""Template context for the navigation: which portal areas the signed-in user may open."""

from __future__ import annotations

from django.http import HttpRequest

from invest.roles import has_role

from .selectors import DASHBOARD_ROLES, WORKBENCH_ROLES


def portal(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    return {
        "portal_nav": {
            "applicant": bool(user) and has_role(user, "applicant"),
            "workbench": bool(user) and has_role(user, *WORKBENCH_ROLES),
            "dashboard": bool(user) and has_role(user, *DASHBOARD_ROLES),
        }
    }
