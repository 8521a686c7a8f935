"""The figures of the statistics page (统计分析), each an aggregate query: nothing here loops over cases.

What a figure counts, in the year chosen (Asia/Shanghai calendar year):
- 申报 (submitted): cases submitted in the year (``submitted_at``);
- 批准 (approved): cases whose approval decision (``decided_at``) falls in the year and whose approval stands
  (workflow.COMMITTED_STATES: in 公示, 异议核查, 已批准, 已拨付 or 已归档), with their approved amount;
- 拨付 (paid): the disbursements paid in the year (``Disbursement.paid_on``), whatever became of the case since;
- 追回 (reclaimed): the clawbacks recorded in the year (``Clawback.recorded_at``);
- 批次预算 (budgets): the year's rounds (or the round chosen), each with what stands approved against it and
  what was paid for it, at any date, over all items, districts and types (what the approval's budget check
  counts), and what is left;
- 各阶段案件数: the cases submitted in the year, by the stage they are in now;
- 各阶段办理时长: the stays in a stage that ended in the year (statistics.StageVisit), in working days:
  the median, the mean and how many stays.
The other filters (item, round, district of registration, company type) narrow every figure but the budgets.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, OuterRef, Q, Subquery, Sum, Window
from django.db.models.functions import Coalesce, RowNumber, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from applications import workflow
from applications.models import Application, Clawback, Disbursement
from companies.models import Industry

from .models import StageVisit

ZERO = Decimal("0.00")
MONEY_MEASURES = ("approved", "paid", "reclaimed")
COUNT_MEASURES = ("submitted", "approved_n")


@dataclass(frozen=True)
class Filters:
    """What the page and its export are narrowed to; empty values mean "all"."""

    year: int
    item: str = ""  # SupportItem.code
    round: int | None = None
    district: str = ""  # Company.registration_district
    industry: str = ""  # Company.industry (the company type)

    def cases(self, prefix: str = "") -> Q:
        """The case filters, on Application (``prefix`` "" ) or on a row pointing to it ("application__")."""
        q = Q()
        if self.item:
            q &= Q(**{f"{prefix}item__code": self.item})
        if self.round:
            q &= Q(**{f"{prefix}round_id": self.round})
        if self.district:
            q &= Q(**{f"{prefix}company__registration_district": self.district})
        if self.industry:
            q &= Q(**{f"{prefix}company__industry": self.industry})
        return q


def year_bounds(first: int, last: int | None = None) -> tuple[datetime, datetime]:
    """From 1 January of ``first`` to 1 January after ``last``, in the service's time zone (Asia/Shanghai)."""
    tz = timezone.get_current_timezone()
    last = first if last is None else last
    return datetime(first, 1, 1, tzinfo=tz), datetime(last + 1, 1, 1, tzinfo=tz)


def _within(field_name: str, first: int, last: int | None = None) -> Q:
    start, end = year_bounds(first, last)
    return Q(**{f"{field_name}__gte": start, f"{field_name}__lt": end})


def submitted_q(first: int, last: int | None = None) -> Q:
    return _within("submitted_at", first, last)


def approved_q(first: int, last: int | None = None) -> Q:
    return Q(state__in=workflow.COMMITTED_STATES) & _within("decided_at", first, last)


def _blank_row() -> dict[str, Any]:
    return {"submitted": 0, "approved_n": 0, "approved": ZERO, "paid": ZERO, "reclaimed": ZERO}


# --- by item, district, company type ------------------------------------------------------------------------

#: Each breakdown: the fields of the case that make its key, and how a key is labelled.
DIMENSIONS: dict[str, tuple[str, ...]] = {
    "item": ("item__code", "item__name"),
    "district": ("company__registration_district",),
    "industry": ("company__industry",),
}


def _label(dimension: str, key: tuple) -> str:
    if dimension == "item":
        return f"{key[0]} {key[1]}"
    if dimension == "industry":
        return str(Industry(key[0]).label) if key[0] in Industry.values else (key[0] or _("未填"))
    return key[0] or _("未填")


