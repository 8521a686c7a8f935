"""Virus scanning through clamd's INSTREAM protocol: clean files pass, EICAR is refused, no scanner = no upload."""

from __future__ import annotations

import logging

import pytest
from django.core.exceptions import ValidationError

from invest import clamav
from invest.uploads import validate_upload

from .fake_clamd import fake_clamd
from .files import DOCX, EICAR, PDF, _zip, upload

PDF_WITH_EICAR = PDF.replace(b"%%EOF", b"% " + EICAR + b"\n%%EOF")
DOCX_WITH_EICAR = _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>", "word/x.txt": EICAR})


def test_clean_file_passes_the_real_scanner(clamd_socket, settings):
    settings.CLAMAV_SOCKET = clamd_socket
    assert clamav.scan_stream(upload("营业执照.pdf", PDF)) is None
    assert validate_upload(upload("营业执照.pdf", PDF)).kind == "pdf"
    assert validate_upload(upload("承诺书.docx", DOCX)).kind == "docx"


def test_eicar_test_file_is_found_by_the_real_scanner(clamd_socket, settings):
    settings.CLAMAV_SOCKET = clamd_socket
    assert clamav.scan_stream(upload("eicar.com", EICAR)) == "Eicar-Test-Signature.UNOFFICIAL"
    with pytest.raises(ValidationError) as exc:
        clamav.ensure_clean(upload("eicar.com", EICAR), name="eicar.com")
    assert exc.value.code == "infected"


@pytest.mark.parametrize(("name", "content"), [("带毒.pdf", PDF_WITH_EICAR), ("带毒.docx", DOCX_WITH_EICAR)])
def test_upload_carrying_eicar_is_refused_with_a_clear_message(clamd_socket, settings, caplog, name, content):
    settings.CLAMAV_SOCKET = clamd_socket
    with caplog.at_level(logging.WARNING, logger="invest.clamav"), pytest.raises(ValidationError) as exc:
        validate_upload(upload(name, content))
    assert exc.value.code == "infected"
    message = " ".join(exc.value.messages)
    assert "病毒扫描" in message and "Eicar-Test-Signature" in message and "杀毒软件" in message
    assert any("Eicar-Test-Signature" in r.getMessage() for r in caplog.records)


def test_same_file_without_scanner_configured_is_accepted(settings):
    """Shows the scanner, not the type check, is what refuses the PDF above."""
    settings.CLAMAV_SOCKET = ""
    assert validate_upload(upload("带毒.pdf", PDF_WITH_EICAR)).kind == "pdf"


def test_file_larger_than_one_chunk_is_streamed_whole(clamd_socket, settings):
    settings.CLAMAV_SOCKET = clamd_socket
    big = PDF.replace(b"%%EOF", b" " * (3 * clamav.CHUNK_SIZE) + b"% " + EICAR + b"\n%%EOF")
    with pytest.raises(ValidationError) as exc:
        validate_upload(upload("大文件.pdf", big))
    assert exc.value.code == "infected"


def test_unreachable_scanner_refuses_the_upload_and_logs(settings, tmp_path, caplog):
    settings.CLAMAV_SOCKET = str(tmp_path / "no-such-clamd.sock")
    with caplog.at_level(logging.ERROR, logger="invest.clamav"), pytest.raises(ValidationError) as exc:
        validate_upload(upload("营业执照.pdf", PDF))
    assert exc.value.code == "scanner_unavailable"
    assert "病毒扫描服务暂不可用，请稍后再试" in " ".join(exc.value.messages)
    assert any("scanner unavailable" in r.getMessage() for r in caplog.records)
    assert clamav.ping(str(tmp_path / "no-such-clamd.sock")) is False


@pytest.mark.parametrize(
    "reply", [b"INSTREAM size limit exceeded. ERROR\0", b"", None], ids=["error", "empty", "closed"]
)
def test_scanner_answering_with_an_error_refuses_the_upload(settings, tmp_path, reply):
    path = tmp_path / "fake.sock"
    settings.CLAMAV_SOCKET = str(path)
    with fake_clamd(path, verdict=lambda body: reply) as scanned, pytest.raises(ValidationError) as exc:
        validate_upload(upload("营业执照.pdf", PDF))
    assert exc.value.code == "scanner_unavailable"
    assert scanned == [PDF]  # the file was streamed; the answer is what refused it
