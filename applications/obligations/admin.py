"""Admin: managers edit the obligation rules (data per support item); obligations, reports and proposals are
read here and changed only through the pages (applications.obligations.services), which audit each change."""

from django.contrib import admin

from .models import ClawbackProposal, Obligation, ObligationReport, ObligationRule


@admin.register(ObligationRule)
class ObligationRuleAdmin(admin.ModelAdmin):
    list_display = ("__str__", "kind", "basis", "months", "min_amount", "active", "sort_order")
    list_filter = ("kind", "basis", "active", "item")
    list_editable = ("active", "sort_order")
    fields = (
        "item",
        "kind",
        "label",
        "description",
        "upload_label",
        "accepted_types",
        "basis",
        "months",
        "min_amount",
        "active",
        "sort_order",
    )


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Obligation)
class ObligationAdmin(ReadOnly):
    list_display = ("application", "label", "kind", "due_on", "status")
    list_filter = ("status", "kind")
    search_fields = ("application__case_number", "application__company__name", "label")


@admin.register(ObligationReport)
class ObligationReportAdmin(ReadOnly):
    list_display = ("obligation", "original_name", "uploaded_at", "status", "reviewed_by")
    list_filter = ("status",)


@admin.register(ClawbackProposal)
class ClawbackProposalAdmin(ReadOnly):
    list_display = ("application", "cause", "status", "created_at", "decided_by")
    list_filter = ("status", "cause")
