"""API test fixtures: a client that records every operation it reaches, so one test can prove that every
path and method in the OpenAPI schema is exercised by some test."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.cache import cache
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


@pytest.fixture(autouse=True)
def _fresh_throttle_counters():
    """Throttling counts in the cache; each test starts with none spent."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api() -> RecordingClient:
    return RecordingClient()


def client_for(user) -> RecordingClient:
    client = RecordingClient()
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
    """The seeded policy (江津区影视产业发展扶持办法（试行）), items JJ-FILM-01…09 and the 2026 round."""
    from policies.models import Policy
    from policies.services import seed_catalogue

    seed_catalogue()
    return Policy.objects.get()
