"""What is inside an accepted PDF or image: active content, trailing data, and pixel count.

`invest.uploads.validate_upload` decides the *kind* of a file by its first bytes. That is not enough for a
reviewer who opens the file: a PDF can carry JavaScript or a launch action that runs in the reader, a JPEG
can have a ZIP (say ``evil.html``) glued after its end marker that other tools happily open, and a small
PNG can declare 20,000 × 20,000 pixels, which takes 1.6 GB to decode in a browser or a preview tool.

The checks here read structure only, never decode pixels or run anything:

* PDF: every name token (``/JavaScript``, also hex-escaped as ``/J#61vaScript``) in the file and in its
  Flate-compressed streams (object streams hide dictionaries there) is compared with the names of active
  content. pypdf is a development dependency only (requirements-dev.txt), so this is a careful byte-level
  scan rather than a full parse; an encrypted PDF cannot be inspected and is refused for that reason.
* JPEG: the segments are walked from SOI to EOI (skipping entropy-coded data); anything after EOI is refused.
  The frame header (SOFn) gives the size.
* PNG: the chunks are walked from the signature to IEND; anything after IEND is refused. IHDR gives the size.
"""

from __future__ import annotations

import re
import struct
import zlib
from typing import IO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

#: Largest image accepted, in pixels (width × height, read from the header); settings.UPLOAD_MAX_PIXELS overrides.
MAX_PIXELS = 40_000_000

#: Names that make a PDF do something when opened or clicked, beyond showing pages. /OpenAction and /AA only
#: say *when* an action runs; with a plain destination (go to page 1) they are harmless and common, so it is
#: the action types below that are refused, wherever they appear.
ACTIVE_PDF_NAMES = frozenset(
    {
        "JavaScript",
        "JS",
        "Launch",
        "EmbeddedFile",
        "EmbeddedFiles",
        "RichMedia",
        "SubmitForm",
        "ImportData",
        "XFA",
    }
)
# A PDF name: a slash and regular characters (anything but white space and delimiters).
_NAME = re.compile(rb"/([^\s/\[\]<>(){}%]+)")
_HEX_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_STREAM = re.compile(rb"(?<!end)stream\r?\n")
#: Most decompressed bytes inspected per PDF: a compression bomb is refused rather than expanded without end.
MAX_PDF_INFLATED = 200 * 1024 * 1024


def max_pixels() -> int:
    return int(getattr(settings, "UPLOAD_MAX_PIXELS", MAX_PIXELS))


def _damaged(name: str) -> ValidationError:
    return ValidationError(
        _("文件「%(name)s」已损坏或不完整（可能上传中断）。请用原程序打开确认无误后重新上传。"),
        code="damaged",
        params={"name": name},
    )


def _trailing(name: str) -> ValidationError:
    return ValidationError(
        _(
            "图片「%(name)s」在图像结束之后还附带了其他数据，出于安全原因不能接收。"
            "请用看图或截图工具将图片重新另存为 JPG 或 PNG 后上传。"
        ),
        code="trailing_data",
        params={"name": name},
    )


def _check_pixels(name: str, width: int, height: int) -> None:
    limit = max_pixels()
    if width <= 0 or height <= 0:
        raise _damaged(name)
    if width * height > limit:
        raise ValidationError(
            _(
                "图片「%(name)s」的尺寸为 %(width)s × %(height)s 像素，超过 %(limit)s 万像素的上限。"
                "请缩小图片尺寸（例如长边不超过 6000 像素）后重新上传。"
            ),
            code="too_many_pixels",
            params={"name": name, "width": width, "height": height, "limit": limit // 10_000},
        )


def _decoded_names(data: bytes) -> set[str]:
    names = set()
    for match in _NAME.finditer(data):
        raw = _HEX_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), match.group(1))
        names.add(raw.decode("latin-1"))
    return names


