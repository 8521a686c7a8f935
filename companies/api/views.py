"""Company endpoints. Which companies a user sees comes from companies.selectors, as on the portal."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q, QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.exceptions import NotFound

from companies import uscc
from companies.models import Company
from companies.selectors import companies_visible_to
from invest.api.core import IsManager
from invest.audit import audit

from .serializers import CompanySerializer


@extend_schema_view(
    list=extend_schema(
        summary="List companies (managers and staff: all; applicants: their own)",
        parameters=[
            OpenApiParameter("search", OpenApiTypes.STR, description="Part of the name or of the credit code."),
        ],
    ),
    retrieve=extend_schema(summary="One company, by its unified social credit code"),
    update=extend_schema(summary="Edit a company (managers)"),
    partial_update=extend_schema(summary="Edit some fields of a company (managers)"),
)
class CompanyViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet
):
    serializer_class = CompanySerializer
    lookup_field = "credit_code"
    lookup_value_regex = "[^/]+"

    def get_permissions(self):
        if self.action in ("update", "partial_update"):
            return [IsManager()]
        return super().get_permissions()

    def get_queryset(self) -> QuerySet[Company]:
        companies = companies_visible_to(self.request.user).order_by("name", "pk")
        term = (self.request.query_params.get("search") or "").strip()
        if term:
            code = uscc.normalize(term)
            companies = companies.filter(
                Q(name__icontains=term) | Q(credit_code__contains=code) if code else Q(name__icontains=term)
            )
        return companies

    def get_object(self) -> Company:
        code = uscc.normalize(self.kwargs[self.lookup_field])
        company = companies_visible_to(self.request.user).filter(credit_code=code).first()
        if company is None:
            raise NotFound()
        self.check_object_permissions(self.request, company)
        return company

    @transaction.atomic
    def perform_update(self, serializer: CompanySerializer) -> None:
        before = {key: serializer.instance.__dict__.get(key) for key in serializer.validated_data}
        company = serializer.save()
        after = {key: getattr(company, key) for key in serializer.validated_data}
        audit(self.request.user, "company_updated", company, before=before, after=after, role="manager")
