"""Cases over the API: who sees what, filters at a constant query count, drafts, materials and every refusal
as the status and code a client can act on."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from applications import rules, services
from applications.models import Application
from tests.factories.companies import CompanyFactory, MembershipFactory, UserFactory

from .conftest import client_for, create_case, pdf_file, submitted_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(applicant_api, company, open_round) -> dict:
    return create_case(applicant_api, company)


def url(case: dict, rest: str = "") -> str:
    return f"/api/v1/applications/{case['id']}/{rest}"


class TestVisibility:
    def test_applicant_sees_only_their_companys_cases(self, applicant_api, case, open_round):
        other_member = MembershipFactory()
        other = create_case(client_for(other_member.user), other_member.company)
        listed = applicant_api.get("/api/v1/applications/").json()
        assert [c["id"] for c in listed["results"]] == [case["id"]]
        hidden, missing = applicant_api.get(url(other)), applicant_api.get("/api/v1/applications/999999/")
        assert hidden.status_code == missing.status_code == 404
        assert hidden.json() == missing.json()

    def test_hidden_case_stays_404_for_every_action(self, applicant_api, open_round):
        other_member = MembershipFactory()
        other = create_case(client_for(other_member.user), other_member.company)
        for method, path, body in [
            ("patch", url(other), {"project_title": "x"}),
            ("post", url(other, "transitions/withdraw/"), {}),
            ("get", url(other, "transitions/"), None),
            ("get", url(other, "timeline/"), None),
            ("post", url(other, "materials/"), None),
        ]:
            response = getattr(applicant_api, method)(path, body, format="json" if body is not None else None)
            assert response.status_code == 404, (method, path)

    def test_expert_sees_only_assigned_cases(self, roles, applicant_api, company, open_round, staff):
        expert = UserFactory(roles=["expert"])
        first = submitted_case(applicant_api, company)
        create_case(applicant_api, company, project_title="另一部作品")
        staff["clerk"].post(url(first, "transitions/accept/"), {}, format="json")
        staff["reviewer"].post(url(first, "transitions/start_review/"), {}, format="json")
        staff["reviewer"].post(url(first, "experts/"), {"experts": [expert.pk]}, format="json")
        listed = client_for(expert).get("/api/v1/applications/").json()
        assert [c["id"] for c in listed["results"]] == [first["id"]]

    def test_list_agrees_with_the_portals_view_permission(self, roles, applicant_api, company, open_round):
        create_case(applicant_api, company)
        other_member = MembershipFactory()
        create_case(client_for(other_member.user), other_member.company)
        users = [
            UserFactory(roles=["applicant"]),
            other_member.user,
            UserFactory(roles=["reviewer"]),
            UserFactory(roles=["expert"]),
            UserFactory(roles=["applicant", "expert"]),
            MembershipFactory(company=company, status="requested").user,
        ]
        for user in users:
            listed = {c["id"] for c in client_for(user).get("/api/v1/applications/").json()["results"]}
            allowed = {a.pk for a in Application.objects.all() if rules.may_view(user, a)}
            assert listed == allowed, user


class TestListing:
    def test_filters(self, applicant_api, company, open_round, staff, clock):
        draft = create_case(applicant_api, company)
        sent = submitted_case(applicant_api, company)
        reviewer = staff["reviewer"]

        def ids(**params) -> set[int]:
            response = reviewer.get("/api/v1/applications/", params)
            assert response.status_code == 200, response.json()
            return {c["id"] for c in response.json()["results"]}

        assert ids(stage="draft") == {draft["id"]}
        assert ids(stage="draft,submitted") == {draft["id"], sent["id"]}
        assert ids(item="jj-film-01") == {draft["id"], sent["id"]}
        assert ids(item="JJ-FILM-02") == set()
        assert ids(round=open_round.pk) == {draft["id"], sent["id"]}
        assert ids(company=company.credit_code.lower()) == {draft["id"], sent["id"]}
        assert ids(company=CompanyFactory().credit_code) == set()
        assert ids(search=sent["case_number"]) == {sent["id"]}
        assert ids(overdue="true") == set()
        clock.advance_working_days(6)  # the 5-working-day acceptance deadline has passed
        assert ids(overdue="true") == {sent["id"]}
        assert ids(overdue="false") == {draft["id"]}
        assert reviewer.get(url(sent)).json()["overdue"] is True

    @pytest.mark.parametrize(
        "params", [{"stage": "flying"}, {"round": "abc"}, {"overdue": "perhaps"}], ids=["stage", "round", "overdue"]
    )
    def test_bad_filters_are_400_naming_the_parameter(self, staff, params):
        response = staff["reviewer"].get("/api/v1/applications/", params)
        assert response.status_code == 400
        assert list(response.json()["fields"]) == list(params)

    def test_queries_do_not_grow_with_the_page_size(self, applicant_api, company, open_round, staff):
        for n in range(6):
            case = create_case(applicant_api, company, project_title=f"作品{n}")
            applicant_api.post(
                url(case, "materials/"), {"key": "business_licence", "file": pdf_file()}, format="multipart"
            )
        staff["reviewer"].get("/api/v1/applications/")  # warm up: the user's roles are cached after one request
        counts = {}
        for size in (2, 6):
            with CaptureQueriesContext(connection) as queries:
                response = staff["reviewer"].get("/api/v1/applications/", {"page_size": size})
            assert len(response.json()["results"]) == size
            assert all(c["materials"] for c in response.json()["results"])
            counts[size] = len(queries)
        assert counts[2] == counts[6], counts

    def test_list_query_budget(self, staff, applicant_api, company, open_round, django_assert_max_num_queries):
        for n in range(3):
            create_case(applicant_api, company, project_title=f"作品{n}")
        # roles + count + cases (with company, item, round) + current materials
        with django_assert_max_num_queries(4):
            staff["reviewer"].get("/api/v1/applications/", {"page_size": 50})


class TestDrafts:
    def test_create_for_a_company_that_is_not_yours_is_404(self, applicant_api, open_round):
        """A well-formed request about something the caller may not see: 404 with the reason (schemathesis:
        a schema-valid request must not be a 400), the same answer as for a company that does not exist."""
        for company in (CompanyFactory().credit_code, "0"):
            response = applicant_api.post(
                "/api/v1/applications/", {"company": company, "item": "JJ-FILM-01", "project_title": "x"}, format="json"
            )
            assert response.status_code == 404
            assert response.json()["code"] == "not_found" and "您不属于该企业" in response.json()["detail"]

    def test_staff_cannot_apply_for_a_company(self, staff, company, open_round):
        response = staff["clerk"].post(
            "/api/v1/applications/",
            {"company": company.credit_code, "item": "JJ-FILM-01", "project_title": "x"},
            format="json",
        )
        assert response.status_code == 403
        assert response.json()["code"] == "not_your_role"

    def test_banned_company_cannot_apply(self, applicant_api, company, open_round):
        from datetime import date

        company.banned_until = date(2099, 1, 1)
        company.save()
        response = applicant_api.post(
            "/api/v1/applications/",
            {"company": company.credit_code, "item": "JJ-FILM-01", "project_title": "x"},
            format="json",
        )
        assert response.status_code == 403
        assert response.json()["code"] == "company_banned"

    def test_round_of_another_policy_or_no_open_round_is_400(self, applicant_api, company, catalogue):
        body = {"company": company.credit_code, "item": "JJ-FILM-01", "project_title": "x"}
        from policies.models import Round

        Round.objects.update(closes_at="2000-01-01T00:00:00+08:00", opens_at="1999-01-01T00:00:00+08:00")
        response = applicant_api.post("/api/v1/applications/", body, format="json")
        assert response.status_code == 400 and list(response.json()["fields"]) == ["round"]
        response = applicant_api.post("/api/v1/applications/", {**body, "round": 999999}, format="json")
        assert response.status_code == 400 and list(response.json()["fields"]) == ["round"]

    def test_missing_fields_and_bad_facts_are_named(self, applicant_api, company, open_round):
        response = applicant_api.post("/api/v1/applications/", {"item": "JJ-FILM-01"}, format="json")
        assert response.status_code == 400
        assert set(response.json()["fields"]) == {"company", "project_title"}
        response = applicant_api.post(
            "/api/v1/applications/",
            {
                "company": company.credit_code,
                "item": "JJ-FILM-01",
                "project_title": "x",
                "facts": {"local_spend": "很多"},
            },
            format="json",
        )
        assert response.status_code == 400 and list(response.json()["fields"]) == ["facts"]

    def test_a_submitted_case_can_no_longer_be_edited(self, applicant_api, company, open_round):
        case = submitted_case(applicant_api, company)
        response = applicant_api.patch(url(case), {"project_title": "改名"}, format="json")
        assert response.status_code == 403
        assert response.json()["code"] == "wrong_stage"


class TestMaterials:
    def test_a_key_the_item_does_not_ask_for_is_400(self, applicant_api, case):
        response = applicant_api.post(
            url(case, "materials/"), {"key": "selfie", "file": pdf_file()}, format="multipart"
        )
        assert response.status_code == 400
        assert response.json()["code"] == "unknown_material"
        assert list(response.json()["fields"]) == ["key"]

    def test_a_file_that_is_not_what_it_claims_is_400(self, applicant_api, case):
        from django.core.files.uploadedfile import SimpleUploadedFile

        fake = SimpleUploadedFile("licence.pdf", b"MZ\x90\x00 this is a program", content_type="application/pdf")
        response = applicant_api.post(
            url(case, "materials/"), {"key": "business_licence", "file": fake}, format="multipart"
        )
        assert response.status_code == 400
        assert response.json()["code"] == "invalid_file"
        assert list(response.json()["fields"]) == ["file"]

    def test_missing_file_is_400(self, applicant_api, case):
        response = applicant_api.post(url(case, "materials/"), {"key": "business_licence"}, format="multipart")
        assert response.status_code == 400 and "file" in response.json()["fields"]

    def test_json_upload_is_415(self, applicant_api, case):
        response = applicant_api.post(url(case, "materials/"), {"key": "business_licence"}, format="json")
        assert response.status_code == 415
        assert response.json()["code"] == "unsupported_media_type"

    def test_a_replacement_keeps_the_case_on_one_current_file(self, applicant_api, case):
        for body in (b"v1", b"v2"):
            applicant_api.post(
                url(case, "materials/"), {"key": "business_licence", "file": pdf_file(body=body)}, format="multipart"
            )
        materials = applicant_api.get(url(case)).json()["materials"]
        assert [m["key"] for m in materials] == ["business_licence"]


class TestTransitions:
    def test_each_role_is_offered_only_its_own_transitions(self, applicant_api, company, open_round, staff):
        case = submitted_case(applicant_api, company)
        offered = {
            role: [t["key"] for t in client.get(url(case, "transitions/")).json()["results"]]
            for role, client in staff.items()
        }
        assert offered == {
            "clerk": ["accept", "request_correction", "not_accept"],
            "reviewer": [],
            "approver": [],
            "finance": [],
            "manager": [],
            "auditor": [],
        }
        rows = {t["key"]: t for t in staff["clerk"].get(url(case, "transitions/")).json()["results"]}
        assert rows["request_correction"]["fields"] == ["comment", "items", "deadline"]
        # The reasons of a correction request are given per item (each item's note), not as one comment.
        assert rows["request_correction"]["comment_required"] is False

    def test_not_your_role_is_403_with_the_reason(self, applicant_api, company, open_round, staff):
        case = submitted_case(applicant_api, company)
        response = staff["reviewer"].post(url(case, "transitions/accept/"), {}, format="json")
        assert response.status_code == 403
        assert response.json()["code"] == "not_your_role"
        assert "受理员" in response.json()["detail"]

    def test_not_your_role_in_english(self, applicant_api, company, open_round, staff):
        case = submitted_case(applicant_api, company)
        response = staff["reviewer"].post(
            url(case, "transitions/accept/"), {}, format="json", HTTP_ACCEPT_LANGUAGE="en"
        )
        assert response.status_code == 403
        assert response["Content-Language"] == "en"

    def test_an_automatic_transition_is_refused_to_people(self, applicant_api, company, open_round, staff):
        case = submitted_case(applicant_api, company)
        response = staff["manager"].post(url(case, "transitions/complete_expert_review/"), {}, format="json")
        assert response.status_code == 403

    def test_unknown_transition_is_404(self, applicant_api, case):
        response = applicant_api.post(url(case, "transitions/fly_away/"), {}, format="json")
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"

    def test_a_missing_comment_is_400_on_the_comment_field(self, applicant_api, company, open_round, staff):
        case = submitted_case(applicant_api, company)
        response = staff["clerk"].post(url(case, "transitions/not_accept/"), {}, format="json")
        assert response.status_code == 400
        assert response.json()["code"] == "comment_required"
        assert list(response.json()["fields"]) == ["comment"]

    def test_request_correction_with_items(self, applicant_api, company, open_round, staff):
        case = submitted_case(applicant_api, company)
        bad = staff["clerk"].post(
            url(case, "transitions/request_correction/"),
            {"comment": "请补正", "items": [{"key": "no_such_material"}]},
            format="json",
        )
        assert bad.status_code == 400 and bad.json()["code"] == "unknown_item"
        good = staff["clerk"].post(
            url(case, "transitions/request_correction/"),
            {"comment": "发票不清晰", "items": [{"key": "invoices", "problem": "faulty", "note": "请重新扫描"}]},
            format="json",
        )
        assert good.status_code == 200, good.json()
        assert good.json()["state"] == "correction_requested" and good.json()["due_kind"] == "correction"
        # Only the listed material may be replaced now, and then the applicant resubmits.
        refused = applicant_api.post(url(case, "materials/"), {"key": "filing", "file": pdf_file()}, format="multipart")
        assert refused.status_code == 403 and refused.json()["code"] == "not_in_correction"
        applicant_api.post(
            url(case, "materials/"), {"key": "invoices", "file": pdf_file(body=b"v2")}, format="multipart"
        )
        again = applicant_api.post(url(case, "transitions/resubmit/"), {}, format="json")
        assert again.json()["state"] == "submitted" and again.json()["revision"] == 2

    def test_an_amount_above_the_computed_one_is_400(self, applicant_api, company, open_round, staff, experts):
        case = submitted_case(applicant_api, company)
        staff["clerk"].post(url(case, "transitions/accept/"), {}, format="json")
        staff["reviewer"].post(url(case, "transitions/start_review/"), {}, format="json")
        staff["reviewer"].post(url(case, "experts/"), {"experts": [experts[0].pk]}, format="json")
        response = staff["reviewer"].post(
            url(case, "transitions/send_to_experts/"), {"amount": "99999999"}, format="json"
        )
        assert response.status_code == 400
        assert response.json()["code"] == "invalid_amount"
        assert list(response.json()["fields"]) == ["amount"]

    def test_wrong_stage_is_403(self, applicant_api, case, staff):
        response = applicant_api.post(url(case, "transitions/resubmit/"), {}, format="json")
        assert response.status_code == 403
        assert response.json()["code"] == "wrong_stage"

    def test_the_stage_you_saw_is_gone_409(self, applicant_api, company, open_round, staff):
        case = submitted_case(applicant_api, company)
        staff["clerk"].post(url(case, "transitions/accept/"), {}, format="json")
        response = staff["clerk"].post(
            url(case, "transitions/not_accept/"), {"comment": "材料不全", "expected_state": "submitted"}, format="json"
        )
        assert response.status_code == 409
        assert response.json()["code"] == "changed_under_you"
        assert "已受理" in response.json()["detail"]

    def test_a_case_that_changes_while_the_request_runs_is_409(
        self, applicant_api, company, open_round, staff, monkeypatch
    ):
        """Another clerk acts between this request reading the case and the service locking it."""
        case = submitted_case(applicant_api, company)
        real_perform = services.perform

        def someone_else_first(application, transition, actor, **data):
            real_perform(Application.objects.get(pk=application.pk), "accept", staff["clerk"].user)
            return real_perform(application, transition, actor, **data)

        monkeypatch.setattr(services, "perform", someone_else_first)
        response = staff["clerk"].post(url(case, "transitions/not_accept/"), {"comment": "材料不全"}, format="json")
        assert response.status_code == 409
        assert response.json()["code"] == "changed_under_you"
        assert Application.objects.get(pk=case["id"]).state == "accepted"

    @pytest.mark.parametrize(
        "body",
        [
            {"amount": "lots"},
            {"items": "invoices"},
            {"items": [{"problem": "faulty"}]},
            {"deadline": "next week"},
            {"expected_state": "limbo"},
            ["not", "an", "object"],
        ],
    )
    def test_malformed_bodies_are_400_never_500(self, applicant_api, company, open_round, staff, body):
        case = submitted_case(applicant_api, company)
        response = staff["clerk"].post(url(case, "transitions/request_correction/"), body, format="json")
        assert response.status_code == 400, response.content
        assert response.json()["code"] == "invalid"


class TestExperts:
    def test_only_reviewers_and_managers_list_experts(self, applicant_api, staff, experts):
        assert applicant_api.get("/api/v1/experts/").status_code == 403
        assert staff["manager"].get("/api/v1/experts/").json()["count"] == 2

    def test_assigning_a_non_expert_is_400(self, applicant_api, company, open_round, staff):
        case = submitted_case(applicant_api, company)
        staff["clerk"].post(url(case, "transitions/accept/"), {}, format="json")
        staff["reviewer"].post(url(case, "transitions/start_review/"), {}, format="json")
        response = staff["reviewer"].post(url(case, "experts/"), {"experts": [staff["clerk"].user.pk]}, format="json")
        assert response.status_code == 400 and response.json()["code"] == "not_an_expert"
        response = staff["reviewer"].post(url(case, "experts/"), {"experts": [987654]}, format="json")
        assert response.status_code == 400 and list(response.json()["fields"]) == ["experts"]

    def test_an_opinion_from_an_expert_not_assigned_is_404(self, applicant_api, company, open_round, staff, experts):
        case = submitted_case(applicant_api, company)
        response = client_for(experts[0]).post(
            url(case, "opinion/"), {"opinion": "support", "score": 80}, format="json"
        )
        assert response.status_code == 404
