"""The company import holds a chunk of the file, never the whole of it (issue 18 part 1).

A million-row registry extract must import in the memory a 100,000-row one takes: the file stays on disk
and is read a block at a time, each chunk is validated, compared (one lookup of its codes) and written
before the next is read, the problems go to a file as they are found, and the results are those of the
file read whole. Proved here by counting what is held and asked at once, never by timing.
"""

from __future__ import annotations

import csv
import io
import math
import tracemalloc
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from companies.io import importer
from companies.io.columns import HEADERS, RowCleaner
from companies.io.files import write_csv
from companies.io.importer import import_rows
from companies.io.reader import RowStream, open_table, read_table, rejected_rows
from companies.io.reports import RejectedRowsFile
from companies.io.signals import districts_changed
from companies.models import Company, FormerName

from .test_import_paths import code, row

pytestmark = pytest.mark.django_db

BAD_CODE = "91500116MA5U7X9X9Z"  # check character wrong


def registry_file(tmp_path, rows, name="registry.csv"):
    path = tmp_path / name
    path.write_bytes(write_csv(HEADERS, rows))
    return path


def mixed_rows(n: int) -> list[list[str]]:
    """n rows: every 97th with a wrong check character, every 101st repeating the code of a row some 300
    rows (and chunks) earlier, every 13th moved out of 江津区, every 7th renamed, every 3rd with a new phone."""
    rows = []
    for i in range(1, n + 1):
        changes = {}
        if i % 3 == 0:
            changes["contact_phone"] = f"023-{60000000 + i}"
        if i % 7 == 0:
            changes["name"] = f"重庆江津新名影视有限公司{i}"
        if i % 13 == 0:
            changes["registration_district"] = "渝中区"
        if i % 97 == 0:
            changes["credit_code"] = BAD_CODE
        if i % 101 == 0 and i > 300:
            changes["credit_code"] = code(i - 300)
        rows.append(row(i, **changes))
    return rows


