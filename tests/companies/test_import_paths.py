"""The company import's fast paths give exactly what the slow paths give.

A plain CSV is read straight into columns (`ColumnRows`) instead of through `csv.reader`, and every column
is first tried with a whole-column fast path before its per-cell parser. These tests run the same input
both ways: the fast path may only be faster, never read a cell differently or lose a message.
"""

from __future__ import annotations

import csv
import gc
import io
import random
from datetime import date, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from companies import uscc
from companies.io import importer
from companies.io.columns import BY_FIELD, COLUMNS, HEADERS, RowCleaner
from companies.io.files import write_csv
from companies.io.importer import GROUPS_MAX, import_rows
from companies.io.reader import ColumnRows, read_table, split_columns
from companies.models import Company, CompanyImport, FormerName

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True, params=["whole-file", "chunks-of-7"])
def chunking(request, monkeypatch):
    """Every test also runs with the file validated and written seven rows at a time (on PostgreSQL the
    writes then run in the writer thread while the next chunk is validated)."""
    if request.param == "chunks-of-7":
        monkeypatch.setattr(importer, "CHUNK", 7)
    return request.param


def code(n: int, area: str = "500116") -> str:
    return uscc.make_code(f"91{area}{n:09d}")


def row(n: int, **changes) -> list[str]:
    """One well-formed row in HEADERS order (every column of the export)."""
    values = {
        "credit_code": code(n),
        "name": f"重庆江津影视文化传媒有限公司{n}",
        "legal_representative": f"法人{n}",
        "registered_capital": f"{(n + 1) * 100000}.00",
        "paid_in_capital": f"{(n + 1) * 50000}.10",
        "established_on": f"2020-0{n % 9 + 1}-1{n % 9}",
        "registration_district": "江津区",
        "tax_district": "江津区",
        "registered_address": f"重庆市江津区白沙镇影视大道{n}号",
        "industry": "影视制作",
        "business_status": "存续",
        "in_hq_park": "是" if n % 2 else "否",
        "in_hq_park_since": "2024-01-01" if n % 2 else "",
        "contact_person": f"联系人{n}",
        "contact_phone": f"023-{40000000 + n}",
        "contact_email": f"c{n}@example.com",
        "bank_account_name": f"重庆江津影视文化传媒有限公司{n}",
        "bank_name": "重庆农村商业银行江津支行",
        "bank_account_number": f"62220200{n:011d}",
        "banned_until": "",
    }
    values.update(changes)
    return [values[c.field] for c in COLUMNS]


# Cells of every column that a clerk's file may hold: well-formed, doubtful and wrong.
TRICKY = {
    "credit_code": [
        code(1),
        code(2).lower(),
        " " + code(3) + " ",
        "９１５００１１６" + code(4)[8:],
        "'" + code(5),
        code(6)[:17] + ("0" if code(6)[17] != "0" else "1"),
        code(7)[:17],
        code(8) + "1",
        "91500116I0000000" + "12",
        "",
        None,
        9.15001160000001e17,
    ],
    "name": ["公司甲", " 公司乙 ", "'=公司丙", "", None, "长" * 201, 12345, "-x", "江津\x00影视"],
    "registered_capital": [
        "5000000",
        "5,000,000.00",
        "５０００",
        " 12.345 ",
        "1_000",
        "1e3",
        "-0",
        "-5",
        "NaN",
        "Infinity",
        "abc",
        "100000000000000",
        "'500",
        "500元",
        "",
        None,
        1.005,
        2500000,
        True,
    ],
    "established_on": [
        "2022-06-01",
        "20220601",
        "2022-W01-1",
        "2022/6/1",
        "2022年6月1日",
        " 2022-06-01",
        "2022-02-30",
        "2022-06-01 00:00:00",
        "0999-01-01",
        "'2022-06-01",
        "",
        None,
        datetime(2021, 3, 15, 0, 0),
        date(2021, 3, 16),
    ],
    "industry": ["影视制作", "production", "PRODUCTION", " 发行 ", "电影", "", None, "'发行"],
    "in_hq_park": ["是", "否", "Y", "yes", "TRUE", "1", "0", "√", " 是 ", "也许", "", None, 1, 0, 1.0, True, 2],
    "contact_email": [
        "a@example.com",
        " b@example.com ",
        "'-c@example.com",
        "x@",
        "@example.com",
        "a@localhost",
        "a@[127.0.0.1]",
        '"quoted@x"@example.com',
        "a@b@example.com",
        "用户@例子.中国",
        "a" * 250 + "@x.com",
        "",
        None,
    ],
}


