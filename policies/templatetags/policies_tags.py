from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def money(value) -> str:
    """1234567.5 → 1,234,567.50: amounts with thousands separators and two decimals."""
    if value in (None, ""):
        return ""
    return f"{Decimal(value):,.2f}"
