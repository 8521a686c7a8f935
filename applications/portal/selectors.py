"""Reads behind the portal's pages: queues, case timelines, dashboard figures.

These are page-shaped queries (filters, sorting, sums per stage) built on the workflow table; the rules
themselves stay in applications.services / applications.rules. When the workflow area grows selectors of
its own for these, the portal should call those instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import CharField, Count, Exists, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Cast

from applications import workflow
from applications.models import Application, ExpertAssignment
from applications.visibility import APPLICANT, EXPERT, OFFICE, cases_visible_to
from applications.workdays import today
from companies.models import Company
from invest.audit import EventType
from invest.models import AuditEntry
from invest.roles import ALL_CASES_ROLES, has_role, user_roles

SORTS = {
    "due": ("due_date", "submitted_at", "id"),
    "-due": ("-due_date", "-submitted_at", "-id"),
    "submitted": ("submitted_at", "id"),
    "-submitted": ("-submitted_at", "-id"),
    "amount": ("computed_amount", "id"),
    "-amount": ("-computed_amount", "-id"),
    "case": ("case_number",),
    "-case": ("-case_number",),
}


def cases_of_applicant(user) -> QuerySet[Application]:
    """The cases the applicant's pages show: those of the companies the user is a confirmed member of."""
    return cases_visible_to(user, frozenset({APPLICANT})).select_related("company", "item", "round")


def visible_cases(user) -> QuerySet[Application]:
    """Every case the user may open in the workbench: the office sees all, experts their assignments."""
    return cases_visible_to(user, frozenset({OFFICE, EXPERT})).select_related("company", "item", "round")


def queue_states(user) -> list[str]:
    """The stages in which this user's roles have work (derived from the workflow table)."""
    roles = user_roles(user)
    return [s.key for s in workflow.STATES if workflow.roles_acting_in(s.key) & roles]


@dataclass
class QueueFilters:
    stage: str = ""
    item: str = ""
    round: str = ""
    overdue: bool = False
    mine: bool = False
    all_stages: bool = False
    q: str = ""
    sort: str = "due"


def overdue_q(on: date | None = None) -> Q:
    on = on or today()
    return Q(due_date__lt=on) & ~Q(state__in=workflow.TERMINAL_STATES) | Q(overdue_since__isnull=False)


def queue(user, filters: QueueFilters) -> QuerySet[Application]:
    qs = visible_cases(user)
    working = working_stages(user, filters)
    if filters.stage:
        qs = qs.filter(state=filters.stage)
    elif working is not None:
        qs = qs.filter(state__in=working)
    elif filters.all_stages:
        qs = qs.exclude(state="draft")
    else:  # an outside expert: the cases assigned to them and not yet answered
        qs = qs.filter(
            state="expert_review", expert_assignments__expert=user, expert_assignments__answered_at__isnull=True
        )
    if filters.item:
        qs = qs.filter(item__code=filters.item)
    if filters.round:
        qs = qs.filter(round_id=filters.round) if str(filters.round).isdigit() else qs.none()
    if filters.overdue:
        qs = qs.filter(overdue_q())
    if filters.mine:
        # assigned to the user, or acted on by them: asked per case (EXISTS, through the audit log's index on
        # the case), so a reviewer's trail of a million entries is neither read into Python nor hashed whole,
        # and the page's ids stop after the page's cases
        assigned = ExpertAssignment.objects.filter(application=OuterRef("pk"), expert=user)
        acted = AuditEntry.objects.filter(
            target_type="applications.application",
            target_id=Cast(OuterRef("pk"), CharField()),
            actor=user,
        )
        qs = qs.filter(Exists(assigned) | Exists(acted))
    if filters.q:
        qs = qs.filter(
            Q(case_number__icontains=filters.q) | Q(project_title__icontains=filters.q) | by_company(filters.q)
        )
    return qs.order_by(*SORTS.get(filters.sort, SORTS["due"]))


