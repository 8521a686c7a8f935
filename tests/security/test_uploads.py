"""Uploads are judged by content, not name; names are sanitised and storage names are random."""

from __future__ import annotations

import hashlib
import re

import pytest
from django.core.exceptions import ValidationError

from invest.uploads import (
    MAX_CASE_TOTAL,
    MAX_FILE_SIZE,
    MAX_FILENAME_LENGTH,
    check_case_total,
    random_storage_name,
    sanitize_filename,
    validate_upload,
)

from .files import BY_KIND, DOCM, EICAR, JPEG, NAME_BY_KIND, OTHER_ZIP, PDF, PNG, XLSX, upload


def refusal(exc_info) -> tuple[str, str]:
    error = exc_info.value
    return error.code, " ".join(error.messages)


@pytest.mark.parametrize("kind", sorted(BY_KIND))
def test_each_allowed_kind_is_accepted_by_its_content(kind):
    content = BY_KIND[kind]
    detected = validate_upload(upload(NAME_BY_KIND[kind], content))
    assert detected.kind == kind
    assert detected.size == len(content)
    assert detected.sha256 == hashlib.sha256(content).hexdigest()
    assert detected.safe_name == NAME_BY_KIND[kind]


def test_jpeg_extension_variants_and_upper_case_are_the_same_kind():
    assert validate_upload(upload("照片.JPEG", JPEG)).extension == "jpg"
    assert validate_upload(upload("照片.Jpg", JPEG)).kind == "jpeg"


def test_file_is_left_at_its_start_so_the_caller_can_save_it():
    f = upload("营业执照.pdf", PDF)
    validate_upload(f)
    assert f.read() == PDF


def test_zero_byte_file_is_refused():
    with pytest.raises(ValidationError) as exc:
        validate_upload(upload("空文件.pdf", b""))
    code, message = refusal(exc)
    assert code == "empty"
    assert "0 字节" in message and "重新" in message


def test_file_over_20_mb_is_refused_and_one_at_the_limit_is_accepted():
    at_limit = PDF[:-6] + b" " * (MAX_FILE_SIZE - len(PDF)) + b"%%EOF\n"
    assert len(at_limit) == MAX_FILE_SIZE
    assert validate_upload(upload("大文件.pdf", at_limit)).size == MAX_FILE_SIZE
    with pytest.raises(ValidationError) as exc:
        validate_upload(upload("大文件.pdf", at_limit + b" "))
    code, message = refusal(exc)
    assert code == "too_large"
    assert "20.0 MB" in message and "压缩或拆分" in message


def test_max_size_can_be_lowered_per_call():
    with pytest.raises(ValidationError) as exc:
        validate_upload(upload("a.pdf", PDF), max_size=10)
    assert exc.value.code == "too_large"


@pytest.mark.parametrize("name", ["病毒.exe", "脚本.html", "数据.csv", "文档.doc", "无扩展名", "压缩包.zip"])
def test_types_outside_the_list_are_refused_by_extension(name):
    with pytest.raises(ValidationError) as exc:
        validate_upload(upload(name, PDF))
    code, message = refusal(exc)
    assert code == "type_not_allowed"
    assert "PDF 文档" in message


def test_kind_not_allowed_at_this_place_is_refused():
    with pytest.raises(ValidationError) as exc:
        validate_upload(upload("照片.png", PNG), allowed_kinds={"pdf", "ofd"})
    code, message = refusal(exc)
    assert code == "type_not_allowed"
    assert "PDF 文档" in message and "OFD 版式文档" in message and "PNG" not in message


