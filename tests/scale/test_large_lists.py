"""Pages over many cases cost the same however many there are (issue 18 part 2, bench/scale.py): the queue's
count stops at a cap (and says about how many there are), its 仅看与我相关 filter asks the database which
cases the user acted on instead of listing them in Python, and the dashboard's working days per stage come
from the stage visits in one query. The cap is made small here so that a few cases pass it."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from applications.models import Application
from applications.services import perform
from applications.statistics.models import StageVisit
from invest import paging
from tests.factories.applications import ApplicationFactory, CaseItemFactory, CaseRoundFactory
from tests.factories.companies import MembershipFactory, member_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    item = CaseItemFactory(code="T-SCALE-01", name="测试规模补贴")
    rnd = CaseRoundFactory(policy=item.policy)
    membership = MembershipFactory()

    def cases(n: int, **traits) -> list[Application]:
        return [ApplicationFactory(company=membership.company, item=item, round=rnd, **traits) for _ in range(n)]

    return cases


def queries(client, url, params=None) -> tuple[int, str]:
    client.get(url, params)  # warm (session, content types)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(ctx.captured_queries), response.text


def test_an_empty_filter_counts_nothing_and_asks_for_no_estimate(world):
    world(2, accepted=True)
    none = paging.CappedPaginator(Application.objects.none(), 2)
    assert (none.count, none.capped, none.estimate) == (0, False, None)
    assert paging.planner_estimate(Application.objects.none()) is None


def test_the_paginator_counts_exactly_below_the_cap_and_stops_at_it(world):
    world(7, accepted=True)
    rows = Application.objects.order_by("pk")
    exact = paging.CappedPaginator(rows, 2, cap=10)
    assert (exact.count, exact.capped, exact.num_pages, exact.estimate) == (7, False, 4, None)
    capped = paging.CappedPaginator(rows, 2, cap=5)
    assert (capped.count, capped.capped, capped.num_pages) == (5, True, 3)
    # the last page offered holds the cap's last row; a page number beyond shows that page
    last = capped.get_page(99)
    assert last.number == 3 and [a.pk for a in last] == [a.pk for a in rows[4:5]]
    if connection.vendor == "postgresql":
        assert capped.estimate >= 6  # never below what was counted
    else:
        assert capped.estimate is None
    # one capped count (LIMIT cap + 1), plus the planner's estimate on PostgreSQL, whatever the number of rows
    with CaptureQueriesContext(connection) as ctx:
        paging.CappedPaginator(rows, 2, cap=5).count  # noqa: B018
    assert len(ctx.captured_queries) == (2 if connection.vendor == "postgresql" else 1)
    assert "LIMIT 6" in ctx.captured_queries[-1]["sql"]


def test_the_queue_says_about_how_many_when_past_the_cap(client, staff, world, monkeypatch):
    monkeypatch.setattr(paging, "COUNT_CAP", 4)
    client.force_login(staff["reviewer"])
    url = reverse("portal:workbench")
    world(3, accepted=True)
    _, text = queries(client, url)
    assert "待办案件（3 件）" in text
    world(4, accepted=True)
    _, text = queries(client, url)
    if connection.vendor == "postgresql":
        assert "待办案件（约 " in text
    else:
        assert "待办案件（超过 4 件）" in text
    assert text.count('name="cases"') == 4  # only the cap's rows are listed (per page 50)


def test_queue_pages_cost_the_same_queries_below_and_past_the_cap(client, staff, world, monkeypatch):
    monkeypatch.setattr(paging, "COUNT_CAP", 5)
    client.force_login(staff["reviewer"])
    url = reverse("portal:workbench")
    pages = ("", "all_stages=on", "sort=-amount", "mine=on")
    world(2, accepted=True)
    few = {p: queries(client, f"{url}?{p}")[0] for p in pages}
    world(12, accepted=True)
    world(4, in_preliminary_review=True)
    many = {p: queries(client, f"{url}?{p}")[0] for p in pages}
    assert many == few


def test_mine_lists_the_cases_the_user_acted_on_without_reading_them_into_python(client, staff, world):
    acted, untouched = world(2, accepted=True)
    member_of(acted.company)
    perform(acted, "start_review", staff["reviewer"])
    client.force_login(staff["reviewer"])
    url = reverse("portal:workbench")
    n_before, text = queries(client, url, {"mine": "on"})
    assert acted.case_number in text and untouched.case_number not in text
    # more cases acted on: the same queries, and no query lists the acted-on ids one by one
    for case in world(3, accepted=True):
        perform(case, "start_review", staff["reviewer"])
    # warm again: the transitions wrote notices, so the header's cached unread count is read once more
    client.get(url, {"mine": "on"})
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, {"mine": "on"})
    assert len(ctx.captured_queries) == n_before
    audit = [q["sql"] for q in ctx.captured_queries if "invest_auditentry" in q["sql"]]
    assert audit and all("EXISTS" in sql.upper() for sql in audit)  # asked inside the case query, per case
    assert response.text.count("T-") >= 4 and untouched.case_number not in response.text


def cold(client, url, params=None) -> tuple[int, str]:
    """Queries and text of the page with its cached figures expired (worked out again)."""
    cache.clear()
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(ctx.captured_queries), response.text, " ".join(q["sql"] for q in ctx.captured_queries)


def test_dashboard_working_days_come_from_the_stage_visits_in_one_query(client, staff, world, clock):
    clock.set(dt.date(2026, 6, 1))  # a Monday
    first, second = world(2, submitted=True)
    member_of(first.company)
    for case in (first, second):
        perform(case, "accept", staff["clerk"])
    clock.set(dt.date(2026, 6, 4))  # Thursday: three working days in 已受理
    perform(first, "start_review", staff["reviewer"])
    clock.set(dt.date(2026, 6, 8))  # the next Monday: five
    perform(second, "start_review", staff["reviewer"])
    days = dict(StageVisit.objects.filter(state="accepted").values_list("application_id", "working_days"))
    assert days == {first.pk: 3, second.pk: 5}
    client.force_login(staff["manager"])
    url = reverse("portal:dashboard")
    client.get(url)  # warm the session
    n_few, text, sql = cold(client, url)
    assert "4.0" in text  # the mean of 3 and 5 working days in 已受理
    assert StageVisit._meta.db_table in sql and "invest_auditentry" not in sql  # not a walk through the log
    world(6, accepted=True)
    n_many, _, _ = cold(client, url)
    assert n_many == n_few
    # filtered to one stage, only that stage's cases count
    _, text, _ = cold(client, url, {"stage": "submitted"})
    assert "4.0" not in text


def test_dashboard_figures_are_kept_for_minutes_and_say_when_they_were_worked_out(client, staff, world):
    world(3, accepted=True)
    client.force_login(staff["manager"])
    url = reverse("portal:dashboard")
    n_cold, text, _ = cold(client, url)
    assert '<span class="kpi-value">3</span>' in text
    assert "以下统计数字截至" in text and "每 10 分钟更新" in text
    world(2, accepted=True)
    with CaptureQueriesContext(connection) as ctx:
        text = client.get(url).text
    assert len(ctx.captured_queries) < n_cold  # the figures come from the cache
    assert '<span class="kpi-value">3</span>' in text  # until they are worked out again
    assert text.count("T-") >= 5  # while the case list beside them is live
    _, text, _ = cold(client, url)
    assert '<span class="kpi-value">5</span>' in text


def test_dashboard_counts_each_stage_once_whatever_the_lists_sort(client, staff, world):
    world(3, accepted=True)  # three cases with different submission times, the list's sort
    world(2, in_preliminary_review=True)
    client.force_login(staff["manager"])
    _, text, _ = cold(client, reverse("portal:dashboard"), {"sort": "submitted"})
    rows = re.findall(r'<tr><th scope="row">([^<]+)</th><td class="num">(\d+)</td></tr>', text)
    assert ("已受理", "3") in rows and ("初审中", "2") in rows
    assert [label for label, _ in rows].count("已受理") == 1


def test_the_two_stage_queue_pages_stage_by_stage_in_the_same_order(staff, world):
    """The reviewer's default queue (已受理 + 初审) reads each stage in the sort's order and merges them: the
    same cases on the same pages as one sorted list, ties and missing deadlines included."""
    from applications.portal import selectors

    cases = world(9, accepted=True) + world(8, in_preliminary_review=True)
    for n, case in enumerate(cases):  # deadlines and amounts with ties and gaps, across both stages
        Application.objects.filter(pk=case.pk).update(
            due_date=None if n % 5 == 0 else dt.date(2026, 7, 1 + n % 4), computed_amount=(n % 3) * 1000
        )
    reviewer = staff["reviewer"]
    for sort in selectors.SORTS:
        filters = selectors.QueueFilters(sort=sort)
        rows = selectors.queue(reviewer, filters)
        parts = selectors.queue_parts(reviewer, filters, rows)
        assert len(parts) == 2
        whole = [case.pk for case in rows]
        assert sorted(whole) == sorted(case.pk for case in cases)
        with CaptureQueriesContext(connection) as ctx:
            paged = [
                case.pk for number in (1, 2, 3, 4) for case in paging.CappedPaginator(rows, 5, parts=parts).page(number)
            ]
        assert paged == whole, sort
        if connection.vendor == "postgresql":
            ids = [q["sql"] for q in ctx.captured_queries if "UNION ALL" in q["sql"]]
            assert len(ids) == 4 and ids[0].count("LIMIT") == 3  # one per stage, one for the page


def test_a_chosen_stage_or_every_stage_is_one_list(staff):
    from applications.portal import selectors

    rows = Application.objects.all()
    assert selectors.queue_parts(staff["reviewer"], selectors.QueueFilters(stage="accepted"), rows) == []
    assert selectors.queue_parts(staff["reviewer"], selectors.QueueFilters(all_stages=True), rows) == []
    # an outside expert's queue is their own assignments, not stages
    assert selectors.queue_parts(staff["expert"], selectors.QueueFilters(), rows) == []


def test_a_list_without_a_field_ordering_is_paged_as_one_list(world):
    """Parts are merged by the list's ordering; a list ordered by nothing (or an expression) is read whole."""
    from django.db.models import F

    world(3, accepted=True)
    world(2, in_preliminary_review=True)
    rows = Application.objects.order_by(F("computed_amount").desc(), "pk")
    parts = [rows.filter(state="accepted"), rows.filter(state="preliminary_review")]
    with CaptureQueriesContext(connection) as ctx:
        paged = [case.pk for case in paging.CappedPaginator(rows, 2, parts=parts).page(1)]
    assert paged == [case.pk for case in rows[:2]]
    assert not any("UNION" in q["sql"] for q in ctx.captured_queries)


