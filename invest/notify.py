"""Notifications, one way in: ``notify`` writes inbox entries; e-mail and SMS go out after the commit by tasks.

``notify(users, event=…, subject=…, body=…, url=…, application=…)`` writes one ``Notification`` per user in the
caller's transaction, so an entry exists exactly when the change it reports was committed. After the commit it
queues, on the django-tasks database queue, one task that e-mails the entries (each with the same link the
inbox shows, made absolute with ``SITE_URL``) and, for a case notice to a company's members, one task that
sends an SMS to the company's contact phone through the ``SMS_BACKEND`` (``invest.sms``).

A request never fails because mail is down: nothing is sent inside it. django-tasks-db retries nothing by
itself, so a task that fails queues itself again with ``attempt + 1`` (later by ``NOTIFY_RETRY_DELAY`` ×
2^(attempt-1) seconds) until ``NOTIFY_MAX_ATTEMPTS``; then the entry is marked ``email_status = failed`` with
the error and the task ends FAILED, which the queue records. Each e-mail is marked sent as soon as it has
gone, so a retry only sends what has not.

Where an entry links to: its ``url`` when it has one; otherwise, for a case, the applicant's case page when the
recipient is a confirmed member of the case's company, and the office's case page for everybody else.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

logger = logging.getLogger(__name__)


class NotDelivered(Exception):
    """The last attempt to send a notification failed; recorded as the error of the task."""


# --------------------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------------------


def notify(
    users: Iterable,
    *,
    event: str,
    subject: str,
    body: str,
    url: str = "",
    application=None,
) -> None:
    """Put a notice in each user's inbox (in the current transaction) and send it by e-mail after the commit.

    ``url`` is where the entry leads when it is not about a case (``application``), a path such as
    ``/companies/`` or a full address. ``event`` is a fixed English key (``case.accept``, ``membership.confirmed``).
    """
    from applications.models import Notification

    users = [u for u in users if u is not None]
    if not users:
        return
    subject, body, url = str(subject), str(body), str(url or "")
    Status = Notification.EmailStatus
    entries = Notification.objects.bulk_create(
        [
            Notification(
                recipient=u,
                application=application,
                event=event,
                subject=subject,
                body=body,
                url=url,
                email_status=Status.PENDING if u.email else Status.NONE,
            )
            for u in users
        ]
    )
    _forget_unread(u.pk for u in users)
    mailed = [n.pk for n in entries if n.email_status == Status.PENDING]
    if mailed:
        if any(pk is None for pk in mailed):  # a database that does not return ids from a bulk insert
            mailed = list(
                Notification.objects.filter(
                    recipient__in=[u for u in users if u.email], event=event, email_status=Status.PENDING
                ).values_list("pk", flat=True)
            )
        transaction.on_commit(lambda: _enqueue(send_notification_emails, mailed))
    phone = _case_sms_phone(application, users)
    if phone:
        text = _sms_text(subject, body, _case_link(application, member=True))
        transaction.on_commit(lambda: _enqueue(send_sms, phone, text))


@dataclass(frozen=True)
class Notice:
    """One inbox entry of a bulk ``notify_many``: its recipient by id (and whether they have an address)."""

    recipient_id: int
    subject: str
    body: str
    url: str = ""
    has_email: bool = False


def notify_many(notices: Iterable[Notice], *, event: str, batch_size: int = 5000) -> int:
    """``notify`` for many entries with texts of their own (a match's invitations): one bulk insert per
    ``batch_size`` entries in the current transaction, their e-mails queued after the commit, one task per batch.
    Not about a case, so no SMS. Returns how many entries were written."""
    from applications.models import Notification

    Status = Notification.EmailStatus
    written = 0
    batch: list = []

    def flush() -> None:
        nonlocal written
        entries = Notification.objects.bulk_create(batch)
        _forget_unread(n.recipient_id for n in batch)
        written += len(entries)
        mailed = [n.pk for n in entries if n.email_status == Status.PENDING and n.pk is not None]
        if mailed:
            transaction.on_commit(lambda: _enqueue(send_notification_emails, mailed))
        batch.clear()

    for notice in notices:
        batch.append(
            Notification(
                recipient_id=notice.recipient_id,
                event=event,
                subject=str(notice.subject)[:200],
                body=str(notice.body),
                url=str(notice.url or ""),
                email_status=Status.PENDING if notice.has_email else Status.NONE,
            )
        )
        if len(batch) >= batch_size:
            flush()
    if batch:
        flush()
    return written


def _enqueue(the_task, *args, attempt: int = 1) -> None:
    """Queue a delivery; a queue that cannot be reached is logged, never raised into the request."""
    try:
        if attempt > 1:
            delay = getattr(settings, "NOTIFY_RETRY_DELAY", 60) * 2 ** (attempt - 2)
            if delay and the_task.get_backend().supports_defer:
                the_task = the_task.using(run_after=timezone.now() + timedelta(seconds=delay))
        the_task.enqueue(*args, attempt=attempt)
    except Exception:
        logger.exception("could not queue %s (attempt %d) for %r", the_task.name, attempt, args)


def _max_attempts() -> int:
    return max(1, int(getattr(settings, "NOTIFY_MAX_ATTEMPTS", 5)))


# --------------------------------------------------------------------------------------------------------
# Links
# --------------------------------------------------------------------------------------------------------


def _case_link(application, *, member: bool) -> str:
    name = "portal:case" if member else "portal:staff_case"
    return reverse(name, args=[application.pk])


def link_for(notification, company_ids: set[int] | None = None) -> str:
    """The page the entry leads its recipient to (a path, or the full address it was given); "" for none.

    ``company_ids`` are the recipient's confirmed companies (companies.selectors.member_company_ids), passed in by a page that
    lists many entries so it asks once.
    """
    if notification.url:
        return notification.url
    if notification.application_id is None:
        return ""
    if company_ids is None:
        from companies.selectors import member_company_ids

        company_ids = member_company_ids(notification.recipient)
    member = notification.application.company_id in company_ids
    return _case_link(notification.application, member=member)


def absolute(link: str) -> str:
    """``link`` as a full address on this site (``SITE_URL``); a full address stays as it is."""
    if not link or "://" in link:
        return link
    return settings.SITE_URL.rstrip("/") + "/" + link.lstrip("/")


def email_text(notification, company_ids: set[int] | None = None) -> str:
    """The e-mail body: the inbox text, then the same link as the inbox, absolute."""
    link = absolute(link_for(notification, company_ids))
    parts = [notification.body]
    if link:
        parts.append(_("查看详情：%(link)s") % {"link": link})
    parts.append(_("您也可以登录后在“通知”中查看全部通知：%(inbox)s") % {"inbox": absolute(reverse("inbox:list"))})
    return "\n\n".join(p for p in parts if p)


# --------------------------------------------------------------------------------------------------------
# SMS
# --------------------------------------------------------------------------------------------------------


def _case_sms_phone(application, users: list) -> str:
    """The company's contact phone when a case notice goes to at least one of its confirmed members."""
    if application is None:
        return ""
    from companies.models import Membership

    phone = (application.company.contact_phone or "").strip()
    if not phone:
        return ""
    is_member = Membership.objects.filter(
        company_id=application.company_id, user__in=users, status=Membership.Status.CONFIRMED
    ).exists()
    return phone if is_member else ""


def _sms_text(subject: str, body: str, link: str) -> str:
    first_line = body.splitlines()[0] if body else ""
    return " ".join(p for p in (subject, first_line, absolute(link)) if p)


# --------------------------------------------------------------------------------------------------------
# Tasks
# --------------------------------------------------------------------------------------------------------


@task()
def send_notification_emails(notification_ids: list[int], attempt: int = 1) -> dict[str, int]:
    """E-mail the given inbox entries that are still waiting; retry the failures, at most NOTIFY_MAX_ATTEMPTS."""
    from django.core.mail import EmailMessage, get_connection

    from applications.models import Notification

    Status = Notification.EmailStatus
    waiting = list(
        Notification.objects.filter(pk__in=notification_ids, email_status=Status.PENDING)
        .select_related("recipient", "application")
        .order_by("pk")
    )
    sent: list[int] = []
    failed: dict[int, str] = {}
    try:
        connection = get_connection()
        connection.open()
    except Exception as exc:
        connection = None
        failed = {n.pk: f"{type(exc).__name__}: {exc}" for n in waiting}
    if connection is not None:
        try:
            for n in waiting:
                address = n.recipient.email
                if not address:
                    Notification.objects.filter(pk=n.pk).update(email_status=Status.NONE)
                    continue
                message = EmailMessage(n.subject, email_text(n), to=[address], connection=connection)
                try:
                    message.send()
                except Exception as exc:
                    failed[n.pk] = f"{type(exc).__name__}: {exc}"
                else:
                    sent.append(n.pk)
                    Notification.objects.filter(pk=n.pk).update(
                        email_status=Status.SENT, email_attempts=attempt, email_error=""
                    )
        finally:
            try:
                connection.close()
            except Exception:
                logger.warning("closing the mail connection failed", exc_info=True)
    final = attempt >= _max_attempts()
    for pk, error in failed.items():
        Notification.objects.filter(pk=pk).update(
            email_status=Status.FAILED if final else Status.PENDING, email_attempts=attempt, email_error=error
        )
    if failed:
        if final:
            logger.error("notification e-mails %s failed %d times; not retried", sorted(failed), attempt)
            raise NotDelivered(
                f"{len(failed)} notification e-mail(s) not sent after {attempt} attempt(s): "
                + "; ".join(f"#{pk} {error}" for pk, error in sorted(failed.items()))
            )
        logger.warning("notification e-mails %s failed (attempt %d); queued again", sorted(failed), attempt)
        _enqueue(send_notification_emails, sorted(failed), attempt=attempt + 1)
    return {"sent": len(sent), "retrying": len(failed)}


@task()
def send_sms(phone: str, text: str, attempt: int = 1) -> None:
    """Send one SMS through the configured backend; retry a failure, at most NOTIFY_MAX_ATTEMPTS."""
    from .sms import get_sms_backend

    try:
        get_sms_backend().send(phone, text)
    except Exception as exc:
        if attempt >= _max_attempts():
            logger.error("SMS to %s failed %d times; not retried", phone, attempt)
            raise NotDelivered(f"SMS to {phone} not sent after {attempt} attempt(s): {exc}") from exc
        logger.warning("SMS to %s failed (attempt %d): %s; queued again", phone, attempt, exc)
        _enqueue(send_sms, phone, text, attempt=attempt + 1)


# --------------------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------------------


def unread_count(user) -> int:
    """How many unread entries ``user`` has: the header shows it on every page, so it is kept in the shared
    cache (invest.hotcache) and forgotten when an entry is written for the user or read."""
    from applications.models import Notification

    from . import hotcache

    if not getattr(user, "is_authenticated", False):
        return 0
    return hotcache.cached(
        hotcache.unread_key(user.pk),
        lambda: Notification.objects.filter(recipient=user, read_at__isnull=True).count(),
    )


def _forget_unread(user_ids: Iterable[int]) -> None:
    from . import hotcache

    hotcache.forget({hotcache.unread_key(pk) for pk in user_ids})


def mark_read(user, notification=None, *, ids: Iterable[int] | None = None) -> int:
    """Mark ``user``'s own unread entries read: one ``notification``, the given ``ids``, or (neither) all of
    them. Someone else's entries are never touched. Returns how many changed."""
    from applications.models import Notification

    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification is not None:
        if notification.read_at is not None:
            return 0
        unread = unread.filter(pk=notification.pk)
    elif ids is not None:
        unread = unread.filter(pk__in=list(ids))
    now = timezone.now()
    changed = unread.update(read_at=now)
    if changed:
        _forget_unread([user.pk])
    if changed and notification is not None:
        notification.read_at = now
    return changed


def mark_all_read(user) -> int:
    """Mark every unread entry of ``user`` read; returns how many."""
    return mark_read(user)


class _InboxBadge:
    """The header's unread count, asked for at most once per request, and only when a template shows it."""

    def __init__(self, request) -> None:
        self._request = request

    @property
    def unread(self) -> int:
        cached = getattr(self._request, "_inbox_unread", None)
        if cached is None:
            cached = unread_count(getattr(self._request, "user", None))
            self._request._inbox_unread = cached
        return cached


def inbox_context(request) -> dict[str, Any]:
    """Template context processor: ``inbox.unread`` for the header."""
    return {"inbox": _InboxBadge(request)}
