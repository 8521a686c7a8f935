"""Admin of the company registry: search by name, former name or credit code; filters by district,
industry, park and status; import with preview and export through CompanyResource."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportModelAdmin

from . import services, uscc
from .models import Company, CompanyDocument, CompanyImport, FormerName, Membership
from .resources import CompanyCSV, CompanyResource, CompanyXLSX, UploadOnDisk


class FormerNameInline(admin.TabularInline):
    model = FormerName
    extra = 0


class MembershipInline(admin.TabularInline):
    """Shown, not edited: memberships change only through the office's requests page and the company page
    (companies.services), which audit the decision and grant or take away the applicant role with it."""

    model = Membership
    fk_name = "company"
    extra = 0
    fields = ("user", "status", "requested_at", "decided_at", "decided_by", "reason", "ended_at", "ended_by")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Company)
class CompanyAdmin(ImportExportModelAdmin):
    resource_classes = [CompanyResource]
    import_formats = [CompanyXLSX, CompanyCSV]
    export_formats = [CompanyXLSX, CompanyCSV]
    skip_admin_log = True  # every import is recorded as a CompanyImport and in the audit log instead
    tmp_storage_class = UploadOnDisk  # the upload stays on disk, read a block at a time
    list_display = (
        "name",
        "credit_code",
        "registration_district",
        "industry",
        "business_status",
        "in_hq_park",
        "banned_until",
    )
    list_filter = ("registration_district", "tax_district", "industry", "in_hq_park", "business_status")
    search_fields = ("name", "credit_code", "former_names__name", "legal_representative")
    inlines = [FormerNameInline, MembershipInline]
    readonly_fields = ("created_at", "updated_at")
    list_per_page = 50

    def write_to_tmp_storage(self, import_file, input_format):
        """The upload copied to the temporary folder a piece at a time (the library joins its pieces in memory)."""
        storage = UploadOnDisk(read_mode=input_format.get_read_mode(), **self.get_tmp_storage_class_kwargs())
        storage.save(import_file)
        return storage

    def get_search_results(self, request, queryset, search_term):
        """A credit code typed with spaces, hyphens, lower case or full-width characters still matches."""
        code = uscc.normalize(search_term)
        if len(code) >= 6 and code.isalnum() and code.isascii() and any(ch.isdigit() for ch in code):
            return queryset.filter(credit_code__contains=code), False
        return super().get_search_results(request, queryset, search_term)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "company", "status", "requested_at", "decided_at", "decided_by")
    list_filter = ("status",)
    search_fields = ("user__username", "company__name", "company__credit_code")
    raw_id_fields = ("user", "company", "decided_by")
    readonly_fields = ("requested_at", "decided_at", "decided_by")
    actions = ["confirm", "refuse"]

    @admin.action(description=_("确认所选成员申请"))
    def confirm(self, request, queryset):
        done = 0
        for membership in queryset.filter(status=Membership.Status.REQUESTED):
            services.decide_membership(membership, request.user, confirm=True)
            done += 1
        self.message_user(request, _("已确认%(n)d个申请。") % {"n": done}, messages.SUCCESS)

    @admin.action(description=_("拒绝所选成员申请"))
    def refuse(self, request, queryset):
        done = 0
        for membership in queryset.filter(status=Membership.Status.REQUESTED):
            services.decide_membership(membership, request.user, confirm=False)
            done += 1
        self.message_user(request, _("已拒绝%(n)d个申请。") % {"n": done}, messages.SUCCESS)


@admin.register(CompanyDocument)
class CompanyDocumentAdmin(admin.ModelAdmin):
    """The company document store (单位证照), read-only: members keep it on their company's 单位证照 page, and a
    stored document is never edited, because cases that chose it keep serving its file."""

    list_display = ("company", "kind", "original_name", "valid_until", "uploaded_at", "superseded_at")
    list_filter = ("kind",)
    search_fields = ("company__name", "company__credit_code", "original_name", "sha256")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(CompanyImport)
class CompanyImportAdmin(admin.ModelAdmin):
    list_display = (
        "at",
        "actor",
        "source",
        "file_name",
        "outcome",
        "new",
        "updated",
        "unchanged",
        "invalid",
        "seconds",
    )
    list_filter = ("outcome", "source")
    search_fields = ("file_name", "file_sha256")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
