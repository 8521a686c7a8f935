"""The applicant's pages: my cases, starting an application, the case page (form, materials, submit, withdraw)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from applications import services, workflow
from applications.models import Application
from applications.services import TransitionRefused
from applications.workdays import WorkingCalendar, today
from companies.models import Company
from companies.selectors import member_company_ids
from invest.api.core import row_id
from policies import instant
from policies.models import Invitation, Round, SupportItem
from policies.selectors import open_rounds
from policies.services import company_facts, evaluate_item, mark_invitation_started

from .. import selectors
from ..forms import (
    KIND_LABELS,
    ApplicationForm,
    ConfirmForm,
    MaterialForm,
    StartForm,
    SubmitForm,
    facts_to_initial,
)
from .common import (
    CASES_PAGE_SIZE,
    deadline_info,
    evaluation_context,
    fact_rows,
    material_rows,
    paginate,
    public_links,
    role_required,
)


def _case_for_applicant(request: HttpRequest, pk: int) -> Application:
    """The case, if the user is a confirmed member of its company; otherwise the same 404 as for no case."""
    return get_object_or_404(selectors.cases_of_applicant(request.user), pk=pk)


def _open_rounds(item: SupportItem):
    return open_rounds().filter(policy_id=item.policy_id).order_by(*Round._meta.ordering)


@role_required("applicant")
def my_cases(request: HttpRequest) -> HttpResponse:
    company_ids = member_company_ids(request.user)
    page, page_query = paginate(
        request, selectors.cases_of_applicant(request.user).order_by("-created_at", "-id"), CASES_PAGE_SIZE
    )
    on, calendar = today(), WorkingCalendar()
    invitations = list(
        Invitation.objects.filter(company_id__in=company_ids, status=Invitation.Status.NEW)
        .select_related("item", "round", "company")
        .order_by("-created_at")
    )
    one_step = {inv.pk for inv in invitations if instant.offer(inv).possible}  # 免申即享 确认申报
    items = SupportItem.objects.filter(policy__rounds__in=open_rounds()).distinct()
    return render(
        request,
        "portal/my_cases.html",
        {
            "cases": [(c, deadline_info(c, now=on, calendar=calendar)) for c in page],
            "page": page,
            "page_query": page_query,
            "invitations": invitations,
            "one_step": one_step,
            "items": items,
            "companies": Company.objects.filter(pk__in=company_ids),
            **public_links(),
        },
    )


@role_required("applicant")
@require_http_methods(["GET", "POST"])
def apply(request: HttpRequest, code: str) -> HttpResponse:
    """Start an application: the item's form, pre-filled from the company record and any invitation."""
    item = get_object_or_404(SupportItem.objects.select_related("policy"), code=code)
    companies = Company.objects.filter(pk__in=member_company_ids(request.user))
    if not companies.exists():
        messages.error(request, _("您还不是任何企业的已确认成员。请先申请加入企业，待企业管理员确认后再申报。"))
        return redirect("portal:my_cases")
    rounds = _open_rounds(item)
    invitation = None
    wanted = request.GET.get("invitation", "")
    if row_id(wanted) is not None:
        invitation = Invitation.objects.filter(pk=row_id(wanted), company__in=companies, item=item).first()
    company = companies.first() if invitation is None else invitation.company
    wanted_company = request.GET.get("company", "")
    if invitation is None and row_id(wanted_company) is not None:
        # From the calculator's 立即申报: the company it was worked out for.
        company = companies.filter(pk=row_id(wanted_company)).first() or company
    initial: dict[str, Any] = {}
    facts_source = company_facts(company)
    if invitation is not None:
        facts_source.update((invitation.snapshot or {}).get("facts") or {})
    # The facts the calculator carried (立即申报): only the item's own form fields, shown for the applicant to
    # check; they are validated like anything typed when the form is sent.
    facts_source.update(
        {spec["key"]: request.GET[spec["key"]] for spec in item.form_fields or [] if request.GET.get(spec["key"])}
    )
    initial.update(facts_to_initial(item, facts_source))
    start = StartForm(
        request.POST or None,
        companies=companies,
        rounds=rounds,
        initial={"company": company, "round": invitation.round if invitation else rounds.first()},
    )
    form = ApplicationForm(request.POST or None, item=item, initial=initial)
    refusal = ""
    if request.method == "POST" and start.is_valid() and form.is_valid():
        try:
            app = services.create_draft(
                request.user,
                company=start.cleaned_data["company"],
                item=item,
                round=start.cleaned_data["round"],
                project_title=form.cleaned_data["project_title"],
                facts=form.facts(),
            )
        except TransitionRefused as exc:
            refusal = exc.reason
        else:
            if invitation is not None:
                mark_invitation_started(invitation, request.user)
            messages.success(request, _("申报草稿已保存。请逐项上传申报材料，确认诚信承诺后提交。"))
            return redirect("portal:case", pk=app.pk)
    evaluation = None
    if not rounds.exists():
        refusal = refusal or _("该事项当前没有开放的申报批次，请关注申报通知。")
    else:
        evaluation = _live_evaluation(item, company, form if form.is_bound else None, initial)
    return render(
        request,
        "portal/apply.html",
        {
            "item": item,
            "form": form,
            "start": start,
            "company": company,
            "company_facts": _companyfact_rows(company),
            "invitation": invitation,
            "refusal": refusal,
            "evaluation": evaluation,
            "materials": _material_specs(item),
            "evaluate_url": reverse("portal:evaluate", args=[item.code]),
            **public_links(),
        },
    )


