"""The web portal: applicant pages, the reviewer workbench, the manager dashboard and the public pages.

Thin views: every change goes through applications.services (perform, create_draft, update_draft,
add_material, give_opinion, assign_experts, start_public_notice, file_objection); a refusal comes back as
TransitionRefused and is shown with its reason next to the form that caused it. Which actions a user sees
comes from allowed_transitions, i.e. from the one workflow table.
"""

from __future__ import annotations

from decimal import Decimal
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from applications import services, workflow
from applications.models import Application, Material, NoticeBatch
from applications.rules import may_view
from applications.selectors import next_year_schedule_missing, revision_changes
from applications.services import TransitionRefused
from applications.workdays import WorkingCalendar, today
from companies.models import Company
from invest.formats import yuan
from invest.previews import page_preview_response, stored_file_response
from invest.roles import has_role, user_roles
from policies.models import Invitation, Round, SupportItem
from policies.services import company_facts, display_value, evaluate_item

from . import selectors
from .forms import (
    KIND_LABELS,
    ApplicationForm,
    AssignExpertsForm,
    ConfirmForm,
    MaterialForm,
    ObjectionForm,
    OpinionForm,
    QueueFilterForm,
    StartForm,
    SubmitForm,
    TransitionForm,
    accept_attribute,
    facts_to_initial,
)

# --------------------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------------------


def role_required(*roles: str):
    """Signed-in users with one of the roles; others are sent to log in or refused with 403.

    A company user on an applicant page who is not (yet) a confirmed member has no role at all: they are
    sent to "my companies", which explains where their request stands and what to do next.
    """

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(request, *args, **kwargs):
            if not has_role(request.user, *roles):
                if "applicant" in roles and not user_roles(request.user):
                    return redirect(f"{reverse('companies:mine')}?{urlencode({'next': request.get_full_path()})}")
                raise PermissionDenied(_("您没有访问此页面的权限。"))
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def optional_url(*names: str, args: tuple = ()) -> str:
    """The first of these URL names that exists (other areas' pages may arrive later), or ''."""
    for name in names:
        try:
            return reverse(name, args=args)
        except NoReverseMatch:
            continue
    return ""


def public_links() -> dict[str, str]:
    return {
        "catalogue_url": optional_url("policies:catalogue", "policies:list", "policies:index"),
        "calculator_url": optional_url("policies:calculator", "policies:calculate"),
        "verify_url": optional_url("documents:verify_form"),
        "notices_url": reverse("portal:notices"),
    }


#: Rows per page of the reviewer queue and of an applicant's case list.
QUEUE_PAGE_SIZE = 50
CASES_PAGE_SIZE = 20


def paginate(request: HttpRequest, rows, per_page: int) -> tuple[Page, str]:
    """One page of rows (?page=N, out-of-range numbers show the nearest page) and the query string
    without the page number, for the page links to keep the filters."""
    page = Paginator(rows, per_page).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return page, params.urlencode()


def _deadline(app: Application, *, now=None, calendar: WorkingCalendar | None = None) -> dict[str, Any] | None:
    if not app.due_date:
        return None
    labels = {
        "acceptance": _("受理期限"),
        "correction": _("补正期限"),
        "public_notice": _("公示截止"),
    }
    if app.state == "objection_review":
        # The notice is held while an objection is checked: no countdown (it restarts when dismissed).
        return {"label": _("公示暂停（异议核查中）"), "date": None, "overdue": False, "left": None, "paused": True}
    now = now or today()
    calendar = calendar or WorkingCalendar()
    overdue = app.due_date < now
    left = 0 if overdue else calendar.working_days_between(now, app.due_date)
    return {"label": labels.get(app.due_kind, _("期限")), "date": app.due_date, "overdue": overdue, "left": left}


