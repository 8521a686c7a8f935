from django import template

from invest.money import yuan

register = template.Library()


@register.filter
def money(value) -> str:
    """1234567.5 → 1,234,567.50: amounts with thousands separators and two decimals; nothing for no value."""
    return yuan(value, empty="")


@register.filter
def spec_label(spec) -> str:
    """A material's or form field's label in the active language (policies.texts.spec_label)."""
    from policies.texts import spec_label as label

    return label(spec) if isinstance(spec, dict) else ""
