"""Active and oversized content (issue 14, item 5): PDFs with scripts or launch actions, images with data glued
after their end marker, and images whose header declares more pixels than a reviewer's browser should decode.

Every file is built here, in code; nothing is read from disk."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from django.core.exceptions import ValidationError

from invest.uploads import validate_upload

from .files import JPEG, PDF, PNG, _zip, upload


def pdf(*objects: bytes, trailer: bytes = b"<</Root 1 0 R>>") -> bytes:
    """A small PDF whose objects are numbered from 1 in the order given."""
    body = b"%PDF-1.7\n"
    for number, obj in enumerate(objects, start=1):
        body += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    return body + b"trailer\n" + trailer + b"\n%%EOF\n"


def stream(dictionary: bytes, data: bytes) -> bytes:
    return dictionary + b"\nstream\n" + data + b"\nendstream"


PAGES = b"<</Type/Pages/Kids[3 0 R]/Count 1>>"
PAGE = b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>"

JAVASCRIPT_OPEN_ACTION = pdf(
    b"<</Type/Catalog/Pages 2 0 R/OpenAction 4 0 R>>",
    PAGES,
    PAGE,
    b"<</S/JavaScript/JS(app.alert('pwned'))>>",
)
HEX_ESCAPED_JAVASCRIPT = pdf(
    b"<</Type/Catalog/Pages 2 0 R/OpenAction 4 0 R>>", PAGES, PAGE, b"<</S/J#61vaScript/J#53(app.alert(1))>>"
)
LAUNCH_ON_PAGE_OPEN = pdf(
    b"<</Type/Catalog/Pages 2 0 R>>",
    PAGES,
    b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/AA<</O 4 0 R>>>>",
    b"<</S/Launch/F(cmd.exe)/Win<</F(cmd.exe)/P(/c calc)>>>>",
)
EMBEDDED_FILE = pdf(
    b"<</Type/Catalog/Pages 2 0 R/Names<</EmbeddedFiles<</Names[(a.exe) 4 0 R]>>>>>>",
    PAGES,
    PAGE,
    b"<</Type/Filespec/F(a.exe)/EF<</F 5 0 R>>>>",
    stream(b"<</Type/EmbeddedFile/Length 2>>", b"MZ"),
)


def _object_stream(inner: bytes) -> bytes:
    offsets = b"4 0 "
    compressed = zlib.compress(inner)
    return stream(
        b"<</Type/ObjStm/N 1/First %d/Filter/FlateDecode/Length %d>>" % (len(offsets), len(compressed)), compressed
    )


# PDF 1.5+ writers put dictionaries into compressed object streams; a scan of the raw bytes alone misses them.
JAVASCRIPT_IN_OBJECT_STREAM = pdf(
    b"<</Type/Catalog/Pages 2 0 R/OpenAction 4 0 R>>",
    PAGES,
    PAGE,
    _object_stream(b"4 0 <</S/JavaScript/JS(app.alert(1))>>"),
)
# Harmless: /OpenAction that only opens page 1, and a page whose drawing happens to contain the bytes "/JS ".
OPEN_AT_FIRST_PAGE = pdf(b"<</Type/Catalog/Pages 2 0 R/OpenAction[3 0 R/Fit]>>", PAGES, PAGE)
CONTENT_WITH_JS_BYTES = pdf(
    b"<</Type/Catalog/Pages 2 0 R>>",
    PAGES,
    b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R>>",
    stream(b"<</Length 20>>", b"\x00\x01/JS /JavaScript \xff"),
)


def refused(name: str, content: bytes) -> ValidationError:
    with pytest.raises(ValidationError) as exc:
        validate_upload(upload(name, content))
    return exc.value


@pytest.mark.parametrize(
    "content",
    [JAVASCRIPT_OPEN_ACTION, HEX_ESCAPED_JAVASCRIPT, LAUNCH_ON_PAGE_OPEN, EMBEDDED_FILE, JAVASCRIPT_IN_OBJECT_STREAM],
    ids=["javascript-openaction", "hex-escaped-name", "launch-action", "embedded-file", "in-object-stream"],
)
def test_pdf_with_javascript_launch_or_embedded_files_is_refused(content):
    error = refused("营业执照.pdf", content)
    assert error.code == "pdf_active_content"
    message = " ".join(error.messages)
    assert "营业执照.pdf" in message and "请上传不含脚本的 PDF" in message


def test_encrypted_pdf_cannot_be_inspected_and_is_refused():
    content = pdf(b"<</Type/Catalog/Pages 2 0 R>>", PAGES, PAGE, trailer=b"<</Root 1 0 R/Encrypt<</Filter/Standard>>>>")
    error = refused("合同.pdf", content)
    assert error.code == "pdf_encrypted" and "未加密" in " ".join(error.messages)


def test_pdf_whose_object_stream_does_not_decode_is_refused():
    content = pdf(
        b"<</Type/Catalog/Pages 2 0 R>>",
        PAGES,
        PAGE,
        stream(b"<</Type/ObjStm/N 1/First 4/Filter/FlateDecode>>", b"not zlib at all"),
    )
    assert refused("合同.pdf", content).code == "pdf_not_inspectable"


@pytest.mark.parametrize(
    "content", [PDF, OPEN_AT_FIRST_PAGE, CONTENT_WITH_JS_BYTES], ids=["plain", "open-page-1", "js-bytes-in-drawing"]
)
def test_ordinary_pdfs_are_accepted(content):
    assert validate_upload(upload("营业执照.pdf", content)).kind == "pdf"


def test_a_pdf_written_by_weasyprint_with_object_streams_is_accepted():
    from weasyprint import HTML

    content = HTML(string="<h1>营业执照</h1><p>江津区</p>").write_pdf()
    assert validate_upload(upload("营业执照.pdf", content)).kind == "pdf"


def test_a_pdf_with_javascript_written_by_pypdf_is_refused():
    from pypdf import PdfWriter
    from pypdf.actions import JavaScript

    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.add_open_action(JavaScript("app.alert('x');"))
    buffer = io.BytesIO()
    writer.write(buffer)
    assert refused("发票.pdf", buffer.getvalue()).code == "pdf_active_content"


EVIL_ZIP = _zip({"evil.html": b"<script>alert(document.cookie)</script>"})


@pytest.mark.parametrize(
    ("name", "content"),
    [("现场照片.jpg", JPEG + EVIL_ZIP), ("截图.png", PNG + EVIL_ZIP), ("现场照片.jpg", JPEG + b"\x00")],
    ids=["jpeg-with-zip", "png-with-zip", "jpeg-with-one-byte"],
)
def test_image_with_data_after_its_end_marker_is_refused(name, content):
    error = refused(name, content)
    assert error.code == "trailing_data"
    assert "另存为" in " ".join(error.messages)


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def huge_png(side: int = 20_000) -> bytes:
    """A valid 1-bit grey PNG of side × side pixels: a few hundred KB on disk, 1.6 GB as 32-bit RGBA."""
    compressor = zlib.compressobj(9)
    row = b"\x00" * (1 + side // 8)
    idat = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", idat) + _png_chunk(b"IEND", b"")


def test_png_of_20000_by_20000_pixels_is_refused_from_its_header():
    content = huge_png()
    assert len(content) < 500_000
    error = refused("截图.png", content)
    assert error.code == "too_many_pixels"
    message = " ".join(error.messages)
    assert "20000 × 20000" in message and "4000 万像素" in message and "缩小" in message


def test_jpeg_whose_frame_header_declares_too_many_pixels_is_refused():
    sof = JPEG.index(b"\xff\xc0")
    content = JPEG[: sof + 5] + struct.pack(">HH", 20_000, 20_000) + JPEG[sof + 9 :]
    assert refused("现场照片.jpg", content).code == "too_many_pixels"


def test_pixel_limit_is_a_setting(settings):
    settings.UPLOAD_MAX_PIXELS = 11  # the fixture images are 4 × 3
    assert refused("截图.png", PNG).code == "too_many_pixels"
    assert refused("现场照片.jpg", JPEG).code == "too_many_pixels"
    settings.UPLOAD_MAX_PIXELS = 12
    assert validate_upload(upload("截图.png", PNG)).kind == "png"


@pytest.mark.parametrize(
    ("name", "content"),
    [("截图.png", PNG[:40]), ("现场照片.jpg", JPEG[: len(JPEG) - 2]), ("现场照片.jpg", JPEG[:30])],
    ids=["png-cut", "jpeg-without-eoi", "jpeg-cut-in-header"],
)
def test_cut_off_images_are_refused_as_damaged(name, content):
    assert refused(name, content).code == "damaged"
