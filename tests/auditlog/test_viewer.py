"""The audit viewer (审计日志, /audit/): filters alone and together, keyset paging, the XLSX export, who may see it.

Entries are written through invest.audit.audit (and one real workflow step, applications.services.perform), at
times set with time-machine: the log is append-only, so a test places an entry in time by writing it then.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from applications.services import perform
from invest.audit import EventType, audit
from invest.auditlog import selectors
from invest.models import AuditEntry
from tests.factories.applications import ApplicationFactory
from tests.factories.companies import UserFactory

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
URL = "/audit/"
EXPORT = "/audit/export.xlsx"


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A moment in March 2026, Beijing time."""
    return dt.datetime(2026, 3, day, hour, minute, tzinfo=SHANGHAI)


def write(time_machine, when, actor, action, target, **kwargs) -> AuditEntry:
    time_machine.move_to(when, tick=False)
    return audit(actor, action, target, **kwargs)


@pytest.fixture
def auditor(db):
    return UserFactory(username="shen-ji", first_name="沈计", roles=["auditor"])


@pytest.fixture
def log(time_machine, auditor):
    """A clerk, a reviewer and a manager acting on two cases and a lead over four days (2026-03-02 … 05)."""
    clerk = UserFactory(username="clerk-wang", first_name="王受理", roles=["clerk"])
    reviewer = UserFactory(username="reviewer-li", first_name="李初审", roles=["reviewer"])
    manager = UserFactory(username="boss-zhao", first_name="赵管理", roles=["manager"])
    time_machine.move_to(at(1, 9), tick=False)
    case_a = ApplicationFactory(submitted=True)
    case_b = ApplicationFactory(submitted=True)
    time_machine.move_to(at(2, 10), tick=False)
    perform(case_a, "accept", clerk)  # a real workflow step: case.accept, and the acceptance notice it issues
    e = {
        "accept_a": AuditEntry.objects.get(action="case.accept"),
        "notice_a": AuditEntry.objects.get(action="document.issue"),
        "assign_a": write(
            time_machine,
            at(3, 11),
            reviewer,
            EventType.CASE_ASSIGN_EXPERT,
            case_a,
            after={"expert": 7},
            role="reviewer",
        ),
        # 23:30 on the 3rd in Beijing is 15:30 UTC: still the 3rd for the date filter.
        "late_b": write(
            time_machine,
            at(3, 23, 30),
            clerk,
            "case.request_correction",
            case_b,
            before={"state": "submitted"},
            after={"state": "correction_requested"},
            reason="缺少拍摄计划",
            role="clerk",
        ),
        # 00:10 on the 4th in Beijing is 16:10 UTC on the 3rd: the 4th for the date filter.
        "early_b": write(
            time_machine,
            at(4, 0, 10),
            manager,
            EventType.CASE_UPDATE,
            case_b,
            before={"facts": {"local_spend": "500000"}, "project_title": "山城"},
            after={"facts": {"local_spend": "650000"}, "project_title": "山城"},
            role="manager",
        ),
        "lead": write(
            time_machine, at(5, 9), manager, EventType.LEAD_CREATE, ("investment.lead", 41), after={"name": "某影业"}
        ),
    }
    return {"clerk": clerk, "reviewer": reviewer, "manager": manager, "a": case_a, "b": case_b, "e": e}


def ids_on(response) -> list[int]:
    """The entries a page lists, from the export's view of the same filter (the page shows the same ids)."""
    return [r.entry.pk for r in response.context["rows"]]


def get(client, user, **params):
    client.force_login(user)
    response = client.get(URL, params)
    assert response.status_code == 200
    return response


# --- each filter, then together ----------------------------------------------------------------------------


def test_without_a_filter_every_entry_is_listed_newest_first(client, auditor, log):
    e = log["e"]
    assert ids_on(get(client, auditor)) == [
        e["lead"].pk,
        e["early_b"].pk,
        e["late_b"].pk,
        e["assign_a"].pk,
        e["notice_a"].pk,
        e["accept_a"].pk,
    ]


def test_filter_by_object_type_and_id(client, auditor, log):
    e, case_a = log["e"], log["a"]
    page = get(client, auditor, target_type="applications.application", target=str(case_a.pk))
    assert ids_on(page) == [e["assign_a"].pk, e["accept_a"].pk]
    assert ids_on(get(client, auditor, target_type="investment.lead")) == [e["lead"].pk]
    assert ids_on(get(client, auditor, target_type="investment.lead", target="40")) == []


def test_a_case_number_finds_its_case_whatever_the_type_says(client, auditor, log):
    e, case_b = log["e"], log["b"]
    assert ids_on(get(client, auditor, target=case_b.case_number)) == [e["early_b"].pk, e["late_b"].pk]
    assert ids_on(get(client, auditor, target=case_b.case_number.lower(), target_type="applications.application")) == [
        e["early_b"].pk,
        e["late_b"].pk,
    ]


