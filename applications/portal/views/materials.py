"""Material files and their page previews, for everyone who may see the case (applicant and office)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET

from applications.models import Material
from applications.rules import may_view
from applications.visibility import declaration_pending
from invest.previews import page_preview_response, stored_file_response


def _check_access(request: HttpRequest, item: Material) -> None:
    """404 for whoever may not see the case; 403 for an expert who has not yet declared no conflict of interest."""
    if not may_view(request.user, item.application):
        raise Http404
    if declaration_pending(request.user, item.application):
        raise PermissionDenied(_("请先在案件页作出利益冲突声明，声明无利益冲突后才能查看申报材料。"))


@never_cache
@xframe_options_sameorigin
@login_required
@require_GET
def material(request: HttpRequest, pk: int) -> HttpResponse:
    """A material file for those who may see its case; PDFs and images inline (the case page previews them)."""
    item = get_object_or_404(Material.objects.select_related("application"), pk=pk)
    _check_access(request, item)
    return stored_file_response(
        item.file, kind=item.kind, name=item.original_name, inline=request.GET.get("inline") == "1"
    )


@never_cache
@login_required
@require_GET
def material_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """The first page of a PDF material as a PNG, for the case page.

    Rendered on the server (poppler's pdftoppm, with a time limit) so the preview shows the same in every
    browser, including those without a PDF viewer, and no uploaded PDF runs in the reviewer's browser.
    """

    item = get_object_or_404(Material.objects.select_related("application"), pk=pk)
    _check_access(request, item)
    if item.kind in ("jpeg", "png"):
        return redirect(reverse("portal:material", args=[pk]) + "?inline=1")
    if item.kind != "pdf":
        raise Http404
    try:
        page = max(1, min(int(request.GET.get("page", "1")), 500))
    except ValueError:
        page = 1
    return page_preview_response(item.file, page=page)


# --------------------------------------------------------------------------------------------------------