def _dictionaries(data: bytes) -> list[bytes]:
    """The parts of a PDF that hold dictionaries: everything outside stream data, and the decoded content of
    object streams (/Type /ObjStm, where PDF 1.5+ writers put most dictionaries, Flate-compressed).

    Other stream data (page drawing, fonts, photos) is skipped: it holds no actions, and binary data would
    match a short name like /JS by chance in a few percent of large scanned PDFs."""
    parts: list[bytes] = []
    budget = MAX_PDF_INFLATED
    pos = 0
    for match in _STREAM.finditer(data):
        if match.start() < pos:
            continue  # inside a stream already skipped
        parts.append(data[pos : match.start()])
        start = match.end()
        end = data.find(b"endstream", start)
        if end < 0:
            end = len(data)
        pos = end + len(b"endstream")
        head = data[data.rfind(b"obj", 0, match.start()) + 3 : match.start()]
        if "ObjStm" not in _decoded_names(head):
            continue
        decoder = zlib.decompressobj()
        try:
            chunk = decoder.decompress(data[start:end], budget + 1)
        except zlib.error:
            # An object stream we cannot read could hide anything: treat it as not inspectable.
            raise OverflowError from None
        budget -= len(chunk)
        if budget < 0:
            raise OverflowError
        parts.append(chunk)
    parts.append(data[pos:])
    return parts


def check_pdf(f: IO[bytes], name: str) -> None:
    f.seek(0)
    data = f.read()
    f.seek(0)
    try:
        parts = _dictionaries(data)
    except OverflowError:
        raise ValidationError(
            _("无法检查文件「%(name)s」的内部结构。请用原程序重新导出为普通 PDF，或用“打印为 PDF”另存后上传。"),
            code="pdf_not_inspectable",
            params={"name": name},
        ) from None
    names: set[str] = set()
    for part in parts:
        names |= _decoded_names(part)
    if "Encrypt" in names:
        raise ValidationError(
            _("文件「%(name)s」已加密，无法检查其中是否含有脚本。请另存为未加密的 PDF（取消密码保护）后重新上传。"),
            code="pdf_encrypted",
            params={"name": name},
        )
    found = sorted(names & ACTIVE_PDF_NAMES)
    if found:
        raise ValidationError(
            _(
                "文件「%(name)s」含有脚本、自动执行的动作或内嵌文件，出于安全原因不能接收。"
                "请上传不含脚本的 PDF：用原程序重新导出，或用“打印为 PDF”另存后上传。"
            ),
            code="pdf_active_content",
            params={"name": name, "found": ", ".join(found)},
        )


def check_png(f: IO[bytes], name: str) -> None:
    f.seek(0)
    data = f.read()
    f.seek(0)
    pos = 8
    width = height = None
    while True:
        if pos + 8 > len(data):
            raise _damaged(name)
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        end = pos + 12 + length
        if end > len(data):
            raise _damaged(name)
        if kind == b"IHDR":
            if length < 8:
                raise _damaged(name)
            width, height = struct.unpack(">II", data[pos + 8 : pos + 16])
            _check_pixels(name, width, height)
        elif width is None:
            raise _damaged(name)  # IHDR must come first
        if kind == b"IEND":
            break
        pos = end
    if end != len(data):
        raise _trailing(name)


# SOF markers that carry the frame size: C0-CF except DHT (C4), JPG (C8) and DAC (CC).
_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


def check_jpeg(f: IO[bytes], name: str) -> None:
    f.seek(0)
    data = f.read()
    f.seek(0)
    n = len(data)
    pos = 2  # after SOI
    sized = False
    while True:
        if pos + 2 > n or data[pos] != 0xFF:
            raise _damaged(name)
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == 0xD9:  # EOI
            end = pos + 2
            break
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:  # markers without a length
            pos += 2
            continue
        if pos + 4 > n:
            raise _damaged(name)
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        if length < 2 or pos + 2 + length > n:
            raise _damaged(name)
        if marker in _SOF:
            if length < 7:
                raise _damaged(name)
            height, width = struct.unpack(">HH", data[pos + 5 : pos + 9])
            _check_pixels(name, width, height)
            sized = True
        pos += 2 + length
        if marker == 0xDA:  # SOS: entropy-coded data up to the next marker that is not a stuffed byte or RST
            while True:
                pos = data.find(b"\xff", pos)
                if pos < 0 or pos + 1 >= n:
                    raise _damaged(name)
                following = data[pos + 1]
                if following == 0x00 or 0xD0 <= following <= 0xD7 or following == 0xFF:
                    pos += 1 if following == 0xFF else 2
                    continue
                break
    if not sized:
        raise _damaged(name)
    if end != n:
        raise _trailing(name)


CHECKS = {"pdf": check_pdf, "png": check_png, "jpeg": check_jpeg}


def check_content(f: IO[bytes], kind: str, name: str) -> None:
    """Refuse active content, trailing data and oversized images; leaves the file at its start."""
    check = CHECKS.get(kind)
    if check is not None:
        check(f, name)
