"""The company spreadsheet: which columns it has, how each cell is read, and how each value is written.

This is the one validation code path for company records that arrive in bulk. The admin's import
(through `companies.resources.CompanyResource`), the `import_companies` command and the benchmark all
call `RowCleaner.clean`, so a clerk sees the same message for the same mistake wherever the file went in.

It deliberately does not call `Company.full_clean()` per row: at 100,000 rows that alone costs more than
the whole import budget. Instead every column has a small parser that enforces what the model field
enforces (length, choices, non-negative money with two decimals, dates, e-mail, the credit-code check)
and says in Chinese what is wrong and how to write it instead.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import cached_property
from itertools import repeat
from operator import eq
from typing import Any

from django.core.validators import EmailValidator
from django.utils import translation
from django.utils.translation import gettext as _

from companies import uscc
from companies.models import BusinessStatus, Company, Industry
from invest.exporting import ESCAPE, FORMULA_TRIGGERS, neutralise  # noqa: F401 - importers and tests use them

from .files import ColumnRows

CENT = Decimal("0.01")
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
    amount = amount.quantize(CENT, rounding=ROUND_HALF_UP)
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


# --- the columns -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    field: str
    header: str  # the Chinese heading written on exports; also accepted on import
    parse: Callable[[Any], Any]  # one cell -> value, or CellError with the message for the clerk
    write: Callable[[Any], str] = write_text
    aliases: tuple[str, ...] = field(default=())
    # Optional fast path over a whole column: returns the values, or raises / returns None when any cell
    # needs a closer look, in which case every cell of the column goes through `parse` for its message.
    fast: Callable[[list[Any]], list[Any] | None] | None = None

    def parse_many(self, raw: Sequence[Any], *, use_fast: bool = True) -> tuple[list[Any], dict[int, str]]:
        if use_fast and self.fast is not None:
            try:
                values = self.fast(raw)
            except Exception:
                values = None
            if values is not None:
                return values, {}
        values, errors = [], {}
        parse = self.parse
        for index, cell in enumerate(raw):
            try:
                values.append(parse(cell))
            except CellError as exc:
                values.append(None)
                errors[index] = str(exc)
        return values, errors


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
    amounts = list(map(Decimal.quantize, map(Decimal, map(str, present)), repeat(CENT), repeat(ROUND_HALF_UP)))
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


def _max(name: str) -> int:
    return Company._meta.get_field(name).max_length


def _text_column(name: str, header: str, *, required: bool = False, aliases: tuple[str, ...] = ()) -> Column:
    size = _max(name)
    return Column(
        name, header, parse_text(size, required=required), aliases=aliases, fast=fast_text(size, required=required)
    )


def _date_column(name: str, header: str) -> Column:
    return Column(name, header, parse_date, write_date, fast=fast_date)


def _money_column(name: str, header: str, aliases: tuple[str, ...]) -> Column:
    return Column(name, header, parse_money, write_money, aliases=aliases, fast=fast_money)


COLUMNS: tuple[Column, ...] = (
    Column(
        "credit_code",
        "统一社会信用代码",
        parse_credit_code,
        aliases=("信用代码", "社会信用代码"),
        fast=fast_credit_code,
    ),
    _text_column("name", "企业名称", required=True, aliases=("单位名称", "公司名称")),
    _text_column("legal_representative", "法定代表人"),
    _money_column("registered_capital", "注册资本", ("注册资本（元）",)),
    _money_column("paid_in_capital", "实缴资本", ("实缴资本（元）",)),
    _date_column("established_on", "成立日期"),
    _text_column("registration_district", "注册区县"),
    _text_column("tax_district", "税务登记区县"),
    _text_column("registered_address", "注册地址"),
    Column(
        "industry",
        "行业类别",
        parse_choice(Industry, Industry.PRODUCTION),
        write_choice(Industry),
        fast=fast_lookup(_choice_table(Industry, Industry.PRODUCTION)),
    ),
    Column(
        "business_status",
        "经营状态",
        parse_choice(BusinessStatus, BusinessStatus.ACTIVE),
        write_choice(BusinessStatus),
        fast=fast_lookup(_choice_table(BusinessStatus, BusinessStatus.ACTIVE)),
    ),
    Column(
        "in_hq_park",
        "入驻重庆影视城总部园区",
        parse_bool,
        write_bool,
        aliases=("入驻总部园区", "是否入驻园区"),
        fast=fast_lookup(_BOOL_TABLE),
    ),
    _date_column("in_hq_park_since", "入驻日期"),
    _text_column("contact_person", "联系人"),
    _text_column("contact_phone", "联系电话"),
    Column("contact_email", "电子邮箱", parse_email, fast=fast_email),
    _text_column("bank_account_name", "开户名称"),
    _text_column("bank_name", "开户银行"),
    _text_column("bank_account_number", "银行账号"),
    _date_column("banned_until", "失信禁入截止日"),
)
BY_FIELD = {column.field: column for column in COLUMNS}
HEADERS = tuple(column.header for column in COLUMNS)
FIELDS = tuple(column.field for column in COLUMNS)

# Defaults a new company gets for a column the file leaves empty or does not have.
DEFAULTS: dict[str, Any] = {column.field: Company._meta.get_field(column.field).get_default() for column in COLUMNS}


def _header_key(text: Any) -> str:
    return unicodedata.normalize("NFKC", str(text or "")).replace(" ", "").strip().lstrip("\ufeff").lower()


_HEADER_LOOKUP: dict[str, Column] = {}
for _column in COLUMNS:
    for _name in (_column.header, _column.field, *_column.aliases):
        _HEADER_LOOKUP[_header_key(_name)] = _column


class HeaderError(ValueError):
    """The file's heading row cannot be used; nothing is imported."""