def _material_specs(item: SupportItem) -> list[dict[str, Any]]:
    return [
        {
            "label": m.get("label") or m["key"],
            "required": bool(m.get("required")),
            "types": "、".join(KIND_LABELS.get(t, t) for t in (m.get("accepted_types") or KIND_LABELS)),
        }
        for m in item.materials or []
    ]


def _companyfact_rows(company: Company) -> list[dict[str, str]]:
    return [
        {"label": _("企业名称"), "value": company.name},
        {"label": _("统一社会信用代码"), "value": company.credit_code},
        {"label": _("注册区县"), "value": company.registration_district or _("未登记")},
        {"label": _("税务登记区县"), "value": company.tax_district or _("未登记")},
        {
            "label": _("实缴资本"),
            "value": f"{company.paid_in_capital:,.2f} 元" if company.paid_in_capital is not None else _("未登记"),
        },
    ]


def _live_evaluation(item, company, form: ApplicationForm | None, initial: dict[str, Any]) -> dict[str, Any]:
    if form is None:
        facts = {}
        for key in [f["key"] for f in item.form_fields or []]:
            value = initial.get(key)
            if value is None:
                continue
            facts[key] = format(value, "f") if isinstance(value, Decimal) else value
    else:
        form.is_valid()
        facts = {k: v for k, v in form.facts(only_enabled=False).items() if k in form.cleaned_data}
    try:
        evaluation = evaluate_item(item, company=company, facts=facts)
    except ValidationError as exc:
        return {"error": " ".join(exc.messages)}
    return {
        "eligible": evaluation.eligible,
        "amount": evaluation.amount,
        "criteria": evaluation.criteria,
        "capped_by": evaluation.capped_by,
        "explanation": item.amount_explanation,
        "cap_note": item.cap_note,
    }


@role_required("applicant")
@require_POST
def evaluate(request: HttpRequest, code: str) -> HttpResponse:
    """htmx: the computed amount and each condition for what has been typed so far (nothing is saved)."""
    item = get_object_or_404(SupportItem, code=code)
    companies = Company.objects.filter(pk__in=member_company_ids(request.user))
    company = companies.filter(pk=request.POST.get("company") or 0).first() or companies.first()
    if company is None:
        raise Http404
    form = ApplicationForm(request.POST, item=item)
    evaluation = _live_evaluation(item, company, form, {})
    return render(request, "portal/includes/evaluation.html", {"evaluation": evaluation, "live": True})


@role_required("applicant")
@require_POST
def case_evaluate(request: HttpRequest, pk: int) -> HttpResponse:
    app = _case_for_applicant(request, pk)
    correction = app.open_correction() if app.state == "correction_requested" else None
    form = ApplicationForm(
        request.POST,
        item=app.item,
        initial={"project_title": app.project_title, **facts_to_initial(app.item, app.facts)},
        editable={i.key for i in correction.items.all() if i.kind == "fact"} if correction else None,
        title_editable=correction is None,
    )
    evaluation = _live_evaluation(app.item, app.company, form, {})
    return render(request, "portal/includes/evaluation.html", {"evaluation": evaluation, "live": True})


