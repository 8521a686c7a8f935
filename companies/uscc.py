"""Unified social credit code (统一社会信用代码, GB 32100-2015).

Plain functions, used everywhere a code enters the system: forms, imports, the API, commands.
A code is 18 characters from ALPHABET; the 18th is a check character over the first 17.
People type codes with spaces, hyphens, lower case and full-width characters, so every entry
point normalises first and validates the normalised form.
"""

from __future__ import annotations

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext as _

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
VALUES = {ch: i for i, ch in enumerate(ALPHABET)}
WEIGHTS = tuple(pow(3, i, 31) for i in range(17))  # 1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28
LENGTH = 18
JIANGJIN_AREA_CODE = "500116"

_STRIP = str.maketrans("", "", " \t\r\n-\u00a0\u3000\u2010\u2011\u2012\u2013\u2014\uff0d_")


def normalize(raw: str) -> str:
    """Full-width to half-width (NFKC), drop spaces and hyphens, upper case."""
    if raw is None:
        return ""
    if raw.__class__ is str and raw.isascii() and raw.isalnum() and raw == raw.upper():
        return raw  # already normal: the common case at 100,000 codes a file
    code = unicodedata.normalize("NFKC", str(raw)).translate(_STRIP).upper()
    if code.isascii():
        return code
    # upper() can undo NFKC (U+0390 'ΐ' upper-cases to a decomposed sequence), so normalising twice would
    # give a different answer; repeat until nothing changes (once more in practice). Never a valid code,
    # but the same input must always give the same stored value.
    for _round in range(3):
        again = unicodedata.normalize("NFKC", code).translate(_STRIP).upper()
        if again == code:
            break
        code = again
    return code


def check_char(first17: str) -> str:
    """The check character for the first 17 characters of a code."""
    if len(first17) != 17:
        raise ValueError("check_char needs exactly 17 characters")
    total = sum(VALUES[ch] * w for ch, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def problems(code: str) -> list[str]:
    """Why a normalised code is invalid, in Chinese; empty when it is valid."""
    if len(code) != LENGTH:
        return [_("统一社会信用代码应为18位，当前为%(n)d位，请核对营业执照。") % {"n": len(code)}]
    bad = [(i + 1, ch) for i, ch in enumerate(code) if ch not in VALUES]
    if bad:
        return [
            _("第%(pos)d位的字符“%(ch)s”不能出现在统一社会信用代码中（不使用I、O、S、V、Z）。") % {"pos": pos, "ch": ch}
            for pos, ch in bad
        ]
    expected = check_char(code[:17])
    if code[17] != expected:
        return [
            _("校验位错误：按前17位计算，第18位应为“%(expected)s”，而不是“%(got)s”。请核对是否有输错的字符。")
            % {"expected": expected, "got": code[17]}
        ]
    return []


# Position i's weighted value of each character, so a check sums 17 dictionary look-ups in C.
_WEIGHTED = tuple({ch: value * weight for ch, value in VALUES.items()} for weight in WEIGHTS)


def is_valid(code: str) -> bool:
    """True when the (already normalised) code has the right length, alphabet and check character."""
    if len(code) != LENGTH or code[17] not in VALUES:
        return False
    try:
        total = sum(map(dict.__getitem__, _WEIGHTED, code))
    except KeyError:
        return False
    return code[17] == ALPHABET[(31 - total % 31) % 31]


@deconstructible
class CreditCodeValidator:
    """Django validator: normalises, then says in Chinese what is wrong."""

    code = "invalid_credit_code"

    def __call__(self, value: str) -> None:
        found = problems(normalize(value))
        if found:
            raise ValidationError([ValidationError(message, code=self.code) for message in found])

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CreditCodeValidator)


validate_credit_code = CreditCodeValidator()


def make_code(body17: str) -> str:
    """Append the check character; used by factories, benchmarks and demo data."""
    body17 = normalize(body17)
    return body17 + check_char(body17)
