"""How the service writes numbers for people: the one place amounts get their thousands separators."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

FEN = Decimal("0.01")


def yuan(value: Any) -> str:
    """120000 → "120,000.00": an amount in yuan with thousands separators and two decimals (never via float).

    Used in messages ("不能高于测算金额 120,000.00 元") and pages alike; an empty value gives "—".
    """
    if value is None or value == "":
        return "—"
    try:
        amount = Decimal(str(value)).quantize(FEN, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        return str(value)
    return f"{amount:,.2f}"
