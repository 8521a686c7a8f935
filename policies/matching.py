"""Proactive matching (免申即享): every company against every item whose criteria need only registry facts.

Two implementations with one contract, `{(company_id, item_code): estimated amount or None}` for the eligible
pairs:
- `reference_match`, the straightforward loop: each compiled rule-engine rule on each company, one by one;
- `fast_match`, what the command uses: companies grouped by the tuple of registry facts an item actually reads
  (registries share few distinct tuples), each distinct tuple judged once, with the rules translated to closures
  (`fastrules`) and rule-engine itself as the fallback for anything the translation does not cover.
The benchmark and the tests check the two agree."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import rule_engine
from django.db import transaction
from django.utils import timezone

from invest.audit import audit

from .expressions import compile_rule, symbols
from .fastrules import Mismatch, NotCompilableAtRuntime, compile_closure
from .models import Invitation, Round, SupportItem
from .services import _engine_value, apply_caps, item_rules
from .variables import DATE, REGISTRY_KEYS, VARIABLES

# The order of registry facts in a company row: (id, *REGISTRY_FIELDS).
REGISTRY_FIELDS = (
    "registration_district",
    "tax_district",
    "established_on",
    "paid_in_capital",
    "in_hq_park",
    "banned_until",
)
_INDEX = {name: position + 1 for position, name in enumerate(REGISTRY_FIELDS)}
_BANNED = _INDEX["banned_until"]

Row = tuple  # (company_id, registration_district, tax_district, established_on, paid_in_capital, in_hq_park, banned_until)
Results = dict[tuple[int, str], Decimal | None]


def _checker(text: str, *, fast: bool) -> Callable[[dict[str, Any]], Any]:
    """A callable with the semantics of `services.run_criterion` / `run_amount`: a missing (non-date) fact gives
    None (not judged), a rule-engine error gives None too; otherwise the rule's value."""
    rule = compile_rule(text)
    required = tuple(n for n in sorted(symbols(rule)) if VARIABLES[n].type != DATE)
    closure = compile_closure(rule) if fast else None

    def check(facts: dict[str, Any]) -> Any:
        for name in required:
            if facts.get(name) is None:
                return None
        if closure is not None:
            try:
                return closure(facts)
            except Mismatch:
                return None
            except NotCompilableAtRuntime:
                pass
        try:
            return rule.evaluate(facts)
        except rule_engine.EngineError:
            return None

    return check


@dataclass
class MatchItem:
    item_id: int
    code: str
    rules: dict[str, Any]
    reads: tuple[str, ...]

    def judge(self, *, fast: bool) -> Callable[[dict[str, Any]], tuple[bool, Decimal | None]]:
        criteria = [_checker(c["expression"], fast=fast) for c in self.rules["criteria"]]
        amount = _checker(self.rules["amount_expression"], fast=fast)
        rules = self.rules

        def judge(facts: dict[str, Any]) -> tuple[bool, Decimal | None]:
            for criterion in criteria:
                if not criterion(facts):
                    return False, None
            raw = amount(facts)
            return True, (None if raw is None else apply_caps(raw, rules)[1])

        return judge


def registry_only(item: SupportItem) -> bool:
    """Whether the item's criteria read registry facts only, so a company can be judged without applying."""
    return all(symbols(compile_rule(c.expression)) <= REGISTRY_KEYS for c in item.criteria.all())


def matchable_items(round_: Round) -> list[MatchItem]:
    items = []
    for item in (
        SupportItem.objects.filter(policy=round_.policy).prefetch_related("criteria").order_by("sort_order", "code")
    ):
        if not registry_only(item):
            continue
        rules = item_rules(item)
        reads: set[str] = set()
        for text in [c["expression"] for c in rules["criteria"]] + [rules["amount_expression"]]:
            reads |= symbols(compile_rule(text)) & REGISTRY_KEYS
        items.append(MatchItem(item.pk, item.code, rules, tuple(sorted(reads))))
    return items


def _banned(until: dt.date | None, on: dt.date) -> bool:
    return until is not None and until >= on


