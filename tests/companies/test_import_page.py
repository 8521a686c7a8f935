"""The office's company import page: upload, check, each error beside the value typed, import the valid rows,
download the rejected rows, fix them and upload again."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from companies.models import Company, CompanyImport, ImportJob
from invest.models import AuditEntry
from tests.factories.companies import UserFactory

from .conftest import HEADERS_ZH, ROWS, csv_bytes, xlsx_bytes

pytestmark = pytest.mark.django_db

BAD_CODE = "91500116MA5U7X9X9Z"  # check character wrong
BAD_ROWS = [
    [BAD_CODE, "坏代码影视有限公司", "", "", "", "", "江津区", "江津区", "", "", "", ""],
    ["91350100M000100Y43", '=HYPERLINK("http://evil.example","x")', "", "", "", "2021-02-30", "", "", "", "", "", ""],
]


@pytest.fixture(autouse=True)
def _tasks_run_at_once(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def manager_client(client):
    client.force_login(UserFactory(username="mgr", roles=["manager"]))
    return client


def upload(client, data: bytes, name: str, capture):
    with capture(execute=True):
        response = client.post(reverse("companies:import"), {"file": SimpleUploadedFile(name, data)})
    return response


def test_only_managers_reach_the_import_page(client):
    client.force_login(UserFactory(username="clerk1", roles=["clerk"]))
    response = client.get(reverse("companies:import"))
    assert response.status_code == 403
    assert "只有管理员可以批量导入企业名录" in response.content.decode(), "the 403 page says why"


def test_a_file_with_bad_rows_shows_each_error_beside_what_was_typed_and_imports_the_valid_rows(
    manager_client, django_capture_on_commit_callbacks
):
    data = csv_bytes(HEADERS_ZH, ROWS + BAD_ROWS, encoding="gbk")
    response = upload(manager_client, data, "名录.csv", django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("companies:import_job", args=[job.pk])
    assert job.status == ImportJob.Status.CHECKED
    assert (job.total_rows, job.checked_rows, job.new, job.invalid) == (5, 5, 3, 2)
    assert not Company.objects.exists(), "the check writes nothing"

    page = manager_client.get(reverse("companies:import_job", args=[job.pk])).content.decode()
    assert BAD_CODE in page, "the code as typed is shown beside its error"
    assert "2021-02-30" in page
    assert "只导入正确的 3 行" in page and "导入全部" not in page

    refused = manager_client.post(reverse("companies:import_decide", args=[job.pk]), {"decision": "all"}, follow=True)
    assert "不能全部导入" in refused.content.decode()
    assert not Company.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        manager_client.post(reverse("companies:import_decide", args=[job.pk]), {"decision": "valid"})
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE and job.result.outcome == CompanyImport.Outcome.APPLIED
    assert Company.objects.count() == 3
    assert AuditEntry.objects.filter(action="company_import_confirmed", target_id=str(job.pk)).exists()

    # The rejected rows come back as typed, with their reasons, in a file that imports again once fixed.
    download = manager_client.get(reverse("companies:import_rejected", args=[job.pk]))
    assert download.status_code == 200 and "attachment" in download["Content-Disposition"]
    text = b"".join(download.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == [*HEADERS_ZH, "错误原因"]
    assert [r[0] for r in rows[1:]] == [BAD_CODE, "91350100M000100Y43"]
    assert rows[2][1].startswith("'="), "a formula typed in a cell comes back as text"
    assert "统一社会信用代码" in rows[1][-1] and "成立日期" in rows[2][-1]

    fixed = [[*r[:-1]] for r in rows[1:]]
    fixed[0][0] = "91500116MA5U7X9X9" + _check_char("91500116MA5U7X9X9")
    fixed[1][5] = "2021-02-28"
    upload(manager_client, csv_bytes(rows[0], fixed), "名录-错误行.csv", django_capture_on_commit_callbacks)
    again = ImportJob.objects.order_by("-pk").first()
    assert (again.status, again.new, again.invalid) == (ImportJob.Status.CHECKED, 2, 0)
    assert "导入全部 2 行" in manager_client.get(reverse("companies:import_job", args=[again.pk])).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        manager_client.post(reverse("companies:import_decide", args=[again.pk]), {"decision": "all"})
    assert Company.objects.count() == 5
    assert Company.objects.get(credit_code="91350100M000100Y43").name == '=HYPERLINK("http://evil.example","x")'


def _check_char(first17: str) -> str:
    from companies import uscc

    return uscc.check_char(first17)


def test_an_xlsx_file_is_checked_and_its_rejected_rows_come_back_as_xlsx(manager_client, django_capture_on_commit_callbacks):
    upload(manager_client, xlsx_bytes(HEADERS_ZH, ROWS + BAD_ROWS[:1]), "名录.xlsx", django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    assert (job.new, job.invalid) == (3, 1)
    download = manager_client.get(reverse("companies:import_rejected", args=[job.pk]))
    sheet = load_workbook(io.BytesIO(b"".join(download.streaming_content))).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][-1] == "错误原因" and values[1][0] == BAD_CODE


def test_a_file_without_the_required_headings_is_refused_with_what_to_do(manager_client, django_capture_on_commit_callbacks):
    upload(manager_client, csv_bytes(["名称", "地址"], [["甲", "乙"]]), "x.csv", django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.REFUSED
    page = manager_client.get(reverse("companies:import_job", args=[job.pk])).content.decode()
    assert "表头缺少必需的列" in page and "改正后重新上传" in page


def test_a_wrong_file_type_is_refused_on_the_upload_form_and_nothing_is_kept(manager_client, django_capture_on_commit_callbacks):
    response = upload(manager_client, b"%PDF-1.4 hello", "名录.pdf", django_capture_on_commit_callbacks)
    assert response.status_code == 200
    assert "只接受 CSV 或 XLSX" in response.content.decode()
    old_excel = upload(manager_client, b"\xd0\xcf\x11\xe0rest", "名录.xls", django_capture_on_commit_callbacks)
    assert "另存为XLSX" in old_excel.content.decode()
    assert not ImportJob.objects.exists()


def test_progress_is_reported_while_checking_and_the_page_reloads_when_done(
    manager_client, django_capture_on_commit_callbacks, monkeypatch
):
    from companies.io import importer

    monkeypatch.setattr(importer, "CHUNK", 2)  # five rows: progress after rows 2, 4 and 5
    seen = []
    original = ImportJob.objects.filter

    def spy(*args, **kwargs):
        query = original(*args, **kwargs)
        update = query.update

        def recording_update(**values):
            if "checked_rows" in values:
                seen.append((values["checked_rows"], values["total_rows"]))
            return update(**values)

        query.update = recording_update
        return query

    monkeypatch.setattr(ImportJob.objects, "filter", spy)
    upload(manager_client, csv_bytes(HEADERS_ZH, ROWS + BAD_ROWS), "名录.csv", django_capture_on_commit_callbacks)
    assert seen == [(2, 5), (4, 5), (5, 5)]
    monkeypatch.undo()

    job = ImportJob.objects.get()
    fragment = manager_client.get(reverse("companies:import_job", args=[job.pk]), headers={"HX-Request": "true"})
    assert fragment["HX-Refresh"] == "true", "a finished check makes the polling page reload"
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.CHECKING, checked_rows=2, total_rows=5)
    busy = manager_client.get(reverse("companies:import_job", args=[job.pk]), headers={"HX-Request": "true"})
    assert "HX-Refresh" not in busy and "已检查 2 / 5 行" in busy.content.decode()


def test_discarding_a_checked_file_writes_nothing_and_deletes_the_upload(manager_client, django_capture_on_commit_callbacks):
    from django.core.files.storage import default_storage

    upload(manager_client, csv_bytes(HEADERS_ZH, ROWS), "名录.csv", django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    assert default_storage.exists(job.stored_file)
    with django_capture_on_commit_callbacks(execute=True):
        manager_client.post(reverse("companies:import_decide", args=[job.pk]), {"decision": "discard"})
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DISCARDED and not default_storage.exists(job.stored_file)
    assert not Company.objects.exists()
    second = manager_client.post(reverse("companies:import_decide", args=[job.pk]), {"decision": "all"}, follow=True)
    assert "已经在导入、已导入或已放弃" in second.content.decode()


def test_the_admin_import_preview_heading_reads_as_chinese():
    """django-import-export 4.4.3's zh_Hans catalogue garbles this heading ("某些行验数据证失败")."""
    from django.utils import translation

    with translation.override("zh-hans"):
        assert translation.gettext("Some rows failed to validate") == "部分行未通过校验"
