"""The audit viewer's two GET views: the filtered log a page at a time, and the same filter as XLSX."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from applications.portal.views.common import role_required
from invest.exporting import XLSX_CONTENT_TYPE, xlsx_bytes
from invest.roles import AUDIT_LOG_ROLES

from . import selectors
from .forms import AuditFilterForm


def _cursor(request: HttpRequest, name: str) -> tuple[int | None, bool]:
    """A page cursor (an entry id) from the query string, and whether one was given but unusable."""
    value = request.GET.get(name, "")
    if not value:
        return None, False
    if value.isdigit() and len(value) <= 18:
        return int(value), False
    return None, True


@role_required(*AUDIT_LOG_ROLES)
@require_GET
def log(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None)
    valid = form.is_valid() if form.is_bound else True
    filters = form.filters if form.is_bound and valid else selectors.Filters()
    after, bad_after = _cursor(request, "after")
    before, bad_before = _cursor(request, "before")
    page = None
    if valid:
        page = selectors.page(
            selectors.matching(filters), after=after, before=None if after else before, size=selectors.PAGE_SIZE
        )
    params = request.GET.copy()
    for name in ("after", "before"):
        params.pop(name, None)
    query = params.urlencode()
    return render(
        request,
        "auditlog/list.html",
        {
            "form": form,
            "valid": valid,
            "page": page,
            "rows": selectors.rows(page.entries) if page else [],
            "query": query,
            "paged": bool(after or before),
            "bad_cursor": bad_after or bad_before,
            "page_size": selectors.PAGE_SIZE,
            "export_cap": f"{selectors.EXPORT_CAP:,}",
        },
    )


@role_required(*AUDIT_LOG_ROLES)
@require_GET
def export(request: HttpRequest) -> HttpResponse:
    """The entries the page's filter selects, newest first, at most EXPORT_CAP of them (then a note row)."""
    form = AuditFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        problems = "；".join(str(e) for errors in form.errors.values() for e in errors)
        return HttpResponseBadRequest(
            _("筛选条件有误，未导出：%(p)s 请回到审计日志页面更正后再导出。") % {"p": problems},
            content_type="text/plain; charset=utf-8",
        )
    filters = form.filters if form.is_bound else selectors.Filters()
    data = xlsx_bytes(
        [str(h) for h in selectors.EXPORT_HEADER],
        selectors.export_rows(selectors.matching(filters), cap=selectors.EXPORT_CAP),
        str(_("审计日志")),
    )
    response = HttpResponse(data, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="audit-{timezone.localdate().isoformat()}.xlsx"'
    return response
