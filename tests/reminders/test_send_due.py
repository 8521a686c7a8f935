"""invest.reminders.send_due: each key once, whatever how often (or how many at once) it runs."""

import time
from datetime import date

import pytest
from django.core.management import CommandError, call_command

from applications.models import Notification
from invest import notify as notify_module
from invest import reminders
from invest.models import ReminderLog
from invest.reminders import Reminder, send_due
from tests.concurrency import run_simultaneously
from tests.factories.companies import UserFactory

DAY = date(2027, 3, 15)


@pytest.fixture
def people(db):
    return UserFactory(username="甲"), UserFactory(username="乙")


@pytest.fixture
def only(monkeypatch):
    """Run send_due with exactly these sources."""

    def use(*sources):
        monkeypatch.setattr(reminders, "SOURCES", list(sources))

    return use


def _reminder(people, key="test:1"):
    return Reminder(
        key=key,
        recipients=(*people, people[0], None),  # a repeated and a missing recipient count once and not at all
        event="reminder.test",
        subject="【测试】提醒",
        body="请于 2027-03-20 前办理。",
        url="/my/cases/",
    )


@pytest.mark.django_db
def test_a_key_is_sent_once_and_a_new_key_again(people, only):
    days = []

    def source(today):
        days.append(today)
        yield _reminder(people)
        yield _reminder(people)  # the same event twice in one run
        if today > DAY:
            yield _reminder(people, key="test:2")

    only(source)
    assert send_due(DAY) == 1
    assert send_due(DAY) == 0
    assert send_due(date(2027, 3, 16)) == 1
    assert days == [DAY, DAY, date(2027, 3, 16)]
    assert sorted(Notification.objects.values_list("recipient__username", flat=True)) == ["乙", "乙", "甲", "甲"]
    log = ReminderLog.objects.get(key="test:1")
    assert (log.event, log.recipient_count) == ("reminder.test", 2)
    assert Notification.objects.filter(url="/my/cases/", subject="【测试】提醒").count() == 4


@pytest.mark.django_db
def test_a_failed_notice_leaves_no_record_so_the_next_run_sends_it(people, only, monkeypatch):
    only(lambda today: [_reminder(people)])
    real = notify_module.notify

    def broken(*args, **kwargs):
        real(*args, **kwargs)  # the inbox entries are written, then the run fails: both roll back
        raise RuntimeError("mail server on fire")

    monkeypatch.setattr(notify_module, "notify", broken)
    errors = []
    assert send_due(DAY, errors=errors) == 0
    assert errors and "test:1" in errors[0]
    assert not ReminderLog.objects.exists() and not Notification.objects.exists()
    monkeypatch.setattr(notify_module, "notify", real)
    assert send_due(DAY) == 1
    assert Notification.objects.count() == 2


@pytest.mark.django_db
def test_a_broken_source_does_not_silence_the_others_and_the_command_says_so(people, only, capsys):
    def broken(today):
        raise ValueError("no calendar")

    only(broken, lambda today: [_reminder(people)])
    with pytest.raises(CommandError, match="1 reminder source"):
        call_command("send_reminders", "--date", "2027-03-15")
    captured = capsys.readouterr()
    assert "1 reminder(s) sent" in captured.out and "no calendar" in captured.err
    assert ReminderLog.objects.filter(key="test:1").exists()


@pytest.mark.django_db
def test_the_command_refuses_a_date_it_cannot_read():
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("send_reminders", "--date", "15.03.2027")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_send_a_reminder_once(people, only, monkeypatch):
    """Both runs find the key unsent (the pre-check is bypassed) and insert it; PostgreSQL makes the second wait
    for the first's commit, and the unique key refuses it."""
    only(lambda today: [_reminder(people)])
    monkeypatch.setattr(reminders, "_already_sent", lambda keys: set())
    real = notify_module.notify

    def slow(*args, **kwargs):
        real(*args, **kwargs)
        time.sleep(0.5)  # hold the uncommitted ReminderLog row while the other run tries its insert

    monkeypatch.setattr(notify_module, "notify", slow)
    sent = []
    outcomes = run_simultaneously([lambda: sent.append(send_due(DAY)), lambda: sent.append(send_due(DAY))], refused=())
    assert outcomes == ["ok", "ok"]
    assert sorted(sent) == [0, 1]
    assert ReminderLog.objects.count() == 1
    assert Notification.objects.count() == 2


@pytest.mark.django_db
def test_every_registered_source_runs_on_a_quiet_day(capsys):
    """The sources the apps register (cases, obligations) all run, and with nothing due send nothing."""
    modules = {s.__module__ for s in reminders.SOURCES}
    assert {"applications.reminders", "applications.obligations.reminders"} <= modules
    call_command("send_reminders", "--date", "2027-03-15")
    assert capsys.readouterr().out.strip() == "0 reminder(s) sent"
