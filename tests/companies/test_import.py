"""`manage.py import_companies`: formats, encodings, headings, upsert, idempotence, all-or-nothing, reports."""

from __future__ import annotations

import csv
import hashlib
import json
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command

from companies.io import importer
from companies.models import Company, CompanyImport, FormerName
from invest.models import AuditEntry
from tests.factories.companies import UserFactory

from .conftest import HEADERS_EN, HEADERS_ZH, ROWS, csv_bytes, xlsx_bytes

pytestmark = pytest.mark.django_db


def run(path, *args, expect_exit=None):
    """Run the command; return (stdout lines, stderr text). expect_exit: the exit status when it exits."""
    from io import StringIO

    out, err = StringIO(), StringIO()
    if expect_exit is None:
        call_command("import_companies", str(path), *args, stdout=out, stderr=err)
    else:
        with pytest.raises(SystemExit) as excinfo:
            call_command("import_companies", str(path), *args, stdout=out, stderr=err)
        assert excinfo.value.code == expect_exit
    return out.getvalue().strip().splitlines(), err.getvalue()


def counts(lines):
    return json.loads(lines[-1])


FORMATS = {
    "csv-utf8": lambda h, r: csv_bytes(h, r, "utf-8"),
    "csv-utf8-bom": lambda h, r: csv_bytes(h, r, "utf-8-sig"),
    "csv-gbk": lambda h, r: csv_bytes(h, r, "gbk"),
    "csv-gb18030": lambda h, r: csv_bytes(h, r, "gb18030"),
    "xlsx": xlsx_bytes,
}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("headers", [HEADERS_ZH, HEADERS_EN], ids=["chinese-headings", "english-headings"])
def test_every_format_and_encoding_imports_the_same_records(fmt, headers, write_file):
    path = write_file(FORMATS[fmt](headers, ROWS), "file.xlsx" if fmt == "xlsx" else "file.csv")
    lines, _err = run(path)
    result = counts(lines)
    assert {k: result[k] for k in ("new", "updated", "unchanged", "invalid")} == {
        "new": 3,
        "updated": 0,
        "unchanged": 0,
        "invalid": 0,
    }
    assert set(result) == {"new", "updated", "unchanged", "invalid", "seconds"}
    first = Company.objects.get(credit_code="914403001922038216")
    assert first.name == "重庆江津影视文化有限公司"
    assert first.registered_capital == Decimal("5000000.00")
    assert first.established_on == date(2022, 6, 1)
    assert first.in_hq_park is True and first.in_hq_park_since == date(2024, 1, 1)
    assert first.industry == "production"
    second = Company.objects.get(credit_code="91330100716105852F")
    assert second.registered_capital == Decimal("1000000.00") and second.established_on == date(2021, 3, 15)
    assert second.industry == "equipment" and second.in_hq_park is False
    third = Company.objects.get(credit_code="91110108551385082Q")
    assert third.paid_in_capital is None and third.established_on == date(2020, 1, 2)
    assert third.industry == "post_production"


def test_gbk_file_is_really_not_utf8(write_file):
    data = csv_bytes(HEADERS_ZH, ROWS, "gbk")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    lines, _ = run(write_file(data))
    assert counts(lines)["new"] == 3


def test_second_import_of_the_same_file_changes_nothing(write_file):
    path = write_file(csv_bytes(HEADERS_ZH, ROWS))
    run(path)
    before = {c.credit_code: c.updated_at for c in Company.objects.all()}
    lines, _ = run(path)
    assert counts(lines) | {"seconds": 0} == {"new": 0, "updated": 0, "unchanged": 3, "invalid": 0, "seconds": 0}
    assert {c.credit_code: c.updated_at for c in Company.objects.all()} == before


def test_upsert_is_keyed_on_the_normalised_code(write_file):
    run(write_file(csv_bytes(HEADERS_ZH, ROWS)))
    changed = [list(row) for row in ROWS]
    changed[0][0] = "９１４４ ０３００-1922 0382 16"  # the same code, typed differently
    changed[0][1] = "重庆江津影视文化集团有限公司"  # renamed
    changed[1][3] = "2000000"  # capital raised
    lines, _ = run(write_file(csv_bytes(HEADERS_ZH, changed), "second.csv"))
    assert counts(lines)["updated"] == 2 and counts(lines)["unchanged"] == 1 and counts(lines)["new"] == 0
    assert Company.objects.count() == 3
    renamed = Company.objects.get(credit_code="914403001922038216")
    assert renamed.name == "重庆江津影视文化集团有限公司"
    assert list(FormerName.objects.filter(company=renamed).values_list("name", flat=True)) == [
        "重庆江津影视文化有限公司"
    ]
    assert Company.objects.get(credit_code="91330100716105852F").registered_capital == Decimal("2000000.00")


