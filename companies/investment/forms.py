"""Forms of the lead page, one per transition, built from workflow.TRANSITIONS so the page follows the table."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from invest.widgets import HtmlDateInput

from . import workflow
from .models import FollowUp, Milestone, PromotionEvent


def _field(spec: workflow.LeadInput) -> forms.Field:
    if spec.kind == "date":
        return forms.DateField(
            label=spec.label, required=spec.required, widget=HtmlDateInput(), help_text=spec.help or _("不填为今天。")
        )
    if spec.kind == "amount":
        return forms.DecimalField(
            label=spec.label, required=spec.required, min_value=0, decimal_places=2, max_digits=16, help_text=spec.help
        )
    widget = forms.Textarea(attrs={"rows": 3}) if spec.kind == "long_text" else None
    return forms.CharField(
        label=spec.label, required=spec.required, max_length=spec.max_length, help_text=spec.help, widget=widget
    )


def transition_form_class(spec: workflow.LeadTransition) -> type[forms.Form]:
    """The form of one step, built from the table's inputs of that step, so the page follows the table."""
    attrs: dict[str, forms.Field] = {i.name: _field(i) for i in spec.inputs}
    if spec.comment_required:
        attrs["reason"] = forms.CharField(label=_("原因"), widget=forms.Textarea(attrs={"rows": 3}))
    else:
        attrs["comment"] = forms.CharField(label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    attrs["transition"] = forms.CharField(widget=forms.HiddenInput, initial=spec.key)
    attrs["state_seen"] = forms.CharField(widget=forms.HiddenInput)
    return type(f"{spec.key.title()}Form", (forms.Form,), attrs)


# The field a service refusal belongs to, so the message appears next to it.
FIELD_OF_CODE = {
    "missing_reason": "reason",
    "missing_credit_code": "credit_code",
    "invalid_credit_code": "credit_code",
    "missing_committed_investment": "committed_investment",
    "invalid_amount": "committed_investment",
    "invalid_item_code": "support_items",
    "duplicate_item_code": "support_items",
}


def split_codes(text: str) -> list[str]:
    return [c for c in text.replace("，", ",").replace("、", ",").replace(",", " ").split() if c]


class PipelineFilter(forms.Form):
    event = forms.ModelChoiceField(
        label=_("来源活动"), queryset=PromotionEvent.objects.all(), required=False, empty_label=_("全部活动")
    )
    year = forms.IntegerField(label=_("活动年度"), required=False, min_value=2000, max_value=2100)
    mine = forms.BooleanField(label=_("只看我跟进的"), required=False)
    overdue = forms.BooleanField(label=_("只看响应超时的"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].widget.attrs["placeholder"] = str(timezone.localdate().year)


class FollowUpForm(forms.Form):
    kind = forms.ChoiceField(label=_("方式"), choices=FollowUp.Kind.choices)
    on = forms.DateField(label=_("日期"), required=False, widget=HtmlDateInput(), help_text=_("不填为今天。"))
    people = forms.CharField(
        label=_("参加人员"),
        required=False,
        max_length=300,
        help_text=_("双方参加的人员，如 张三（区文旅委）、李四（企业总经理）。"),
    )
    notes = forms.CharField(
        label=_("情况记录"),
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("请写明跟进情况，例如谈了什么、对方有什么诉求、下一步怎么做。")},
    )


class MilestonePlanForm(forms.Form):
    kind = forms.ChoiceField(label=_("里程碑"), choices=Milestone.Kind.choices)
    planned_on = forms.DateField(
        label=_("约定日期"), widget=HtmlDateInput(), error_messages={"required": _("请填写协议约定的日期。")}
    )
    planned_amount = forms.DecimalField(
        label=_("约定到资金额（元）"),
        required=False,
        min_value=0,
        decimal_places=2,
        max_digits=16,
        help_text=_("到资填写；开工、投产不填。"),
    )
    note = forms.CharField(label=_("说明"), required=False, max_length=300)


class MilestoneReachForm(forms.Form):
    reached_on = forms.DateField(
        label=_("实际完成日期"), required=False, widget=HtmlDateInput(), help_text=_("不填为今天。")
    )
    amount = forms.DecimalField(
        label=_("实际到资金额（元）"), required=False, min_value=0, decimal_places=2, max_digits=16
    )