#: Companies a search names by id; a search matching more names joins the companies instead.
SEARCH_COMPANIES_MAX = 500


def by_company(text: str) -> Q:
    """Cases of the companies whose name contains ``text``. The companies are looked up first (from their
    name's trigram index on PostgreSQL) and named by id, so that the case search is one bitmap of three
    indexes (case number, title, company) instead of a join filtered row by row."""
    ids = list(Company.objects.filter(name__icontains=text).values_list("pk", flat=True)[: SEARCH_COMPANIES_MAX + 1])
    if len(ids) > SEARCH_COMPANIES_MAX:
        return Q(company__name__icontains=text)
    return Q(company_id__in=ids)


def working_stages(user, filters: QueueFilters) -> list[str] | None:
    """The stages the queue lists when it lists the user's working stages (no stage chosen, not every stage,
    not an outside expert's own assignments); None otherwise."""
    if filters.stage or filters.all_stages:
        return None
    if has_role(user, "expert") and not has_role(user, *ALL_CASES_ROLES):
        return None
    return queue_states(user)


def queue_parts(user, filters: QueueFilters, rows: QuerySet[Application]) -> list[QuerySet[Application]]:
    """The queue ``rows`` one stage at a time, when it lists the user's several working stages: the paginator
    then reads each stage's index in the queue's order and merges them (invest.paging), instead of sorting
    every waiting case for one page."""
    working = working_stages(user, filters) or []
    return [rows.filter(state=state) for state in working] if len(working) > 1 else []


# --- timeline ---------------------------------------------------------------------------------------------


@dataclass
class TimelineEntry:
    at: Any
    title: str
    actor: str
    role: str
    reason: str
    state: str
    #: Repeated uploads in a row are one entry ("上传材料 ×5"); ``details`` lists each (time, text).
    count: int = 1
    details: list[tuple[Any, str]] = field(default_factory=list)


def timeline(application: Application, *, for_applicant: bool = False) -> list[TimelineEntry]:
    """The case's audit trail, as people read it. Applicants see who acted by role, not by name."""
    from django.conf import settings
    from django.utils.translation import gettext as _

    from applications.selectors import case_trail

    labels = {workflow.TABLE.event_type(t.key): t.label for t in workflow.TRANSITIONS}
    labels.update({e.value: e.label for e in EventType if e.value.startswith("case.")})
    material_labels = {m["key"]: str(m.get("label") or m["key"]) for m in (application.item.materials or [])}
    out: list[TimelineEntry] = []
    for e in case_trail(application, for_applicant=for_applicant):
        role = str(settings.ROLES.get(e.actor_role, "")) if e.actor_role else ""
        if e.actor_role == "system":
            role = _("系统")
        actor = (
            ""
            if for_applicant and e.actor_role != "applicant"
            else ((e.actor.get_full_name() or e.actor.username) if e.actor else "")
        )
        state = (e.after or {}).get("state", "") if isinstance(e.after, dict) else ""
        if e.action == EventType.CASE_MATERIAL:
            name = str((e.after or {}).get("name", "")) if isinstance(e.after, dict) else ""
            key = str((e.after or {}).get("key", "")) if isinstance(e.after, dict) else ""
            detail = f"{material_labels.get(key, key)}：{name}" if name else material_labels.get(key, key)
            last = out[-1] if out else None
            if last is not None and last.title == str(labels[EventType.CASE_MATERIAL]) and last.actor == actor:
                last.count += 1
                last.details.append((e.at, detail))
                continue
            out.append(
                TimelineEntry(
                    at=e.at,
                    title=str(labels[e.action]),
                    actor=actor,
                    role=role,
                    reason=e.reason,
                    state="",
                    details=[(e.at, detail)],
                )
            )
            continue
        out.append(
            TimelineEntry(
                at=e.at,
                title=str(labels.get(e.action, e.action)),
                actor=actor,
                role=role,
                reason=e.reason,
                state=str(workflow.STATE_BY_KEY[state].label) if state in workflow.STATE_BY_KEY else "",
            )
        )
    return out


