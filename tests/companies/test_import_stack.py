"""One import stack: the company columns are CompanyResource's declaration, and companies and leads read their
files through one reader (encoding guard, header aliases, row errors)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from companies.investment.importing import ImportFileError, import_leads
from companies.io import reader
from companies.io.columns import BY_FIELD, COLUMNS, HEADERS, map_headers
from companies.io.importer import import_rows
from companies.resources import CompanyResource
from companies.uscc import make_code

pytestmark = pytest.mark.django_db


def test_the_bulk_importer_reads_the_columns_the_resource_declares():
    resource = CompanyResource()
    assert [c.field for c in COLUMNS] == [f.attribute for f in resource.get_import_fields()]
    assert list(HEADERS) == [f.column_name for f in resource.get_import_fields()] == resource.get_export_headers()
    assert all(column is CompanyResource.fields[column.field] for column in COLUMNS)
    # An alias declared on the Resource's column is a heading the importer accepts.
    mapped = map_headers(["信用代码", "公司名称", "注册资本（元）"])
    assert mapped == [CompanyResource.fields[name] for name in ("credit_code", "name", "registered_capital")]


def test_the_library_clean_of_a_field_is_the_importers_reading_of_the_cell():
    capital = CompanyResource().fields["registered_capital"]
    assert capital.clean({"注册资本": "5,000,000"}) == Decimal("5000000.00")
    with pytest.raises(ValueError) as refused:
        capital.clean({"注册资本": "五百万"})
    report = import_rows(
        ["统一社会信用代码", "企业名称", "注册资本"], [[make_code("91500116000000001"), "甲", "五百万"]]
    )
    assert [problem.message for problem in report.problems] == [str(refused.value)]
    assert BY_FIELD["registered_capital"].widget.render(Decimal("5")) == "5.00"


def test_companies_and_leads_refuse_a_big5_file_with_the_same_words():
    data = "name,notes\r\n江津影視文化有限公司,白沙影視城\r\n".encode("big5")
    with pytest.raises(reader.FileError) as companies:
        reader.read_table(data)
    with pytest.raises(ImportFileError) as leads:
        import_leads(data, "a.csv")
    assert str(companies.value) == str(leads.value) and "Big5" in str(leads.value)


def test_one_header_normalisation_for_both_imports():
    assert reader.header_key("\ufeff 统一社会 信用代码 ") == reader.header_key("统一社会信用代码")
    assert reader.header_key("ＣＯＮＴＡＣＴ-Phone") == "contact_phone"
    aliases = reader.HeaderAliases([("capital", ["注册资本"])], units=("(万元)",))
    assert aliases.get("注册资本（万元）") == "capital" and aliases.get("注册资本(元)") is None


def test_a_row_error_reads_the_same_in_both_reports():
    error = reader.RowError(3, "企业名称", "此项必填，请填写。", ("X", ""))
    assert str(error) == "第3行［企业名称］此项必填，请填写。"
    assert error.as_dict() == {"row": 3, "column": "企业名称", "reason": "此项必填，请填写。"} and error.reason
    heading, rows = reader.rejected_rows(["代码", "名称"], [error])
    assert heading == ["代码", "名称"] and rows == [["X", "", "［企业名称］此项必填，请填写。"]]
