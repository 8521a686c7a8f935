"""Lead import from CSV/XLSX: encodings, Chinese and English headers, bad rows with row/column/reason."""

import io
import json
from decimal import Decimal

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from companies.investment import workflow
from companies.investment.importing import ImportFileError, import_leads
from companies.investment.models import Lead, ProjectKind
from companies.investment.selectors import lead_history
from invest.models import AuditEntry
from tests.factories import UserFactory
from tests.factories.companies import next_credit_code
from tests.factories.investment import PromotionEventFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def event():
    return PromotionEventFactory(name="2026江津影视产业周")


@pytest.fixture
def boss():
    return UserFactory(username="zhaoshang", roles=["manager"])


def csv_bytes(rows: list[list[str]], encoding: str) -> bytes:
    text = "\r\n".join(",".join(r) for r in rows) + "\r\n"
    return text.encode(encoding)


def good_rows(event, code):
    return [
        ["线索名称", "统一社会信用代码", "联系人", "联系电话", "来源活动", "项目类型", "预计投资额（元）", "备注"],
        ["重庆光影传媒有限公司", code.lower(), "张三", "13900000000", event.name, "企业落户", '"5,000,000"', "意向强"],
        ["《山城往事》剧组", "", "李四", "13800000000", event.name, "剧组拍摄", "1200000.005", ""],
    ]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gbk", "gb18030"])
def test_csv_in_each_encoding_with_chinese_headers(encoding, event, boss):
    code = next_credit_code()
    report = import_leads(csv_bytes(good_rows(event, code), encoding), "leads.csv", actor=boss)

    assert report.errors == []
    assert (report.rows, report.valid, report.created, report.written) == (2, 2, 2, True)
    assert report.encoding == {"gbk": "gb18030", "utf-8-sig": "utf-8-sig"}.get(encoding, encoding)
    company = Lead.objects.get(name="重庆光影传媒有限公司")
    assert company.credit_code == code
    assert company.expected_investment == Decimal("5000000.00")
    assert company.event == event and company.owner == boss and company.state == workflow.NEW
    crew = Lead.objects.get(name="《山城往事》剧组")
    assert crew.project_kind == ProjectKind.PRODUCTION_SHOOT
    assert crew.expected_investment == Decimal("1200000.01")
    assert [(e.label, e.target, e.comment) for e in lead_history(crew)] == [("批量导入", "new", report.file)]
    assert AuditEntry.objects.filter(action="lead.imported", target_type="investment.lead").count() == 2
    entry = AuditEntry.objects.get(action="lead.import")
    assert entry.actor == boss and entry.after["created"] == 2


def test_english_headers_and_unknown_columns(event):
    data = csv_bytes(
        [
            ["Name", "Credit Code", "Event", "Project_Kind", "Expected_Investment", "Favourite colour"],
            ["Lightbox Pictures", "", event.name, "studio_investment", "20000000", "blue"],
        ],
        "utf-8",
    )
    report = import_leads(data, "leads.csv")
    assert report.created == 1
    assert report.ignored_columns == ["Favourite colour"]
    assert Lead.objects.get().project_kind == ProjectKind.STUDIO_INVESTMENT


def test_xlsx_with_numbers_in_cells(event, boss):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["企业名称", "联系电话", "来源活动", "预计投资额", "预计本地消费（元）", "跟进人"])
    sheet.append(["重庆影棚投资有限公司", 13700000000, event.name, 30000000, 1500000.5, "zhaoshang"])
    sheet.append([None, None, None, None, None, None])  # blank line in the middle is skipped, numbering kept
    sheet.append(["重庆道具库有限公司", None, None, None, None, None])
    buffer = io.BytesIO()
    book.save(buffer)

    report = import_leads(buffer.getvalue(), "leads.xlsx")

    assert (report.format, report.rows, report.created) == ("xlsx", 2, 2)
    lead = Lead.objects.get(name="重庆影棚投资有限公司")
    assert lead.contact_phone == "13700000000"
    assert lead.expected_local_spend == Decimal("1500000.50")
    assert lead.owner == boss


@pytest.fixture
def mixed_file(event):
    """Row 2 good, row 3 bad credit code, row 4 bad amount and unknown event, row 5 no name, row 6 good."""
    code = next_credit_code()
    bad_code = code[:-1] + ("0" if code[-1] != "0" else "1")
    return csv_bytes(
        [
            ["名称", "信用代码", "活动", "投资额（元）", "跟进人"],
            ["好企业甲", code, event.name, "100", ""],
            ["坏代码企业", bad_code, event.name, "100", ""],
            ["坏金额企业", "", "不存在的推介会", "一百万", ""],
            [" ", "", event.name, "5", ""],
            ["好企业乙", "", "", "", ""],
        ],
        "utf-8-sig",
    )


def test_bad_rows_are_reported_and_nothing_is_written_by_default(mixed_file):
    report = import_leads(mixed_file, "leads.csv")

    assert report.written is False and report.created == 0
    assert Lead.objects.count() == 0
    assert (report.rows, report.valid, report.invalid_rows) == (5, 2, 3)
    by_row = {}
    for e in report.errors:
        by_row.setdefault(e.row, []).append(e)
    assert sorted(by_row) == [3, 4, 5]
    assert [e.column for e in by_row[3]] == ["信用代码"]
    assert "校验位" in by_row[3][0].reason
    assert {e.column for e in by_row[4]} == {"活动", "投资额（元）"}
    assert any("不存在的推介会" in e.reason for e in by_row[4])
    assert any("一百万" in e.reason for e in by_row[4])
    assert [e.column for e in by_row[5]] == ["名称"]
    assert not AuditEntry.objects.filter(action="lead.import").exists()


