"""Schema-driven fuzzing: schemathesis reads /api/schema/ from the live test server and sends generated
requests to every operation, as a manager (token) and as an anonymous caller. No answer may be a server
error, and every answer must match the schema: its status code, content type, headers and body.

Bounded so it fits in the suite: 5 valid and 5 invalid requests per operation and caller (20 per operation),
derandomized so a run repeats, no shrinking phase and no example database."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.factories.companies import CompanyFactory, MembershipFactory, UserFactory

pytestmark = [pytest.mark.slow, pytest.mark.fuzz, pytest.mark.django_db(transaction=True)]

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
MANAGER_TOKEN = "f" * 40
EXAMPLES = settings(
    max_examples=5,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture
def fuzz_schema(live_server, settings, roles):
    """Some data to find (the seeded catalogue, companies, a case), and generous throttles so the fuzz
    reaches the views rather than the rate limit."""
    from policies.services import seed_catalogue

    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "100000/minute", "user": "100000/minute", "token": "100000/minute"},
    }
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    seed_catalogue()
    MembershipFactory(company=CompanyFactory())
    UserFactory(username="fuzz-manager", roles=["manager"])
    return schemathesis.openapi.from_url(f"{live_server.url}/api/schema/?format=json")


def manager_headers() -> dict[str, str]:
    """The fuzz may revoke the manager's own token (DELETE /auth/token/); put it back before each call."""
    from django.contrib.auth import get_user_model

    manager = get_user_model().objects.get(username="fuzz-manager")
    Token.objects.filter(user=manager).exclude(key=MANAGER_TOKEN).delete()
    Token.objects.get_or_create(user=manager, key=MANAGER_TOKEN)
    return {"Authorization": f"Token {MANAGER_TOKEN}"}


def fuzz(schema, base_url: str, headers) -> list[str]:
    """Every operation, with valid and with invalid data; returns what failed, one line per operation and mode."""
    failures = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 20
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @EXAMPLES
            def run(case):
                response = case.call(base_url=base_url, headers=headers())
                case.validate_response(response, checks=CHECKS)

            try:
                run()
            except Unsatisfiable:
                pass  # no invalid request can be built for this operation (e.g. a free-text path parameter)
            except (Exception, BaseExceptionGroup) as exc:  # collect every operation's failures, report them together
                failures.append(f"{operation.method.upper()} {operation.path} [{mode.value}]: {exc}")
    return failures


def test_fuzz_as_manager(fuzz_schema, live_server):
    failures = fuzz(fuzz_schema, live_server.url, manager_headers)
    assert not failures, "\n\n".join(failures)


def test_fuzz_anonymous(fuzz_schema, live_server):
    failures = fuzz(fuzz_schema, live_server.url, dict)
    assert not failures, "\n\n".join(failures)