def test_filter_by_actor_user_name_or_name(client, auditor, log):
    e = log["e"]
    by_clerk = [e["late_b"].pk, e["notice_a"].pk, e["accept_a"].pk]  # the notice is issued in the clerk's name
    assert ids_on(get(client, auditor, actor="clerk-wang")) == by_clerk
    assert ids_on(get(client, auditor, actor="CLERK-WANG")) == by_clerk
    assert ids_on(get(client, auditor, actor="王受理")) == by_clerk
    assert ids_on(get(client, auditor, actor="受理")) == by_clerk  # part of a name
    # Part of a user name is not enough: "clerk" alone is nobody's name.
    assert "没有用户名或姓名为“clerk”的账户" in get(client, auditor, actor="clerk").content.decode()


def test_the_actor_system_finds_what_the_service_recorded_by_itself(client, auditor, log, time_machine):
    time_machine.move_to(at(6, 2), tick=False)
    by_itself = audit(None, EventType.OBLIGATION_OVERDUE, ("obligations.obligation", 5), role="system")
    audit(None, "case.file_objection", log["b"], role="public")  # someone not signed in: 公众, not 系统
    response = get(client, auditor, actor="系统")
    assert ids_on(response) == [by_itself.pk]
    assert '<td data-label="操作人">系统</td>' in response.content.decode()
    assert '<td data-label="操作人">公众</td>' in get(client, auditor).content.decode()


def test_filter_by_action(client, auditor, log):
    e = log["e"]
    assert ids_on(get(client, auditor, action="case.accept")) == [e["accept_a"].pk]
    assert ids_on(get(client, auditor, action=EventType.LEAD_CREATE.value)) == [e["lead"].pk]


def test_the_action_select_offers_the_labelled_actions_and_the_others_found_in_the_log(client, auditor, log):
    write_other = audit(log["manager"], "legacy.thing", ("auth.user", 3))
    text = get(client, auditor).content.decode()
    assert re.search(r'<option value="case.accept">[^<（]+（case.accept）</option>', text)
    assert f'<option value="{EventType.OBLIGATION_BREACH.value}">违反履约承诺' in text  # labelled, none in the log
    # cached for CHOICES_TTL: a key first seen after the cache was filled appears after it expires
    from django.core.cache import cache

    cache.clear()
    text = get(client, auditor).content.decode()
    assert '<option value="legacy.thing">legacy.thing</option>' in text
    assert ids_on(get(client, auditor, action="legacy.thing")) == [write_other.pk]


def test_dates_are_beijing_days_and_both_ends_are_included(client, auditor, log):
    e = log["e"]
    assert ids_on(get(client, auditor, date_from="2026-03-03", date_to="2026-03-03")) == [
        e["late_b"].pk,
        e["assign_a"].pk,
    ]
    assert ids_on(get(client, auditor, date_from="2026-03-04")) == [e["lead"].pk, e["early_b"].pk]
    assert ids_on(get(client, auditor, date_to="2026-03-02")) == [e["notice_a"].pk, e["accept_a"].pk]


def test_filters_together(client, auditor, log):
    e, case_b = log["e"], log["b"]
    assert ids_on(get(client, auditor, actor="王受理", target=case_b.case_number)) == [e["late_b"].pk]
    assert ids_on(get(client, auditor, actor="王受理", target_type="applications.application")) == [
        e["late_b"].pk,
        e["accept_a"].pk,
    ]
    assert ids_on(get(client, auditor, actor="王受理", date_from="2026-03-03", action="case.request_correction")) == [
        e["late_b"].pk
    ]
    assert ids_on(get(client, auditor, actor="王受理", date_from="2026-03-04")) == []
    assert ids_on(get(client, auditor, actor="赵管理", target_type="applications.application")) == [e["early_b"].pk]


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"date_from": "2026-13-01"}, "date_from", "请按“2026-03-15”的格式填写日期。"),
        ({"date_to": "三月"}, "date_to", "请按“2026-03-15”的格式填写日期。"),
        ({"date_from": "2026-03-05", "date_to": "2026-03-01"}, "date_to", "结束日期不能早于开始日期。"),
        ({"actor": "nobody-here"}, "actor", "没有用户名或姓名为“nobody-here”的账户"),
        ({"target": "JJYS-1999-00001", "target_type": "applications.application"}, "target", "没有案件编号为"),
        ({"action": "case.explode"}, "action", "没有这一项，请从列表中选择。"),
        ({"target_type": "no.such"}, "target_type", "没有这一项，请从列表中选择。"),
        ({"target": "x" * 65}, "target", "64"),
    ],
)
def test_a_wrong_filter_is_explained_beside_its_field_and_the_page_still_renders(
    client, auditor, log, params, field, message
):
    response = get(client, auditor, **params)
    text = response.content.decode()
    error = re.search(rf'<p class="field-error" id="id_{field}_error" role="alert">([^<]*)</p>', text)
    assert error, text
    assert message in error.group(1)
    assert 'aria-describedby="' in text and f"id_{field}_error" in text
    assert response.context["rows"] == []
    assert "请先更正筛选条件。" in text
    assert reverse("auditlog:export") not in text  # nothing to export from a filter that is wrong
    assert client.get(EXPORT, params).status_code == 400


