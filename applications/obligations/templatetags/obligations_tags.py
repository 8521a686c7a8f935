from django import template

from ..selectors import case_obligations

register = template.Library()


@register.inclusion_tag("obligations/includes/case_obligations.html")
def case_obligations_panel(application, office: bool = False):
    """The case's obligations, for the applicant's and the office's case page."""
    proposals = list(application.clawback_proposals.select_related("obligation")) if office else []
    return {
        "application": application,
        "obligations": case_obligations(application),
        "office": office,
        "proposals": proposals,
    }


@register.filter
def sees_obligations_office(user) -> bool:
    """Whether the navigation shows 履约管理 (the office roles that see every case)."""
    from invest.roles import ALL_CASES_ROLES, has_role

    return has_role(user, *ALL_CASES_ROLES)
