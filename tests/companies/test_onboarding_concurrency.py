"""Onboarding decisions under real concurrency (PostgreSQL only: SQLite serialises writers).

Two managers confirming one registration at once make one company, not two (nor an IntegrityError); the
first member and the office deciding one membership request at once give one decision.
"""

from __future__ import annotations

import time

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from companies import services
from companies.models import Company, Membership
from invest.roles import ensure_groups, has_role
from tests.companies.test_onboarding import CODE, company_data, licence_pdf
from tests.concurrency import run_simultaneously as run_together
from tests.factories.companies import UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("row-lock concurrency needs PostgreSQL")


@pytest.fixture(autouse=True)
def _setup(immediate_tasks, monkeypatch):
    ensure_groups()
    # Keep each decision's transaction open a little after its checks, so simultaneous ones truly overlap.
    original = services.audit

    def slow_audit(*args, **kwargs):
        time.sleep(0.2)
        return original(*args, **kwargs)

    monkeypatch.setattr(services, "audit", slow_audit)


def run_simultaneously(*actions):
    return run_together(actions, refused=(ValidationError, PermissionDenied))


def test_two_managers_confirming_one_registration_make_one_company():
    requester = UserFactory()
    first, second = UserFactory(roles=["manager"]), UserFactory(roles=["manager"])
    data = {**company_data(), "credit_code": CODE}
    registration = services.register_company(requester, data, licence_pdf())
    outcomes = run_simultaneously(
        lambda: services.decide_registration(registration, first, confirm=True),
        lambda: services.decide_registration(registration, second, confirm=True),
    )
    assert sorted(outcomes) == ["already_decided", "ok"], outcomes
    assert Company.objects.filter(credit_code=CODE).count() == 1
    assert Membership.objects.filter(user=requester, status="confirmed").count() == 1
    assert has_role(requester.__class__.objects.get(pk=requester.pk), "applicant")


def test_first_member_and_office_deciding_one_request_give_one_decision():
    requester = UserFactory()
    manager = UserFactory(roles=["manager"])
    registration = services.register_company(requester, {**company_data(), "credit_code": CODE}, licence_pdf())
    services.decide_registration(registration, manager, confirm=True)
    colleague = UserFactory()
    request = services.request_membership(colleague, CODE)
    outcomes = run_simultaneously(
        lambda: services.decide_membership(request, requester, confirm=True),
        lambda: services.decide_membership(request, manager, confirm=False, reason="不是本企业员工"),
    )
    assert sorted(outcomes) == ["already_decided", "ok"], outcomes
    request.refresh_from_db()
    holds_role = has_role(colleague.__class__.objects.get(pk=colleague.pk), "applicant")
    assert holds_role == (request.status == "confirmed")
