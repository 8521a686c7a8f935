"""Virus scanning fails closed (issue 14, item 4): with clamd configured every upload is scanned, an infected
file is refused, and when clamd does not answer the upload is refused with "病毒扫描服务暂不可用，请稍后再试"
(page and API: 503) and nothing is stored. The dashboard says when scanning is switched off."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from applications.models import Material
from tests.security.fake_clamd import fake_clamd
from tests.security.files import EICAR, PDF

pytestmark = pytest.mark.django_db

UNAVAILABLE = "病毒扫描服务暂不可用，请稍后再试"
PDF_WITH_EICAR = PDF.replace(b"%%EOF", b"% " + EICAR + b"\n%%EOF")


@pytest.fixture
def socket_dir():
    # A short path: a UNIX socket's path may not be longer than about 100 bytes.
    folder = Path(tempfile.mkdtemp(prefix="clamd-", dir="/tmp"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def draft(member, case_of):
    app = case_of(member)
    app.item.materials = [{"key": "licence", "label": "营业执照", "types": ["pdf"], "required": True}]
    app.item.save()
    return app


def stored_files(settings) -> list[Path]:
    root = Path(settings.STORAGES["default"]["OPTIONS"]["location"])
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def page_upload(client, app, content: bytes):
    client.force_login(app.company.memberships.first().user)
    return client.post(
        reverse("portal:material_upload", args=[app.pk, "licence"]),
        {"file": SimpleUploadedFile("营业执照.pdf", content, content_type="application/pdf")},
    )


def api_upload(app, content: bytes):
    api = APIClient()
    api.force_authenticate(app.company.memberships.first().user)
    return api.post(
        f"/api/v1/applications/{app.pk}/materials/",
        {"key": "licence", "file": SimpleUploadedFile("营业执照.pdf", content)},
        format="multipart",
    )


def test_the_page_scans_every_upload_and_refuses_the_infected_one(client, draft, settings, socket_dir):
    settings.CLAMAV_SOCKET = str(socket_dir / "clamd.sock")
    with fake_clamd(socket_dir / "clamd.sock") as scanned:
        assert page_upload(client, draft, PDF).status_code == 302
        response = page_upload(client, draft, PDF_WITH_EICAR)
    assert len(scanned) == 2 and EICAR in scanned[1]
    assert response.status_code == 400
    assert "未通过病毒扫描" in response.text and "Eicar-Test-Signature" in response.text
    assert Material.objects.count() == 1  # only the clean one
    assert len(stored_files(settings)) == 1


def test_the_api_scans_every_upload_and_refuses_the_infected_one(draft, settings, socket_dir):
    settings.CLAMAV_SOCKET = str(socket_dir / "clamd.sock")
    with fake_clamd(socket_dir / "clamd.sock") as scanned:
        assert api_upload(draft, PDF).status_code == 201
        response = api_upload(draft, PDF_WITH_EICAR)
    assert len(scanned) == 2
    assert response.status_code == 400 and response.json()["code"] == "invalid_file"
    assert Material.objects.count() == 1


def test_a_scanner_that_does_not_answer_refuses_the_page_upload_with_503(client, draft, settings, socket_dir):
    settings.CLAMAV_SOCKET = str(socket_dir / "no-such-clamd.sock")  # configured, but clamd is down
    response = page_upload(client, draft, PDF)
    assert response.status_code == 503
    assert UNAVAILABLE in response.text
    assert not Material.objects.exists() and stored_files(settings) == []


def test_a_scanner_that_does_not_answer_refuses_the_api_upload_with_503(draft, settings, socket_dir):
    settings.CLAMAV_SOCKET = str(socket_dir / "no-such-clamd.sock")
    response = api_upload(draft, PDF)
    assert response.status_code == 503
    body = response.json()
    assert body["code"] == "scanner_unavailable" and UNAVAILABLE in body["detail"]
    assert not Material.objects.exists() and stored_files(settings) == []


def test_the_dashboard_warns_while_uploads_are_not_scanned(client, staff, settings):
    client.force_login(staff["manager"])
    settings.CLAMAV_SOCKET = ""  # CLAMAV_DISABLED=1 in production, or a development machine without clamd
    assert "病毒扫描已关闭" in client.get(reverse("portal:dashboard")).text
    settings.CLAMAV_SOCKET = "/run/clamav/clamd.ctl"
    assert "病毒扫描已关闭" not in client.get(reverse("portal:dashboard")).text
