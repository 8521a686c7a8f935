"""What every service of the case needs: the refusal it raises, the actor, typed text and money as typed."""

from __future__ import annotations

import unicodedata
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _

from invest import money


class TransitionRefused(Exception):
    """A refused action, with a stable ``code`` for programs and a translated ``reason`` for people."""

    def __init__(self, code: str, reason: Any, **details: Any) -> None:
        self.code = code
        self.reason = str(reason)
        self.details = details
        super().__init__(f"{code}: {self.reason}")


def _actor_user(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def _clean_text(value: Any) -> str:
    """Text as typed, without control and format characters (NUL, escape sequences, bidi overrides)."""
    text = str(value or "")
    return "".join(ch for ch in text if ch in "\n\t" or not unicodedata.category(ch).startswith("C")).strip()


def _money(value: Any) -> Decimal:
    """An amount as typed or given (text as people type it, Decimal, int), rounded half up to the fen: read
    and rounded by invest.money, the one money module; refused with a reason when it is no amount."""
    try:
        number = money.parse(value)
        amount = None if number is None else money.to_fen(number)
    except (TypeError, ValueError):
        amount = None
    if amount is None:
        raise TransitionRefused("invalid_amount", _("请填写正确的金额（元，最多两位小数）。"))
    if amount < 0:
        raise TransitionRefused("invalid_amount", _("金额不能为负数。"))
    return amount
