"""Read-only admin: documents are issued by transitions and never edited by hand."""

from django.contrib import admin

from .models import Document, DocumentCounter


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    list_display = ("number", "kind", "status", "issued_at", "rendered_at", "render_attempts")
    list_filter = ("kind", "status", "year")
    search_fields = ("number", "verification_code", "application__case_number")
    exclude = ("file",)  # never link the stored file from the admin: downloads go through the checked view
    readonly_fields = [f.name for f in Document._meta.fields if f.name != "file"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(DocumentCounter)
class DocumentCounterAdmin(admin.ModelAdmin):
    list_display = ("issuer", "year", "last_number")
    readonly_fields = ("issuer", "year", "last_number")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
