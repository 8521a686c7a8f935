"""The file store on an S3-compatible object store (issue 18: several app hosts share one bucket).

The default storage is django-storages' S3 backend pointed at moto's server on loopback (tests/storage/conftest):
a material uploaded through the applicant's service lands in the bucket and nowhere on disk; the office downloads
the same bytes (the hash recorded at upload), previews its first page; a document rendered by the task lands in
the bucket, downloads intact and verifies. The settings path (STORAGE_URL / AWS_*) is tested on its own.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from io import BytesIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from pypdf import PdfWriter

from applications.documents.models import Document
from tests.factories.applications import ApplicationFactory, CaseItemFactory, CaseRoundFactory
from tests.factories.companies import MembershipFactory, member_of
from tests.factories.documents import DocumentFactory

from .conftest import stored_bytes, stored_keys

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _tasks_at_once(immediate_tasks):
    """Documents render at once, as a worker would."""


def one_page_pdf(title: str) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.add_metadata({"/Title": title})
    buffer = BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def test_a_material_is_stored_in_the_bucket_and_served_back_intact(client, bucket, s3_client, settings, staff):
    from applications import services

    member = MembershipFactory()
    item = CaseItemFactory(code="T-S3-01")
    case = ApplicationFactory(company=member.company, item=item, round=CaseRoundFactory(policy=item.policy))
    data = one_page_pdf("营业执照 S3")
    material = services.add_material(
        case, member.user, key="licence", uploaded_file=SimpleUploadedFile("licence.pdf", data)
    )

    assert material.sha256 == hashlib.sha256(data).hexdigest()
    assert stored_keys(s3_client, bucket) == [material.file.name]
    assert stored_bytes(s3_client, bucket, material.file.name) == data
    assert not Path(settings.MEDIA_ROOT).exists(), "a file was written to the local folder"

    client.force_login(staff["reviewer"])
    response = client.get(reverse("portal:material", args=[material.pk]))
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert hashlib.sha256(body).hexdigest() == material.sha256

    preview = client.get(reverse("portal:material_preview", args=[material.pk]))
    assert preview.status_code == 200 and preview["Content-Type"] == "image/png"
    assert preview.content.startswith(b"\x89PNG")


def test_a_rendered_document_is_in_the_bucket_downloads_intact_and_verifies(client, bucket, s3_client):
    case = ApplicationFactory(box_office=True, approved=True, company__name="重庆对象存储影视有限公司")
    document = DocumentFactory(application=case, rendered=True)
    document.refresh_from_db()

    assert document.file.name in stored_keys(s3_client, bucket)
    stored = stored_bytes(s3_client, bucket, document.file.name)
    assert stored.startswith(b"%PDF") and hashlib.sha256(stored).hexdigest() == document.sha256

    client.force_login(member_of(case.company))
    response = client.get(reverse("documents:download", args=[document.pk]))
    assert response.status_code == 200
    assert hashlib.sha256(b"".join(response.streaming_content)).hexdigest() == document.sha256

    client.logout()
    verify = client.get(reverse("documents:verify", args=[document.verification_code]))
    assert verify.status_code == 200
    assert document.number in verify.text and "重庆对象存储影视有限公司" in verify.text
    assert Document.objects.filter(pk=document.pk, sha256=document.sha256).exists()


def _settings_storage(env: dict) -> str:
    """What invest.settings makes of these variables, read in a fresh interpreter."""
    code = (
        "import django, json; from django.conf import settings; django.setup(); "
        "print(json.dumps(settings.STORAGES['default'], default=str))"
    )
    base = {"DJANGO_SETTINGS_MODULE": "invest.settings", "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-c", code], env={**base, **env}, capture_output=True, text=True, cwd=Path(__file__).parents[2]
    )
    return result.stdout + result.stderr


def test_the_settings_choose_s3_only_when_a_bucket_is_named():
    assert "FileSystemStorage" in _settings_storage({})
    named = _settings_storage({"STORAGE_URL": "s3://jiangjin-files", "AWS_S3_ENDPOINT_URL": "http://127.0.0.1:9000"})
    assert "storages.backends.s3.S3Storage" in named and "jiangjin-files" in named and "127.0.0.1:9000" in named
    assert "S3Storage" in _settings_storage({"AWS_STORAGE_BUCKET_NAME": "jiangjin-files"})
    assert "STORAGE_URL must read s3://<bucket>" in _settings_storage({"STORAGE_URL": "ftp://files"})