@pytest.mark.parametrize(
    ("name", "content", "actual"),
    [
        ("营业执照.pdf", PNG, "PNG 图片"),
        ("照片.png", JPEG, "JPEG 图片"),
        ("表格.xlsx", BY_KIND["docx"], "Word 文档"),
        ("发票.ofd", XLSX, "Excel 表格"),
        ("承诺书.docx", BY_KIND["ofd"], "OFD 版式文档"),
    ],
)
def test_content_that_does_not_match_the_extension_is_refused(name, content, actual):
    with pytest.raises(ValidationError) as exc:
        validate_upload(upload(name, content))
    code, message = refusal(exc)
    assert code == "content_mismatch"
    assert actual in message and "另存为正确格式" in message


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("伪装.pdf", b"MZ\x90\x00" + b"\x00" * 100),  # a Windows executable renamed to .pdf
        ("伪装.jpg", b"<html><script>alert(1)</script></html>"),
        ("伪装.docx", OTHER_ZIP),  # a ZIP that is not a Word document
        ("病毒.pdf", EICAR),
    ],
)
def test_unrecognised_content_is_refused(name, content):
    with pytest.raises(ValidationError) as exc:
        validate_upload(upload(name, content))
    assert exc.value.code == "content_unknown"


@pytest.mark.parametrize(
    ("name", "content"),
    [("截断.pdf", PDF[: len(PDF) // 2]), ("截断.xlsx", XLSX[: len(XLSX) // 2]), ("截断.ofd", BY_KIND["ofd"][:40])],
)
def test_truncated_files_are_refused_as_damaged(name, content):
    with pytest.raises(ValidationError) as exc:
        validate_upload(upload(name, content))
    code, message = refusal(exc)
    assert code == "damaged"
    assert "不完整" in message


def test_word_document_with_macros_is_refused():
    with pytest.raises(ValidationError) as exc:
        validate_upload(upload("带宏.docx", DOCM))
    assert exc.value.code == "macro"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("营业执照（2026年）.pdf", "营业执照（2026年）.pdf"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\张三\\桌面\\发票.pdf", "发票.pdf"),
        ("合同\x00\x1f\x7f.pdf", "合同.pdf"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),  # right-to-left override removed
        ('a<b>c:d"e|f?g*h.pdf', "a_b_c_d_e_f_g_h.pdf"),
        ("  ..隐藏文件.pdf  ", "隐藏文件.pdf"),
        ("结尾点.pdf. . ", "结尾点.pdf"),
        ("CON.pdf", "_CON.pdf"),
        ("", "未命名"),
        ("....", "未命名"),
        (".pdf", "pdf"),
        ("多个   空格\t名.pdf", "多个 空格 名.pdf"),
    ],
)
def test_sanitize_filename(raw, expected):
    assert sanitize_filename(raw) == expected


def test_sanitize_filename_limits_length_but_keeps_the_extension():
    name = sanitize_filename("很长" * 200 + ".pdf")
    assert len(name) == MAX_FILENAME_LENGTH
    assert name.endswith(".pdf")


def test_safe_name_of_a_path_traversal_upload_is_sanitised():
    assert validate_upload(upload("../../../材料.pdf", PDF)).safe_name == "材料.pdf"


def test_random_storage_name_reveals_nothing_and_is_unique():
    names = {random_storage_name("pdf") for _ in range(200)}
    assert len(names) == 200
    for name in names:
        assert re.fullmatch(r"materials/\d{4}/\d{2}/[0-9a-f]{32}\.pdf", name)
    assert random_storage_name("jpeg").endswith(".jpg")
    assert random_storage_name("xlsx", prefix="imports").startswith("imports/")
    with pytest.raises(ValueError):
        random_storage_name("exe")


def test_per_case_total_limit():
    check_case_total(MAX_CASE_TOTAL - 100, 100)
    with pytest.raises(ValidationError) as exc:
        check_case_total(MAX_CASE_TOTAL - 100, 101)
    code, message = refusal(exc)
    assert code == "case_total_exceeded"
    assert "200.0 MB" in message and "删除" in message


def test_limits_follow_settings(settings):
    settings.UPLOAD_MAX_FILE_SIZE = 50
    settings.UPLOAD_MAX_CASE_TOTAL = 1000
    with pytest.raises(ValidationError):
        validate_upload(upload("a.pdf", PDF))
    with pytest.raises(ValidationError):
        check_case_total(999, 2)


def test_unknown_allowed_kind_is_a_programming_error():
    with pytest.raises(ValueError):
        validate_upload(upload("a.pdf", PDF), allowed_kinds={"exe"})
