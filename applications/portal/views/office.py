"""The office's pages: the reviewers' workbench, the staff case page and its actions, bulk actions, notice
batches, and the managers' dashboard with its export."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from applications import services, workflow
from applications.models import Application, NoticeBatch
from applications.selectors import expert_comparison, next_year_schedule_missing, revision_changes
from applications.services import TransitionRefused
from applications.visibility import declaration_pending, sees_every_case
from applications.workdays import WorkingCalendar, today
from companies.investment.selectors import promised_support
from invest.api.core import row_id
from invest.money import yuan
from invest.roles import ALL_CASES_ROLES, DASHBOARD_ROLES, OFFICE_ROLES, has_role

from .. import selectors
from ..forms import (
    AssignExpertsForm,
    DeclarationForm,
    OpinionForm,
    QueueFilterForm,
    TransitionForm,
)
from .common import (
    QUEUE_PAGE_SIZE,
    deadline_info,
    evaluation_context,
    fact_rows,
    material_rows,
    paginate,
    role_required,
    show_value,
)


def _case_for_staff(request: HttpRequest, pk: int) -> Application:
    return get_object_or_404(selectors.visible_cases(request.user), pk=pk)


# --------------------------------------------------------------------------------------------------------
# applicant
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


@role_required(*OFFICE_ROLES)
@require_GET
def workbench(request: HttpRequest) -> HttpResponse:
    form, filters = _filters(request)
    rows = selectors.queue(request.user, filters)
    parts = selectors.queue_parts(request.user, filters, rows)
    page, page_query = paginate(request, rows, QUEUE_PAGE_SIZE, parts=parts)
    on, calendar = today(), WorkingCalendar()
    user = request.user
    return render(
        request,
        "portal/workbench.html",
        {
            "filter_form": form,
            "rows": [(c, deadline_info(c, now=on, calendar=calendar)) for c in page],
            "page": page,
            "page_query": page_query,
            "bulk_actions": _bulk_actions(user),
            "can_bulk_assign": has_role(user, "reviewer"),
            "assign_form": AssignExpertsForm(auto_id="bulk-%s") if has_role(user, "reviewer") else None,
            "query": request.GET.urlencode(),
        },
    )


def _bulk_actions(user) -> list[workflow.Transition]:
    """The transitions the table offers on many cases at once, of this user's roles, in the table's order."""
    return [t for t in workflow.TRANSITIONS if t.bulk and any(has_role(user, r) for r in t.roles)]


def _what_happens(spec: workflow.Transition) -> str:
    from applications.documents.constants import DocumentKind

    if spec.other_targets:
        parts = []  # the arrival state follows from what is given: the explanation says how
    elif spec.target in spec.sources:
        parts = [_("案件仍处于“%(state)s”阶段。") % {"state": workflow.STATE_BY_KEY[spec.target].label}]
    else:
        parts = [_("案件将进入“%(state)s”阶段。") % {"state": workflow.STATE_BY_KEY[spec.target].label}]
    if spec.deadline != "keep":
        parts.append(str(workflow.DEADLINE_EFFECTS[spec.deadline]) + "。")
    if spec.document_kind:
        parts.append(_("系统将签发《%(doc)s》并通知申报单位。") % {"doc": DocumentKind(spec.document_kind).label})
    if spec.explanation:
        parts.append(spec.explanation)
    return "".join(str(p) for p in parts)


def _actions(app: Application, user, bound: dict[str, TransitionForm] | None = None) -> list[dict[str, Any]]:
    """The actions this user may take now (forms), and the ones of their role refused now (with why)."""
    bound = bound or {}
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


def _declaration_page(request: HttpRequest, app: Application, *, status: int = 200, **extra: Any) -> HttpResponse:
    """What an assigned expert sees before declaring no conflict of interest: the case's summary (company, item,
    title) and the declaration; the facts, materials and documents open after "无利益冲突"."""
    return render(
        request,
        "portal/case_expert_declare.html",
        {
            "app": app,
            "application": app,
            "deadline": deadline_info(app),
            "declaration_form": extra.pop("declaration_form", None) or DeclarationForm(),
            "refusal": extra.pop("refusal", ""),
        },
        status=status,
    )


def _staff_page(request: HttpRequest, app: Application, *, status: int = 200, **extra: Any) -> HttpResponse:
    user = request.user
    if declaration_pending(user, app):
        return _declaration_page(request, app, status=status)
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
                    "old": show_value(specs.get(k, {"key": k}), old),
                    "new": show_value(specs.get(k, {"key": k}), new),
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
        "deadline": deadline_info(app),
        "facts": fact_rows(app),
        "evaluation": evaluation_context(app),
        "materials": material_rows(app),
        "diff": diff,
        "revisions": revisions,
        "timeline": selectors.timeline(app),
        "actions": actions,
        "refused": refused,
        "assignments": list(app.expert_assignments.select_related("expert")),
        "my_assignment": assignment,
        "opinion_form": extra.pop("opinion_form", None) or OpinionForm(criteria=app.item.rubric.all()),
        # Side by side for the office (reviewer, approver …); an expert sees their own opinion only.
        "comparison": expert_comparison(app) if sees_every_case(user) else None,
        "can_assign": has_role(user, "reviewer") and app.state in ("preliminary_review", "expert_review"),
        "assign_form": extra.pop("assign_form", None) or AssignExpertsForm(),
        "corrections": list(app.correction_requests.prefetch_related("items")),
        "objections": list(app.objections.all()),
        "disbursements": list(app.disbursements.all()),
        "refusal": extra.pop("refusal", ""),
        "refusal_for": extra.pop("refusal_for", ""),
        "company": app.company,
        # What a signed investment agreement (一企一策) promised this company for this item: for the office that
        # sees every case, not for an outside expert.
        "promise": promised_support(app.company, app.item.code) if has_role(user, *ALL_CASES_ROLES) else None,
    }
    context.update(extra)
    return render(request, "portal/case_staff.html", context, status=status)


@role_required(*OFFICE_ROLES)
@require_GET
def staff_case(request: HttpRequest, pk: int) -> HttpResponse:
    return _staff_page(request, _case_for_staff(request, pk))


@role_required(*OFFICE_ROLES)
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
            "deadline": deadline_info(app),
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
        rows.append(
            (
                form.fields["deadline"].label,
                data.get("deadline") or _("%(days)s个工作日（默认）") % {"days": workflow.DEADLINE_DAYS["correction"]},
            )
        )
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
    form = OpinionForm(request.POST, criteria=app.item.rubric.all())
    if not form.is_valid():
        return _staff_page(request, app, opinion_form=form, status=400)
    try:
        services.give_opinion(
            app,
            request.user,
            opinion=form.cleaned_data["opinion"],
            score=form.cleaned_data.get("score"),
            scores=form.scores() if form.criteria else None,
            comment=form.cleaned_data.get("comment") or "",
            suggested_amount=form.cleaned_data.get("suggested_amount"),
        )
    except TransitionRefused as exc:
        return _staff_page(request, app, opinion_form=form, refusal=exc.reason, refusal_for="opinion", status=409)
    messages.success(request, _("评审意见已提交。"))
    return redirect("portal:staff_case", pk=app.pk)


@role_required("expert")
@require_POST
def staff_declare(request: HttpRequest, pk: int) -> HttpResponse:
    """The expert's conflict-of-interest declaration. No conflict opens the case; a conflict recuses the expert
    (the case leaves their workbench) and tells the reviewers to assign another."""
    app = _case_for_staff(request, pk)
    form = DeclarationForm(request.POST)
    if not form.is_valid():
        return _declaration_page(request, app, declaration_form=form, status=400)
    conflict = form.cleaned_data["declaration"] == "conflict"
    try:
        services.declare_interest(
            app, request.user, conflict=conflict, reason=form.cleaned_data.get("conflict_reason") or ""
        )
    except TransitionRefused as exc:
        return _declaration_page(request, app, declaration_form=form, refusal=exc.reason, status=409)
    if conflict:
        messages.success(
            request,
            _("已声明利益冲突，您已回避案件 %(case)s，初审员将另行指派专家。") % {"case": app.case_number},
        )
        return redirect("portal:workbench")
    messages.success(request, _("已声明无利益冲突，现在可以查看申报材料并提交评审意见。"))
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
    ids = [i for i in map(row_id, request.POST.getlist("cases")) if i is not None]
    back = reverse("portal:workbench") + ("?" + request.POST.get("query", "") if request.POST.get("query") else "")
    cases = list(selectors.visible_cases(request.user).filter(pk__in=ids))
    if not cases:
        messages.error(request, _("请先在列表中勾选案件。"))
        return redirect(back)
    action = request.POST.get("action")
    spec = next((t for t in _bulk_actions(request.user) if t.key == action), None)
    try:
        if spec is not None and spec.bulk_via:
            # Taken on all the cases together (one notice batch, all or none): start_public_notice.
            if spec.confirm and request.POST.get("confirmed") != "1":
                return _confirm_bulk_approve(request, cases, back)
            batch = services.start_public_notice(
                cases, request.user, title=request.POST.get("title", "").strip(), comment=""
            )
            messages.success(
                request,
                _("已审定 %(n)s 个案件并开始公示，正在生成公示名单；公示期满无异议后签发审批决定书。")
                % {"n": len(cases)},
            )
            return redirect("portal:batch", pk=batch.pk)
        if spec is not None:
            # Case by case, each in its own transaction: what could not be done is said per case.
            results = services.perform_many(cases, spec.key, request.user)
            done = [app for app, refusal in results if refusal is None]
            if done:
                messages.success(request, _("已对 %(n)s 个案件办理“%(t)s”。") % {"n": len(done), "t": spec.label})
            for app, refusal in results:
                if refusal is not None:
                    messages.error(request, f"{app.case_number}：{refusal.reason}")
            return redirect(back)
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


@role_required(*OFFICE_ROLES)
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
    return form, filters, qs.order_by(*selectors.SORTS.get(filters.sort, selectors.SORTS["due"]))


@role_required(*DASHBOARD_ROLES)
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    form, filters, qs = _dashboard_cases(request)
    figures = selectors.dashboard_figures(qs, filters)
    stages, items, durations = figures["stages"], figures["items"], figures["durations"]
    return render(
        request,
        "portal/dashboard.html",
        {
            "filter_form": form,
            "figures_at": figures["at"],
            "figures_ttl_minutes": selectors.DASHBOARD_FIGURES_TTL // 60,
            "total": figures["total"],
            "overdue_total": figures["overdue_total"],
            "stages": stages,
            "stage_chart": selectors.bar_chart(stages, "count"),
            "items": items,
            "item_chart": selectors.bar_chart(items, "count", "code"),
            "budgets": figures["budgets"],
            "durations": durations,
            "duration_chart": selectors.bar_chart([{**d, "days": round(d["days"], 1)} for d in durations], "days"),
            "overdue": [(c, deadline_info(c)) for c in selectors.overdue_cases(qs)[:50]],
            "missing_year": next_year_schedule_missing(),
            # CLAMAV_DISABLED=1 (or no scanner at all outside production): say so where managers look.
            "uploads_unscanned": not settings.CLAMAV_SOCKET,
            "cases": list(qs[:100]),
            "query": request.GET.urlencode(),
        },
    )


@role_required(*DASHBOARD_ROLES)
@require_GET
def export(request: HttpRequest) -> HttpResponse:
    """The filtered case list as an XLSX workbook (applications.exporting; amounts as numbers)."""
    from applications.exporting import cases_workbook
    from invest.exporting import XLSX_CONTENT_TYPE

    _form, _, qs = _dashboard_cases(request)
    response = HttpResponse(cases_workbook(qs), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="cases-{today().isoformat()}.xlsx"'
    return response