def map_headers(headers: Sequence[Any]) -> list[Column | None]:
    """Which column each heading names (Chinese heading, alias or English field name); None to ignore."""
    mapped: list[Column | None] = []
    seen: dict[str, int] = {}
    for index, heading in enumerate(headers):
        column = _HEADER_LOOKUP.get(_header_key(heading))
        if column is not None:
            if column.field in seen:
                raise HeaderError(
                    _("第%(a)d列和第%(b)d列都是“%(header)s”，请删去重复的列后重新导入。")
                    % {"a": seen[column.field] + 1, "b": index + 1, "header": column.header}
                )
            seen[column.field] = index
        mapped.append(column)
    missing = [BY_FIELD[name].header for name in ("credit_code", "name") if name not in seen]
    if missing:
        raise HeaderError(
            _(
                "表头缺少必需的列：%(missing)s。第一行应为表头，可用中文列名（如“统一社会信用代码”“企业名称”）或英文字段名。"
            )
            % {"missing": "、".join(missing)}
        )
    return mapped


@dataclass
class CleanedRow:
    values: dict[str, Any]
    errors: list[tuple[str, str]]  # (column heading, message)


@dataclass
class CleanedTable:
    fields: tuple[str, ...]  # the columns the file has, in COLUMNS order
    columns: list[list[Any]]  # one list per field, in `fields` order (None where a cell is invalid)
    numbers: list[int]  # spreadsheet row number of each kept row
    errors: dict[int, list[tuple[str, str]]]  # position in the columns -> [(column heading, message)]

    @cached_property
    def values(self) -> list[tuple]:
        """One tuple per kept row, in `fields` order."""
        return list(zip(*self.columns, strict=True)) if self.numbers else []

    def row(self, position: int) -> tuple:
        return tuple(column[position] for column in self.columns)


