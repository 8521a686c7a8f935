"""Row locks under real concurrency (PostgreSQL only: SQLite serialises writers, so it proves nothing there)."""

import time
from decimal import Decimal

import pytest
from django.db import connection

from applications.models import Application
from applications.services import TransitionRefused, perform
from applications.signals import case_transitioned
from tests.concurrency import run_simultaneously as run_together
from tests.factories.applications import ApplicationFactory, CaseItemFactory, CaseRoundFactory
from tests.factories.companies import UserFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("row-lock concurrency needs PostgreSQL")


@pytest.fixture(autouse=True)
def _holiday_calendar(_postgres_only, transactional_db):
    """Transactional tests start from a flushed database: put the migration-seeded calendar back.

    (serialized_rollback clashed with the content types that a previous transactional test's flush
    recreates, so the calendar is seeded here instead.)
    """
    from django.core.management import call_command

    call_command("seed_calendar", verbosity=0)


def run_simultaneously(actions):
    return run_together(actions, refused=(TransitionRefused,))


@pytest.fixture
def slow_transitions():
    """Keep each transition's transaction open a little after its checks, so simultaneous ones truly overlap
    (without the locks, every one of them would pass its checks before any committed)."""

    def slow_down(sender, **kwargs):
        time.sleep(0.2)

    case_transitioned.connect(slow_down, weak=False)
    yield
    case_transitioned.disconnect(slow_down)


def test_two_clerks_deciding_one_case_at_once_exactly_one_succeeds(slow_transitions):
    app = ApplicationFactory(submitted=True)
    clerks = [UserFactory(roles=["clerk"]), UserFactory(roles=["clerk"])]
    outcomes = run_simultaneously(
        [
            {
                "prepare": lambda: Application.objects.get(pk=app.pk),
                "run": lambda seen: perform(seen, "accept", clerks[0]),
            },
            {
                "prepare": lambda: Application.objects.get(pk=app.pk),
                "run": lambda seen: perform(seen, "not_accept", clerks[1], comment="材料不全"),
            },
        ]
    )
    assert sorted(outcomes) == ["changed_under_you", "ok"]
    app.refresh_from_db()
    assert app.state in ("accepted", "not_accepted")
    from invest.models import AuditEntry

    assert AuditEntry.objects.filter(target_type="applications.application", target_id=str(app.pk)).count() == 1


def test_twenty_simultaneous_approvals_never_exceed_the_round_budget(slow_transitions):
    rnd = CaseRoundFactory(budget=Decimal("1000000.00"))
    item = CaseItemFactory(policy=rnd.policy)
    cases = [
        ApplicationFactory(pending_decision=True, item=item, round=rnd, reviewed_amount=Decimal("100000.00"))
        for _ in range(20)
    ]
    approver = UserFactory(roles=["approver"])

    def approve(pk):
        return {
            "prepare": lambda: Application.objects.get(pk=pk),
            "run": lambda seen: perform(seen, "approve", approver, amount="100000"),
        }

    outcomes = run_simultaneously([approve(app.pk) for app in cases])
    assert outcomes.count("ok") == 10, outcomes
    assert outcomes.count("over_budget") == 10, outcomes
    approved = Application.objects.filter(round=rnd, state="public_notice")
    assert approved.count() == 10
    assert sum(a.approved_amount for a in approved) == Decimal("1000000.00")


def test_simultaneous_drafts_get_distinct_case_numbers():
    from applications import services
    from tests.factories.companies import CompanyFactory, MembershipFactory

    item = CaseItemFactory()
    rnd = CaseRoundFactory(policy=item.policy)
    members = [MembershipFactory(company=CompanyFactory()) for _ in range(8)]
    created = []

    def draft(membership):
        return {
            "prepare": lambda: membership,
            "run": lambda m: created.append(
                services.create_draft(m.user, company=m.company, item=item, round=rnd, project_title="片名").pk
            ),
        }

    outcomes = run_simultaneously([draft(m) for m in members])
    assert outcomes == ["ok"] * 8
    numbers = list(Application.objects.filter(pk__in=created).values_list("case_number", flat=True))
    assert len(set(numbers)) == 8
