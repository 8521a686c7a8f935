"""Who sees the statistics, and the stage visits behind the medians: recorded by each transition, rebuilt from
the audit log the same way, and the median of a small hand-made set."""

from __future__ import annotations

import datetime as dt
import importlib
from decimal import Decimal

import pytest
from django.apps import apps as django_apps
from django.urls import reverse
from django.utils import timezone

from applications.services import perform
from applications.statistics.models import StageVisit
from applications.statistics.queries import Filters, stage_durations
from applications.statistics.visits import rebuild
from applications.workdays import WorkingCalendar
from tests.factories.applications import ApplicationFactory
from tests.factories.companies import UserFactory, member_of

from .world import SHANGHAI

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", ["manager", "auditor", "approver"])
def test_the_leadership_roles_see_the_page_and_the_export(client, role):
    client.force_login(UserFactory(roles=[role]))
    page = client.get(reverse("statistics:page"))
    assert page.status_code == 200
    assert "统计分析" in page.content.decode()
    assert client.get(reverse("statistics:export")).status_code == 200


@pytest.mark.parametrize("role", ["applicant", "clerk", "reviewer", "expert", "finance"])
def test_other_roles_are_refused(client, role):
    client.force_login(UserFactory(roles=[role]))
    assert client.get(reverse("statistics:page")).status_code == 403
    assert client.get(reverse("statistics:export")).status_code == 403


def test_visitors_are_sent_to_log_in(client):
    response = client.get(reverse("statistics:page"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_the_nav_link_is_shown_to_the_leadership_only(client):
    client.force_login(UserFactory(roles=["approver"]))
    link = f'href="{reverse("statistics:page")}"'
    assert link in client.get(reverse("portal:workbench")).content.decode()
    client.force_login(UserFactory(roles=["clerk"]))
    assert link not in client.get(reverse("portal:workbench")).content.decode()


def test_every_chart_is_an_image_with_a_table_and_caption_beside_it(client):
    client.force_login(UserFactory(roles=["manager"]))
    ApplicationFactory(approved=True)
    html = client.get(reverse("statistics:page")).content.decode()
    charts = html.count('role="img"')
    assert charts >= 8 and html.count("aria-label=") >= charts
    assert html.count("<caption>") >= charts
    assert "<script" not in html.split("<main", 1)[-1].split("</main>", 1)[0]


# --- stage visits --------------------------------------------------------------------------------------------


def _visit(case, state, entered: dt.date, days: int, left: dt.date | None = None):
    at = dt.datetime.combine(entered, dt.time(10), tzinfo=SHANGHAI)
    left_at = dt.datetime.combine(left or entered + dt.timedelta(days=days), dt.time(10), tzinfo=SHANGHAI)
    return StageVisit.objects.create(application=case, state=state, entered_at=at, left_at=left_at, working_days=days)


def test_median_of_a_hand_made_set():
    year = timezone.localdate().year
    cases = [ApplicationFactory(submitted=True) for _ in range(6)]
    day = dt.date(year, 3, 2)
    for case, days in zip(cases, (1, 9, 3, 7, 5), strict=False):  # odd count: the middle one, 5
        _visit(case, "submitted", day, days)
    for case, days in zip(cases, (2, 10, 4, 30), strict=False):  # even count: the mean of 4 and 10
        _visit(case, "preliminary_review", day, days)
    _visit(cases[5], "accepted", day, 8)  # one stay only
    _visit(cases[5], "expert_review", dt.date(year - 1, 6, 1), 99)  # ended last year: not this year's
    _visit(cases[5], "draft", day, 50)  # the applicant's time: left out
    StageVisit.objects.create(application=cases[4], state="pending_decision", entered_at=timezone.now())  # open
    rows = {r["key"]: r for r in stage_durations(Filters(year=year))}
    assert set(rows) == {"submitted", "accepted", "preliminary_review"}
    assert (rows["submitted"]["median"], rows["submitted"]["n"], rows["submitted"]["mean"]) == (5, 5, 5)
    assert rows["preliminary_review"]["median"] == 7 and rows["preliminary_review"]["mean"] == Decimal("11.5")
    assert rows["accepted"]["median"] == 8
    last = {r["key"]: r for r in stage_durations(Filters(year=year - 1))}
    assert last["expert_review"]["median"] == 99
    # a filter narrows the stays too: only case 0's
    only = {r["key"]: r["median"] for r in stage_durations(Filters(year=year, item=cases[0].item.code))}
    assert only == {"submitted": 1, "preliminary_review": 2}


def _working_days(a: dt.date, b: dt.date) -> int:
    return WorkingCalendar().working_days_between(a, b)


def test_each_transition_records_the_stay_it_ends_in_working_days(clock, staff):
    start = clock.set(dt.date(2026, 9, 28))  # the Monday before the National Day holiday
    case = ApplicationFactory(submitted=True)
    member_of(case.company)
    perform(case, "accept", staff["clerk"])
    accepted_on = clock.set(dt.date(2026, 10, 12))  # after the holiday (and its make-up working days)
    perform(case, "start_review", staff["reviewer"])
    visits = list(StageVisit.objects.filter(application=case).order_by("entered_at"))
    assert [(v.state, v.left_at is None) for v in visits] == [("accepted", False), ("preliminary_review", True)]
    assert visits[0].working_days == _working_days(start, accepted_on)
    assert 0 < visits[0].working_days < (accepted_on - start).days  # the holiday is not counted
    assert StageVisit.objects.filter(application=case, left_at__isnull=True).count() == 1


def test_the_migration_rebuilds_the_same_visits_from_the_audit_log(clock, staff):
    clock.set(dt.date(2026, 6, 1))
    cases = [ApplicationFactory(submitted=True) for _ in range(3)]
    perform(cases[0], "accept", staff["clerk"])
    perform(cases[1], "accept", staff["clerk"])
    clock.set(dt.date(2026, 6, 9))
    perform(cases[0], "start_review", staff["reviewer"])
    perform(cases[2], "not_accept", staff["clerk"], comment="材料不全且无法补正")
    live = sorted(StageVisit.objects.values_list("application_id", "state", "working_days", "left_at__date"))
    # made in 已提交 by the factory, so their stay there has no start; accept opened the first visits
    assert len(live) == 4
    assert rebuild(django_apps) == len(live)
    assert sorted(StageVisit.objects.values_list("application_id", "state", "working_days", "left_at__date")) == live
    migration = importlib.import_module("applications.statistics.migrations.0002_backfill_stage_visits")
    migration.backfill(django_apps, None)  # the migration's own entry point, run twice: the same rows
    assert StageVisit.objects.count() == len(live)


def test_the_rebuild_command_counts_with_the_corrected_calendar(clock, staff):
    from io import StringIO

    from django.core.management import call_command

    from applications.models import CalendarDay, CalendarYear

    clock.set(dt.date(2030, 3, 4))  # a Monday, in a year with no schedule on file: plain weekends
    case = ApplicationFactory(submitted=True)
    perform(case, "accept", staff["clerk"])
    clock.set(dt.date(2030, 3, 8))
    perform(case, "start_review", staff["reviewer"])
    assert StageVisit.objects.get(application=case, state="accepted").working_days == 4
    year = CalendarYear.objects.create(year=2030)
    CalendarDay.objects.create(year=year, date=dt.date(2030, 3, 6), kind=CalendarDay.Kind.HOLIDAY)
    out = StringIO()
    call_command("rebuild_stage_visits", stdout=out)
    assert "2 stage visits written" in out.getvalue()
    assert StageVisit.objects.get(application=case, state="accepted").working_days == 3
