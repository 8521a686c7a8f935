"""E-mail and SMS: sent after the commit by a task on the queue, with the inbox's link made absolute, retried a
bounded number of times; a mail server that is down never fails the request."""

import logging
import socket

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from applications import services
from applications.models import Notification
from invest import notify as notify_module
from invest.notify import notify, send_notification_emails, send_sms
from tests.factories.applications import ApplicationFactory
from tests.factories.companies import MembershipFactory, UserFactory

from .backends import DownEmailBackend, FlakyEmailBackend, RecordingSMSBackend
from .conftest import DATABASE_QUEUE, SITE, run_queue

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_backends():
    DownEmailBackend.attempts = FlakyEmailBackend.attempts = 0
    RecordingSMSBackend.sent, RecordingSMSBackend.fail = [], False


def mail_rows(entry) -> list[DBTaskResult]:
    """The queue's record of every e-mail task that carried ``entry``, oldest first."""
    rows = DBTaskResult.objects.filter(task_path="invest.notify.send_notification_emails").order_by("enqueued_at")
    return [r for r in rows if entry.pk in r.args_kwargs["args"][0]]


def accept(app, clerk, capture):
    client = Client()
    client.force_login(clerk)
    with capture(execute=True):
        response = client.post(
            reverse("portal:staff_act", args=[app.pk, "accept"]), {"confirmed": "1", "seen_state": app.state}
        )
    return response


def test_each_email_carries_the_recipients_own_link_absolute_from_site_url(
    submitted, staff, django_capture_on_commit_callbacks
):
    app, applicant = submitted
    mail.outbox.clear()
    assert accept(app, staff["clerk"], django_capture_on_commit_callbacks).status_code == 302

    to_applicant = [m for m in mail.outbox if m.to == [applicant.email]]
    assert len(to_applicant) == 1
    assert f"{SITE}/my/cases/{app.pk}/" in to_applicant[0].body
    assert f"{SITE}/inbox/" in to_applicant[0].body
    assert "您的申报“电影《江津往事》”" in to_applicant[0].body
    to_reviewer = [m for m in mail.outbox if m.to == [staff["reviewer"].email]]
    assert len(to_reviewer) == 1 and f"{SITE}/workbench/cases/{app.pk}/" in to_reviewer[0].body
    assert f"/my/cases/{app.pk}/" not in to_reviewer[0].body
    assert Notification.objects.get(recipient=applicant, event="case.accept").email_status == "sent"


def test_mail_goes_out_from_the_queue_not_from_the_request(
    settings, submitted, staff, django_capture_on_commit_callbacks
):
    settings.TASKS = DATABASE_QUEUE
    app, applicant = submitted
    mail.outbox.clear()
    assert accept(app, staff["clerk"], django_capture_on_commit_callbacks).status_code == 302
    assert mail.outbox == []  # the request sent nothing
    queued = DBTaskResult.objects.filter(task_path="invest.notify.send_notification_emails", status="READY")
    assert queued.count() >= 1

    ran = run_queue()
    assert {r.status for r in ran if r.task_path.endswith("send_notification_emails")} == {"SUCCESSFUL"}
    assert any(m.to == [applicant.email] and f"{SITE}/my/cases/{app.pk}/" in m.body for m in mail.outbox)


def test_a_mail_server_that_is_down_is_retried_then_recorded_as_failed(
    settings, submitted, staff, django_capture_on_commit_callbacks
):
    settings.TASKS = DATABASE_QUEUE
    settings.EMAIL_BACKEND = "tests.notifications.backends.DownEmailBackend"
    app, applicant = submitted
    response = accept(app, staff["clerk"], django_capture_on_commit_callbacks)
    assert response.status_code == 302  # the clerk's action succeeded although mail is down
    app.refresh_from_db()
    assert app.state == "accepted"
    entry = Notification.objects.get(recipient=applicant, event="case.accept")

    first = run_queue()  # attempt 1 fails; attempt 2 waits for its time
    mail_tasks = [r for r in first if r.task_path.endswith("send_notification_emails")]
    assert mail_tasks and all(r.status == "SUCCESSFUL" for r in mail_tasks)  # this attempt ended by queueing the next
    [retry] = [r for r in mail_rows(entry) if r.status == "READY"]
    assert retry.args_kwargs["kwargs"]["attempt"] == 2
    assert (retry.run_after - retry.enqueued_at).total_seconds() >= 59  # NOTIFY_RETRY_DELAY later
    entry.refresh_from_db()
    assert (entry.email_status, entry.email_attempts) == ("pending", 1)
    assert "SMTPServerDisconnected" in entry.email_error

    run_queue(later=True)  # attempts 2 and 3 (NOTIFY_MAX_ATTEMPTS = 3), then no more
    entry.refresh_from_db()
    assert (entry.email_status, entry.email_attempts) == ("failed", 3)
    rows = mail_rows(entry)
    assert [r.args_kwargs["kwargs"].get("attempt", 1) for r in rows] == [1, 2, 3]
    assert [r.status for r in rows] == ["SUCCESSFUL", "SUCCESSFUL", "FAILED"]
    assert rows[-1].exception_class_path == "invest.notify.NotDelivered"
    assert not DBTaskResult.objects.filter(status="READY", task_path__endswith="send_notification_emails").exists()
    assert entry.read_at is None and entry.subject  # the inbox entry is there whatever the mail did


