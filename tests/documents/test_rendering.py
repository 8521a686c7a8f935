"""Rendering: after commit by the task queue, once, never over the network, and from the frozen context."""

import hashlib
from pathlib import Path

import pytest
from django.core.management import call_command

from applications.documents.constants import DocumentKind
from applications.documents.models import Document
from applications.documents.rendering import LocalOnlyURLFetcher, html_to_pdf
from applications.documents.services import render_document
from tests.factories.applications import ApplicationFactory
from tests.factories.documents import DocumentFactory

from .conftest import pdf_text


@pytest.mark.django_db
def test_the_pdf_is_rendered_by_the_task_after_commit(django_capture_on_commit_callbacks):
    app = ApplicationFactory(box_office=True, approved=True)
    from applications.documents.contexts import case_context
    from applications.documents.services import issue_document

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        document = issue_document(DocumentKind.APPROVAL_DECISION, context=case_context("approval_decision", app))
    assert not Document.objects.get(pk=document.pk).is_rendered  # nothing rendered inside the transaction
    assert len(callbacks) == 1
    callbacks[0]()  # the commit happens; the immediate task backend runs the task
    document.refresh_from_db()
    assert document.is_rendered and document.rendered_at is not None
    with document.file.open("rb") as fh:
        data = fh.read()
    assert hashlib.sha256(data).hexdigest() == document.sha256 and document.size == len(data)


@pytest.mark.django_db
def test_rendering_again_keeps_the_stored_file_and_hash():
    document = DocumentFactory(application=ApplicationFactory(box_office=True, approved=True), rendered=True)
    first = (document.file.name, document.sha256)
    again = render_document(document.pk)
    assert (again.file.name, again.sha256) == first
    assert again.render_attempts == 1


@pytest.mark.django_db
def test_the_document_keeps_the_words_of_issue_time_after_the_company_is_renamed():
    app = ApplicationFactory(box_office=True, approved=True, company__name="旧名称影视有限公司")
    document = DocumentFactory(application=app)
    app.company.name = "新名称影视有限公司"
    app.company.save()
    text = pdf_text(render_document(document.pk).file.open("rb").read())
    assert "旧名称影视有限公司" in text and "新名称影视有限公司" not in text


@pytest.mark.django_db
def test_a_failed_render_is_recorded_and_leaves_no_file(monkeypatch):
    document = DocumentFactory(application=ApplicationFactory(box_office=True, approved=True))

    def broken(**kwargs):
        raise OSError("font missing")

    monkeypatch.setattr("applications.documents.rendering.render_pdf", broken)
    with pytest.raises(OSError):
        render_document(document.pk)
    document.refresh_from_db()
    assert document.render_attempts == 1 and "font missing" in document.render_error
    assert not document.is_rendered


@pytest.mark.parametrize(
    "url",
    ["http://example.com/logo.png", "https://example.com/x.css", "ftp://example.com/f", "file:///etc/passwd"],
)
def test_the_url_fetcher_refuses_network_and_files_outside_the_document_folders(url):
    with pytest.raises(ValueError):
        LocalOnlyURLFetcher().fetch(url)


def test_the_url_fetcher_serves_data_uris_and_static_files(settings):
    assert LocalOnlyURLFetcher().fetch("data:text/plain,ok").read() == b"ok"
    favicon = Path(settings.BASE_DIR) / "static" / "favicon.svg"
    assert LocalOnlyURLFetcher().fetch(favicon.as_uri()).read() == favicon.read_bytes()


def test_a_remote_image_in_a_template_is_not_fetched(monkeypatch):
    import urllib.request

    def no_network(*args, **kwargs):
        raise AssertionError("network access while rendering")

    monkeypatch.setattr(urllib.request.OpenerDirector, "open", no_network)
    pdf = html_to_pdf('<html><body><p>测试</p><img src="http://192.0.2.1/track.png"></body></html>')
    assert "测试" in pdf_text(pdf)


@pytest.mark.parametrize("kind", DocumentKind.values)
def test_render_document_command_renders_every_kind_with_sample_data(tmp_path, kind):
    out = tmp_path / f"{kind}.pdf"
    call_command("render_document", kind, "--sample", "--out", str(out))
    text = pdf_text(out.read_bytes())
    assert str(DocumentKind(kind).label) in text
    assert "重庆江津白沙影视文化传媒有限公司" in text or kind == DocumentKind.PUBLIC_NOTICE_LIST
    assert f"〔{__import__('datetime').date.today().year}〕1号" in text
    if kind in (DocumentKind.APPROVAL_DECISION, DocumentKind.DISBURSEMENT_NOTICE):
        assert "¥1,000,000.00" in text and "壹佰万元整" in text
