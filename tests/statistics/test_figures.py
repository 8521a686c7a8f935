"""The statistics page's figures equal the sums worked out again in the test, case by case, on a few hundred
cases over two years (tests/statistics/world.py): on the page, in the XLSX export, with each filter."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from tests.factories.companies import UserFactory

from .world import ZERO, add_cases, build_world, expected, expected_budgets, expected_months, expected_stages

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    return build_world(cases=300)


@pytest.fixture
def manager_client(client):
    client.force_login(UserFactory(username="stats-manager", roles=["manager"]))
    return client


def _page(client, **params):
    response = client.get(reverse("statistics:page"), params)
    assert response.status_code == 200
    return response.context["figures"]


def _rows(rows) -> dict:
    return {r["key"]: (r["submitted"], r["approved_n"], r["approved"], r["paid"], r["reclaimed"]) for r in rows}


def _nonzero(expected_rows: dict) -> dict:
    return {k: v for k, v in expected_rows.items() if any(v)}


def _book(client, **params):
    response = client.get(reverse("statistics:export"), params)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return load_workbook(io.BytesIO(response.content))


def _money(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01")) if value is not None else ZERO


def _sheet_rows(book, title) -> dict:
    rows = list(book[title].iter_rows(min_row=2, values_only=True))
    return {r[0]: r[1:] for r in rows}


def test_the_world_spans_both_years_and_every_measure(world):
    """The test data is what the figures need: approvals, payments and clawbacks in both years."""
    for year in (world.year - 1, world.year):
        totals = [sum(v[i] for v in expected(world, "item", year).values()) for i in range(5)]
        assert all(totals), (year, totals)


def test_per_item_district_and_type_equal_the_sums_of_the_cases(world, manager_client):
    figures = _page(manager_client)
    assert figures.filters.year == world.year
    assert _rows(figures.items) == _nonzero(expected(world, "item"))
    assert _rows(figures.districts) == _nonzero(expected(world, "district"))
    assert _rows(figures.industries) == _nonzero(expected(world, "industry"))


def test_per_month_and_quarter_in_shanghai_time(world, manager_client):
    figures = _page(manager_client)
    months = expected_months(world, world.year)
    assert {
        m["month"]: (m["submitted"], m["approved_n"], m["approved"], m["paid"], m["reclaimed"]) for m in figures.months
    } == months
    for q in figures.quarters:
        three = [months[m] for m in range(3 * q["quarter"] - 2, 3 * q["quarter"] + 1)]
        assert (q["approved"], q["paid"], q["submitted"]) == (
            sum((t[2] for t in three), ZERO),
            sum((t[3] for t in three), ZERO),
            sum(t[0] for t in three),
        )
    # The case approved at 00:30 on 1 January (Shanghai), still 31 December in UTC, counts in January.
    edge = world.cases[0]
    assert figures.months[0]["approved"] >= edge.approved_amount


def test_this_year_against_last(world, manager_client):
    figures = _page(manager_client)
    this = [sum(v[i] for v in expected(world, "item").values()) for i in range(5)]
    last = [sum(v[i] for v in expected(world, "item", world.year - 1).values()) for i in range(5)]
    rows = {r["key"]: r for r in figures.year_on_year}
    for i, key in enumerate(("submitted", "approved_n", "approved", "paid", "reclaimed")):
        assert (rows[key]["this"], rows[key]["last"]) == (this[i], last[i]), key
        change = float((Decimal(this[i]) - last[i]) * 100 / last[i])
        assert rows[key]["change"] == pytest.approx(change)
    last_months = expected_months(world, world.year - 1)
    assert [(c["approved_last"], c["paid_last"]) for c in figures.month_comparison] == [
        (last_months[m][2], last_months[m][3]) for m in range(1, 13)
    ]
    # last year chosen: its figures are the "this year" of that page
    earlier = _page(manager_client, year=world.year - 1)
    assert _rows(earlier.items) == _nonzero(expected(world, "item", world.year - 1))


def test_budget_used_and_left_per_round(world, manager_client):
    figures = _page(manager_client)
    got = {b["label"]: (b["budget"], b["used"], b["paid"], b["left"]) for b in figures.budgets}
    assert got == expected_budgets(world, world.year)
    chosen = world.rounds[0]  # last year's first round, chosen by name
    figures = _page(manager_client, round=chosen.pk, year=world.year)
    assert [b["label"] for b in figures.budgets] == [chosen.name]
    assert figures.budgets[0]["used"] == expected_budgets(world, world.year - 1)[chosen.name][1]


def test_cases_per_stage(world, manager_client):
    figures = _page(manager_client)
    assert {s["key"]: s["count"] for s in figures.stages} == expected_stages(world, world.year)


@pytest.mark.parametrize(
    "name,pick",
    [
        ("item", lambda w: w.items[1].code),
        ("round", lambda w: w.rounds[3].pk),
        ("district", lambda w: "渝中区"),
        ("industry", lambda w: "studio"),
    ],
)
def test_each_filter_narrows_every_figure(world, manager_client, name, pick):
    value = pick(world)
    figures = _page(manager_client, **{name: value})
    assert _rows(figures.items) == _nonzero(expected(world, "item", **{name: value}))
    assert _rows(figures.districts) == _nonzero(expected(world, "district", **{name: value}))
    months = expected_months(world, world.year, **{name: value})
    assert [m["paid"] for m in figures.months] == [months[m][3] for m in range(1, 13)]
    assert {s["key"]: s["count"] for s in figures.stages} == expected_stages(world, world.year, **{name: value})
    assert _rows(figures.items) != _nonzero(expected(world, "item")), "the filter changed nothing"


def test_filters_together_and_a_value_not_offered_is_ignored(world, manager_client):
    both = {"item": world.items[0].code, "district": "江津区"}
    figures = _page(manager_client, **both)
    assert _rows(figures.industries) == _nonzero(expected(world, "industry", **both))
    figures = _page(manager_client, district="火星区", year="abc")
    assert figures.filters.district == "" and figures.filters.year == world.year
    assert _rows(figures.items) == _nonzero(expected(world, "item"))


def test_the_export_holds_the_same_figures(world, manager_client):
    book = _book(manager_client, district="江津区")
    filters = {"district": "江津区"}
    items = _sheet_rows(book, "各事项")
    want = _nonzero(expected(world, "item", **filters))
    got = {label.split(" ")[0]: (r[0], r[1], _money(r[2]), _money(r[3]), _money(r[4])) for label, r in items.items()}
    assert got == want
    months = expected_months(world, world.year, **filters)
    sheet = _sheet_rows(book, "各月")
    assert [(r[0], r[1], _money(r[2]), _money(r[3]), _money(r[4])) for r in sheet.values()] == [
        months[m] for m in range(1, 13)
    ]
    last = expected_months(world, world.year - 1, **filters)
    assert [(_money(r[5]), _money(r[6])) for r in sheet.values()] == [(last[m][2], last[m][3]) for m in range(1, 13)]
    budgets = _sheet_rows(book, "批次预算")
    assert {name: (_money(r[1]), _money(r[2]), _money(r[3]), _money(r[4])) for name, r in budgets.items()} == (
        expected_budgets(world, world.year)
    )
    yoy = _sheet_rows(book, "本年与上年")
    assert _money(yoy["拨付金额（元）"][0]) == sum((v[3] for v in want.values()), ZERO)
    assert dict(_sheet_rows(book, "筛选条件"))["注册区县"][0] == "江津区"
    assert set(book.sheetnames) >= {"各季度", "各区县", "各企业类型", "各阶段案件数", "各阶段办理时长"}


def test_the_query_count_does_not_grow_with_the_cases(db, manager_client):
    world = build_world(cases=50, seed=3)
    url = reverse("statistics:page")
    manager_client.get(url)  # the session and the user, loaded once

    def count(path) -> int:
        cache.clear()  # the figures worked out again, not read from the 10-minute cache
        with CaptureQueriesContext(connection) as queries:
            assert manager_client.get(path).status_code == 200
        return len(queries)

    small = count(url), count(reverse("statistics:export"))
    add_cases(world, 250)
    assert len(world.cases) == 300
    assert (count(url), count(reverse("statistics:export"))) == small


def test_the_figures_are_kept_ten_minutes_and_the_page_says_since_when(db, manager_client, time_machine):
    import datetime as dt

    world = build_world(cases=40, seed=5)
    first = _rows(_page(manager_client).items)
    response = manager_client.get(reverse("statistics:page"))
    assert "统计数字截至" in response.text and "每 10 分钟更新" in response.text

    add_cases(world, 60)
    assert _rows(_page(manager_client).items) == first, "worked out again within the ten minutes"

    time_machine.move_to(dt.datetime.now(dt.UTC) + dt.timedelta(minutes=11), tick=True)
    later = _rows(_page(manager_client).items)
    assert later != first
    assert later == _rows_expected(world)


def _rows_expected(world) -> dict:
    return _nonzero(expected(world, "item"))
