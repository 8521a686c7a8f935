"""Bulk upsert of company records keyed on the normalised credit code.

One function, `import_rows`, used by the admin (through CompanyResource), the `import_companies`
command and the benchmark. It is built for 100,000-row files:

- every row goes through `RowCleaner.clean_table` (the widgets CompanyResource declares, no per-row
  `full_clean`), a column at a time; a CSV read by `reader.read_table` usually arrives as its columns
  (`ColumnRows`);
- the existing companies are read in one query keyed by the codes, as plain tuples (no model instances);
- a row whose values equal the stored ones is "unchanged" and not written, so a re-import is a no-op;
- new rows are inserted with COPY (PostgreSQL) or one prepared INSERT run by `executemany` (SQLite);
  changed rows are updated per set of changed columns; all inside one transaction: a file is applied
  whole or not at all;
- Python's cyclic garbage collector is paused meanwhile (`reader.gc_paused`).

By default a file with any invalid row writes nothing; `skip_invalid=True` writes the valid rows. Either
way each problem is reported with its spreadsheet row number, the column heading and the reason.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date
from decimal import Context, Decimal
from itertools import compress
from operator import ne
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from companies.models import Company, CompanyImport, FormerName
from invest.audit import audit
from invest.money import to_fen

from .columns import BY_FIELD, FIELDS, HeaderError, RowCleaner
from .reader import ColumnRows, RowError, gc_paused
from .signals import districts_changed
from .writer import GROUPS_MAX, Writer, insert_rows, take, update_rows  # noqa: F401 - GROUPS_MAX: tests

LOOKUP_CHUNK = 900  # codes per IN (...) query where SQLite has no JSON functions; below its 999-parameter default
WRITE_BATCH = 2000
_DECIMAL_CONTEXT = Context(prec=16)  # max_digits of the money fields
DATE_FIELDS = frozenset(name for name in FIELDS if Company._meta.get_field(name).get_internal_type() == "DateField")
MONEY_FIELDS = frozenset(name for name in FIELDS if Company._meta.get_field(name).get_internal_type() == "DecimalField")


@dataclass
class RowOutcome:
    """What happened to one row; kept only when the caller asks (the admin preview)."""

    number: int
    kind: str  # "new", "update", "skip" (unchanged) or "invalid"
    code: str = ""
    values: dict[str, Any] = field(default_factory=dict)
    before: dict[str, Any] = field(default_factory=dict)  # for updates: the stored values that change
    errors: list[tuple[str, str]] = field(default_factory=list)
    cells: Sequence[Any] = ()


@dataclass
class ImportReport:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    invalid: int = 0
    seconds: float = 0.0
    applied: bool = False
    file_error: str = ""
    problems: list[RowError] = field(default_factory=list)
    rows: list[RowOutcome] = field(default_factory=list)
    fields: tuple[str, ...] = ()
    record: CompanyImport | None = None

    def counts(self) -> dict[str, Any]:
        return {
            "new": self.new,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "invalid": self.invalid,
            "seconds": round(self.seconds, 3),
        }


def _existing(codes: Sequence[str], fields: tuple[str, ...]) -> dict[str, tuple]:
    """Stored values of the given codes, in one query: code -> (pk, code, *fields).

    Less the pk, each tuple lines up with the file's rows in `_db_columns` form: a row compares with `==`.
    Raw SQL rather than values_list: at 100,000 codes the ORM's per-parameter preparation and per-value
    converters cost more than the query. PostgreSQL gets the codes as one text parameter split on the
    server (valid codes are letters and digits only), and psycopg returns Decimal, date and bool. SQLite
    gets them as one JSON array; its date columns are selected as `+column`, an expression without a
    declared type, so the driver returns the stored ISO text instead of calling Django's Python date
    converter once per value; money comes back as the stored int or float (`_classify_chunk` reads floats back as Django does:
    a Decimal compares with a float exactly, and 0.10 != 0.1).
    """
    if not codes:
        return {}
    meta = Company._meta
    qn = connection.ops.quote_name
    names = ("id", "credit_code", *fields)
    table = qn(meta.db_table)
    code_column = qn("credit_code")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            select = ", ".join(qn(meta.get_field(name).column) for name in names)
            cursor.execute(
                f"SELECT {select} FROM {table} WHERE {code_column} = ANY(string_to_array(%s, ','))", [",".join(codes)]
            )
            rows = cursor.fetchall()
        else:
            select = ", ".join(
                f"+{qn(meta.get_field(name).column)}" if name in DATE_FIELDS else qn(meta.get_field(name).column)
                for name in names
            )
            if sqlite3.sqlite_version_info >= (3, 38):  # JSON functions built in
                cursor.execute(
                    f"SELECT {select} FROM {table} WHERE {code_column} IN (SELECT value FROM json_each(%s))",
                    [json.dumps(list(codes))],
                )
                rows = cursor.fetchall()
            else:
                rows = []
                for start in range(0, len(codes), LOOKUP_CHUNK):
                    chunk = list(codes[start : start + LOOKUP_CHUNK])
                    marks = ", ".join(["%s"] * len(chunk))
                    cursor.execute(f"SELECT {select} FROM {table} WHERE {code_column} IN ({marks})", chunk)
                    rows.extend(cursor.fetchall())
    return {row[1]: row for row in rows}


def _db_columns(table) -> list[list[Any]]:
    """The cleaned columns in the form the database driver takes and gives back: SQLite stores dates as
    ISO text (Django's adapter does the same, one Python call per value), PostgreSQL takes them as they are."""
    if connection.vendor != "sqlite":
        return table.columns
    columns = list(table.columns)
    for index, name in enumerate(table.fields):
        if name in DATE_FIELDS:
            columns[index] = [None if value is None else value.isoformat() for value in columns[index]]
    return columns


def _python_values(stored: tuple, fields: tuple[str, ...]) -> tuple:
    """Stored values (code, *fields) from `_existing` as the model's Python types, for the admin's
    before/after view."""
    if connection.vendor != "sqlite":
        return stored
    return tuple(
        _sqlite_date(v) if name in DATE_FIELDS else _sqlite_decimal(v) if name in MONEY_FIELDS else v
        for name, v in zip(fields, stored, strict=True)
    )


def _sqlite_decimal(value):
    if value is None:
        return None
    if isinstance(value, float):
        return to_fen(_DECIMAL_CONTEXT.create_decimal_from_float(value))
    return to_fen(value)


def _sqlite_date(value):
    return date.fromisoformat(value) if isinstance(value, str) else value


def _flag_duplicates(codes: list, numbers: list[int], errors: dict[int, list[tuple[str, str]]]) -> None:
    """A code seen on an earlier row makes the later row invalid (every readable code counts, also one
    on a row with other errors)."""
    if len(set(codes)) == len(codes):
        return
    code_header = BY_FIELD["credit_code"].header
    first_row_of: dict[str, int] = {}
    for position, code in enumerate(codes):
        if not code:
            continue
        earlier = first_row_of.get(code)
        if earlier is None:
            first_row_of[code] = numbers[position]
            continue
        errors.setdefault(position, []).append(
            (
                code_header,
                _("统一社会信用代码%(code)s与第%(row)d行重复；同一企业在一个文件中只能出现一次，请合并或删去本行。")
                % {"code": code, "row": earlier},
            )
        )


def import_rows(
    headers: Sequence[Any],
    rows: Iterable[Sequence[Any]],
    *,
    actor=None,
    file_name: str = "",
    file_sha256: str = "",
    source: str = "command",
    dry_run: bool = False,
    skip_invalid: bool = False,
    keep_rows: bool = False,
    started: float | None = None,
    operator: str = "",
    fast: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Validate every row, then insert new companies and update changed ones, all or nothing.

    `rows` may be `ColumnRows` (a CSV read by columns), which is validated column by column as it is.
    `fast=False` reads every cell through its parser instead of the column fast paths (the same result,
    slower; the tests compare both). `progress(done, total)` is called after each chunk of rows is checked
    (the office's import page shows it).
    """
    started = time.perf_counter() if started is None else started
    report = ImportReport()
    try:
        cleaner = RowCleaner(headers, fast=fast)
    except HeaderError as exc:
        report.file_error = str(exc)
        report.seconds = time.perf_counter() - started
        _record(report, actor, file_name, file_sha256, source, dry_run, skip_invalid, operator)
        return report
    with gc_paused():
        # In a function of its own, so that its 100,000-row intermediates are freed before the collector
        # is back on (it would otherwise scan them all once, at the first allocation after).
        _validate_and_write(
            report,
            cleaner,
            rows,
            keep_rows,
            dry_run,
            skip_invalid,
            started,
            (actor, file_name, file_sha256, source, operator),
            progress,
        )
    return report


CHUNK = 20_000  # rows validated, compared and written at a time


def _validate_and_write(report, cleaner, rows, keep_rows, dry_run, skip_invalid, started, about, progress=None) -> None:
    """Validate and compare the file a chunk of rows at a time, writing each chunk's changes as it goes.

    The credit codes come first, for the whole file: duplicates, then the one lookup of stored rows. Each
    chunk is then validated (every column) and compared, and its inserts and updates are handed to a
    `Writer`, which on PostgreSQL runs them in a thread of its own: the server inserts and updates one
    chunk while this process validates the next. All writes happen inside one transaction, which is
    rolled back if a later chunk turns out to hold an invalid row (without `skip_invalid`): nothing of a
    refused file is kept, as before.
    """
    actor, file_name, file_sha256, source, operator = about
    all_fields = cleaner.fields  # credit_code first, then name, as in COLUMNS
    report.fields = all_fields
    if not isinstance(rows, ColumnRows | list):
        rows = list(rows)
    cells, numbers = cleaner.cells(rows)
    code_index, code_column = cleaner.present[0]
    codes, _code_errors = code_column.parse_many(cells[code_index], use_fast=cleaner.fast)
    duplicates: dict[int, list[tuple[str, str]]] = {}
    _flag_duplicates(codes, numbers, duplicates)
    readable = [code for code in codes if code] if None in codes or "" in codes else codes
    stored = _existing(readable, all_fields[1:])

    invalid_rows: list[RowOutcome] = []
    valid_rows: list[RowOutcome] = []
    renamed: list[FormerName] = []
    # Existing companies whose districts the file changes: the registry check of the obligations watches them.
    watched = {i for i, name in enumerate(all_fields) if name in ("registration_district", "tax_district")}
    moved: list[int] = []
    writing = not dry_run
    with transaction.atomic() if writing else nullcontext():
        writer = Writer(connections[DEFAULT_DB_ALIAS], threaded=len(numbers) > CHUNK) if writing else None
        try:
            for start in range(0, len(numbers), CHUNK):
                chunk = cleaner.clean_columns(
                    [column[start : start + CHUNK] for column in cells], numbers[start : start + CHUNK]
                )
                for position in [p for p in duplicates if start <= p < start + CHUNK]:
                    chunk.errors.setdefault(position - start, []).extend(duplicates[position])
                inserts, updates = _classify_chunk(
                    report, chunk, rows, stored, keep_rows, invalid_rows, valid_rows, renamed
                )
                writing = writing and (skip_invalid or not report.invalid)
                if watched:
                    moved.extend(pk for pk, _position, changed in updates if watched.intersection(changed))
                if writing and (inserts is None or inserts or updates):
                    writer.submit(_chunk_writes(writer.db, chunk, inserts, updates))
                if progress is not None:
                    progress(min(start + CHUNK, len(numbers)), len(numbers))
        finally:
            if writer is not None:
                writer.finish()
        report.rows = invalid_rows + valid_rows
        if writing:
            if renamed:
                FormerName.objects.bulk_create(renamed, batch_size=WRITE_BATCH)
            report.applied = True
            report.seconds = time.perf_counter() - started
            _record(report, actor, file_name, file_sha256, source, dry_run, skip_invalid, operator)
            if moved:
                districts_changed.send(sender=Company, company_ids=moved, actor=actor)
        elif not dry_run:
            transaction.set_rollback(True)  # a refused file: the chunks written before the first invalid row go
    if not report.applied:
        report.seconds = time.perf_counter() - started
        _record(report, actor, file_name, file_sha256, source, dry_run, skip_invalid, operator)


def _classify_chunk(report, table, rows, stored, keep_rows, invalid_rows, valid_rows, renamed):
    """Report a chunk's invalid rows and sort its valid ones into inserts and updates.

    Returns (positions of the new rows, or None for every row of the chunk; updates: (pk, position,
    indexes of the changed fields)), positions counted within the chunk.
    """
    all_fields = table.fields
    errors, numbers = table.errors, table.numbers
    codes = table.columns[0]
    valid = [position for position in range(len(numbers)) if position not in errors] if errors else None

    def cells_of(position: int) -> Sequence[Any]:
        return rows[numbers[position] - 2]

    def outcome(position: int, kind: str, before: dict | None = None) -> RowOutcome:
        values = dict(zip(all_fields, table.row(position), strict=True))
        return RowOutcome(numbers[position], kind, codes[position], values, before or {}, cells=cells_of(position))

    for position in sorted(errors):
        report.invalid += 1
        number = numbers[position]
        cells = cells_of(position)
        report.problems.extend(RowError(number, column, message, cells) for column, message in errors[position])
        if keep_rows:
            values = dict(zip(all_fields, table.row(position), strict=True))
            invalid_rows.append(
                RowOutcome(
                    number, "invalid", values.get("credit_code") or "", values, errors=errors[position], cells=cells
                )
            )

    positions = range(len(numbers)) if valid is None else valid
    if not stored:  # all new: the first import of a registry
        report.new += len(positions)
        if keep_rows:
            valid_rows.extend(outcome(p, "new") for p in positions)
        return valid, []

    # Compared a column at a time: each stored column against the file's, in C (map with !=).
    db_columns = _db_columns(table)
    hits = list(map(stored.get, take([codes], valid)[0]))
    inserts = [p for p, hit in zip(positions, hits, strict=True) if hit is None]
    existing = [p for p, hit in zip(positions, hits, strict=True) if hit is not None]
    old_rows = [hit for hit in hits if hit is not None] if inserts else hits
    changed_of: dict[int, tuple[int, ...]] = {}
    updates: list[tuple[int, int, tuple[int, ...]]] = []
    if existing:
        old_columns = list(zip(*old_rows, strict=True))  # pk, code, *fields
        new_columns = take(db_columns, existing)
        fields = range(1, len(all_fields))  # the code is the key: equal
        if connection.vendor == "sqlite":
            for i in fields:
                if all_fields[i] in MONEY_FIELDS:
                    old_columns[i + 1] = [_sqlite_decimal(v) if v.__class__ is float else v for v in old_columns[i + 1]]
        differs = list(zip(*[map(ne, old_columns[i + 1], new_columns[i]) for i in fields], strict=True))
        today = timezone.localdate()
        for k in compress(range(len(existing)), map(any, differs)):
            changed = tuple(compress(fields, differs[k]))
            pk, position = old_rows[k][0], existing[k]
            updates.append((pk, position, changed))
            changed_of[position] = changed
            if 1 in changed:  # renamed: keep the old name
                renamed.append(FormerName(company_id=pk, name=old_rows[k][2], used_until=today))
    report.new += len(inserts)
    report.updated += len(updates)
    report.unchanged += len(existing) - len(updates)
    if keep_rows:
        old_of = dict(zip(existing, old_rows, strict=True))
        for position in positions:
            if position not in old_of:
                valid_rows.append(outcome(position, "new"))
            elif position not in changed_of:
                valid_rows.append(outcome(position, "skip"))
            else:
                was = _python_values(old_of[position][1:], all_fields)
                now = table.row(position)
                before = {all_fields[i]: was[i] for i in changed_of[position] if was[i] != now[i]}
                valid_rows.append(outcome(position, "update", before))
    return inserts, updates


def _chunk_writes(db, table, inserts, updates):
    """The writes of one chunk, prepared here (driver values, COPY text) and run by the writer."""
    db_columns = _db_columns(table)
    count = len(table.numbers) if inserts is None else len(inserts)
    insert = insert_rows(db, take(db_columns, inserts), count, table.fields)
    update = update_rows(db, updates, db_columns, table.fields)

    def run() -> None:
        insert()
        update()

    return run


def _record(report, actor, file_name, file_sha256, source, dry_run, skip_invalid, operator) -> None:
    if dry_run:
        outcome = CompanyImport.Outcome.DRY_RUN
    elif report.applied:
        outcome = CompanyImport.Outcome.APPLIED
    else:
        outcome = CompanyImport.Outcome.REFUSED
    record = CompanyImport.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        source=source,
        operator=operator[:100],
        file_name=file_name[:255],
        file_sha256=file_sha256,
        outcome=outcome,
        skip_invalid=skip_invalid,
        new=report.new,
        updated=report.updated,
        unchanged=report.unchanged,
        invalid=report.invalid,
        seconds=Decimal(str(round(report.seconds, 3))),
        message=report.file_error,
    )
    report.record = record
    audit(
        actor,
        "company_import",
        record,
        after={
            **report.counts(),
            "outcome": outcome,
            "file_name": file_name,
            "sha256": file_sha256,
            "source": source,
            "operator": operator,
        },
        reason=report.file_error,
    )
