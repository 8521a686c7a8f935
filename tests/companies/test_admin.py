"""The company admin: search and filters, import with its preview step, export."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from companies.models import Company, CompanyImport
from tests.factories.companies import CompanyFactory, UserFactory

from .conftest import HEADERS_ZH, ROWS, csv_bytes, xlsx_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="boss", is_staff=True, is_superuser=True))
    return client


def test_search_by_name_or_code_typed_loosely(admin_client):
    target = CompanyFactory(name="白沙道具有限公司")
    CompanyFactory(name="另一家公司")
    url = reverse("admin:companies_company_changelist")
    by_name = admin_client.get(url, {"q": "白沙道具"}).content.decode()
    assert "白沙道具有限公司" in by_name and "另一家公司" not in by_name
    loose = " ".join(target.credit_code[i : i + 4] for i in range(0, 18, 4)).lower()
    by_code = admin_client.get(url, {"q": loose}).content.decode()
    assert "白沙道具有限公司" in by_code and "另一家公司" not in by_code


def test_filters_by_district_industry_park_and_status(admin_client):
    CompanyFactory(name="园区内公司", in_park=True, industry="props")
    CompanyFactory(name="渝中公司", outside_jiangjin=True, business_status="revoked")
    url = reverse("admin:companies_company_changelist")
    assert "园区内公司" not in admin_client.get(url, {"registration_district": "渝中区"}).content.decode()
    assert "渝中公司" in admin_client.get(url, {"registration_district": "渝中区"}).content.decode()
    park = admin_client.get(url, {"in_hq_park__exact": "1"}).content.decode()
    assert "园区内公司" in park and "渝中公司" not in park
    assert "园区内公司" in admin_client.get(url, {"industry__exact": "props"}).content.decode()
    assert "渝中公司" in admin_client.get(url, {"business_status__exact": "revoked"}).content.decode()


def _import(admin_client, data: bytes, name: str, fmt_index: int = 1):
    return admin_client.post(
        reverse("admin:companies_company_import"),
        {"format": str(fmt_index), "import_file": SimpleUploadedFile(name, data), "resource": "0"},
    )


def test_admin_import_previews_then_confirms(admin_client):
    response = _import(admin_client, csv_bytes(HEADERS_ZH, ROWS, "gbk"), "名录.csv")
    assert response.status_code == 200
    result = response.context["result"]
    assert result.totals["new"] == 3 and not result.has_validation_errors()
    assert "重庆江津影视文化有限公司" in response.content.decode()
    assert Company.objects.count() == 0  # the preview is a dry run
    confirm = response.context["confirm_form"]
    done = admin_client.post(reverse("admin:companies_company_process_import"), confirm.initial)
    assert done.status_code == 302
    assert Company.objects.count() == 3
    applied = CompanyImport.objects.get(outcome=CompanyImport.Outcome.APPLIED)
    assert applied.source == "admin" and applied.actor.username == "boss" and applied.file_name == "名录.csv"
    assert CompanyImport.objects.filter(outcome=CompanyImport.Outcome.DRY_RUN).count() == 1


def test_admin_preview_marks_unchanged_and_changed_rows(admin_client):
    from companies.io.importer import import_rows
    from companies.io.reader import read_table

    table = read_table(xlsx_bytes(HEADERS_ZH, ROWS))
    import_rows(table.headers, table.rows)
    changed = [list(r) for r in ROWS]
    changed[0][2] = "新法人"
    response = _import(admin_client, xlsx_bytes(HEADERS_ZH, changed), "b.xlsx", 0)
    result = response.context["result"]
    assert result.totals["update"] == 1 and result.totals["skip"] == 2
    assert "<del>王一</del> <ins>新法人</ins>" in response.content.decode()


def test_admin_preview_lists_invalid_rows_and_offers_no_confirmation(admin_client):
    rows = [*ROWS, ["91330100716105852G", "坏公司", "", "abc", "", "", "", "", "", "", "", ""]]
    response = _import(admin_client, csv_bytes(HEADERS_ZH, rows), "bad.csv")
    result = response.context["result"]
    assert result.has_validation_errors()
    (invalid,) = result.invalid_rows
    assert invalid.number == 5
    assert "校验位错误" in " ".join(invalid.error_dict["统一社会信用代码"])
    assert "不是金额" in " ".join(invalid.error_dict["注册资本"])
    assert "confirm_form" not in response.context
    assert Company.objects.count() == 0


def test_admin_export_writes_the_chinese_headings(admin_client):
    CompanyFactory(name="=1+1")
    response = admin_client.post(
        reverse("admin:companies_company_export"),
        {"format": "1", "resource": "0", **{f"companyresource_{f}": "on" for f in ("credit_code", "name")}},
    )
    assert response.status_code == 200
    body = response.content.decode("utf-8-sig")
    assert body.splitlines()[0].startswith("统一社会信用代码,企业名称")
    assert "'=1+1" in body
