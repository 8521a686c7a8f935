"""Reads of the investment pipeline: the manager's figures, a settled company's history, and what was promised.

Definitions used by the pipeline page (also printed on it, so the figures can be defended):
- committed investment: the sum of the agreements of leads now signed or settled (a lead lost after signing
  no longer counts as committed);
- settled investment: the sum of the agreements of settled leads;
- conversion: settled leads ÷ all leads of that event, as a percentage to one decimal;
- days to settle: from the first-contact date to the settling date, averaged over settled leads.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from companies import uscc
from companies.models import Company
from invest.audit import EventType
from invest.models import AuditEntry

from . import workflow
from .models import Agreement, FollowUp, Lead, Milestone, PromisedSupport, PromotionEvent

ZERO = Decimal("0.00")
TENTH = Decimal("0.1")
COMMITTED_STATES = (workflow.AGREEMENT_SIGNED, workflow.SETTLED)


def _percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(TENTH, rounding=ROUND_HALF_UP)


def leads_filtered(*, event: PromotionEvent | int | None = None, owner=None, year: int | None = None) -> QuerySet[Lead]:
    """The leads a pipeline view covers; `year` is the year of the source event (or of registration when none)."""
    qs = Lead.objects.all()
    if event is not None:
        qs = qs.filter(event=event)
    if owner is not None:
        qs = qs.filter(owner=owner)
    if year is not None:
        qs = qs.filter(Q(event__date__year=year) | Q(event__isnull=True, created_at__year=year))
    return qs


@dataclass
class StageRow:
    key: str
    label: str
    count: int
    expected_investment: Decimal


@dataclass
class EventRow:
    event: PromotionEvent | None
    total: int = 0
    by_stage: dict[str, int] = field(default_factory=dict)
    committed_investment: Decimal = ZERO
    settled_investment: Decimal = ZERO

    @property
    def name(self) -> str:
        return str(self.event) if self.event else _("未注明来源活动")

    @property
    def settled(self) -> int:
        return self.by_stage.get(workflow.SETTLED, 0)

    @property
    def lost(self) -> int:
        return self.by_stage.get(workflow.LOST, 0)

    @property
    def open(self) -> int:
        return sum(self.by_stage.get(s, 0) for s in workflow.OPEN_STATES)

    @property
    def conversion(self) -> Decimal | None:
        return _percent(self.settled, self.total)

    def stage_counts(self) -> list[int]:
        return [self.by_stage.get(s, 0) for s in workflow.STATE_KEYS]


@dataclass
class Pipeline:
    total: int
    stages: list[StageRow]
    events: list[EventRow]
    committed_investment: Decimal
    settled_investment: Decimal
    expected_open_investment: Decimal
    settled_count: int
    average_days_to_settle: Decimal | None
    days_sample: int

    @property
    def conversion(self) -> Decimal | None:
        return _percent(self.settled_count, self.total)


def pipeline(leads: QuerySet[Lead] | None = None) -> Pipeline:
    """Figures for the manager's pipeline page, computed in the database (a handful of grouped queries)."""
    leads = Lead.objects.all() if leads is None else leads

    stage_rows = {
        row["state"]: row
        for row in leads.order_by().values("state").annotate(n=Count("id"), expected=Sum("expected_investment"))
    }
    stages = [
        StageRow(
            key=state.key,
            label=str(state.label),
            count=stage_rows.get(state.key, {}).get("n", 0),
            expected_investment=stage_rows.get(state.key, {}).get("expected") or ZERO,
        )
        for state in workflow.STATES
    ]

    events: dict[int | None, EventRow] = {}
    event_objects = PromotionEvent.objects.in_bulk(
        [e for e in leads.order_by().values_list("event", flat=True).distinct() if e is not None]
    )
    for row in leads.order_by().values("event", "state").annotate(n=Count("id")):
        er = events.setdefault(row["event"], EventRow(event=event_objects.get(row["event"])))
        er.by_stage[row["state"]] = row["n"]
        er.total += row["n"]

    agreements = Agreement.objects.filter(lead__in=leads, lead__state__in=COMMITTED_STATES)
    committed = settled_sum = ZERO
    for row in agreements.order_by().values("lead__event", "lead__state").annotate(total=Sum("committed_investment")):
        er = events[row["lead__event"]]
        er.committed_investment += row["total"]
        committed += row["total"]
        if row["lead__state"] == workflow.SETTLED:
            er.settled_investment += row["total"]
            settled_sum += row["total"]

    spans = [
        (settled - contacted).days
        for contacted, settled in leads.filter(
            state=workflow.SETTLED, contacted_on__isnull=False, settled_on__isnull=False
        ).values_list("contacted_on", "settled_on")
    ]
    average = (Decimal(sum(spans)) / len(spans)).quantize(TENTH, rounding=ROUND_HALF_UP) if spans else None

    ordered_events = sorted(
        events.values(),
        key=lambda r: (r.event is None, -(r.event.date.toordinal()) if r.event else 0, r.name),
    )
    return Pipeline(
        total=sum(s.count for s in stages),
        stages=stages,
        events=ordered_events,
        committed_investment=committed,
        settled_investment=settled_sum,
        expected_open_investment=sum((s.expected_investment for s in stages if s.key in workflow.OPEN_STATES), ZERO),
        settled_count=next(s.count for s in stages if s.key == workflow.SETTLED),
        average_days_to_settle=average,
        days_sample=len(spans),
    )


