"""The public policy endpoints and the calculator, which must answer exactly as `evaluate_item` does."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command

from policies.models import Policy, SupportItem
from tests.factories.companies import CompanyFactory

pytestmark = pytest.mark.django_db


def test_anyone_lists_published_policies_with_rounds(api, catalogue):
    Policy.objects.create(title="内部草稿", issuing_body="区委宣传部", effective_from="2026-01-01")
    body = api.get("/api/v1/policies/").json()
    assert body["count"] == 1
    policy = body["results"][0]
    assert policy["title"] == "江津区影视产业发展扶持办法（试行）"
    assert policy["rounds"][0]["budget"] == "20000000.00"
    assert "JJ-FILM-05" in policy["items"]
    assert api.get(f"/api/v1/policies/{catalogue.pk}/").json()["title"] == policy["title"]


def test_a_draft_policy_is_not_found(api, catalogue):
    draft = Policy.objects.create(title="内部草稿", issuing_body="区委宣传部", effective_from="2026-01-01")
    assert api.get(f"/api/v1/policies/{draft.pk}/").status_code == 404


def test_anyone_lists_items_and_reads_one_by_code(api, catalogue):
    body = api.get("/api/v1/items/", {"page_size": 50}).json()
    assert [i["code"] for i in body["results"]] == [f"JJ-FILM-0{n}" for n in range(1, 10)]
    item = api.get("/api/v1/items/JJ-FILM-01/").json()
    assert item["name"] == "剧组拍摄消费补贴"
    assert item["applicants"] == "anywhere"
    assert "在江津拍摄不少于15天" in item["criteria"]
    assert {m["key"] for m in item["materials"]} >= {"business_licence"}


def test_items_filter_by_policy(api, catalogue):
    assert api.get("/api/v1/items/", {"policy": catalogue.pk}).json()["count"] == 9
    assert api.get("/api/v1/items/", {"policy": catalogue.pk + 1}).json()["count"] == 0
    bad = api.get("/api/v1/items/", {"policy": "abc"})
    assert bad.status_code == 400 and "policy" in bad.json()["fields"]


def test_unknown_item_is_404(api, catalogue):
    assert api.get("/api/v1/items/JJ-NOPE-99/").status_code == 404


def test_listing_items_takes_the_same_queries_for_any_page_size(api, catalogue, django_assert_max_num_queries):
    # count, page, the criteria and the scoring rubrics (prefetched), whatever the page size
    with django_assert_max_num_queries(4):
        api.get("/api/v1/items/", {"page_size": 2})
    with django_assert_max_num_queries(4):
        api.get("/api/v1/items/", {"page_size": 9})


def evaluate_command(code: str, facts: dict, company: str | None = None) -> dict:
    out = StringIO()
    args = [code, "--facts", json.dumps(facts)]
    if company:
        args += ["--company", company]
    call_command("evaluate_item", *args, stdout=out)
    return json.loads(out.getvalue())


@pytest.mark.parametrize(
    ("code", "facts"),
    [
        ("JJ-FILM-01", {"has_filing": True, "shooting_days_in_jiangjin": 32, "local_spend": "8000000"}),
        ("JJ-FILM-01", {"has_filing": True, "shooting_days_in_jiangjin": 12, "local_spend": 600000}),
        ("JJ-FILM-05", {"first_producer": True, "box_office": 150000000, "registration_district": "江津区"}),
        ("JJ-FILM-07", {"first_producer": True, "award_level": "national", "registration_district": "渝中区"}),
    ],
)
def test_calculator_answers_exactly_as_the_evaluate_item_command(api, catalogue, code, facts):
    response = api.post("/api/v1/calculator/", {"item": code, "facts": facts}, format="json")
    assert response.status_code == 200
    assert response.json() == evaluate_command(code, facts)


def test_calculator_uses_the_registry_facts_of_the_callers_company(applicant_api, catalogue, company):
    company.paid_in_capital = 12_000_000
    company.save()
    response = applicant_api.post(
        "/api/v1/calculator/", {"item": "jj-film-02", "facts": {}, "company": company.credit_code}, format="json"
    )
    assert response.status_code == 200
    assert response.json() == evaluate_command("JJ-FILM-02", {}, company.credit_code)
    assert response.json()["eligible"] is True


def test_calculator_refuses_a_company_the_caller_does_not_belong_to(applicant_api, api, catalogue):
    stranger = CompanyFactory()
    for client in (applicant_api, api):
        response = client.post(
            "/api/v1/calculator/", {"item": "JJ-FILM-02", "company": stranger.credit_code}, format="json"
        )
        assert response.status_code == 404  # not yours or not there: the same answer
        assert response.json()["code"] == "not_found" and "您不属于该企业" in response.json()["detail"]


def test_calculator_names_the_bad_fact(api, catalogue):
    response = api.post("/api/v1/calculator/", {"item": "JJ-FILM-01", "facts": {"local_spend": "lots"}}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert list(body["fields"]) == ["facts"]
    assert "在江津消费金额" in body["fields"]["facts"][0]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"item": "JJ-FILM-01", "facts": [1, 2]},
        {
            "item": "JJ-FILM-01",
            "facts": {"local_spend": "1e999999", "has_filing": True, "shooting_days_in_jiangjin": 40},
        },
        {"item": "JJ-FILM-01", "facts": {"shooting_days_in_jiangjin": {"nested": True}}},
    ],
)
def test_calculator_bad_input_is_400_never_500(api, catalogue, body):
    response = api.post("/api/v1/calculator/", body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid"


def test_calculator_on_a_draft_policys_item_is_refused(api, catalogue):
    catalogue.status = Policy.Status.DRAFT
    catalogue.save()
    assert SupportItem.objects.filter(code="JJ-FILM-01").exists()
    response = api.post("/api/v1/calculator/", {"item": "JJ-FILM-01"}, format="json")
    assert response.status_code == 404


def test_calculator_on_an_item_that_does_not_exist_is_404_naming_it(api, catalogue):
    response = api.post("/api/v1/calculator/", {"item": "JJ-NOPE-01"}, format="json")
    assert response.status_code == 404 and "JJ-NOPE-01" in response.json()["detail"]


def test_an_id_beyond_the_database_range_is_400_not_500(api, catalogue):
    """Found by the fuzz run: SQLite cannot bind an integer above 2**63 - 1."""
    response = api.get("/api/v1/items/", {"policy": "156305362117409291680874496"})
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["policy"]
