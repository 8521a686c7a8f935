"""Amounts in Chinese capitals and figures, as printed on decisions and disbursement notices."""

import re
from decimal import Decimal

import cn2an
import pytest
from hypothesis import given
from hypothesis import strategies as st

from applications.documents.money import amount_in_capitals, amount_in_figures

DIGIT_VALUES = {ch: i for i, ch in enumerate("零壹贰叁肆伍陆柒捌玖")}
SMALL = {"拾": 10, "佰": 100, "仟": 1000}


def parse_capitals(text: str) -> Decimal:
    """An independent reader of capitals, used to check that every printed amount reads back."""
    if text == "零元整":
        return Decimal("0.00")
    body = text.removesuffix("整")
    yuan_part, _, cents_part = body.rpartition("元") if "元" in body else ("", "", body)

    def section(s: str) -> int:
        total, digit = 0, 0
        for ch in s:
            if ch in DIGIT_VALUES:
                digit = DIGIT_VALUES[ch]
            elif ch in SMALL:
                total += digit * SMALL[ch]
                digit = 0
        return total + digit

    yuan = 0
    rest = yuan_part
    for unit, factor in (("万亿", 10**12), ("亿", 10**8), ("万", 10**4)):
        if unit in rest:
            head, rest = rest.split(unit, 1)
            yuan += section(head) * factor
    yuan += section(rest)
    jiao = re.search(r"(.)角", cents_part)
    fen = re.search(r"(.)分", cents_part)
    cents = (DIGIT_VALUES[jiao.group(1)] * 10 if jiao else 0) + (DIGIT_VALUES[fen.group(1)] if fen else 0)
    return Decimal(yuan) + Decimal(cents) / 100


@pytest.mark.parametrize(
    ("amount", "capitals"),
    [
        ("0.05", "伍分"),
        ("10.00", "壹拾元整"),
        ("1000000.00", "壹佰万元整"),
        ("1000000.05", "壹佰万元零伍分"),
        ("100010000.50", "壹亿零壹万元伍角"),
        ("0", "零元整"),
        ("0.50", "伍角"),
        ("1010.00", "壹仟零壹拾元整"),
        ("100000001", "壹亿零壹元整"),
        ("10000.01", "壹万元零壹分"),
        ("105.00", "壹佰零伍元整"),
        ("1.23", "壹元贰角叁分"),
        ("20000000", "贰仟万元整"),
        # cn2an 0.5.24 prints 柒亿陆仟柒佰元整 here, losing the 零 for the empty 万 group.
        ("700006700", "柒亿零陆仟柒佰元整"),
    ],
)
def test_capitals_edge_cases(amount, capitals):
    assert amount_in_capitals(Decimal(amount)) == capitals


def test_rounds_half_up_to_the_fen():
    assert amount_in_capitals(Decimal("0.005")) == "壹分"
    assert amount_in_figures(Decimal("2.675")) == "¥2.68"


def test_refuses_float_and_negative():
    with pytest.raises(TypeError):
        amount_in_capitals(1.5)
    with pytest.raises(ValueError):
        amount_in_capitals(Decimal("-1"))


@pytest.mark.parametrize(
    ("amount", "figures"),
    [("1000000", "¥1,000,000.00"), ("0.05", "¥0.05"), ("100010000.5", "¥100,010,000.50"), ("0", "¥0.00")],
)
def test_figures(amount, figures):
    assert amount_in_figures(Decimal(amount)) == figures


fen_amounts = st.integers(min_value=0, max_value=10**15).map(lambda n: Decimal(n) / 100)


@given(fen_amounts)
def test_capitals_read_back_to_the_same_amount(amount):
    assert parse_capitals(amount_in_capitals(amount)) == amount


@given(fen_amounts)
def test_capitals_are_well_formed(amount):
    text = amount_in_capitals(amount)
    assert not text.startswith("零") or text == "零元整"
    assert "零零" not in text
    assert not re.search(r"零[元万亿]", text) or text == "零元整"
    assert text.endswith("整") == (amount == amount.to_integral_value())
    assert ("元" in text) == (amount >= 1 or amount == 0)


@given(st.integers(min_value=0, max_value=10**10 - 1).map(lambda n: Decimal(n) / 100))
def test_agrees_with_cn2an_below_one_hundred_million(amount):
    assert amount_in_capitals(amount) == cn2an.an2cn(f"{amount:.2f}", "rmb")
