"""Stand-ins for a mail server that is down and an SMS provider, selected by dotted path in settings."""

import smtplib

from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend


class DownEmailBackend(BaseEmailBackend):
    """Every send fails as a dropped SMTP connection does."""

    attempts = 0

    def send_messages(self, messages):
        DownEmailBackend.attempts += 1
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


class FlakyEmailBackend(LocmemBackend):
    """Fails the first ``failures`` sends, then delivers to ``mail.outbox``."""

    failures = 1
    attempts = 0

    def send_messages(self, messages):
        FlakyEmailBackend.attempts += 1
        if FlakyEmailBackend.attempts <= FlakyEmailBackend.failures:
            raise smtplib.SMTPDataError(451, "Try again later")
        return super().send_messages(messages)


class RecordingSMSBackend:
    """A provider configured by ``SMS_BACKEND``: records what it was asked to send."""

    sent: list[tuple[str, str]] = []
    fail = False

    def send(self, phone: str, text: str) -> None:
        if RecordingSMSBackend.fail:
            raise ConnectionError("SMS gateway unreachable")
        RecordingSMSBackend.sent.append((phone, text))