def _case_page(request: HttpRequest, app: Application, *, status: int = 200, **overrides: Any) -> HttpResponse:
    correction = app.open_correction() if app.state == "correction_requested" else None
    correction_items = list(correction.items.all()) if correction else []
    material_keys = {i.key for i in correction_items if i.kind == "material"}
    answered_keys = {i.key for i in correction_items if i.kind == "material" and i.answered}
    fact_keys = {i.key for i in correction_items if i.kind == "fact"}
    editable = app.state in ("draft", "correction_requested")
    form = overrides.pop("form", None)
    if form is None and editable:
        form = ApplicationForm(
            item=app.item,
            initial={"project_title": app.project_title, **facts_to_initial(app.item, app.facts)},
            editable=fact_keys if correction else None,
            title_editable=correction is None,
        )
    allowed = {t.key for t in services.allowed_transitions(app, request.user)}
    submission = workflow.submission_from(app.state)
    labels = {m["key"]: m.get("label") or m["key"] for m in app.item.materials or []}
    labels.update({f["key"]: f.get("label") or f["key"] for f in app.item.form_fields or []})
    deadline = deadline_info(app)
    materials = material_rows(app, correction_keys=material_keys if correction else None, answered_keys=answered_keys)
    if editable:
        _offer_company_documents(app, materials)
    context = {
        "app": app,
        "deadline": deadline,
        "form": form,
        "editable": editable,
        "facts": fact_rows(app),
        "materials": materials,
        "company_documents_url": reverse("companies:documents", args=[app.company.credit_code]),
        "material_errors": overrides.pop("material_errors", {}),
        "correction": correction,
        "correction_items": [(i, labels.get(i.key, i.key)) for i in correction_items],
        "evaluation": evaluation_context(app),
        "evaluate_url": reverse("portal:case_evaluate", args=[app.pk]),
        # The pledge is ticked again at each submission, never carried over from an earlier one.
        "submit_form": overrides.pop("submit_form", None) or SubmitForm(),
        "submission": submission,
        "can_submit": submission is not None and submission.key in allowed,
        "can_withdraw": "withdraw" in allowed,
        "withdraw_form": overrides.pop("withdraw_form", None) or ConfirmForm(),
        "refusal": overrides.pop("refusal", ""),
        "timeline": selectors.timeline(app, for_applicant=True),
        "steps": selectors.progress(app),
        "terminal_states": workflow.TERMINAL_STATES,
        "next_step": _next_step(app, deadline),
        "disbursements": list(app.disbursements.order_by("paid_on", "id")),
        "missing": [labels.get(k, k) for k in app.missing_materials()] if editable else [],
        "max_size": _max_upload(),
        "application": app,
    }
    context.update(overrides)
    return render(request, "portal/case_applicant.html", context, status=status)


def _offer_company_documents(app: Application, rows: list[dict[str, Any]]) -> None:
    """For each reusable material, the company's current document of its kind (单位证照库) and whether it may be
    chosen now (in force today); the page offers "使用单位证照库中的文件" for a valid one, says why not otherwise."""
    from companies.documents import current_documents, reusable_kind

    documents = current_documents(app.company)
    specs = {m["key"]: m for m in app.item.materials or []}
    on = today()
    for row in rows:
        kind = reusable_kind(specs.get(row["key"], {}))
        document = documents.get(kind) if kind else None
        row["reusable"] = bool(kind)
        row["store_document"] = document
        row["store_valid"] = document is not None and document.is_valid_on(on)
        row["store_in_use"] = (
            document is not None and row["current"] is not None and row["current"].company_document_id == document.pk
        )


def _next_step(app: Application, deadline: dict[str, Any] | None) -> str:
    """What happens next and who is waiting on whom (from the state's row of the workflow table), with the
    deadline of that wait: "等待受理员受理，截止 2026-12-09"."""
    text = str(workflow.STATE_BY_KEY[app.state].next_step)
    if deadline and deadline.get("date") and not deadline.get("paused"):
        text = _("%(next)s，截止 %(date)s") % {"next": text, "date": deadline["date"].isoformat()}
    return text + "。"


def _max_upload() -> int:

    return int(getattr(settings, "UPLOAD_MAX_FILE_SIZE", 20 * 1024 * 1024))


