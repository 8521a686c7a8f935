"""Proactive matching: who is invited, never twice, and the fast matcher agreeing with the straightforward loop."""

import datetime as dt
import itertools
import json
import random
from decimal import Decimal
from io import StringIO

import pytest
import rule_engine
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from companies.models import BusinessStatus
from policies.expressions import compile_rule
from policies.fastrules import Mismatch, compile_closure
from policies.matching import Registry, fast_match, match_policies, matchable_items, reference_match
from policies.models import Invitation, SupportItem
from tests.factories.companies import CompanyFactory
from tests.factories.policies import InvitationFactory


def invited(company):
    return set(Invitation.objects.filter(company=company).values_list("item__code", flat=True))


def test_only_items_judged_from_registry_facts_alone_are_matched(seeded_round):
    assert [item.code for item in matchable_items(seeded_round)] == ["JJ-FILM-02", "JJ-FILM-09"]


def test_eligible_companies_are_invited_with_an_estimate(seeded_round):
    rich = CompanyFactory(paid_in_capital=Decimal("12000000"))
    small = CompanyFactory(paid_in_capital=Decimal("999999.99"))
    outside = CompanyFactory(outside_jiangjin=True, paid_in_capital=Decimal("12000000"))
    banned = CompanyFactory(banned=True, paid_in_capital=Decimal("12000000"))
    unknown_capital = CompanyFactory(paid_in_capital=None)
    gone = CompanyFactory(business_status=BusinessStatus.DEREGISTERED)

    summary = match_policies(seeded_round)

    assert invited(rich) == {"JJ-FILM-02", "JJ-FILM-09"}
    assert invited(small) == {"JJ-FILM-09"}
    assert invited(unknown_capital) == {"JJ-FILM-09"}
    assert invited(outside) == invited(banned) == invited(gone) == set()
    invitation = Invitation.objects.get(company=rich, item__code="JJ-FILM-02")
    assert invitation.estimated_amount == Decimal("300000.00")
    assert invitation.round == seeded_round
    assert Invitation.objects.get(company=rich, item__code="JJ-FILM-09").estimated_amount is None  # needs interest paid
    assert summary["created"] == 4 and summary["eligible"] == 4


def test_a_match_where_no_amount_can_be_estimated_still_invites(seeded_round):
    """Every new invitation without an estimate (JJ-FILM-09 needs the interest paid): on PostgreSQL the snapshot
    amounts then travel as an array of nulls only."""
    companies = [CompanyFactory(paid_in_capital=Decimal("10")), CompanyFactory(paid_in_capital=None)]
    assert match_policies(seeded_round)["created"] == 2
    assert all(invited(company) == {"JJ-FILM-09"} for company in companies)
    assert list(Invitation.objects.values_list("estimated_amount", flat=True)) == [None, None]


def test_matching_twice_never_invites_twice(seeded_round):
    company = CompanyFactory(paid_in_capital=Decimal("2000000"))
    first = match_policies(seeded_round)
    invitation = Invitation.objects.get(company=company, item__code="JJ-FILM-02")
    invitation.status = Invitation.Status.STARTED
    invitation.save()
    second = match_policies(seeded_round)
    assert first["created"] == 2
    assert second["created"] == 0 and second["already_invited"] == 2
    assert Invitation.objects.filter(company=company).count() == 2
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.STARTED  # the company's progress is kept


def test_a_new_company_is_invited_on_the_next_run(seeded_round):
    CompanyFactory(paid_in_capital=Decimal("2000000"))
    match_policies(seeded_round)
    newcomer = CompanyFactory(paid_in_capital=Decimal("2000000"))
    assert match_policies(seeded_round)["created"] == 2
    assert invited(newcomer) == {"JJ-FILM-02", "JJ-FILM-09"}


def test_match_policies_command_prints_a_json_summary(seeded_round):
    CompanyFactory(paid_in_capital=Decimal("2000000"))
    out = StringIO()
    call_command("match_policies", "--round", seeded_round.name, stdout=out)
    summary = json.loads(out.getvalue())
    assert summary["created"] == 2 and summary["companies"] == 1
    assert isinstance(summary["seconds"], float)
    out = StringIO()
    call_command("match_policies", stdout=out)  # the open round by default
    assert json.loads(out.getvalue())["created"] == 0


def test_match_policies_refuses_an_unknown_round(seeded_round):
    with pytest.raises(CommandError, match="没有找到批次"):
        call_command("match_policies", "--round", "2099年度")


def _varied_companies(n: int, seed: int = 7):
    rnd = random.Random(seed)
    today = timezone.localdate()
    districts = ["江津区", "江津区", "渝中区", "永川区"]
    capitals = [
        None,
        Decimal("0"),
        Decimal("999999.99"),
        Decimal("1000000"),
        Decimal("4999999.99"),
        Decimal("5000000"),
        Decimal("9999999.99"),
        Decimal("10000000"),
        Decimal("30000000.50"),
    ]
    for _ in range(n):
        registration = rnd.choice(districts)
        CompanyFactory(
            registration_district=registration,
            tax_district=registration if rnd.random() < 0.8 else rnd.choice(districts),
            paid_in_capital=rnd.choice(capitals),
            in_hq_park=rnd.random() < 0.3,
            banned_until=rnd.choice(
                [None, None, None, today, today - dt.timedelta(days=1), today + dt.timedelta(days=9)]
            ),
        )


def test_fast_matcher_gives_the_same_results_as_the_straightforward_loop(seeded_round):
    _varied_companies(120)
    on = timezone.localdate()
    items = matchable_items(seeded_round)
    registry = Registry()
    fast = fast_match(registry, items, on)
    reference = reference_match(registry.rows(), items, on)
    assert fast == reference
    assert len(reference) > 20  # the sample really has eligible and ineligible companies
    assert any(amount is not None for amount in reference.values())


