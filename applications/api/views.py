"""Case endpoints. Every change goes through applications.services (create_draft, update_draft, add_material,
perform, assign_experts, give_opinion); what a user may do comes from the workflow table through
allowed_transitions. Nothing here decides a rule."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from applications import services, workdays, workflow
from applications.models import Application, Material
from applications.portal.selectors import overdue_q
from applications.selectors import case_trail
from applications.visibility import cases_visible_to, sees_review_internals
from companies import uscc
from companies.selectors import companies_visible_to
from invest.api.core import ErrorSerializer, id_param
from invest.api.schema import AutoSchema
from invest.roles import has_role, holders
from policies.api.views import published_items
from policies.models import Round
from policies.selectors import open_rounds
from policies.services import normalize_facts

from .serializers import (
    AllowedTransitionSerializer,
    ApplicationCreateSerializer,
    ApplicationSerializer,
    ApplicationUpdateSerializer,
    DeclarationRequestSerializer,
    ExpertAssignRequestSerializer,
    ExpertSerializer,
    MaterialSerializer,
    MaterialUploadSerializer,
    NoticeSerializer,
    ObjectionRequestSerializer,
    ObjectionSerializer,
    OpinionRequestSerializer,
    TimelineEntrySerializer,
    parse_bool,
    transition_request_fields,
    transition_request_serializer,
)


class CaseSchema(AutoSchema):
    """The transition action's request body is built from the workflow table's inputs when the schema is
    generated, and the operation lists the request fields each transition reads (``x-inputs-by-transition``)."""

    def get_request_serializer(self):
        if getattr(self.view, "action", None) == "take_transition":
            return transition_request_serializer()
        return super().get_request_serializer()

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation and getattr(self.view, "action", None) == "take_transition":
            operation["x-inputs-by-transition"] = {
                t.key: transition_request_fields(t) for t in workflow.TRANSITIONS if not t.automatic
            }
        return operation


def _check_facts(facts: dict) -> None:
    try:
        normalize_facts(facts)
    except DjangoValidationError as exc:
        raise exceptions.ValidationError({"facts": exc.messages})


class IsReviewerOrManager(BasePermission):
    message = _("只有初审员或管理员可以查看评审专家名单。")

    def has_permission(self, request, view) -> bool:
        return has_role(request.user, "reviewer", "manager")


CASE = OpenApiResponse(ApplicationSerializer, description="The case after the change.")
CONFLICT = OpenApiResponse(ErrorSerializer, description="The case changed under you (code changed_under_you).")
LIST_PARAMETERS = [
    OpenApiParameter("stage", OpenApiTypes.STR, description="State key(s), comma separated, e.g. submitted,accepted."),
    OpenApiParameter("item", OpenApiTypes.STR, description="Support item code, e.g. JJ-FILM-01."),
    OpenApiParameter("round", OpenApiTypes.INT, description="Round id."),
    OpenApiParameter("company", OpenApiTypes.STR, description="Company credit code."),
    OpenApiParameter(
        "overdue", OpenApiTypes.BOOL, description="Only cases past their acceptance or correction deadline."
    ),
    OpenApiParameter("search", OpenApiTypes.STR, description="Part of the case number or project title."),
]


@extend_schema_view(
    list=extend_schema(summary="Cases you may see, filtered", parameters=LIST_PARAMETERS),
    retrieve=extend_schema(summary="One case"),
)
class ApplicationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = ApplicationSerializer
    schema = CaseSchema()
    lookup_value_regex = "[0-9]+"

    def get_queryset(self) -> QuerySet[Application]:
        cases = (
            cases_visible_to(self.request.user)
            .select_related("company", "item", "round")
            .prefetch_related(
                Prefetch(
                    "materials",
                    queryset=Material.objects.filter(superseded_at__isnull=True),
                    to_attr="current_material_list",
                )
            )
            .order_by("-created_at", "-id")
        )
        if self.action == "list":
            cases = self.filter_cases(cases)
        return cases

    def filter_cases(self, cases: QuerySet[Application]) -> QuerySet[Application]:
        params = self.request.query_params
        if "stage" in params:
            # As the schema's pattern says: known keys, comma separated, nothing else (not even blanks).
            stages = params["stage"].split(",")
            unknown = [s for s in stages if s not in workflow.STATE_BY_KEY]
            if unknown:
                raise exceptions.ValidationError(
                    {
                        "stage": [
                            _("没有这些阶段：%(s)s。可用：%(all)s。")
                            % {"s": "、".join(unknown), "all": ", ".join(workflow.STATE_KEYS)}
                        ]
                    }
                )
            cases = cases.filter(state__in=stages)
        if params.get("item"):
            cases = cases.filter(item__code=params["item"].strip().upper())
        if "round" in params:
            cases = cases.filter(round_id=id_param(params["round"], "round"))
        if params.get("company"):
            cases = cases.filter(company__credit_code=uscc.normalize(params["company"]))
        if params.get("overdue"):
            overdue = overdue_q(workdays.today())  # the portal's definition, so both lists agree
            cases = cases.filter(overdue) if parse_bool(params["overdue"], "overdue") else cases.exclude(overdue)
        if params.get("search"):
            term = params["search"].strip()
            cases = cases.filter(Q(case_number__icontains=term) | Q(project_title__icontains=term))
        return cases

    def case_response(self, pk: int, status_code: int = status.HTTP_200_OK) -> Response:
        case = self.get_queryset().get(pk=pk)
        return Response(ApplicationSerializer(case, context=self.get_serializer_context()).data, status=status_code)

    @extend_schema(
        summary="Create a draft", request=ApplicationCreateSerializer, responses={201: ApplicationSerializer}
    )
    def create(self, request: Request) -> Response:
        form = ApplicationCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        company = companies_visible_to(request.user).filter(credit_code=uscc.normalize(data["company"])).first()
        if company is None:
            # Not yours or not there: 404, like every other reference to something the caller may not see.
            raise exceptions.NotFound(
                _("您不属于该企业，或企业不存在。请填写您所在企业的统一社会信用代码。"), code="unknown_company"
            )
        item = published_items().filter(code=data["item"].strip().upper()).first()
        if item is None:
            raise exceptions.NotFound(
                _("没有编码为“%(code)s”的扶持事项，请核对事项编码。") % {"code": data["item"]}, code="unknown_item"
            )
        if data.get("round"):
            round_ = Round.objects.filter(policy_id=item.policy_id, pk=data["round"]).first()
            if round_ is None:
                raise exceptions.ValidationError({"round": [_("该批次不属于此扶持事项的政策，请重新选择。")]})
        else:
            round_ = open_rounds().filter(policy_id=item.policy_id).order_by("-opens_at").first()
            if round_ is None:
                raise exceptions.ValidationError({"round": [_("该政策目前没有开放的申报批次，请关注申报通知。")]})
        _check_facts(data["facts"])
        case = services.create_draft(
            request.user,
            company=company,
            item=item,
            round=round_,
            project_title=data["project_title"],
            facts=data["facts"],
            work_key=data["work_key"],
            requested_amount=data.get("requested_amount"),
        )
        return self.case_response(case.pk, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Edit a draft (or, during a correction, the facts it names)",
        request=ApplicationUpdateSerializer,
        responses={200: ApplicationSerializer},
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        case = self.get_object()
        form = ApplicationUpdateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        if "facts" in data:
            _check_facts(data["facts"])
        services.update_draft(
            case,
            request.user,
            facts=data.get("facts"),
            project_title=data.get("project_title"),
            requested_amount=data.get("requested_amount"),
            integrity_pledge=data.get("integrity_pledge"),
        )
        return self.case_response(case.pk)

    @extend_schema(
        summary="Upload a material (multipart: key, file)",
        request={"multipart/form-data": MaterialUploadSerializer},
        responses={
            201: MaterialSerializer,
            503: OpenApiResponse(
                ErrorSerializer, description="The virus scanner is not answering (code scanner_unavailable): try later."
            ),
        },
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser])
    def materials(self, request: Request, pk: str) -> Response:
        case = self.get_object()
        form = MaterialUploadSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        material = services.add_material(
            case, request.user, key=form.validated_data["key"], uploaded_file=form.validated_data["file"]
        )
        return Response(MaterialSerializer(material).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Transitions you may take on this case now", responses={200: AllowedTransitionSerializer(many=True)}
    )
    @action(detail=True, methods=["get"], url_path="transitions")
    def transitions(self, request: Request, pk: str) -> Response:
        case = self.get_object()
        rows = [
            {
                "key": spec.key,
                "label": str(spec.label),
                "target": spec.target,
                "comment_required": spec.comment_required,
                "amount": spec.amount,
                "fields": transition_request_fields(spec),
            }
            for spec in services.allowed_transitions(case, request.user)
        ]
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(AllowedTransitionSerializer(page, many=True).data)

    @extend_schema(
        summary="Take a transition",
        description="The request fields each transition reads are listed in x-inputs-by-transition "
        "(and by GET .../transitions/); each field's description names the transitions that read it.",
        parameters=[
            OpenApiParameter(
                "name",
                OpenApiTypes.STR,
                OpenApiParameter.PATH,
                enum=[t.key for t in workflow.TRANSITIONS if not t.automatic],
                description="Transition key from the workflow table.",
            )
        ],
        responses={200: CASE, 409: CONFLICT},
    )
    @action(detail=True, methods=["post"], url_path=r"transitions/(?P<name>[a-z_]+)")
    def take_transition(self, request: Request, pk: str, name: str) -> Response:
        case = self.get_object()
        if name not in workflow.TRANSITION_BY_KEY:
            raise exceptions.NotFound(_("没有“%(key)s”这个办理步骤。") % {"key": name}, code="unknown_transition")
        form = transition_request_serializer()(data=request.data)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        expected = data.pop("expected_state", None)
        if expected and expected != case.state:
            raise services.TransitionRefused(
                "changed_under_you",
                _("案件已被他人处理，当前阶段为“%(state)s”。请刷新后查看最新情况再操作。")
                % {"state": case.state_label},
            )
        if "items" in data:
            data["items"] = [dict(item) for item in data["items"]]
        if data.get("amount") is None:
            data.pop("amount", None)
        services.perform(case, name, request.user, **data)
        return self.case_response(case.pk)

    @extend_schema(
        summary="What happened to the case, oldest first", responses={200: TimelineEntrySerializer(many=True)}
    )
    @action(detail=True, methods=["get"])
    def timeline(self, request: Request, pk: str) -> Response:
        case = self.get_object()
        rows = [
            {
                "at": entry.at,
                "action": entry.action.removeprefix("case."),
                "role": entry.actor_role,
                "from_state": (entry.before or {}).get("state") if isinstance(entry.before, dict) else None,
                "to_state": (entry.after or {}).get("state") if isinstance(entry.after, dict) else None,
                "comment": entry.reason,
            }
            for entry in case_trail(case, for_applicant=not sees_review_internals(request.user))
        ]
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(TimelineEntrySerializer(page, many=True).data)

    @extend_schema(summary="Assign experts (reviewers)", request=ExpertAssignRequestSerializer, responses={200: CASE})
    @action(detail=True, methods=["post"])
    def experts(self, request: Request, pk: str) -> Response:
        case = self.get_object()
        form = ExpertAssignRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        ids = set(form.validated_data["experts"])
        users = list(get_user_model().objects.filter(pk__in=ids, is_active=True))
        if len(users) != len(ids):
            raise exceptions.ValidationError({"experts": [_("有的专家编号不存在，请从专家名单中选择。")]})
        services.assign_experts([case], users, request.user)
        return self.case_response(case.pk)

    @extend_schema(
        summary="Declare a conflict of interest or none (experts, before the case's facts and materials open)",
        request=DeclarationRequestSerializer,
        responses={200: CASE, 204: OpenApiResponse(description="Conflict declared: you are recused from the case.")},
    )
    @action(detail=True, methods=["post"])
    def declaration(self, request: Request, pk: str) -> Response:
        case = self.get_object()
        form = DeclarationRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        services.declare_interest(
            case, request.user, conflict=form.validated_data["conflict"], reason=form.validated_data["reason"]
        )
        if form.validated_data["conflict"]:
            return Response(status=status.HTTP_204_NO_CONTENT)  # recused: the case is no longer yours to see
        return self.case_response(case.pk)

    @extend_schema(summary="Give your expert opinion", request=OpinionRequestSerializer, responses={200: CASE})
    @action(detail=True, methods=["post"])
    def opinion(self, request: Request, pk: str) -> Response:
        case = self.get_object()
        form = OpinionRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        services.give_opinion(case, request.user, **form.validated_data)
        return self.case_response(case.pk)


@extend_schema_view(list=extend_schema(summary="Experts a reviewer may assign"))
class ExpertViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    permission_classes = [IsReviewerOrManager]
    serializer_class = ExpertSerializer

    def get_queryset(self):
        return holders("expert").order_by("username", "pk")

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        rows = [{"id": u.pk, "username": u.get_username(), "name": u.get_full_name()} for u in page]
        return self.get_paginated_response(ExpertSerializer(rows, many=True).data)


NOTICE_STATES = ("public_notice", "objection_review")


@extend_schema_view(list=extend_schema(summary="Cases in public notice (公示)", auth=[]))
class NoticeViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The public-notice list anyone may read, and the named objection anyone may file while a case is on it."""

    permission_classes = [AllowAny]
    serializer_class = NoticeSerializer
    lookup_value_regex = "[0-9]+"

    def get_queryset(self) -> QuerySet[Application]:
        return (
            Application.objects.filter(state__in=NOTICE_STATES)
            .select_related("company", "item", "notice_batch")
            .order_by("notice_batch_id", "case_number", "pk")
        )

    @extend_schema(
        summary="File a named objection",
        request=ObjectionRequestSerializer,
        responses={201: ObjectionSerializer, 409: CONFLICT},
        auth=[],
    )
    @action(detail=True, methods=["post"])
    def objections(self, request: Request, pk: str) -> Response:
        case = self.get_object()
        form = ObjectionRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        objection = services.file_objection(case, actor=request.user, **form.validated_data)
        return Response(
            {"id": objection.pk, "status": objection.status, "filed_at": objection.filed_at},
            status=status.HTTP_201_CREATED,
        )