def test_columns_missing_from_the_file_are_left_alone_on_update(write_file):
    company_code = ROWS[0][0]
    run(write_file(csv_bytes(HEADERS_ZH, ROWS)))
    Company.objects.filter(credit_code=company_code).update(bank_account_number="6222020000001234567")
    lines, _ = run(write_file(csv_bytes(["统一社会信用代码", "企业名称"], [[company_code, "新名称有限公司"]]), "b.csv"))
    assert counts(lines)["updated"] == 1
    company = Company.objects.get(credit_code=company_code)
    assert company.bank_account_number == "6222020000001234567" and company.registered_capital == Decimal("5000000")


def invalid_rows():
    rows = [list(row) for row in ROWS]
    rows.append(
        ["914403001922038217", "校验位错误公司", "", "abc", "-5", "2022-02-30", "", "", "电影", "也许", "", "x@"]
    )
    rows.append(["91330100716105852f", "重复公司", "", "", "", "", "", "", "", "", "", ""])
    return rows


def test_any_invalid_row_imports_nothing_and_every_problem_is_reported(write_file):
    path = write_file(csv_bytes(HEADERS_ZH, invalid_rows()))
    lines, err = run(path, expect_exit=1)
    result = counts(lines)
    assert result["invalid"] == 2 and result["new"] == 3
    assert Company.objects.count() == 0
    for expected in [
        "第5行［统一社会信用代码］校验位错误：按前17位计算，第18位应为“6”，而不是“7”",
        "第5行［注册资本］“abc”不是金额",
        "第5行［实缴资本］金额不能为负数",
        "第5行［成立日期］“2022-02-30”不是有效日期",
        "第5行［行业类别］“电影”不是可选的值",
        "第5行［入驻重庆影视城总部园区］“也许”无法识别",
        "第5行［电子邮箱］“x@”不是有效的电子邮箱",
        "第6行［统一社会信用代码］统一社会信用代码91330100716105852F与第3行重复",
        "整个文件未导入",
    ]:
        assert expected in err, expected
    record = CompanyImport.objects.get()
    assert record.outcome == CompanyImport.Outcome.REFUSED and record.invalid == 2


def test_skip_invalid_imports_the_valid_rows_and_reports_the_rest(write_file, tmp_path):
    report = tmp_path / "rejected.csv"
    lines, _ = run(write_file(csv_bytes(HEADERS_ZH, invalid_rows())), "--skip-invalid", "--report", str(report))
    assert counts(lines)["new"] == 3 and counts(lines)["invalid"] == 2
    assert Company.objects.count() == 3
    raw = report.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel opens it with the right characters
    records = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert records[0][:4] == ["行号", "列", "原因", "统一社会信用代码"]
    by_column = {(r[0], r[1]): r[2] for r in records[1:]}
    assert "不是金额" in by_column[("5", "注册资本")]
    assert "与第3行重复" in by_column[("6", "统一社会信用代码")]
    assert {r[0] for r in records[1:]} == {"5", "6"}
    assert all(r[3] for r in records[1:])  # the original row follows the reason
    assert CompanyImport.objects.get().outcome == CompanyImport.Outcome.APPLIED


def test_duplicate_code_is_an_error_on_the_later_row_only(write_file):
    rows = [ROWS[0], ROWS[1], [ROWS[0][0].lower(), "后一行", *[""] * 10]]
    lines, err = run(write_file(csv_bytes(HEADERS_ZH, rows)), expect_exit=1)
    assert counts(lines)["invalid"] == 1
    assert "第4行［统一社会信用代码］" in err and "与第2行重复" in err and "第2行［" not in err


def test_dry_run_reports_without_writing(write_file):
    lines, err = run(write_file(csv_bytes(HEADERS_ZH, ROWS)), "--dry-run")
    assert counts(lines)["new"] == 3
    assert Company.objects.count() == 0
    assert CompanyImport.objects.get().outcome == CompanyImport.Outcome.DRY_RUN


