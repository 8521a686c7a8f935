"""Thin views: the public policy calculator, an item's page and a company's invitations."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from .forms import CalculatorForm
from .models import Invitation
from .selectors import invitations_for, member_companies, open_rounds, published_items
from .services import company_facts, display_value, evaluate_item, mark_invitation_started, normalize_facts
from .variables import VARIABLES


def calculator(request: HttpRequest) -> HttpResponse:
    """政策计算器: every published item with its conditions; with facts entered, per item the result."""
    companies = list(member_companies(request.user))
    company = None
    if companies:
        wanted = request.GET.get("company")
        company = next((c for c in companies if str(c.pk) == wanted), companies[0])
    items = list(published_items())
    results = None
    entered: list = []
    if "calculate" in request.GET:
        form = CalculatorForm(request.GET)
        if form.is_valid():
            facts = form.facts()
            if company is not None and company.banned_until:
                facts["banned_until"] = company.banned_until
            results = [
                (item, evaluation, apply_url(item, facts, company) if evaluation.eligible else "")
                for item in items
                for evaluation in [evaluate_item(item, facts=facts)]
            ]
            entered = [
                (form.fields[key].label, display_value(key, value))
                for key, value in normalize_facts(facts).items()
                if key in form.fields
            ]
    else:
        initial = {}
        if company is not None:
            initial = {k: v for k, v in company_facts(company).items() if v not in (None, "")}
            initial["in_hq_park"] = "true" if company.in_hq_park else "false"
        form = CalculatorForm(initial=initial)
    return render(
        request,
        "policies/calculator.html",
        {
            "form": form,
            "items": items,
            "results": results,
            "entered": entered,
            "company": company,
            "companies": companies,
            "today": timezone.localdate(),
        },
    )


def apply_url(item, facts: dict, company=None) -> str:
    """The apply page for the item, carrying the facts entered in the calculator that its form asks for, so
    the application form opens filled in as the calculator was (the registry facts come from the company)."""
    try:
        url = reverse("portal:apply", args=[item.code])
    except NoReverseMatch:
        return ""
    query = {}
    for spec in item.form_fields or []:
        value = facts.get(spec["key"])
        if value in (None, ""):
            continue
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, Decimal):
            value = format(value, "f")
        elif hasattr(value, "isoformat"):
            value = value.isoformat()
        query[spec["key"]] = str(value)
    if company is not None:
        query["company"] = str(company.pk)
    return f"{url}?{urlencode(query)}" if query else url


def item_detail(request: HttpRequest, code: str) -> HttpResponse:
    item = next((i for i in published_items().filter(code=code.upper())), None)
    if item is None:
        raise Http404
    return render(
        request,
        "policies/item_detail.html",
        {
            "item": item,
            "open_rounds": list(open_rounds().filter(policy_id=item.policy_id)),
            "apply_url": apply_url(item, {}),
        },
    )


@login_required
def my_invitations(request: HttpRequest) -> HttpResponse:
    from . import instant

    invitations = list(invitations_for(request.user))
    one_step = {inv.pk for inv in invitations if inv.status == Invitation.Status.NEW and instant.offer(inv).possible}
    return render(request, "policies/invitations.html", {"invitations": invitations, "one_step": one_step})


@login_required
@require_POST
def start_from_invitation(request: HttpRequest, pk: int) -> HttpResponse:
    """One click from an invitation to a pre-filled application (the workflow's start page)."""
    invitation = get_object_or_404(invitations_for(request.user), pk=pk)
    mark_invitation_started(invitation, request.user)
    return redirect(start_application_url(invitation))


@login_required
@require_http_methods(["GET", "POST"])
def confirm_invitation(request: HttpRequest, pk: int) -> HttpResponse:
    """免申即享 确认申报: the invitation's case created and submitted in one step, from the registry facts and the
    company's stored documents, with the pledge ticked on this page; where the item needs more, the page says
    what and offers the normal application instead."""
    from applications.portal.forms import SubmitForm
    from applications.services import TransitionRefused

    from . import instant

    invitation = get_object_or_404(invitations_for(request.user), pk=pk)
    offer = instant.offer(invitation)
    form = SubmitForm(request.POST if request.method == "POST" else None)
    refusal = ""
    if request.method == "POST" and offer.possible and form.is_valid():
        try:
            app = instant.confirm(invitation, request.user, pledge=form.cleaned_data["pledge"])
        except TransitionRefused as exc:
            refusal = exc.reason
        else:
            messages.success(
                request,
                _("申报已提交，案件编号 %(case)s。受理期限为 %(due)s，进展将通过站内通知告知。")
                % {"case": app.case_number, "due": app.due_date},
            )
            return redirect("portal:case", pk=app.pk)
    item = invitation.item
    reads = instant.registry_reads(item)
    facts = company_facts(invitation.company)
    return render(
        request,
        "policies/invitation_confirm.html",
        {
            "invitation": invitation,
            "offer": offer,
            "form": form,
            "refusal": refusal,
            "facts": [(VARIABLES[name].label, display_value(name, facts.get(name))) for name in reads],
        },
        status=422 if refusal or (request.method == "POST" and offer.possible and not form.is_valid()) else 200,
    )


def start_application_url(invitation: Invitation) -> str:
    """Where an application from this invitation starts: the workflow's apply page for the item, pre-filled from
    the invitation, or the calculator for that company where the workflow has no such page."""
    try:
        return reverse("portal:apply", args=[invitation.item.code]) + f"?invitation={invitation.pk}"
    except NoReverseMatch:
        return reverse("policies:calculator") + f"?company={invitation.company_id}"
