"""Bulk upsert of company records keyed on the normalised credit code.

One function, `import_rows`, used by the admin (through CompanyResource), the `import_companies`
command, the office's import page and the benchmark. It is built for files of a million rows, which it
reads, validates, compares and writes a chunk of `CHUNK` rows at a time, so that its memory does not grow
with the file:

- the rows arrive as a `reader.RowStream` (a file on disk, read a block at a time: `reader.open_table`),
  or as a list or `ColumnRows` (`reader.read_table`, small files and tests), and are cut into chunks;
- every chunk goes through `RowCleaner.clean_columns` (the widgets CompanyResource declares, no per-row
  `full_clean`), a column at a time;
- a credit code seen on an earlier row is found in a temporary SQLite file of the codes read so far (code,
  row number), one statement per chunk: the file holds them, not this process's memory (`_SeenCodes`);
- on PostgreSQL the chunk's valid rows are COPYed into a temporary table and one statement compares them
  with the stored companies and writes the differences, in the server (`writer.ServerUpsert`): nothing
  is read back but the counts, the ids of companies whose districts changed, and FormerName rows are
  written by the same statement;
- elsewhere (SQLite, a preview, a chunk that is not written) the chunk's existing companies are read in
  one query keyed by its codes, as plain tuples, and compared here;
- a row whose values equal the stored ones is "unchanged" and not written, so a re-import is a no-op;
- new rows are inserted with COPY (PostgreSQL) or one prepared INSERT run by `executemany` (SQLite);
  changed rows are updated (on SQLite per set of changed columns); all inside one transaction: a file is
  applied whole or not at all;
- each problem goes to the caller's `on_problem` as it is found (the command's report file, the page's
  rejected-rows file); the report keeps the counts and the first `PROBLEMS_KEPT` problems, and outcomes
  of rows for a preview only up to `keep_rows` of each kind;
- Python's cyclic garbage collector is paused meanwhile (`reader.gc_paused`), and run over the young
  objects between chunks.

By default a file with any invalid row writes nothing; `skip_invalid=True` writes the valid rows. Either
way each problem is reported with its spreadsheet row number, the column heading and the reason.
"""

from __future__ import annotations

import gc
import json
import sqlite3
import time
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import closing, nullcontext
from dataclasses import dataclass, field
from datetime import date
from decimal import Context, Decimal
from itertools import compress, islice
from operator import ne
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from companies.models import Company, CompanyImport, FormerName
from invest.audit import audit
from invest.money import to_fen

from .columns import BY_FIELD, FIELDS, HeaderError, RowCleaner
from .reader import ColumnRows, FileError, RowError, RowStream, gc_paused
from .signals import districts_changed
from .writer import GROUPS_MAX, ServerUpsert, Writer, insert_rows, take, update_rows  # noqa: F401 - GROUPS_MAX: tests

LOOKUP_CHUNK = 900  # codes per IN (...) query where SQLite has no JSON functions; below its 999-parameter default
WRITE_BATCH = 2000
CHUNK = 5_000  # rows read, validated, compared and written at a time
PROBLEMS_KEPT = 1000  # problems kept on the report (the page shows 200); all of them go to `on_problem`
SIGNAL_CHUNK = 10_000  # company ids per districts_changed signal
SEEN_CACHE_KB = 8192  # page cache of the codes seen so far (_SeenCodes)
_DECIMAL_CONTEXT = Context(prec=16)  # max_digits of the money fields
DATE_FIELDS = frozenset(name for name in FIELDS if Company._meta.get_field(name).get_internal_type() == "DateField")
MONEY_FIELDS = frozenset(name for name in FIELDS if Company._meta.get_field(name).get_internal_type() == "DecimalField")


@dataclass
class RowOutcome:
    """What happened to one row; kept only when the caller asks (the admin preview, the page's samples)."""

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
    problems: list[RowError] = field(default_factory=list)  # the first PROBLEMS_KEPT
    problem_count: int = 0  # all of them
    rows: list[RowOutcome] = field(default_factory=list)  # invalid rows first, then the valid ones, in file order
    rows_read: int = 0  # data records read, blank rows included
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

    def add_problem(self, problem: RowError, on_problem: Callable[[RowError], None] | None) -> None:
        self.problem_count += 1
        if len(self.problems) < PROBLEMS_KEPT:
            self.problems.append(problem)
        if on_problem is not None:
            on_problem(problem)