@pytest.mark.parametrize("field", TRICKY)
def test_every_column_fast_path_agrees_with_its_parser(field):
    column = BY_FIELD[field]
    cells = TRICKY[field]
    # each cell alone, and the whole column at once (a fast path sees whole columns)
    for sample in [[cell] for cell in cells] + [cells]:
        assert column.parse_many(sample, use_fast=True) == column.parse_many(sample, use_fast=False), sample
    # and the fast path itself handles the well-formed cells, so the comparison above is not vacuous
    assert column.fast(cells[:1]) == column.parse_many(cells[:1], use_fast=False)[0]


def test_the_credit_code_check_of_a_whole_column_agrees_with_the_per_code_check():
    rnd = random.Random(32100)
    alphabet = uscc.ALPHABET
    codes = []
    for _ in range(3000):
        body = "".join(rnd.choice(alphabet) for _ in range(17))
        codes.append(body + (uscc.check_char(body) if rnd.random() < 0.5 else rnd.choice(alphabet)))
    fast = BY_FIELD["credit_code"].fast
    for single in codes:
        assert (fast([single]) is not None) is uscc.is_valid(single), single
    valid = [c for c in codes if uscc.is_valid(c)]
    assert fast(valid) == valid
    assert fast([*valid, next(c for c in codes if not uscc.is_valid(c))]) is None


def test_plain_splitting_reads_exactly_what_the_csv_module_reads():
    """Random texts of the characters that matter; split_columns either declines or agrees."""
    rnd = random.Random(2026)
    pieces = ["a", "中", ",", ",", "\t", " ", "'", "\x00", "\n", "\r\n", "\r", '"']
    taken = 0
    for trial in range(4000):
        width = rnd.randrange(1, 4)
        lines = []
        for _ in range(rnd.randrange(1, 6)):
            cells = ["".join(rnd.choice(pieces[:8]) for _ in range(rnd.randrange(0, 3))) for _ in range(width)]
            lines.append(",".join(cell.replace(",", "") for cell in cells))
        end = rnd.choice(["\n", "\r\n"])
        text = end.join(lines) + rnd.choice(["", end])
        if trial % 3 == 0:  # mess it up: stray line ends, quotes, extra delimiters
            at = rnd.randrange(len(text) + 1)
            text = text[:at] + rnd.choice(pieces) + text[at:]
        result = split_columns(text, ",")
        if result is None:
            continue
        taken += 1
        headers, rows = result
        records = list(csv.reader(io.StringIO(text, newline="")))
        assert [headers, *rows[:]] == records, repr(text)
    assert taken > 1000  # most texts take the fast path, so the comparison means something


def tricky_file_rows() -> list[list]:
    """Well-formed rows and rows with every kind of mistake, without quotes or blank rows, so that the
    CSV is read by columns; each cell also goes through the fast path of its column first."""
    rows = [row(n) for n in range(1, 30)]
    rows.append(row(30, credit_code=code(30).lower(), registered_capital="５００００００元"))
    rows.append(row(31, credit_code=code(31)[:17] + "0" if code(31)[17] != "0" else code(31)[:17] + "1"))
    rows.append(row(32, registered_capital="abc", paid_in_capital="-5", established_on="2022-02-30"))
    rows.append(row(33, industry="电影", in_hq_park="也许", contact_email="x@"))
    rows.append(row(34, credit_code=code(1)))  # duplicate of row 2
    rows.append(row(35, name="", established_on="2022-W01-1"))
    rows.append(row(36, registered_capital="100", paid_in_capital="200"))
    rows.append(row(37, in_hq_park="否", in_hq_park_since="2024-01-01"))
    rows.append(row(38, name="=SUM(1+1)", contact_email="-x@example.com", established_on="2021/3/15"))
    rows.append(row(39, registered_address="地" * 301))
    return rows


def import_both_ways(data: bytes, **options):
    """The same file through the column reader and fast paths, and through csv.reader and the parsers."""
    fast_table = read_table(data)
    slow_table = read_table(data, columns=False)
    assert isinstance(slow_table.rows, list)
    fast = import_rows(fast_table.headers, fast_table.rows, keep_rows=True, **options)
    slow = import_rows(slow_table.headers, slow_table.rows, keep_rows=True, fast=False, **options)
    return fast_table, fast, slow


def same_report(fast, slow) -> None:
    assert fast.counts() | {"seconds": 0} == slow.counts() | {"seconds": 0}
    assert [str(p) for p in fast.problems] == [str(p) for p in slow.problems]
    assert [list(p.cells) for p in fast.problems] == [list(p.cells) for p in slow.problems]
    key = lambda outcome: outcome.number  # noqa: E731
    assert [
        (o.number, o.kind, o.code, o.values, o.before, o.errors, list(o.cells)) for o in sorted(fast.rows, key=key)
    ] == [(o.number, o.kind, o.code, o.values, o.before, o.errors, list(o.cells)) for o in sorted(slow.rows, key=key)]


