"""The company import page in Chromium, with the file read from disk a chunk at a time: a manager uploads a
file with bad rows, sees each error beside the value typed, downloads the rejected rows and imports the valid
ones (axe on the checked page)."""

from __future__ import annotations

import pytest

from companies.io import importer
from companies.io.columns import HEADERS
from companies.io.files import write_csv
from companies.models import Company
from tests.companies.test_import_paths import row
from tests.factories.companies import UserFactory

from .conftest import login

PASSWORD = "jiangjin-demo"


@pytest.mark.django_db(transaction=True)
def test_a_manager_checks_a_file_with_bad_rows_and_imports_the_valid_ones(
    page, live_server, settings, monkeypatch, tmp_path, screenshot, axe_check
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    monkeypatch.setattr(importer, "CHUNK", 4)  # 12 rows: three chunks
    manager = UserFactory(username="daoru", roles=["manager"])
    manager.set_password(PASSWORD)
    manager.save()
    rows = [row(n) for n in range(1, 13)]
    rows[4][3] = "一百万"  # registered capital, not an amount
    rows[9][0] = rows[1][0]  # the code of row 3 again
    path = tmp_path / "名录.csv"
    path.write_bytes(write_csv(HEADERS, rows))

    login(page, "daoru", PASSWORD)
    page.goto("/companies/import/")
    page.set_input_files("input[type=file]", str(path))
    page.get_by_role("button", name="上传并检查").click()
    page.wait_for_load_state("networkidle")
    body = page.locator("main").inner_text()
    assert "2 个问题" in body and "一百万" in body and "与第3行重复" in body
    screenshot(page, "company-import-checked")
    axe_check(page)

    with page.expect_download() as download:
        page.get_by_role("link", name="下载 2 行错误行（改正后可直接重新上传）").click()
    assert download.value.suggested_filename == "名录-错误行.csv"
    page.get_by_role("button", name="只导入正确的 10 行").click()
    page.wait_for_load_state("networkidle")
    assert "导入结果" in page.locator("main").inner_text()
    screenshot(page, "company-import-done")
    assert Company.objects.count() == 10
