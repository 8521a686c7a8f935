"""Public policy endpoints. Eligibility and amounts come from policies.services.evaluate_item only."""

from __future__ import annotations

from decimal import InvalidOperation

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, viewsets
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from companies import uscc
from companies.selectors import companies_visible_to
from invest.api.core import id_param
from policies.models import Criterion, Policy, SupportItem
from policies.services import evaluate_item

from .serializers import CalculatorRequestSerializer, EvaluationSerializer, ItemSerializer, PolicySerializer


def published_items() -> QuerySet[SupportItem]:
    return (
        SupportItem.objects.filter(policy__status=Policy.Status.PUBLISHED)
        .select_related("policy")
        .prefetch_related(Prefetch("criteria", queryset=Criterion.objects.order_by("order", "id")), "rubric")
    )


@extend_schema_view(
    list=extend_schema(summary="Published policies with their rounds", auth=[]),
    retrieve=extend_schema(summary="One published policy", auth=[]),
)
class PolicyViewSet(viewsets.ReadOnlyModelViewSet):
    permission_classes = [AllowAny]
    serializer_class = PolicySerializer
    lookup_value_regex = "[0-9]+"

    def get_queryset(self) -> QuerySet[Policy]:
        return (
            Policy.objects.filter(status=Policy.Status.PUBLISHED)
            .prefetch_related("rounds", "items")
            .order_by("-effective_from", "title", "pk")
        )


@extend_schema_view(
    list=extend_schema(
        summary="Support items of published policies",
        auth=[],
        parameters=[OpenApiParameter("policy", OpenApiTypes.INT, description="Only the items of this policy.")],
    ),
    retrieve=extend_schema(summary="One support item, by its code", auth=[]),
)
class ItemViewSet(viewsets.ReadOnlyModelViewSet):
    permission_classes = [AllowAny]
    serializer_class = ItemSerializer
    lookup_field = "code"
    lookup_value_regex = "[^/]+"

    def get_queryset(self) -> QuerySet[SupportItem]:
        items = published_items().order_by("sort_order", "code")
        policy = self.request.query_params.get("policy")
        if policy is not None:
            items = items.filter(policy_id=id_param(policy, "policy"))
        return items


class CalculatorView(APIView):
    """Check a support item against facts, like the portal's calculator and the `evaluate_item` command."""

    permission_classes = [AllowAny]

    @extend_schema(
        summary="Eligibility and amount of a support item for given facts",
        request=CalculatorRequestSerializer,
        responses={200: EvaluationSerializer},
    )
    def post(self, request: Request) -> Response:
        form = CalculatorRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        item = published_items().filter(code=data["item"].strip().upper()).first()
        if item is None:
            raise exceptions.NotFound(
                _("没有编码为“%(code)s”的扶持事项，请核对事项编码。") % {"code": data["item"]}, code="unknown_item"
            )
        company = None
        if data.get("company"):
            company = companies_visible_to(request.user).filter(credit_code=uscc.normalize(data["company"])).first()
            if company is None:
                # Not yours or not there: 404, like every other reference to something the caller may not see.
                raise exceptions.NotFound(
                    _("您不属于该企业，或企业不存在。请填写您所在企业的统一社会信用代码。"), code="unknown_company"
                )
        try:
            evaluation = evaluate_item(item, company=company, facts=data["facts"])
        except DjangoValidationError as exc:
            raise exceptions.ValidationError({"facts": exc.messages})
        except (InvalidOperation, ArithmeticError):
            raise exceptions.ValidationError({"facts": [_("填写的数值过大或无法计算，请检查后重新填写。")]})
        return Response(evaluation.to_dict())
