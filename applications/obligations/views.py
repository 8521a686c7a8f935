"""Pages: the company's obligations (我的履约事项) and upload, the officers' review, the approver's proposals.

Thin: each POST is one service call (applications.obligations.services); a refusal is shown on the page.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from applications import workflow
from applications.portal.forms import KIND_LABELS, TransitionForm, accept_attribute
from applications.portal.views.common import paginate, role_required
from applications.services import TransitionRefused, can
from invest.previews import stored_file_response
from invest.roles import ALL_CASES_ROLES, CLAWBACK_PROPOSAL_ROLES, has_role
from invest.uploads import max_file_size

from . import selectors, services
from .forms import DismissForm, ForwardForm, ReportForm, ReviewForm
from .models import ClawbackProposal, Obligation, ObligationReport

PAGE_SIZE = 50


def _obligation_for(request: HttpRequest, pk: int) -> Obligation:
    return get_object_or_404(selectors.obligations_visible_to(request.user), pk=pk)


@role_required("applicant")
@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    rows = selectors.obligations_of_member(request.user).order_by("due_on", "pk")
    page, page_query = paginate(request, rows, PAGE_SIZE)
    return render(request, "obligations/mine.html", {"page": page, "page_query": page_query})


def _detail_page(request: HttpRequest, obligation: Obligation, *, status: int = 200, **extra) -> HttpResponse:
    user = request.user
    member = selectors.is_member_of(user, obligation)
    reports = list(obligation.reports.select_related("uploaded_by", "reviewed_by"))
    latest = reports[0] if reports else None
    may_review = (
        services.may_review(user)[0] and latest is not None and latest.status == ObligationReport.Status.SUBMITTED
    )
    context = {
        "obligation": obligation,
        "app": obligation.application,
        "reports": reports,
        "latest": latest,
        "member": member,
        "can_upload": member and obligation.may_upload,
        "can_review": may_review,
        "report_form": extra.pop("report_form", None) or ReportForm(),
        "review_form": extra.pop("review_form", None) or ReviewForm(),
        "accept": accept_attribute(obligation.accepted_types),
        "types": "、".join(KIND_LABELS.get(k, k) for k in obligation.accepted_types or []),
        "max_size": max_file_size(),
        "proposals": list(obligation.proposals.all()) if not member or has_role(user, *ALL_CASES_ROLES) else [],
        "case_url": reverse("portal:case" if member else "portal:staff_case", args=[obligation.application_id]),
        "refusal": extra.pop("refusal", ""),
        "upload_error": extra.pop("upload_error", ""),
    }
    context.update(extra)
    return render(request, "obligations/detail.html", context, status=status)


@never_cache
@login_required
@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail_page(request, _obligation_for(request, pk))


@login_required
@require_POST
def upload(request: HttpRequest, pk: int) -> HttpResponse:
    obligation = _obligation_for(request, pk)
    form = ReportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _detail_page(request, obligation, report_form=form, status=400)
    try:
        services.submit_report(
            obligation, request.user, uploaded_file=form.cleaned_data["file"], note=form.cleaned_data["note"]
        )
    except TransitionRefused as exc:
        code = 503 if exc.code == "scanner_unavailable" else 403 if exc.code == "forbidden" else 400
        if exc.code in ("invalid_file", "scanner_unavailable"):  # about the file: said next to the file field
            return _detail_page(request, obligation, report_form=form, upload_error=exc.reason, status=code)
        return _detail_page(request, obligation, report_form=form, refusal=exc.reason, status=code)
    messages.success(request, _("材料已提交，等待审核。审核结果会通过通知告诉您。"))
    return redirect("obligations:detail", pk=obligation.pk)


@login_required
@require_POST
def review(request: HttpRequest, pk: int) -> HttpResponse:
    report = get_object_or_404(ObligationReport, pk=pk)
    obligation = _obligation_for(request, report.obligation_id)
    ok, reason = services.may_review(request.user)
    if not ok:
        return _detail_page(request, obligation, refusal=reason, status=403)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        return _detail_page(request, obligation, review_form=form, status=400)
    accept = form.cleaned_data["decision"] == "accept"
    try:
        services.review_report(report, request.user, accept=accept, reason=form.cleaned_data["reason"])
    except TransitionRefused as exc:
        return _detail_page(request, obligation, review_form=form, refusal=exc.reason, status=409)
    messages.success(request, _("已审核通过。") if accept else _("已退回，企业将收到退回意见。"))
    return redirect("obligations:detail", pk=obligation.pk)


@never_cache
@login_required
@require_GET
def report_file(request: HttpRequest, pk: int) -> HttpResponse:
    report = get_object_or_404(ObligationReport, pk=pk)
    if not selectors.obligations_visible_to(request.user).filter(pk=report.obligation_id).exists():
        raise Http404
    return stored_file_response(
        report.file, kind=report.file_kind, name=report.original_name, inline=request.GET.get("inline") == "1"
    )


@role_required(*ALL_CASES_ROLES)
@require_GET
def office(request: HttpRequest) -> HttpResponse:
    """Every obligation, filtered by status (by default those waiting for a review)."""
    status = request.GET.get("status", Obligation.Status.SUBMITTED)
    rows = selectors.obligations_visible_to(request.user).order_by("due_on", "pk")
    if status in Obligation.Status.values:
        rows = rows.filter(status=status)
    else:
        status = ""
    page, page_query = paginate(request, rows, PAGE_SIZE)
    open_proposals = ClawbackProposal.objects.filter(status=ClawbackProposal.Status.OPEN).count()
    return render(
        request,
        "obligations/office.html",
        {
            "page": page,
            "page_query": page_query,
            "status": status,
            "statuses": Obligation.Status.choices,
            "open_proposals": open_proposals,
        },
    )


@role_required(*ALL_CASES_ROLES)
@require_GET
def proposals(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", ClawbackProposal.Status.OPEN)
    rows = selectors.proposals_visible_to(request.user)
    if status in ClawbackProposal.Status.values:
        rows = rows.filter(status=status)
    else:
        status = ""
    page, page_query = paginate(request, rows, PAGE_SIZE)
    return render(
        request,
        "obligations/proposals.html",
        {
            "page": page,
            "page_query": page_query,
            "status": status,
            "statuses": ClawbackProposal.Status.choices,
            "may_decide": has_role(request.user, *CLAWBACK_PROPOSAL_ROLES),
        },
    )


def _proposal_page(request: HttpRequest, proposal: ClawbackProposal, *, status: int = 200, **extra) -> HttpResponse:
    user = request.user
    app = proposal.application
    claw_back = workflow.TRANSITION_BY_KEY["claw_back"]
    claw_back_form = None
    if proposal.status == ClawbackProposal.Status.FORWARDED and can(app, user, "claw_back")[0]:
        # The case's own clawback action, with the proposal's reason filled in: it posts to the case page's
        # action (portal:staff_act), which confirms before anything happens.
        reason = proposal.reason + (f"\n{_('审定意见：')}{proposal.decision}" if proposal.decision else "")
        claw_back_form = TransitionForm(spec=claw_back, application=app, initial={"comment": reason})
    context = {
        "proposal": proposal,
        "app": app,
        "obligation": proposal.obligation,
        "may_decide": services.may_decide_proposal(user)[0] and proposal.status == ClawbackProposal.Status.OPEN,
        "forward_form": extra.pop("forward_form", None) or ForwardForm(),
        "dismiss_form": extra.pop("dismiss_form", None) or DismissForm(),
        "claw_back": claw_back,
        "claw_back_form": claw_back_form,
        "refusal": extra.pop("refusal", ""),
    }
    context.update(extra)
    return render(request, "obligations/proposal.html", context, status=status)


def _proposal_for(request: HttpRequest, pk: int) -> ClawbackProposal:
    return get_object_or_404(selectors.proposals_visible_to(request.user), pk=pk)


@role_required(*ALL_CASES_ROLES)
@require_GET
def proposal(request: HttpRequest, pk: int) -> HttpResponse:
    return _proposal_page(request, _proposal_for(request, pk))


@role_required(*CLAWBACK_PROPOSAL_ROLES)
@require_POST
def forward(request: HttpRequest, pk: int) -> HttpResponse:
    item = _proposal_for(request, pk)
    form = ForwardForm(request.POST)
    if not form.is_valid():
        return _proposal_page(request, item, forward_form=form, status=400)
    try:
        services.forward_proposal(item, request.user, note=form.cleaned_data["note"])
    except TransitionRefused as exc:
        return _proposal_page(request, item, forward_form=form, refusal=exc.reason, status=409)
    messages.success(request, _("已转追回程序，管理员将在案件页办理“追回资金并禁入”。"))
    return redirect("obligations:proposal", pk=item.pk)


@role_required(*CLAWBACK_PROPOSAL_ROLES)
@require_POST
def dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    item = _proposal_for(request, pk)
    form = DismissForm(request.POST)
    if not form.is_valid():
        return _proposal_page(request, item, dismiss_form=form, status=400)
    try:
        services.dismiss_proposal(item, request.user, reason=form.cleaned_data["reason"])
    except TransitionRefused as exc:
        return _proposal_page(request, item, dismiss_form=form, refusal=exc.reason, status=409)
    messages.success(request, _("已决定不予追回。"))
    return redirect("obligations:proposals")
