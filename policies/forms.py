"""The calculator form, built from the typed variable table so every fact a rule may read can be entered."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from invest.widgets import HtmlDateInput

from .variables import BOOLEAN, CHOICE, DATE, NUMBER, REGISTRY, VARIABLES, validate_number

_BOOLEAN_CHOICES = (("", _("未填写")), ("true", _("是")), ("false", _("否")))


def _form_field(variable) -> forms.Field:
    label = f"{variable.label}（{variable.unit}）" if variable.unit else str(variable.label)
    if variable.type == NUMBER:
        return forms.DecimalField(
            label=label,
            required=False,
            min_value=0,
            max_digits=18,
            decimal_places=2,
            validators=[validate_number(variable.key)],
        )
    if variable.type == BOOLEAN:
        return forms.TypedChoiceField(label=label, required=False, choices=_BOOLEAN_CHOICES, empty_value=None)
    if variable.type == DATE:
        return forms.DateField(label=label, required=False, widget=HtmlDateInput())
    if variable.type == CHOICE:
        return forms.ChoiceField(label=label, required=False, choices=(("", _("未填写")), *variable.choices))
    return forms.CharField(label=label, required=False, max_length=50)


class CalculatorForm(forms.Form):
    """Registry facts (pre-filled for a company user) and project facts."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for key, variable in VARIABLES.items():
            if key == "banned_until":
                continue  # a ban is judged by the office from the registry, not by what a visitor types
            self.fields[key] = _form_field(variable)

    def registry_fields(self):
        return [self[key] for key, v in VARIABLES.items() if v.source == REGISTRY and key in self.fields]

    def project_fields(self):
        return [self[key] for key, v in VARIABLES.items() if v.source != REGISTRY and key in self.fields]

    def facts(self) -> dict:
        """The entered facts, leaving out what was not entered (so it reads as not given)."""
        data = {}
        for key, value in self.cleaned_data.items():
            if value in (None, ""):
                continue
            data[key] = value
        return data
