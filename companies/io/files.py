"""Reading and writing company spreadsheets: XLSX, and CSV in whatever encoding Chinese Excel saved it.

The file's content decides its format and encoding, never the user: an XLSX is a ZIP; a CSV is tried as
UTF-8 (with or without BOM), UTF-16 with BOM ("Unicode text"), and otherwise GB18030, the superset of
the GBK that Chinese Excel writes by default. Row numbers are those a spreadsheet shows: the heading is
row 1, so the first company is row 2, and blank rows keep their numbers.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

ZIP_MAGIC = b"PK\x03\x04"


class FileError(ValueError):
    """The file cannot be read at all; the message says what to do."""


@dataclass
class Table:
    headers: list[Any]
    rows: list[Sequence[Any]]  # data rows, the first being spreadsheet row 2
    format: str  # "xlsx" or "csv"
    encoding: str  # for CSV: the detected encoding; "" for XLSX
    sha256: str


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def plausible_gb18030(text: str) -> bool:
    """Big5 and other double-byte files are usually valid GB18030 too, but decode to rare characters and
    private-use code points. Text that Excel saved in GBK is almost all within GB2312 (the 6,763 common
    characters), so a file whose non-ASCII characters are largely outside it was not written in GBK."""
    wide = [ch for ch in text if ord(ch) > 0x7F]
    if not wide:
        return True
    unusual = 0
    for ch in wide:
        if 0xE000 <= ord(ch) <= 0xF8FF:
            unusual += 1
            continue
        try:
            ch.encode("gb2312")
        except UnicodeEncodeError:
            unusual += 1
    return unusual * 4 <= len(wide)  # at most a quarter: a few traditional or rare characters are fine


def decode_csv(data: bytes) -> tuple[str, str]:
    """The text of a CSV file and the encoding it was read with; every spreadsheet import uses this.

    A BOM decides; else strict UTF-8; else GB18030 (a superset of the GBK Chinese Excel writes), unless
    the result looks like another double-byte encoding such as Big5, which would be stored as mojibake.
    """
    for bom, name in ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if data.startswith(bom):
            try:
                return data.decode(name), name
            except UnicodeDecodeError:
                break
    else:
        try:
            return data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            pass
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        raise FileError(_("无法识别文件的字符编码。请在Excel中“另存为”XLSX，或“CSV UTF-8（逗号分隔）”后重新导入。"))
    if not plausible_gb18030(text):
        raise FileError(
            _(
                "文件编码无法可靠识别（可能是繁体 Big5 编码），直接导入会变成乱码。"
                "请另存为 UTF-8 或 GB18030 编码的 CSV（或 XLSX）后重新导入。"
            )
        )
    return text, "gb18030"


def detect_encoding(data: bytes) -> str:
    return decode_csv(data)[1]


def read_csv(data: bytes) -> tuple[list[Any], list[list[str]], str]:
    text, encoding = decode_csv(data)
    if text.startswith("\ufeff"):
        text = text[1:]
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if first_line.count("\t") > first_line.count(",") else ","
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise FileError(_("CSV文件格式有误（%(detail)s），请用Excel重新保存后再导入。") % {"detail": exc})
    if not records:
        raise FileError(_("文件是空的：第一行应为表头，从第二行起每行一家企业。"))
    return records[0], records[1:], encoding


def read_xlsx(data: bytes) -> tuple[list[Any], list[tuple[Any, ...]]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:
        raise FileError(_("无法打开这个XLSX文件，文件可能已损坏；请用Excel打开后重新保存再导入。"))
    try:
        sheet = workbook.worksheets[0]
        rows = list(sheet.iter_rows(values_only=True))
    finally:
        workbook.close()
    if not rows:
        raise FileError(_("工作表是空的：第一行应为表头，从第二行起每行一家企业。"))
    headers = list(rows[0])
    while headers and headers[-1] is None:
        headers.pop()
    return headers, rows[1:]


def read_table(data: bytes) -> Table:
    """Read an uploaded or given file into a heading row and data rows, whatever its format."""
    if not data:
        raise FileError(_("文件是空的，请选择要导入的企业名单文件。"))
    digest = sha256(data)
    if data.startswith(ZIP_MAGIC):
        headers, rows = read_xlsx(data)
        return Table(headers, rows, "xlsx", "", digest)
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileError(_("这是旧版Excel（.xls）文件，请在Excel中另存为XLSX后再导入。"))
    headers, rows, encoding = read_csv(data)
    return Table(headers, rows, "csv", encoding, digest)


def write_csv(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> bytes:
    """CSV in UTF-8 with BOM, which Chinese Excel opens with the right characters."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(headers)
    writer.writerows(rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def write_xlsx(headers: Sequence[str], rows: Iterable[Sequence[str]], title: str = "企业名录") -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title)
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