def test_an_smtp_server_that_refuses_connections_does_not_fail_the_request(
    settings, submitted, staff, django_capture_on_commit_callbacks
):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 2
    app, applicant = submitted  # tasks run at once (ImmediateBackend): even then the request is untouched
    assert accept(app, staff["clerk"], django_capture_on_commit_callbacks).status_code == 302
    entry = Notification.objects.get(recipient=applicant, event="case.accept")
    assert (entry.email_status, entry.email_attempts) == ("failed", 3)
    assert "ConnectionRefusedError" in entry.email_error


def test_a_passing_failure_is_retried_and_the_mail_sent_once(settings):
    settings.EMAIL_BACKEND = "tests.notifications.backends.FlakyEmailBackend"
    FlakyEmailBackend.failures = 2
    user = UserFactory(email="li@film.example")
    notify([user], event="membership.confirmed", subject="企业成员已确认", body="您已成为成员。", url="/companies/")
    [entry] = Notification.objects.filter(recipient=user)
    send_notification_emails.enqueue([entry.pk])  # as on_commit does
    entry.refresh_from_db()
    assert (entry.email_status, entry.email_attempts) == ("sent", 3)
    assert len(mail.outbox) == 1 and f"{SITE}/companies/" in mail.outbox[0].body
    send_notification_emails.enqueue([entry.pk])  # a second run (a requeued task) sends nothing again
    assert len(mail.outbox) == 1


def test_a_queue_that_cannot_be_reached_is_logged_not_raised(monkeypatch, caplog, django_capture_on_commit_callbacks):
    def down(*args, **kwargs):
        raise ConnectionError("queue database unreachable")

    monkeypatch.setattr(type(send_notification_emails), "enqueue", down)
    user = UserFactory(email="wang@film.example")
    with caplog.at_level(logging.ERROR, logger="invest.notify"), django_capture_on_commit_callbacks(execute=True):
        notify([user], event="test.x", subject="标题", body="正文")
    assert Notification.objects.filter(recipient=user).count() == 1
    assert "could not queue" in caplog.text


def test_users_without_an_address_get_only_the_inbox_entry(django_capture_on_commit_callbacks):
    user = UserFactory(email="")
    with django_capture_on_commit_callbacks(execute=True):
        notify([user], event="test.x", subject="标题", body="正文")
    assert Notification.objects.get(recipient=user).email_status == "none"
    assert mail.outbox == []


def test_case_notices_go_by_sms_to_the_company_phone_through_the_logging_backend(
    submitted, staff, caplog, django_capture_on_commit_callbacks
):
    app, applicant = submitted
    with caplog.at_level(logging.INFO, logger="invest.sms"):
        accept(app, staff["clerk"], django_capture_on_commit_callbacks)
    sms = [r.getMessage() for r in caplog.records if r.name == "invest.sms"]
    assert len(sms) == 1  # to the company, once; the office users' queue notice is not an SMS
    assert "023-47521234" in sms[0] and app.case_number in sms[0] and f"{SITE}/my/cases/{app.pk}/" in sms[0]


def test_a_configured_sms_provider_is_used_and_retried(settings, django_capture_on_commit_callbacks):
    settings.SMS_BACKEND = "tests.notifications.backends.RecordingSMSBackend"
    member = MembershipFactory(company__contact_phone="13800000000")
    app = ApplicationFactory(company=member.company, accepted=True)
    with django_capture_on_commit_callbacks(execute=True):
        services._notify([member.user], app, "case.test", "【案件】已受理", "您的申报已受理。")
    assert RecordingSMSBackend.sent == [("13800000000", f"【案件】已受理 您的申报已受理。 {SITE}/my/cases/{app.pk}/")]

    settings.TASKS = DATABASE_QUEUE
    RecordingSMSBackend.fail = True
    send_sms.enqueue("13800000000", "测试")
    run_queue(later=True)
    rows = DBTaskResult.objects.filter(task_path="invest.notify.send_sms").order_by("enqueued_at")
    assert [r.args_kwargs["kwargs"].get("attempt", 1) for r in rows] == [1, 2, 3]
    assert [r.status for r in rows] == ["SUCCESSFUL", "SUCCESSFUL", "FAILED"]


def test_no_sms_without_a_company_phone_or_for_office_users(settings, staff, django_capture_on_commit_callbacks):
    settings.SMS_BACKEND = "tests.notifications.backends.RecordingSMSBackend"
    member = MembershipFactory(company__contact_phone="")
    app = ApplicationFactory(company=member.company, accepted=True)
    phoned = ApplicationFactory(company__contact_phone="13800000000", accepted=True)
    with django_capture_on_commit_callbacks(execute=True):
        services._notify([member.user], app, "case.test", "主题", "正文")
        services._notify([staff["reviewer"]], phoned, "queue", "待办", "正文")  # not a member of that company
    assert RecordingSMSBackend.sent == []


def test_the_sms_backend_is_chosen_by_setting(settings):
    from invest.sms import LoggingSMSBackend, get_sms_backend

    assert isinstance(get_sms_backend(), LoggingSMSBackend)
    settings.SMS_BACKEND = "tests.notifications.backends.RecordingSMSBackend"
    assert isinstance(get_sms_backend(), RecordingSMSBackend)
    assert notify_module.absolute("/x/") == f"{SITE}/x/"
