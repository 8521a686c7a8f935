"""Identical objections posted at the same moment make one row (issue 14, item 7), on PostgreSQL with threads:
each post locks the case row first, so the second and third wait and then find the first one's objection."""

import pytest

from applications import services
from applications.models import Application, Objection
from tests.applications.test_concurrency import (  # noqa: F401 - the module's autouse fixtures
    _holiday_calendar,
    _postgres_only,
    run_simultaneously,
    slow_transitions,
)
from tests.factories.applications import ApplicationFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

OBJECTION = {"name": "李明", "contact": "13800000000", "content": "拍摄天数不实。"}


def three_identical_posts(app: Application) -> list:
    def post():
        return {
            "prepare": lambda: Application.objects.get(pk=app.pk),
            "run": lambda case: services.file_objection(case, actor=None, **OBJECTION),
        }

    return run_simultaneously([post(), post(), post()])


@pytest.mark.usefixtures("slow_transitions")
@pytest.mark.parametrize("state", ["in_public_notice", "in_objection_review"])
def test_three_identical_objections_at_once_are_one_objection(state):
    app = ApplicationFactory(**{state: True})
    Objection.objects.filter(application=app).delete()  # the trait's own, if any
    outcomes = three_identical_posts(app)
    assert outcomes == ["ok", "ok", "ok"], outcomes  # every poster is told it was received
    assert Objection.objects.filter(application=app, **OBJECTION).count() == 1
    app.refresh_from_db()
    assert app.state == "objection_review"