def seed_registry(n: int) -> None:
    """The registry before the file: the first half of its companies, as first imported."""
    table = read_table(write_csv(HEADERS, [row(i) for i in range(1, n // 2 + 1)]))
    assert import_rows(table.headers, table.rows).new == n // 2


def import_file(path, monkeypatch, chunk: int, **options):
    """Import a file from disk in chunks of `chunk` rows; the report, every problem and the moved ids."""
    monkeypatch.setattr(importer, "CHUNK", chunk)
    problems, moved = [], []

    def receiver(sender, company_ids, **kwargs):
        moved.extend(company_ids)

    districts_changed.connect(receiver, dispatch_uid="test-import-memory")
    try:
        table = open_table(path)
        report = import_rows(table.headers, table.rows, on_problem=problems.append, **options)
    finally:
        districts_changed.disconnect(dispatch_uid="test-import-memory")
    return report, problems, moved


def registry_state():
    return (
        list(
            Company.objects.order_by("credit_code").values_list(
                "credit_code", "name", "contact_phone", "registration_district"
            )
        ),
        sorted(FormerName.objects.values_list("company__credit_code", "name")),
    )


def test_results_are_those_of_the_file_read_whole_whatever_the_chunk(tmp_path, monkeypatch):
    """3,000 rows with errors, duplicates across chunks, renames and district moves: the counts, the
    problems (row, column, reason and cells, in file order), the ids sent to the registry check and the
    registry afterwards are the same read in one chunk (the import as it was) as in chunks of 250 and 7."""
    n = 3000
    path = registry_file(tmp_path, mixed_rows(n))
    outcomes = []
    for chunk in (10_000, 250, 7):
        with connection.cursor() as cursor:  # the same registry before each run
            cursor.execute(f"DELETE FROM {FormerName._meta.db_table}")
            cursor.execute(f"DELETE FROM {Company._meta.db_table}")
        seed_registry(n)
        report, problems, moved = import_file(path, monkeypatch, chunk, skip_invalid=True)
        outcomes.append(
            (
                report.counts() | {"seconds": 0},
                report.problem_count,
                [(p.row, p.column, p.message, list(p.cells)) for p in problems],
                sorted(Company.objects.filter(pk__in=moved).values_list("credit_code", flat=True)),
                len(moved),
                registry_state(),
            )
        )
    assert outcomes[0] == outcomes[1] == outcomes[2]

    counts, problem_count, problems, moved, moved_count, _state = outcomes[0]
    bad = [i for i in range(1, n + 1) if i % 97 == 0]
    repeated = [i for i in range(301, n + 1) if i % 101 == 0 and i % 97]
    assert counts["invalid"] == len(bad) + len(repeated) == problem_count
    assert [row_number - 1 for row_number, *_ in problems] == sorted(bad + repeated)
    first_repeat = next(p for p in problems if "重复" in p[2])
    assert first_repeat[0] == repeated[0] + 1
    assert first_repeat[2].startswith(f"统一社会信用代码{code(repeated[0] - 300)}与第{repeated[0] - 300 + 1}行重复")
    valid = [i for i in range(1, n + 1) if i not in set(bad + repeated)]
    old = [i for i in valid if i <= n // 2]
    changed = [i for i in old if i % 3 == 0 or i % 7 == 0 or i % 13 == 0]
    assert (counts["new"], counts["updated"], counts["unchanged"]) == (
        len(valid) - len(old),
        len(changed),
        len(old) - len(changed),
    )
    assert moved == sorted(code(i) for i in old if i % 13 == 0) and moved_count == len(moved)


def test_each_chunk_is_validated_and_looked_up_on_its_own(tmp_path, monkeypatch):
    """Never more rows at once than a chunk: the cleaner gets at most CHUNK rows a call, and the registry
    is asked once per chunk for that chunk's companies (one query, whatever the file's length)."""
    n, chunk = 1000, 64
    seed_registry(n)
    path = registry_file(tmp_path, [row(i, contact_phone=f"023-{70000000 + i}") for i in range(1, n + 1)])
    sizes = []
    clean = RowCleaner.clean_columns

    def counting(self, cells, numbers):
        sizes.append(len(numbers))
        return clean(self, cells, numbers)

    monkeypatch.setattr(RowCleaner, "clean_columns", counting)
    remembered = []
    remember = importer._SeenCodes.remember

    def remembering(self, codes, rows):
        remembered.append(len(codes))
        return remember(self, codes, rows)

    monkeypatch.setattr(importer._SeenCodes, "remember", remembering)
    table = f"FROM {connection.ops.quote_name(Company._meta.db_table)} WHERE"
    with CaptureQueriesContext(connection) as queries:
        report, problems, _moved = import_file(path, monkeypatch, chunk)
    assert (report.new, report.updated, report.unchanged, problems) == (n // 2, n // 2, 0, [])
    chunks = math.ceil(n / chunk)
    assert max(sizes) == chunk and len(sizes) == chunks and sum(sizes) == n
    lookups = [q["sql"] for q in queries.captured_queries if table in q["sql"] and q["sql"].startswith("SELECT")]
    # On PostgreSQL the server compares each chunk (ServerUpsert): one statement per chunk instead.
    compared = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("WITH chunk AS")]
    assert len(lookups) + len(compared) == chunks and not (lookups and compared)
    assert max(remembered) == chunk and len(remembered) == chunks, "the codes seen before: once per chunk"


def test_the_file_is_read_a_block_at_a_time_and_reads_as_the_whole_file(tmp_path):
    """Blocks of at most the size asked for, also where a quoted cell holds a line break across the end of a
    block and where blank rows come between: the same rows as the file read whole by csv.reader."""
    rows = [row(i) for i in range(1, 60)]
    rows[9][8] = "重庆市江津区\n白沙镇"  # quoted, with a line break
    rows[19] = [""] * len(HEADERS)  # a blank row keeps its number
    rows[30][1] = '影视"星光"有限公司'
    path = registry_file(tmp_path, rows)
    table = open_table(path)
    assert isinstance(table.rows, RowStream) and table.estimated_rows >= len(rows)
    blocks = list(table.rows.blocks(8))
    assert max(len(block) for block in blocks) == 8
    whole = read_table(path.read_bytes(), columns=False)
    assert table.headers == whole.headers and table.sha256 == whole.sha256
    assert [list(r) for block in blocks for r in block] == [list(r) for r in whole.rows]


def test_problems_go_to_the_report_file_and_only_the_first_are_kept(tmp_path, monkeypatch):
    """300 bad rows: the command says each one and writes each to --report, while the report object keeps
    the first PROBLEMS_KEPT; the page's rejected-rows file has every row, as reader.rejected_rows makes it."""
    monkeypatch.setattr(importer, "PROBLEMS_KEPT", 10)
    monkeypatch.setattr(importer, "CHUNK", 50)
    rows = [row(i, registered_capital="abc") if i % 2 else row(i) for i in range(1, 601)]
    path = registry_file(tmp_path, rows)
    out_path = tmp_path / "problems.csv"
    out, err = StringIO(), StringIO()
    call_command("import_companies", str(path), "--skip-invalid", "--report", str(out_path), stdout=out, stderr=err)
    said = [line for line in err.getvalue().splitlines() if line.startswith("第")]
    assert len(said) == 300 and said[0].startswith("第2行［注册资本］")
    lines = list(csv.reader(io.StringIO(out_path.read_text(encoding="utf-8-sig"))))
    assert lines[0][:3] == ["行号", "列", "原因"] and len(lines) == 301
    assert [line[0] for line in lines[1:]] == [str(n) for n in range(2, 602, 2)]
    assert Company.objects.count() == 300

    table = open_table(path)
    rejected = RejectedRowsFile(table.headers)
    report = import_rows(table.headers, table.rows, dry_run=True, on_problem=rejected.add)
    assert (report.problem_count, len(report.problems), report.invalid) == (300, 10, 300)
    written = io.BytesIO()
    rejected.write(written, "错误原因", xlsx=False)
    heading, expected = rejected_rows(table.headers, _all_problems(path))
    assert written.getvalue() == write_csv([*heading, "错误原因"], expected)


def _all_problems(path):
    problems = []
    table = open_table(path)
    import_rows(table.headers, table.rows, dry_run=True, on_problem=problems.append)
    return problems


def test_districts_changed_is_sent_in_chunks_with_every_moved_company(tmp_path, monkeypatch):
    monkeypatch.setattr(importer, "SIGNAL_CHUNK", 3)
    seed_registry(40)
    path = registry_file(tmp_path, [row(i, tax_district="渝北区") for i in range(1, 11)])
    calls = []
    districts_changed.connect(
        lambda sender, company_ids, **kw: calls.append(company_ids), weak=False, dispatch_uid="t-chunks"
    )
    try:
        table = open_table(path)
        assert import_rows(table.headers, table.rows).updated == 10
    finally:
        districts_changed.disconnect(dispatch_uid="t-chunks")
    assert [len(ids) for ids in calls] == [3, 3, 3, 1]
    ids = dict(Company.objects.values_list("credit_code", "pk"))
    assert sorted(i for ids_ in calls for i in ids_) == sorted(ids[code(i)] for i in range(1, 11))


def test_a_file_four_times_longer_takes_no_more_memory(tmp_path, monkeypatch):
    """Python's allocations at their peak (tracemalloc) for 6,000 rows are those for 1,500: nothing of the
    file, its rows or its problems accumulates (every 10th row is invalid and 1,500 already exist)."""

    def peak(n: int) -> int:
        rows = [row(i, paid_in_capital="x") if i % 10 == 0 else row(i) for i in range(1, n + 1)]
        path = registry_file(tmp_path, rows, f"f{n}.csv")
        monkeypatch.setattr(importer, "CHUNK", 500)
        table = open_table(path)
        tracemalloc.start()
        try:
            report = import_rows(table.headers, table.rows, skip_invalid=True, on_problem=lambda p: None)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
            assert report.invalid == n // 10

    seed_registry(3000)
    peak(1500)  # warm-up: caches, compiled statements
    small, large = peak(1500), peak(6000)
    assert large < small * 1.5, (small, large)


def test_the_admin_preview_lists_some_rows_and_counts_them_all(admin_client, monkeypatch):
    from django.urls import reverse

    from companies import resources

    monkeypatch.setattr(resources, "ADMIN_PREVIEW_ROWS", 2)
    data = write_csv(HEADERS, [row(i) for i in range(1, 6)])
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = admin_client.post(
        reverse("admin:companies_company_import"),
        {"resource": "0", "format": "1", "import_file": SimpleUploadedFile("five.csv", data)},
    )
    result = response.context["result"]
    assert result.totals["new"] == 5 and result.total_rows == 5
    assert len(result.rows) == 2
    assert isinstance(result.report, importer.ImportReport)
