"""The fast widget renderer (invest.forms_renderer) writes exactly what Django's widget templates write."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from invest.forms_renderer import FastWidgetRenderer
from tests.factories.applications import ApplicationFactory, CaseItemFactory, CaseRoundFactory
from tests.factories.companies import MembershipFactory

WIDGETS = [
    (forms.TextInput(attrs={"aria-describedby": "x_help", "maxlength": 20, "placeholder": _("案件编号")}), 'a<b>&"c'),
    (forms.TextInput(), None),
    (forms.TextInput(attrs={"required": True, "disabled": False, "data-x": mark_safe("<i>")}), ""),
    (forms.NumberInput(attrs={"step": "0.01", "min": 0}), Decimal("1234.50")),
    (forms.EmailInput(), "a@b.cn"),
    (forms.HiddenInput(), 42),
    (forms.PasswordInput(render_value=True), "s3cret&"),
    (forms.DateInput(attrs={"type": "date"}), "2026-12-03"),
    (forms.CheckboxInput(), True),
    (forms.CheckboxInput(attrs={"aria-label": "选择 JJYS-1"}), False),
    (forms.Select(choices=[("", "全部"), ("a", "甲 <乙>"), ("b", _("阶段"))]), "a"),
    (forms.Select(choices=[("", "全部"), ("a", "甲")], attrs={"aria-invalid": "true"}), None),
    (forms.Select(choices=[("组一", [("1", "一"), ("2", "二")]), ("3", "三")]), "2"),
    (forms.Select(choices=[(2025, 2025), (2026, 2026)]), 2026),  # number labels: the template localizes
    (forms.SelectMultiple(choices=[("a", "甲"), ("b", "乙"), ("c", "丙")]), ["a", "c"]),
    (forms.NullBooleanSelect(), True),
    (forms.RadioSelect(choices=[("a", "甲"), ("b", "乙")]), "b"),  # not written out: the templates
    (forms.Textarea(attrs={"rows": 4}), "多行\n<文字>"),
]


@pytest.mark.parametrize(("widget", "value"), WIDGETS, ids=lambda w: type(w).__name__)
def test_each_widget_renders_the_same_html(widget, value):
    attrs = {"id": "id_field"}
    plain = widget.render("field", value, attrs=attrs, renderer=DjangoTemplates())
    fast = widget.render("field", value, attrs=attrs, renderer=FastWidgetRenderer())
    assert fast == plain


class EveryKind(forms.Form):
    name = forms.CharField(label="名称", max_length=10, help_text="帮助")
    amount = forms.DecimalField(label="金额", max_digits=12, decimal_places=2)
    kind = forms.ChoiceField(label="类型", choices=[("a", "甲"), ("b", "乙")])
    agree = forms.BooleanField(label="同意")
    email = forms.EmailField(label="邮箱", required=False)


@pytest.mark.parametrize("data", [None, {"name": "太长的名称太长的名称太长", "amount": "x", "kind": "c"}])
def test_a_whole_form_with_its_errors_renders_the_same(data):
    plain = EveryKind(data, renderer=DjangoTemplates())
    fast = EveryKind(data, renderer=FastWidgetRenderer())
    assert str(fast) == str(plain)
    for name in EveryKind.base_fields:
        assert str(fast[name]) == str(plain[name])


@pytest.mark.django_db
def test_the_workbench_and_a_case_page_are_byte_for_byte_the_same(client, settings, staff):
    item = CaseItemFactory(code="T-FAST-01", name="测试事项")
    rnd = CaseRoundFactory(policy=item.policy)
    membership = MembershipFactory()
    case = ApplicationFactory(company=membership.company, item=item, round=rnd, submitted=True)
    client.force_login(staff["reviewer"])
    urls = [
        reverse("portal:workbench") + "?stage=submitted&q=%3Cx%3E&overdue=on&sort=-amount",
        reverse("portal:workbench"),
        reverse("portal:staff_case", args=[case.pk]),
    ]
    settings.FORM_RENDERER = "invest.forms_renderer.FastWidgetRenderer"
    fast = [client.get(url).content for url in urls]
    settings.FORM_RENDERER = "django.forms.renderers.DjangoTemplates"
    plain = [client.get(url).content for url in urls]
    csrf = b'name="csrfmiddlewaretoken" value="'

    def without_tokens(page: bytes) -> bytes:  # the CSRF token differs per response
        parts = page.split(csrf)
        return parts[0] + b"".join(csrf + p.split(b'"', 1)[1] for p in parts[1:])

    assert [without_tokens(p) for p in fast] == [without_tokens(p) for p in plain]
    assert b'<select name="stage"' in fast[0] and b'<option value="submitted" selected>' in fast[0]
