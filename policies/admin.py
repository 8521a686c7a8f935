"""Managers keep policies, rounds, items and their rules here. Saving goes through the models' `clean`, which
compiles each rule against the typed context, so a rule that does not compile never reaches the database and
the form says which word is wrong. Every rule edit is audited and bumps the item's rules version."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import F
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin, TranslationTabularInline

from invest.audit import audit

from .models import Criterion, Invitation, Policy, Round, RubricCriterion, SupportItem
from .services import item_rules
from .variables import VARIABLES


class RoundInline(admin.TabularInline):
    model = Round
    extra = 0
    fields = ("name", "year", "opens_at", "closes_at", "budget")


@admin.register(Policy)
class PolicyAdmin(TranslationAdmin):
    list_display = ("title", "issuing_body", "document_number", "effective_from", "effective_to", "status")
    list_filter = ("status",)
    search_fields = ("title", "document_number")
    inlines = [RoundInline]


@admin.register(Round)
class RoundAdmin(admin.ModelAdmin):
    list_display = ("name", "policy", "year", "opens_at", "closes_at", "budget")
    list_filter = ("year", "policy")


class CriterionInline(TranslationTabularInline):
    model = Criterion
    extra = 0
    fields = ("order", "label", "expression", "failure_message", "success_message")


class RubricInline(admin.TabularInline):
    """The expert scoring rubric: each row scored 0..满分 by the experts; 权重 sets its share of the total 100."""

    model = RubricCriterion
    extra = 0
    fields = ("order", "label", "weight", "maximum")


def _variable_help() -> str:
    return "；".join(f"{key}（{v.label}{'，' + str(v.unit) if v.unit else ''}）" for key, v in VARIABLES.items())


@admin.register(SupportItem)
class SupportItemAdmin(TranslationAdmin):
    list_display = (
        "code",
        "name",
        "policy",
        "applicants",
        "cap_per_application",
        "cap_per_company_year",
        "once_per_company",
    )
    list_filter = ("policy", "applicants", "stacking_group")
    search_fields = ("code", "name")
    readonly_fields = ("rules_version", "variables")
    inlines = [CriterionInline, RubricInline]
    fieldsets = (
        (None, {"fields": ("policy", "code", "name", "description", "applicants", "sort_order")}),
        (
            _("金额与上限"),
            {
                "fields": (
                    "amount_expression",
                    "amount_explanation",
                    "cap_per_application",
                    "cap_per_company_year",
                    "once_per_company",
                    "stacking_group",
                    "cap_note",
                )
            },
        ),
        (_("申报表与材料"), {"fields": ("form_fields", "materials")}),
        (_("规则"), {"fields": ("variables", "rules_version")}),
    )

    @admin.display(description=_("可用变量"))
    def variables(self, obj) -> str:
        return _variable_help()

    def save_related(self, request, form, formsets, change):
        item = form.instance
        before = item_rules(item) if change and item.pk else None
        before = getattr(request, "_policy_rules_before", before)
        super().save_related(request, form, formsets, change)
        item.refresh_from_db()
        after = item_rules(item)
        if before is not None and before != after:
            SupportItem.objects.filter(pk=item.pk).update(rules_version=F("rules_version") + 1)
            item.refresh_from_db()
            after = item_rules(item)
        if before != after:
            audit(
                request.user,
                "policies.rules_edited" if change else "policies.item_created",
                item,
                before=before,
                after=after,
                role="manager",
            )

    def get_form(self, request, obj=None, **kwargs):
        if obj is not None:
            request._policy_rules_before = item_rules(obj)
        return super().get_form(request, obj, **kwargs)


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ("company", "item", "round", "estimated_amount", "status", "created_at")
    list_filter = ("round", "item", "status")
    search_fields = ("company__name", "company__credit_code")
    raw_id_fields = ("company",)
