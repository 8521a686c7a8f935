"""Company endpoints. Which companies a user sees comes from companies.selectors, as on the portal."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.exceptions import NotFound, PermissionDenied

from companies import services, uscc
from companies.models import Company
from companies.selectors import can_edit_profile, companies_visible_to
from invest.api.core import is_manager

from .serializers import CompanySerializer


@extend_schema_view(
    list=extend_schema(
        summary="List companies (managers and staff: all; applicants: their own)",
        parameters=[
            OpenApiParameter("search", OpenApiTypes.STR, description="Part of the name or of the credit code."),
        ],
    ),
    retrieve=extend_schema(summary="One company, by its unified social credit code"),
    update=extend_schema(summary="Edit a company (managers: everything; members: address, contacts, bank)"),
    partial_update=extend_schema(summary="Edit some fields (managers: everything; members: address, contacts, bank)"),
)
class CompanyViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet
):
    serializer_class = CompanySerializer
    lookup_field = "credit_code"
    lookup_value_regex = "[^/]+"

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
        if self.action in ("update", "partial_update") and not can_edit_profile(self.request.user, company):
            raise PermissionDenied(_("只有该企业已确认的成员或管理员可以修改企业资料。"))
        return company

    def perform_update(self, serializer: CompanySerializer) -> None:
        """Members change contact and bank details, as on the portal; registry facts, which eligibility rules
        read, only a manager. Both through the one service that audits the change."""
        company = serializer.instance
        user = self.request.user
        changes = dict(serializer.validated_data)
        registry = sorted(
            name
            for name, value in changes.items()
            if name not in services.MEMBER_EDITABLE and getattr(company, name) != value
        )
        if registry and not is_manager(user):
            raise PermissionDenied(
                _("只有管理员可以修改登记信息（%(fields)s）；成员可修改地址、联系人和银行信息。")
                % {"fields": "、".join(registry)}
            )
        services.update_profile(company, user, changes)