def test_blank_rows_keep_the_spreadsheet_numbering(write_file):
    rows = [ROWS[0], [""] * 12, ["bad", "公司", *[""] * 10]]
    _lines, err = run(write_file(csv_bytes(HEADERS_ZH, rows)), expect_exit=1)
    assert "第4行［统一社会信用代码］统一社会信用代码应为18位，当前为3位" in err


def test_paid_in_capital_above_registered_capital_is_refused(write_file):
    row = list(ROWS[0])
    row[3], row[4] = "100", "200"
    _lines, err = run(write_file(csv_bytes(HEADERS_ZH, [row])), expect_exit=1)
    assert "第2行［实缴资本］实缴资本（200.00元）大于注册资本（100.00元）" in err


def test_a_file_without_the_code_column_is_refused_as_a_whole(write_file):
    lines, err = run(write_file(csv_bytes(["企业名称"], [["某公司"]])), expect_exit=1)
    assert "表头缺少必需的列：统一社会信用代码" in err
    assert counts(lines) | {"seconds": 0} == {"new": 0, "updated": 0, "unchanged": 0, "invalid": 0, "seconds": 0}


def test_the_json_counts_are_the_last_line_printed(write_file):
    lines, _ = run(write_file(csv_bytes(HEADERS_ZH, ROWS)))
    assert lines[-1].startswith("{") and isinstance(json.loads(lines[-1])["seconds"], float | int)


def test_every_import_is_recorded_with_who_file_hash_and_counts_and_audited(write_file):
    clerk = UserFactory(username="importer")
    data = csv_bytes(HEADERS_ZH, ROWS)
    run(write_file(data, "名录.csv"), "--user", "importer")
    record = CompanyImport.objects.get()
    assert record.actor == clerk and record.file_name == "名录.csv"
    assert record.file_sha256 == hashlib.sha256(data).hexdigest()
    assert record.counts() == {"new": 3, "updated": 0, "unchanged": 0, "invalid": 0}
    entry = AuditEntry.objects.get(action="company_import")
    assert entry.actor == clerk and entry.target_id == str(record.pk)
    assert entry.after["new"] == 3 and entry.after["sha256"] == record.file_sha256


def test_a_command_run_without_user_records_the_operating_system_account(write_file):
    import getpass

    run(write_file(csv_bytes(HEADERS_ZH, ROWS)))
    record = CompanyImport.objects.get()
    assert record.actor is None and record.source == "command" and record.operator == getpass.getuser()


def test_a_failure_while_writing_leaves_nothing_half_imported(write_file, monkeypatch):
    run(write_file(csv_bytes(HEADERS_ZH, ROWS[:1])))
    rows = [list(ROWS[0]), *ROWS[1:]]
    rows[0][1] = "改名后的公司"

    def broken_update(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(importer, "update_rows", broken_update)
    prepare = importer.ServerUpsert.job  # PostgreSQL: the server's compare and write of the chunk

    def broken_job(self, *args):
        write = prepare(self, *args)

        def run():
            write()
            raise RuntimeError("disk full")

        return run

    monkeypatch.setattr(importer.ServerUpsert, "job", broken_job)
    with pytest.raises(RuntimeError):
        run(write_file(csv_bytes(HEADERS_ZH, rows), "second.csv"))
    assert Company.objects.count() == 1  # the two new rows were rolled back with the failed update
    assert Company.objects.get().name == ROWS[0][1]


def test_a_legacy_xls_file_gets_a_clear_message(write_file):
    lines, err = run(write_file(b"\xd0\xcf\x11\xe0" + b"\0" * 100, "old.xls"), expect_exit=1)
    assert "另存为XLSX" in err


def test_a_duplicate_of_a_row_with_other_errors_is_still_reported_on_the_later_row(write_file):
    first = list(ROWS[0])
    first[5] = "不是日期"
    rows = [first, [ROWS[0][0], "后一行", *[""] * 10]]
    lines, err = run(write_file(csv_bytes(HEADERS_ZH, rows)), expect_exit=1)
    assert counts(lines)["invalid"] == 2
    assert "第2行［成立日期］" in err and "第3行［统一社会信用代码］" in err and "与第2行重复" in err


def test_a_big5_csv_is_refused_instead_of_stored_as_mojibake(write_file):
    rows = [[ROWS[0][0], "江津影視文化有限公司", "王測試"]]
    lines, err = run(write_file(csv_bytes(HEADERS_EN[:3], rows, "big5"), "big5.csv"), expect_exit=1)
    assert "Big5" in err and "UTF-8" in err
    assert Company.objects.count() == 0