def _existing(codes: Sequence[str], fields: tuple[str, ...]) -> dict[str, tuple]:
    """Stored values of the given codes (one chunk's), in one query: code -> (pk, code, *fields).

    Less the pk, each tuple lines up with the file's rows in `_db_columns` form: a row compares with `==`.
    Raw SQL rather than values_list: the ORM's per-parameter preparation and per-value converters cost
    more than the query. psycopg returns Decimal, date and bool. On SQLite the date columns are selected as
    `+column`, an expression without a declared type, so the driver returns the stored ISO text instead of
    calling Django's Python date converter once per value; money comes back as the stored int or float
    (`_classify_chunk` reads floats back as Django does: a Decimal compares with a float exactly, and
    0.10 != 0.1).
    """
    if not codes:
        return {}
    meta = Company._meta
    qn = connection.ops.quote_name
    names = ("id", "credit_code", *fields)
    sqlite = connection.vendor == "sqlite"
    select = ", ".join(
        f"+{qn(meta.get_field(name).column)}" if sqlite and name in DATE_FIELDS else qn(meta.get_field(name).column)
        for name in names
    )
    with connection.cursor() as cursor:
        rows = _select_codes(cursor, f"SELECT {select} FROM {qn(meta.db_table)} WHERE", qn("credit_code"), codes)
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