@pytest.mark.parametrize("cursor", ["abc", "-1", "1" * 40])
def test_a_broken_page_cursor_shows_the_newest_entries(client, auditor, log, cursor):
    response = get(client, auditor, after=cursor)
    assert "翻页位置无效" in response.content.decode()
    assert len(ids_on(response)) == 6


# --- paging -----------------------------------------------------------------------------------------------


@pytest.fixture
def many(time_machine, auditor, monkeypatch):
    """23 entries in runs that share one timestamp (a bulk import writes them so), 5 to a page."""
    monkeypatch.setattr(selectors, "PAGE_SIZE", 5)
    clerk = UserFactory(username="clerk-many", roles=["clerk"])
    case = ApplicationFactory(submitted=True)
    made = []
    for minute, run in enumerate([4, 7, 1, 6, 5]):
        time_machine.move_to(at(10, 9, minute), tick=False)
        made += [audit(clerk, EventType.CASE_MATERIAL, case, after={"n": len(made)}) for _ in range(run)]
    audit(clerk, EventType.CASE_MATERIAL, ("other.thing", 1))  # not this case: filtered out below
    return case, made


def _walk(client, url, params, link_rel):
    seen, pages = [], 0
    response = client.get(url, params)
    while True:
        pages += 1
        seen.append(ids_on(response))
        match = re.search(rf'<a rel="{link_rel}" href="\?([^"]+)"', response.content.decode())
        if not match:
            return seen, pages, response
        response = client.get(f"{url}?{match.group(1).replace('&amp;', '&')}")
        assert pages < 20


def test_pages_follow_each_other_without_gaps_or_repeats_across_equal_timestamps(client, auditor, many):
    case, made = many
    client.force_login(auditor)
    expected = [e.pk for e in sorted(made, key=lambda e: (e.at, e.pk), reverse=True)]
    pages, count, last = _walk(client, URL, {"target": case.case_number}, "next")
    assert count == 5  # 23 entries, 5 a page
    assert [len(p) for p in pages] == [5, 5, 5, 5, 3]
    assert [pk for p in pages for pk in p] == expected
    assert "下一页" not in last.content.decode()


def _walk_back(client, response):
    pages = []
    while True:
        pages.append(ids_on(response))
        match = re.search(r'<a rel="prev" href="\?([^"]+)"', response.content.decode())
        if not match:
            return pages, len(pages), response
        response = client.get(f"{URL}?{match.group(1).replace('&amp;', '&')}")
        assert len(pages) < 20


def test_newer_pages_are_the_same_pages_backwards(client, auditor, many):
    case, made = many
    client.force_login(auditor)
    forward, _, last = _walk(client, URL, {"target": case.case_number}, "next")
    backward, _, first = _walk_back(client, last)
    assert backward == forward[::-1]
    assert "最新记录" in last.content.decode() and "最新记录" not in client.get(URL).content.decode()


def test_the_filter_is_kept_in_the_page_links(client, auditor, many):
    case, _made = many
    response = get(client, auditor, target=case.case_number)
    assert f"target={case.case_number}&amp;after=" in response.content.decode()


def test_a_page_neither_counts_nor_skips_rows(client, auditor, many):
    """Issue 18 opens this page at a million cases: a page seeks from its cursor, it never counts the log or
    skips rows with OFFSET, each of which reads every row it passes."""
    case, _ = many
    client.force_login(auditor)
    first = client.get(URL, {"actor": "clerk-many"})
    cursor = first.context["page"].next_after
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL, {"actor": "clerk-many", "after": cursor})
    assert response.status_code == 200
    log_queries = [q["sql"].upper() for q in queries.captured_queries if "INVEST_AUDITENTRY" in q["sql"].upper()]
    sql = " ".join(log_queries)
    assert "COUNT(" not in sql
    assert "OFFSET" not in sql
    assert len(log_queries) < 25


# --- what a row says --------------------------------------------------------------------------------------


