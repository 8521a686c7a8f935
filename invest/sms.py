"""The SMS (短信) channel seam: one interface, a backend chosen by the ``SMS_BACKEND`` setting.

A provider is added by configuration: write a class with ``send(phone, text)`` (raise on failure, the
notification task retries it), put it on the Python path and set ``SMS_BACKEND`` to its dotted path. The default
``LoggingSMSBackend`` only writes the message to the log, so nothing is sent until an office chooses a provider.
See docs/operations.md, "Notifications: e-mail and SMS".
"""

from __future__ import annotations

import logging
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

DEFAULT_SMS_BACKEND = "invest.sms.LoggingSMSBackend"


class SMSBackend(Protocol):
    """What every SMS backend provides. Constructed without arguments; read your own settings in ``__init__``."""

    def send(self, phone: str, text: str) -> None:
        """Send ``text`` to ``phone`` (as stored, e.g. ``023-47521234`` or ``13800000000``); raise on failure."""


class LoggingSMSBackend:
    """Writes each message to the ``invest.sms`` log instead of sending it (the default)."""

    def send(self, phone: str, text: str) -> None:
        logger.info("SMS to %s: %s", phone, text)


def get_sms_backend() -> SMSBackend:
    return import_string(getattr(settings, "SMS_BACKEND", "") or DEFAULT_SMS_BACKEND)()
