"""The schema and the code agree (issue 14 item 8): what the schema forbids is a 400, what it allows is not."""

from __future__ import annotations

import re

import pytest
from drf_spectacular.generators import SchemaGenerator

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def query_param(schema, path, name):
    return next(p["schema"] for p in schema["paths"][path]["get"]["parameters"] if p["name"] == name)


def test_the_schema_states_the_limits_the_code_enforces(schema):
    assert query_param(schema, "/api/v1/companies/", "page_size") == {"type": "integer", "minimum": 1, "maximum": 100}
    assert query_param(schema, "/api/v1/items/", "policy")["minimum"] == 1
    assert query_param(schema, "/api/v1/applications/", "round")["minimum"] == 1
    assert re.fullmatch(query_param(schema, "/api/v1/applications/", "stage")["pattern"], "submitted,accepted")
    capital = schema["components"]["schemas"]["PatchedCompanyRequest"]["properties"]["registered_capital"]
    assert not re.search(capital["pattern"], "-6496.29") and re.search(capital["pattern"], "6496.29")
    token = schema["components"]["schemas"]["ObtainTokenRequest"]
    assert set(token["required"]) == {"username", "password"} and token["properties"]["username"]["minLength"] == 1
    for operation in schema["paths"]["/api/v1/companies/"].values():
        assert {"400", "414", "429", "503"} <= set(operation["responses"])


@pytest.mark.parametrize(
    "facts",
    [
        {"sublet": 0},  # boolean in the schema
        {"has_filing": "true"},
        {"established_on": "2026-01-01x"},
        {"award_level": 3},
        {"shooting_days_in_jiangjin": 32.5},  # a count: whole number
        {"shooting_days_in_jiangjin": "32"},  # a count is a JSON integer
        {"local_spend": "1,200,000"},
        {"local_spend": True},
    ],
)
def test_facts_of_the_wrong_json_type_are_400_naming_facts(api, catalogue, facts):
    response = api.post("/api/v1/calculator/", {"item": "JJ-FILM-01", "facts": facts}, format="json")
    assert response.status_code == 400, response.json()
    assert list(response.json()["fields"]) == ["facts"]


def test_facts_of_the_documented_types_are_accepted(api, catalogue):
    facts = {"has_filing": True, "shooting_days_in_jiangjin": 32, "local_spend": "1200000.50", "sublet": False}
    response = api.post("/api/v1/calculator/", {"item": "JJ-FILM-01", "facts": facts}, format="json")
    assert response.status_code == 200, response.json()


@pytest.mark.parametrize("policy", ["-346", "0", "", " 1"])
def test_an_id_parameter_outside_the_schema_is_400(api, catalogue, policy):
    response = api.get(f"/api/v1/items/?policy={policy}")
    assert response.status_code == 400 and list(response.json()["fields"]) == ["policy"]


@pytest.mark.parametrize(("stage", "status"), [("submitted,accepted", 200), ("submitted,", 400), ("", 400)])
def test_the_stage_filter_takes_exactly_the_documented_keys(applicant_api, stage, status):
    response = applicant_api.get(f"/api/v1/applications/?stage={stage}")
    assert response.status_code == status


@pytest.mark.parametrize("facts", [{"tax_district": {}}, {"registration_district": 5}])
def test_a_text_fact_of_another_type_is_400_not_500(api, catalogue, facts):
    """Found by schemathesis: the message table had no entry for text facts."""
    response = api.post("/api/v1/calculator/", {"item": "JJ-FILM-03", "facts": facts}, format="json")
    assert response.status_code == 400 and list(response.json()["fields"]) == ["facts"]


def test_a_choice_fact_may_be_null_as_the_schema_says(api, catalogue, schema):
    award = schema["components"]["schemas"]["CalculatorRequestRequest"]["properties"]["facts"]["properties"]
    assert None in award["award_level"]["enum"]
    response = api.post("/api/v1/calculator/", {"item": "JJ-FILM-03", "facts": {"award_level": None}}, format="json")
    assert response.status_code == 200
