"""Export to XLSX and CSV: the importer's Chinese headings, formulas neutralised, re-imports unchanged."""

from __future__ import annotations

import csv
import io
import json
from io import StringIO

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from companies.io.columns import HEADERS
from companies.models import Company
from companies.resources import CompanyCSV, CompanyResource, CompanyXLSX, export_companies
from invest.exporting import neutralise
from tests.factories.companies import CompanyFactory

pytestmark = pytest.mark.django_db

DANGEROUS = {
    "name": '=HYPERLINK("http://evil.example","点我")',
    "legal_representative": "+1+cmd|' /C calc'!A0",
    "registered_address": "-2+3",
    "contact_person": "@SUM(1+1)",
    "bank_name": "'已有撇号的银行",
}


@pytest.fixture
def companies():
    CompanyFactory(in_park=True)
    CompanyFactory(outside_jiangjin=True, paid_in_capital=None, established_on=None, industry="props")
    return CompanyFactory(**DANGEROUS, banned=True)


def reimport(data: bytes, tmp_path, name: str) -> dict:
    path = tmp_path / name
    path.write_bytes(data)
    out = StringIO()
    call_command("import_companies", str(path), stdout=out, stderr=StringIO())
    return json.loads(out.getvalue().strip().splitlines()[-1])


def test_neutralise_prefixes_formula_triggers_only():
    assert neutralise("=1+1") == "'=1+1"
    assert neutralise("+86 23 1234") == "'+86 23 1234"
    assert neutralise("-5") == "'-5"
    assert neutralise("@cmd") == "'@cmd"
    assert neutralise("重庆江津") == "重庆江津"
    assert neutralise("023-12345678") == "023-12345678"


def test_csv_export_has_the_chinese_headings_and_neutralised_values(companies):
    data = export_companies(file_format="csv")
    assert data.startswith(b"\xef\xbb\xbf")
    records = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert records[0] == list(HEADERS)
    row = next(r for r in records[1:] if r[0] == companies.credit_code)
    cells = dict(zip(records[0], row, strict=True))
    assert cells["企业名称"] == "'" + DANGEROUS["name"]
    assert cells["法定代表人"].startswith("'+")
    assert cells["注册地址"] == "'-2+3"
    assert cells["联系人"] == "'@SUM(1+1)"
    assert cells["开户银行"] == "''已有撇号的银行"
    assert not any(cell and cell[0] in "=+-@" for r in records[1:] for cell in r)


def test_xlsx_export_stores_text_never_formulas(companies):
    workbook = load_workbook(io.BytesIO(export_companies(file_format="xlsx")))
    sheet = workbook.active
    assert [c.value for c in sheet[1]] == list(HEADERS)
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            assert cell.data_type != "f"
            assert not (isinstance(cell.value, str) and cell.value and cell.value[0] in "=+-@")


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_export_reimports_unchanged(companies, fmt, tmp_path):
    before = {c.credit_code: c.updated_at for c in Company.objects.all()}
    result = reimport(export_companies(file_format=fmt), tmp_path, f"export.{fmt}")
    assert (result["new"], result["updated"], result["unchanged"], result["invalid"]) == (0, 0, 3, 0)
    assert {c.credit_code: c.updated_at for c in Company.objects.all()} == before
    assert Company.objects.get(pk=companies.pk).name == DANGEROUS["name"]


@pytest.mark.parametrize("file_format", [CompanyCSV, CompanyXLSX])
def test_the_admin_export_formats_write_what_the_importer_reads(companies, file_format, tmp_path):
    dataset = CompanyResource().export(queryset=Company.objects.all())
    data = file_format().export_data(dataset)
    assert dataset.headers == list(HEADERS)
    result = reimport(data, tmp_path, f"admin.{file_format.extension}")
    assert result["unchanged"] == 3 and result["invalid"] == 0


def test_exported_records_go_into_an_empty_registry_as_new(companies, tmp_path):
    data = export_companies(file_format="csv")
    expected = {c.credit_code: (c.name, c.paid_in_capital, c.banned_until) for c in Company.objects.all()}
    Company.objects.all().delete()
    assert reimport(data, tmp_path, "again.csv")["new"] == 3
    assert {c.credit_code: (c.name, c.paid_in_capital, c.banned_until) for c in Company.objects.all()} == expected


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_export_command_writes_a_file_that_reimports_unchanged(companies, suffix, tmp_path):
    out = tmp_path / f"registry.{suffix}"
    call_command("export_companies", str(out), stdout=StringIO())
    result = reimport(out.read_bytes(), tmp_path, f"back.{suffix}")
    assert (result["new"], result["updated"], result["unchanged"]) == (0, 0, 3)