@role_required("applicant")
@require_GET
def case(request: HttpRequest, pk: int) -> HttpResponse:
    return _case_page(request, _case_for_applicant(request, pk))


@role_required("applicant")
@require_POST
def case_save(request: HttpRequest, pk: int) -> HttpResponse:
    app = _case_for_applicant(request, pk)
    correction = app.open_correction() if app.state == "correction_requested" else None
    fact_keys = {i.key for i in correction.items.all() if i.kind == "fact"} if correction else None
    form = ApplicationForm(
        request.POST,
        item=app.item,
        initial={"project_title": app.project_title, **facts_to_initial(app.item, app.facts)},
        editable=fact_keys,
        title_editable=correction is None,
    )
    if not form.is_valid():
        return _case_page(request, app, form=form, status=400)
    try:
        services.update_draft(
            app,
            request.user,
            facts=form.facts(),
            project_title=None if correction else form.cleaned_data["project_title"],
        )
    except TransitionRefused as exc:
        return _case_page(request, app, form=form, refusal=exc.reason, status=409)
    messages.success(request, _("已保存。"))
    return redirect("portal:case", pk=app.pk)


@role_required("applicant")
@require_POST
def material_upload(request: HttpRequest, pk: int, key: str) -> HttpResponse:
    app = _case_for_applicant(request, pk)
    form = MaterialForm(request.POST, request.FILES)
    if not form.is_valid():
        return _case_page(request, app, material_errors={key: form.errors["file"][0]}, status=400)
    try:
        services.add_material(app, request.user, key=key, uploaded_file=form.cleaned_data["file"])
    except TransitionRefused as exc:
        status = 503 if exc.code == "scanner_unavailable" else 400  # the scanner is down: try again later
        return _case_page(request, app, material_errors={key: exc.reason}, status=status)
    messages.success(request, _("材料已上传。"))
    return redirect(reverse("portal:case", args=[app.pk]) + f"#material-{key}")


@role_required("applicant")
@require_POST
def material_from_store(request: HttpRequest, pk: int, key: str) -> HttpResponse:
    """ "使用单位证照库中的文件": the company's current document for a reusable material, instead of an upload."""
    app = _case_for_applicant(request, pk)
    try:
        services.use_company_document(app, request.user, key=key)
    except TransitionRefused as exc:
        return _case_page(request, app, material_errors={key: exc.reason}, status=400)
    messages.success(request, _("已使用单位证照库中的文件。"))
    return redirect(reverse("portal:case", args=[app.pk]) + f"#material-{key}")


@role_required("applicant")
@require_POST
def case_submit(request: HttpRequest, pk: int) -> HttpResponse:
    app = _case_for_applicant(request, pk)
    form = SubmitForm(request.POST)
    if not form.is_valid():
        return _case_page(request, app, submit_form=form, status=400)
    try:
        services.submit(app, request.user, pledge=form.cleaned_data["pledge"])
    except TransitionRefused as exc:
        return _case_page(request, app, submit_form=form, refusal=exc.reason, status=409)
    messages.success(
        request,
        _("申报已提交，受理部门将在%(days)s个工作日内作出受理决定。") % {"days": workflow.DEADLINE_DAYS["acceptance"]},
    )
    return redirect("portal:case", pk=app.pk)


@role_required("applicant")
@require_POST
def case_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    app = _case_for_applicant(request, pk)
    form = ConfirmForm(request.POST)
    form.is_valid()
    spec = workflow.TRANSITION_BY_KEY["withdraw"]
    if spec.confirm and request.POST.get("confirmed") != "1" and services.can(app, request.user, "withdraw")[0]:
        # Withdrawing ends the case for good: say so, with the reason as typed, before it happens.
        return render(
            request,
            "portal/confirm_withdraw.html",
            {
                "app": app,
                "application": app,
                "spec": spec,
                "comment": form.cleaned_data.get("comment", ""),
                "deadline": deadline_info(app),
            },
        )
    try:
        services.perform(app, "withdraw", request.user, comment=form.cleaned_data.get("comment", ""))
    except TransitionRefused as exc:
        return _case_page(request, app, withdraw_form=form, refusal=exc.reason, status=409)
    messages.success(request, _("申报已撤回。"))
    return redirect("portal:case", pk=app.pk)
