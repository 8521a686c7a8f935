"""Forms of the portal. The application form is built from the item's own field definitions (form_fields),
so a manager who adds a field to an item adds it to the form; nothing here knows an item by its code."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from applications import workflow
from applications.models import CorrectionItem, ExpertAssignment
from invest.money import figures, parse, to_fen, yuan
from invest.roles import holders
from invest.widgets import HtmlDateInput
from policies.texts import spec_label
from policies.variables import VARIABLES, validate_number

UPLOAD_EXTENSIONS = {
    "pdf": [".pdf"],
    "jpeg": [".jpg", ".jpeg"],
    "png": [".png"],
    "ofd": [".ofd"],
    "docx": [".docx"],
    "xlsx": [".xlsx"],
}
KIND_LABELS = {"pdf": "PDF", "jpeg": "JPG", "png": "PNG", "ofd": "OFD", "docx": "Word", "xlsx": "Excel"}


def parse_number(value: Any) -> Decimal | None:
    """Numbers as people type them: 1,234,567.8 / １２３４ / ' 500000 ' → Decimal (never float), read by
    invest.money.parse."""
    try:
        return parse(value)
    except ValueError:
        raise forms.ValidationError(_("请填写数字，例如 1,200,000 或 1200000.50。"), code="invalid")


class NumberInput(forms.TextInput):
    """A text box (not type=number) so thousands separators can be shown while typing."""

    input_type = "text"

    def __init__(self, attrs=None):
        super().__init__({"inputmode": "decimal", "autocomplete": "off", **(attrs or {})})


class DecimalTextField(forms.CharField):
    widget = NumberInput

    def __init__(self, *args, money: bool = False, **kwargs):
        self.money = money
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        number = parse_number(value)
        if number is None:
            return None
        if number < 0:
            raise forms.ValidationError(_("不能为负数，请填写 0 或更大的数。"), code="negative")
        if self.money:
            number = to_fen(number)
        return number

    def prepare_value(self, value):
        if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
            value = Decimal(str(value))
            if self.money:
                return figures(value)
            return f"{value:,}" if value == value.to_integral_value() else f"{value:,f}"
        return value

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        if self.money:
            attrs["data-money"] = "1"
        return attrs


YES_NO = (("", _("请选择")), ("true", _("是")), ("false", _("否")))


def _field_for(spec: dict[str, Any]) -> forms.Field:
    key, kind = spec["key"], spec.get("type", "text")
    label = spec_label(spec) or (VARIABLES[key].label if key in VARIABLES else key)
    unit = spec.get("unit") or ""
    required = bool(spec.get("required"))
    if kind == "number":
        field: forms.Field = DecimalTextField(
            label=label, required=required, money=unit == "元", validators=[validate_number(key)]
        )
        if unit:
            # The unit is printed after the box; screen readers hear it as the field's description.
            field.widget.attrs["aria-describedby"] = f"id_{key}_unit"
    elif kind == "boolean":
        field = forms.TypedChoiceField(
            label=label,
            choices=YES_NO,
            required=required,
            coerce=lambda v: v == "true",
            empty_value=None,
        )
    elif kind == "choice":
        choices = list(VARIABLES[key].choices) if key in VARIABLES else list(spec.get("choices") or [])
        field = forms.ChoiceField(label=label, choices=[("", _("请选择")), *choices], required=required)
    elif kind == "date":
        field = forms.DateField(label=label, required=required, widget=HtmlDateInput())
    else:
        field = forms.CharField(label=label, required=required, max_length=200)
    field.unit = unit
    field.fact_key = key
    return field


def facts_to_initial(item, facts: dict[str, Any]) -> dict[str, Any]:
    initial = {}
    for spec in item.form_fields or []:
        value = facts.get(spec["key"])
        if value is None:
            continue
        if spec.get("type") == "boolean":
            initial[spec["key"]] = "true" if value in (True, "true", "True", 1, "1") else "false"
        elif spec.get("type") == "number":
            try:
                initial[spec["key"]] = Decimal(str(value))
            except InvalidOperation:
                initial[spec["key"]] = value
        else:
            initial[spec["key"]] = value
    return initial


class ApplicationForm(forms.Form):
    """Project title plus one field per item form field. ``editable`` limits which facts may change (during
    a correction only those the notice lists)."""

    project_title = forms.CharField(
        label=_("项目/作品名称"),
        max_length=200,
        help_text=_("与备案或立项文件上的名称一致，例如 电影《江津往事》"),
        error_messages={"required": _("请填写项目或作品名称。")},
    )

    def __init__(self, *args, item, editable: set[str] | None = None, title_editable: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.item = item
        self.fact_keys: list[str] = []
        for spec in item.form_fields or []:
            field = _field_for(spec)
            if field.required:
                field.error_messages["required"] = _("请填写“%(label)s”。") % {"label": field.label}
            if editable is not None and spec["key"] not in editable:
                field.disabled = True
                field.required = False
            self.fields[spec["key"]] = field
            self.fact_keys.append(spec["key"])
        if not title_editable:
            self.fields["project_title"].disabled = True
            self.fields["project_title"].required = False

    def fact_fields(self):
        return [self[key] for key in self.fact_keys]

    def facts(self, *, only_enabled: bool = True) -> dict[str, Any]:
        """Cleaned facts as JSON-able values (Decimals as plain strings, no separators)."""
        out = {}
        for key in self.fact_keys:
            if only_enabled and self.fields[key].disabled:
                continue
            value = self.cleaned_data.get(key)
            if isinstance(value, Decimal):
                value = format(value, "f")
            elif hasattr(value, "isoformat"):
                value = value.isoformat()
            out[key] = value
        return out


class StartForm(forms.Form):
    """Which company applies (only asked when the user belongs to more than one) and which round."""

    company = forms.ModelChoiceField(label=_("申报单位"), queryset=None, empty_label=None)
    round = forms.ModelChoiceField(label=_("申报批次"), queryset=None, empty_label=None)

    def __init__(self, *args, companies, rounds, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["company"].queryset = companies
        self.fields["round"].queryset = rounds


def accept_attribute(accepted_types: list[str]) -> str:
    exts = [e for kind in accepted_types or UPLOAD_EXTENSIONS for e in UPLOAD_EXTENSIONS.get(kind, [])]
    return ",".join(exts)


class MaterialForm(forms.Form):
    file = forms.FileField(
        label=_("选择文件"),
        error_messages={"required": _("请选择要上传的文件。"), "empty": _("文件是空的，请重新选择。")},
    )


class SubmitForm(forms.Form):
    pledge = forms.BooleanField(
        label=workflow.counted(
            _(
                "本单位承诺：所填信息和所附材料真实、准确、完整，如有虚假，自愿承担相应法律责任，并接受追回资金、%(years)s年内禁止申报的处理。"
            ),
            years=workflow.BAN_YEARS,
        ),
        error_messages={"required": _("请阅读并勾选诚信承诺，再提交申报。")},
    )


class ConfirmForm(forms.Form):
    comment = forms.CharField(label=_("说明（可选）"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


def _text_field(form: TransitionForm, inp: workflow.Input) -> forms.Field:
    return forms.CharField(label=inp.label, required=inp.required, widget=forms.Textarea(attrs={"rows": 3}))


def _line_field(form: TransitionForm, inp: workflow.Input) -> forms.Field:
    return forms.CharField(label=inp.label, required=inp.required, max_length=inp.max_length)


def _amount_field(form: TransitionForm, inp: workflow.Input) -> forms.Field:
    initial = getattr(form.application, inp.initial) if inp.initial else None
    return DecimalTextField(label=inp.label, money=True, required=inp.required, initial=initial)


def _date_field(form: TransitionForm, inp: workflow.Input) -> forms.Field:
    return forms.DateField(label=inp.label, required=inp.required, widget=HtmlDateInput())


def _correction_items_field(form: TransitionForm, inp: workflow.Input) -> forms.Field:
    """The materials and facts of the case's item to tick, each with its own reason typed beside its checkbox:
    the notice lists each item with its own reason."""
    item = form.application.item
    choices = [(f"material:{m['key']}", m.get("label") or m["key"]) for m in item.materials or []]
    choices += [
        (f"fact:{f['key']}", _("申报数据：%(label)s") % {"label": f.get("label") or f["key"]})
        for f in item.form_fields or []
    ]
    field = forms.MultipleChoiceField(
        label=inp.label, choices=choices, required=inp.required, widget=forms.CheckboxSelectMultiple
    )
    form.fields[inp.name] = field  # before the reasons, so the form reads in order
    for value, label in choices:
        name = "note-" + value.replace(":", "-")
        form.fields[name] = forms.CharField(
            label=_("“%(label)s”的补正要求") % {"label": label},
            required=False,
            max_length=500,
            help_text=_("写明缺什么或哪里有误、怎样补正，例如：扫描件不清晰，请重新上传加盖公章的彩色扫描件。"),
        )
        form.item_notes.append((value, name, str(label)))
    return field


#: The web form field of each kind of workflow.Input (the API's are in applications.api.serializers).
FIELD_BUILDERS = {
    "text": _text_field,
    "line": _line_field,
    "amount": _amount_field,
    "date": _date_field,
    "correction_items": _correction_items_field,
}


class TransitionForm(forms.Form):
    """The fields one transition needs: its inputs as its row of the workflow table declares them."""

    def __init__(self, *args, spec: workflow.Transition, application, **kwargs):
        super().__init__(*args, **kwargs)
        self.spec = spec
        self.application = application
        self.auto_id = f"t-{spec.key}-%s"
        #: (checkbox value, reason field name, label) of a correction request's items.
        self.item_notes: list[tuple[str, str, str]] = []
        for inp in spec.all_inputs:
            field = FIELD_BUILDERS[inp.kind](self, inp)
            if inp.help:
                field.help_text = inp.help
            field.error_messages.update(inp.messages)
            self.fields[inp.name] = field

    def note_fields(self):
        """(checkbox value, its reason field) of a correction request, for the template to pair them."""
        return [(value, label, self[name]) for value, name, label in self.item_notes]

    def clean(self):
        data = super().clean()
        for value, name, label in self.item_notes:
            if value in (data.get("items") or []) and not (data.get(name) or "").strip():
                self.add_error(name, _("请写明“%(label)s”需要怎样补正。") % {"label": label})
        for inp in self.spec.all_inputs:
            if not inp.reason_below:
                continue
            amount, threshold = data.get(inp.name), getattr(self.application, inp.reason_below)
            if amount is not None and threshold is not None and amount < threshold and not data.get("comment"):
                self.add_error(
                    "comment", inp.reason_below_message % {"amount": yuan(amount), "computed": yuan(threshold)}
                )
        return data

    def service_data(self) -> dict[str, Any]:
        """The inputs as services.perform takes them; an input left empty is not passed (its default applies)."""
        data = {k: v for k, v in self.cleaned_data.items() if not k.startswith("note-") and v is not None}
        if "items" in data:
            notes = {value: (self.cleaned_data.get(name) or "").strip() for value, name, _label in self.item_notes}
            data["items"] = [
                {
                    "kind": value.split(":", 1)[0],
                    "key": value.split(":", 1)[1],
                    "problem": CorrectionItem.Problem.FAULTY,
                    "note": notes.get(value, "")[:500],
                }
                for value in data["items"]
            ]
        return data


class DeclarationForm(forms.Form):
    """The expert's conflict-of-interest declaration (利益冲突声明), before the case's materials open."""

    declaration = forms.ChoiceField(
        label=_("利益冲突声明"),
        choices=ExpertAssignment.Declaration.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("请选择“无利益冲突”或“存在利益冲突”。")},
        help_text=_("与申报单位存在任职、投资、亲属、合作等关系，或其他可能影响公正评审的情形，均属利益冲突。"),
    )
    conflict_reason = forms.CharField(
        label=_("利益冲突说明"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("存在利益冲突时必填，简要说明情形；声明后您将回避本案件。"),
    )

    def clean(self):
        data = super().clean()
        if (
            data.get("declaration") == ExpertAssignment.Declaration.CONFLICT
            and not (data.get("conflict_reason") or "").strip()
        ):
            self.add_error("conflict_reason", _("存在利益冲突时请简要说明情形。"))
        return data


class OpinionForm(forms.Form):
    opinion = forms.ChoiceField(
        label=_("评审意见"),
        choices=ExpertAssignment.Opinion.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("请选择评审意见。")},
    )
    score = DecimalTextField(label=_("评分（0–100）"), error_messages={"required": _("请填写评分（0 到 100）。")})
    suggested_amount = DecimalTextField(
        label=_("建议金额（元）"), money=True, required=False, help_text=_("选择“同意但核减”时必填。")
    )
    comment = forms.CharField(
        label=_("意见说明"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("核减或不同意时必须写明理由。"),
    )

    def __init__(self, *args, criteria=(), **kwargs):
        """With the item's rubric (policies.RubricCriterion rows), one score per criterion (``score_<id>``,
        0..满分) instead of the single 0–100 score; the total is computed."""
        super().__init__(*args, **kwargs)
        self.criteria = list(criteria)
        if not self.criteria:
            return
        del self.fields["score"]
        scored = {}
        for criterion in self.criteria:
            maximum = criterion.maximum.normalize()
            scored[f"score_{criterion.pk}"] = DecimalTextField(
                label=_("%(label)s（0–%(max)s 分）") % {"label": criterion.label, "max": f"{maximum:f}"},
                help_text=_("权重 %(weight)s") % {"weight": f"{criterion.weight.normalize():f}"},
                error_messages={"required": _("请为“%(label)s”打分。") % {"label": criterion.label}},
            )
        # The criteria first, in the rubric's order, then the opinion, amount and comment.
        self.fields = {**scored, **self.fields}

    def clean(self):
        data = super().clean()
        for criterion in self.criteria:
            name = f"score_{criterion.pk}"
            value = data.get(name)
            if value is not None and value > criterion.maximum:
                self.add_error(
                    name,
                    _("本项满分 %(max)s 分，请填写 0 到 %(max)s 之间的分数。")
                    % {"max": f"{criterion.maximum.normalize():f}"},
                )
        return data

    def scores(self) -> dict[str, Decimal]:
        return {str(c.pk): self.cleaned_data[f"score_{c.pk}"] for c in self.criteria}


def experts_queryset():
    return holders("expert").order_by("username")


class ExpertChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.get_full_name() or obj.username


class AssignExpertsForm(forms.Form):
    experts = ExpertChoiceField(
        label=_("评审专家"),
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("请至少选择一名评审专家。")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["experts"].queryset = experts_queryset()


class ObjectionForm(forms.Form):
    name = forms.CharField(
        label=_("真实姓名"),
        max_length=100,
        error_messages={"required": _("异议须实名提出，请填写您的真实姓名。")},
    )
    contact = forms.CharField(
        label=_("联系电话或电子邮箱"),
        max_length=100,
        error_messages={"required": _("请填写联系电话或电子邮箱，以便核查时与您联系。")},
    )
    content = forms.CharField(
        label=_("异议内容和理由"),
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("请写明异议的具体内容和理由。")},
    )


class QueueFilterForm(forms.Form):
    stage = forms.ChoiceField(label=_("阶段"), required=False)
    item = forms.ChoiceField(label=_("扶持事项"), required=False)
    round = forms.ChoiceField(label=_("申报批次"), required=False)
    q = forms.CharField(label=_("案件编号、项目或企业"), required=False)
    overdue = forms.BooleanField(label=_("仅看已逾期"), required=False)
    mine = forms.BooleanField(label=_("仅看与我相关"), required=False)
    all_stages = forms.BooleanField(label=_("包括不需要我办理的案件"), required=False)
    sort = forms.ChoiceField(
        label=_("排序"),
        required=False,
        choices=[
            ("due", _("期限由近到远")),
            ("-submitted", _("提交时间由新到旧")),
            ("submitted", _("提交时间由旧到新")),
            ("-amount", _("测算金额由高到低")),
            ("amount", _("测算金额由低到高")),
            ("case", _("案件编号")),
        ],
    )

    def __init__(self, *args, blank_stage=None, **kwargs):
        from policies.selectors import filter_choices

        super().__init__(*args, **kwargs)
        self.fields["stage"].choices = [("", blank_stage or _("我的待办阶段"))] + [
            (s.key, s.label) for s in workflow.STATES if s.key != "draft"
        ]
        items, rounds = filter_choices()
        self.fields["item"].choices = [("", _("全部事项"))] + items
        self.fields["round"].choices = [("", _("全部批次"))] + rounds
