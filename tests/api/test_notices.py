"""The public-notice list and named objections over the API: anyone reads the list and may object; the
approver decides through the case's transitions."""

from __future__ import annotations

import pytest

from applications import services
from applications.models import Application
from tests.factories.companies import UserFactory

from .conftest import submitted_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def on_notice(applicant_api, company, open_round, staff) -> Application:
    """A case approved into public notice (set up through the services; the API path is test_workflow's)."""
    case = Application.objects.get(pk=submitted_case(applicant_api, company)["id"])
    services.perform(case, "accept", staff["clerk"].user)
    services.perform(case, "start_review", staff["reviewer"].user)
    expert = UserFactory(roles=["expert"])
    services.assign_experts([case], [expert], staff["reviewer"].user)
    services.declare_interest(case, expert, conflict=False)
    services.perform(case, "send_to_experts", staff["reviewer"].user)
    services.give_opinion(case, expert, opinion="support", scores={c.pk: 9 for c in case.item.rubric.all()})
    services.perform(case, "approve", staff["approver"].user, amount=case.reviewed_amount)
    case.refresh_from_db()
    assert case.state == "public_notice"
    return case


def test_anyone_reads_the_public_notice_list(api, on_notice, company):
    response = api.get("/api/v1/notices/")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [r["case_number"] for r in rows] == [on_notice.case_number]
    assert rows[0]["company_name"] == company.name and rows[0]["approved_amount"] == "180000.00"
    assert rows[0]["notice_ends_on"]


def test_drafts_are_not_on_the_notice_list(api, applicant_api, company, open_round):
    submitted_case(applicant_api, company)
    assert api.get("/api/v1/notices/").json()["count"] == 0


def test_a_named_objection_holds_the_case_until_the_approver_decides(api, on_notice, staff):
    response = api.post(
        f"/api/v1/notices/{on_notice.pk}/objections/",
        {"name": "李某", "contact": "13800000000", "content": "该片拍摄地不在江津。"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["status"] == "open"
    url = f"/api/v1/applications/{on_notice.pk}"
    assert staff["approver"].get(f"{url}/").json()["state"] == "objection_review"
    offered = [t["key"] for t in staff["approver"].get(f"{url}/transitions/").json()["results"]]
    assert offered == ["uphold_objection", "dismiss_objection"]
    dismissed = staff["approver"].post(
        f"{url}/transitions/dismiss_objection/", {"comment": "经核查，拍摄地在江津。"}, format="json"
    )
    assert dismissed.json()["state"] == "public_notice"


def test_an_objection_must_be_named(api, on_notice):
    response = api.post(f"/api/v1/notices/{on_notice.pk}/objections/", {"content": "匿名举报"}, format="json")
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"name", "contact"}


def test_no_objection_to_a_case_that_is_not_on_notice(api, applicant_api, company, open_round):
    case = submitted_case(applicant_api, company)
    response = api.post(
        f"/api/v1/notices/{case['id']}/objections/", {"name": "李某", "contact": "1", "content": "x"}, format="json"
    )
    assert response.status_code == 404
