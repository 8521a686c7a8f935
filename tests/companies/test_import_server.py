"""A re-import writes exactly the rows that differ, whichever side compares them.

On PostgreSQL each chunk's valid rows are copied into a temporary table and one statement compares them
with the stored companies and writes the differences (companies.io.writer.ServerUpsert); on SQLite, and for a
preview, the importer compares them itself. Both must give the same registry, counts, FormerName rows and
districts_changed ids, and leave the unchanged rows as they were (updated_at included).
"""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from companies.io import importer, writer
from companies.io.columns import HEADERS, RowCleaner
from companies.io.files import write_csv
from companies.io.importer import import_rows
from companies.io.reader import read_table
from companies.io.signals import districts_changed
from companies.models import Company, FormerName

from .test_import_paths import code, row

pytestmark = pytest.mark.django_db

LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)


@pytest.fixture(autouse=True, params=[5000, 7], ids=["one-chunk", "chunks-of-7"])
def chunk(request, monkeypatch):
    monkeypatch.setattr(importer, "CHUNK", request.param)
    return request.param


def load(rows, headers=HEADERS, **options):
    table = read_table(write_csv(headers, rows))
    moved = []

    def receiver(sender, company_ids, **kwargs):
        moved.extend(company_ids)

    districts_changed.connect(receiver, weak=False, dispatch_uid="test-import-server")
    try:
        report = import_rows(table.headers, table.rows, **options)
    finally:
        districts_changed.disconnect(dispatch_uid="test-import-server")
    return report, moved


def seed(n: int) -> dict[str, int]:
    """n companies, imported, then dated long ago; their ids by code."""
    report, _moved = load([row(i) for i in range(1, n + 1)])
    assert report.new == n
    Company.objects.update(updated_at=LONG_AGO)
    return dict(Company.objects.values_list("credit_code", "pk"))


def stored() -> dict[str, tuple]:
    fields = RowCleaner(HEADERS).fields
    return {values[0]: values for values in Company.objects.values_list(*fields)}


def expected(rows) -> dict[str, tuple]:
    return {values[0]: values for values in RowCleaner(HEADERS).clean_table(rows).values}


def test_a_half_changed_reimport_writes_only_the_rows_that_differ():
    ids = seed(30)
    rows = [row(i, contact_phone=f"023-{70000000 + i}") if i % 2 else row(i) for i in range(1, 31)]
    rows += [row(i) for i in range(31, 36)]  # and five new ones, in the same chunks
    before = timezone.now()
    report, moved = load(rows)
    assert (report.new, report.updated, report.unchanged, report.invalid) == (5, 15, 15, 0)
    assert report.applied and moved == []
    assert stored() == expected(rows)
    stamps = dict(Company.objects.values_list("credit_code", "updated_at"))
    assert {c for c, at in stamps.items() if at == LONG_AGO} == {code(i) for i in range(2, 31, 2)}
    assert all(stamps[code(i)] >= before for i in range(1, 36, 2) if i <= 30)
    created = Company.objects.filter(credit_code__in=[code(i) for i in range(31, 36)])
    assert all(c.created_at >= before and c.updated_at == c.created_at for c in created)
    assert dict(Company.objects.filter(pk__in=ids.values()).values_list("credit_code", "pk")) == ids
    assert FormerName.objects.count() == 0

    again, moved = load(rows)
    assert (again.new, again.updated, again.unchanged) == (0, 0, 35) and moved == []
    assert dict(Company.objects.values_list("credit_code", "updated_at")) == stamps


def test_the_companies_whose_districts_change_are_signalled_and_no_others():
    ids = seed(20)
    rows = [row(i) for i in range(1, 21)]
    for i in (2, 9, 15):
        rows[i - 1] = row(i, registration_district="渝中区")
    for i in (4, 15, 18):
        rows[i - 1] = row(i, tax_district="渝北区")
    for i in (5, 6):
        rows[i - 1] = row(i, contact_person="别人")  # changed, but not moved
    rows.append(row(21, registration_district="渝中区"))  # new: not a move
    report, moved = load(rows)
    assert (report.new, report.updated, report.unchanged) == (1, 7, 13)
    assert sorted(moved) == sorted(ids[code(i)] for i in (2, 4, 9, 15, 18))
    assert stored() == expected(rows)


def test_a_file_without_district_columns_moves_nobody():
    seed(5)
    headers = [h for h in HEADERS if h not in ("注册区县", "税务登记区县")]
    keep = [i for i, h in enumerate(HEADERS) if h in headers]
    rows = [[r[i] for i in keep] for r in [row(i, contact_phone="023-1") for i in range(1, 6)]]
    report, moved = load(rows, headers)
    assert report.updated == 5 and moved == []
    assert set(Company.objects.values_list("registration_district", flat=True)) == {"江津区"}


def test_a_renamed_company_keeps_its_old_name_and_only_it():
    ids = seed(12)
    old_name = row(3)[1]
    rows = [row(i) for i in range(1, 13)]
    rows[2] = row(3, name="重庆江津改名后影视有限公司")
    rows[7] = row(8, contact_phone="023-88888888")  # changed, not renamed
    report, _moved = load(rows)
    assert (report.updated, report.unchanged) == (2, 10)
    assert list(FormerName.objects.values_list("company_id", "name", "used_from", "used_until")) == [
        (ids[code(3)], old_name, None, timezone.localdate())
    ]
    assert Company.objects.get(pk=ids[code(3)]).name == "重庆江津改名后影视有限公司"


