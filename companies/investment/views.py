"""Manager pages of the investment pipeline. Thin: reads come from selectors, writes go through services."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from companies.models import Company

from . import exporting, selectors, services, workflow
from .forms import FIELD_OF_CODE, PipelineFilter, split_codes, transition_form_class
from .models import Lead

LEAD_LIST_LIMIT = 200


def manager_required(view):
    """Anonymous visitors go to the login page; signed-in people without the manager role get a 403."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not services.can_manage(request.user):
            raise PermissionDenied(_("招商线索仅供招商管理员查看。"))
        return view(request, *args, **kwargs)

    return wrapper


def _filtered(request: HttpRequest):
    form = PipelineFilter(request.GET or None)
    event = year = owner = None
    if form.is_valid():
        event = form.cleaned_data["event"]
        year = form.cleaned_data["year"]
        owner = request.user if form.cleaned_data["mine"] else None
    return form, selectors.leads_filtered(event=event, owner=owner, year=year)


@require_GET
@manager_required
def pipeline(request: HttpRequest) -> HttpResponse:
    form, leads = _filtered(request)
    stage = request.GET.get("stage")
    listed = leads.select_related("event", "owner", "company")
    if stage in workflow.STATE_BY_KEY:
        listed = listed.filter(state=stage)
    return render(
        request,
        "investment/pipeline.html",
        {
            "form": form,
            "figures": selectors.pipeline(leads),
            "leads": listed.order_by("-updated_at", "-id")[:LEAD_LIST_LIMIT],
            "limit": LEAD_LIST_LIMIT,
            "stage": stage if stage in workflow.STATE_BY_KEY else "",
            "stage_label": workflow.state_label(stage) if stage in workflow.STATE_BY_KEY else "",
            "states": workflow.STATES,
            "query": request.GET.urlencode(),
        },
    )


@require_GET
@manager_required
def export(request: HttpRequest) -> HttpResponse:
    _form, leads = _filtered(request)
    content = exporting.pipeline_workbook(leads)
    response = HttpResponse(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    name = f"investment-pipeline-{timezone.localdate():%Y%m%d}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _forms_for(lead: Lead, user, bound=None) -> list:
    forms = []
    for spec in services.allowed_transitions(lead, user):
        form_class = transition_form_class(spec)
        if bound is not None and bound.prefix == spec.key:
            form = bound
        else:
            form = form_class(initial={"transition": spec.key, "state_seen": lead.state}, prefix=spec.key)
        forms.append((spec, form))
    return forms


@require_GET
@manager_required
def lead_detail(request: HttpRequest, pk: int) -> HttpResponse:
    lead = get_object_or_404(Lead.objects.select_related("event", "owner", "company"), pk=pk)
    return _render_detail(request, lead)


def _render_detail(request, lead, bound=None, status=200):
    return render(
        request,
        "investment/lead_detail.html",
        {
            "lead": lead,
            "events": selectors.lead_history(lead),
            "agreements": lead.agreements.prefetch_related("promised_items"),
            "actions": _forms_for(lead, request.user, bound),
        },
        status=status,
    )


@require_POST
@manager_required
def lead_advance(request: HttpRequest, pk: int) -> HttpResponse:
    lead = get_object_or_404(Lead, pk=pk)
    # Each action's form is prefixed with its transition key; the one posted names the action.
    key = next((k for k in workflow.BY_KEY if f"{k}-transition" in request.POST), "")
    spec = workflow.BY_KEY.get(key)
    if spec is None:
        messages.error(request, _("没有这个操作，请从页面上的按钮中选择。"))
        return redirect("investment:lead", pk=lead.pk)
    form = transition_form_class(spec)(request.POST, prefix=spec.key)
    if not form.is_valid():
        return _render_detail(request, lead, form, status=400)
    data = {k: v for k, v in form.cleaned_data.items() if v not in (None, "") and k not in ("transition", "state_seen")}
    if "support_items" in data:
        data["support_items"] = split_codes(data["support_items"])
    try:
        # state_seen: the stage shown when the page was opened, so a lead moved by someone else meanwhile
        # is refused rather than changed on the strength of an outdated page.
        moved = services.advance(lead, spec.key, request.user, state_seen=form.cleaned_data["state_seen"], **data)
    except services.TransitionRefused as refused:
        field = FIELD_OF_CODE.get(refused.code)
        if refused.code == "invalid_date":
            field = "signed_on" if "signed_on" in form.fields else "on"
        form.add_error(field if field in form.fields else None, refused.reason)
        fresh = Lead.objects.select_related("event", "owner", "company").get(pk=lead.pk)
        return _render_detail(request, fresh, form, status=409 if refused.code == "changed_under_you" else 400)
    messages.success(
        request,
        _("已完成“%(action)s”，线索现为“%(state)s”。") % {"action": spec.label, "state": moved.state_label},
    )
    return redirect("investment:lead", pk=moved.pk)


@require_GET
@manager_required
def company_history(request: HttpRequest, pk: int) -> HttpResponse:
    """A company's investment story on its own page, until the company page includes the fragment itself."""
    company = get_object_or_404(Company, pk=pk)
    history = selectors.company_history(company)
    return render(request, "investment/company_history.html", {"company": company, "history": history})