# --- progress stepper -----------------------------------------------------------------------------------


@dataclass
class Step:
    key: str
    label: str
    #: done, current, upcoming; "end" for the terminal state a case stopped in.
    status: str
    detour: bool = False
    times: int = 1


def states_entered(application: Application) -> list[str]:
    """The states the case entered, in order, from the audit trail's state changes (draft first)."""
    afters = (
        AuditEntry.objects.filter(
            target_type="applications.application",
            target_id=str(application.pk),
            action__in=workflow.TABLE.event_types(),
        )
        .order_by("at", "id")
        .values_list("after", flat=True)
    )
    entered = ["draft"]
    for after in afters:
        state = after.get("state") if isinstance(after, dict) else None
        if state and state != entered[-1]:
            entered.append(state)
    if entered[-1] != application.state:
        entered.append(application.state)
    return entered


def progress(application: Application) -> list[Step]:
    """The applicant's stepper, built from the workflow table: the main path (State.step, in table order),
    each detour (补正, 异议核查) after the step it leaves from when the case went through it, and a terminal
    state (不予受理, 已撤回 …) in place of the steps the case will never reach."""
    entered = states_entered(application)
    current = application.state
    main = [s.key for s in workflow.MAIN_STEPS]
    index = {key: i for i, key in enumerate(main)}
    state = workflow.STATE_BY_KEY[current]
    ended = state.terminal and current not in index
    if current in index:
        position = index[current]
    elif state.detour:
        position = index[workflow.detour_anchor(current)]
    else:
        position = max([index[s] for s in entered if s in index] or [-1])
    detours: dict[str, list[str]] = {}
    for s in workflow.STATES:
        if s.detour and s.key in entered:
            detours.setdefault(workflow.detour_anchor(s.key), []).append(s.key)
    steps: list[Step] = []
    for i, key in enumerate(main):
        if ended and i > position:
            break
        if i < position or (i == position and (ended or state.detour or current == "archived")):
            status = "done"
        elif i == position or (current == "draft" and i == 0):
            status = "current"
        else:
            status = "upcoming"
        steps.append(Step(key, str(workflow.STATE_BY_KEY[key].step), status))
        for detour in detours.get(key, []):
            steps.append(
                Step(
                    detour,
                    str(workflow.STATE_BY_KEY[detour].step),
                    "current" if detour == current else "done",
                    detour=True,
                    times=entered.count(detour),
                )
            )
    if ended:
        steps.append(Step(current, str(state.label), "end"))
    return steps


# --- dashboard --------------------------------------------------------------------------------------------


def cases_per_stage(qs: QuerySet[Application]) -> list[dict[str, Any]]:
    # without the list's ordering, which GROUP BY would otherwise take in (one row per case, not per stage)
    counts = dict(qs.order_by().values_list("state").annotate(n=Count("id")))
    return [{"key": s.key, "label": s.label, "count": counts.get(s.key, 0)} for s in workflow.STATES]


def cases_per_item(qs: QuerySet[Application]) -> list[dict[str, Any]]:
    rows = (
        qs.values("item__code", "item__name")
        .annotate(n=Count("id"), approved=Sum("approved_amount", filter=Q(state__in=workflow.COMMITTED_STATES)))
        .order_by("item__code")
    )
    return [
        {"code": r["item__code"], "name": r["item__name"], "count": r["n"], "approved": r["approved"] or Decimal("0")}
        for r in rows
    ]


def round_budgets() -> list[dict[str, Any]]:
    from policies.models import Round

    out = []
    for rnd in Round.objects.select_related("policy").order_by("-year", "name"):
        sums = Application.objects.filter(round=rnd).aggregate(
            approved=Sum("approved_amount", filter=Q(state__in=workflow.COMMITTED_STATES)),
            disbursed=Sum("disbursed_amount"),
        )
        approved, disbursed = sums["approved"] or Decimal("0"), sums["disbursed"] or Decimal("0")
        budget = rnd.budget or Decimal("0")
        out.append(
            {
                "round": rnd,
                "budget": budget,
                "approved": approved,
                "disbursed": disbursed,
                "left": budget - approved,
                "approved_pct": _pct(approved, budget),
                "disbursed_pct": _pct(disbursed, budget),
            }
        )
    return out


