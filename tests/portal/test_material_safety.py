"""Materials that could run something in a reviewer's browser are refused at the upload page, and every material
is served sandboxed (issue 14, item 5)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from applications import services
from applications.models import Material
from tests.security.files import JPEG, _zip
from tests.security.test_active_content import JAVASCRIPT_OPEN_ACTION, huge_png

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("licence.pdf", JAVASCRIPT_OPEN_ACTION, "请上传不含脚本的 PDF"),
        ("licence.jpg", JPEG + _zip({"evil.html": b"<script>alert(1)</script>"}), "重新另存为 JPG 或 PNG"),
        ("licence.png", huge_png(), "请缩小图片尺寸"),
    ],
    ids=["pdf-javascript", "jpeg-with-zip", "png-20000x20000"],
)
def test_the_upload_page_refuses_active_or_oversized_content_and_says_what_to_do(
    client, member, case_of, name, content, says
):
    app = case_of(member)
    item = app.item
    item.materials = [{"key": "licence", "label": "营业执照", "types": ["pdf", "jpeg", "png"], "required": True}]
    item.save()
    client.force_login(member.user)
    response = client.post(
        reverse("portal:material_upload", args=[app.pk, "licence"]), {"file": SimpleUploadedFile(name, content)}
    )
    assert response.status_code == 400
    assert says in response.text
    assert not Material.objects.exists()


def test_every_material_is_served_sandboxed_and_not_sniffed(client, member, case_of, staff):
    app = case_of(member)
    material = services.add_material(
        app, member.user, key="licence", uploaded_file=SimpleUploadedFile("licence.pdf", b"%PDF-1.4\nx\n%%EOF\n")
    )
    client.force_login(staff["reviewer"])
    for query in ("", "?inline=1"):
        response = client.get(reverse("portal:material", args=[material.pk]) + query)
        assert response.status_code == 200
        assert response["X-Content-Type-Options"] == "nosniff"
        policy = [part.strip() for part in response["Content-Security-Policy"].split(";")]
        assert "sandbox" in policy and "default-src 'none'" in policy


def test_a_file_store_that_cannot_be_written_answers_503_saying_the_file_was_not_saved(
    client, member, case_of, monkeypatch
):
    from django.core.files.storage import FileSystemStorage
    from django.test import Client

    def disk_full(self, name, content):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(FileSystemStorage, "_save", disk_full)
    app = case_of(member)
    client = Client(raise_request_exception=False)
    client.force_login(member.user)
    response = client.post(
        reverse("portal:material_upload", args=[app.pk, "licence"]),
        {"file": SimpleUploadedFile("licence.pdf", b"%PDF-1.4\nx\n%%EOF\n")},
    )
    assert response.status_code == 503
    text = response.content.decode()
    assert "文件暂时无法保存" in text and "没有保存" in text and "No space" not in text
    assert not Material.objects.exists()
