"""Property-based tests (hypothesis) for amounts in Chinese capitals and figures (applications/documents/money.py).

The capitals are read back by an independent parser written here, so every printed amount must mean exactly
the amount it was made from; the layout rules of the payment-settlement rules are checked as properties.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

money = pytest.importorskip("applications.documents.money")

DIGITS = "零壹贰叁肆伍陆柒捌玖"
SMALL = {"拾": 10, "佰": 100, "仟": 1000}
BIG = [("兆", 10**12), ("亿", 10**8), ("万", 10**4)]

amounts = st.decimals(min_value=0, max_value=money.MAX_AMOUNT, places=2, allow_nan=False, allow_infinity=False)
small_amounts = st.integers(min_value=0, max_value=10**10).map(lambda fen: Decimal(fen) / 100)


def _section(text: str) -> int:
    total = number = 0
    for ch in text.replace("零", ""):
        if ch in SMALL:
            total += number * SMALL[ch]
            number = 0
        else:
            number = DIGITS.index(ch)
    return total + number


def _integer(text: str, units=tuple(BIG)) -> int:
    if not units:
        return _section(text)
    (mark, multiple), rest = units[0], units[1:]
    if mark in text:
        high, low = text.split(mark, 1)
        return _integer(high, rest) * multiple + _integer(low, rest)
    return _integer(text, rest)


def parse_capitals(text: str) -> Decimal:
    """Read 壹亿零壹万元伍角 back as 100010000.50; independent of the code under test."""
    if text == "零元整":
        return Decimal("0.00")
    body = text.removesuffix("整").replace("万亿", "兆")
    yuan_text, has_yuan, rest = body.partition("元")
    if not has_yuan:
        yuan_text, rest = "", body
    match = re.fullmatch(r"(?:([壹贰叁肆伍陆柒捌玖])角)?(?:零?([壹贰叁肆伍陆柒捌玖])分)?", rest)
    assert match, f"unexpected fraction part {rest!r} in {text!r}"
    jiao = DIGITS.index(match.group(1)) if match.group(1) else 0
    fen = DIGITS.index(match.group(2)) if match.group(2) else 0
    return Decimal(_integer(yuan_text)) + Decimal(jiao) / 10 + Decimal(fen) / 100


@given(amounts | small_amounts)
@example(Decimal("1000000.05"))
@example(Decimal("100010000.50"))
@example(Decimal("700006700"))
@example(Decimal("10.00"))
@example(Decimal("0.01"))
@example(Decimal("1000000000000"))
def test_capitals_read_back_as_the_same_amount(amount):
    text = money.amount_in_capitals(amount)
    assert parse_capitals(text) == amount.quantize(Decimal("0.01"))


@given(amounts | small_amounts)
def test_capitals_follow_the_layout_rules(amount):
    text = money.amount_in_capitals(amount)
    assert "零零" not in text
    if text != "零元整":
        assert not text.startswith("零")
        # A 零 only ever stands before a digit, never before a unit or at the end.
        assert all(nxt in DIGITS[1:] for nxt in re.findall(r"零(.)", text))
        assert not text.endswith("零")
    cents = int(amount.quantize(Decimal("0.01")) * 100) % 100
    assert text.endswith("整") == (cents == 0)
    assert not re.search(r"[^壹贰叁肆伍陆柒捌玖零拾佰仟万亿元角分整]", text)
    assert not text.startswith("拾")  # 壹拾, never a bare 拾


@given(amounts)
def test_figures_read_back_as_the_same_amount(amount):
    text = money.amount_in_figures(amount)
    assert re.fullmatch(r"¥\d{1,3}(,\d{3})*\.\d{2}", text)
    assert Decimal(text[1:].replace(",", "")) == amount.quantize(Decimal("0.01"))


@given(st.decimals(min_value=-(10**9), max_value=10**9, places=4, allow_nan=False, allow_infinity=False))
def test_to_fen_rounds_half_up(amount):
    assert money.to_fen(amount) == amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert money.to_fen(str(amount)) == money.to_fen(amount)


@pytest.mark.parametrize("bad", [1.5, 0.1])
def test_floats_are_refused(bad):
    with pytest.raises(TypeError):
        money.to_fen(bad)


@given(st.decimals(min_value=-(10**15), max_value=Decimal("-0.005"), allow_nan=False, allow_infinity=False, places=3))
def test_negative_amounts_are_refused_in_capitals(amount):
    with pytest.raises(ValueError):
        money.amount_in_capitals(amount)


def test_amounts_above_the_maximum_are_refused():
    with pytest.raises(ValueError):
        money.amount_in_capitals(money.MAX_AMOUNT + Decimal("0.01"))


@pytest.mark.parametrize("absurd", [Decimal("1e30"), Decimal("-99999999999999999999999999.995")])
def test_absurd_amounts_are_refused_with_value_error(absurd):
    with pytest.raises(ValueError):
        money.amount_in_capitals(absurd)


# invest.money: the one reader of typed amounts and the one rounding rule.


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("40,000", "40000"),
        ("４００００", "40000"),
        ("40000.5", "40000.5"),
        (" ¥1,234,567.80 ", "1234567.80"),
        ("￥４０，０００．５", "40000.5"),
        (40000, "40000"),
        (1.5, "1.5"),
    ],
)
def test_amounts_are_read_as_people_type_them(typed, expected):
    from invest.money import parse

    assert parse(typed) == Decimal(expected)


@pytest.mark.parametrize("typed", ["abc", "1.2.3", "NaN", "Infinity", True])
def test_what_is_no_number_is_refused_with_value_error(typed):
    from invest.money import parse

    with pytest.raises(ValueError):
        parse(typed)


@given(amounts)
def test_figures_parse_back_to_the_same_amount(amount):
    from invest.money import figures, parse, to_fen

    assert parse(figures(amount)) == to_fen(amount)
