"""Cases as the API shows and accepts them. Serializers only shape data; every change goes through
applications.services."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from applications import workdays, workflow
from applications.models import Application, CorrectionItem, ExpertAssignment, Material
from applications.visibility import declaration_pending
from policies.api.serializers import FactsField


class MaterialSerializer(serializers.ModelSerializer):
    class Meta:
        model = Material
        fields = ("id", "key", "original_name", "kind", "size", "sha256", "revision", "uploaded_at")


class ApplicationSerializer(serializers.ModelSerializer):
    company = serializers.CharField(source="company.credit_code", read_only=True)
    company_name = serializers.CharField(source="company.name", read_only=True)
    item = serializers.CharField(source="item.code", read_only=True)
    item_name = serializers.CharField(source="item.name", read_only=True)
    round = serializers.IntegerField(source="round_id", read_only=True)
    round_name = serializers.CharField(source="round.name", read_only=True)
    facts = serializers.JSONField(read_only=True)
    state = serializers.ChoiceField(choices=workflow.STATE_KEYS, read_only=True)
    state_label = serializers.CharField(read_only=True)
    overdue = serializers.SerializerMethodField()
    integrity_pledge = serializers.SerializerMethodField()
    materials = serializers.SerializerMethodField()
    missing_materials = serializers.SerializerMethodField()

    class Meta:
        model = Application
        fields = (
            "id",
            "case_number",
            "company",
            "company_name",
            "item",
            "item_name",
            "round",
            "round_name",
            "project_title",
            "work_key",
            "facts",
            "state",
            "state_label",
            "requested_amount",
            "computed_amount",
            "reviewed_amount",
            "approved_amount",
            "disbursed_amount",
            "due_date",
            "due_kind",
            "overdue",
            "integrity_pledge",
            "revision",
            "materials",
            "missing_materials",
            "created_at",
            "submitted_at",
            "decided_at",
            "updated_at",
        )

    def to_representation(self, app: Application) -> dict:
        """An expert who has not yet declared no conflict of interest gets the case's summary only: no facts and
        no materials until the declaration (POST …/declaration/), as on the staff case page."""
        data = super().to_representation(app)
        request = self.context.get("request")
        if request is not None and declaration_pending(request.user, app):
            data["facts"] = {}
            data["materials"] = []
            data["missing_materials"] = []
        return data

    def get_overdue(self, app: Application) -> bool:
        """As applications.portal.selectors.overdue_q: past its deadline and still open, or flagged by the daily job."""
        if app.overdue_since is not None:
            return True
        return bool(app.due_date and app.due_date < workdays.today() and app.state not in workflow.TERMINAL_STATES)

    def get_integrity_pledge(self, app: Application) -> bool:
        return app.integrity_pledge_at is not None

    def _current(self, app: Application) -> list[Material]:
        current = getattr(app, "current_material_list", None)
        return list(app.current_materials()) if current is None else current

    @extend_schema_field(MaterialSerializer(many=True))
    def get_materials(self, app: Application) -> list[dict]:
        return MaterialSerializer(self._current(app), many=True).data

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_missing_materials(self, app: Application) -> list[str]:
        present = {m.key for m in self._current(app)}
        return [key for key in app.required_material_keys() if key not in present]


class ApplicationCreateSerializer(serializers.Serializer):
    company = serializers.CharField(max_length=64, help_text="Credit code of the company you apply for.")
    item = serializers.CharField(max_length=30, help_text="Support item code, e.g. JJ-FILM-01.")
    round = serializers.IntegerField(
        required=False, min_value=1, help_text="Round id; by default the open round of the item's policy."
    )
    project_title = serializers.CharField(max_length=200)
    work_key = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    facts = FactsField(required=False, default=dict)
    requested_amount = serializers.DecimalField(
        max_digits=16, decimal_places=2, min_value=0, required=False, allow_null=True
    )


class ApplicationUpdateSerializer(serializers.Serializer):
    project_title = serializers.CharField(max_length=200, required=False)
    facts = FactsField(required=False, help_text="Merged into the facts already given.")
    requested_amount = serializers.DecimalField(max_digits=16, decimal_places=2, min_value=0, required=False)
    integrity_pledge = serializers.BooleanField(
        required=False, help_text="true: the applicant accepts the integrity pledge (诚信承诺), needed to submit."
    )


class MaterialUploadSerializer(serializers.Serializer):
    key = serializers.CharField(max_length=60, help_text="Material key from the item's materials list.")
    file = serializers.FileField(max_length=255, allow_empty_file=True)


class AllowedTransitionSerializer(serializers.Serializer):
    key = serializers.ChoiceField(choices=[t.key for t in workflow.TRANSITIONS])
    label = serializers.CharField()
    target = serializers.ChoiceField(choices=workflow.STATE_KEYS)
    comment_required = serializers.BooleanField()
    amount = serializers.CharField(allow_null=True, help_text="Which amount the `amount` field sets, if any.")
    fields = serializers.ListField(child=serializers.CharField(), help_text="Request fields this transition uses.")


class CorrectionItemSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=CorrectionItem.Kind.choices, default=CorrectionItem.Kind.MATERIAL)
    key = serializers.CharField(max_length=60)
    problem = serializers.ChoiceField(choices=CorrectionItem.Problem.choices, default=CorrectionItem.Problem.FAULTY)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


def _api_field(inp: workflow.Input, help_text: str) -> serializers.Field:
    """The request field of one kind of workflow.Input (the web form's are in applications.portal.forms).
    Every input is optional here: the services refuse a missing one with a code of their own."""
    if inp.kind == "amount":
        return serializers.DecimalField(
            max_digits=16, decimal_places=2, required=False, allow_null=True, help_text=help_text
        )
    if inp.kind == "date":
        return serializers.DateField(required=False, help_text=help_text)
    if inp.kind == "correction_items":
        return CorrectionItemSerializer(many=True, required=False, help_text=help_text)
    return serializers.CharField(max_length=inp.max_length, required=False, allow_blank=True, help_text=help_text)


def transition_request_fields(spec: workflow.Transition) -> list[str]:
    """Which request fields a transition reads: the comment, then its declared inputs."""
    return ["comment", *(i.name for i in spec.all_inputs if i.name != "comment")]


def transition_request_serializer() -> type[serializers.Serializer]:
    """Everything a transition may need, built from the inputs the workflow table declares (each field's help
    names the transitions that read it); GET .../transitions/ says which fields each one uses."""
    readers: dict[str, list[workflow.Transition]] = {}
    for spec in workflow.TRANSITIONS:
        if spec.automatic:
            continue
        for name in transition_request_fields(spec):
            readers.setdefault(name, []).append(spec)
    fields: dict[str, serializers.Field] = {
        "expected_state": serializers.ChoiceField(
            choices=workflow.STATE_KEYS,
            required=False,
            help_text="The stage you saw; if the case has moved on since, the answer is 409 changed_under_you.",
        )
    }
    every = sum(1 for t in workflow.TRANSITIONS if not t.automatic)
    for name, specs in readers.items():
        inp = next(i for i in specs[0].all_inputs if i.name == name)
        keys = "" if len(specs) == every else ", ".join(t.key for t in specs) + ": "
        fields[name] = _api_field(inp, (keys + inp.api_help).strip())
    return type("TransitionRequestSerializer", (serializers.Serializer,), {"__module__": __name__, **fields})


class TimelineEntrySerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    action = serializers.CharField()
    role = serializers.CharField(allow_blank=True)
    from_state = serializers.CharField(allow_null=True)
    to_state = serializers.CharField(allow_null=True)
    comment = serializers.CharField(allow_blank=True)


class ExpertAssignRequestSerializer(serializers.Serializer):
    experts = serializers.ListField(child=serializers.IntegerField(min_value=1), min_length=1, max_length=50)


class ExpertSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField(allow_blank=True)


class DeclarationRequestSerializer(serializers.Serializer):
    conflict = serializers.BooleanField(
        help_text="false: no conflict of interest (the case's facts and materials open); true: a conflict, the "
        "expert is recused from the case."
    )
    reason = serializers.CharField(
        max_length=500, required=False, allow_blank=True, default="", help_text="Required when conflict is true."
    )


class OpinionRequestSerializer(serializers.Serializer):
    opinion = serializers.ChoiceField(choices=ExpertAssignment.Opinion.choices)
    score = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        min_value=0,
        max_value=100,
        required=False,
        allow_null=True,
        help_text="The score 0–100, for an item without a scoring rubric.",
    )
    scores = serializers.DictField(
        child=serializers.DecimalField(max_digits=6, decimal_places=2, min_value=0),
        required=False,
        allow_null=True,
        help_text="For an item with a scoring rubric: rubric criterion id → score (0..maximum); the total is "
        "computed (sum of score / maximum × weight, out of 100).",
    )
    comment = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    suggested_amount = serializers.DecimalField(
        max_digits=16, decimal_places=2, min_value=0, required=False, allow_null=True
    )


class OpinionSerializer(serializers.ModelSerializer):
    class Meta:
        model = ExpertAssignment
        fields = ("opinion", "score", "scores", "suggested_amount", "comment", "answered_at")


BOOLEAN_TEXT = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


def parse_bool(value: str, field: str) -> bool:
    try:
        return BOOLEAN_TEXT[value.strip().lower()]
    except KeyError:
        raise serializers.ValidationError({field: [_("请填写 true 或 false。")]})


class NoticeSerializer(serializers.ModelSerializer):
    """A case in public notice (公示), as the public list shows it."""

    company_name = serializers.CharField(source="company.name", read_only=True)
    item = serializers.CharField(source="item.code", read_only=True)
    item_name = serializers.CharField(source="item.name", read_only=True)
    state = serializers.ChoiceField(choices=workflow.STATE_KEYS, read_only=True)
    state_label = serializers.CharField(read_only=True)
    batch = serializers.CharField(source="notice_batch.title", read_only=True, allow_null=True, default=None)
    notice_ends_on = serializers.DateField(source="notice_batch.ends_on", read_only=True, allow_null=True, default=None)

    class Meta:
        model = Application
        fields = (
            "id",
            "case_number",
            "company_name",
            "item",
            "item_name",
            "project_title",
            "approved_amount",
            "state",
            "state_label",
            "batch",
            "notice_ends_on",
        )


class ObjectionRequestSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, help_text="Your real name: objections are not anonymous.")
    contact = serializers.CharField(max_length=100, help_text="Telephone or e-mail, to tell you the outcome.")
    content = serializers.CharField(max_length=5000, help_text="What is wrong and why.")


class ObjectionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    filed_at = serializers.DateTimeField()
