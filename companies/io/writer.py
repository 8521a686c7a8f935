"""The writes of a company import: new rows by COPY (PostgreSQL) or one prepared INSERT (SQLite), changed
rows by the columns that changed, or on PostgreSQL a chunk compared with the registry and written by the
server (`ServerUpsert`), run in order by a `Writer` (on PostgreSQL in a thread of its own, while the
importer validates the next chunk). Used by companies.io.importer only; values arrive in the driver's
form, prepared there.
"""

from __future__ import annotations

import queue
import sys
import threading
from collections.abc import Sequence
from itertools import repeat
from operator import itemgetter
from typing import Any

from django.utils import timezone

from companies.models import Company, FormerName

from .columns import DEFAULTS


def take(columns: list[Sequence[Any]], positions: list[int] | None) -> list[Sequence[Any]]:
    """The given rows of each column (all rows for None)."""
    if positions is None:
        return columns
    if len(positions) < 2:  # itemgetter gives a tuple for two or more
        return [[column[position] for position in positions] for column in columns]
    get = itemgetter(*positions)
    return [get(column) for column in columns]


SWITCH_INTERVAL = 0.0005  # seconds; the interpreter's default is 0.005 (sys.getswitchinterval)


class Writer:
    """Runs an import's writes in order, on the importing thread's connection (so in its transaction).

    With `threaded` (PostgreSQL, more than one chunk) a thread of its own runs them, so that the
    database server works on one chunk while this process validates the next: the waiting happens with
    Python's lock released. SQLite writes inline: its driver would take the interpreter lock back for
    every row. An error in a write is raised in the importing thread, at the next chunk or at the end.
    """

    def __init__(self, db, threaded: bool):
        self.db = db
        self.error: BaseException | None = None
        self.queue: queue.Queue | None = None
        if threaded and db.vendor == "postgresql":
            self.queue = queue.Queue(maxsize=2)  # at most two prepared chunks waiting: bounded memory
            db.inc_thread_sharing()
            # Each reply of the server (a COPY piece flushed, a statement done) has this thread wait for the
            # interpreter lock while the importing thread validates, by default up to 5 ms a time: a
            # quarter of a chunk's write at a million rows. A shorter switch interval, for the import only.
            self.switch_interval = sys.getswitchinterval()
            sys.setswitchinterval(min(self.switch_interval, SWITCH_INTERVAL))
            self.thread = threading.Thread(target=self._run, name="company-import-writer", daemon=True)
            self.thread.start()

    def submit(self, job) -> None:
        self._raise()
        if self.queue is None:
            job()
        else:
            self.queue.put(job)

    def _run(self) -> None:
        for job in iter(self.queue.get, None):
            if self.error is None:
                try:
                    job()
                except BaseException as exc:  # handed to the importing thread
                    self.error = exc

    def finish(self) -> None:
        if self.queue is not None:
            self.queue.put(None)
            self.thread.join()
            self.queue = None
            self.db.dec_thread_sharing()
            sys.setswitchinterval(self.switch_interval)
        self._raise()

    def _raise(self) -> None:
        if self.error is not None:
            error, self.error = self.error, None
            raise error


def _nothing() -> None:
    return None


def insert_rows(db, columns: list[Sequence[Any]], count: int, fields: tuple[str, ...]):
    """New rows without model instances: COPY on PostgreSQL, one prepared INSERT run by executemany on SQLite.

    Returns the write to run (see `Writer`); what can be prepared beforehand is. The values are already
    in the driver's form (`_db_columns`); only the aware timestamps go through Django, once per chunk.
    """
    if not count:
        return _nothing
    meta = Company._meta
    missing = [name for name in DEFAULTS if name not in fields]
    names = [*fields, *missing, "created_at", "updated_at"]
    now = meta.get_field("created_at").get_db_prep_save(timezone.now(), db)
    tail = (*(DEFAULTS[name] for name in missing), now, now)
    qn = db.ops.quote_name
    column_sql = ", ".join(qn(meta.get_field(name).column) for name in names)
    if db.vendor == "postgresql":
        text = _copy_lines(columns, fields, tail, names[len(fields) :], count)
        return lambda: _copy(db, f"COPY {qn(meta.db_table)} ({column_sql}) FROM STDIN", text)
    sql = f"INSERT INTO {qn(meta.db_table)} ({column_sql}) VALUES ({', '.join(['%s'] * len(names))})"

    def run() -> None:
        with db.cursor() as cursor:
            cursor.executemany(sql, zip(*columns, *map(repeat, tail), strict=False))

    return run


GROUPS_MAX = 20  # distinct sets of changed columns written separately; more than that: all columns at once


