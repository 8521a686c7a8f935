"""Odd query parameters on the portal's pages (filters, paging, ids) are never a server error (issue 14 item 6)."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories.applications import ApplicationFactory, CaseItemFactory, CaseRoundFactory
from tests.factories.companies import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

ODD_VALUES = ["²", "9" * 30, "-1", "abc", "1e5", " ", "\uffff", "0x10", "１２"]


@pytest.fixture
def world(settings):
    settings.DEBUG = False
    item = CaseItemFactory(code="T-Q-01")
    round_ = CaseRoundFactory(policy=item.policy)
    member = MembershipFactory()
    ApplicationFactory(company=member.company, item=item, round=round_, submitted=True)
    return {"item": item, "member": member}


PAGES = [
    ("clerk", "/workbench/", ["stage", "item", "round", "q", "overdue", "mine", "all_stages", "sort", "page"]),
    ("manager", "/dashboard/", ["stage", "item", "round", "q", "sort", "page"]),
    ("manager", "/investment/", ["stage", "q", "page", "sort"]),
    (None, "/notices/", ["q", "page", "item", "round"]),
    ("applicant", "/my/cases/", ["state", "page", "q"]),
    (None, "/policies/", ["calculate", "company", "item"]),
    ("applicant", "/my/apply/T-Q-01/", ["invitation", "company"]),
    (None, "/verify/", ["code"]),
]


@pytest.mark.parametrize(("role", "url", "params"), PAGES, ids=[p[1] for p in PAGES])
def test_odd_query_parameters_never_give_a_server_error(world, role, url, params):
    client = Client(raise_request_exception=False)
    if role == "applicant":
        client.force_login(world["member"].user)
    elif role:
        client.force_login(UserFactory(roles=[role]))
    failures = []
    for name in params:
        for value in ODD_VALUES:
            response = client.get(url, {name: value})
            if response.status_code >= 500:
                failures.append((name, value, response.status_code))
    assert not failures
