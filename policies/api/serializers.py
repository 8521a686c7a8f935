"""Policies, items and calculator results as the API shows them."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from policies.models import Policy, Round, SupportItem
from policies.variables import BOOLEAN, CHOICE, DATE, NUMBER, VARIABLES


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


class ItemSerializer(serializers.ModelSerializer):
    policy = serializers.PrimaryKeyRelatedField(read_only=True)
    policy_title = serializers.CharField(source="policy.title", read_only=True)
    criteria = serializers.SerializerMethodField()
    form_fields = FormFieldSerializer(many=True, read_only=True)
    materials = ItemMaterialSerializer(many=True, read_only=True)

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


def facts_schema() -> dict:
    """The facts a rule may use, typed, from the policies variable table (not a copy of it)."""
    properties = {}
    for key, variable in VARIABLES.items():
        schema = dict(_FACT_TYPES.get(variable.type, {"type": "string"}))
        if variable.choices:
            schema["enum"] = [value for value, _label in variable.choices]
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
        return data


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