def test_the_queue_search_finds_cases_by_number_title_or_company_however_many_companies_match(
    client, staff, world, monkeypatch
):
    from applications.portal import selectors
    from tests.factories.companies import CompanyFactory

    by_title, by_number, other = world(3, accepted=True)
    Application.objects.filter(pk=by_title.pk).update(project_title="电影《江津白沙》")
    named = CompanyFactory(name="重庆白沙影业有限公司")
    by_company = ApplicationFactory(company=named, item=by_title.item, round=by_title.round, accepted=True)
    CompanyFactory(name="白沙第二影业有限公司")  # matches the name, has no case
    reviewer = staff["reviewer"]

    def found(text: str) -> set[int]:
        return set(selectors.queue(reviewer, selectors.QueueFilters(q=text)).values_list("pk", flat=True))

    assert found("白沙") == {by_title.pk, by_company.pk}
    assert found(by_number.case_number.lower()) == {by_number.pk}  # any case
    monkeypatch.setattr(selectors, "SEARCH_COMPANIES_MAX", 1)  # two companies match: joined instead
    assert found("白沙") == {by_title.pk, by_company.pk}
    assert other.pk not in found("白沙")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="trigram indexes exist on PostgreSQL only")
def test_the_searched_columns_have_trigram_indexes_on_postgresql():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE indexname LIKE '%%trgm_idx'")
        found = dict(cursor.fetchall())
    assert set(found) == {
        "case_number_trgm_idx",
        "case_title_trgm_idx",
        "company_name_trgm_idx",
        "user_username_trgm_idx",
        "user_first_name_trgm_idx",
        "user_last_name_trgm_idx",
    }
    assert all("gin" in d and "gin_trgm_ops" in d and "upper" in d for d in found.values())