class _SeenCodes:
    """The credit codes of the rows read so far, each with its row number, in a private SQLite database on
    disk (`sqlite3.connect("")`: a temporary file, deleted when closed, behind a page cache of SEEN_CACHE_KB).

    A million codes would take some 100 MB as Python strings. The import's own database would do too, but a
    temporary table there costs more: PostgreSQL keeps no statistics on one (an IN list scans it whole) and
    shares the connection with the writer thread. Here one `INSERT OR IGNORE` per chunk adds its codes;
    only a chunk that holds a code seen before (a file with duplicates) asks which.
    """

    def __init__(self):
        self.db = sqlite3.connect("", isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode = OFF")
        self.db.execute("PRAGMA synchronous = OFF")
        self.db.execute(f"PRAGMA cache_size = -{SEEN_CACHE_KB}")
        self.db.execute("CREATE TABLE seen (code TEXT PRIMARY KEY, row INTEGER NOT NULL) WITHOUT ROWID")
        self.db.execute("BEGIN")

    def remember(self, codes: list[str], rows: list[int]) -> dict[str, int]:
        """Add the codes (distinct) with their row numbers; returns those already there, with their rows."""
        if not codes:
            return {}
        before = self.db.total_changes
        self.db.executemany("INSERT OR IGNORE INTO seen (code, row) VALUES (?, ?)", zip(codes, rows, strict=True))
        if self.db.total_changes - before == len(codes):
            return {}
        stored: dict[str, int] = {}
        for start in range(0, len(codes), LOOKUP_CHUNK):
            part = codes[start : start + LOOKUP_CHUNK]
            marks = ", ".join(["?"] * len(part))
            stored.update(self.db.execute(f"SELECT code, row FROM seen WHERE code IN ({marks})", part))
        return {code: stored[code] for code, row in zip(codes, rows, strict=True) if stored[code] != row}

    def close(self) -> None:
        self.db.close()


def _select_codes(cursor, select: str, column: str, codes: Sequence[str]) -> list[tuple]:
    """Rows of `select` ("SELECT ... FROM ... WHERE") whose `column` is one of `codes`, in one query: PostgreSQL
    gets the codes as one text parameter split on the server (valid codes are letters and digits only),
    SQLite as one JSON array (or, before 3.38, in IN lists below its parameter limit)."""
    if connection.vendor == "postgresql":
        cursor.execute(f"{select} {column} = ANY(string_to_array(%s, ','))", [",".join(codes)])
        return cursor.fetchall()
    if sqlite3.sqlite_version_info >= (3, 38):  # JSON functions built in
        cursor.execute(f"{select} {column} IN (SELECT value FROM json_each(%s))", [json.dumps(list(codes))])
        return cursor.fetchall()
    rows = []
    for start in range(0, len(codes), LOOKUP_CHUNK):
        chunk = list(codes[start : start + LOOKUP_CHUNK])
        cursor.execute(f"{select} {column} IN ({', '.join(['%s'] * len(chunk))})", chunk)
        rows.extend(cursor.fetchall())
    return rows


def _flag_duplicates(
    codes: list, numbers: list[int], errors: dict[int, list[tuple[str, str]]], seen: _SeenCodes
) -> None:
    """A code seen on an earlier row (of this chunk or an earlier one) makes the later row invalid (every
    readable code counts, also one on a row with other errors); the first row of each code is remembered."""
    readable = [(position, code) for position, code in enumerate(codes) if code]
    if not readable:
        return
    first_in_chunk: dict[str, int] = {}
    for position, code in readable:
        first_in_chunk.setdefault(code, numbers[position])
    earlier = seen.remember(list(first_in_chunk), list(first_in_chunk.values()))
    if not earlier and len(first_in_chunk) == len(readable):
        return
    code_header = BY_FIELD["credit_code"].header
    for position, code in readable:
        row = earlier.get(code)
        if row is None:
            row = first_in_chunk[code]
            if row == numbers[position]:
                continue
        errors.setdefault(position, []).append(
            (
                code_header,
                _("统一社会信用代码%(code)s与第%(row)d行重复；同一企业在一个文件中只能出现一次，请合并或删去本行。")
                % {"code": code, "row": row},
            )
        )


def import_rows(
    headers: Sequence[Any],
    rows: Iterable[Sequence[Any]] | RowStream,
    *,
    actor=None,
    file_name: str = "",
    file_sha256: str = "",
    source: str = "command",
    dry_run: bool = False,
    skip_invalid: bool = False,
    keep_rows: bool | int = False,
    started: float | None = None,
    operator: str = "",
    fast: bool = True,
    progress: Callable[[int, int], None] | None = None,
    estimated_rows: int = 0,
    on_problem: Callable[[RowError], None] | None = None,
) -> ImportReport:
    """Validate every row, then insert new companies and update changed ones, all or nothing.

    `rows` may be a `RowStream` (a file read a block at a time), `ColumnRows` (a CSV read by columns), a list
    or any iterable of rows; either way it is read a chunk at a time. `keep_rows` keeps the outcome of each
    row for a preview: True all of them, a number at most that many of each kind (new, update, skip,
    invalid). `on_problem` is called with every problem, in file order, as it is found. `fast=False` reads
    every cell through its parser instead of the column fast paths (the same result, slower; the tests
    compare both). `progress(done, total)` is called after each chunk of rows is checked (the office's
    import page shows it); `total` is `estimated_rows` until the rows read pass it.
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
        _validate_and_write(
            report,
            cleaner,
            rows,
            _Kept(keep_rows),
            dry_run,
            skip_invalid,
            started,
            (actor, file_name, file_sha256, source, operator),
            progress,
            estimated_rows,
            on_problem,
        )
    return report


class _Kept:
    """Which row outcomes a preview keeps: all (True), none (False) or the first n of each kind."""

    def __init__(self, keep: bool | int):
        self.limit = None if keep is True else int(keep)
        self.counts: dict[str, int] = {}
        self.invalid: list[RowOutcome] = []
        self.valid: list[RowOutcome] = []

    def __bool__(self) -> bool:
        return self.limit is None or self.limit > 0

    def wants(self, kind: str) -> bool:
        if self.limit is None:
            return True
        count = self.counts.get(kind, 0)
        if count >= self.limit:
            return False
        self.counts[kind] = count + 1
        return True


def _blocks(rows, size: int) -> Iterator[Sequence[Sequence[Any]]]:
    """The rows in consecutive blocks of `size` (blank rows included)."""
    if isinstance(rows, RowStream):
        yield from rows.blocks(size)
    elif isinstance(rows, ColumnRows):
        for start in range(0, len(rows), size):
            yield ColumnRows([column[start : start + size] for column in rows.columns], min(size, len(rows) - start))
    elif isinstance(rows, list | tuple):
        for start in range(0, len(rows), size):
            yield rows[start : start + size]
    else:
        iterator = iter(rows)
        while block := list(islice(iterator, size)):
            yield block


def _validate_and_write(
    report, cleaner, rows, kept, dry_run, skip_invalid, started, about, progress, estimated_rows, on_problem
) -> None:
    """Read, validate, compare and write the file a chunk at a time.

    Each chunk is validated (every column) and its codes checked against the rows before it (`_SeenCodes`).
    On PostgreSQL (unless the registry is empty, or a preview keeps row outcomes) its valid rows are then
    handed to a `Writer` as one `ServerUpsert` job, compared and written by the server; otherwise its
    existing companies are read and compared here (`_classify_chunk`) and its inserts and updates handed to
    the `Writer`. On PostgreSQL the writer runs in a thread of its own: the server compares and writes one
    chunk while this process validates the next. All writes happen inside one transaction, which is rolled back if a later chunk turns out to
    hold an invalid row (without `skip_invalid`) or the file turns out unreadable: nothing of a refused
    file is kept. Only the chunk at hand is in memory, besides the counts, the first problems, the
    outcomes kept for a preview and the ids of the companies whose districts changed (8 bytes each).
    """
    actor, file_name, file_sha256, source, operator = about
    all_fields = cleaner.fields  # credit_code first, then name, as in COLUMNS
    report.fields = all_fields
    # Existing companies whose districts the file changes: the registry check of the obligations watches them.
    watched = {i for i, name in enumerate(all_fields) if name in ("registration_district", "tax_district")}
    moved = array("q")
    writing = not dry_run
    db = connections[DEFAULT_DB_ALIAS]
    seen = _SeenCodes()
    # A dry run writes nothing and needs no transaction; outside one, the page's progress is seen as it goes.
    with closing(seen), transaction.atomic() if writing else nullcontext():
        # A first import into an empty registry has nothing to compare with: a code that the import itself
        # has written can only come again as a duplicate, which is invalid. No lookups then.
        registry_empty = not Company.objects.exists()
        writer = Writer(db, threaded=True) if writing else None
        # On PostgreSQL the server compares the rows it is given with the stored ones (`ServerUpsert`);
        # a preview keeping row outcomes compares here, as does a chunk that is not written.
        server = None
        if writing and db.vendor == "postgresql" and not registry_empty and not kept:
            server = ServerUpsert(db, all_fields, [all_fields[i] for i in sorted(watched)])
        done = 0
        try:
            for block in _blocks(rows, CHUNK):
                first = 2 + done
                done += len(block)
                cells, numbers = cleaner.cells(block, first)
                if numbers:
                    chunk = cleaner.clean_columns(cells, numbers)
                    _flag_duplicates(chunk.columns[0], numbers, chunk.errors, seen)
                    writing = writing and (skip_invalid or not (report.invalid or chunk.errors))
                    if writing and server is not None:
                        valid = _report_invalid(report, chunk, block, first, kept, on_problem)
                        count = len(chunk.numbers) if valid is None else len(valid)
                        job = server.job(take(chunk.columns, valid), count, timezone.now(), timezone.localdate())
                        writer.submit(job)
                        del chunk, cells, job
                    else:
                        renamed: list[FormerName] = []
                        inserts, updates = _classify_chunk(
                            report, chunk, block, first, kept, renamed, on_problem, registry_empty
                        )
                        if watched:
                            moved.extend(pk for pk, _position, changed in updates if watched.intersection(changed))
                        if writing and (inserts is None or inserts or updates):
                            writer.submit(_chunk_writes(writer.db, chunk, inserts, updates))
                        if writing and renamed:
                            FormerName.objects.bulk_create(renamed, batch_size=WRITE_BATCH)
                        del chunk, cells, renamed, inserts, updates
                del block
                if progress is not None:
                    progress(done, max(estimated_rows, done))
                gc.collect(1)  # the young objects only: cyclic garbage of a chunk (none expected) goes with it
            if server is not None and writing:
                writer.submit(server.finish())
        except FileError as exc:  # a streamed file found unreadable midway (a broken quote, a bad sheet)
            report.file_error = str(exc)
            writing = False
        finally:
            if writer is not None:
                writer.finish()
        if report.file_error:
            report.new = report.updated = report.unchanged = 0
        elif server is not None:  # the chunks the server compared (the writer is done with them)
            report.new += server.new
            report.updated += server.updated
            report.unchanged += server.compared - server.new - server.updated
            moved.extend(server.moved)
        report.rows_read = done
        report.rows = kept.invalid + kept.valid
        if writing:
            report.applied = True
            report.seconds = time.perf_counter() - started
            _record(report, actor, file_name, file_sha256, source, dry_run, skip_invalid, operator)
            for start in range(0, len(moved), SIGNAL_CHUNK):
                districts_changed.send(
                    sender=Company, company_ids=moved[start : start + SIGNAL_CHUNK].tolist(), actor=actor
                )
        elif not dry_run:
            transaction.set_rollback(True)  # a refused file: the chunks written before the refusal go
    if not report.applied:
        report.seconds = time.perf_counter() - started
        _record(report, actor, file_name, file_sha256, source, dry_run, skip_invalid, operator)


def _report_invalid(report, table, block, first, kept, on_problem) -> list[int] | None:
    """Report a chunk's invalid rows (in file order); returns the positions of the valid ones, or None
    when every row is valid."""
    all_fields = table.fields
    errors, numbers = table.errors, table.numbers
    if not errors:
        return None
    for position in sorted(errors):
        report.invalid += 1
        number = numbers[position]
        cells = block[number - first]
        for column, message in errors[position]:
            report.add_problem(RowError(number, column, message, cells), on_problem)
        if kept.wants("invalid"):
            values = dict(zip(all_fields, table.row(position), strict=True))
            kept.invalid.append(
                RowOutcome(
                    number, "invalid", values.get("credit_code") or "", values, errors=errors[position], cells=cells
                )
            )
    return [position for position in range(len(numbers)) if position not in errors]


def _classify_chunk(report, table, block, first, kept, renamed, on_problem, registry_empty=False):
    """Report a chunk's invalid rows and sort its valid ones into inserts and updates.

    Returns (positions of the new rows, or None for every row of the chunk; updates: (pk, position,
    indexes of the changed fields)), positions counted within the chunk.
    """
    all_fields = table.fields
    numbers = table.numbers
    codes = table.columns[0]
    valid = _report_invalid(report, table, block, first, kept, on_problem)

    def cells_of(position: int) -> Sequence[Any]:
        return block[numbers[position] - first]

    def outcome(position: int, kind: str, before: dict | None = None) -> RowOutcome:
        values = dict(zip(all_fields, table.row(position), strict=True))
        return RowOutcome(numbers[position], kind, codes[position], values, before or {}, cells=cells_of(position))

    positions = range(len(numbers)) if valid is None else valid
    stored = {} if registry_empty else _existing(take([codes], valid)[0], all_fields[1:])
    if not stored:  # all new: the first import of a registry
        report.new += len(positions)
        if kept:
            kept.valid.extend(outcome(p, "new") for p in positions if kept.wants("new"))
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
    if kept:
        old_of = dict(zip(existing, old_rows, strict=True))
        for position in positions:
            if position not in old_of:
                if kept.wants("new"):
                    kept.valid.append(outcome(position, "new"))
            elif position not in changed_of:
                if kept.wants("skip"):
                    kept.valid.append(outcome(position, "skip"))
            elif kept.wants("update"):
                was = _python_values(old_of[position][1:], all_fields)
                now = table.row(position)
                before = {all_fields[i]: was[i] for i in changed_of[position] if was[i] != now[i]}
                kept.valid.append(outcome(position, "update", before))
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
