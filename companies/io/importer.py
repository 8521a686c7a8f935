"""Bulk upsert of company records keyed on the normalised credit code.

One function, `import_rows`, used by the admin (through CompanyResource), the `import_companies`
command and the benchmark. It is built for 100,000-row files:

- every row goes through `RowCleaner.clean_table` (the shared validation, no per-row `full_clean`), a
  column at a time; a CSV read by `files.read_table` usually arrives as its columns (`ColumnRows`);
- the existing companies are read in one query keyed by the codes, as plain tuples (no model instances);
- a row whose values equal the stored ones is "unchanged" and not written, so a re-import is a no-op;
- new rows are inserted with COPY (PostgreSQL) or one prepared INSERT run by `executemany` (SQLite);
  changed rows are updated per set of changed columns; all inside one transaction: a file is applied
  whole or not at all;
- Python's cyclic garbage collector is paused meanwhile (`files.gc_paused`).

By default a file with any invalid row writes nothing; `skip_invalid=True` writes the valid rows. Either
way each problem is reported with its spreadsheet row number, the column heading and the reason.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Context, Decimal
from itertools import compress, repeat
from operator import itemgetter, ne
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from companies.models import Company, CompanyImport, FormerName
from invest.audit import audit

from .columns import BY_FIELD, CENT, DEFAULTS, FIELDS, HeaderError, RowCleaner
from .files import ColumnRows, gc_paused

LOOKUP_CHUNK = 900  # codes per IN (...) query where SQLite has no JSON functions; below its 999-parameter default
WRITE_BATCH = 2000
_DECIMAL_CONTEXT = Context(prec=16)  # max_digits of the money fields
DATE_FIELDS = frozenset(name for name in FIELDS if Company._meta.get_field(name).get_internal_type() == "DateField")
MONEY_FIELDS = frozenset(name for name in FIELDS if Company._meta.get_field(name).get_internal_type() == "DecimalField")


@dataclass
class Problem:
    row: int
    column: str
    message: str
    cells: Sequence[Any] = ()

    def __str__(self) -> str:
        where = _("第%(row)d行") % {"row": self.row}
        return f"{where}［{self.column}］{self.message}" if self.column else f"{where} {self.message}"


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
    problems: list[Problem] = field(default_factory=list)
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


def _is_blank(cells: Sequence[Any]) -> bool:
    return all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in cells)


def _existing(codes: Sequence[str], fields: tuple[str, ...]) -> dict[str, tuple]:
    """Stored values of the given codes, in one query: code -> (pk, code, *fields).

    Less the pk, each tuple lines up with the file's rows in `_db_columns` form: a row compares with `==`.
    Raw SQL rather than values_list: at 100,000 codes the ORM's per-parameter preparation and per-value
    converters cost more than the query. PostgreSQL gets the codes as one text parameter split on the
    server (valid codes are letters and digits only), and psycopg returns Decimal, date and bool. SQLite
    gets them as one JSON array; its date columns are selected as `+column`, an expression without a
    declared type, so the driver returns the stored ISO text instead of calling Django's Python date
    converter once per value; money comes back as the stored int or float (`_exact` settles floats).
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


def _exact(stored: tuple) -> tuple:
    """SQLite returns money as float where the amount has cents it cannot store as an integer, and a
    Decimal compares with a float exactly (0.10 != 0.1): read those floats back as Django does."""
    return tuple(_sqlite_decimal(v) if v.__class__ is float else v for v in stored)


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
        return _DECIMAL_CONTEXT.create_decimal_from_float(value).quantize(CENT)
    return Decimal(value).quantize(CENT)


def _sqlite_date(value):
    return date.fromisoformat(value) if isinstance(value, str) else value


