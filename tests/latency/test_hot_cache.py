"""What every request re-reads is cached across requests (invest.hotcache), and a change is seen at once.

Roles, memberships, the working-day calendar and the queue's item and round choices: each test warms the
cache through a page, changes the data the way people do (the accounts page, a membership decision, a
calendar edit, a catalogue edit), and checks that the very next request or deadline sees the change; the
query-count tests check that the warm requests no longer read these tables.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from applications.models import CalendarDay, CalendarYear
from applications.workdays import WorkingCalendar, add_working_days
from companies.models import Membership
from companies.selectors import member_company_ids
from companies.services import request_membership
from invest import hotcache
from invest.roles import holders, user_roles
from tests.factories.applications import ApplicationFactory, CaseItemFactory, CaseRoundFactory
from tests.factories.companies import CompanyFactory, MembershipFactory

pytestmark = pytest.mark.django_db


def tables(ctx) -> list[str]:
    """The tables each captured query reads (its FROM), in order."""
    out = []
    for q in ctx.captured_queries:
        sql = q["sql"]
        if " FROM " in sql:
            out.append(sql.split(" FROM ", 1)[1].split()[0].strip('"'))
    return out


def warm(client, url: str):
    first = client.get(url)
    assert first.status_code == 200
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return tables(ctx)


# roles ---------------------------------------------------------------------------------------------------


def test_a_role_granted_on_the_accounts_page_is_seen_on_the_next_request(client, staff):
    clerk = staff["clerk"]
    client.force_login(clerk)
    assert client.get(reverse("portal:workbench")).status_code == 200
    assert cache.get(hotcache.roles_key(clerk.pk)) == ["clerk"]  # cached for the next requests

    manager = client.__class__()
    manager.force_login(staff["manager"])
    changed = manager.post(
        f"/office/accounts/{clerk.pk}/", {"full_name": "李受理", "email": "li@jj.gov.cn", "roles": ["reviewer"]}
    )
    assert changed.status_code == 302
    page = client.get(reverse("portal:workbench"))
    assert user_roles(page.wsgi_request.user) == {"reviewer"}  # what this request saw, not the cached clerk


def test_a_role_taken_away_closes_the_workbench_on_the_next_request(client, staff):
    reviewer = staff["reviewer"]
    client.force_login(reviewer)
    assert client.get(reverse("portal:workbench")).status_code == 200  # roles cached
    assert cache.get(hotcache.roles_key(reviewer.pk)) == ["reviewer"]
    Group.objects.get(name="reviewer").user_set.remove(reviewer)  # from the group's side
    assert client.get(reverse("portal:workbench")).status_code in (302, 403)


def test_clearing_a_group_is_seen_by_every_member(client, staff):
    client.force_login(staff["approver"])
    assert client.get(reverse("portal:workbench")).status_code == 200
    Group.objects.get(name="approver").user_set.clear()
    assert client.get(reverse("portal:workbench")).status_code in (302, 403)


def test_the_workbench_reads_neither_groups_nor_items_nor_rounds_when_warm(client, staff):
    CaseItemFactory()
    client.force_login(staff["reviewer"])
    read = warm(client, reverse("portal:workbench"))
    assert "auth_group" not in read
    assert "policies_supportitem" not in read and "policies_round" not in read
    assert read.count("django_session") == 1  # the session is still read, once


def test_role_holders_are_asked_by_group_id_and_a_new_group_is_found(staff):
    """holders() puts the groups' ids in the query (no join on the group's name, which PostgreSQL misjudges
    at 100,000 applicants), from the shared cache, which a new or renamed group refreshes."""
    from tests.factories.companies import UserFactory

    assert list(holders("expert")) == [staff["expert"]]
    with CaptureQueriesContext(connection) as ctx:
        assert list(holders("expert", "reviewer").order_by("pk")) == sorted(
            [staff["expert"], staff["reviewer"]], key=lambda u: u.pk
        )
    sql = " ".join(q["sql"] for q in ctx.captured_queries)
    assert '"auth_group"' not in sql and "auth_user_groups" in sql  # the ids were cached by the first call
    newcomer = UserFactory(username="newcomer")
    newcomer.groups.add(Group.objects.create(name="observer"))
    assert list(holders("observer")) == [newcomer]
    Group.objects.filter(name="observer").update(name="watcher")  # no signal: the cached id still names it
    renamed = Group.objects.get(name="watcher")
    renamed.save()  # a saved group refreshes the ids
    assert list(holders("watcher")) == [newcomer] and list(holders("observer")) == []


# memberships ---------------------------------------------------------------------------------------------


def test_a_confirmed_membership_opens_the_companys_case_on_the_next_request(client, staff):
    company = CompanyFactory()
    first = MembershipFactory(company=company).user  # the company's first member decides
    case = ApplicationFactory(company=company, submitted=True)
    newcomer = MembershipFactory().user  # an applicant of another company
    client.force_login(newcomer)
    url = reverse("portal:case", args=[case.pk])
    assert client.get(url).status_code == 404
    assert company.pk not in cache.get(hotcache.members_key(newcomer.pk))  # cached without the company

    membership = request_membership(newcomer, company.credit_code)
    decider = client.__class__()
    decider.force_login(first)
    decided = decider.post(reverse("companies:decide", args=[membership.pk]), {"decision": "confirm"})
    assert decided.status_code == 302
    assert client.get(url).status_code == 200


def test_an_ended_membership_closes_the_case_on_the_next_request(client):
    membership = MembershipFactory()
    case = ApplicationFactory(company=membership.company, submitted=True)
    client.force_login(membership.user)
    url = reverse("portal:case", args=[case.pk])
    assert client.get(url).status_code == 200
    Membership.objects.filter(pk=membership.pk).delete()
    assert client.get(url).status_code in (302, 403, 404)


def test_my_cases_reads_the_memberships_once_when_cold_and_not_when_warm(client):
    membership = MembershipFactory()
    ApplicationFactory(company=membership.company, submitted=True)
    client.force_login(membership.user)
    with CaptureQueriesContext(connection) as cold:
        assert client.get(reverse("portal:my_cases")).status_code == 200
    assert tables(cold).count("companies_membership") == 1  # it was read twice
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("portal:my_cases")).status_code == 200
    read = tables(ctx)
    assert "companies_membership" not in read and "auth_group" not in read
    assert "applications_calendarday" not in read and "applications_calendaryear" not in read


def test_nothing_read_inside_a_transaction_is_kept_for_other_requests():
    membership = MembershipFactory()
    with transaction.atomic():
        assert member_company_ids(membership.user) == {membership.company_id}
    assert cache.get(hotcache.members_key(membership.user_id)) is None
    assert member_company_ids(membership.user) == {membership.company_id}
    assert cache.get(hotcache.members_key(membership.user_id)) == [membership.company_id]


# the calendar --------------------------------------------------------------------------------------------


def test_a_holiday_entered_by_a_manager_moves_the_next_deadline():
    # 2027 has no schedule: 10 working days after Friday 1 October 2027 end on Friday 15 October.
    assert add_working_days(date(2027, 10, 1), 10) == date(2027, 10, 15)
    year = CalendarYear.objects.create(year=2027, source=CalendarYear.Source.MANUAL)
    CalendarDay.objects.create(year=year, date=date(2027, 10, 4), kind=CalendarDay.Kind.HOLIDAY, name="国庆节")
    assert add_working_days(date(2027, 10, 1), 10) == date(2027, 10, 18)
    CalendarDay.objects.filter(date=date(2027, 10, 4)).delete()
    assert add_working_days(date(2027, 10, 1), 10) == date(2027, 10, 15)


def test_a_reseed_from_the_package_is_seen_by_the_next_deadline():
    from applications.workdays import seed_from_package

    assert not WorkingCalendar().is_working_day(date(2026, 10, 7))  # a National Day holiday, kept in memory
    CalendarDay.objects.filter(date=date(2026, 10, 7)).delete()  # a manager's (mistaken) edit
    assert WorkingCalendar().is_working_day(date(2026, 10, 7))
    assert seed_from_package([2026], overwrite=True) == [2026]  # bulk_create: no signals, an explicit bump
    assert not WorkingCalendar().is_working_day(date(2026, 10, 7))


def test_the_calendar_is_read_once_per_process_until_it_changes():
    WorkingCalendar().is_working_day(date(2026, 10, 1))
    with CaptureQueriesContext(connection) as ctx:
        assert not WorkingCalendar().is_working_day(date(2026, 10, 1))
    assert "applications_calendarday" not in tables(ctx)


def test_another_processs_calendar_edit_is_seen_through_the_version():
    assert not WorkingCalendar().is_working_day(date(2026, 10, 1))  # National Day, in this process's memory
    # Another process changed the day without this process's signals, and wrote a new version.
    CalendarDay.objects.filter(date=date(2026, 10, 1)).update(kind=CalendarDay.Kind.WORKDAY)
    assert not WorkingCalendar().is_working_day(date(2026, 10, 1))  # no new version: still the kept copy
    cache.set(hotcache.CALENDAR, "written-by-another-process", None)
    assert WorkingCalendar().is_working_day(date(2026, 10, 1))


def test_the_deadline_on_a_page_uses_the_calendar_just_edited(client):
    membership = MembershipFactory()
    later = date.today().year + 2  # a year with no schedule on file: the weekend rule
    case = ApplicationFactory(company=membership.company, submitted=True)
    case.due_date, case.due_kind = date(later, 1, 20), "acceptance"
    case.save(update_fields=["due_date", "due_kind"])
    client.force_login(membership.user)

    def days_left() -> int:
        rows = client.get(reverse("portal:my_cases")).context["cases"]
        return next(d for c, d in rows if c.pk == case.pk)["left"]

    left = days_left()  # the calendar of every year on the way is now in this process's memory
    holiday = next(date(later, 1, d) for d in range(10, 20) if date(later, 1, d).weekday() < 5)
    year = CalendarYear.objects.create(year=later, source=CalendarYear.Source.MANUAL)
    CalendarDay.objects.create(year=year, date=holiday, kind=CalendarDay.Kind.HOLIDAY, name="测试假日")
    assert days_left() == left - 1


# the item and round choices ------------------------------------------------------------------------------


def test_a_renamed_item_shows_in_the_queue_filter_on_the_next_request(client, staff):
    item = CaseItemFactory(code="T-HOT-01", name="旧名称")
    client.force_login(staff["reviewer"])
    assert "T-HOT-01 旧名称" in client.get(reverse("portal:workbench")).text
    item.name = "新名称"
    item.save()
    CaseRoundFactory(policy=item.policy, name="第九批")
    page = client.get(reverse("portal:workbench")).text
    assert "T-HOT-01 新名称" in page and "旧名称" not in page
    assert "第九批" in page


# the header's unread count -------------------------------------------------------------------------------


def test_the_unread_count_in_the_header_follows_new_and_read_entries(client):
    from invest.notify import mark_all_read, notify

    membership = MembershipFactory()
    user = membership.user
    client.force_login(user)

    def unread() -> int:
        return client.get(reverse("portal:my_cases")).context["inbox"].unread

    assert unread() == 0
    assert cache.get(hotcache.unread_key(user.pk)) == 0
    notify([user], event="test.event", subject="主题", body="正文")
    notify([user], event="test.event", subject="主题二", body="正文")
    assert unread() == 2
    mark_all_read(user)
    assert unread() == 0