def test_written_invitations_are_the_matchers_results_with_their_snapshot(seeded_round):
    _varied_companies(120)
    on = timezone.localdate()
    items = {item.code: item for item in matchable_items(seeded_round)}
    expected = reference_match(Registry().rows(), list(items.values()), on)

    summary = match_policies(seeded_round, on=on)

    rows = Invitation.objects.filter(round=seeded_round).values_list(
        "company_id", "item__code", "estimated_amount", "snapshot", "status"
    )
    assert {(company, code): amount for company, code, amount, _, _ in rows} == expected
    assert summary["created"] == len(rows) == len(expected) > 20
    assert len({amount for amount in expected.values()}) >= 3  # several snapshots: amount tiers and None
    for _company, code, amount, snapshot, status in rows:
        assert status == Invitation.Status.NEW
        assert snapshot == {
            "item": code,
            "rules_version": items[code].rules["rules_version"],
            "rules_sha256": items[code].rules_sha256,
            "estimated_amount": None if amount is None else f"{amount:.2f}",
            "matched_on": on.isoformat(),
        }


def test_an_invitation_created_during_the_match_is_kept_and_not_duplicated(seeded_round, monkeypatch):
    """Another run (or a manager in the admin) inserts an invitation after this run read the round's existing
    ones: the unique constraint has the last word, the row is skipped and stays as it was."""
    companies = [CompanyFactory(paid_in_capital=Decimal("2000000")) for _ in range(3)]
    item = SupportItem.objects.get(code="JJ-FILM-02")
    meanwhile = InvitationFactory(
        company=companies[1],
        item=item,
        round=seeded_round,
        estimated_amount=Decimal("1.00"),
        snapshot={"by": "the other run"},
        status=Invitation.Status.STARTED,
    )
    monkeypatch.setattr("policies.matching._existing_invitations", lambda round_: set())

    with CaptureQueriesContext(connection) as queries:
        summary = match_policies(seeded_round)

    assert summary["eligible"] == 6 and summary["created"] == 5 and summary["already_invited"] == 1
    assert Invitation.objects.filter(round=seeded_round).count() == 6
    assert all(invited(company) == {"JJ-FILM-02", "JJ-FILM-09"} for company in companies)
    meanwhile.refresh_from_db()
    assert (meanwhile.estimated_amount, meanwhile.snapshot, meanwhile.status) == (
        Decimal("1.00"),
        {"by": "the other run"},
        Invitation.Status.STARTED,
    )
    if connection.vendor == "postgresql":  # the plain INSERT was refused, then run again skipping conflicts
        inserts = [
            q["sql"] for q in queries.captured_queries if q["sql"].startswith('INSERT INTO "policies_invitation"')
        ]
        assert len(inserts) == 2 and "ON CONFLICT" not in inserts[0] and inserts[1].endswith("ON CONFLICT DO NOTHING")


@pytest.mark.postgres
def test_postgresql_writes_a_fresh_round_with_one_plain_insert(seeded_round):
    """The fast path: COPY into a temporary table, one INSERT … SELECT without a speculative insertion per row."""
    _varied_companies(40)
    with CaptureQueriesContext(connection) as queries:
        summary = match_policies(seeded_round)
    inserts = [q["sql"] for q in queries.captured_queries if q["sql"].startswith('INSERT INTO "policies_invitation"')]
    assert len(inserts) == 1 and "ON CONFLICT" not in inserts[0]
    assert summary["created"] == Invitation.objects.filter(round=seeded_round).count() > 0


def test_registry_rows_equal_what_the_orm_returns(seeded_round):
    _varied_companies(30)
    from companies.models import Company
    from policies.matching import REGISTRY_FIELDS

    expected = list(Company.objects.order_by("pk").values_list("pk", *REGISTRY_FIELDS))
    assert Registry().rows() == expected


EXPRESSIONS = [
    "paid_in_capital >= 1000000",
    'registration_district == "江津区" and tax_district != "江津区"',
    "not in_hq_park or paid_in_capital < 5000000",
    "paid_in_capital >= 10000000 ? 300000 : (paid_in_capital >= 5000000 ? 150000 : 50000)",
    "paid_in_capital * 0.15 + 1",
    "paid_in_capital / 3",
    "-paid_in_capital",
    'registration_district in ["江津区", "永川区"]',
    '"江" in registration_district',
    "banned_until == null",
    'registration_district + "x" == "江津区x"',
    "paid_in_capital - 1 > 0",
    "paid_in_capital % 7 == 0",
    "paid_in_capital // 7 >= 1",
]


@pytest.mark.parametrize("text", EXPRESSIONS)
def test_closures_follow_rule_engine_semantics(text):
    rule = compile_rule(text)
    closure = compile_closure(rule)
    assert closure is not None
    values = {
        "registration_district": ["江津区", "渝中区", "永川区"],
        "tax_district": ["江津区", "渝中区"],
        "paid_in_capital": [
            Decimal("0"),
            Decimal("999999.99"),
            Decimal("1000000"),
            Decimal("5000000"),
            Decimal("10000000"),
            Decimal("7"),
        ],
        "in_hq_park": [True, False],
        "banned_until": [None],
    }
    for combination in itertools.product(*values.values()):
        facts = dict(zip(values, combination, strict=True))
        try:
            expected = rule.evaluate(facts)
        except rule_engine.EngineError:
            expected = Mismatch
        try:
            got = closure(facts)
        except Mismatch:
            got = Mismatch
        assert got == expected and type(got) is type(expected), (text, facts)
