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
import hashlib
import json
import operator
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import repeat
from typing import Any

import rule_engine
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

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

    @property
    def rules_sha256(self) -> str:
        """Identifies the rule text the match used (the same digest a case snapshot records)."""
        return hashlib.sha256(json.dumps(self.rules, sort_keys=True, ensure_ascii=False).encode()).hexdigest()

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


def _facts(row: Row, names: Sequence[str] = REGISTRY_FIELDS) -> dict[str, Any]:
    return {name: _engine_value(name, row[_INDEX[name]]) for name in names}


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


def fast_match(registry: Registry | Sequence[Row], items: Sequence[MatchItem], on: dt.date) -> Results:
    """Each criterion judged once per distinct tuple of the registry facts it reads, not once per company.

    Companies are grouped once by the raw registry values any item reads (cheap to hash: no Decimal is built
    for grouping); each item then walks the groups, not the companies, and each of its criteria and its amount
    remembers its verdict per distinct value of its own facts, converting values only when they are new."""
    if isinstance(registry, Registry):
        raw, convert = registry.raw, registry.convert
    else:
        raw, convert = registry, (lambda position, value: value)
    # Group only on the columns some item reads (and the ban): an unread column such as established_on would
    # make every company distinct.
    used = sorted({_BANNED} | {_INDEX[name] for item in items for name in item.reads})
    slot = {position: number for number, position in enumerate(used)}
    group_key = operator.itemgetter(*used)
    groups: defaultdict[tuple, list[int]] = defaultdict(list)
    for row in raw:
        groups[group_key(row)].append(row[0])
    ban_memo: dict[Any, bool] = {}
    distinct = []
    for facts, ids in groups.items():
        until = facts[slot[_BANNED]]
        flag = ban_memo.get(until)
        if flag is None:
            flag = ban_memo[until] = _banned(convert(_BANNED, until), on)
        distinct.append((flag, facts, ids))
    results: Results = {}
    for item in items:
        criteria = [_memoised(c["expression"], slot, convert) for c in item.rules["criteria"]]
        amount = _memoised(item.rules["amount_expression"], slot, convert, rules=item.rules)
        code = item.code
        for is_banned, facts, ids in distinct:
            if is_banned:
                continue
            for criterion in criteria:
                if not criterion(facts):
                    break
            else:
                results.update(zip(zip(ids, repeat(code)), repeat(amount(facts))))
    return results


def _memoised(text: str, slot: dict[int, int], convert, *, rules: dict[str, Any] | None = None):
    """One criterion (or, with `rules`, the capped amount) judged once per distinct tuple of the registry values
    it reads itself: a district test sees a handful of values however many companies there are."""
    check = _checker(text, fast=True)
    names = tuple(sorted(symbols(compile_rule(text)) & REGISTRY_KEYS))
    columns = tuple((name, _INDEX[name], slot[_INDEX[name]]) for name in names)
    key_of = operator.itemgetter(*(column[2] for column in columns)) if columns else (lambda facts: ())
    memo: dict[Any, Any] = {}

    def evaluate(facts: tuple) -> Any:
        key = key_of(facts)
        try:
            return memo[key]
        except KeyError:
            pass
        values = {name: _engine_value(name, convert(position, facts[at])) for name, position, at in columns}
        result = check(values)
        if rules is not None:
            result = None if result is None else apply_caps(result, rules)[1]
        memo[key] = result
        return result

    return evaluate


class Registry:
    """The registry facts of every company still in business, as raw database values plus Django's own
    converters for each column (applied once per distinct raw value, not once per company: converting 100,000
    Decimals and dates costs more than matching them). `rows()` gives converted rows, identical to what
    `values_list` returns; `raw` is what the fast matcher groups on."""

    def __init__(self) -> None:
        from companies.models import BusinessStatus, Company

        meta = Company._meta
        fields = [meta.pk] + [meta.get_field(name) for name in REGISTRY_FIELDS]
        self._converters = []
        for field in fields:
            col = field.get_col(meta.db_table)
            found = connection.ops.get_db_converters(col) + field.get_db_converters(connection)
            self._converters.append((found, col))
        quote = connection.ops.quote_name
        excluded = [BusinessStatus.DEREGISTERED.value, BusinessStatus.REVOKED.value]
        sql = (
            f"SELECT {', '.join(quote(f.column) for f in fields)} FROM {quote(meta.db_table)} "
            f"WHERE {quote('business_status')} NOT IN (%s, %s) ORDER BY {quote(meta.pk.column)}"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, excluded)
            self.raw: list[tuple] = cursor.fetchall()
        self._caches: list[dict] = [{} for _ in fields]

    def convert(self, position: int, value: Any) -> Any:
        cache = self._caches[position]
        try:
            return cache[value]
        except KeyError:
            pass
        except TypeError:  # an unhashable driver value: convert without caching
            return self._convert(position, value)
        converted = cache[value] = self._convert(position, value)
        return converted

    def _convert(self, position: int, value: Any) -> Any:
        converters, col = self._converters[position]
        for converter in converters:
            value = converter(value, col, connection)
        return value

    def convert_row(self, row: tuple) -> Row:
        return tuple(self.convert(position, value) for position, value in enumerate(row))

    def rows(self) -> list[Row]:
        return [self.convert_row(row) for row in self.raw]

    def __len__(self) -> int:
        return len(self.raw)