def update_rows(db, updates: list[tuple[int, int, tuple[int, ...]]], columns: list[Sequence[Any]], fields):
    """Changed rows, grouped by which columns changed, each group writing only those columns.

    A re-import usually changes the same few columns (a new phone number, a capital increase): writing
    just those keeps SQLite from rewriting the name and district indexes and PostgreSQL from copying
    every column into the temporary table. Far cheaper than bulk_update's CASE WHEN per field per row.
    `fields` are the file's fields (credit_code first, never changed: it is the key). Returns the write
    to run, as `insert_rows`.
    """
    if not updates:
        return _nothing
    meta = Company._meta
    qn = db.ops.quote_name
    table = qn(meta.db_table)
    now = meta.get_field("updated_at").get_db_prep_save(timezone.now(), db)
    groups: dict[tuple[int, ...], list] = {}
    for update in updates:
        groups.setdefault(update[2], []).append(update)
    if len(groups) > GROUPS_MAX:
        groups = {tuple(range(1, len(fields))): updates}
    statements = []  # (sql, COPY text for it or None, executemany parameters or None)
    for changed, items in groups.items():
        positions = [position for _pk, position, _c in items]
        names = [fields[i] for i in changed]
        values = [*take([columns[i] for i in changed], positions), [pk for pk, _p, _c in items]]
        if db.vendor == "postgresql":
            # COPY the new values into a temporary table, then one UPDATE ... FROM joins them in.
            targets = [qn(meta.get_field(name).column) for name in [*names, "updated_at"]]
            text = _copy_lines(values, [*names, "id"], (now,), ["updated_at"], len(positions), tail_before_last=True)
            assignments = ", ".join(f"{name} = u.{name}" for name in targets)
            statements += [
                (
                    f"CREATE TEMPORARY TABLE company_import_updates ON COMMIT DROP AS "
                    f"SELECT {', '.join(targets)}, {qn('id')} FROM {table} WITH NO DATA",
                    None,
                    None,
                ),
                (f"COPY company_import_updates ({', '.join(targets)}, {qn('id')}) FROM STDIN", text, None),
                (
                    f"UPDATE {table} AS c SET {assignments} FROM company_import_updates AS u "
                    f"WHERE c.{qn('id')} = u.{qn('id')}",
                    None,
                    None,
                ),
                ("DROP TABLE company_import_updates", None, None),
            ]
        else:
            assignments = ", ".join(f"{qn(meta.get_field(name).column)} = %s" for name in names)
            sql = f"UPDATE {table} SET {assignments}, {qn('updated_at')} = %s WHERE {qn(meta.pk.column)} = %s"
            statements.append((sql, None, zip(*values[:-1], repeat(now), values[-1], strict=False)))

    def run() -> None:
        for sql, text, parameters in statements:
            if text is not None:
                _copy(db, sql, text)
                continue
            with db.cursor() as cursor:
                if parameters is None:
                    cursor.execute(sql)
                else:
                    cursor.executemany(sql, parameters)

    return run


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


def _copy_lines(columns, fields, tail: tuple, tail_fields, count: int, tail_before_last=False) -> list[str]:
    """COPY text for `count` rows of the given columns plus the constant `tail` if any (after the columns,
    or before the last one), in pieces of COPY_CHUNK rows."""
    texts = [_copy_text(column, field) for column, field in zip(columns, fields, strict=True)]
    if tail:  # none for the rows of a ServerUpsert
        constant = "\t".join(_copy_text([value], field)[0] for value, field in zip(tail, tail_fields, strict=True))
        texts = [*texts[:-1], [constant] * count, texts[-1]] if tail_before_last else [*texts, [constant] * count]
    return [
        "\n".join(map("\t".join, zip(*[text[start : start + COPY_CHUNK] for text in texts], strict=True))) + "\n"
        for start in range(0, count, COPY_CHUNK)
    ]


def _copy(db, sql: str, pieces: list[str]) -> None:
    with db.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for piece in pieces:
            copy.write(piece)


# --- PostgreSQL: a chunk compared and written in the server ------------------------------------------------
# Reading a chunk's stored companies back into Python to compare them costs more than the server's whole
# write (the rows' values are sent, parsed into Decimal/date/str, compared a column at a time). Instead the
# chunk's valid rows are COPYed into a temporary table and two statements do the rest: one UPDATE writes
# the rows whose values differ from the stored ones (and only those: unchanged rows keep their
# updated_at), returning what the report needs, and one INSERT adds the codes not stored yet.

ROWS_TABLE = "company_import_rows"


