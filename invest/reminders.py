"""Reminders: sources say what is due on a day, ``send_due`` sends each one once, whatever how often it runs.

A source is a function ``fn(today) -> Iterable[Reminder]`` registered with ``@source``; each app keeps its own
in a ``reminders`` module imported from its ``AppConfig.ready()``. A source may return the same reminder on
every run of the day (and on later days, when it looks back): what makes it once is the reminder's ``key``,
stable for one event (``"correction:<case id>:<due date>:3"``), and the ``ReminderLog`` row with that unique
key written in the same transaction as the notices. The row is inserted first: a second run, or a concurrent
one (PostgreSQL makes it wait for the first's commit), meets the unique key and sends nothing; a run whose
notify fails rolls its row back, so the next run sends it.

The daily timer (docs/operations.md) runs ``manage.py send_reminders``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from django.db import IntegrityError, transaction

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Reminder:
    key: str  # unique per event, stable across runs: e.g. "correction:<case id>:<due date>:3"
    recipients: tuple  # User objects
    event: str  # notify event key, e.g. "reminder.correction_due"
    subject: str
    body: str
    url: str = ""  # where the inbox entry leads when not a case
    application: object = None  # the case, when it is about one (inbox links to the case; SMS to company members)


SOURCES: list[Callable[[date], Iterable[Reminder]]] = []


def source(fn: Callable[[date], Iterable[Reminder]]) -> Callable[[date], Iterable[Reminder]]:
    """Register ``fn(today)`` as a source of reminders (once, however often its module is imported)."""
    if fn not in SOURCES:
        SOURCES.append(fn)
    return fn


def _name(fn) -> str:
    return f"{fn.__module__}.{fn.__qualname__}"


def _already_sent(keys: list[str]) -> set[str]:
    from .models import ReminderLog

    sent: set[str] = set()
    for start in range(0, len(keys), 500):
        sent.update(ReminderLog.objects.filter(key__in=keys[start : start + 500]).values_list("key", flat=True))
    return sent


def _send_one(reminder: Reminder) -> bool:
    """Record and send ``reminder`` in one transaction; False when its key was already recorded."""
    from .models import ReminderLog
    from .notify import notify

    recipients = [u for u in dict.fromkeys(reminder.recipients) if u is not None]
    with transaction.atomic():
        try:
            with transaction.atomic():
                ReminderLog.objects.create(key=reminder.key, event=reminder.event, recipient_count=len(recipients))
        except IntegrityError:
            return False
        notify(
            recipients,
            event=reminder.event,
            subject=reminder.subject,
            body=reminder.body,
            url=reminder.url,
            application=reminder.application,
        )
    return True


def send_due(today: date | None = None, *, errors: list[str] | None = None) -> int:
    """Run every source for ``today`` (Asia/Shanghai's today by default) and send what is not sent yet.

    Returns how many reminders were sent. A source that fails is logged (and named in ``errors`` when given)
    and the others still run, so one broken source does not silence every reminder.
    """
    from applications.workdays import today as local_today

    day = today or local_today()
    sent = 0
    for fn in list(SOURCES):
        try:
            reminders = list(fn(day))
        except Exception as exc:
            logger.exception("reminder source %s failed for %s", _name(fn), day)
            if errors is not None:
                errors.append(f"{_name(fn)}: {type(exc).__name__}: {exc}")
            continue
        unique = list({r.key: r for r in reminders}.values())
        done = _already_sent([r.key for r in unique])
        for reminder in unique:
            if reminder.key in done:
                continue
            try:
                if _send_one(reminder):
                    sent += 1
            except Exception as exc:
                logger.exception("reminder %s failed", reminder.key)
                if errors is not None:
                    errors.append(f"{reminder.key}: {type(exc).__name__}: {exc}")
    return sent
