"""The company spreadsheet as the bulk importer reads it: its columns, its headings, the rules across columns.

The columns are those `companies.resources.CompanyResource` declares (heading, aliases, widget), in its
order; `RowCleaner` reads a file's cells through the columns' widgets, a column at a time, and adds the
checks that span columns. The admin's import, the `import_companies` command, the office's import page and
the benchmark all go through it (companies.io.importer.import_rows).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.utils.translation import gettext as _

from companies.models import Company
from companies.resources import CompanyResource

from .reader import ColumnRows, HeaderAliases
from .widgets import Column

COLUMNS: tuple[Column, ...] = CompanyResource.columns()
BY_FIELD = {column.field: column for column in COLUMNS}
HEADERS = tuple(column.header for column in COLUMNS)
FIELDS = tuple(column.field for column in COLUMNS)

# Defaults a new company gets for a column the file leaves empty or does not have.
DEFAULTS: dict[str, Any] = {column.field: Company._meta.get_field(column.field).get_default() for column in COLUMNS}

_ALIASES = HeaderAliases((column, (column.header, column.field, *column.aliases)) for column in COLUMNS)


class HeaderError(ValueError):
    """The file's heading row cannot be used; nothing is imported."""


def map_headers(headers: Sequence[Any]) -> list[Column | None]:
    """Which column each heading names (Chinese heading, alias or English field name); None to ignore."""
    mapped: list[Column | None] = []
    seen: dict[str, int] = {}
    for index, heading in enumerate(headers):
        column = _ALIASES.get(heading)
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
