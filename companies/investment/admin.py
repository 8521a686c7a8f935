"""Admin for the investment pipeline. Stages are read-only here: they move only through services.advance
(the lead page offers the actions), so the admin can never skip a stage or leave no history."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from invest.audit import EventType, audit

from . import selectors
from .models import Agreement, FollowUp, Lead, Milestone, PromisedSupport, PromotionEvent, ResponseTarget


@admin.register(PromotionEvent)
class PromotionEventAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "date", "place", "lead_count"]
    list_filter = ["kind", "date"]
    search_fields = ["name", "place"]
    date_hierarchy = "date"

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(lead_total=Count("leads"))

    @admin.display(description=_("线索数"), ordering="lead_total")
    def lead_count(self, obj) -> int:
        return obj.lead_total


class AgreementInline(admin.TabularInline):
    model = Agreement
    extra = 0
    can_delete = False
    fields = ["signed_on", "number", "committed_investment", "terms"]
    readonly_fields = fields
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Lead)
class LeadAdmin(admin.ModelAdmin):
    list_display = ["name", "state", "project_kind", "event", "owner", "expected_investment", "company", "updated_at"]
    list_filter = ["state", "project_kind", "event"]
    search_fields = ["name", "credit_code", "contact_person", "company__name"]
    list_select_related = ["event", "owner", "company"]
    readonly_fields = [
        "state",
        "contacted_on",
        "settled_on",
        "lost_reason",
        "company",
        "created_at",
        "updated_at",
        "history",
    ]
    inlines = [AgreementInline]
    fieldsets = [
        (None, {"fields": ["name", "credit_code", "project_kind", "event", "owner"]}),
        (_("联系方式"), {"fields": ["contact_person", "contact_phone", "contact_email"]}),
        (_("预期"), {"fields": ["expected_investment", "expected_local_spend", "notes"]}),
        (
            _("阶段（请在线索页面操作）"),
            {"fields": ["state", "contacted_on", "settled_on", "company", "lost_reason", "created_at", "updated_at"]},
        ),
        (_("线索记录"), {"fields": ["history"]}),
    ]

    @admin.display(description=_("线索记录"))
    def history(self, obj) -> str:
        """The lead's history from the audit log, as on the lead page (selectors.lead_history)."""
        rows = selectors.lead_history(obj) if obj.pk else []
        return format_html(
            "<ol>{}</ol>",
            format_html_join(
                "",
                "<li>{} {} {} {}</li>",
                (
                    (
                        f"{r.at:%Y-%m-%d %H:%M}",
                        r.label,
                        f"{r.source_label} → {r.target_label}" if r.source else "",
                        r.comment,
                    )
                    for r in rows
                ),
            ),
        )

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.state == "settled":
            fields.append("credit_code")  # the code the company link was made by; changing it would orphan it
        return fields

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change:
            audit(
                request.user,
                EventType.LEAD_EDIT,
                obj,
                before={f: form.initial.get(f) for f in form.changed_data},
                after={f: form.cleaned_data.get(f) for f in form.changed_data},
                role="manager",
            )
        else:
            audit(
                request.user,
                EventType.LEAD_CREATE,
                obj,
                after={"name": obj.name, "credit_code": obj.credit_code, "state": obj.state},
            )


class PromisedSupportInline(admin.TabularInline):
    model = PromisedSupport
    extra = 0


@admin.register(Agreement)
class AgreementAdmin(admin.ModelAdmin):
    list_display = ["lead", "number", "signed_on", "committed_investment"]
    search_fields = ["lead__name", "lead__credit_code", "number", "promised_items__item_code"]
    list_select_related = ["lead"]
    readonly_fields = ["lead", "created_by", "created_at"]
    inlines = [PromisedSupportInline]

    def has_add_permission(self, request):
        # Agreements are recorded by the 登记签约 action on the lead page, in the same step as the stage change.
        return False

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        audit(
            request.user,
            "agreement.edit",
            obj,
            before={f: form.initial.get(f) for f in form.changed_data},
            after={f: form.cleaned_data.get(f) for f in form.changed_data},
        )


@admin.register(ResponseTarget)
class ResponseTargetAdmin(admin.ModelAdmin):
    """The working days of each response clock; what starts and ends a clock is in response.CLOCKS."""

    list_display = ["key", "working_days", "active"]
    list_editable = ["working_days", "active"]

    def has_add_permission(self, request):
        # One row per clock, seeded by the migration; a clock without its row is simply not running.
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(FollowUp)
class FollowUpAdmin(admin.ModelAdmin):
    """Read-only: follow-ups are logged on the lead page, which audits them into the lead's history."""

    list_display = ["lead", "kind", "on", "people", "recorded_by"]
    list_filter = ["kind"]
    search_fields = ["lead__name", "people", "notes"]
    list_select_related = ["lead", "recorded_by"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Milestone)
class MilestoneAdmin(admin.ModelAdmin):
    """Read-only: milestones are planned and reached on the lead page, which audits them."""

    list_display = ["agreement", "kind", "planned_on", "planned_amount", "reached_on", "amount"]
    list_filter = ["kind"]
    list_select_related = ["agreement__lead"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