def test_a_csv_read_by_columns_imports_exactly_as_one_read_by_rows():
    data = write_csv(HEADERS, tricky_file_rows())
    table, fast, slow = import_both_ways(data, dry_run=True)
    assert isinstance(table.rows, ColumnRows)  # the fast reader was used
    same_report(fast, slow)
    assert fast.invalid == 8 and fast.new == 31
    messages = "\n".join(str(p) for p in fast.problems)
    for expected in [
        "第32行［统一社会信用代码］校验位错误",
        "第33行［注册资本］“abc”不是金额",
        "第33行［实缴资本］金额不能为负数",
        "第33行［成立日期］“2022-02-30”不是有效日期",
        "第34行［行业类别］“电影”不是可选的值",
        "第34行［入驻重庆影视城总部园区］“也许”无法识别",
        "第34行［电子邮箱］“x@”不是有效的电子邮箱",
        "第35行［统一社会信用代码］统一社会信用代码" + code(1) + "与第2行重复",
        "第36行［企业名称］此项必填",
        "第36行［成立日期］“2022-W01-1”不是有效日期",
        "第37行［实缴资本］实缴资本（200.00元）大于注册资本（100.00元）",
        "第38行［入驻日期］填写了入驻日期",
        "第40行［注册地址］内容过长",
    ]:
        assert expected in messages, expected
    assert Company.objects.count() == 0
    # the export's apostrophe before formula-like text is dropped on the way in, on both paths
    escaped = next(o for o in fast.rows if o.number == 39)
    assert escaped.values["name"] == "=SUM(1+1)" and escaped.values["contact_email"] == "-x@example.com"
    assert escaped.values["established_on"] == date(2021, 3, 15)


def test_a_refused_file_read_by_columns_writes_nothing():
    table = read_table(write_csv(HEADERS, tricky_file_rows()))
    report = import_rows(table.headers, table.rows)
    assert not report.applied and report.invalid == 8
    assert Company.objects.count() == 0


def test_blank_and_short_rows_and_quotes_take_the_row_reader_and_still_import_the_same():
    rows = [row(n) for n in range(1, 6)]
    quoted = [*rows[:2], row(3, name="江津, 白沙影视有限公司"), *rows[3:]]
    data = write_csv(HEADERS, quoted)
    table = read_table(data)
    assert isinstance(table.rows, list)  # a quoted comma: csv.reader decides
    assert table.rows[2][1] == "江津, 白沙影视有限公司"
    text = write_csv(HEADERS, rows).decode("utf-8-sig")
    blank = text.replace("\r\n", "\r\n" + "," * (len(HEADERS) - 1) + "\r\n", 2).replace(
        "\r\n" + "," * (len(HEADERS) - 1) + "\r\n", "\r\n", 1
    )
    table = read_table(blank.encode("utf-8"))
    assert isinstance(table.rows, list) and not any(table.rows[1])  # row 3 of the sheet is blank
    report = import_rows(table.headers, table.rows, dry_run=True, keep_rows=True)
    assert report.new == 5 and [o.number for o in report.rows] == [2, 4, 5, 6, 7]


def test_column_rows_behave_like_the_row_lists():
    data = write_csv(HEADERS, [row(n) for n in range(1, 4)])
    by_columns, by_rows = read_table(data), read_table(data, columns=False)
    assert isinstance(by_columns.rows, ColumnRows)
    assert by_columns.headers == by_rows.headers
    assert len(by_columns.rows) == 3
    assert list(by_columns.rows) == by_rows.rows
    assert by_columns.rows[-1] == by_rows.rows[-1] and by_columns.rows[:2] == by_rows.rows[:2]
    with pytest.raises(IndexError):
        by_columns.rows[3]