def _fact_rows(app: Application, facts: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    facts = app.facts if facts is None else facts
    rows = []
    for spec in app.item.form_fields or []:
        value = facts.get(spec["key"])
        rows.append({"key": spec["key"], "label": spec.get("label") or spec["key"], "value": _show(spec, value)})
    return rows


def _show(spec: dict[str, Any], value: Any) -> str:
    if value in (None, ""):
        return _("未填写")
    if spec.get("type") == "boolean":
        return _("是") if value in (True, "true", "True", "1", 1) else _("否")
    if spec.get("type") == "number":
        try:
            number = Decimal(str(value))
        except Exception:
            return str(value)
        unit = spec.get("unit") or ""
        if unit == "元":
            return f"{number:,.2f} {unit}"
        text = f"{number:,}" if number == number.to_integral_value() else f"{number:,f}"
        return f"{text} {unit}".strip()
    return display_value(spec["key"], value)


def _material_rows(
    app: Application, *, correction_keys: set[str] | None = None, answered_keys: set[str] = frozenset()
) -> list[dict[str, Any]]:
    current = {m.key: m for m in app.current_materials()}
    history: dict[str, list[Material]] = {}
    for m in app.materials.filter(superseded_at__isnull=False).order_by("uploaded_at"):
        history.setdefault(m.key, []).append(m)
    rows = []
    for spec in app.item.materials or []:
        key = spec["key"]
        types = spec.get("accepted_types") or list(KIND_LABELS)
        rows.append(
            {
                "key": key,
                "label": spec.get("label") or key,
                "required": bool(spec.get("required")),
                "types": "、".join(KIND_LABELS.get(t, t) for t in types),
                "accept": accept_attribute(types),
                "current": current.get(key),
                "history": history.get(key, []),
                # May be uploaded again during the correction; "needs" until a new file has come in.
                "in_correction": correction_keys is not None and key in correction_keys,
                "corrected": correction_keys is not None and key in correction_keys and key in answered_keys,
            }
        )
    return rows


def _evaluation_context(app: Application) -> dict[str, Any]:
    """Amount and conditions: from the stored snapshot once submitted, live for a draft."""
    if app.snapshot and app.snapshot.get("result"):
        result = app.snapshot["result"]
        return {
            "from_snapshot": True,
            "eligible": result.get("eligible"),
            "amount": Decimal(str(result.get("amount") or "0")),
            "computed": result.get("computed_amount"),
            "capped_by": result.get("capped_by"),
            "criteria": result.get("criteria") or [],
            "evaluated_at": app.snapshot.get("evaluated_at", ""),
        }
    try:
        evaluation = evaluate_item(app.item, company=app.company, facts=dict(app.facts or {}))
    except ValidationError as exc:
        return {"error": " ".join(exc.messages)}
    return {
        "from_snapshot": False,
        "eligible": evaluation.eligible,
        "amount": evaluation.amount,
        "criteria": evaluation.criteria,
        "capped_by": evaluation.capped_by,
    }


def _case_for_applicant(request: HttpRequest, pk: int) -> Application:
    """The case, if the user is a confirmed member of its company; otherwise the same 404 as for no case."""
    return get_object_or_404(selectors.cases_of_applicant(request.user), pk=pk)


def _case_for_staff(request: HttpRequest, pk: int) -> Application:
    return get_object_or_404(selectors.visible_cases(request.user), pk=pk)


# --------------------------------------------------------------------------------------------------------
# applicant
# --------------------------------------------------------------------------------------------------------


def _open_rounds(item: SupportItem):
    now = timezone.now()
    return Round.objects.filter(policy_id=item.policy_id, opens_at__lte=now, closes_at__gt=now).select_related("policy")


@role_required("applicant")
def my_cases(request: HttpRequest) -> HttpResponse:
    company_ids = selectors.member_company_ids(request.user)
    page, page_query = paginate(
        request, selectors.cases_of_applicant(request.user, company_ids).order_by("-created_at", "-id"), CASES_PAGE_SIZE
    )
    on, calendar = today(), WorkingCalendar()
    invitations = (
        Invitation.objects.filter(company_id__in=company_ids, status=Invitation.Status.NEW)
        .select_related("item", "round", "company")
        .order_by("-created_at")
    )
    now = timezone.now()
    items = SupportItem.objects.filter(
        policy__status="published", policy__rounds__opens_at__lte=now, policy__rounds__closes_at__gt=now
    ).distinct()
    return render(
        request,
        "portal/my_cases.html",
        {
            "cases": [(c, _deadline(c, now=on, calendar=calendar)) for c in page],
            "page": page,
            "page_query": page_query,
            "invitations": invitations,
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
    companies = Company.objects.filter(pk__in=selectors.member_company_ids(request.user))
    if not companies.exists():
        messages.error(request, _("您还不是任何企业的已确认成员。请先申请加入企业，待企业管理员确认后再申报。"))
        return redirect("portal:my_cases")
    rounds = _open_rounds(item)
    invitation = None
    wanted = request.GET.get("invitation", "")
    # ASCII digits within the id range only: "²".isdigit() is true, and 30 nines overflow the column.
    if wanted.isascii() and wanted.isdigit() and int(wanted) < 2**63:
        invitation = Invitation.objects.filter(pk=int(wanted), company__in=companies, item=item).first()
    company = companies.first() if invitation is None else invitation.company
    wanted_company = request.GET.get("company", "")
    if invitation is None and wanted_company.isascii() and wanted_company.isdigit() and int(wanted_company) < 2**63:
        # From the calculator's 立即申报: the company it was worked out for.
        company = companies.filter(pk=int(wanted_company)).first() or company
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
                Invitation.objects.filter(pk=invitation.pk).update(
                    status=Invitation.Status.STARTED, seen_at=timezone.now(), seen_by=request.user
                )
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
            "company_facts": _company_fact_rows(company),
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


def _company_fact_rows(company: Company) -> list[dict[str, str]]:
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
    companies = Company.objects.filter(pk__in=selectors.member_company_ids(request.user))
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
    labels = {m["key"]: m.get("label") or m["key"] for m in app.item.materials or []}
    labels.update({f["key"]: f.get("label") or f["key"] for f in app.item.form_fields or []})
    deadline = _deadline(app)
    context = {
        "app": app,
        "deadline": deadline,
        "form": form,
        "editable": editable,
        "facts": _fact_rows(app),
        "materials": _material_rows(
            app, correction_keys=material_keys if correction else None, answered_keys=answered_keys
        ),
        "material_errors": overrides.pop("material_errors", {}),
        "correction": correction,
        "correction_items": [(i, labels.get(i.key, i.key)) for i in correction_items],
        "evaluation": _evaluation_context(app),
        "evaluate_url": reverse("portal:case_evaluate", args=[app.pk]),
        # The pledge is ticked again at each submission, never carried over from an earlier one.
        "submit_form": overrides.pop("submit_form", None) or SubmitForm(),
        "can_submit": "submit" in allowed or "resubmit" in allowed,
        "submit_key": "resubmit" if app.state == "correction_requested" else "submit",
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


def _next_step(app: Application, deadline: dict[str, Any] | None) -> str:
    """What happens next and who is waiting on whom (from the state's row of the workflow table), with the
    deadline of that wait: "等待受理员受理，截止 2026-12-09"."""
    text = str(workflow.STATE_BY_KEY[app.state].next_step)
    if deadline and deadline.get("date") and not deadline.get("paused"):
        text = _("%(next)s，截止 %(date)s") % {"next": text, "date": deadline["date"].isoformat()}
    return text + "。"


def _max_upload() -> int:
    from django.conf import settings

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
def case_submit(request: HttpRequest, pk: int) -> HttpResponse:
    app = _case_for_applicant(request, pk)
    form = SubmitForm(request.POST)
    if not form.is_valid():
        return _case_page(request, app, submit_form=form, status=400)
    try:
        services.submit(app, request.user, pledge=form.cleaned_data["pledge"])
    except TransitionRefused as exc:
        return _case_page(request, app, submit_form=form, refusal=exc.reason, status=409)
    messages.success(request, _("申报已提交，受理部门将在5个工作日内作出受理决定。"))
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
                "deadline": _deadline(app),
            },
        )
    try:
        services.perform(app, "withdraw", request.user, comment=form.cleaned_data.get("comment", ""))
    except TransitionRefused as exc:
        return _case_page(request, app, withdraw_form=form, refusal=exc.reason, status=409)
    messages.success(request, _("申报已撤回。"))
    return redirect("portal:case", pk=app.pk)


# --------------------------------------------------------------------------------------------------------
# materials (both sides)
# --------------------------------------------------------------------------------------------------------

@never_cache
@xframe_options_sameorigin
@login_required
@require_GET
def material(request: HttpRequest, pk: int) -> HttpResponse:
    """A material file for those who may see its case; PDFs and images inline (the case page previews them)."""
    item = get_object_or_404(Material.objects.select_related("application"), pk=pk)
    if not may_view(request.user, item.application):
        raise Http404
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
    if not may_view(request.user, item.application):
        raise Http404
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
# workbench
# --------------------------------------------------------------------------------------------------------


def _filters(request: HttpRequest, blank_stage=None) -> tuple[QueueFilterForm, selectors.QueueFilters]:
    form = QueueFilterForm(request.GET or None, blank_stage=blank_stage)
    data = form.cleaned_data if form.is_valid() else {}
    return form, selectors.QueueFilters(
        stage=data.get("stage") or "",
        item=data.get("item") or "",
        round=data.get("round") or "",
        overdue=bool(data.get("overdue")),
        mine=bool(data.get("mine")),
        all_stages=bool(data.get("all_stages")),
        q=(data.get("q") or "").strip(),
        sort=data.get("sort") or "due",
    )


@role_required(*selectors.WORKBENCH_ROLES)
@require_GET
def workbench(request: HttpRequest) -> HttpResponse:
    form, filters = _filters(request)
    page, page_query = paginate(request, selectors.queue(request.user, filters), QUEUE_PAGE_SIZE)
    on, calendar = today(), WorkingCalendar()
    user = request.user
    return render(
        request,
        "portal/workbench.html",
        {
            "filter_form": form,
            "rows": [(c, _deadline(c, now=on, calendar=calendar)) for c in page],
            "page": page,
            "page_query": page_query,
            "can_bulk_approve": has_role(user, "approver"),
            "can_bulk_assign": has_role(user, "reviewer"),
            "assign_form": AssignExpertsForm(auto_id="bulk-%s") if has_role(user, "reviewer") else None,
            "query": request.GET.urlencode(),
        },
    )


def _what_happens(spec: workflow.Transition) -> str:
    from applications.documents.constants import DocumentKind

    if spec.target in spec.sources:
        parts = [_("案件仍处于“%(state)s”阶段。") % {"state": workflow.STATE_BY_KEY[spec.target].label}]
    else:
        parts = [_("案件将进入“%(state)s”阶段。") % {"state": workflow.STATE_BY_KEY[spec.target].label}]
    if spec.deadline != "keep":
        parts.append(str(workflow.DEADLINE_EFFECTS[spec.deadline]) + "。")
    if spec.document_kind:
        parts.append(_("系统将签发《%(doc)s》并通知申报单位。") % {"doc": DocumentKind(spec.document_kind).label})
    if spec.key == "disburse":
        parts.append(_("本次金额须等于尚未拨付的全部余额，登记后拨付完毕。"))
    if spec.key == "disburse_partial":
        parts.append(_("本次金额须小于尚未拨付的余额，余额留待以后拨付。"))
    if spec.key == "send_to_experts":
        parts.append(_("全部专家提交意见后自动转入审定。"))
    return "".join(str(p) for p in parts)


def _actions(app: Application, user, bound: dict[str, TransitionForm] | None = None) -> list[dict[str, Any]]:
    """The actions this user may take now (forms), and the ones of their role refused now (with why)."""
    bound = bound or {}
    # 部分拨付 and 拨付完毕 are two choices of their own (disburse_partial, disburse).
    allowed = services.allowed_transitions(app, user)
    out = []
    for spec in allowed:
        out.append(
            {
                "spec": spec,
                "form": bound.get(spec.key) or TransitionForm(spec=spec, application=app),
                "what": _what_happens(spec),
                "danger": spec.target in workflow.TERMINAL_STATES,
            }
        )
    allowed_keys = {t.key for t in allowed}
    refused = []
    for spec in workflow.transitions_from(app.state):
        if spec.key in allowed_keys or spec.automatic or spec.public:
            continue
        if not any(has_role(user, r) for r in spec.roles):
            continue
        ok, reason = services.can(app, user, spec.key)
        if not ok:
            refused.append({"spec": spec, "reason": reason})
    return out, refused


def _staff_page(request: HttpRequest, app: Application, *, status: int = 200, **extra: Any) -> HttpResponse:
    user = request.user
    actions, refused = _actions(app, user, extra.pop("bound", None))
    revisions = list(app.revisions.order_by("number"))
    diff = None
    if len(revisions) >= 2:
        changes = revision_changes(app, revisions[-2].number, revisions[-1].number)
        specs = {f["key"]: f for f in app.item.form_fields or []}
        labels = {m["key"]: m.get("label") or m["key"] for m in app.item.materials or []}
        diff = {
            "older": revisions[-2].number,
            "newer": revisions[-1].number,
            "facts": [
                {
                    "label": specs.get(k, {}).get("label", k),
                    "old": _show(specs.get(k, {"key": k}), old),
                    "new": _show(specs.get(k, {"key": k}), new),
                }
                for k, (old, new) in changes["facts"].items()
            ],
            "materials": [
                {
                    "label": labels.get(k, k),
                    "change": {"added": _("新增"), "replaced": _("已替换"), "removed": _("已删除")}[v],
                }
                for k, v in changes["materials"].items()
            ],
        }
    assignment = None
    if has_role(user, "expert"):
        assignment = app.expert_assignments.filter(expert=user).first()
    context = {
        "app": app,
        "application": app,
        "deadline": _deadline(app),
        "facts": _fact_rows(app),
        "evaluation": _evaluation_context(app),
        "materials": _material_rows(app),
        "diff": diff,
        "revisions": revisions,
        "timeline": selectors.timeline(app),
        "actions": actions,
        "refused": refused,
        "assignments": list(app.expert_assignments.select_related("expert")),
        "my_assignment": assignment,
        "opinion_form": extra.pop("opinion_form", None) or OpinionForm(),
        "can_assign": has_role(user, "reviewer") and app.state in ("preliminary_review", "expert_review"),
        "assign_form": extra.pop("assign_form", None) or AssignExpertsForm(),
        "corrections": list(app.correction_requests.prefetch_related("items")),
        "objections": list(app.objections.all()),
        "disbursements": list(app.disbursements.all()),
        "refusal": extra.pop("refusal", ""),
        "refusal_for": extra.pop("refusal_for", ""),
        "company": app.company,
    }
    context.update(extra)
    return render(request, "portal/case_staff.html", context, status=status)


@role_required(*selectors.WORKBENCH_ROLES)
@require_GET
def staff_case(request: HttpRequest, pk: int) -> HttpResponse:
    return _staff_page(request, _case_for_staff(request, pk))


@role_required(*selectors.WORKBENCH_ROLES)
@require_POST
def staff_act(request: HttpRequest, pk: int, key: str) -> HttpResponse:
    app = _case_for_staff(request, pk)
    spec = workflow.TRANSITION_BY_KEY.get(key)
    if spec is None or spec.automatic:
        raise Http404
    form = TransitionForm(request.POST, spec=spec, application=app)
    if not form.is_valid():
        return _staff_page(request, app, bound={key: form}, refusal_for=key, status=400)
    if request.POST.get("back"):
        # 返回修改 on the confirmation page: the case page again, with what was typed.
        return _staff_page(request, app, bound={key: form})
    if spec.confirm and request.POST.get("confirmed") != "1":
        return _confirm_page(request, app, spec, form)
    if spec.confirm and request.POST.get("seen_state") != app.state:
        refusal = _("案件已被他人处理，当前阶段为“%(state)s”。请查看最新情况后再操作。") % {"state": app.state_label}
        return _staff_page(request, app, refusal=refusal, refusal_for=key, status=409)
    try:
        done = services.perform(app, key, request.user, **form.service_data())
    except TransitionRefused as exc:
        return _staff_page(request, app, bound={key: form}, refusal=exc.reason, refusal_for=key, status=409)
    if key == "disburse" and done.state == "approved":
        spec = workflow.TRANSITION_BY_KEY["disburse_partial"]  # perform() took the part it was given
    messages.success(request, _("已办理“%(t)s”，案件当前阶段：%(s)s。") % {"t": spec.label, "s": done.state_label})
    return redirect("portal:staff_case", pk=app.pk)


def _confirm_page(request: HttpRequest, app: Application, spec: workflow.Transition, form: TransitionForm):
    """The server-rendered confirmation of an irreversible action: what will happen, with the inputs as given,
    and the same fields posted again (hidden) with 确认 or 返回修改. Nothing is changed until 确认."""
    hidden = [
        (name, value)
        for name in request.POST
        if name not in ("csrfmiddlewaretoken", "confirmed", "back", "seen_state")
        for value in request.POST.getlist(name)
    ]
    return render(
        request,
        "portal/confirm_action.html",
        {
            "app": app,
            "application": app,
            "spec": spec,
            "what": _what_happens(spec),
            "inputs": _confirm_rows(form),
            "hidden": hidden,
            "deadline": _deadline(app),
            "terminal_states": workflow.TERMINAL_STATES,
        },
    )


def _confirm_rows(form: TransitionForm) -> list[tuple[str, Any]]:
    """The inputs of an action, as the confirmation page restates them (label, value)."""
    data = form.cleaned_data
    rows: list[tuple[str, Any]] = []
    if "items" in form.fields:
        labels = dict(form.fields["items"].choices)
        notes = {value: form.cleaned_data.get(name) for value, name, _label in form.item_notes}
        for value in data.get("items") or []:
            rows.append((_("补正事项"), f"{labels.get(value, value)}：{notes.get(value) or ''}".rstrip("：")))
        rows.append((form.fields["deadline"].label, data.get("deadline") or _("10个工作日（默认）")))
    for name in ("amount", "paid_on", "voucher_number", "comment"):
        if name not in form.fields or data.get(name) in (None, ""):
            continue
        value = data[name]
        rows.append((form.fields[name].label, yuan(value) if name == "amount" else value))
    return rows


@role_required("expert")
@require_POST
def staff_opinion(request: HttpRequest, pk: int) -> HttpResponse:
    app = _case_for_staff(request, pk)
    form = OpinionForm(request.POST)
    if not form.is_valid():
        return _staff_page(request, app, opinion_form=form, status=400)
    try:
        services.give_opinion(
            app,
            request.user,
            opinion=form.cleaned_data["opinion"],
            score=form.cleaned_data["score"],
            comment=form.cleaned_data.get("comment") or "",
            suggested_amount=form.cleaned_data.get("suggested_amount"),
        )
    except TransitionRefused as exc:
        return _staff_page(request, app, opinion_form=form, refusal=exc.reason, refusal_for="opinion", status=409)
    messages.success(request, _("评审意见已提交。"))
    return redirect("portal:staff_case", pk=app.pk)


@role_required("reviewer")
@require_POST
def staff_assign(request: HttpRequest, pk: int) -> HttpResponse:
    app = _case_for_staff(request, pk)
    form = AssignExpertsForm(request.POST)
    if not form.is_valid():
        return _staff_page(request, app, assign_form=form, status=400)
    try:
        services.assign_experts([app], form.cleaned_data["experts"], request.user)
    except TransitionRefused as exc:
        return _staff_page(request, app, assign_form=form, refusal=exc.reason, refusal_for="assign", status=409)
    messages.success(request, _("已指派评审专家。"))
    return redirect("portal:staff_case", pk=app.pk)


@role_required("reviewer", "approver")
@require_POST
def bulk(request: HttpRequest) -> HttpResponse:
    """Bulk actions of the queue: approve into one public-notice batch, or assign experts to many cases."""
    ids = [int(i) for i in request.POST.getlist("cases") if str(i).isdigit()]
    back = reverse("portal:workbench") + ("?" + request.POST.get("query", "") if request.POST.get("query") else "")
    cases = list(selectors.visible_cases(request.user).filter(pk__in=ids))
    if not cases:
        messages.error(request, _("请先在列表中勾选案件。"))
        return redirect(back)
    action = request.POST.get("action")
    try:
        if action == "approve" and has_role(request.user, "approver"):
            if workflow.TRANSITION_BY_KEY["approve"].confirm and request.POST.get("confirmed") != "1":
                return _confirm_bulk_approve(request, cases, back)
            batch = services.start_public_notice(
                cases, request.user, title=request.POST.get("title", "").strip(), comment=""
            )
            messages.success(
                request, _("已审定 %(n)s 个案件并开始公示，正在生成公示名单；公示期满无异议后签发审批决定书。") % {"n": len(cases)}
            )
            return redirect("portal:batch", pk=batch.pk)
        if action == "assign" and has_role(request.user, "reviewer"):
            form = AssignExpertsForm(request.POST, auto_id="bulk-%s")
            if not form.is_valid():
                messages.error(request, form.errors["experts"][0])
                return redirect(back)
            created = services.assign_experts(cases, form.cleaned_data["experts"], request.user)
            messages.success(
                request, _("已为 %(n)s 个案件指派专家，新增 %(c)s 条指派。") % {"n": len(cases), "c": created}
            )
            return redirect(back)
    except TransitionRefused as exc:
        messages.error(request, exc.reason)
        return redirect(back)
    raise PermissionDenied(_("您不能办理这项批量操作。"))


def _confirm_bulk_approve(request: HttpRequest, cases: list[Application], back: str) -> HttpResponse:
    """Approving in bulk is irreversible like approving one case: the cases and amounts are listed first."""
    cases = sorted(cases, key=lambda c: c.case_number)
    total = sum((c.reviewed_amount or Decimal("0") for c in cases), Decimal("0"))
    spec = workflow.TRANSITION_BY_KEY["approve"]
    return render(
        request,
        "portal/confirm_bulk.html",
        {
            "cases": cases,
            "total": total,
            "spec": spec,
            "what": _what_happens(spec),
            "title": request.POST.get("title", "").strip(),
            "query": request.POST.get("query", ""),
            "back": back,
        },
    )


def _batch_progress(batch: NoticeBatch) -> dict[str, Any]:
    from applications.documents.models import Document

    documents = list(
        Document.objects.filter(Q(batch=batch) | Q(application__notice_batch=batch, kind="approval_decision"))
        .select_related("application")
        .order_by("id")
    )
    total = len(documents)
    done = sum(1 for d in documents if d.is_rendered)
    return {
        "batch": batch,
        "documents": documents,
        "total": total,
        "done": done,
        "finished": total > 0 and done == total,
        "percent": int(done * 100 / total) if total else 0,
    }


@role_required(*selectors.WORKBENCH_ROLES)
@require_GET
def batch(request: HttpRequest, pk: int) -> HttpResponse:
    notice_batch = get_object_or_404(NoticeBatch, pk=pk)
    context = _batch_progress(notice_batch)
    context["cases"] = list(notice_batch.applications.select_related("company", "item"))
    if request.headers.get("HX-Request"):
        return render(request, "portal/includes/batch_progress.html", context)
    return render(request, "portal/batch.html", context)


# --------------------------------------------------------------------------------------------------------
# dashboard
# --------------------------------------------------------------------------------------------------------


def _dashboard_cases(request: HttpRequest):
    form, filters = _filters(request, blank_stage=_("全部阶段"))
    filters.all_stages = True
    qs = Application.objects.select_related("company", "item", "round")
    if filters.stage:
        qs = qs.filter(state=filters.stage)
    if filters.item:
        qs = qs.filter(item__code=filters.item)
    if filters.round and str(filters.round).isdigit():
        qs = qs.filter(round_id=filters.round)
    if filters.overdue:
        qs = qs.filter(selectors.overdue_q())
    if filters.q:
        qs = qs.filter(
            Q(case_number__icontains=filters.q)
            | Q(project_title__icontains=filters.q)
            | Q(company__name__icontains=filters.q)
        )
    return form, qs.order_by(*selectors.SORTS.get(filters.sort, selectors.SORTS["due"]))


@role_required(*selectors.DASHBOARD_ROLES)
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    form, qs = _dashboard_cases(request)
    stages = [s for s in selectors.cases_per_stage(qs) if s["count"]]
    items = selectors.cases_per_item(qs)
    budgets = selectors.round_budgets()
    durations = selectors.average_working_days_per_stage(qs)
    return render(
        request,
        "portal/dashboard.html",
        {
            "filter_form": form,
            "total": qs.count(),
            "stages": stages,
            "stage_chart": selectors.bar_chart(stages, "count"),
            "items": items,
            "item_chart": selectors.bar_chart(items, "count", "code"),
            "budgets": budgets,
            "durations": durations,
            "duration_chart": selectors.bar_chart([{**d, "days": round(d["days"], 1)} for d in durations], "days"),
            "overdue": [(c, _deadline(c)) for c in selectors.overdue_cases(qs)[:50]],
            "missing_year": next_year_schedule_missing(),
            # CLAMAV_DISABLED=1 (or no scanner at all outside production): say so where managers look.
            "uploads_unscanned": not settings.CLAMAV_SOCKET,
            "cases": list(qs[:100]),
            "query": request.GET.urlencode(),
        },
    )


@role_required(*selectors.DASHBOARD_ROLES)
@require_GET
def export(request: HttpRequest) -> HttpResponse:
    """The filtered case list as an XLSX workbook (applications.exporting; amounts as numbers)."""
    from applications.exporting import cases_workbook
    from invest.exporting import XLSX_CONTENT_TYPE

    _form, qs = _dashboard_cases(request)
    response = HttpResponse(cases_workbook(qs), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="cases-{today().isoformat()}.xlsx"'
    return response


# --------------------------------------------------------------------------------------------------------
# public
# --------------------------------------------------------------------------------------------------------


@require_GET
def notices(request: HttpRequest) -> HttpResponse:
    cases = (
        Application.objects.filter(state__in=("public_notice", "objection_review"))
        .select_related("company", "item", "notice_batch")
        .order_by("notice_batch_id", "case_number")
    )
    return render(request, "portal/notices.html", {"cases": cases, **public_links()})


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
