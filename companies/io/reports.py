"""The reports of a company import, written to temporary files as the importer finds the problems.

A million-row file may have a million problems: `import_rows` hands each one to `on_problem` as it is found
and keeps only the first few itself. `ProblemsFile` (the command's `--report OUT.csv`: one line per problem)
and `RejectedRowsFile` (the import page's rejected rows: each row as typed with its reasons in a last column)
take them there, in file order, and write the finished report, formulas neutralised (invest.exporting), from
the temporary file: the same files as `reader.problems_csv` and `reader.rejected_rows` make from a list.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from invest.exporting import write_csv_to, write_xlsx_to

from .reader import RowError


def _cell(value: Any) -> str:
    return "" if value is None else str(value)


class _Spool:
    """Rows of text kept in a temporary file (raw: only the finished report is neutralised)."""

    def __init__(self):
        self.file = tempfile.TemporaryFile("w+", encoding="utf-8", newline="")
        self.writer = csv.writer(self.file)
        self.count = 0

    def add(self, row: Sequence[str]) -> None:
        self.writer.writerow(row)
        self.count += 1

    def rows(self) -> Iterator[list[str]]:
        self.file.flush()
        self.file.seek(0)
        yield from csv.reader(self.file)

    def close(self) -> None:
        self.file.close()


class ProblemsFile:
    """One line per problem: row number, column, reason, then the row as it was in the file."""

    def __init__(self):
        self.spool = _Spool()

    def add(self, problem: RowError) -> None:
        self.spool.add([str(problem.row), problem.column, problem.message, *map(_cell, problem.cells)])

    def write(self, path: Path, headers: Sequence[Any], file_error: str = "") -> None:
        head = ["行号", "列", "原因", *map(_cell, headers)]
        with open(path, "w", encoding="utf-8-sig", newline="") as out:
            write_csv_to(out, head, self._lines(file_error))

    def _lines(self, file_error: str) -> Iterator[list[str]]:
        if file_error:
            yield ["", "", file_error]
        yield from self.spool.rows()

    def close(self) -> None:
        self.spool.close()


class RejectedRowsFile:
    """The rows that cannot be imported, as they were typed, each with its reasons in one last cell: fixed,
    the file imports again. A row's problems arrive one after another (the importer reports row by row)."""

    def __init__(self, headers: Sequence[Any]):
        self.heading = list(map(_cell, headers))
        self.spool = _Spool()
        self._row: int | None = None
        self._cells: Sequence[Any] = ()
        self._reasons: list[str] = []

    def add(self, problem: RowError) -> None:
        if problem.row != self._row:
            self._flush()
            self._row, self._cells = problem.row, problem.cells
        self._reasons.append(f"［{problem.column}］{problem.message}" if problem.column else problem.message)

    def _flush(self) -> None:
        if self._row is None:
            return
        width = len(self.heading)
        cells = list(map(_cell, list(self._cells)[:width]))
        self.spool.add([*cells, *[""] * (width - len(cells)), "；".join(self._reasons)])
        self._row, self._reasons = None, []

    @property
    def count(self) -> int:
        return self.spool.count + (self._row is not None)

    def write(self, target: IO[bytes], reason_heading: str, *, xlsx: bool) -> None:
        """The report into an open binary file: XLSX, or CSV in UTF-8 with BOM."""
        self._flush()
        heading = [*self.heading, reason_heading]
        if xlsx:
            write_xlsx_to(target, heading, self.spool.rows(), "企业名录")
            return
        text = io.TextIOWrapper(target, encoding="utf-8-sig", newline="")
        try:
            write_csv_to(text, heading, self.spool.rows())
            text.flush()
        finally:
            text.detach()

    def close(self) -> None:
        self.spool.close()
