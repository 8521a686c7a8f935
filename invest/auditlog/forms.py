"""The audit viewer's filter (GET): object, actor, action, date range. A mistake is reported beside its field."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from . import selectors

DATE_ERRORS = {"invalid": gettext_lazy("请按“2026-03-15”的格式填写日期。")}


class AuditFilterForm(forms.Form):
    target_type = forms.ChoiceField(label=gettext_lazy("对象类型"), required=False)
    target = forms.CharField(
        label=gettext_lazy("对象编号或案件编号"),
        required=False,
        max_length=64,
        help_text=gettext_lazy("如 JJYS-2026-00012，或所选类型的记录编号"),
    )
    actor = forms.CharField(
        label=gettext_lazy("操作人"),
        required=False,
        max_length=150,
        help_text=gettext_lazy("用户名或姓名；填“系统”只看系统自动记录的"),
    )
    action = forms.ChoiceField(label=pgettext_lazy("action", "事项"), required=False)
    date_from = forms.DateField(
        label=gettext_lazy("开始日期"),
        required=False,
        error_messages=DATE_ERRORS,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    date_to = forms.DateField(
        label=gettext_lazy("结束日期"),
        required=False,
        error_messages=DATE_ERRORS,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=gettext_lazy("含当天，北京时间"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        invalid = _("没有这一项，请从列表中选择。")
        self.fields["target_type"].choices = [("", _("全部类型"))] + selectors.type_choices()
        self.fields["target_type"].error_messages["invalid_choice"] = invalid
        self.fields["action"].choices = [("", _("全部事项"))] + selectors.action_choices()
        self.fields["action"].error_messages["invalid_choice"] = invalid
        for name, field in self.fields.items():
            if field.help_text:
                field.widget.attrs["aria-describedby"] = f"id_{name}_helptext"

    def full_clean(self):
        super().full_clean()
        # Mark the fields found wrong in clean() too (aria-invalid, the error described).
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["aria-invalid"] = "true"
                ids = [f"id_{name}_helptext"] if self.fields[name].help_text else []
                widget.attrs["aria-describedby"] = " ".join([*ids, f"id_{name}_error"])

    def clean(self):
        data = super().clean()
        filters = selectors.Filters(action=data.get("action") or "")
        target_type, target = data.get("target_type") or "", (data.get("target") or "").strip()
        if target:
            case = selectors.find_case(target) if target_type in ("", selectors.APPLICATION) else None
            if case is not None:
                target_type, target = selectors.APPLICATION, str(case)
            elif target_type == selectors.APPLICATION and not target.isdigit():
                self.add_error("target", _("没有案件编号为“%(n)s”的案件，请核对后再试。") % {"n": target})
        filters.target_type, filters.target_id = target_type, target
        actor = (data.get("actor") or "").strip()
        if actor == _("系统"):
            filters.system_only = True
        elif actor:
            filters.actor_ids = selectors.find_actors(actor)
            if not filters.actor_ids:
                self.add_error("actor", _("没有用户名或姓名为“%(a)s”的账户，请核对后再试。") % {"a": actor})
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("结束日期不能早于开始日期。"))
        filters.date_from, filters.date_to = start, end
        self.filters = filters
        return data
