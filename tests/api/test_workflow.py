"""One case from draft to archive over the API alone: every step a person takes is an HTTP call. The only
step that is not is the daily deadline job (tick_deadlines), which ends the public notice; no person takes
that step in the portal either."""

from __future__ import annotations

import pytest

from applications import services

from .conftest import JJ_FILM_01_FACTS, client_for, pdf_file

pytestmark = pytest.mark.django_db


def keys(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return [row["key"] for row in response.json()["results"]]


def test_one_case_through_the_whole_workflow(
    applicant_api, company, open_round, staff, experts, clock, django_capture_on_commit_callbacks
):
    # The applicant creates a draft, sees what is missing, uploads the materials and accepts the pledge.
    created = applicant_api.post(
        "/api/v1/applications/",
        {"company": company.credit_code, "item": "JJ-FILM-01", "project_title": "电影《江津往事》", "facts": {}},
        format="json",
    )
    assert created.status_code == 201, created.json()
    case = created.json()
    url = f"/api/v1/applications/{case['id']}"
    assert case["state"] == "draft" and case["round"] == open_round.pk
    assert "business_licence" in case["missing_materials"]

    updated = applicant_api.patch(f"{url}/", {"facts": JJ_FILM_01_FACTS}, format="json")
    assert updated.json()["facts"]["local_spend"] == "1200000"

    refused = applicant_api.post(f"{url}/transitions/submit/", {}, format="json")
    assert refused.status_code == 403
    assert refused.json()["code"] == "missing_material"
    assert "营业执照" in refused.json()["detail"]

    for key in case["missing_materials"]:
        uploaded = applicant_api.post(
            f"{url}/materials/", {"key": key, "file": pdf_file(f"{key}.pdf", key.encode())}, format="multipart"
        )
        assert uploaded.status_code == 201, uploaded.json()
    assert applicant_api.get(f"{url}/").json()["missing_materials"] == []
    applicant_api.patch(f"{url}/", {"integrity_pledge": True}, format="json")
    assert keys(applicant_api.get(f"{url}/transitions/")) == ["submit", "withdraw"]

    with django_capture_on_commit_callbacks(execute=True):
        submitted = applicant_api.post(f"{url}/transitions/submit/", {"expected_state": "draft"}, format="json")
    assert submitted.status_code == 200, submitted.json()
    assert submitted.json()["state"] == "submitted"
    assert submitted.json()["computed_amount"] == "180000.00"  # 15 % of 1,200,000 after 30+ days

    # The clerk accepts.
    clerk = staff["clerk"]
    assert keys(clerk.get(f"{url}/transitions/")) == ["accept", "request_correction", "not_accept"]
    assert clerk.post(f"{url}/transitions/accept/", {}, format="json").json()["state"] == "accepted"

    # The reviewer reviews, reduces the amount with a reason, and sends the case to two experts.
    reviewer = staff["reviewer"]
    assert reviewer.post(f"{url}/transitions/start_review/", {}, format="json").json()["state"] == "preliminary_review"
    listed = reviewer.get("/api/v1/experts/").json()
    assert {e["username"] for e in listed["results"]} == {e.username for e in experts}
    assigned = reviewer.post(f"{url}/experts/", {"experts": [e.pk for e in experts]}, format="json")
    assert assigned.status_code == 200, assigned.json()
    to_experts = reviewer.post(
        f"{url}/transitions/send_to_experts/",
        {"amount": "170000", "comment": "部分发票不属于江津供应商"},
        format="json",
    )
    assert to_experts.json()["state"] == "expert_review"
    assert to_experts.json()["reviewed_amount"] == "170000.00"

    # Each expert gives an opinion; after the last one the case moves on by itself.
    first, second = (client_for(e) for e in experts)
    for expert in (first, second):  # each declares no conflict of interest before the case opens
        assert expert.post(f"{url}/declaration/", {"conflict": False}, format="json").status_code == 200
    rubric = applicant_api.get(f"/api/v1/items/{case['item']}/").json()["rubric"]  # the item's scoring rubric
    scores = {str(c["id"]): c["maximum"] for c in rubric}
    opinion = {"opinion": "support", "scores": scores}
    assert first.post(f"{url}/opinion/", opinion, format="json").json()["state"] == "expert_review"
    last = second.post(f"{url}/opinion/", {**opinion, "comment": "同意"}, format="json")
    assert last.json()["state"] == "pending_decision"

    # The approver approves: the case goes into public notice.
    approver = staff["approver"]
    assert keys(approver.get(f"{url}/transitions/")) == ["approve", "reject"]
    approved = approver.post(f"{url}/transitions/approve/", {"amount": "170000.00"}, format="json")
    assert approved.json()["state"] == "public_notice"
    assert approved.json()["approved_amount"] == "170000.00"

    # The notice period passes without objection: the daily job concludes it.
    clock.set(approved_due(approved.json()))
    clock.advance_working_days(1)
    assert services.tick_deadlines().concluded == 1
    assert applicant_api.get(f"{url}/").json()["state"] == "approved"

    # Finance pays in two parts, the last one closes the case; the manager archives it.
    finance = staff["finance"]
    assert keys(finance.get(f"{url}/transitions/")) == ["disburse"]
    part = finance.post(
        f"{url}/transitions/disburse/",
        {"amount": "70000", "paid_on": str(clock.today), "voucher_number": "PZ-2026-001"},
        format="json",
    )
    assert part.json()["state"] == "approved" and part.json()["disbursed_amount"] == "70000.00"
    paid = finance.post(
        f"{url}/transitions/disburse/",
        {"amount": "100000", "paid_on": str(clock.today), "voucher_number": "PZ-2026-002"},
        format="json",
    )
    assert paid.json()["state"] == "disbursed" and paid.json()["disbursed_amount"] == "170000.00"
    assert staff["manager"].post(f"{url}/transitions/archive/", {}, format="json").json()["state"] == "archived"

    # The documents the case produced, each verifiable by anyone from its printed code.
    documents = applicant_api.get(f"{url}/documents/").json()["results"]
    kinds = [d["kind"] for d in documents]
    assert kinds[:2] == ["acceptance_notice", "approval_decision"]
    assert set(kinds[2:]) == {"disbursement_notice"}
    decision = documents[1]
    verified = client_for(None).get(f"/api/v1/verify/{decision['verification_code']}").json()
    assert verified["number"] == decision["number"] and verified["valid"] is True

    # The timeline tells the story; the applicant does not see the expert review's internals.
    timeline = applicant_api.get(f"{url}/timeline/", {"page_size": 100}).json()["results"]
    steps = [row["action"] for row in timeline if row["from_state"]]
    assert steps == [
        "submit",
        "accept",
        "start_review",
        "send_to_experts",
        "complete_expert_review",
        "approve",
        "conclude_notice",
        "disburse",
        "disburse",
        "archive",
    ]
    assert not {"assign_expert", "expert_opinion"} & {row["action"] for row in timeline}
    staff_view = reviewer.get(f"{url}/timeline/", {"page_size": 100}).json()["results"]
    assert {"assign_expert", "expert_opinion"} <= {row["action"] for row in staff_view}
    # An expert reads the office's timeline, as on the staff case page (applications.visibility).
    assert first.get(f"{url}/timeline/", {"page_size": 100}).json()["results"] == staff_view
    reduce = next(row for row in staff_view if row["action"] == "send_to_experts")
    assert reduce["role"] == "reviewer" and reduce["comment"] == "部分发票不属于江津供应商"


def approved_due(case: dict):
    from datetime import date

    return date.fromisoformat(case["due_date"])