def test_a_reimport_with_changes_updates_the_same_way_on_both_paths():
    first = [row(n) for n in range(1, 41)]
    table = read_table(write_csv(HEADERS, first))
    assert import_rows(table.headers, table.rows).new == 40
    changed = [list(r) for r in first]
    changed[0][1] = "改名后的影视公司"  # renamed
    changed[1][14] = "023-99999999"  # new phone
    changed[2][12] = "2025-02-03"  # another park entry date
    changed[3][4] = "1.10"  # paid-in capital with cents
    changed[4][11], changed[4][12] = "否", ""  # left the park
    changed.append(row(41))
    _table, fast, slow = import_both_ways(write_csv(HEADERS, changed), dry_run=True)
    same_report(fast, slow)
    assert (fast.new, fast.updated, fast.unchanged) == (1, 5, 35)
    by_number = {o.number: o for o in fast.rows}
    assert by_number[2].kind == "update" and by_number[2].before == {"name": first[0][1]}
    assert by_number[3].before == {"contact_phone": first[1][14]}
    assert by_number[4].before == {"in_hq_park_since": date(2024, 1, 1)}
    assert by_number[4].values["in_hq_park_since"] == date(2025, 2, 3)
    assert by_number[5].before == {"paid_in_capital": Decimal(first[3][4])}
    assert by_number[5].values["paid_in_capital"] == Decimal("1.10")
    assert by_number[6].before == {"in_hq_park": True, "in_hq_park_since": date(2024, 1, 1)}
    assert by_number[7].kind == "skip" and by_number[42].kind == "new"


def stored(fields=tuple(c.field for c in COLUMNS)) -> dict[str, tuple]:
    return {values[0]: values for values in Company.objects.values_list(*fields)}


def expected(rows) -> dict[str, tuple]:
    cleaner = RowCleaner(HEADERS)
    return {values[0]: values for values in cleaner.clean_table(rows).values}


def test_changed_rows_get_exactly_the_file_values_whatever_columns_changed():
    first = [row(n) for n in range(1, 31)]
    table = read_table(write_csv(HEADERS, first))
    import_rows(table.headers, table.rows)
    changed = [list(r) for r in first]
    for n, r in enumerate(changed[:10]):  # ten rows, each changing a different pair of columns
        r[2 + n % 5] = {2: f"新法人{n}", 3: "9000000.00", 4: "1.05", 5: "2019-12-31", 6: "渝中区"}[2 + n % 5]
        r[13 + n % 6] = f"变更{n}" if 13 + n % 6 != 15 else f"new{n}@example.com"
    table = read_table(write_csv(HEADERS, changed))
    report = import_rows(table.headers, table.rows)
    assert (report.updated, report.unchanged) == (10, 20)
    assert stored() == expected(changed)
    again = import_rows(table.headers, table.rows)
    assert (again.updated, again.unchanged) == (0, 30)  # amounts with cents compare equal once stored


def test_more_change_patterns_than_groups_are_written_whole(monkeypatch):
    monkeypatch.setattr(importer, "CHUNK", 1000)  # the groups of one chunk
    first = [row(n) for n in range(1, GROUPS_MAX + 12)]
    table = read_table(write_csv(HEADERS, first))
    import_rows(table.headers, table.rows)
    changed = [list(r) for r in first]
    fields = [2, 3, 4, 5, 6, 7, 8, 13, 14, 15, 16, 17, 18]
    patterns = [(a, b) for i, a in enumerate(fields) for b in fields[i + 1 :]]
    for n, r in enumerate(changed):
        for index in patterns[n]:
            r[index] = {3: "8000000.00", 4: "0.10", 5: "2018-01-01", 15: f"z{n}@example.com"}.get(index, f"改{n}")
    table = read_table(write_csv(HEADERS, changed))
    with CaptureQueriesContext(connection) as queries:
        report = import_rows(table.headers, table.rows)
    assert report.updated == len(changed)
    assert stored() == expected(changed)
    assert FormerName.objects.count() == 0
    updates = [q["sql"] for q in queries.captured_queries if 'UPDATE "companies_company"' in q["sql"]]
    assert updates and all('"contact_email"' in sql and '"legal_representative"' in sql for sql in updates)


def test_a_change_of_one_column_writes_only_that_column():
    first = [row(n) for n in range(1, 6)]
    table = read_table(write_csv(HEADERS, first))
    import_rows(table.headers, table.rows)
    changed = [list(r) for r in first]
    changed[0][14] = "023-11111111"
    table = read_table(write_csv(HEADERS, changed))
    with CaptureQueriesContext(connection) as queries:
        assert import_rows(table.headers, table.rows).updated == 1
    updates = [q["sql"] for q in queries.captured_queries if 'UPDATE "companies_company"' in q["sql"]]
    if connection.vendor == "sqlite":
        assert updates and all('"contact_phone"' in sql and '"name"' not in sql for sql in updates)
    else:  # PostgreSQL compares in the server: its UPDATE writes the one row that differs (test_import_server)
        assert updates and all("IS DISTINCT FROM" in sql for sql in updates)
    assert stored() == expected(changed)