class ServerUpsert:
    """The chunks of one PostgreSQL import, compared with the registry and written by the server.

    `job(columns, count, now, today)` prepares one chunk's COPY text here (the importing thread) and
    returns the write for the `Writer`, which runs it and adds to the counts: `new`, `updated` and
    `compared` (rows sent), the ids of `moved` companies (a district column changed: the
    districts_changed signal) and, in the same statement, a FormerName for each company renamed. The
    file's valid rows have distinct codes (a repeated code is an invalid row), so each row of the
    temporary table matches at most one company.
    """

    def __init__(self, db, fields: tuple[str, ...], watched: Sequence[str]):
        self.db = db
        self.fields = fields
        self.new = self.updated = self.compared = 0
        self.moved: list[int] = []
        self.created = False
        meta = Company._meta
        qn = db.ops.quote_name
        table = qn(meta.db_table)
        rows = qn(ROWS_TABLE)
        cols = [qn(meta.get_field(name).column) for name in fields]
        code = qn(meta.get_field("credit_code").column)
        self.create = (
            f"CREATE TEMPORARY TABLE {rows} ON COMMIT DROP AS SELECT {', '.join(cols)} FROM {table} WITH NO DATA"
        )
        self.truncate = f"TRUNCATE {rows}"
        self.copy = f"COPY {rows} ({', '.join(cols)}) FROM STDIN"
        self.drop = f"DROP TABLE IF EXISTS {rows}"
        compared = cols[1:]  # the code is the key
        name = qn(meta.get_field("name").column)
        watched_cols = [qn(meta.get_field(f).column) for f in watched]
        moved = " OR ".join(f"o.{col} IS DISTINCT FROM t.{col}" for col in watched_cols) or "FALSE"
        pk = qn(meta.pk.column)
        former = FormerName._meta
        former_cols = ", ".join(qn(former.get_field(f).column) for f in ("company", "name", "used_from", "used_until"))
        missing = [name for name in DEFAULTS if name not in fields]
        stamps = ("created_at", "updated_at")
        targets = ", ".join(qn(meta.get_field(name).column) for name in [*fields, *missing, *stamps])
        constants = [f"%(new_{i})s::{meta.get_field(name).db_type(db)}" for i, name in enumerate(missing)]
        self.defaults = {f"new_{i}": DEFAULTS[name] for i, name in enumerate(missing)}
        timestamp = meta.get_field("updated_at").db_type(db)
        # One statement, one snapshot: `chunk` is each row of the chunk beside the company of its code as
        # it was (none for a new code), looked up once; `changed` writes the rows that differ from the
        # stored ones, `former` keeps the old name of each renamed company, `added` inserts the new codes.
        self.upsert = (
            f"WITH chunk AS MATERIALIZED ("
            f"SELECT t.*, o.{pk} AS stored_id, o.{name} AS old_name, "
            f"ROW({', '.join(f'o.{col}' for col in compared)}) IS DISTINCT FROM "
            f"ROW({', '.join(f't.{col}' for col in compared)}) AS differs, "
            f"{moved} AS moved "
            f"FROM {rows} AS t LEFT JOIN {table} AS o ON o.{code} = t.{code}"
            f"), changed AS ("
            f"UPDATE {table} AS c SET {', '.join(f'{col} = r.{col}' for col in compared)}, "
            f"{qn(meta.get_field('updated_at').column)} = %(now)s::{timestamp} "
            f"FROM chunk AS r WHERE c.{pk} = r.stored_id AND r.differs "
            f"RETURNING c.{pk} AS id, r.old_name, r.{name} <> r.old_name AS renamed, r.moved"
            f"), former AS ("
            f"INSERT INTO {qn(former.db_table)} ({former_cols}) "
            f"SELECT id, old_name, NULL, %(today)s::date FROM changed WHERE renamed"
            f"), added AS ("
            f"INSERT INTO {table} ({targets}) "
            f"SELECT {', '.join([*(f'r.{col}' for col in cols), *constants, f'%(now)s::{timestamp}', f'%(now)s::{timestamp}'])} "
            f"FROM chunk AS r WHERE r.stored_id IS NULL RETURNING 1"
            f") SELECT (SELECT count(*) FROM added), (SELECT count(*) FROM changed), "
            f"(SELECT string_agg(id::text, ',') FROM changed WHERE moved)"
        )

    def job(self, columns: list[Sequence[Any]], count: int, now, today):
        """The write of one chunk's valid rows (`columns` in the driver's form, `count` rows)."""
        if not count:
            return _nothing
        text = _copy_lines(columns, self.fields, (), (), count)
        now = Company._meta.get_field("updated_at").get_db_prep_save(now, self.db)

        def run() -> None:
            with self.db.cursor() as cursor:
                if not self.created:
                    cursor.execute(self.drop)
                    cursor.execute(self.create)
                    self.created = True
                else:
                    cursor.execute(self.truncate)
            _copy(self.db, self.copy, text)
            with self.db.cursor() as cursor:
                cursor.execute(self.upsert, {**self.defaults, "now": now, "today": today})
                new, updated, moved = cursor.fetchone()
            self.new += new
            self.updated += updated
            self.compared += count
            if moved:
                self.moved.extend(map(int, moved.split(",")))

        return run

    def finish(self):
        """The last write: the temporary table goes (it would at commit; an import inside a longer
        transaction, as in the tests, may be followed by another)."""

        def run() -> None:
            if self.created:
                with self.db.cursor() as cursor:
                    cursor.execute(self.drop)
                self.created = False

        return run