def leads_of_company(company: Company) -> QuerySet[Lead]:
    """Leads linked to the company, or carrying its credit code (earlier leads, or a link still pending)."""
    code = uscc.normalize(company.credit_code)
    return Lead.objects.filter(Q(company=company) | Q(credit_code=code))


@dataclass(frozen=True)
class Promise:
    """What an agreement promised for one support item, for checking an application against it."""

    item_code: str
    agreement: Agreement
    promised_amount: Decimal | None
    note: str

    @property
    def terms(self) -> str:
        return self.agreement.terms

    @property
    def signed_on(self) -> date:
        return self.agreement.signed_on


def promised_support(company: Company, item_code: str) -> Promise | None:
    """The latest promise of `item_code` to `company` in an agreement of a signed or settled lead, or None.

    A lead lost after signing promised nothing that still holds. Item codes are compared upper-cased.
    """
    row = (
        PromisedSupport.objects.filter(
            item_code=(item_code or "").strip().upper(),
            agreement__lead__in=leads_of_company(company).filter(state__in=COMMITTED_STATES),
        )
        .select_related("agreement", "agreement__lead")
        .order_by("-agreement__signed_on", "-agreement__id")
        .first()
    )
    if row is None:
        return None
    return Promise(item_code=row.item_code, agreement=row.agreement, promised_amount=row.promised_amount, note=row.note)


def promises_of_company(company: Company) -> list[Promise]:
    rows = (
        PromisedSupport.objects.filter(agreement__lead__in=leads_of_company(company).filter(state__in=COMMITTED_STATES))
        .select_related("agreement", "agreement__lead")
        .order_by("item_code", "-agreement__signed_on")
    )
    return [Promise(r.item_code, r.agreement, r.promised_amount, r.note) for r in rows]


# --- support received since settling (the applications app is built concurrently) ---

SUPPORT_STATES = ("approved", "disbursed", "archived")
_SUPPORT_FIELDS = ("company", "approved_amount", "disbursed_amount", "decided_at", "state", "case_number", "item")


def _application_model():
    """The Application model if the applications app provides one with the fields we read, else None."""
    try:
        model = apps.get_model("applications", "Application")
    except LookupError:
        return None
    try:
        for name in _SUPPORT_FIELDS:
            model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    return model


@dataclass(frozen=True)
class HistoryRow:
    """One line of a lead's history, read from its audit entry: what happened, from which stage to which,
    on which day, who did it and what they said."""

    at: datetime
    action: str
    label: str
    source: str
    target: str
    occurred_on: date | None
    actor: Any
    comment: str
    #: The transition's key for a stage change, else "".
    transition: str = ""

    @property
    def source_label(self) -> str:
        return workflow.state_label(self.source) if self.source else ""

    @property
    def target_label(self) -> str:
        return workflow.state_label(self.target) if self.target else ""


_BY_EVENT = {workflow.TABLE.event_type(t.key): t for t in workflow.TRANSITIONS}
#: The audit entries that make up a lead's history (the admin's edits and whole imports are audited only).
HISTORY_EVENTS = (
    EventType.LEAD_CREATE,
    EventType.LEAD_IMPORTED,
    *_BY_EVENT,
    EventType.LEAD_LINK_COMPANY,
    EventType.LEAD_ADD_AGREEMENT,
    EventType.LEAD_FOLLOW_UP,
    EventType.LEAD_MILESTONE_PLAN,
    EventType.LEAD_MILESTONE_REACHED,
)
#: The day an entry says the thing happened, by event: a follow-up's day, a milestone's planned or reached day.
_OCCURRED_ON = {
    EventType.LEAD_FOLLOW_UP: "on",
    EventType.LEAD_MILESTONE_PLAN: "planned_on",
    EventType.LEAD_MILESTONE_REACHED: "reached_on",
}
_KIND_LABELS = {
    EventType.LEAD_FOLLOW_UP: FollowUp.Kind,
    EventType.LEAD_MILESTONE_PLAN: Milestone.Kind,
    EventType.LEAD_MILESTONE_REACHED: Milestone.Kind,
}


