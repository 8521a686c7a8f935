"""How each cell of the company spreadsheet is read and written: django-import-export widgets.

`companies.resources.CompanyResource` declares the columns, each a `Column` (a library `Field`) with one of
these widgets; the admin's import, the `import_companies` command, the office's import page and the
benchmark all read cells through them (`companies.io.columns.RowCleaner`), so a clerk sees the same message
for the same mistake wherever the file went in.

A widget's `clean` is the library's per-cell call; it deliberately does not call `Company.full_clean()`:
at 100,000 rows that alone costs more than the whole import budget. Instead every widget enforces what the
model field enforces (length, choices, non-negative money with two decimals, dates, e-mail, the
credit-code check) and says in Chinese what is wrong and how to write it instead. Its `fast` reads a
whole column at once in C loops (see "fast paths" below), and its `render` writes the value on exports.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from itertools import repeat
from operator import eq
from typing import Any

from django.core.validators import EmailValidator
from django.utils import translation
from django.utils.translation import gettext as _
from import_export import fields, widgets

from companies import uscc
from invest.exporting import ESCAPE
from invest.money import to_fen

MAX_MONEY = Decimal("99999999999999.99")  # max_digits=16, decimal_places=2
# The formula guard of every export (FORMULA_TRIGGERS, neutralise) lives in invest.exporting; importers
# strip the apostrophe (ESCAPE) it adds.


class CellError(ValueError):
    """A cell that cannot be read; the message is shown to the clerk as it is."""


# --- parsers: raw cell (str, number, date or None) -> Python value, or CellError --------------------


def _text(raw: Any) -> str:
    if raw is None:
        return ""
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    value = str(raw).strip()
    # Our own exports put an apostrophe before values a spreadsheet would run as a formula; drop it so an
    # export re-imports unchanged.
    if value.startswith(ESCAPE):
        value = value[1:]
    return value


def parse_text(max_length: int, *, required: bool = False) -> Callable[[Any], str]:
    def parse(raw: Any) -> str:
        value = _text(raw)
        if required and not value:
            raise CellError(_("此项必填，请填写。"))
        if "\x00" in value:  # PostgreSQL cannot store it: refused here with a message, not at the write
            raise CellError(_("内容含有空字符（NUL，常见于损坏的文件），无法保存；请删去该字符后重新导入。"))
        if len(value) > max_length:
            raise CellError(
                _("内容过长：最多%(max)d个字符，当前%(n)d个，请精简。") % {"max": max_length, "n": len(value)}
            )
        return value

    return parse


def parse_credit_code(raw: Any) -> str:
    if isinstance(raw, float):
        raise CellError(_("统一社会信用代码被表格软件存成了数字，末尾几位已丢失；请把该列设为“文本”后重新填写。"))
    code = uscc.normalize(_text(raw))
    if not code:
        raise CellError(_("统一社会信用代码必填，请按营业执照填写18位代码。"))
    found = uscc.problems(code)
    if found:
        raise CellError("".join(str(message) for message in found))
    return code


_MONEY_NOISE = str.maketrans("", "", ",，  元¥￥")


def parse_money(raw: Any) -> Decimal | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, Decimal):
        amount = raw
    elif isinstance(raw, int | float) and not isinstance(raw, bool):
        amount = Decimal(str(raw))
    else:
        text = unicodedata.normalize("NFKC", _text(raw)).translate(_MONEY_NOISE)
        if not text:
            return None
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise CellError(
                _("“%(value)s”不是金额：请填写以元为单位的数字，例如 5000000 或 5,000,000.00。") % {"value": raw}
            )
    if not amount.is_finite():
        raise CellError(_("“%(value)s”不是金额：请填写以元为单位的数字。") % {"value": raw})
    if amount < 0:
        raise CellError(_("金额不能为负数，请填写0或正数。"))
    amount = to_fen(amount)
    if amount > MAX_MONEY:
        raise CellError(_("金额过大，请确认单位是元而不是分。"))
    return amount


_DATE_PATTERNS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)


def parse_date(raw: Any) -> date | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    text = unicodedata.normalize("NFKC", _text(raw))
    if not text:
        return None
    if len(text) > 10 and text[10] in " T":  # "2022-06-01 00:00:00" from a spreadsheet
        text = text[:10]
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            try:
                return date(int(match[1]), int(match[2]), int(match[3]))
            except ValueError:
                break
    raise CellError(_("“%(value)s”不是有效日期：请写成 2022-06-01 这样的年-月-日。") % {"value": raw})


def parse_choice(choices: type, default: str) -> Callable[[Any], str]:
    """Accepts the stored key ('production') or the Chinese label ('影视制作'); empty means the default."""
    with translation.override(None):
        by_label = {str(label): key for key, label in choices.choices}
    keys = {key for key, _label in choices.choices}

    def parse(raw: Any) -> str:
        text = _text(raw)
        if not text:
            return default
        if text in by_label:
            return by_label[text]
        lowered = text.lower()
        if lowered in keys:
            return lowered
        raise CellError(
            _("“%(value)s”不是可选的值，请填写其中之一：%(allowed)s。")
            % {"value": text, "allowed": "、".join(by_label)}
        )

    return parse


_TRUE = {"是", "已入驻", "y", "yes", "true", "1", "√", "✓"}
_FALSE = {"否", "未入驻", "n", "no", "false", "0", ""}


def parse_bool(raw: Any) -> bool:
    if raw is None:
        return False
    if isinstance(raw, bool):
        return raw
    text = _text(raw).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise CellError(_("“%(value)s”无法识别，请填写“是”或“否”。") % {"value": raw})


_email = EmailValidator()


def parse_email(raw: Any) -> str:
    value = _text(raw)
    if not value:
        return ""
    if len(value) > 254:
        raise CellError(_("电子邮箱过长，请核对。"))
    try:
        _email(value)
    except Exception:
        raise CellError(_("“%(value)s”不是有效的电子邮箱，请写成 name@example.com 的形式。") % {"value": value})
    return value


# --- writers: Python value -> cell text in exports --------------------------------------------------


def write_text(value: Any) -> str:
    # Plain text: the exporter (invest.exporting, through companies.io.files) neutralises formula-like cells.
    return "" if value is None else str(value)


def write_money(value: Decimal | None) -> str:
    return "" if value is None else f"{value:.2f}"


def write_date(value: date | None) -> str:
    return "" if value is None else value.isoformat()


def write_bool(value: bool) -> str:
    return "是" if value else "否"


def write_choice(choices: type) -> Callable[[str], str]:
    with translation.override(None):
        labels = {key: str(label) for key, label in choices.choices}
    return lambda value: labels.get(value, value or "")


# --- fast paths: a whole column at once --------------------------------------------------------------
# Each returns the same values as its parser would for every cell of the column, or None (or raises) as
# soon as one cell might need the parser: then the whole column goes through the parser, which gives the
# exact Chinese message. So the fast paths may be stricter than the parsers, never more lenient; a test
# runs every column of tricky files both ways. They rely on C loops (map, join, bytes.translate) instead
# of one Python call per cell: a CSV file's cells are all strings.


def _stripped(raw: Sequence[Any]) -> list[str]:
    try:
        return list(map(str.strip, raw))
    except TypeError:  # numbers, dates or empty cells from an XLSX sheet
        return [v.strip() if v.__class__ is str else _text(v) for v in raw]


def _escaped(values: list[str]) -> bool:
    """Whether any value starts with the apostrophe our exports put before formula-like text (or may:
    a value with an apostrophe after a line break also says yes, and goes through the parser), or holds
    a NUL character, which the text parser refuses."""
    joined = "\n".join(values)
    return joined.startswith(ESCAPE) or "\n" + ESCAPE in joined or "\x00" in joined


def fast_text(max_length: int, *, required: bool = False):
    def fast(raw):
        values = _stripped(raw)
        if not values:
            return values
        if max(map(len, values)) > max_length:
            return None
        if required and not all(values):
            return None
        if _escaped(values):
            return None
        return values

    return fast


_CODE_ALPHABET = uscc.ALPHABET.encode("ascii")
_CODE_VALUE = bytes.maketrans(_CODE_ALPHABET, bytes(range(len(_CODE_ALPHABET))))
# Each character's value as a base-34 digit. 34 = 3 (mod 31), so int(c17 ... c1, 34) = sum of value x 3^(i-1)
# (mod 31): the weighted sum of GB 32100 in one C call per code.
_CODE_BASE34 = bytes.maketrans(_CODE_ALPHABET, b"0123456789abcdefghijklmnopqrstu")


def _codes_valid(codes: Sequence[Any]) -> bool:
    """All codes already normal (18 characters of the alphabet) with the right check character."""
    try:
        joined = "".join(codes).encode("ascii")
    except (TypeError, UnicodeEncodeError):
        return False
    if set(map(len, codes)) - {18} or joined.translate(None, _CODE_ALPHABET):
        return False
    digits = joined.translate(_CODE_BASE34)[::-1]  # each code reversed: check, c17, ..., c1; last code first
    checks = joined.translate(_CODE_VALUE)[::-1][::18]
    sums = map(int, [digits[i + 1 : i + 18] for i in range(0, len(digits), 18)], repeat(34))
    return all((total + check) % 31 == 0 for total, check in zip(sums, checks, strict=True))


def fast_credit_code(raw):
    if _codes_valid(raw):
        return list(raw)
    values = [
        v if v.__class__ is str and len(v) == 18 and v.isascii() and v.isupper() and v.isalnum() else uscc.normalize(v)
        for v in raw
    ]
    return values if all(map(uscc.is_valid, values)) else None


def _present(raw: Sequence[Any]) -> Sequence[Any]:
    """The non-empty cells (None and "" are empty) in order; `raw` itself when all are."""
    if "" in raw or None in raw:
        return [v for v in raw if v is not None and v != ""]
    return raw


def _refill(raw: Sequence[Any], present: Sequence[Any], parsed: list[Any]) -> list[Any]:
    """Put the parsed non-empty cells back in their places, None in the empty ones."""
    if present is raw:
        return parsed
    it = iter(parsed)
    return [None if v is None or v == "" else next(it) for v in raw]


def fast_money(raw):
    present = _present(raw)
    if set(map(type, present)) - {str, int, float}:  # bool, Decimal, dates: the parser decides
        return None
    # Decimal(str(x)) is what parse_money does with a number; for text Decimal() itself accepts what
    # parse_money accepts after its clean-up (surrounding spaces, full-width digits), or raises.
    amounts = list(map(to_fen, map(Decimal, map(str, present))))
    if amounts and (min(amounts) < 0 or max(amounts) > MAX_MONEY):
        return None
    return _refill(raw, present, amounts)


def fast_date(raw):
    present = _present(raw)
    if present and present[0].__class__ is datetime:
        dates = list(map(datetime.date, present))  # XLSX date cells; TypeError if any is not a datetime
    else:
        dates = list(map(date.fromisoformat, present))
        # fromisoformat also reads week dates (2022-W01-1) that parse_date refuses: keep only YYYY-MM-DD.
        if not all(map(eq, map(date.isoformat, dates), present)):
            return None
    return _refill(raw, present, dates)


def fast_lookup(table: dict):
    def fast(raw):
        return list(map(table.__getitem__, raw))

    return fast


# Django's own e-mail patterns, compiled once here: EmailValidator reaches them through lazy objects,
# which costs more than the match itself at 100,000 rows. A miss sends the column through parse_email,
# which runs the real validator for the verdict and the message.
_EMAIL_USER = re.compile(EmailValidator.user_regex.pattern, EmailValidator.user_regex.flags)
_EMAIL_DOMAIN = re.compile(EmailValidator.domain_regex.pattern, EmailValidator.domain_regex.flags)


def fast_email(raw):
    values = _stripped(raw)
    present = values if all(values) else [v for v in values if v]
    if not present:
        return values
    if max(map(len, present)) > 254 or _escaped(present):
        return None
    users, ats, domains = zip(*map(str.rpartition, present, repeat("@")), strict=True)
    # A file's addresses share a handful of domains: each distinct one is matched once.
    if "" in ats or not all(map(_EMAIL_DOMAIN.match, set(domains))) or not all(map(_EMAIL_USER.match, users)):
        return None
    return values


def _choice_table(choices: type, default: str) -> dict:
    with translation.override(None):
        table = {str(label): key for key, label in choices.choices}
    table.update({key: key for key, _label in choices.choices})
    table.update({"": default, None: default})
    return table


_BOOL_TABLE = {
    **{v: True for v in _TRUE},
    **{v: False for v in _FALSE},
    "是": True,
    "否": False,
    None: False,
    True: True,
    False: False,
}


# --- the widgets and the field of a column ---------------------------------------------------------


class CellWidget(widgets.Widget):
    """One column's cells: `clean` reads a cell (or raises CellError, a ValueError, with the clerk's
    message), `render` writes a value for export, `fast` reads a whole column at once or returns None."""

    def __init__(self, parse: Callable[[Any], Any], write: Callable[[Any], str] = write_text, fast=None):
        super().__init__(coerce_to_string=True)
        self.parse, self.write, self.fast = parse, write, fast

    def clean(self, value, row=None, **kwargs):
        return self.parse(value)

    def render(self, value, obj=None, **kwargs):
        return self.write(value)


class TextWidget(CellWidget):
    def __init__(self, max_length: int, *, required: bool = False):
        super().__init__(parse_text(max_length, required=required), fast=fast_text(max_length, required=required))


class CreditCodeWidget(CellWidget):
    def __init__(self):
        super().__init__(parse_credit_code, fast=fast_credit_code)


class MoneyWidget(CellWidget):
    def __init__(self):
        super().__init__(parse_money, write_money, fast=fast_money)


class DateWidget(CellWidget):
    def __init__(self):
        super().__init__(parse_date, write_date, fast=fast_date)


class ChoiceWidget(CellWidget):
    """The stored key or the Chinese label of one of `choices`; empty means `default`."""

    def __init__(self, choices: type, default: str):
        super().__init__(
            parse_choice(choices, default), write_choice(choices), fast=fast_lookup(_choice_table(choices, default))
        )


class BooleanWidget(CellWidget):
    def __init__(self):
        super().__init__(parse_bool, write_bool, fast=fast_lookup(_BOOL_TABLE))


class EmailWidget(CellWidget):
    def __init__(self):
        super().__init__(parse_email, fast=fast_email)


class Column(fields.Field):
    """A column of the company file: the model field it fills, its Chinese heading (written on exports,
    accepted on import, as are the `aliases` and the field's name) and its widget."""

    def __init__(self, attribute: str, column_name: str, widget: CellWidget, *, aliases: tuple[str, ...] = ()):
        super().__init__(attribute=attribute, column_name=column_name, widget=widget)
        self.aliases = aliases

    @property
    def field(self) -> str:
        return self.attribute

    @property
    def header(self) -> str:
        return self.column_name

    @property
    def parse(self) -> Callable[[Any], Any]:
        return self.widget.parse

    @property
    def write(self) -> Callable[[Any], str]:
        return self.widget.write

    @property
    def fast(self):
        return self.widget.fast

    def parse_many(self, raw: Sequence[Any], *, use_fast: bool = True) -> tuple[list[Any], dict[int, str]]:
        """The column's values and the messages of its unreadable cells (by position): through `fast` when
        it reads the column, else cell by cell through `parse` for each cell's message."""
        fast = self.widget.fast
        if use_fast and fast is not None:
            try:
                values = fast(raw)
            except Exception:
                values = None
            if values is not None:
                return values, {}
        values, errors = [], {}
        parse = self.widget.parse
        for index, cell in enumerate(raw):
            try:
                values.append(parse(cell))
            except CellError as exc:
                values.append(None)
                errors[index] = str(exc)
        return values, errors