def _facts(row: Row) -> dict[str, Any]:
    return {name: _engine_value(name, row[_INDEX[name]]) for name in REGISTRY_FIELDS}


def reference_match(rows: Iterable[Row], items: Sequence[MatchItem], on: dt.date) -> Results:
    """The straightforward loop: every compiled rule-engine rule on every company, one company at a time."""
    judges = [(item.code, item.judge(fast=False)) for item in items]
    results: Results = {}
    for row in rows:
        if _banned(row[_BANNED], on):
            continue
        facts = _facts(row)
        for code, judge in judges:
            eligible, amount = judge(facts)
            if eligible:
                results[(row[0], code)] = amount
    return results


def fast_match(rows: Sequence[Row], items: Sequence[MatchItem], on: dt.date) -> Results:
    """Each item judged once per distinct tuple of the registry facts it reads (and the ban), not per company."""
    results: Results = {}
    for item in items:
        judge = item.judge(fast=True)
        positions = tuple(_INDEX[name] for name in item.reads)
        memo: dict[tuple, tuple[bool, Decimal | None]] = {}
        code = item.code
        for row in rows:
            key = (_banned(row[_BANNED], on), *[row[p] for p in positions])
            verdict = memo.get(key)
            if verdict is None:
                if key[0]:
                    verdict = (False, None)
                else:
                    verdict = judge(_facts(row))
                memo[key] = verdict
            if verdict[0]:
                results[(row[0], code)] = verdict[1]
    return results


def company_rows() -> list[Row]:
    """Registry facts of every company still in business (deregistered or revoked companies are not invited)."""
    from companies.models import BusinessStatus, Company

    return list(
        Company.objects.exclude(business_status__in=[BusinessStatus.DEREGISTERED, BusinessStatus.REVOKED])
        .order_by("pk")
        .values_list("pk", *REGISTRY_FIELDS)
    )


def default_round(at=None) -> Round | None:
    at = at or timezone.now()
    open_rounds = Round.objects.filter(opens_at__lte=at, closes_at__gt=at, policy__status="published")
    return open_rounds.order_by("-opens_at").first() or Round.objects.order_by("-year", "-opens_at").first()


def match_policies(round_: Round, *, on: dt.date | None = None, actor=None) -> dict[str, Any]:
    """Record an invitation for every eligible (company, item) of the round, never twice: existing invitations are
    skipped and the database's unique constraint is the last word. Returns the summary the command prints."""
    started = time.perf_counter()
    on = on or timezone.localdate()
    items = matchable_items(round_)
    rows = company_rows()
    results = fast_match(rows, items, on)
    by_code = {item.code: item for item in items}
    existing = set(Invitation.objects.filter(round=round_).values_list("company_id", "item_id"))
    now = timezone.now()
    snapshots: dict[tuple[str, Decimal | None], dict[str, Any]] = {}
    new = []
    for (company_id, code), amount in results.items():
        item = by_code[code]
        if (company_id, item.item_id) in existing:
            continue
        snapshot = snapshots.get((code, amount))
        if snapshot is None:
            snapshot = snapshots[(code, amount)] = {
                "item": code,
                "rules_version": item.rules["rules_version"],
                "criteria": [c["expression"] for c in item.rules["criteria"]],
                "estimated_amount": None if amount is None else f"{amount:.2f}",
                "matched_on": on.isoformat(),
            }
        new.append(
            Invitation(
                company_id=company_id,
                item_id=item.item_id,
                round=round_,
                estimated_amount=amount,
                snapshot=snapshot,
                created_at=now,
            )
        )
    with transaction.atomic():
        Invitation.objects.bulk_create(new, batch_size=2000, ignore_conflicts=True)
        summary = {
            "round": round_.name,
            "round_id": round_.pk,
            "items": [item.code for item in items],
            "companies": len(rows),
            "eligible": len(results),
            "created": len(new),
            "already_invited": len(results) - len(new),
            "seconds": round(time.perf_counter() - started, 3),
        }
        audit(actor, "policies.matched", round_, after=summary)
    return summary
