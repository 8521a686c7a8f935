"""招商 follow-through: the follow-up log, response times with overdue flags, agreement milestones, and the
promised support shown on the company's cases. The manager works through the lead page, as in the office."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from applications.workdays import add_working_days
from companies.investment import response, services, workflow
from companies.investment.models import FollowUp, Lead, Milestone, ResponseTarget
from invest.audit import EventType
from invest.models import AuditEntry
from tests.factories import CompanyFactory, UserFactory
from tests.factories.applications import ApplicationFactory
from tests.factories.investment import LeadFactory
from tests.factories.policies import SupportItemFactory

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2026, 3, 2)  # no holiday in the working week after it


@pytest.fixture
def boss(client):
    user = UserFactory(roles=["manager"], first_name="招商", last_name="王")
    client.force_login(user)
    return user


def _lead(boss, **fields) -> Lead:
    return services.create_lead(boss, name=fields.pop("name", "北京光影传媒有限公司"), **fields)


def _log(client, lead, **data):
    return client.post(reverse("investment:follow_up", args=[lead.pk]), data)


def _pipeline(client, **params) -> str:
    return client.get(reverse("investment:pipeline"), params).content.decode()


def _flags(html: str, lead: Lead) -> str:
    """The 超时提醒 cell of the lead's row on the pipeline page."""
    row = re.search(rf'<a href="{reverse("investment:lead", args=[lead.pk])}">.*?</tr>', html, re.S)
    assert row, f"{lead} is not listed"
    return row.group(0).rsplit("<td>", 1)[1]


def test_the_seeded_response_times_are_one_three_and_five_working_days():
    assert dict(ResponseTarget.objects.values_list("key", "working_days")) == {
        "first_contact": 1,
        "assessment": 3,
        "feedback": 5,
    }
    assert set(response.CLOCKS) == set(ResponseTarget.Key.values)


def test_a_follow_up_logged_on_the_lead_page_is_in_the_log_and_the_history(client, boss):
    lead = _lead(boss)
    answer = _log(
        client,
        lead,
        kind="visit",
        on=dt.date.today().isoformat(),
        people="王主任、企业李总",
        notes="实地走访，企业有意在白沙设立制作中心",
    )
    assert answer.status_code == 302
    page = client.get(reverse("investment:lead", args=[lead.pk])).content.decode()
    assert "实地走访，企业有意在白沙设立制作中心" in page
    assert "王主任、企业李总" in page
    assert "登记跟进（走访）" in page  # the history line
    follow_up = FollowUp.objects.get(lead=lead)
    assert follow_up.kind == "visit" and follow_up.recorded_by == boss
    entry = AuditEntry.objects.get(action=EventType.LEAD_FOLLOW_UP)
    assert entry.target_id == str(lead.pk) and entry.after["follow_up"] == follow_up.pk


def test_a_follow_up_without_notes_or_in_the_future_is_refused_and_the_input_kept(client, boss):
    lead = _lead(boss)
    answer = _log(client, lead, kind="call", people="李总", notes="")
    assert answer.status_code == 400
    page = answer.content.decode()
    assert "请写明跟进情况" in page and 'value="李总"' in page
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    answer = _log(client, lead, kind="call", on=tomorrow, notes="电话沟通")
    assert answer.status_code == 400 and "跟进日期不能晚于今天" in answer.content.decode()
    assert not FollowUp.objects.exists()


def test_a_closed_lead_takes_no_follow_ups(client, boss):
    lead = LeadFactory(stage=workflow.LOST, stage__lose={"reason": "企业转投他地"}, owner=boss)
    answer = _log(client, lead, kind="call", notes="再联系一次")
    assert answer.status_code == 400
    assert "不再登记跟进" in answer.content.decode()
    assert not FollowUp.objects.exists()


def test_other_roles_cannot_log_follow_ups_or_milestones(client):
    owner = UserFactory(roles=["manager"])
    lead = _lead(owner)
    client.force_login(UserFactory(roles=["reviewer"]))
    assert _log(client, lead, kind="call", notes="x").status_code == 403
    assert client.post(reverse("investment:plan_milestone", args=[lead.pk]), {}).status_code == 403
    assert not FollowUp.objects.exists()


def test_overdue_flags_follow_the_working_days_and_the_log(client, boss, clock):
    clock.set(MONDAY)
    late = _lead(boss, name="迟迟未接洽的线索")
    on_time = _lead(boss, name="当天就接洽的线索")
    _log(client, on_time, kind="call", notes="电话接洽，约定下周走访")

    clock.set(add_working_days(MONDAY, 2))  # the first contact was due the next working day
    client.force_login(boss)
    html = _pipeline(client)
    assert "首次接洽超时（应于2026-03-03前）" in _flags(html, late)
    assert "超时" not in _flags(html, on_time)
    overdue_only = _pipeline(client, overdue="on")
    assert "迟迟未接洽的线索" in overdue_only and "当天就接洽的线索" not in overdue_only
    assert response.overdue_lead_ids(Lead.objects.all()) == [late.pk]

    # The late lead is called now: its first contact is done, but late, and its assessment clock starts.
    _log(client, late, kind="call", notes="补打电话")
    assert "超时" not in _flags(_pipeline(client), late)
    page = client.get(reverse("investment:lead", args=[late.pk])).content.decode()
    assert "超时完成" in page
    clocks = page[page.index("clocks-heading") :]
    assert clocks.index("首次接洽") < clocks.index("项目研判"), "the clocks are listed in the order a lead meets them"

    # Three working days after the call there is no assessment, five after registering no answer.
    clock.set(add_working_days(add_working_days(MONDAY, 2), 4))
    client.force_login(boss)
    flags = _flags(_pipeline(client), late)
    assert "项目研判超时" in flags and "答复企业超时" in flags

    # The days are data: a manager who allows ten working days clears the flags.
    ResponseTarget.objects.update(working_days=10)
    assert "超时" not in _flags(_pipeline(client), late)