def _take(columns: list[Sequence[Any]], positions: list[int] | None) -> list[Sequence[Any]]:
    """The given rows of each column (all rows for None)."""
    if positions is None:
        return columns
    if len(positions) < 2:  # itemgetter gives a tuple for two or more
        return [[column[position] for position in positions] for column in columns]
    get = itemgetter(*positions)
    return [get(column) for column in columns]


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
) -> ImportReport:
    """Validate every row, then insert new companies and update changed ones, all or nothing.

    `rows` may be `ColumnRows` (a CSV read by columns), which is validated column by column as it is.
    `fast=False` reads every cell through its parser instead of the column fast paths (the same result,
    slower; the tests compare both).
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
        )
    return report


def _validate_and_write(report, cleaner, rows, keep_rows, dry_run, skip_invalid, started, about) -> None:
    actor, file_name, file_sha256, source, operator = about
    table, inserts, updates = _classify(report, cleaner, rows, keep_rows)
    refused = bool(report.invalid) and not skip_invalid
    if not dry_run and not refused:
        db_columns = _db_columns(table)
        with transaction.atomic():
            count = len(table.numbers) if inserts is None else len(inserts)
            _insert(_take(db_columns, inserts), count, cleaner.fields)
            _update(updates, db_columns, cleaner.fields)
            report.applied = True
            report.seconds = time.perf_counter() - started
            _record(report, actor, file_name, file_sha256, source, dry_run, skip_invalid, operator)
    else:
        report.seconds = time.perf_counter() - started
        _record(report, actor, file_name, file_sha256, source, dry_run, skip_invalid, operator)


def _classify(report: ImportReport, cleaner: RowCleaner, rows, keep_rows: bool):
    """Clean the rows, report the invalid ones, and sort the valid ones into inserts and updates.

    Returns (the cleaned table, positions of the new rows or None for every row, updates: (pk, position,
    old name when renamed, indexes of the changed fields)).
    """
    all_fields = cleaner.fields  # credit_code first, then name, as in COLUMNS
    report.fields = all_fields
    if not isinstance(rows, ColumnRows | list):
        rows = list(rows)
    table = cleaner.clean_table(rows)
    errors, numbers = table.errors, table.numbers
    codes = table.columns[0]
    _flag_duplicates(codes, numbers, errors)
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
        report.problems.extend(Problem(number, column, message, cells) for column, message in errors[position])
        if keep_rows:
            values = dict(zip(all_fields, table.row(position), strict=True))
            report.rows.append(
                RowOutcome(
                    number, "invalid", values.get("credit_code") or "", values, errors=errors[position], cells=cells
                )
            )

    stored = _existing(codes if valid is None else [codes[position] for position in valid], all_fields[1:])
    if not stored:  # all new: the first import of a registry
        report.new = len(numbers) if valid is None else len(valid)
        if keep_rows:
            report.rows.extend(outcome(p, "new") for p in (range(len(numbers)) if valid is None else valid))
        return table, valid, []

    db_rows = list(zip(*_db_columns(table), strict=True))
    inserts: list[int] = []
    updates: list[tuple[int, int, str, tuple[int, ...]]] = []
    sqlite = connection.vendor == "sqlite"
    everything = range(len(all_fields))
    get = stored.get
    for position in range(len(db_rows)) if valid is None else valid:
        values = db_rows[position]
        stored_row = get(values[0])
        if stored_row is None:
            report.new += 1
            inserts.append(position)
            if keep_rows:
                report.rows.append(outcome(position, "new"))
            continue
        old = stored_row[1:]
        if old != values and sqlite and float in set(map(type, old)):
            old = _exact(old)
        if old == values:
            report.unchanged += 1
            if keep_rows:
                report.rows.append(outcome(position, "skip"))
            continue
        report.updated += 1
        changed = tuple(compress(everything, map(ne, old, values)))
        updates.append((stored_row[0], position, old[1] if 1 in changed else "", changed))
        if keep_rows:
            was_values = _python_values(old, all_fields)
            now_values = table.row(position)
            before = {all_fields[i]: was_values[i] for i in changed if was_values[i] != now_values[i]}
            report.rows.append(outcome(position, "update", before))
    return table, inserts, updates


def _insert(columns: list[Sequence[Any]], count: int, fields: tuple[str, ...]) -> None:
    """New rows without model instances: COPY on PostgreSQL, one prepared INSERT run by executemany on SQLite.

    The values are already in the driver's form (`_db_columns`); only the aware timestamps go through
    Django, once for the whole file.
    """
    if not count:
        return
    meta = Company._meta
    missing = [name for name in DEFAULTS if name not in fields]
    names = [*fields, *missing, "created_at", "updated_at"]
    now = meta.get_field("created_at").get_db_prep_save(timezone.now(), connection)
    tail = (*(DEFAULTS[name] for name in missing), now, now)
    qn = connection.ops.quote_name
    column_sql = ", ".join(qn(meta.get_field(name).column) for name in names)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            _copy(cursor, f"{qn(meta.db_table)} ({column_sql})", columns, fields, tail, names[len(fields) :], count)
            return
        sql = f"INSERT INTO {qn(meta.db_table)} ({column_sql}) VALUES ({', '.join(['%s'] * len(names))})"
        cursor.executemany(sql, zip(*columns, *map(repeat, tail), strict=False))


GROUPS_MAX = 20  # distinct sets of changed columns written separately; more than that: all columns at once


def _update(updates: list[tuple[int, int, str, tuple[int, ...]]], columns: list[Sequence[Any]], fields) -> None:
    """Changed rows, grouped by which columns changed, each group writing only those columns.

    A re-import usually changes the same few columns (a new phone number, a capital increase): writing
    just those keeps SQLite from rewriting the name and district indexes and PostgreSQL from copying
    every column into the temporary table. Far cheaper than bulk_update's CASE WHEN per field per row.
    `fields` are the file's fields (credit_code first, never changed: it is the key).
    """
    if not updates:
        return
    meta = Company._meta
    qn = connection.ops.quote_name
    table = qn(meta.db_table)
    now = meta.get_field("updated_at").get_db_prep_save(timezone.now(), connection)
    groups: dict[tuple[int, ...], list] = {}
    for update in updates:
        groups.setdefault(update[3], []).append(update)
    if len(groups) > GROUPS_MAX:
        groups = {tuple(range(1, len(fields))): updates}
    with connection.cursor() as cursor:
        for changed, items in groups.items():
            positions = [position for _pk, position, _n, _c in items]
            names = [fields[i] for i in changed]
            values = [*_take([columns[i] for i in changed], positions), [pk for pk, *_rest in items]]
            if connection.vendor == "postgresql":
                # COPY the new values into a temporary table, then one UPDATE ... FROM joins them in.
                targets = [qn(meta.get_field(name).column) for name in [*names, "updated_at"]]
                cursor.execute(
                    f"CREATE TEMPORARY TABLE company_import_updates ON COMMIT DROP AS "
                    f"SELECT {', '.join(targets)}, {qn('id')} FROM {table} WITH NO DATA"
                )
                _copy(
                    cursor,
                    f"company_import_updates ({', '.join(targets)}, {qn('id')})",
                    values,
                    [*names, "id"],
                    (now,),
                    ["updated_at"],
                    len(positions),
                    tail_first=True,
                )
                assignments = ", ".join(f"{name} = u.{name}" for name in targets)
                cursor.execute(
                    f"UPDATE {table} AS c SET {assignments} FROM company_import_updates AS u "
                    f"WHERE c.{qn('id')} = u.{qn('id')}"
                )
                cursor.execute("DROP TABLE company_import_updates")
            else:
                assignments = ", ".join(f"{qn(meta.get_field(name).column)} = %s" for name in names)
                cursor.executemany(
                    f"UPDATE {table} SET {assignments}, {qn('updated_at')} = %s WHERE {qn(meta.pk.column)} = %s",
                    zip(*values[:-1], repeat(now), values[-1], strict=False),
                )
    today = timezone.localdate()
    renamed = [
        FormerName(company_id=pk, name=old_name, used_until=today) for pk, _p, old_name, _c in updates if old_name
    ]
    if renamed:
        FormerName.objects.bulk_create(renamed, batch_size=WRITE_BATCH)


# --- PostgreSQL COPY, written a column at a time --------------------------------------------------------
# psycopg's write_row formats one row per Python call; at 100,000 rows that costs more than the server's
# work. Here each column becomes COPY text in one pass (escaping only a column that needs it), and the
# lines are joined in C, COPY_CHUNK rows per write.

COPY_CHUNK = 10_000
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_COPY_NULL = "\\N"


def _copy_text(values: Sequence[Any], field: str) -> Sequence[str]:
    """One column in COPY's text format: NULL as \\N, booleans as t/f, backslash, tab and line ends escaped."""
    kind = Company._meta.get_field(field).get_internal_type() if field != "id" else "AutoField"
    if kind in ("CharField", "EmailField", "TextField"):
        joined = "".join(values)  # TypeError for a None: a text column of ours never has one
        if "\\" in joined or "\t" in joined or "\n" in joined or "\r" in joined:
            return [value.translate(_COPY_ESCAPES) for value in values]
        return values
    if kind == "BooleanField":
        return ["t" if value else "f" if value is not None else _COPY_NULL for value in values]
    # numbers, dates, timestamps: str() is the ISO / plain decimal form PostgreSQL reads
    return [_COPY_NULL if value is None else str(value) for value in values]


def _copy(cursor, target: str, columns, fields, tail: tuple, tail_fields, count: int, tail_first=False) -> None:
    texts = [_copy_text(column, field) for column, field in zip(columns, fields, strict=True)]
    constant = "\t".join(_copy_text([value], field)[0] for value, field in zip(tail, tail_fields, strict=True))
    if tail_first:  # the update table: changed columns, updated_at, id
        texts = [*texts[:-1], [constant] * count, texts[-1]]
    else:
        texts = [*texts, [constant] * count]
    with cursor.cursor.copy(f"COPY {target} FROM STDIN") as copy:
        for start in range(0, count, COPY_CHUNK):
            chunk = [text[start : start + COPY_CHUNK] for text in texts]
            copy.write("\n".join(map("\t".join, zip(*chunk, strict=True))) + "\n")


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
