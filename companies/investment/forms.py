"""Forms of the lead page, one per transition, built from workflow.TRANSITIONS so the page follows the table."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from invest.widgets import HtmlDateInput

from . import workflow
from .models import PromotionEvent


def _date_field(label):
    return forms.DateField(
        label=label, required=False, widget=HtmlDateInput(), help_text=_("不填为今天。")
    )


def transition_form_class(spec: workflow.LeadTransition) -> type[forms.Form]:
    """The fields each transition asks for, in the place where it is performed."""
    attrs: dict[str, forms.Field] = {}
    if spec.key == "contact":
        attrs["on"] = _date_field(_("接洽日期"))
    if spec.key == "sign_agreement":
        attrs["committed_investment"] = forms.DecimalField(
            label=_("承诺投资额（元）"), min_value=0, decimal_places=2, max_digits=16
        )
        attrs["signed_on"] = _date_field(_("签约日期"))
        attrs["number"] = forms.CharField(label=_("协议编号"), required=False, max_length=60)
        attrs["support_items"] = forms.CharField(
            label=_("承诺兑现的扶持项目编码"),
            required=False,
            help_text=_("多个编码用逗号或空格分隔，例如 JJ-FILM-02, JJ-FILM-03。"),
        )
        attrs["terms"] = forms.CharField(
            label=_("一企一策条款"), required=False, widget=forms.Textarea(attrs={"rows": 3})
        )
    if spec.key == "settle":
        attrs["credit_code"] = forms.CharField(
            label=_("统一社会信用代码"), required=False, max_length=40, help_text=_("已在线索中登记的可不填。")
        )
        attrs["on"] = _date_field(_("落地日期"))
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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].widget.attrs["placeholder"] = str(timezone.localdate().year)
