"""The company's document store page (单位证照): its members upload, replace and see the validity of the
documents the company keeps once (companies.documents)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_POST

from applications.workdays import today
from invest.previews import stored_file_response

from . import documents as store
from .forms import CompanyDocumentForm
from .models import Company, CompanyDocument
from .views import _visible_company


def _company_for_member(request: HttpRequest, code: str) -> Company:
    company = _visible_company(request, code)
    if not store.may_manage_documents(request.user, company):
        raise PermissionDenied(_("只有该企业已确认的成员可以管理单位证照。"))
    return company


def _page(request: HttpRequest, company: Company, *, forms=None, status: int = 200) -> HttpResponse:
    current = store.current_documents(company)
    on = today()
    kinds = []
    for kind in store.document_kinds().values():
        document = current.get(kind.key)
        kinds.append(
            {
                "kind": kind,
                "document": document,
                "valid": document is not None and document.is_valid_on(on),
                "form": (forms or {}).get(kind.key) or CompanyDocumentForm(auto_id=f"id_{kind.key}_%s"),
                "accept": ",".join(sorted(f".{k}" for k in kind.accepted)),
            }
        )
    return render(
        request,
        "companies/documents.html",
        {"company": company, "kinds": kinds, "history": store.document_history(company)[:50]},
        status=status,
    )


@login_required
@require_GET
def documents(request: HttpRequest, code: str) -> HttpResponse:
    return _page(request, _company_for_member(request, code))


@login_required
@require_POST
def document_upload(request: HttpRequest, code: str, kind: str) -> HttpResponse:
    company = _company_for_member(request, code)
    if kind not in store.document_kinds():
        raise Http404
    form = CompanyDocumentForm(request.POST, request.FILES, auto_id=f"id_{kind}_%s")
    if form.is_valid():
        try:
            store.upload_document(
                company,
                request.user,
                kind=kind,
                uploaded_file=form.cleaned_data["file"],
                valid_until=form.cleaned_data.get("valid_until"),
            )
        except ValidationError as exc:
            for name, errors in exc.message_dict.items():
                form.add_error(name if name in form.fields else None, errors)
        else:
            messages.success(request, _("单位证照已保存。已提交的申报仍使用提交时的文件。"))
            return redirect("companies:documents", code=company.credit_code)
    return _page(request, company, forms={kind: form}, status=400)


@never_cache
@xframe_options_sameorigin
@login_required
@require_GET
def document_file(request: HttpRequest, pk: int) -> HttpResponse:
    """A stored company document, to the company's members and the office; 404 to anyone else."""
    document = get_object_or_404(CompanyDocument.objects.select_related("company"), pk=pk)
    if not store.may_view_document(request.user, document):
        raise Http404
    return stored_file_response(
        document.file, kind=document.file_kind, name=document.original_name, inline=request.GET.get("inline") == "1"
    )