def company_rows() -> list[Row]:
    """Registry facts of every company still in business (deregistered or revoked companies are not invited)."""
    return Registry().rows()


def default_round(at=None) -> Round | None:
    from .selectors import open_rounds

    return open_rounds(at).order_by("-opens_at").first() or Round.objects.order_by("-year", "-opens_at").first()


def _existing_invitations(round_: Round) -> set[tuple[int, int]]:
    """(company_id, item_id) of every invitation the round already has: these are kept as they are."""
    return set(Invitation.objects.filter(round=round_).values_list("company_id", "item_id"))


def _new_invitations(
    results: Results, by_code: dict[str, MatchItem], existing: set, on: dt.date
) -> tuple[list[tuple[int, int, int]], list[tuple[Any, str]]]:
    """The invitations to create as (item_id, company_id, snapshot number), sorted like the unique index so that
    the database appends to it instead of inserting all over it; and the distinct (estimated amount, snapshot
    JSON) pairs the numbers point to. A match has a handful of those (an item's amount tiers), not one per
    company, so each is encoded once and PostgreSQL parses each JSON document once, not once per row."""
    adapt = connection.ops.adapt_decimalfield_value
    numbers: dict[tuple[str, Decimal | None], int] = {}
    snapshots: list[tuple[Any, str]] = []
    rows = []
    for (company_id, code), amount in results.items():
        item = by_code[code]
        if (company_id, item.item_id) in existing:
            continue
        number = numbers.get((code, amount))
        if number is None:
            number = numbers[(code, amount)] = len(snapshots)
            snapshot = {
                "item": code,
                "rules_version": item.rules["rules_version"],
                "rules_sha256": item.rules_sha256,
                "estimated_amount": None if amount is None else f"{amount:.2f}",
                "matched_on": on.isoformat(),
            }
            value = None if amount is None else adapt(amount, 16, 2)
            snapshots.append((value, json.dumps(snapshot, ensure_ascii=False)))
        rows.append((item.item_id, company_id, number))
    rows.sort()
    return rows, snapshots


_COLUMNS = "(company_id, item_id, round_id, estimated_amount, snapshot, status, created_at)"


def _insert_invitations(
    round_: Round, results: Results, by_code: dict[str, MatchItem], existing: set, on: dt.date, stamp: dt.datetime
) -> int:
    """Create the invitations the round does not have yet, with the unique constraint as the last word against a
    concurrent run (or a manager adding one by hand): an invitation that exists by then is skipped, never
    duplicated nor changed. Building 100,000 model instances would cost more than the match."""
    rows, snapshots = _new_invitations(results, by_code, existing, on)
    if not rows:
        return 0
    now = connection.ops.adapt_datetimefield_value(stamp)
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            return _insert_postgresql(cursor, round_.pk, now, rows, snapshots)
        return _insert_rows(cursor, round_.pk, now, rows, snapshots)


def _insert_rows(cursor, round_id: int, now: Any, rows: list, snapshots: list) -> int:
    """One `INSERT … ON CONFLICT DO NOTHING` per row through executemany, 5,000 rows a call (SQLite)."""
    table = connection.ops.quote_name(Invitation._meta.db_table)
    if connection.vendor == "sqlite":
        # Index pages for 100,000 new rows outgrow SQLite's default 2 MB page cache; spilling them to disk
        # mid-transaction costs more than the inserts. 64 MB for this connection. executemany is a C loop here.
        cursor.execute("PRAGMA cache_size = -65536")
    sql = f"INSERT INTO {table} {_COLUMNS} VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING"
    new = Invitation.Status.NEW.value
    created = 0
    for start in range(0, len(rows), 5000):
        batch = [
            (company_id, item_id, round_id, *snapshots[number], new, now)
            for item_id, company_id, number in rows[start : start + 5000]
        ]
        cursor.executemany(sql, batch)
        created += cursor.rowcount if cursor.rowcount is not None and cursor.rowcount >= 0 else len(batch)
    return created


