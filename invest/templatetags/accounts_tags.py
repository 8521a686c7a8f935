from django import template

from invest.accounts.services import can_manage_accounts as _can_manage_accounts

register = template.Library()


@register.filter
def can_manage_accounts(user) -> bool:
    """Whether the navigation shows 办公账户 (managers and the superuser)."""
    return _can_manage_accounts(user)[0]