def breakdown(filters: Filters, dimension: str) -> list[dict[str, Any]]:
    """Submitted, approved and paid (and reclaimed) in the year, per item, district or company type: three
    grouped queries (cases, disbursements, clawbacks), whatever the number of cases."""
    paths = DIMENSIONS[dimension]
    year = filters.year
    sub, appr = submitted_q(year), approved_q(year)
    rows: dict[tuple, dict[str, Any]] = defaultdict(_blank_row)
    cases = (
        Application.objects.filter(filters.cases())
        .filter(sub | appr)
        .values_list(*paths)
        .annotate(
            submitted=Count("id", filter=sub),
            approved_n=Count("id", filter=appr),
            approved=Coalesce(Sum("approved_amount", filter=appr), ZERO),
        )
        .order_by()
    )
    for *key, submitted, approved_n, approved in cases:
        row = rows[tuple(key)]
        row.update(submitted=submitted, approved_n=approved_n, approved=approved)
    linked = [f"application__{p}" for p in paths]
    paid = (
        Disbursement.objects.filter(filters.cases("application__"), paid_on__year=year)
        .values_list(*linked)
        .annotate(total=Sum("amount"))
        .order_by()
    )
    for *key, total in paid:
        rows[tuple(key)]["paid"] = total
    reclaimed = (
        Clawback.objects.filter(filters.cases("application__"), _within("recorded_at", year))
        .values_list(*linked)
        .annotate(total=Sum("amount"))
        .order_by()
    )
    for *key, total in reclaimed:
        rows[tuple(key)]["reclaimed"] = total
    out = [{"key": key[0], "label": _label(dimension, key), **values} for key, values in rows.items()]
    if dimension == "item":
        out.sort(key=lambda r: r["key"])
    else:
        out.sort(key=lambda r: (-r["approved"], -r["paid"], -r["submitted"], r["label"]))
    return out


# --- by month and quarter, this year and last ----------------------------------------------------------------


