"""Admin: managers edit the holiday calendar here; case records are read-mostly (changes go through services)."""

from django.contrib import admin

from .models import (
    Application,
    CalendarDay,
    CalendarYear,
    Clawback,
    CorrectionItem,
    CorrectionRequest,
    Disbursement,
    ExpertAssignment,
    Material,
    NoticeBatch,
    Notification,
    Objection,
    Revision,
)


class CalendarDayInline(admin.TabularInline):
    model = CalendarDay
    extra = 3
    fields = ("date", "kind", "name")


@admin.register(CalendarYear)
class CalendarYearAdmin(admin.ModelAdmin):
    list_display = ("year", "source", "note", "updated_at")
    inlines = [CalendarDayInline]


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ("date", "kind", "name", "year")
    list_filter = ("kind", "year")
    date_hierarchy = "date"


# --- cases: read-only records; every change goes through applications.services ---------------------------


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class MaterialInline(ReadOnlyInline):
    model = Material
    fields = ("key", "revision", "original_name", "kind", "size", "sha256", "uploaded_at", "superseded_at")
    readonly_fields = fields


class RevisionInline(ReadOnlyInline):
    model = Revision
    fields = ("number", "submitted_at", "submitted_by")
    readonly_fields = fields


class ExpertAssignmentInline(ReadOnlyInline):
    model = ExpertAssignment
    fields = ("expert", "opinion", "score", "suggested_amount", "comment", "answered_at")
    readonly_fields = fields


class DisbursementInline(ReadOnlyInline):
    model = Disbursement
    fields = ("amount", "paid_on", "voucher_number", "recorded_by", "recorded_at")
    readonly_fields = fields


class ObjectionInline(ReadOnlyInline):
    model = Objection
    fields = ("name", "contact", "content", "status", "decided_by", "decision")
    readonly_fields = fields


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):
    """Cases are read here; state and amounts change only through the workflow services (audited)."""

    list_display = ("case_number", "project_title", "company", "item", "state", "due_date", "approved_amount")
    list_filter = ("state", "round", "item")
    search_fields = ("case_number", "project_title", "company__name", "company__credit_code")
    list_select_related = ("company", "item")
    inlines = [RevisionInline, MaterialInline, ExpertAssignmentInline, ObjectionInline, DisbursementInline]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class CorrectionItemInline(admin.TabularInline):
    model = CorrectionItem
    extra = 0


@admin.register(CorrectionRequest)
class CorrectionRequestAdmin(admin.ModelAdmin):
    list_display = ("application", "deadline", "status", "requested_at")
    list_filter = ("status",)
    inlines = [CorrectionItemInline]
    readonly_fields = ("application", "revision", "requested_by", "requested_at", "answered_at")


@admin.register(NoticeBatch)
class NoticeBatchAdmin(admin.ModelAdmin):
    list_display = ("title", "started_at", "ends_on", "started_by")


@admin.register(Objection)
class ObjectionAdmin(admin.ModelAdmin):
    list_display = ("application", "name", "contact", "status", "filed_at")
    list_filter = ("status",)
    readonly_fields = ("application", "name", "contact", "content", "filed_by", "filed_at")


@admin.register(Disbursement)
class DisbursementAdmin(admin.ModelAdmin):
    list_display = ("application", "amount", "paid_on", "voucher_number", "recorded_by")
    search_fields = ("voucher_number", "application__case_number")

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(Clawback)
class ClawbackAdmin(admin.ModelAdmin):
    list_display = ("application", "amount", "banned_until", "recorded_at")

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("recipient", "subject", "event", "created_at", "read_at", "email_status", "email_attempts")
    list_filter = ("event", "email_status")  # 发送失败: the e-mails the task gave up on, with the error
