"""API test fixtures: a client that records every operation it reaches, so one test can prove that every
path and method in the OpenAPI schema is exercised by some test."""

from __future__ import annotations

from pathlib import Path

import pytest
from rest_framework.test import APIClient

from tests.factories.companies import CompanyFactory, MembershipFactory, UserFactory

API_TEST_DIR = Path(__file__).resolve().parent

# (METHOD, path, status) of every request made through the `api` fixtures in this session.
HITS: set[tuple[str, str, int]] = set()
# The tests/api modules that have tests selected in this session (filled when collection finishes).
SELECTED_MODULES: set[str] = set()


class RecordingClient(APIClient):
    def request(self, **environ):
        response = super().request(**environ)
        HITS.add((environ["REQUEST_METHOD"].upper(), environ["PATH_INFO"], response.status_code))
        return response


def pytest_collection_modifyitems(config, items):
    """The schema-coverage test reads what the others recorded, so it runs last."""
    last = [item for item in items if item.get_closest_marker("api_coverage")]
    for item in last:
        items.remove(item)
        items.append(item)


def pytest_collection_finish(session):
    for item in session.items:
        path = Path(str(item.fspath))
        if path.parent == API_TEST_DIR:
            SELECTED_MODULES.add(path.name)


def pytest_configure(config):
    config.addinivalue_line("markers", "api_coverage: reads the operations the API tests reached; runs last")


@pytest.fixture
def api() -> RecordingClient:
    return RecordingClient()


def client_for(user) -> RecordingClient:
    """A client signed in as `user` (anonymous for None)."""
    client = RecordingClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def manager(roles):
    return UserFactory(username="manager1", roles=["manager"])


@pytest.fixture
def manager_api(manager) -> RecordingClient:
    return client_for(manager)


@pytest.fixture
def company(db):
    return CompanyFactory()


@pytest.fixture
def applicant(roles, company):
    return MembershipFactory(company=company, user=UserFactory(username="applicant1", roles=["applicant"])).user


@pytest.fixture
def applicant_api(applicant) -> RecordingClient:
    return client_for(applicant)


@pytest.fixture
def catalogue(db):
    """The seeded policy (江津区影视产业发展扶持办法（试行）), items JJ-FILM-01…09 and this year's round."""
    from policies.models import Policy
    from policies.services import seed_catalogue

    seed_catalogue()
    return Policy.objects.get()


@pytest.fixture
def open_round(catalogue):
    """The seeded round (this year's, with the seeded budget), the one open round of the seeded policy: kept open
    from 30 days ago to 90 days ahead, so a test that moves the clock past New Year still finds it open."""
    from datetime import timedelta

    from django.utils import timezone

    from policies.models import Round

    now = timezone.now()
    rnd = Round.objects.get(policy=catalogue, year=timezone.localdate().year)
    rnd.opens_at = min(rnd.opens_at, now - timedelta(days=30))
    rnd.closes_at = max(rnd.closes_at, now + timedelta(days=90))
    rnd.save()
    return rnd


@pytest.fixture
def staff(roles):
    """One signed-in client per staff role: staff["clerk"].user, staff["clerk"].get(...)."""
    clients = {}
    for role in ("clerk", "reviewer", "approver", "finance", "manager", "auditor"):
        user = UserFactory(username=f"{role}-api", roles=[role])
        clients[role] = client_for(user)
        clients[role].user = user
    return clients


@pytest.fixture
def experts(roles):
    return [UserFactory(username=f"expert-api-{n}", roles=["expert"]) for n in (1, 2)]


def pdf_file(name: str = "材料.pdf", body: bytes = b"content"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, b"%PDF-1.4\n" + body + b"\n%%EOF\n", content_type="application/pdf")


JJ_FILM_01_FACTS = {"has_filing": True, "shooting_days_in_jiangjin": 32, "local_spend": "1200000"}


def create_case(client, company, **overrides) -> dict:
    body = {"company": company.credit_code, "item": "JJ-FILM-01", "project_title": "电影《江津往事》"}
    body["facts"] = dict(JJ_FILM_01_FACTS)
    body.update(overrides)
    response = client.post("/api/v1/applications/", body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def upload_all_materials(client, case: dict) -> None:
    from policies.models import SupportItem

    for material in SupportItem.objects.get(code=case["item"]).materials:
        response = client.post(
            f"/api/v1/applications/{case['id']}/materials/",
            {"key": material["key"], "file": pdf_file(f"{material['label']}.pdf", material["key"].encode())},
            format="multipart",
        )
        assert response.status_code == 201, response.json()


def submitted_case(client, company) -> dict:
    case = create_case(client, company)
    upload_all_materials(client, case)
    assert (
        client.patch(f"/api/v1/applications/{case['id']}/", {"integrity_pledge": True}, format="json").status_code
        == 200
    )
    response = client.post(f"/api/v1/applications/{case['id']}/transitions/submit/", {}, format="json")
    assert response.status_code == 200, response.json()
    return response.json()
