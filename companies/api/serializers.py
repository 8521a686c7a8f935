"""Company as the API shows it. The bank account number is masked for anyone but finance and managers."""

from __future__ import annotations

from rest_framework import serializers

from companies.models import Company
from companies.selectors import can_see_bank_account
from companies.services import MEMBER_EDITABLE

READ_ONLY = ("credit_code", "banned_until", "created_at", "updated_at")

#: Registry facts that eligibility rules read: only a manager changes them (CompanyViewSet.perform_update).
#: What a member may change comes from companies.services.MEMBER_EDITABLE, the list the portal form uses too,
#: so the API and the portal cannot drift apart.
REGISTRY_FIELDS = (
    "name",
    "legal_representative",
    "registered_capital",
    "paid_in_capital",
    "established_on",
    "registration_district",
    "tax_district",
    "industry",
    "business_status",
    "in_hq_park",
    "in_hq_park_since",
)


class CompanySerializer(serializers.ModelSerializer):
    class Meta:
        model = Company
        fields = ("credit_code", *REGISTRY_FIELDS, *MEMBER_EDITABLE, "banned_until", "created_at", "updated_at")
        read_only_fields = READ_ONLY

    def to_representation(self, instance: Company) -> dict:
        data = super().to_representation(instance)
        request = self.context.get("request")
        if request is None or not can_see_bank_account(request.user):
            data["bank_account_number"] = instance.masked_bank_account
        return data
