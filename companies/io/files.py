"""Writing company spreadsheets: CSV that Chinese Excel opens (UTF-8 with BOM) and XLSX, formulas neutralised.

Reading any spreadsheet (companies and leads) is `companies.io.reader`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from invest.exporting import csv_bytes, xlsx_bytes


def write_csv(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> bytes:
    """CSV in UTF-8 with BOM, which Chinese Excel opens with the right characters; formulas neutralised."""
    return csv_bytes(headers, rows)


def write_xlsx(headers: Sequence[str], rows: Iterable[Sequence[str]], title: str = "企业名录") -> bytes:
    """One streamed sheet; text cells that a spreadsheet would run as formulas are neutralised."""
    return xlsx_bytes(headers, rows, title)