def test_a_row_shows_who_in_which_role_what_changed_and_links_the_case(client, auditor, log):
    case_a, case_b = log["a"], log["b"]
    text = get(client, auditor).content.decode()
    assert f'<a href="{reverse("portal:staff_case", args=[case_a.pk])}">{case_a.case_number}</a>' in text
    assert '王受理<br><span class="muted">受理员</span>' in text
    assert "受理" in text and '<code class="muted action-key">case.accept</code>' in text
    # state keys read as the states' labels, only changed keys are listed, nested keys by their path
    assert '<code>state</code>：已提交 <span aria-label="改为">→</span> 待补正' in text
    assert '<code>facts.local_spend</code>：500000 <span aria-label="改为">→</span> 650000' in text
    assert "<code>project_title</code>" not in text  # unchanged
    assert "缺少拍摄计划" in text
    assert case_b.case_number in text
    assert "2026-03-03 23:30:00" in text  # Beijing time


def test_the_page_is_read_only(client, auditor, log):
    client.force_login(auditor)
    text = client.get(URL).content.decode()
    main = text.split("<main", 1)[1]  # (the header's 退出 is the site's one POST form, outside the page)
    assert re.findall(r"<form[^>]*>", main) == [
        '<form method="get" class="panel filters audit-filters" aria-label="筛选审计记录" novalidate>'
    ]
    assert 'method="post"' not in main.lower()
    assert "<caption" in main and 'scope="col"' in main
    assert client.post(URL).status_code == 405
    assert client.post(EXPORT).status_code == 405


# --- the export -------------------------------------------------------------------------------------------


def _sheet(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(response.content))
    return [list(r) for r in book.active.iter_rows(values_only=True)]


def test_the_export_holds_the_rows_of_the_same_filter(client, auditor, log):
    client.force_login(auditor)
    params = {"actor": "王受理", "target_type": "applications.application"}
    rows = _sheet(client.get(EXPORT, params))
    assert rows[0] == [
        "时间",
        "操作人",
        "角色",
        "事项代码",
        "事项",
        "对象类型",
        "对象编号",
        "变更前（JSON）",
        "变更后（JSON）",
        "理由",
    ]
    page_ids = ids_on(client.get(URL, params))
    entries = {e.pk: e for e in AuditEntry.objects.filter(pk__in=page_ids)}
    assert [r[3] for r in rows[1:]] == [entries[pk].action for pk in page_ids]
    late = rows[1]
    assert late[0] == dt.datetime(2026, 3, 3, 23, 30)
    assert late[1:7] == [
        "王受理",
        "受理员",
        "case.request_correction",
        late[4],
        "applications.application",
        str(log["b"].pk),
    ]
    assert late[7] == '{"state": "submitted"}' and late[8] == '{"state": "correction_requested"}'
    assert late[9] == "缺少拍摄计划"
    assert rows[2][4] == "受理"  # the transition's label


def test_the_export_of_everything_matches_the_page_unfiltered(client, auditor, log):
    client.force_login(auditor)
    rows = _sheet(client.get(EXPORT))
    assert len(rows) == 1 + 6
    assert [r[6] for r in rows[1:]] == [AuditEntry.objects.get(pk=pk).target_id for pk in ids_on(client.get(URL))]


def test_an_export_over_the_cap_is_cut_and_says_so(client, auditor, log, monkeypatch):
    monkeypatch.setattr(selectors, "EXPORT_CAP", 3)
    client.force_login(auditor)
    rows = _sheet(client.get(EXPORT))
    assert len(rows) == 1 + 3 + 1
    assert "已截断" in rows[-1][0] and "前 3 条" in rows[-1][0]
    rows = _sheet(client.get(EXPORT, {"actor": "赵管理"}))  # two rows: under the cap, no note
    assert len(rows) == 3 and not any("已截断" in str(r[0]) for r in rows)


def test_exported_text_is_never_a_formula(client, auditor, log):
    audit(log["manager"], EventType.LEAD_EDIT, ("investment.lead", 41), after={"name": "=1+1"}, reason="@SUM(A1)")
    client.force_login(auditor)
    rows = _sheet(client.get(EXPORT))
    assert rows[1][9] == "'@SUM(A1)"
    assert rows[1][8] == '{"name": "=1+1"}'


# --- who may open it --------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["auditor", "manager"])
def test_auditors_and_managers_open_the_page_and_see_it_in_the_menu(client, role):
    client.force_login(UserFactory(roles=[role]))
    response = client.get(URL)
    assert response.status_code == 200
    assert '<a href="/audit/" aria-current="page">审计日志</a>' in response.content.decode()
    assert client.get(EXPORT).status_code == 200


@pytest.mark.parametrize("role", ["applicant", "clerk", "reviewer", "expert", "approver", "finance"])
def test_other_roles_are_refused(client, role):
    client.force_login(UserFactory(roles=[role]))
    assert client.get(URL).status_code == 403
    assert client.get(EXPORT).status_code == 403
    assert "审计日志" not in client.get("/").content.decode()


def test_visitors_are_sent_to_log_in(client):
    for url in (URL, EXPORT):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
