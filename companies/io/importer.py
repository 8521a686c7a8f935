"""Bulk upsert of company records keyed on the normalised credit code.

One function, `import_rows`, used by the admin (through CompanyResource), the `import_companies`
command and the benchmark. It is built for 100,000-row files:

- every row goes through `RowCleaner.clean_table` (the shared validation, no per-row `full_clean`);
- the existing companies are read once, in chunks of codes, as plain tuples (no model instances);
- a row whose values equal the stored ones is "unchanged" and not written, so a re-import is a no-op;
- new rows are inserted with `bulk_create` and changed rows updated with one prepared UPDATE run by
  `executemany`, in batches, inside one transaction: a file is applied whole or not at all.

By default a file with any invalid row writes nothing; `skip_invalid=True` writes the valid rows. Either
way each problem is reported with its spreadsheet row number, the column heading and the reason.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Context, Decimal
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from companies.models import Company, CompanyImport, FormerName
from invest.audit import audit

from .columns import BY_FIELD, CENT, DEFAULTS, HeaderError, RowCleaner

LOOKUP_CHUNK = 900  # codes per IN (...) query; below SQLite's 999-parameter default
WRITE_BATCH = 2000
_DECIMAL_CONTEXT = Context(prec=16)  # max_digits of the money fields


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


def _existing(codes: list[str], fields: tuple[str, ...]) -> dict[str, tuple]:
    """Stored values of the given codes: code -> (pk, name, *fields), as the model's Python types.

    Raw SQL rather than values_list: at 100,000 codes the ORM's per-parameter preparation and per-value
    converters cost more than the query. PostgreSQL gets one query with an array parameter (psycopg
    already returns Decimal, date and bool); SQLite gets chunks of 900 codes and the small conversions
    below, the same ones Django applies to these column types.
    """
    found: dict[str, tuple] = {}
    meta = Company._meta
    qn = connection.ops.quote_name
    names = ("credit_code", "id", "name", *fields)
    select = f"SELECT {', '.join(qn(meta.get_field(name).column) for name in names)} FROM {qn(meta.db_table)}"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"{select} WHERE {qn('credit_code')} = ANY(%s)", [codes])
            for row in cursor.fetchall():
                found[row[0]] = row[1:]
            return found
        convert = _sqlite_converters([meta.get_field(name) for name in names])
        for start in range(0, len(codes), LOOKUP_CHUNK):
            chunk = codes[start : start + LOOKUP_CHUNK]
            cursor.execute(f"{select} WHERE {qn('credit_code')} IN ({', '.join(['%s'] * len(chunk))})", chunk)
            for row in cursor.fetchall():
                row = convert(row)
                found[row[0]] = row[1:]
    return found


def _sqlite_decimal(value):
    if value is None:
        return None
    if isinstance(value, float):
        return _DECIMAL_CONTEXT.create_decimal_from_float(value).quantize(CENT)
    return Decimal(value).quantize(CENT)


def _sqlite_date(value):
    # Django's SQLite connection already parses declared "date" columns; older files may hold text.
    return date.fromisoformat(value) if isinstance(value, str) else value


def _sqlite_bool(value):
    return None if value is None else bool(value)


def _sqlite_converters(model_fields):
    by_type = {"DecimalField": _sqlite_decimal, "DateField": _sqlite_date, "BooleanField": _sqlite_bool}
    converters = [
        (i, by_type[f.get_internal_type()]) for i, f in enumerate(model_fields) if f.get_internal_type() in by_type
    ]

    def convert(row: tuple) -> tuple:
        row = list(row)
        for index, function in converters:
            row[index] = function(row[index])
        return tuple(row)

    return convert


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
) -> ImportReport:
    """Validate every row, then insert new companies and update changed ones, all or nothing."""
    started = time.perf_counter() if started is None else started
    report = ImportReport()
    try:
        cleaner = RowCleaner(headers)
    except HeaderError as exc:
        report.file_error = str(exc)
        report.seconds = time.perf_counter() - started
        _record(report, actor, file_name, file_sha256, source, dry_run, skip_invalid, operator)
        return report
    all_fields = cleaner.fields  # credit_code first, as in COLUMNS
    fields = all_fields[1:]
    report.fields = all_fields
    rows = list(rows)
    table = cleaner.clean_table(rows)
    errors = table.errors
    numbers = table.numbers
    code_header = BY_FIELD["credit_code"].header

    first_row_of: dict[str, int] = {}  # every readable code, also of rows with other errors
    for position, values in enumerate(table.values):
        code = values[0]
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
    valid = [position for position in range(len(table.values)) if position not in errors]

    def cells_of(position: int) -> Sequence[Any]:
        return rows[numbers[position] - 2]

    for position in sorted(errors):
        report.invalid += 1
        number = numbers[position]
        cells = cells_of(position)
        report.problems.extend(Problem(number, column, message, cells) for column, message in errors[position])
        if keep_rows:
            values = dict(zip(all_fields, table.values[position], strict=True))
            report.rows.append(
                RowOutcome(
                    number, "invalid", values.get("credit_code") or "", values, errors=errors[position], cells=cells
                )
            )

    stored = _existing([table.values[position][0] for position in valid], fields)
    inserts: list[tuple] = []
    updates: list[tuple[int, tuple, str]] = []  # (pk, values without the code, old name)
    name_index = all_fields.index("name")
    for position in valid:
        values = table.values[position]
        code = values[0]
        old = stored.get(code)
        if old is None:
            report.new += 1
            inserts.append(values)
            if keep_rows:
                report.rows.append(
                    RowOutcome(
                        numbers[position],
                        "new",
                        code,
                        dict(zip(all_fields, values, strict=False)),
                        cells=cells_of(position),
                    )
                )
            continue
        new_values = values[1:]
        if old[2:] == new_values:
            report.unchanged += 1
            if keep_rows:
                report.rows.append(
                    RowOutcome(
                        numbers[position],
                        "skip",
                        code,
                        dict(zip(all_fields, values, strict=False)),
                        cells=cells_of(position),
                    )
                )
            continue
        report.updated += 1
        updates.append((old[0], new_values, old[1] if values[name_index] != old[1] else ""))
        if keep_rows:
            before = {name: was for name, was, now in zip(fields, old[2:], new_values, strict=False) if was != now}
            report.rows.append(
                RowOutcome(
                    numbers[position],
                    "update",
                    code,
                    dict(zip(all_fields, values, strict=False)),
                    before,
                    cells=cells_of(position),
                )
            )

    refused = bool(report.invalid) and not skip_invalid
    if not dry_run and not refused:
        with transaction.atomic():
            _insert(inserts, all_fields)
            _update(updates, fields)
            report.applied = True
            report.seconds = time.perf_counter() - started
            _record(report, actor, file_name, file_sha256, source, dry_run, skip_invalid, operator)
    else:
        report.seconds = time.perf_counter() - started
        _record(report, actor, file_name, file_sha256, source, dry_run, skip_invalid, operator)
    return report


def _insert(inserts: list[tuple], fields: tuple[str, ...]) -> None:
    """A prepared INSERT run with executemany: no model instances, no per-value Django conversion.

    The drivers take Decimal and date as they are (Django registers the SQLite adapters, psycopg has
    its own), which is also what Django's own get_db_prep_save returns for these fields; only the
    aware timestamps go through Django once, for the whole file.
    """
    if not inserts:
        return
    meta = Company._meta
    missing = [name for name in DEFAULTS if name not in fields]
    columns = [*fields, *missing, "created_at", "updated_at"]
    now = meta.get_field("created_at").get_db_prep_save(timezone.now(), connection)
    tail = (*(DEFAULTS[name] for name in missing), now, now)
    qn = connection.ops.quote_name
    column_sql = ", ".join(qn(meta.get_field(name).column) for name in columns)
    sql = f"INSERT INTO {qn(meta.db_table)} ({column_sql}) VALUES ({', '.join(['%s'] * len(columns))})"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {qn(meta.db_table)} ({column_sql}) FROM STDIN") as copy:
                for values in inserts:
                    copy.write_row(values + tail)
            return
        for start in range(0, len(inserts), WRITE_BATCH):
            cursor.executemany(sql, [values + tail for values in inserts[start : start + WRITE_BATCH]])


def _update(updates: list[tuple[int, tuple, str]], fields: tuple[str, ...]) -> None:
    """One prepared UPDATE run with executemany per batch: far cheaper than bulk_update's CASE WHEN."""
    if not updates:
        return
    meta = Company._meta
    qn = connection.ops.quote_name
    columns = [*fields, "updated_at"]
    assignments = ", ".join(f"{qn(meta.get_field(name).column)} = %s" for name in columns)
    sql = f"UPDATE {qn(meta.db_table)} SET {assignments} WHERE {qn(meta.pk.column)} = %s"
    now = meta.get_field("updated_at").get_db_prep_save(timezone.now(), connection)
    today = timezone.localdate()
    renamed = [FormerName(company_id=pk, name=old_name, used_until=today) for pk, _v, old_name in updates if old_name]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY the new values into a temporary table, then one UPDATE ... FROM joins them in.
            names = [qn(meta.get_field(name).column) for name in columns]
            table = qn(meta.db_table)
            cursor.execute(
                f"CREATE TEMPORARY TABLE company_import_updates ON COMMIT DROP AS "
                f"SELECT {', '.join(names)}, {qn('id')} FROM {table} WITH NO DATA"
            )
            with cursor.cursor.copy(f"COPY company_import_updates ({', '.join(names)}, {qn('id')}) FROM STDIN") as copy:
                for pk, values, _n in updates:
                    copy.write_row((*values, now, pk))
            assignments_from = ", ".join(f"{name} = u.{name}" for name in names)
            cursor.execute(
                f"UPDATE {table} AS c SET {assignments_from} FROM company_import_updates AS u WHERE c.{qn('id')} = u.{qn('id')}"
            )
            cursor.execute("DROP TABLE company_import_updates")
        else:
            for start in range(0, len(updates), WRITE_BATCH):
                cursor.executemany(sql, [(*values, now, pk) for pk, values, _n in updates[start : start + WRITE_BATCH]])
    if renamed:
        FormerName.objects.bulk_create(renamed, batch_size=WRITE_BATCH)


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