def _insert_postgresql(cursor, round_id: int, now: Any, rows: list, snapshots: list) -> int:
    """COPY the new rows, three integers each, into a temporary table; then one INSERT … SELECT joins each to
    its snapshot (amount and JSON sent once per distinct snapshot, as arrays).

    The INSERT runs without ON CONFLICT: `existing` already left out what the round had, and a speculative
    insertion per row (check, insert, confirm) costs more than the insert itself. Should a concurrent run have
    created some of these rows meanwhile, the unique constraint refuses the statement, which is rolled back to
    its savepoint and run again with ON CONFLICT DO NOTHING: the result is the same either way."""
    table = connection.ops.quote_name(Invitation._meta.db_table)
    cursor.execute(
        "CREATE TEMPORARY TABLE policies_invitation_load (item_id integer, company_id integer, snapshot_no integer) "
        "ON COMMIT DROP"
    )
    with cursor.cursor.copy("COPY policies_invitation_load (item_id, company_id, snapshot_no) FROM STDIN") as copy:
        for start in range(0, len(rows), 50_000):
            copy.write(
                "".join(f"{item}\t{company}\t{number}\n" for item, company, number in rows[start : start + 50_000])
            )
    sql = (
        f"INSERT INTO {table} {_COLUMNS} "
        "SELECT fresh.company_id, fresh.item_id, %s, snapshots.estimated_amount, snapshots.snapshot, %s, %s "
        "FROM policies_invitation_load AS fresh "
        "JOIN unnest(%s::integer[], %s::numeric[], %s::jsonb[]) "
        "AS snapshots (snapshot_no, estimated_amount, snapshot) USING (snapshot_no)"
    )
    params = (
        round_id,
        Invitation.Status.NEW.value,
        now,
        list(range(len(snapshots))),
        [amount for amount, _ in snapshots],
        [text for _, text in snapshots],
    )
    try:
        with transaction.atomic():
            cursor.execute(sql, params)
    except IntegrityError as error:
        if getattr(error.__cause__, "sqlstate", None) != "23505":  # unique_violation; anything else is real
            raise
        cursor.execute(f"{sql} ON CONFLICT DO NOTHING", params)
    created = cursor.rowcount
    cursor.execute("DROP TABLE policies_invitation_load")  # also inside an outer transaction (tests)
    return created


def notify_new_invitations(round_: Round, stamp: dt.datetime) -> int:
    """Tell the confirmed members of each company invited by this run (the invitations stamped ``stamp``: an
    invitation a concurrent run or an earlier one made has another stamp, so none is announced twice). It starts
    from the confirmed members (a registry of 100,000 companies has few) and reads only their companies' new
    invitations; the entries go in by bulk insert (invest.notify.notify_many), in the transaction of the insert."""
    from companies.models import Membership
    from invest.money import yuan
    from invest.notify import Notice, notify_many

    members: defaultdict[int, list[tuple[int, str]]] = defaultdict(list)
    for company_id, user_id, email in (
        Membership.objects.filter(status=Membership.Status.CONFIRMED, user__is_active=True)
        .order_by("company_id", "user_id")
        .values_list("company_id", "user_id", "user__email")
    ):
        members[company_id].append((user_id, email))
    if not members:
        return 0
    url = reverse("policies:invitations")
    subject = _("政策推送：%(item)s")
    amount_text = _("预计可获扶持 %(amount)s 元。")
    body = _(
        "根据企业登记信息，%(company)s 符合“%(code)s %(item)s”（%(round)s）的申报条件。%(amount)s"
        "请登录后在“我的政策推送”中查看，并按页面提示确认申报。"
    )

    def new_invitations():
        companies = sorted(members)
        for at in range(0, len(companies), 500):
            yield from (
                Invitation.objects.filter(round=round_, created_at=stamp, company_id__in=companies[at : at + 500])
                .order_by("pk")
                .values_list("company_id", "company__name", "item__code", "item__name", "estimated_amount")
            )

    notices = (
        Notice(
            recipient_id=user_id,
            subject=subject % {"item": item_name},
            body=body
            % {
                "company": company,
                "code": code,
                "item": item_name,
                "round": round_.name,
                "amount": amount_text % {"amount": yuan(amount)} if amount is not None else "",
            },
            url=url,
            has_email=bool(email),
        )
        for company_id, company, code, item_name, amount in new_invitations()
        for user_id, email in members[company_id]
    )
    return notify_many(notices, event="invitation.new")


def match_policies(round_: Round, *, on: dt.date | None = None, actor=None) -> dict[str, Any]:
    """Record an invitation for every eligible (company, item) of the round, never twice: existing invitations are
    skipped and the database's unique constraint is the last word. Returns the summary the command prints."""
    started = time.perf_counter()
    on = on or timezone.localdate()
    items = matchable_items(round_)
    registry = Registry()
    loaded = time.perf_counter()
    results = fast_match(registry, items, on)
    matched = time.perf_counter()
    by_code = {item.code: item for item in items}
    existing = _existing_invitations(round_)
    stamp = timezone.now()
    with transaction.atomic():
        created = _insert_invitations(round_, results, by_code, existing, on, stamp)
        notified = notify_new_invitations(round_, stamp) if created else 0
    summary = {
        "round": round_.name,
        "round_id": round_.pk,
        "items": [item.code for item in items],
        "companies": len(registry),
        "eligible": len(results),
        "created": created,
        "already_invited": len(results) - created,
        "notified": notified,
        "seconds": round(time.perf_counter() - started, 3),
        "seconds_load": round(loaded - started, 3),
        "seconds_match": round(matched - loaded, 3),
        "seconds_write": round(time.perf_counter() - matched, 3),
    }
    audit(actor, "policies.matched", round_, after=summary)
    return summary
