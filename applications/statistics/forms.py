from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from applications.workdays import today
from companies.models import Industry

from .queries import Filters


class StatisticsFilterForm(forms.Form):
    """The page's and the export's filters; choices from the data (years of the rounds, items, rounds,
    districts of registration), each a short query."""

    year = forms.TypedChoiceField(label=_("年度"), coerce=int, required=False)
    item = forms.ChoiceField(label=_("扶持事项"), required=False)
    round = forms.TypedChoiceField(label=_("申报批次"), coerce=int, required=False, empty_value=None)
    district = forms.ChoiceField(label=_("注册区县"), required=False)
    industry = forms.ChoiceField(label=_("企业类型"), required=False)

    def __init__(self, *args, **kwargs):
        from companies.models import Company
        from policies.models import Round, SupportItem

        super().__init__(*args, **kwargs)
        this_year = today().year
        years = set(Round.objects.values_list("year", flat=True).distinct()) | {this_year, this_year - 1}
        self.fields["year"].choices = [(y, str(y)) for y in sorted(years, reverse=True)]
        self.fields["year"].initial = this_year
        self.fields["item"].choices = [("", _("全部事项"))] + [
            (code, f"{code} {name}") for code, name in SupportItem.objects.order_by("code").values_list("code", "name")
        ]
        self.fields["round"].choices = [("", _("全部批次"))] + [
            (pk, f"{year} {name}")
            for pk, year, name in Round.objects.order_by("-year", "name").values_list("pk", "year", "name")
        ]
        districts = (
            Company.objects.exclude(registration_district="")
            .order_by("registration_district")
            .values_list("registration_district", flat=True)
            .distinct()
        )
        self.fields["district"].choices = [("", _("全部区县"))] + [(d, d) for d in districts]
        self.fields["industry"].choices = [("", _("全部类型")), *Industry.choices]

    def filters(self) -> Filters:
        """The filters chosen; a value not offered is left out (the current year for the year)."""
        if not self.is_bound:
            return Filters(year=today().year)
        self.is_valid()  # cleaned_data keeps the fields that are valid
        data = self.cleaned_data
        return Filters(
            year=data.get("year") or today().year,
            item=data.get("item") or "",
            round=data.get("round") or None,
            district=data.get("district") or "",
            industry=data.get("industry") or "",
        )
