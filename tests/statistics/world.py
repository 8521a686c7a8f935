"""A few hundred cases over two years, and the statistics worked out again from them in plain Python.

The cases are made with the factories (the stage, amounts and dates set directly: the unit under test is the
arithmetic of the figures, not the workflow), spread over items, rounds, districts, company types and the
days around new year in Asia/Shanghai, where a date in UTC falls in the other year.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils import timezone

from applications.models import Application, Clawback, Disbursement
from applications.workflow import COMMITTED_STATES
from companies.models import Industry
from tests.factories.applications import ApplicationFactory
from tests.factories.companies import CompanyFactory
from tests.factories.policies import PolicyFactory, RoundFactory, SupportItemFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
ZERO = Decimal("0.00")
DISTRICTS = ("江津区", "渝中区", "永川区")
INDUSTRIES = (Industry.PRODUCTION, Industry.POST_PRODUCTION, Industry.STUDIO)
DECIDED = ("in_public_notice", "in_objection_review", "approved", "disbursed", "archived", "rejected", "clawed_back")
UNDECIDED = ("submitted", "accepted", "in_preliminary_review", "in_expert_review", "pending_decision")
PAID = ("approved", "disbursed", "archived", "clawed_back")


@dataclass
class World:
    year: int
    items: list = field(default_factory=list)
    rounds: list = field(default_factory=list)
    companies: list = field(default_factory=list)
    cases: list = field(default_factory=list)
    payments: list = field(default_factory=list)
    clawbacks: list = field(default_factory=list)
    serial: int = 0


def local(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(SHANGHAI)


def _moment(rng: random.Random, year: int) -> dt.datetime:
    day = dt.date(year, 1, 1) + dt.timedelta(days=rng.randrange(365))
    return dt.datetime.combine(day, dt.time(rng.randrange(24), rng.randrange(60)), tzinfo=SHANGHAI)


def build_world(year: int | None = None, *, cases: int = 300, seed: int = 17) -> World:
    year = year or timezone.localdate().year
    rng = random.Random(seed)
    world = World(year=year)
    policy = PolicyFactory()
    world.items = [SupportItemFactory(policy=policy, code=f"S-ITEM-{i}", name=f"统计事项{i}") for i in range(1, 5)]
    world.rounds = [
        RoundFactory(policy=policy, name=f"{y}年第{n}批", year=y, budget=Decimal("20000000.00"))
        for y in (year - 1, year)
        for n in (1, 2)
    ]
    world.companies = [
        CompanyFactory(registration_district=DISTRICTS[i % 3], industry=INDUSTRIES[(i // 3) % 3]) for i in range(12)
    ]
    add_cases(world, cases, rng)
    return world


def add_cases(world: World, n: int, rng: random.Random | None = None) -> None:
    rng = rng or random.Random(world.serial + 1)
    year = world.year
    # the minutes around new year: 00:30 on 1 January in Shanghai is still 31 December in UTC
    edges = [
        dt.datetime(year, 1, 1, 0, 30, tzinfo=SHANGHAI),
        dt.datetime(year - 1, 12, 31, 23, 30, tzinfo=SHANGHAI),
        dt.datetime(year - 1, 1, 1, 0, 10, tzinfo=SHANGHAI),
    ]
    for _ in range(n):
        world.serial += 1
        at_edge = world.serial <= len(edges)
        submitted = edges[world.serial - 1] if at_edge else _moment(rng, rng.choice((year - 1, year)))
        state = "approved" if at_edge else rng.choice(DECIDED + UNDECIDED)
        amount = Decimal(rng.randrange(1_000_000, 90_000_000)) / 100
        rnd = [r for r in world.rounds if r.year == local(submitted).year][rng.randrange(2)]
        kwargs = {
            "company": rng.choice(world.companies),
            "item": rng.choice(world.items),
            "round": rnd,
            "amount": amount,
            "case_number": f"S-{world.serial:06d}",
        }
        if state == "rejected":
            kwargs.update(pending_decision=True, state="rejected")
        elif state == "clawed_back":
            kwargs.update(disbursed=True, state="clawed_back")
        else:
            kwargs[state] = True
        case = ApplicationFactory(**kwargs)
        decided = None
        if state in DECIDED:
            decided = submitted if at_edge else submitted + dt.timedelta(days=rng.randrange(5, 60))
        Application.objects.filter(pk=case.pk).update(submitted_at=submitted, decided_at=decided)
        case.refresh_from_db()
        world.cases.append(case)
        if state in PAID:
            paid_total = ZERO
            parts = 1 if state != "approved" else 2
            base = local(decided).date()
            for part in range(parts):
                share = (amount / 2).quantize(Decimal("0.01")) if state == "approved" else amount
                paid_on = base + dt.timedelta(days=rng.randrange(1, 40) + 30 * part)
                world.payments.append(
                    Disbursement.objects.create(
                        application=case, amount=share, paid_on=paid_on, voucher_number=f"V-{world.serial}-{part}"
                    )
                )
                paid_total += share
            if state == "clawed_back":
                clawback = Clawback.objects.create(
                    application=case, amount=paid_total, reason="骗取资金", banned_until=dt.date(year + 5, 1, 1)
                )
                recorded = decided + dt.timedelta(days=rng.randrange(30, 200))
                Clawback.objects.filter(pk=clawback.pk).update(recorded_at=recorded)
                clawback.refresh_from_db()
                world.clawbacks.append(clawback)


# --- the figures again, in plain Python ---------------------------------------------------------------------


def _keep(case, item="", round=None, district="", industry="") -> bool:
    return (
        (not item or case.item.code == item)
        and (not round or case.round_id == round)
        and (not district or case.company.registration_district == district)
        and (not industry or case.company.industry == industry)
    )


def _key(case, dimension: str):
    return {
        "item": case.item.code,
        "district": case.company.registration_district,
        "industry": case.company.industry,
        "month": None,
    }[dimension]


def expected(world: World, dimension: str, year: int | None = None, **filters) -> dict:
    """{key: (submitted, approved count, approved amount, paid, reclaimed)} for the year."""
    year = year or world.year
    out: dict = defaultdict(lambda: [0, 0, ZERO, ZERO, ZERO])
    by_pk = {c.pk: c for c in world.cases}
    for case in world.cases:
        if not _keep(case, **filters):
            continue
        if case.submitted_at and local(case.submitted_at).year == year:
            out[_key(case, dimension)][0] += 1
        if case.state in COMMITTED_STATES and case.decided_at and local(case.decided_at).year == year:
            out[_key(case, dimension)][1] += 1
            out[_key(case, dimension)][2] += case.approved_amount
    for payment in world.payments:
        case = by_pk[payment.application_id]
        if _keep(case, **filters) and payment.paid_on.year == year:
            out[_key(case, dimension)][3] += payment.amount
    for clawback in world.clawbacks:
        case = by_pk[clawback.application_id]
        if _keep(case, **filters) and local(clawback.recorded_at).year == year:
            out[_key(case, dimension)][4] += clawback.amount
    return {k: tuple(v) for k, v in out.items()}


def expected_months(world: World, year: int, **filters) -> dict:
    """{month: (submitted, approved count, approved amount, paid, reclaimed)} for the months of ``year``."""
    out = {m: [0, 0, ZERO, ZERO, ZERO] for m in range(1, 13)}
    by_pk = {c.pk: c for c in world.cases}
    for case in world.cases:
        if not _keep(case, **filters):
            continue
        if case.submitted_at and local(case.submitted_at).year == year:
            out[local(case.submitted_at).month][0] += 1
        if case.state in COMMITTED_STATES and case.decided_at and local(case.decided_at).year == year:
            out[local(case.decided_at).month][1] += 1
            out[local(case.decided_at).month][2] += case.approved_amount
    for payment in world.payments:
        if _keep(by_pk[payment.application_id], **filters) and payment.paid_on.year == year:
            out[payment.paid_on.month][3] += payment.amount
    for clawback in world.clawbacks:
        if _keep(by_pk[clawback.application_id], **filters) and local(clawback.recorded_at).year == year:
            out[local(clawback.recorded_at).month][4] += clawback.amount
    return {k: tuple(v) for k, v in out.items()}


def expected_budgets(world: World, year: int) -> dict:
    """{round name: (budget, approved standing, paid, left)} for the rounds of the year."""
    out = {}
    for rnd in world.rounds:
        if rnd.year != year:
            continue
        used = sum(
            (c.approved_amount for c in world.cases if c.round_id == rnd.pk and c.state in COMMITTED_STATES), ZERO
        )
        case_ids = {c.pk for c in world.cases if c.round_id == rnd.pk}
        paid = sum((p.amount for p in world.payments if p.application_id in case_ids), ZERO)
        out[rnd.name] = (rnd.budget, used, paid, rnd.budget - used)
    return out


def expected_stages(world: World, year: int, **filters) -> dict:
    out: dict = defaultdict(int)
    for case in world.cases:
        if _keep(case, **filters) and case.submitted_at and local(case.submitted_at).year == year:
            out[case.state] += 1
    return dict(out)