def lead_histories(leads: list[Lead]) -> dict[int, list[HistoryRow]]:
    """Each lead's history, oldest first, in three queries for any number of leads."""
    entries = list(
        AuditEntry.objects.filter(
            target_type=Lead._meta.label_lower,
            target_id__in=[str(lead.pk) for lead in leads],
            action__in=HISTORY_EVENTS,
        )
        .select_related("actor")
        .order_by("at", "id")
    )
    afters = [e.after if isinstance(e.after, dict) else {} for e in entries]
    agreements = Agreement.objects.in_bulk([a["agreement"] for a in afters if a.get("agreement")])
    companies = Company.objects.in_bulk([a["company"] for a in afters if a.get("company")])
    histories: dict[int, list[HistoryRow]] = defaultdict(list)
    for entry, after in zip(entries, afters, strict=True):
        before = entry.before if isinstance(entry.before, dict) else {}
        spec = _BY_EVENT.get(entry.action)
        agreement = agreements.get(after.get("agreement"))
        company = companies.get(after.get("company"))
        if spec is not None:
            label, source, target = str(spec.label), before.get("state", ""), after.get("state", "")
            if spec.needs_agreement:
                occurred_on = agreement.signed_on if agreement else None
            else:
                occurred_on = date.fromisoformat(after[spec.date_field]) if after.get(spec.date_field) else None
            comment = entry.reason
        else:
            label, source, occurred_on = str(EventType(entry.action).label), "", None
            if entry.action in _OCCURRED_ON and after.get(_OCCURRED_ON[entry.action]):
                occurred_on = date.fromisoformat(after[_OCCURRED_ON[entry.action]])
            if entry.action in _KIND_LABELS and after.get("kind") in _KIND_LABELS[entry.action].values:
                label = f"{label}（{_KIND_LABELS[entry.action](after['kind']).label}）"
            # A lead is created in the table's first stage (entries written by the admin did not say so).
            created = entry.action in (EventType.LEAD_CREATE, EventType.LEAD_IMPORTED)
            target = (after.get("state") or workflow.STATE_KEYS[0]) if created else ""
            if entry.action == EventType.LEAD_LINK_COMPANY and company is not None:
                comment = entry.reason or str(company)
            elif entry.action == EventType.LEAD_ADD_AGREEMENT and agreement is not None:
                comment = entry.reason or agreement.number or str(agreement.signed_on)
            else:
                comment = entry.reason
        histories[int(entry.target_id)].append(
            HistoryRow(
                at=entry.at,
                action=entry.action,
                label=label,
                source=source,
                target=target,
                occurred_on=occurred_on,
                actor=entry.actor,
                comment=comment,
                transition=spec.key if spec else "",
            )
        )
    return histories


def lead_history(lead: Lead) -> list[HistoryRow]:
    return lead_histories([lead]).get(lead.pk, [])


@dataclass
class SupportRow:
    case_number: str
    item_code: str
    item_name: str
    state_label: str
    decided_on: date | None
    approved_amount: Decimal
    disbursed_amount: Decimal


@dataclass
class CompanyHistory:
    company: Company
    leads: list[Lead]
    agreements: list[Agreement]
    settled_on: date | None
    support_available: bool
    support: list[SupportRow] = field(default_factory=list)

    @property
    def approved_total(self) -> Decimal:
        return sum((r.approved_amount for r in self.support), ZERO)

    @property
    def disbursed_total(self) -> Decimal:
        return sum((r.disbursed_amount for r in self.support), ZERO)

    @property
    def committed_total(self) -> Decimal:
        return sum((a.committed_investment for a in self.agreements), ZERO)


def company_history(company: Company) -> CompanyHistory:
    """A settled company's investment story: its leads with their history, its agreements, and support since."""
    leads = list(
        leads_of_company(company)
        .select_related("event", "owner")
        .prefetch_related(
            Prefetch("agreements", queryset=Agreement.objects.prefetch_related("promised_items")),
        )
        .order_by("created_at", "id")
    )
    histories = lead_histories(leads)
    for lead in leads:
        lead.history = histories.get(lead.pk, [])
    agreements = sorted((a for lead in leads for a in lead.agreements.all()), key=lambda a: (a.signed_on, a.pk))
    settled_dates = [lead.settled_on for lead in leads if lead.settled_on]
    settled_on = min(settled_dates) if settled_dates else None

    model = _application_model()
    history = CompanyHistory(
        company=company, leads=leads, agreements=agreements, settled_on=settled_on, support_available=model is not None
    )
    if model is None or settled_on is None:
        return history
    cases = (
        model.objects.filter(company=company, state__in=SUPPORT_STATES, decided_at__date__gte=settled_on)
        .select_related("item")
        .order_by("decided_at", "id")
    )
    for case in cases:
        history.support.append(
            SupportRow(
                case_number=case.case_number,
                item_code=getattr(case.item, "code", ""),
                item_name=getattr(case.item, "name", ""),
                state_label=case.get_state_display(),
                decided_on=case.decided_at.date() if case.decided_at else None,
                approved_amount=case.approved_amount or ZERO,
                disbursed_amount=case.disbursed_amount or ZERO,
            )
        )
    return history


def leads_with_overdue_milestones(leads: Iterable[Lead], *, today: date) -> set[int]:
    """Which of these leads have an agreement milestone past its planned day and not reached, in one query."""
    return set(
        Milestone.objects.filter(
            agreement__lead__in=[lead.pk for lead in leads], reached_on__isnull=True, planned_on__lt=today
        ).values_list("agreement__lead_id", flat=True)
    )