def test_an_xlsx_sheet_imports_the_same_as_the_csv_of_the_same_rows():
    from companies.io.files import write_xlsx

    rows = tricky_file_rows()  # both written as the exports write them (formula-like text neutralised)
    by_csv = read_table(write_csv(HEADERS, rows))
    by_xlsx = read_table(write_xlsx(list(HEADERS), rows))
    csv_report = import_rows(by_csv.headers, by_csv.rows, dry_run=True, keep_rows=True)
    xlsx_report = import_rows(by_xlsx.headers, by_xlsx.rows, dry_run=True, keep_rows=True)
    assert [str(p) for p in csv_report.problems] == [str(p) for p in xlsx_report.problems]
    assert [(o.number, o.kind, o.values) for o in csv_report.rows] == [
        (o.number, o.kind, o.values) for o in xlsx_report.rows
    ]


@pytest.mark.parametrize("enabled", [True, False])
def test_the_garbage_collector_is_left_as_it_was(enabled):
    table = read_table(write_csv(HEADERS, [row(1), row(2)]))
    was = gc.isenabled()
    try:
        gc.enable() if enabled else gc.disable()
        import_rows(table.headers, table.rows)
        assert gc.isenabled() is enabled
    finally:
        gc.enable() if was else gc.disable()


def test_backslashes_tabs_and_line_breaks_are_stored_as_written_when_inserted_and_updated():
    """PostgreSQL's COPY text format gives these characters a meaning; they must arrive as typed."""
    awkward = {
        "name": "江津\\影视\t文化",
        "registered_address": "白沙镇\n影视大道1号\r\n二楼",
        "contact_person": "\\N",
        "bank_name": "\\.",
    }
    rows = [row(1, **awkward), row(2)]
    table = read_table(write_csv(HEADERS, rows))
    assert import_rows(table.headers, table.rows).new == 2
    assert stored() == expected(rows)
    changed = [row(1, **awkward, contact_phone="023-1"), row(2, **{k: v + "改" for k, v in awkward.items()})]
    table = read_table(write_csv(HEADERS, changed))
    report = import_rows(table.headers, table.rows)
    assert report.updated == 2
    assert stored() == expected(changed)
    assert Company.objects.get(credit_code=code(2)).contact_person == "\\N改"


def test_a_file_refused_by_a_row_in_a_later_chunk_keeps_nothing_of_the_earlier_chunks(monkeypatch):
    monkeypatch.setattr(importer, "CHUNK", 7)
    rows = [row(n) for n in range(1, 30)]
    rows[25][3] = "不是金额"
    table = read_table(write_csv(HEADERS, rows))
    report = import_rows(table.headers, table.rows)
    assert not report.applied and report.invalid == 1 and report.new == 28
    assert [str(p) for p in report.problems] == [
        "第27行［注册资本］“不是金额”不是金额：请填写以元为单位的数字，例如 5000000 或 5,000,000.00。"
    ]
    assert Company.objects.count() == 0
    assert CompanyImport.objects.get().outcome == CompanyImport.Outcome.REFUSED
    skipped = import_rows(table.headers, table.rows, skip_invalid=True)
    assert skipped.applied and Company.objects.count() == 28


def test_a_write_that_fails_in_a_later_chunk_leaves_nothing_written(monkeypatch):
    monkeypatch.setattr(importer, "CHUNK", 7)
    prepare = importer._chunk_writes
    calls = []

    def failing(db, table, inserts, updates):
        job = prepare(db, table, inserts, updates)
        calls.append(job)
        if len(calls) < 3:
            return job

        def broken():
            raise RuntimeError("disk full")

        return broken

    monkeypatch.setattr(importer, "_chunk_writes", failing)
    table = read_table(write_csv(HEADERS, [row(n) for n in range(1, 30)]))
    with pytest.raises(RuntimeError, match="disk full"):
        import_rows(table.headers, table.rows)
    assert Company.objects.count() == 0


def test_a_nul_character_is_a_row_error_not_a_failed_write():
    """PostgreSQL cannot store NUL in text; the file is refused with the row's message on both databases."""
    rows = [row(1), row(2, name="江津\x00影视"), row(3, contact_email="a\x00@example.com")]
    table = read_table(write_csv(HEADERS, rows))
    assert isinstance(table.rows, ColumnRows)
    report = import_rows(table.headers, table.rows)
    assert not report.applied and report.invalid == 2
    messages = [str(p) for p in report.problems]
    assert messages[0].startswith("第3行［企业名称］内容含有空字符（NUL")
    assert messages[1].startswith("第4行［电子邮箱］") and "不是有效的电子邮箱" in messages[1]
    assert Company.objects.count() == 0
    assert import_rows(table.headers, table.rows, skip_invalid=True).new == 1
