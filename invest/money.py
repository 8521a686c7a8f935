"""Money, written once: how an amount typed by a person is read (`parse`), how every amount is rounded
(`to_fen`: half up to the fen, the one rounding rule of the service) and how it is written for people
(`figures`, and `yuan` for pages and messages).

Money is Decimal, never float: `to_fen` refuses floats, so a float cannot slip into an amount unnoticed;
`parse` reads what people type (40,000 / ４００００ / ¥40000.5 / ' 500000 ') and what spreadsheets and JSON
give (numbers), going through the text of a float, never its binary value. The Chinese capitals on
documents are written by `applications.documents.money`, which rounds through `to_fen` too.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

FEN = Decimal("0.01")
ZERO = Decimal("0.00")
# Full-width digits, point, comma, yen sign and space as typed with a Chinese input method.
_FULL_WIDTH = str.maketrans("０１２３４５６７８９．，￥\u3000", "0123456789.,¥ ")
_NOISE = str.maketrans("", "", ", ¥")


class NotAnAmount(InvalidOperation, ValueError):
    """What `parse` and `to_fen` raise for text that is no number, NaN, infinity or an amount too long to
    hold: a ValueError, and still the decimal.InvalidOperation (an ArithmeticError) that Decimal raised."""


def parse(value: Any) -> Decimal | None:
    """A number as people type it → Decimal, not rounded; None when nothing was typed.

    Thousands separators, spaces and the yen sign are dropped and full-width characters read as their
    ASCII twins: "1,234,567.8", "１２３４", " ¥500000 " all read. Raises ValueError for anything else
    (words, "1.2.3", NaN, infinity, booleans) as NotAnAmount."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise NotAnAmount(f"not a number: {value!r}")
    if isinstance(value, Decimal):
        number = value
    else:
        text = str(value).translate(_FULL_WIDTH).translate(_NOISE).strip()
        if not text:
            return None
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise NotAnAmount(f"not a number: {value!r}") from None
    if not number.is_finite():
        raise NotAnAmount(f"not a finite number: {value!r}")
    return number


def to_fen(amount: Decimal | int | str) -> Decimal:
    """Round to the fen, half up: the way every amount in this service is rounded (0.005 → 0.01).

    Floats are refused (TypeError); text that is no number, NaN, infinity and amounts too long for
    Decimal's 28 digits raise NotAnAmount (a ValueError)."""
    if isinstance(amount, float):
        raise TypeError("money must be Decimal, int or str, never float")
    try:
        value = Decimal(amount)
    except InvalidOperation:
        raise NotAnAmount(f"not an amount: {amount!r}") from None
    if not value.is_finite():
        raise NotAnAmount("amount must be a finite number")
    try:
        return value.quantize(FEN, rounding=ROUND_HALF_UP)
    except InvalidOperation:  # more digits than the decimal context holds
        raise NotAnAmount("amount too large") from None


def figures(amount: Decimal | int | str) -> str:
    """120000 → "120,000.00": thousands separators and two decimals, rounded by `to_fen` (raises like it)."""
    return f"{to_fen(amount):,.2f}"


def yuan(value: Any, empty: str = "—") -> str:
    """An amount as pages and messages show it ("不能高于测算金额 120,000.00 元"); `empty` for no value, and
    a value that is no amount is shown as it is rather than breaking the page."""
    if value is None or value == "":
        return empty
    try:
        return figures(str(value))
    except ValueError:
        return str(value)
