"""Documents as the API shows them: to the case's viewers in full, to the public only what the printed
verification page shows."""

from __future__ import annotations

from rest_framework import serializers

from applications.documents.models import Document


class DocumentSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    application = serializers.IntegerField(source="application_id", read_only=True, allow_null=True)
    valid = serializers.BooleanField(source="is_valid", read_only=True)
    pdf_ready = serializers.BooleanField(source="is_rendered", read_only=True)
    amount_figures = serializers.CharField(read_only=True)

    class Meta:
        model = Document
        fields = (
            "id",
            "kind",
            "kind_label",
            "number",
            "verification_code",
            "application",
            "status",
            "valid",
            "issued_at",
            "revoked_at",
            "amount_figures",
            "pdf_ready",
            "sha256",
            "size",
        )


class VerificationSerializer(serializers.ModelSerializer):
    """The public verification result: the same facts the printed QR code's page shows."""

    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    valid = serializers.BooleanField(source="is_valid", read_only=True)
    company_name = serializers.CharField(read_only=True)
    amount_figures = serializers.CharField(read_only=True)
    batch_name = serializers.SerializerMethodField()

    class Meta:
        model = Document
        fields = (
            "number",
            "kind",
            "kind_label",
            "valid",
            "status",
            "company_name",
            "batch_name",
            "amount_figures",
            "issued_at",
            "revoked_at",
            "sha256",
        )

    def get_batch_name(self, document: Document) -> str:
        return str(document.context.get("batch_name", "") or "")
