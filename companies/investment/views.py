"""Manager pages of the investment pipeline. Thin: reads come from selectors, writes go through services."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from companies.models import Company

from . import exporting, response, selectors, services, workflow
from .forms import (
    FIELD_OF_CODE,
    FollowUpForm,
    MilestonePlanForm,
    MilestoneReachForm,
    PipelineFilter,
    split_codes,
    transition_form_class,
)
from .models import Lead, Milestone

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


def _only_overdue(form) -> bool:
    return form.is_bound and form.is_valid() and form.cleaned_data["overdue"]


@require_GET
@manager_required
def pipeline(request: HttpRequest) -> HttpResponse:
    form, leads = _filtered(request)
    stage = request.GET.get("stage")
    listed = leads.select_related("event", "owner", "company")
    if stage in workflow.STATE_BY_KEY:
        listed = listed.filter(state=stage)
    today = timezone.localdate()
    overdue_ids = response.overdue_lead_ids(leads, today=today)
    if _only_overdue(form):
        listed = listed.filter(pk__in=overdue_ids)
    shown = list(response.annotated(listed).order_by("-updated_at", "-id")[:LEAD_LIST_LIMIT])
    clocks = response.statuses(shown, today=today)
    late_milestones = selectors.leads_with_overdue_milestones(shown, today=today)
    for lead in shown:
        lead.overdue_clocks = [c for c in clocks[lead.pk] if c.overdue]
        lead.milestones_overdue = lead.pk in late_milestones
    return render(
        request,
        "investment/pipeline.html",
        {
            "form": form,
            "figures": selectors.pipeline(leads),
            "overdue_count": len(overdue_ids),
            "only_overdue": _only_overdue(form),
            "leads": shown,
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


def _render_detail(request, lead, bound=None, status=200, *, follow_up_form=None, plan_form=None, reach_forms=None):
    today = timezone.localdate()
    annotated = response.annotated(Lead.objects.filter(pk=lead.pk)).get()
    agreements = list(lead.agreements.prefetch_related("promised_items", "milestones"))
    milestones = [m for a in agreements for m in a.milestones.all()]
    reach_forms = reach_forms or {}
    for milestone in milestones:
        milestone.overdue = milestone.is_overdue(today)
        milestone.reach_form = reach_forms.get(milestone.pk) or MilestoneReachForm(prefix=f"m{milestone.pk}")
    signed = lead.state in (workflow.AGREEMENT_SIGNED, workflow.SETTLED)
    return render(
        request,
        "investment/lead_detail.html",
        {
            "lead": lead,
            "events": selectors.lead_history(lead),
            "agreements": agreements,
            "actions": _forms_for(lead, request.user, bound),
            "clocks": response.statuses([annotated], today=today)[lead.pk],
            "follow_ups": lead.follow_ups.select_related("recorded_by"),
            # A refused form is shown with its reason even where the page would offer none.
            "follow_up_form": follow_up_form or (FollowUpForm() if lead.is_open else None),
            "milestones": milestones,
            "plan_form": plan_form or (MilestonePlanForm() if signed and agreements else None),
        },
        status=status,
    )


def _refused(form, refused: services.TransitionRefused, fields: dict[str, str]) -> None:
    field = fields.get(refused.code)
    form.add_error(field if field in form.fields else None, refused.reason)


@require_POST
@manager_required
def follow_up(request: HttpRequest, pk: int) -> HttpResponse:
    lead = get_object_or_404(Lead, pk=pk)
    form = FollowUpForm(request.POST)
    if form.is_valid():
        try:
            services.add_follow_up(lead, request.user, **form.cleaned_data)
        except services.TransitionRefused as refused:
            _refused(
                form,
                refused,
                {"invalid_date": "on", "future_date": "on", "before_lead": "on", "missing_notes": "notes"},
            )
        else:
            messages.success(request, _("已登记跟进情况。"))
            return redirect(f"{reverse('investment:lead', args=[lead.pk])}#follow-ups-heading")
    return _render_detail(request, lead, follow_up_form=form, status=400)


@require_POST
@manager_required
def plan_milestone(request: HttpRequest, pk: int) -> HttpResponse:
    lead = get_object_or_404(Lead, pk=pk)
    form = MilestonePlanForm(request.POST)
    if form.is_valid():
        try:
            services.plan_milestone(lead, request.user, **form.cleaned_data)
        except services.TransitionRefused as refused:
            _refused(form, refused, {"missing_amount": "planned_amount", "invalid_amount": "planned_amount"})
        else:
            messages.success(request, _("已登记协议里程碑。"))
            return redirect(f"{reverse('investment:lead', args=[lead.pk])}#milestones-heading")
    return _render_detail(request, lead, plan_form=form, status=400)


@require_POST
@manager_required
def reach_milestone(request: HttpRequest, pk: int, milestone_pk: int) -> HttpResponse:
    lead = get_object_or_404(Lead, pk=pk)
    milestone = get_object_or_404(Milestone, pk=milestone_pk, agreement__lead=lead)
    form = MilestoneReachForm(request.POST, prefix=f"m{milestone.pk}")
    if form.is_valid():
        try:
            services.reach_milestone(milestone, request.user, **form.cleaned_data)
        except services.TransitionRefused as refused:
            _refused(
                form, refused, {"missing_amount": "amount", "invalid_amount": "amount", "future_date": "reached_on"}
            )
        else:
            messages.success(request, _("已登记里程碑完成情况。"))
            return redirect(f"{reverse('investment:lead', args=[lead.pk])}#milestones-heading")
    return _render_detail(request, lead, reach_forms={milestone.pk: form}, status=400)


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
