"""Public verification and the permission-checked download. Thin: the rules live in selectors."""

from __future__ import annotations

import io

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .models import Document
from .selectors import can_download, document_by_code, normalize_code, read_verified_pdf


@require_GET
def verify_form(request: HttpRequest) -> HttpResponse:
    """A form where a printed code can be typed; it sends the reader to the verification page."""
    code = request.GET.get("code", "")
    if code:
        cleaned = normalize_code(code)
        return redirect("documents:verify", code=cleaned or "unknown")
    return render(request, "documents/verify.html", {"document": None, "show_form": True})


@require_GET
def verify(request: HttpRequest, code: str) -> HttpResponse:
    """What the QR code opens. A wrong code gets the same 'not found' page whatever it is."""
    document = document_by_code(code)
    if document is None:
        return render(request, "documents/verify.html", {"document": None, "show_form": True}, status=404)
    return render(request, "documents/verify.html", {"document": document, "show_form": False})


@never_cache
@require_GET
def download(request: HttpRequest, pk: int) -> HttpResponse:
    """The PDF, for those allowed to see it; everyone else gets the same 404 as for a document that does not exist."""
    document = get_object_or_404(Document.objects.select_related("application", "batch"), pk=pk)
    allowed, _reason = can_download(request.user, document)
    if not allowed:
        raise Http404
    if not document.is_rendered:
        response = render(request, "documents/pending.html", {"document": document}, status=202)
        response["Retry-After"] = "5"
        return response
    data = read_verified_pdf(document)
    if data is None:
        return render(request, "documents/damaged.html", {"document": document}, status=500)
    response = FileResponse(
        io.BytesIO(data),
        content_type="application/pdf",
        as_attachment=request.GET.get("inline") != "1",
        filename=f"{document.number}.pdf",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