def test_amounts_dates_and_empty_cells_compare_as_stored():
    """1.10 and 1.1 are the same amount; an emptied date becomes NULL and an emptied text ""; a NULL that
    stays empty is no change."""
    seed(6)
    rows = [
        row(1, paid_in_capital="100000.1"),  # stored 100000.10: the same amount
        row(2, registered_capital="300,000"),  # stored 300000.00
        row(3, in_hq_park="否", in_hq_park_since=""),  # the date emptied: NULL
        row(4, contact_email=""),  # text emptied: ""
        row(5, banned_until="2030-01-31"),  # NULL -> a date
        row(6),
    ]
    report, _moved = load(rows)
    assert (report.updated, report.unchanged) == (3, 3)
    values = stored()
    assert values[code(1)][4] == Decimal("100000.10")
    assert values[code(3)][12] is None and values[code(3)][11] is False
    assert values[code(4)][15] == ""
    assert values[code(5)][19] == date(2030, 1, 31)
    assert values == expected(rows)
    assert Company.objects.filter(updated_at=LONG_AGO).count() == 3


def test_a_refused_reimport_changes_nothing_and_counts_as_if_compared(chunk):
    seed(20)
    rows = [row(i, contact_phone="023-5") if i % 3 == 0 else row(i) for i in range(1, 25)]
    rows[17][3] = "不是金额"  # row 18 invalid: in a later chunk when read seven at a time
    before = stored()
    report, moved = load(rows)
    assert not report.applied and moved == []
    assert (report.new, report.updated, report.unchanged, report.invalid) == (4, 5, 14, 1)
    assert stored() == before and Company.objects.exclude(updated_at=LONG_AGO).count() == 0

    skipped, _moved = load(rows, skip_invalid=True)
    assert skipped.applied and (skipped.new, skipped.updated, skipped.unchanged, skipped.invalid) == (4, 5, 14, 1)
    assert stored()[code(18)] == before[code(18)]  # the invalid row's company is left as it was
    assert Company.objects.count() == 24


def test_a_write_that_fails_in_a_later_chunk_of_a_reimport_leaves_nothing_written(monkeypatch):
    seed(20)
    monkeypatch.setattr(importer, "CHUNK", 7)
    submitted = []
    submit = importer.Writer.submit

    def failing(self, job):
        submitted.append(job)
        if len(submitted) == 3:

            def job():
                raise RuntimeError("disk full")

        submit(self, job)

    monkeypatch.setattr(importer.Writer, "submit", failing)
    before = stored()
    with pytest.raises(RuntimeError, match="disk full"):
        load([row(i, contact_phone="023-6") for i in range(1, 26)])
    assert stored() == before and Company.objects.count() == 20
    assert not connection.in_atomic_block or not connection.needs_rollback


@pytest.mark.postgres
def test_on_postgresql_the_server_compares_each_chunk_and_nothing_is_read_back(chunk):
    seed(20)
    rows = [row(i, contact_phone=f"023-{i}") if i % 4 == 0 else row(i) for i in range(1, 23)]
    table = read_table(write_csv(HEADERS, rows))
    with CaptureQueriesContext(connection) as queries:
        report = import_rows(table.headers, table.rows)
    assert (report.new, report.updated, report.unchanged) == (2, 5, 15)
    sql = [q["sql"] for q in queries.captured_queries]
    statements = [s for s in sql if s.startswith("WITH chunk AS")]
    assert len(statements) == -(-22 // chunk)
    assert all("IS DISTINCT FROM" in s for s in statements)
    company = connection.ops.quote_name(Company._meta.db_table)
    assert not [s for s in sql if s.startswith("SELECT") and f"FROM {company} WHERE" in s]
    with connection.cursor() as cursor:  # the temporary table went with the import
        cursor.execute("SELECT to_regclass('company_import_rows')")
        assert cursor.fetchone() == (None,)
    assert stored() == expected(rows)


@pytest.mark.postgres
def test_on_postgresql_new_rows_of_a_partial_file_get_the_defaults_and_old_rows_keep_the_rest():
    seed(3)
    Company.objects.filter(credit_code=code(1)).update(bank_name="旧银行")
    headers = ["统一社会信用代码", "企业名称", "联系电话"]
    report, _moved = load(
        [[code(1), row(1)[1], "023-1"], [code(2), row(2)[1], row(2)[14]], [code(9), "新公司", "023-9"]], headers
    )
    assert (report.new, report.updated, report.unchanged) == (1, 1, 1)
    old = Company.objects.get(credit_code=code(1))
    assert (old.contact_phone, old.bank_name, old.registration_district) == ("023-1", "旧银行", "江津区")
    new = Company.objects.get(credit_code=code(9))
    defaults = {f: Company._meta.get_field(f).get_default() for f in ("industry", "business_status", "in_hq_park")}
    assert {f: getattr(new, f) for f in defaults} == defaults
    assert (new.registered_capital, new.established_on, new.bank_name) == (None, None, "")
    assert new.updated_at - new.created_at < timedelta(seconds=1)


@pytest.mark.postgres
def test_the_interpreters_switch_interval_is_restored_after_an_import_even_a_failed_one(monkeypatch):
    seed(3)
    was = sys.getswitchinterval()
    seen = []
    prepare = importer.ServerUpsert.job

    def job(self, *args):
        write = prepare(self, *args)

        def run():
            seen.append(sys.getswitchinterval())
            write()

        return run

    monkeypatch.setattr(importer.ServerUpsert, "job", job)
    load([row(i, contact_phone="023-7") for i in range(1, 4)])
    assert seen == [min(was, writer.SWITCH_INTERVAL)] and sys.getswitchinterval() == was
    monkeypatch.setattr(importer.ServerUpsert, "job", lambda self, *args: lambda: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        load([row(i, contact_phone="023-8") for i in range(1, 4)])
    assert sys.getswitchinterval() == was
