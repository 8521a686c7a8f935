"""Concurrency on PostgreSQL, beyond what the workflow and documents tests already show.

Already covered elsewhere (not repeated here): two clerks on one case and 20 approvals against one budget
(tests/applications/test_concurrency.py), 50 documents issued directly through issue_document
(tests/documents/test_concurrency.py). Added here: 50 approvals at once through the workflow — the round
budget holds — and the approved cases' notices concluding at once — the approval decisions they issue (on
entering 已批准, DOMAIN.md) get distinct, consecutive numbers — and a bulk company import running while
reviewers move those companies' cases.

Threads use their own connections and close them; every join has a timeout, so a lock-up fails the test
instead of hanging it (no wall-clock assertions).
"""

from __future__ import annotations

import threading
import time
import traceback
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection, connections

from applications.documents.models import Document
from applications.models import Application
from applications.services import TransitionRefused, perform
from applications.signals import case_transitioned
from companies.io.importer import import_rows
from companies.models import Company
from tests.factories.applications import ApplicationFactory, CaseItemFactory, CaseRoundFactory
from tests.factories.companies import CompanyFactory, UserFactory, next_credit_code

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

JOIN_TIMEOUT = 300


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("row-lock concurrency needs PostgreSQL (SQLite serialises writers)")


def run_in_threads(jobs, *, barrier=True):
    """Run each callable in its own thread and connection, released together; return outcome per job."""
    gate = threading.Barrier(len(jobs)) if barrier else None
    outcomes = [None] * len(jobs)
    errors: list[str] = []

    def worker(i, job):
        try:
            if gate:
                gate.wait(timeout=60)
            job()
            outcomes[i] = "ok"
        except TransitionRefused as exc:
            outcomes[i] = exc.code
        except Exception as exc:  # noqa: BLE001 - the outcome shows it
            outcomes[i] = f"error: {exc!r}"
            errors.append(traceback.format_exc())
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i, job), daemon=True) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=JOIN_TIMEOUT)
    stuck = [i for i, t in enumerate(threads) if t.is_alive()]
    assert not stuck, f"threads still running after {JOIN_TIMEOUT} s (lock-up?): {stuck}"
    assert not errors, "\n".join(errors)
    return outcomes


@pytest.fixture(autouse=True)
def _fsm_refresh_serialised():
    """Work around django-fsm-2's thread-unsafe refresh_from_db (see test_thread_safety.py, a strict xfail)
    so these tests measure the locks of our own code rather than trip over that bug."""
    import django_fsm

    lock = threading.Lock()
    original = django_fsm.FSMModelMixin.refresh_from_db

    def serialised(self, *args, **kwargs):
        with lock:
            return original(self, *args, **kwargs)

    django_fsm.FSMModelMixin.refresh_from_db = serialised
    yield
    django_fsm.FSMModelMixin.refresh_from_db = original


@pytest.fixture
def overlapping_transitions():
    """Hold each transition's transaction open briefly after its checks so simultaneous ones truly overlap."""

    def slow_down(sender, **kwargs):
        time.sleep(0.05)

    case_transitioned.connect(slow_down, weak=False)
    yield
    case_transitioned.disconnect(slow_down)


def test_fifty_simultaneous_approvals_stay_within_the_budget_and_number_their_decisions_consecutively(
    overlapping_transitions,
):
    rnd = CaseRoundFactory(budget=Decimal("2500000.00"))
    item = CaseItemFactory(policy=rnd.policy)
    cases = [
        ApplicationFactory(
            pending_decision=True, item=item, round=rnd, company=CompanyFactory(), reviewed_amount=Decimal("100000.00")
        )
        for _ in range(50)
    ]
    approver = UserFactory(roles=["approver"])
    before = set(Document.objects.values_list("pk", flat=True))

    def approve(pk):
        return lambda: perform(Application.objects.get(pk=pk), "approve", approver, amount="100000")

    outcomes = run_in_threads([approve(app.pk) for app in cases])

    assert outcomes.count("ok") == 25, outcomes
    assert outcomes.count("over_budget") == 25, outcomes
    approved = Application.objects.filter(round=rnd, approved_amount__isnull=False)
    assert approved.count() == 25
    assert sum(a.approved_amount for a in approved) == rnd.budget
    assert not Document.objects.exclude(pk__in=before).filter(kind="approval_decision").exists()

    # The notices end; the approval decisions are issued as the cases enter 已批准, all at once.
    after_notice = max(a.due_date for a in approved) + timedelta(days=1)

    def conclude(pk):
        return lambda: perform(Application.objects.get(pk=pk), "conclude_notice", None, on=after_notice)

    outcomes = run_in_threads([conclude(app.pk) for app in approved])
    assert outcomes == ["ok"] * 25, outcomes
    decisions = Document.objects.exclude(pk__in=before).filter(kind="approval_decision")
    assert decisions.count() == 25
    sequences = sorted(decisions.values_list("sequence", flat=True))
    assert sequences == list(range(sequences[0], sequences[0] + 25)), sequences
    assert len(set(decisions.values_list("number", flat=True))) == 25


def test_company_import_while_reviewers_work_loses_nothing_and_does_not_lock_up(overlapping_transitions):
    companies = [CompanyFactory() for _ in range(20)]
    accepted = [ApplicationFactory(accepted=True, company=c) for c in companies]
    submitted = [ApplicationFactory(submitted=True, company=c) for c in companies]
    reviewer, clerk = UserFactory(roles=["reviewer"]), UserFactory(roles=["clerk"])
    manager = UserFactory(roles=["manager"])

    headers = ["credit_code", "name", "legal_representative", "registered_capital", "paid_in_capital"]
    # The companies with cases are updated by the import (new capital), the rest are new companies.
    rows = [[c.credit_code, c.name, "新法人", "9000000", "9000000"] for c in companies]
    new_codes = [next_credit_code() for _ in range(3000)]
    rows += [[code, f"重庆并发导入影视有限公司{i}", "李导入", "1000000", "1000000"] for i, code in enumerate(new_codes)]
    reports = []

    def do_import():
        reports.append(import_rows(headers, rows, actor=manager, file_name="并发导入.csv"))

    jobs = [do_import]
    jobs += [lambda pk=a.pk: perform(Application.objects.get(pk=pk), "start_review", reviewer) for a in accepted]
    jobs += [lambda pk=a.pk: perform(Application.objects.get(pk=pk), "accept", clerk) for a in submitted]

    outcomes = run_in_threads(jobs)

    assert outcomes == ["ok"] * len(jobs), outcomes
    report = reports[0]
    assert report.applied and report.new == 3000 and report.updated == 20, report.counts()
    assert Company.objects.filter(credit_code__in=new_codes).count() == 3000
    assert set(
        Company.objects.filter(pk__in=[c.pk for c in companies]).values_list("legal_representative", flat=True)
    ) == {"新法人"}
    assert Application.objects.filter(pk__in=[a.pk for a in accepted], state="preliminary_review").count() == 20
    assert Application.objects.filter(pk__in=[a.pk for a in submitted], state="accepted").count() == 20
    notices = Document.objects.filter(application__in=[a.pk for a in submitted], kind="acceptance_notice")
    assert notices.count() == 20
