"""Two officers at once (PostgreSQL only: SQLite serialises writers, so it proves nothing there): one decision
per report and per clawback proposal, the other refused with a reason."""

from __future__ import annotations

import pytest
from django.db import connection

from applications.obligations import services
from applications.obligations.models import ClawbackProposal, ObligationReport
from applications.services import TransitionRefused
from tests.concurrency import run_simultaneously
from tests.factories.companies import UserFactory

from .conftest import pdf

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _calendar(transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip("row-lock concurrency needs PostgreSQL")
    from django.core.management import call_command

    call_command("seed_calendar", verbosity=0)


def test_two_officers_decide_one_report_once(world):
    app, owner = world.approved(
        "JJ-FILM-01", {"has_filing": True, "shooting_days_in_jiangjin": "20", "local_spend": "800000"}
    )
    proof = app.obligations.get()
    report = services.submit_report(proof, owner, uploaded_file=pdf())
    other = UserFactory(username="reviewer-2", roles=["reviewer"])
    outcomes = run_simultaneously(
        [
            lambda: services.review_report(report, world.staff["reviewer"], accept=True),
            lambda: services.review_report(report, other, accept=False, reason="请补充盖章页"),
        ],
        refused=(TransitionRefused,),
    )
    assert sorted(outcomes) == ["ok", "wrong_status"]
    report.refresh_from_db()
    assert report.status in (ObligationReport.Status.ACCEPTED, ObligationReport.Status.RETURNED)


def test_two_approvers_decide_one_proposal_once(world):
    app, _owner = world.approved("JJ-FILM-02")
    company = app.company
    company.tax_district = "渝北区"
    company.save()
    proposal = ClawbackProposal.objects.get(application=app)
    other = UserFactory(username="approver-2", roles=["approver"])
    outcomes = run_simultaneously(
        [
            lambda: services.forward_proposal(proposal, world.staff["approver"]),
            lambda: services.dismiss_proposal(proposal, other, reason="已说明情况"),
        ],
        refused=(TransitionRefused,),
    )
    assert sorted(outcomes) == ["ok", "wrong_status"]
