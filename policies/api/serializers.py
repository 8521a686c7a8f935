"""Policies, items and calculator results as the API shows them."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from policies.models import Policy, Round, RubricCriterion, SupportItem
from policies.variables import BOOLEAN, CHOICE, DATE, NUMBER, TEXT, VARIABLES


class RoundSerializer(serializers.ModelSerializer):
    class Meta:
        model = Round
        fields = ("id", "name", "year", "opens_at", "closes_at", "budget")


class PolicySerializer(serializers.ModelSerializer):
    rounds = RoundSerializer(many=True, read_only=True)
    items = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)

    class Meta:
        model = Policy
        fields = (
            "id",
            "title",
            "issuing_body",
            "document_number",
            "summary",
            "effective_from",
            "effective_to",
            "cap_per_company_year",
            "rounds",
            "items",
        )


class FormFieldSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    type = serializers.CharField()
    unit = serializers.CharField(required=False, allow_blank=True)
    required = serializers.BooleanField(required=False)


class ItemMaterialSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    required = serializers.BooleanField(required=False)
    accepted_types = serializers.ListField(child=serializers.CharField(), required=False)


class RubricCriterionSerializer(serializers.ModelSerializer):
    class Meta:
        model = RubricCriterion
        fields = ("id", "order", "label", "weight", "maximum")


class ItemSerializer(serializers.ModelSerializer):
    policy = serializers.PrimaryKeyRelatedField(read_only=True)
    policy_title = serializers.CharField(source="policy.title", read_only=True)
    criteria = serializers.SerializerMethodField()
    form_fields = FormFieldSerializer(many=True, read_only=True)
    materials = ItemMaterialSerializer(many=True, read_only=True)
    rubric = RubricCriterionSerializer(
        many=True, read_only=True, help_text="The expert scoring rubric: an expert's opinion scores each criterion."
    )

    class Meta:
        model = SupportItem
        fields = (
            "code",
            "name",
            "description",
            "policy",
            "policy_title",
            "applicants",
            "criteria",
            "amount_explanation",
            "cap_per_application",
            "cap_per_company_year",
            "once_per_company",
            "stacking_group",
            "cap_note",
            "form_fields",
            "materials",
            "rubric",
            "updated_at",
        )

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_criteria(self, item: SupportItem) -> list[str]:
        """The conditions in words; the rule text itself is for managers."""
        return [criterion.label for criterion in item.criteria.all()]


_FACT_TYPES = {
    NUMBER: {"oneOf": [{"type": "number"}, {"type": "string"}], "description": "number (string keeps precision)"},
    BOOLEAN: {"type": "boolean"},
    DATE: {"type": "string", "format": "date"},
    CHOICE: {"type": "string"},
}


#: An amount written as text: up to 12 whole digits (below policies.variables.MAX_YUAN) and 2 decimals.
AMOUNT_TEXT = r"^\d{1,12}(\.\d{1,2})?$"
DATE_TEXT = r"^\d{4}-\d{2}-\d{2}$"


def _number_schema(variable) -> dict:
    """Number facts as the code takes them (issue 14 item 8: the schema said any string and any number, the code
    refused -5 and "lots"): counts (days, episodes, years) as whole JSON numbers within their range; amounts as a
    JSON number within range, or as a decimal text of at most 12 whole digits, which keeps precision."""
    number: dict = {"type": "integer" if variable.integral else "number", "minimum": float(variable.minimum)}
    if variable.maximum is not None:
        number["maximum"] = float(variable.maximum)
    if variable.integral:
        return number
    return {"oneOf": [number, {"type": "string", "pattern": AMOUNT_TEXT}]}


def facts_schema() -> dict:
    """The facts a rule may use, typed, from the policies variable table (not a copy of it)."""
    properties = {}
    for key, variable in VARIABLES.items():
        schema = dict(_FACT_TYPES.get(variable.type, {"type": "string"}))
        if variable.type == NUMBER:
            schema = _number_schema(variable)
        elif variable.type == DATE:
            schema["pattern"] = DATE_TEXT
        if variable.choices:
            # OpenAPI 3.0: with an enum, null is allowed only when listed (nullable alone is not enough).
            schema["enum"] = [value for value, _label in variable.choices] + [None]
        schema["nullable"] = True
        schema["description"] = f"{variable.label}" + (f" ({variable.unit})" if variable.unit else "")
        properties[key] = schema
    return {"type": "object", "properties": properties, "additionalProperties": True}


@extend_schema_field(facts_schema())
class FactsField(serializers.JSONField):
    default_error_messages = {
        "nul": _("facts 中不能含有空字符（\\0），请删除后重试。"),
        "not_object": _('请以对象（键值对）形式提交 facts，例如 {{"box_office": 50000000}}。'),
    }

    def to_internal_value(self, data):
        data = super().to_internal_value(data)
        if not isinstance(data, dict):
            self.fail("not_object")
        if _has_nul(data):
            self.fail("nul")
        wrong = [key for key, value in data.items() if not _fact_has_its_type(key, value)]
        if wrong:
            raise serializers.ValidationError(
                [
                    _("“%(label)s”的值类型不对：%(kind)s。")
                    % {"label": VARIABLES[key].label, "kind": _KIND_TEXT.get(VARIABLES[key].type, _KIND_TEXT[TEXT])}
                    for key in wrong
                ]
            )
        return data


_KIND_TEXT = {
    NUMBER: _('请填写数字：天数、集数等填整数，金额填数值或数字文本（如 "1200000.50"）'),
    BOOLEAN: _("请填写 true 或 false"),
    DATE: _("请按 YYYY-MM-DD 填写日期"),
    CHOICE: _("请从可选值中选择"),
    TEXT: _("请填写文字"),
}


def _fact_has_its_type(key: str, value) -> bool:
    """The JSON type the schema gives the fact (the API is strict; the portal's forms convert text themselves).
    Ranges and valid dates are left to policies.services.normalize_facts, which says what is wrong."""
    import re

    variable = VARIABLES.get(key)
    if variable is None or value is None:
        return True
    if variable.type == BOOLEAN:
        return isinstance(value, bool)
    if variable.type == DATE:
        return isinstance(value, str) and re.match(DATE_TEXT, value) is not None
    if variable.type == CHOICE:
        return isinstance(value, str) and value in dict(variable.choices)
    if variable.type == NUMBER:
        if isinstance(value, bool):
            return False
        if isinstance(value, (int, float)):
            return not variable.integral or float(value).is_integer()
        return not variable.integral and isinstance(value, str) and re.match(AMOUNT_TEXT, value) is not None
    return isinstance(value, str)


def _has_nul(value) -> bool:
    """PostgreSQL's jsonb cannot store a NUL character; refuse it as input instead of failing on save."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


class CalculatorRequestSerializer(serializers.Serializer):
    item = serializers.CharField(max_length=30, help_text="Support item code, e.g. JJ-FILM-01.")
    facts = FactsField(required=False, default=dict)
    company = serializers.CharField(
        max_length=64,
        required=False,
        allow_blank=True,
        help_text="Credit code of a company you belong to: its registry facts are used too.",
    )


class CriterionResultSerializer(serializers.Serializer):
    label = serializers.CharField()
    passed = serializers.BooleanField()
    message = serializers.CharField(allow_blank=True)


class EvaluationSerializer(serializers.Serializer):
    """The same object as the `evaluate_item` command prints."""

    item = serializers.CharField()
    eligible = serializers.BooleanField()
    amount = serializers.DecimalField(max_digits=20, decimal_places=2)
    criteria = CriterionResultSerializer(many=True)
