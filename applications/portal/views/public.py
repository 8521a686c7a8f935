"""Pages anyone may open: the public-notice list (公示) and the objection form."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from applications import services
from applications.models import Application
from applications.services import TransitionRefused

from ..forms import (
    ObjectionForm,
)
from .common import (
    paginate,
    public_links,
)

NOTICES_PAGE_SIZE = 100


@require_GET
def notices(request: HttpRequest) -> HttpResponse:
    cases = (
        Application.objects.filter(state__in=("public_notice", "objection_review"))
        .select_related("company", "item", "notice_batch")
        .order_by("notice_batch_id", "case_number")
    )
    # 100 a page: a province's 公示 can hold thousands of cases at once (bench/scale.py)
    page, page_query = paginate(request, cases, NOTICES_PAGE_SIZE)
    return render(
        request, "portal/notices.html", {"cases": page, "page": page, "page_query": page_query, **public_links()}
    )


@require_http_methods(["GET", "POST"])
def objection(request: HttpRequest, pk: int) -> HttpResponse:
    app = get_object_or_404(
        Application.objects.select_related("company", "item"), pk=pk, state__in=("public_notice", "objection_review")
    )
    form = ObjectionForm(request.POST or None)
    refusal = ""
    if request.method == "POST" and form.is_valid():
        try:
            services.file_objection(
                app,
                name=form.cleaned_data["name"],
                contact=form.cleaned_data["contact"],
                content=form.cleaned_data["content"],
                actor=request.user,
            )
        except TransitionRefused as exc:
            refusal = exc.reason
        else:
            messages.success(request, _("异议已收到。核查期间该项目暂停公示，核查结论将通过您留下的联系方式告知。"))
            return redirect("portal:notices")
    return render(
        request,
        "portal/objection.html",
        {"app": app, "form": form, "refusal": refusal, **public_links()},
        status=400 if form.errors or refusal else 200,
    )