def test_skip_invalid_writes_the_good_rows_only(mixed_file):
    report = import_leads(mixed_file, "leads.csv", skip_invalid=True)
    assert report.written is True and report.created == 2
    assert sorted(Lead.objects.values_list("name", flat=True)) == ["好企业乙", "好企业甲"]
    assert report.invalid_rows == 3


def test_dry_run_writes_nothing_even_when_all_rows_are_good(event):
    report = import_leads(csv_bytes(good_rows(event, next_credit_code()), "utf-8"), "leads.csv", dry_run=True)
    assert (report.valid, report.created, report.written) == (2, 0, False)
    assert Lead.objects.count() == 0


def test_owner_must_be_a_manager(event):
    UserFactory(username="shenpi", roles=["reviewer"])
    data = csv_bytes([["线索名称", "跟进人"], ["某企业", "shenpi"], ["另一企业", "nobody"]], "utf-8")
    report = import_leads(data, "leads.csv")
    assert [(e.row, e.column) for e in report.errors] == [(2, "跟进人"), (3, "跟进人")]
    assert "不是招商管理员" in report.errors[0].reason


def test_missing_name_column_is_a_file_level_error():
    report = import_leads(csv_bytes([["联系人", "电话"], ["张三", "1"]], "utf-8"), "leads.csv")
    assert report.errors[0].row == 1 and "线索名称" in report.errors[0].reason
    assert Lead.objects.count() == 0


def test_unreadable_files_are_refused_with_a_reason():
    with pytest.raises(ImportFileError):
        import_leads(b"", "leads.csv")
    with pytest.raises(ImportFileError):
        import_leads(b"PK\x03\x04 not really a workbook", "leads.xlsx")


def test_command_prints_a_json_summary_last(tmp_path, event, boss):
    path = tmp_path / "leads.csv"
    path.write_bytes(csv_bytes(good_rows(event, next_credit_code()), "gbk"))
    out, err = io.StringIO(), io.StringIO()

    call_command("import_leads", str(path), "--user", "zhaoshang", stdout=out, stderr=err)

    summary = json.loads(out.getvalue().strip().splitlines()[-1])
    assert summary["created"] == 2 and summary["encoding"] == "gb18030" and summary["written"] is True
    assert Lead.objects.filter(owner=boss).count() == 2


def test_command_with_bad_rows_fails_and_lists_them(tmp_path, mixed_file):
    path = tmp_path / "leads.csv"
    path.write_bytes(mixed_file)
    out, err = io.StringIO(), io.StringIO()

    with pytest.raises(CommandError):
        call_command("import_leads", str(path), stdout=out, stderr=err)

    summary = json.loads(out.getvalue().strip().splitlines()[-1])
    assert summary["written"] is False and summary["invalid"] == 3
    assert {e["row"] for e in summary["errors"]} == {3, 4, 5}
    assert "第3行 信用代码" in err.getvalue()
    assert Lead.objects.count() == 0


def test_command_report_holds_the_bad_rows_as_typed_and_they_import_once_fixed(tmp_path, mixed_file):
    path, report = tmp_path / "leads.csv", tmp_path / "problems.csv"
    path.write_bytes(mixed_file)
    call_command(
        "import_leads", str(path), "--skip-invalid", "--report", str(report), stdout=io.StringIO(), stderr=io.StringIO()
    )
    lines = report.read_bytes().decode("utf-8-sig").splitlines()
    assert lines[0].startswith("行号,列,原因,名称,信用代码")
    rows = [line.split(",") for line in lines[1:]]
    assert {r[0] for r in rows} == {"3", "4", "5"}
    original = mixed_file.decode("utf-8-sig").splitlines()
    for r in rows:  # each problem line ends with the row exactly as it was in the file
        assert ",".join(r[3:]) == original[int(r[0]) - 1], r
    assert Lead.objects.count() == 2


def test_command_dry_run_and_skip_invalid(tmp_path, mixed_file):
    path = tmp_path / "leads.csv"
    path.write_bytes(mixed_file)
    out = io.StringIO()
    call_command("import_leads", str(path), "--dry-run", stdout=out, stderr=io.StringIO())
    assert json.loads(out.getvalue().strip().splitlines()[-1])["dry_run"] is True
    assert Lead.objects.count() == 0

    out = io.StringIO()
    call_command("import_leads", str(path), "--skip-invalid", stdout=out, stderr=io.StringIO())
    assert json.loads(out.getvalue().strip().splitlines()[-1])["created"] == 2
    assert Lead.objects.count() == 2


def test_unquoted_comma_is_a_row_error_not_a_failed_file():
    data = csv_bytes(
        [["线索名称", "预计投资额（元）", "备注"], ["甲公司", "5,000,000", "x"], ["乙公司", "100", ""]], "utf-8"
    )
    report = import_leads(data, "leads.csv")
    assert [(e.row, e.column) for e in report.errors] == [(2, "")]
    assert "逗号" in report.errors[0].reason
    assert report.valid == 1 and Lead.objects.count() == 0


def test_importing_the_same_list_twice_is_refused_row_by_row(event):
    data = csv_bytes(good_rows(event, next_credit_code()), "utf-8")
    assert import_leads(data, "leads.csv").created == 2

    again = import_leads(data, "leads.csv")

    assert again.written is False
    assert [(e.row, e.column) for e in again.errors] == [(2, "线索名称"), (3, "线索名称")]
    assert "重复" in again.errors[0].reason
    assert Lead.objects.count() == 2


def test_a_line_repeated_within_one_file_is_reported_on_its_second_occurrence(event):
    rows = good_rows(event, next_credit_code())
    data = csv_bytes([*rows, rows[2]], "utf-8")
    report = import_leads(data, "leads.csv")
    assert [(e.row, e.column) for e in report.errors] == [(4, "线索名称")]
    assert Lead.objects.count() == 0