@pytest.mark.skipif(connection.vendor != "postgresql", reason="trigram indexes exist on PostgreSQL only")
def test_without_pg_trgm_the_migration_says_so_and_builds_no_index(capsys):
    """An account that may not create the extension: the migration goes on, the search stays unindexed."""
    from contextlib import contextmanager

    from django.db import DatabaseError

    from invest.search_indexes import trigram_index

    class Refusing:
        def __getattr__(self, name):
            return getattr(connection, name)

        @contextmanager
        def cursor(self):
            with connection.cursor() as real:

                class Cursor:
                    def execute(self, sql, params=None):
                        if "CREATE EXTENSION" in sql:
                            raise DatabaseError("permission denied to create extension")
                        return real.execute(sql, params)

                yield Cursor()

    class Editor:
        def __init__(self):
            self.connection = Refusing()
            self.executed = []

        def quote_name(self, name):
            return connection.ops.quote_name(name)

        def execute(self, sql):
            self.executed.append(sql)

    editor = Editor()
    trigram_index("companies_company", "name", "probe_trgm_idx").code(None, editor)
    assert editor.executed == []  # no CREATE INDEX
    assert "probe_trgm_idx: pg_trgm is not available" in capsys.readouterr().err
    with connection.cursor() as cursor:  # the transaction is still usable
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