def _month_key(value) -> tuple[int, int]:
    if isinstance(value, datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
    return value.year, value.month


def months(filters: Filters) -> dict[tuple[int, int], dict[str, Any]]:
    """Every month of the year and the year before, (year, month) → figures: four grouped queries (cases
    submitted, approvals, disbursements, clawbacks), months in Asia/Shanghai (TruncMonth is time-zone aware)."""
    first, last = filters.year - 1, filters.year
    out = {(y, m): _blank_row() for y in (first, last) for m in range(1, 13)}
    cases = Application.objects.filter(filters.cases())
    for month, n in (
        cases.filter(submitted_q(first, last))
        .annotate(month=TruncMonth("submitted_at"))
        .values_list("month")
        .annotate(n=Count("id"))
        .order_by()
    ):
        out[_month_key(month)]["submitted"] = n
    for month, n, total in (
        cases.filter(approved_q(first, last))
        .annotate(month=TruncMonth("decided_at"))
        .values_list("month")
        .annotate(n=Count("id"), total=Sum("approved_amount"))
        .order_by()
    ):
        out[_month_key(month)].update(approved_n=n, approved=total or ZERO)
    for month, total in (
        Disbursement.objects.filter(filters.cases("application__"), paid_on__year__gte=first, paid_on__year__lte=last)
        .annotate(month=TruncMonth("paid_on"))
        .values_list("month")
        .annotate(total=Sum("amount"))
        .order_by()
    ):
        out[_month_key(month)]["paid"] = total
    for month, total in (
        Clawback.objects.filter(filters.cases("application__"), _within("recorded_at", first, last))
        .annotate(month=TruncMonth("recorded_at"))
        .values_list("month")
        .annotate(total=Sum("amount"))
        .order_by()
    ):
        out[_month_key(month)]["reclaimed"] = total
    return out


def _add(rows: list[dict[str, Any]]) -> dict[str, Any]:
    total = _blank_row()
    for row in rows:
        for key in (*COUNT_MEASURES, *MONEY_MEASURES):
            total[key] += row[key]
    return total


def month_rows(per_month: dict, year: int) -> list[dict[str, Any]]:
    return [{"month": m, "label": _("%(m)s月") % {"m": m}, **per_month[(year, m)]} for m in range(1, 13)]


def quarter_rows(per_month: dict, year: int) -> list[dict[str, Any]]:
    """The quarters from the months (each the sum of its three months' rows: 12 rows, not cases)."""
    return [
        {
            "quarter": q,
            "label": _("第%(q)s季度") % {"q": q},
            **_add([per_month[(year, m)] for m in range(3 * q - 2, 3 * q + 1)]),
        }
        for q in range(1, 5)
    ]


def _change(now: Any, before: Any) -> float | None:
    if not before:
        return None
    return float((Decimal(now) - Decimal(before)) * 100 / Decimal(before))


def year_on_year(per_month: dict, year: int) -> list[dict[str, Any]]:
    """Each measure this year and last, and the change in per cent (None when last year had nothing)."""
    this, last = _add(month_rows(per_month, year)), _add(month_rows(per_month, year - 1))
    labels = {
        "submitted": _("申报件数"),
        "approved_n": _("批准件数"),
        "approved": _("批准金额（元）"),
        "paid": _("拨付金额（元）"),
        "reclaimed": _("追回金额（元）"),
    }
    return [
        {
            "key": key,
            "label": label,
            "money": key in MONEY_MEASURES,
            "this": this[key],
            "last": last[key],
            "change": _change(this[key], last[key]),
        }
        for key, label in labels.items()
    ]


def month_comparison(per_month: dict, year: int) -> list[dict[str, Any]]:
    """Per month: approved and paid this year beside the same month last year."""
    return [
        {
            "month": m,
            "label": _("%(m)s月") % {"m": m},
            "approved": per_month[(year, m)]["approved"],
            "approved_last": per_month[(year - 1, m)]["approved"],
            "paid": per_month[(year, m)]["paid"],
            "paid_last": per_month[(year - 1, m)]["paid"],
        }
        for m in range(1, 13)
    ]


# --- budgets --------------------------------------------------------------------------------------------------


def budgets(filters: Filters) -> list[dict[str, Any]]:
    """The year's rounds (or the one chosen): budget, approved against it (standing approvals, any date, as
    the approval's budget check counts them), paid for it, and left. One query with two subqueries."""
    from policies.models import Round

    rounds = Round.objects.filter(pk=filters.round) if filters.round else Round.objects.filter(year=filters.year)
    committed = (
        Application.objects.filter(round=OuterRef("pk"), state__in=workflow.COMMITTED_STATES)
        .values("round")
        .annotate(total=Sum("approved_amount"))
        .values("total")
    )
    paid = (
        Disbursement.objects.filter(application__round=OuterRef("pk"))
        .values("application__round")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    out = []
    for rnd in (
        rounds.select_related("policy")
        .annotate(used=Coalesce(Subquery(committed), ZERO), paid=Coalesce(Subquery(paid), ZERO))
        .order_by("-year", "name", "pk")
    ):
        budget = rnd.budget or ZERO
        out.append(
            {
                "round": rnd,
                "label": rnd.name,
                "budget": budget,
                "used": rnd.used,
                "paid": rnd.paid,
                "left": budget - rnd.used,
                "used_pct": _pct(rnd.used, budget),
                "paid_pct": _pct(rnd.paid, budget),
            }
        )
    return out


def _pct(part: Decimal, whole: Decimal) -> float:
    return float(part * 100 / whole) if whole else 0.0


# --- stages ------------------------------------------------------------------------------------------------


def cases_per_stage(filters: Filters) -> list[dict[str, Any]]:
    """The cases submitted in the year by the stage they are in now (stages with none left out)."""
    counts = dict(
        Application.objects.filter(filters.cases(), submitted_q(filters.year))
        .values_list("state")
        .annotate(n=Count("id"))
        .order_by()
    )
    return [{"key": s.key, "label": str(s.label), "count": counts[s.key]} for s in workflow.STATES if counts.get(s.key)]


def stage_durations(filters: Filters) -> list[dict[str, Any]]:
    """Per stage, the stays that ended in the year: how many, the mean and the median working days.

    The median is the middle stay in order of length (the mean of the two middle ones for an even count),
    found by numbering each stage's stays in that order (ROW_NUMBER, which SQLite and PostgreSQL both have)
    and keeping the one or two in the middle: two queries in all, whatever the number of cases. Time in 草稿
    is the applicant's and is left out.
    """
    visits = StageVisit.objects.filter(
        filters.cases("application__"), _within("left_at", filters.year), working_days__isnull=False
    ).exclude(state="draft")
    summary = {
        state: (n, total)
        for state, n, total in visits.values_list("state").annotate(n=Count("id"), total=Sum("working_days")).order_by()
    }
    middle: dict[str, list[int]] = defaultdict(list)
    ranked = (
        visits.annotate(
            rank=Window(RowNumber(), partition_by=[F("state")], order_by=[F("working_days").asc(), F("pk").asc()]),
            size=Window(Count("id"), partition_by=[F("state")]),
        )
        .filter(rank__gte=(F("size") + 1) / 2, rank__lte=(F("size") + 2) / 2)
        .values_list("state", "working_days")
    )
    for state, days in ranked:
        middle[state].append(days)
    out = []
    for s in workflow.STATES:
        if s.key not in summary:
            continue
        n, total = summary[s.key]
        values = middle.get(s.key) or [0]
        out.append(
            {
                "key": s.key,
                "label": str(s.label),
                "n": n,
                "mean": Decimal(total) / n,
                "median": Decimal(sum(values)) / len(values),
            }
        )
    return out


# --- the page ------------------------------------------------------------------------------------------------


@dataclass
class Figures:
    filters: Filters
    per_month: dict = field(repr=False)
    items: list
    districts: list
    industries: list
    budgets: list
    stages: list
    durations: list

    @property
    def months(self) -> list[dict[str, Any]]:
        return month_rows(self.per_month, self.filters.year)

    @property
    def quarters(self) -> list[dict[str, Any]]:
        return quarter_rows(self.per_month, self.filters.year)

    @property
    def totals(self) -> dict[str, Any]:
        return _add(self.months)

    @property
    def year_on_year(self) -> list[dict[str, Any]]:
        return year_on_year(self.per_month, self.filters.year)

    @property
    def month_comparison(self) -> list[dict[str, Any]]:
        return month_comparison(self.per_month, self.filters.year)


def cached_figures(filters: Filters) -> tuple[Figures, datetime]:
    """The figures for these filters and when they were worked out: from the shared cache when that was less than
    the dashboard's DASHBOARD_FIGURES_TTL ago. A year's figures read every case of the year (2.3 s at a million
    cases, bench/scale.py), so, like the dashboard's, they are a materialised cache; the page says as of when."""
    import hashlib

    from django.core.cache import cache
    from django.utils import timezone

    from applications.portal.selectors import DASHBOARD_FIGURES_TTL

    parts = [str(filters.year), filters.item, str(filters.round), filters.district, filters.industry]
    key = "statistics-figures:" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]
    kept = cache.get(key)
    if kept is None:
        kept = (figures(filters), timezone.now())
        cache.set(key, kept, DASHBOARD_FIGURES_TTL)
    return kept


def figures(filters: Filters) -> Figures:
    """Every figure of the page and the export, in a fixed number of queries."""
    return Figures(
        filters=filters,
        per_month=months(filters),
        items=breakdown(filters, "item"),
        districts=breakdown(filters, "district"),
        industries=breakdown(filters, "industry"),
        budgets=budgets(filters),
        stages=cases_per_stage(filters),
        durations=stage_durations(filters),
    )
