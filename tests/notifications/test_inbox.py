"""The inbox (/inbox/): what a case transition leaves there, where each entry leads, reading, and privacy."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from applications.models import Notification
from invest.notify import notify
from tests.factories.companies import UserFactory

pytestmark = pytest.mark.django_db


def accept_on_the_page(client, app, clerk):
    """The clerk presses 受理 on the office's case page (and confirms it, where the page asks)."""
    client.force_login(clerk)
    response = client.post(
        reverse("portal:staff_act", args=[app.pk, "accept"]), {"confirmed": "1", "seen_state": app.state}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    app.refresh_from_db()
    assert app.state == "accepted"


def unread_label(html: str) -> str | None:
    found = re.search(r"（未读通知 (\d+) 条）", html)
    return found.group(1) if found else None


def test_a_transition_leaves_an_entry_that_leads_the_applicant_to_their_case_page(client, submitted, staff):
    app, applicant = submitted
    accept_on_the_page(client, app, staff["clerk"])

    client.force_login(applicant)
    page = client.get(reverse("inbox:list")).content.decode()
    entry = Notification.objects.get(recipient=applicant, event="case.accept")
    assert entry.subject in page
    assert "您的申报“电影《江津往事》”" in page and "已受理" in page
    opened = client.get(reverse("inbox:open", args=[entry.pk]))
    assert opened.status_code == 302 and opened.url == reverse("portal:case", args=[app.pk])
    assert client.get(opened.url).status_code == 200  # the link works for this user
    entry.refresh_from_db()
    assert entry.read_at is not None


def test_the_staff_entry_leads_to_the_office_case_page(client, submitted, staff):
    app, _applicant = submitted
    accept_on_the_page(client, app, staff["clerk"])
    reviewer = staff["reviewer"]  # the case is now in the reviewer's queue
    entry = Notification.objects.get(recipient=reviewer, application=app, event="queue")

    client.force_login(reviewer)
    page = client.get(reverse("inbox:list")).content.decode()
    assert entry.subject in page
    opened = client.get(reverse("inbox:open", args=[entry.pk]))
    assert opened.url == reverse("portal:staff_case", args=[app.pk])
    assert client.get(opened.url).status_code == 200


def test_the_header_counts_unread_entries_and_reading_one_lowers_it(client, submitted, staff):
    app, applicant = submitted
    accept_on_the_page(client, app, staff["clerk"])
    client.force_login(applicant)
    mine = Notification.objects.filter(recipient=applicant).order_by("created_at", "id")
    assert mine.count() == 2  # 已提交, 已受理

    home = client.get(reverse("home")).content.decode()
    assert unread_label(home) == "2"
    assert 'href="/inbox/"' in home and ">通知<" in home
    client.get(reverse("inbox:open", args=[mine[0].pk]))
    assert unread_label(client.get(reverse("home")).content.decode()) == "1"
    client.get(reverse("inbox:open", args=[mine[1].pk]))
    assert unread_label(client.get(reverse("home")).content.decode()) is None


def test_mark_all_read_is_a_post_with_csrf(submitted, staff):
    app, applicant = submitted
    client = Client(enforce_csrf_checks=True)
    accept_on_the_page(Client(), app, staff["clerk"])
    client.force_login(applicant)
    page = client.get(reverse("inbox:list")).content.decode()
    assert "全部标为已读" in page and page.count('class="inbox-entry unread"') == 2

    assert client.get(reverse("inbox:read_all")).status_code == 405
    assert client.post(reverse("inbox:read_all")).status_code == 403  # no CSRF token
    assert Notification.objects.filter(recipient=applicant, read_at__isnull=True).count() == 2

    token = client.cookies["csrftoken"].value
    response = client.post(reverse("inbox:read_all"), {"csrfmiddlewaretoken": token}, follow=True)
    page = response.content.decode()
    assert "已将 2 条通知标为已读。" in page
    assert Notification.objects.filter(recipient=applicant, read_at__isnull=True).count() == 0
    assert 'class="inbox-entry unread"' not in page and unread_label(page) is None
    # the staff's own entries are untouched
    assert Notification.objects.filter(recipient=staff["reviewer"], read_at__isnull=True).exists()


def test_nobody_sees_opens_or_marks_someone_elses_entries(client, submitted, staff):
    app, applicant = submitted
    theirs = Notification.objects.get(recipient=applicant, event="case.submit")
    stranger = UserFactory(roles=["applicant"])
    client.force_login(stranger)
    page = client.get(reverse("inbox:list")).content.decode()
    assert theirs.subject not in page and "还没有通知" in page
    assert client.get(reverse("inbox:open", args=[theirs.pk])).status_code == 404
    client.post(reverse("inbox:read_all"))
    theirs.refresh_from_db()
    assert theirs.read_at is None
    # an office user does not see the applicant's entry either
    client.force_login(staff["manager"])
    assert client.get(reverse("inbox:open", args=[theirs.pk])).status_code == 404


def test_the_inbox_needs_a_sign_in(client, submitted):
    _app, applicant = submitted
    entry = Notification.objects.filter(recipient=applicant).first()
    for url in (reverse("inbox:list"), reverse("inbox:open", args=[entry.pk])):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_newest_first_paged_and_an_entry_without_a_case_leads_to_its_url(client):
    user = UserFactory()
    for n in range(23):
        notify([user], event="test.numbered", subject=f"第{n:02d}号通知", body="正文")
    notify([user], event="membership.confirmed", subject="企业成员已确认", body="您已成为成员。", url="/companies/")
    client.force_login(user)
    first = client.get(reverse("inbox:list")).content.decode()
    assert first.index("企业成员已确认") < first.index("第22号通知") < first.index("第05号通知")
    assert "第03号通知" not in first  # 24 entries, 20 a page
    second = client.get(reverse("inbox:list"), {"page": 2}).content.decode()
    assert "第03号通知" in second and "第00号通知" in second and "第22号通知" not in second

    entry = Notification.objects.get(recipient=user, event="membership.confirmed")
    assert "查看详情" in first
    assert client.get(reverse("inbox:open", args=[entry.pk])).url == "/companies/"
    unread_only = client.get(reverse("inbox:list"), {"unread": "1"}).content.decode()
    assert "企业成员已确认" not in unread_only and "第22号通知" in unread_only


def test_an_entry_never_redirects_off_the_site(client):
    user = UserFactory()
    notify([user], event="test.offsite", subject="外部链接", body="", url="https://evil.example/phish")
    entry = Notification.objects.get(recipient=user)
    client.force_login(user)
    response = client.get(reverse("inbox:open", args=[entry.pk]))
    assert response.url == f"{reverse('inbox:list')}#n{entry.pk}"


def test_the_header_count_costs_one_query_and_none_for_visitors(client, submitted):
    _app, applicant = submitted

    def notification_queries(url):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return [q["sql"] for q in queries.captured_queries if "applications_notification" in q["sql"]]

    assert notification_queries(reverse("home")) == []  # a visitor has no inbox
    client.force_login(applicant)
    assert len(notification_queries(reverse("home"))) == 1
    # on the inbox page itself: the count, the page count and the page of entries, no query per entry
    assert len(notification_queries(reverse("inbox:list"))) <= 3


def test_the_inbox_in_english(client, settings):
    user = UserFactory()
    notify([user], event="test.en", subject="标题", body="正文", url="/companies/")
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(reverse("inbox:list")).content.decode()
    assert "Mark all as read" in page and "Unread only" in page and "(1 unread notice)" in page
