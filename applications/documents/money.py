"""Amounts as printed on documents: figures (¥1,000,000.00) and Chinese capitals (壹佰万元整).

The capitals follow the payment-settlement rules (《支付结算办法》附件 正确填写票据和结算凭证的基本规定):
groups of four digits under 万 and 亿; one 零 for any run of zeros inside the yuan part (also across
a group boundary: 100,010,000 → 壹亿零壹万); 壹拾 rather than 拾; 整 when there are no 角 or 分;
零 before 分 when 角 is zero and there are yuan (1,000,000.05 → 壹佰万元零伍分). Where the rules allow
both, we print the shorter form: no 零 between 元 and 角 (100,010,000.50 → 壹亿零壹万元伍角; the rules
also allow 壹亿零壹万元零伍角, which we do not print) and no 整 after 角. We keep our own function because `cn2an` 0.5.24 drops
the 零 for a whole zero 万 group before a four-digit group (700,006,700 → 柒亿陆仟柒佰元整, which should
be 柒亿零陆仟柒佰元整); below 100 million it agrees with us, and the tests use it there as an oracle.
Input is a Decimal (or int/str), rounded half-up to the fen by invest.money.to_fen; floats are refused.
"""

from __future__ import annotations

from decimal import Decimal

from invest.money import figures, to_fen

DIGITS = "零壹贰叁肆伍陆柒捌玖"
SMALL_UNITS = ("", "拾", "佰", "仟")
BIG_UNITS = ("", "万", "亿", "万亿")
MAX_AMOUNT = Decimal("9999999999999999.99")


def _printable(amount: Decimal | int | str) -> Decimal:
    """The amount rounded by invest.money.to_fen, refused beyond MAX_AMOUNT (either sign) with ValueError."""
    value = to_fen(amount)
    if abs(value) > MAX_AMOUNT:
        raise ValueError("amount too large")
    return value


def _group(n: int) -> str:
    """A number 1–9999 without leading 零 (the caller decides about zeros before it)."""
    out = []
    digits = f"{n:04d}"
    zero_pending = False
    for index, ch in enumerate(digits):
        d = int(ch)
        unit = SMALL_UNITS[3 - index]
        if d == 0:
            if out:
                zero_pending = True
            continue
        if zero_pending:
            out.append("零")
            zero_pending = False
        out.append(DIGITS[d] + unit)
    return "".join(out)


def _yuan(n: int) -> str:
    groups = []
    while n:
        groups.append(n % 10000)
        n //= 10000
    out = []
    zero_pending = False
    for index in range(len(groups) - 1, -1, -1):
        g = groups[index]
        if g == 0:
            if out:
                zero_pending = True
            continue
        if out and (zero_pending or g < 1000):
            out.append("零")
        zero_pending = False
        out.append(_group(g) + BIG_UNITS[index])
    return "".join(out)


def amount_in_capitals(amount: Decimal | int | str) -> str:
    """壹佰万元整 for 1,000,000.00; 零元整 for 0. Negative amounts are refused: no document owes a negative sum."""
    value = _printable(amount)
    if value < 0:
        raise ValueError("amount must not be negative")
    fen_total = int(value * 100)
    yuan, cents = divmod(fen_total, 100)
    jiao, fen = divmod(cents, 10)
    if yuan == 0 and cents == 0:
        return "零元整"
    out = _yuan(yuan) + "元" if yuan else ""
    if jiao == 0 and fen == 0:
        return out + "整"
    if jiao:
        out += DIGITS[jiao] + "角"
    if fen:
        if jiao == 0 and yuan:
            out += "零"
        out += DIGITS[fen] + "分"
    return out


def amount_in_figures(amount: Decimal | int | str) -> str:
    """¥1,000,000.00: yuan sign, thousands separators, always two decimals."""
    return f"¥{figures(_printable(amount))}"