def _pct(part: Decimal, whole: Decimal) -> float:
    if not whole:
        return 0.0
    return float(min(Decimal("100"), part * 100 / whole))


def average_working_days_per_stage(qs: QuerySet[Application]) -> list[dict[str, Any]]:
    """How long cases stayed in each stage, in working days: the mean of the finished stays (StageVisit, whose
    working days are counted when the case leaves the stage, the way the audit trail's state changes count
    them) of the cases in ``qs``; time in 草稿 is the applicant's and is left out. One aggregate query."""
    from applications.statistics.models import StageVisit

    rows = (
        StageVisit.objects.filter(application__in=qs.order_by().values("pk"), working_days__isnull=False)
        .exclude(state="draft")
        .values_list("state")
        .annotate(n=Count("id"), total=Sum("working_days"))
        .order_by()
    )
    spans = {state: (n, total) for state, n, total in rows}
    out = []
    for s in workflow.STATES:
        if s.key in spans:
            n, total = spans[s.key]
            out.append({"key": s.key, "label": s.label, "days": total / n, "n": n})
    return out


#: Seconds the dashboard's figures over the whole table (totals, stages, items, budgets, working days) are
#: kept before they are worked out again: at a million cases they take seconds; the page says when they were.
DASHBOARD_FIGURES_TTL = 600


def dashboard_figures(qs: QuerySet[Application], filters: QueueFilters) -> dict[str, Any]:
    """The dashboard's aggregates of the cases in ``qs`` (the filtered cases), from the shared cache when they
    were worked out less than DASHBOARD_FIGURES_TTL seconds ago for the same filter, with the time ``at``
    they were worked out. They read every case the filter matches, so at a province's size (bench/scale.py)
    they are a materialised cache rather than a query per page view; the lists beside them stay live."""
    import hashlib

    from django.core.cache import cache
    from django.utils import timezone

    parts = [filters.stage, filters.item, str(filters.round), str(filters.overdue), filters.q]
    key = "dashboard-figures:" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]
    figures = cache.get(key)
    if figures is None:
        figures = {
            "at": timezone.now(),
            "total": qs.count(),
            "overdue_total": qs.filter(overdue_q()).count(),
            "stages": [s for s in cases_per_stage(qs) if s["count"]],
            "items": cases_per_item(qs),
            "budgets": round_budgets(),
            "durations": average_working_days_per_stage(qs),
        }
        cache.set(key, figures, DASHBOARD_FIGURES_TTL)
    return figures


def overdue_cases(qs: QuerySet[Application]) -> QuerySet[Application]:
    return qs.filter(overdue_q()).order_by("due_date")


def bar_chart(rows: list[dict[str, Any]], value_key: str, label_key: str = "label", *, width: int = 440) -> dict:
    """Geometry of a horizontal bar chart drawn as inline SVG by the template (no script, no inline style)."""
    row_h, label_w, value_w = 28, 130, 70
    bar_w = width - label_w - value_w
    peak = max((float(r[value_key]) for r in rows), default=0) or 1.0
    bars = []
    for i, r in enumerate(rows):
        value = float(r[value_key])
        bars.append(
            {
                "y": i * row_h,
                "text_y": i * row_h + 18,
                "w": max(1.0, round(bar_w * value / peak, 1)) if value else 0,
                "label": r[label_key],
                "value": r[value_key],
            }
        )
    return {
        "bars": bars,
        "height": max(row_h, len(rows) * row_h),
        "width": width,
        "label_w": label_w,
        "bar_x": label_w,
        "value_x": width - 4,
    }
