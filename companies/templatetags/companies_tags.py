from django import template

from companies.services import can_manage_memberships as _can_manage

register = template.Library()


@register.filter
def can_manage_memberships(user) -> bool:
    return _can_manage(user)