def test_negotiation_ends_the_assessment_and_answer_clocks(boss, clock):
    clock.set(MONDAY)
    lead = _lead(boss)
    lead = services.advance(lead, "contact", boss, on=MONDAY)
    lead = services.advance(lead, "negotiate", boss)
    clock.set(MONDAY + dt.timedelta(days=30))
    rows = response.statuses(response.annotated(Lead.objects.filter(pk=lead.pk)))[lead.pk]
    assert [r.key for r in rows] == ["first_contact"] and not rows[0].overdue


def _signed(boss) -> Lead:
    return LeadFactory(stage=workflow.AGREEMENT_SIGNED, owner=boss)


def test_milestones_are_planned_reached_and_flagged_when_late(client, boss, clock):
    lead = _signed(boss)
    url = reverse("investment:plan_milestone", args=[lead.pk])
    today = clock.today
    answer = client.post(url, {"kind": "capital", "planned_on": today.isoformat()})
    assert answer.status_code == 400 and "请填写约定到资金额" in answer.content.decode()
    assert (
        client.post(
            url,
            {"kind": "capital", "planned_on": (today + dt.timedelta(days=10)).isoformat(), "planned_amount": "3000000"},
        ).status_code
        == 302
    )
    assert (
        client.post(
            url,
            {
                "kind": "groundbreaking",
                "planned_on": (today + dt.timedelta(days=5)).isoformat(),
                "planned_amount": "99",
            },
        ).status_code
        == 302
    )
    start = Milestone.objects.get(kind="groundbreaking")
    capital = Milestone.objects.get(kind="capital")
    assert start.planned_amount is None and capital.planned_amount == Decimal("3000000.00")

    clock.set(today + dt.timedelta(days=6))
    client.force_login(boss)  # the office session has timed out meanwhile
    assert "协议里程碑逾期" in _flags(_pipeline(client), lead)
    assert "已逾期" in client.get(reverse("investment:lead", args=[lead.pk])).content.decode()

    reach = reverse("investment:reach_milestone", args=[lead.pk, start.pk])
    assert client.post(reach, {f"m{start.pk}-reached_on": clock.today.isoformat()}).status_code == 302
    assert "协议里程碑逾期" not in _flags(_pipeline(client), lead)
    answer = client.post(reverse("investment:reach_milestone", args=[lead.pk, capital.pk]), {})
    assert answer.status_code == 400 and "请填写实际到资金额" in answer.content.decode()
    client.post(reverse("investment:reach_milestone", args=[lead.pk, capital.pk]), {f"m{capital.pk}-amount": "2500000"})
    capital.refresh_from_db()
    assert capital.amount == Decimal("2500000.00") and capital.reached_on == clock.today
    history = client.get(reverse("investment:lead", args=[lead.pk])).content.decode()
    assert "里程碑完成（到资）" in history and "登记协议里程碑（开工）" in history


def test_milestones_need_a_signed_agreement(client, boss):
    lead = _lead(boss)
    answer = client.post(
        reverse("investment:plan_milestone", args=[lead.pk]), {"kind": "production", "planned_on": "2027-01-01"}
    )
    assert answer.status_code == 400 and "签约后才能登记协议里程碑" in answer.content.decode()


def test_the_promised_support_is_shown_to_the_office_on_the_company_case(client, boss):
    company = CompanyFactory()
    item = SupportItemFactory(code="JJ-FILM-02")
    LeadFactory(
        stage=workflow.SETTLED,
        owner=boss,
        stage__sign_agreement={
            "committed_investment": Decimal("20000000"),
            "support_items": ["JJ-FILM-02"],
            "terms": "落户奖励按上限兑现，办公用房三年免租",
            "number": "JJ-ZS-2026-007",
        },
        stage__settle={"credit_code": company.credit_code},
    )
    case = ApplicationFactory(company=company, item=item, submitted=True)
    other = ApplicationFactory(item=item, submitted=True)
    url = reverse("portal:staff_case", args=[case.pk])
    for role in ("reviewer", "approver"):
        client.force_login(UserFactory(roles=[role]))
        page = client.get(url).content.decode()
        assert "一企一策承诺" in page and "办公用房三年免租" in page and "JJ-ZS-2026-007" in page, role
        assert "一企一策承诺" not in client.get(reverse("portal:staff_case", args=[other.pk])).content.decode()