class RowCleaner:
    """Reads the rows of one file: parses each column and applies the rules that span columns.

    Works a column at a time, so the common case (every cell well-formed) runs through each column's
    fast path; a column with a doubtful cell is re-read cell by cell for exact messages. `fast=False`
    reads every cell through its parser (the tests compare both ways).
    """

    def __init__(self, headers: Sequence[Any], *, fast: bool = True):
        self.columns = map_headers(headers)
        present = {c.field: i for i, c in enumerate(self.columns) if c is not None}
        self.present = [(present[c.field], c) for c in COLUMNS if c.field in present]
        self.fields = tuple(c.field for _i, c in self.present)
        self.width = len(self.columns)
        self.fast = fast

    def clean_table(self, rows: Iterable[Sequence[Any]], first_number: int = 2) -> CleanedTable:
        """Skips blank rows (keeping the numbering) and cleans the others."""
        return self.clean_columns(*self.cells(rows, first_number))

    def cells(self, rows: Iterable[Sequence[Any]], first_number: int = 2) -> tuple[list[Sequence[Any]], list[int]]:
        """The file's cells a column at a time (one sequence per heading) and the spreadsheet row number of
        each kept row: blank rows are skipped but keep their numbers, short rows are padded."""
        width = self.width
        if isinstance(rows, ColumnRows) and len(rows.columns) == width:  # no blank or short rows by design
            return rows.columns, list(range(first_number, first_number + len(rows)))
        rows = rows if isinstance(rows, list) else list(rows)
        if rows and all(map(any, rows)) and min(map(len, rows)) >= width:
            kept, numbers = rows, list(range(first_number, first_number + len(rows)))
        else:
            kept, numbers = [], []
            for number, cells in enumerate(rows, start=first_number):
                if not any(cells):
                    continue
                if len(cells) < width:
                    cells = (*cells, *([None] * (width - len(cells))))
                kept.append(cells)
                numbers.append(number)
        return (list(zip(*kept, strict=False)) if kept else [()] * width), numbers

    def clean_columns(self, cells: Sequence[Sequence[Any]], numbers: list[int]) -> CleanedTable:
        """Cleans a file given as its columns of cells (one sequence per heading, no blank rows)."""
        errors: dict[int, list[tuple[str, str]]] = {}
        columns: list[list[Any]] = []
        for index, column in self.present:
            values, column_errors = column.parse_many(cells[index], use_fast=self.fast)
            columns.append(values)
            for position, message in column_errors.items():
                errors.setdefault(position, []).append((column.header, message))
        self._cross_checks(columns, errors)
        return CleanedTable(self.fields, columns, numbers, errors)

    def _cross_checks(self, columns: list[list[Any]], errors: dict[int, list[tuple[str, str]]]) -> None:
        fields = self.fields
        if "registered_capital" in fields and "paid_in_capital" in fields:
            registered = columns[fields.index("registered_capital")]
            paid = columns[fields.index("paid_in_capital")]
            header = BY_FIELD["paid_in_capital"].header
            above = [
                position
                for position, (r, p) in enumerate(zip(registered, paid, strict=True))
                if r is not None and p is not None and p > r
            ]
            for position in above:
                errors.setdefault(position, []).append(
                    (
                        header,
                        _("实缴资本（%(paid)s元）大于注册资本（%(registered)s元），请核对。")
                        % {"paid": f"{paid[position]:,.2f}", "registered": f"{registered[position]:,.2f}"},
                    )
                )
        if "in_hq_park" in fields and "in_hq_park_since" in fields:
            flags = columns[fields.index("in_hq_park")]
            since = columns[fields.index("in_hq_park_since")]
            header = BY_FIELD["in_hq_park_since"].header
            for position in [p for p, (f, d) in enumerate(zip(flags, since, strict=True)) if d and f is False]:
                errors.setdefault(position, []).append(
                    (header, _("填写了入驻日期，但“入驻重庆影视城总部园区”为“否”；请改为“是”或删去入驻日期。"))
                )

    def clean(self, cells: Sequence[Any]) -> CleanedRow:
        """One row on its own (forms, tests): the same parsers and rules as a whole file."""
        table = self.clean_table([cells])
        if not table.numbers:
            return CleanedRow({}, [])
        return CleanedRow(dict(zip(self.fields, table.values[0], strict=True)), table.errors.get(0, []))


def export_row(company: Company, fields: Sequence[str] = FIELDS) -> list[str]:
    return [BY_FIELD[name].write(getattr(company, name)) for name in fields]
