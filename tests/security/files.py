"""Small real files of every accepted kind, built in memory, for the upload and bad-input tests."""

from __future__ import annotations

import io
import zipfile

from django.core.files.uploadedfile import SimpleUploadedFile

PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def _image(fmt: str, size: tuple[int, int] = (4, 3)) -> bytes:
    """A real, tiny image: the upload checks walk its segments/chunks to the end marker."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, fmt)
    return buffer.getvalue()


JPEG = _image("JPEG")
PNG = _image("PNG")
EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


OFD = _zip({"OFD.xml": b"<ofd:OFD xmlns:ofd='http://www.ofdspec.org/2016'/>", "Doc_0/Document.xml": b"<x/>"})
DOCX = _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})
DOCM = _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>", "word/vbaProject.bin": b"x"})
OTHER_ZIP = _zip({"readme.txt": b"hello"})


def xlsx_bytes(rows: list[list] | None = None) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    for row in rows or [["名称", "金额"], ["示例", 1]]:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


XLSX = xlsx_bytes()

BY_KIND = {"pdf": PDF, "jpeg": JPEG, "png": PNG, "ofd": OFD, "docx": DOCX, "xlsx": XLSX}
NAME_BY_KIND = {
    "pdf": "营业执照.pdf",
    "jpeg": "现场照片.jpg",
    "png": "截图.png",
    "ofd": "发票.ofd",
    "docx": "承诺书.docx",
    "xlsx": "明细表.xlsx",
}


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)
