from django import forms
from django.utils.translation import gettext_lazy as _


class ReportForm(forms.Form):
    file = forms.FileField(
        label=_("选择文件"),
        error_messages={"required": _("请选择要上传的文件。"), "empty": _("文件是空的，请重新选择。")},
    )
    note = forms.CharField(
        label=_("说明（可选）"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("可简要说明材料内容，或对退回意见的修改情况。"),
    )


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("审核结果"),
        choices=[("accept", _("通过")), ("return", _("退回修改"))],
        widget=forms.RadioSelect,
        error_messages={"required": _("请选择“通过”或“退回修改”。")},
    )
    reason = forms.CharField(
        label=_("审核意见"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("退回时必须写明理由，企业将看到这段意见。"),
    )

    def clean(self):
        data = super().clean()
        if data.get("decision") == "return" and not (data.get("reason") or "").strip():
            self.add_error("reason", _("退回时必须写明理由，告诉企业需要怎样修改或补充。"))
        return data


class ForwardForm(forms.Form):
    note = forms.CharField(
        label=_("审定意见（可选）"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class DismissForm(forms.Form):
    reason = forms.CharField(
        label=_("不予追回的理由"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("不予追回时必须写明理由。")},
    )
