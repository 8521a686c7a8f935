"""Template helpers of the investment pages; `{% investment_history company %}` is for the company page."""

from __future__ import annotations

from django import template

from invest import money

from .. import selectors
from ..services import can_manage

register = template.Library()


# 1234567.5 → 1,234,567.50: thousands separators, two decimals, no float on the way.
register.filter("yuan", money.yuan)


@register.filter
def is_investment_manager(user) -> bool:
    return can_manage(user)


@register.inclusion_tag("investment/includes/company_history.html", takes_context=True)
def investment_history(context, company):
    """The investment story of a company, shown to managers only (it names owners and terms)."""
    user = context.get("user") or getattr(context.get("request"), "user", None)
    if not can_manage(user):
        return {"history": None}
    return {"history": selectors.company_history(company)}
