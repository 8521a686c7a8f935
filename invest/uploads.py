"""Checks every uploaded file before it is stored.

A subsidy office receives business licences, invoices and contracts from anyone who can register. The
file's *name* is chosen by the sender, so the type is decided by the file's *content* (the signature, read
by the `filetype` library; for OFD/DOCX/XLSX, which are ZIP containers, by the entries inside). A file whose content does not match its
extension is refused: it is either a mistake the applicant should fix or an attempt to smuggle something
past a reviewer who opens it. Stored files get random names, so nobody can reach a material by guessing
a URL or a path, and the readable name the applicant gave is kept only as sanitised display text.

Usage (the workflow stores materials through this)::

    detected = validate_upload(request.FILES["file"], allowed_kinds={"pdf", "ofd"})
    with files_removed_on_failure() as store, transaction.atomic(durable=True):
        path = store(random_storage_name(detected.kind), uploaded_file)
        Material.objects.create(file=path, ...)

The file store is not part of the database transaction: ``files_removed_on_failure`` deletes what the
block saved when the block (or its commit) fails, so a rolled-back upload leaves no file behind.
"""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
import uuid
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Any

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import Storage, default_storage
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from filetype.types.archive import Pdf, Zip
from filetype.types.image import Jpeg, Png

logger = logging.getLogger(__name__)

MB = 1024 * 1024
#: Largest single file accepted (the issue's limit); settings.UPLOAD_MAX_FILE_SIZE overrides it.
MAX_FILE_SIZE = 20 * MB
#: Largest total of all materials of one case; settings.UPLOAD_MAX_CASE_TOTAL overrides it.
MAX_CASE_TOTAL = 200 * MB
#: Longest display name kept, in characters (Chinese names are 3 bytes each in UTF-8; 100 stays far
#: below the 255-byte limit of common file systems and of the database column).
MAX_FILENAME_LENGTH = 100

#: kind -> (canonical extension, extensions accepted for it, label shown to people)
KINDS: dict[str, tuple[str, frozenset[str], Any]] = {
    "pdf": ("pdf", frozenset({"pdf"}), _("PDF 文档")),
    "jpeg": ("jpg", frozenset({"jpg", "jpeg"}), _("JPEG 图片")),
    "png": ("png", frozenset({"png"}), _("PNG 图片")),
    "ofd": ("ofd", frozenset({"ofd"}), _("OFD 版式文档")),
    "docx": ("docx", frozenset({"docx"}), _("Word 文档（DOCX）")),
    "xlsx": ("xlsx", frozenset({"xlsx"}), _("Excel 表格（XLSX）")),
}
ALL_KINDS: frozenset[str] = frozenset(KINDS)
_KIND_BY_EXTENSION = {ext: kind for kind, (_canon, exts, _label) in KINDS.items() for ext in exts}

_RESERVED_CHARS = re.compile(r'[<>:"/\\|?*]')
_WINDOWS_RESERVED = re.compile(r"^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$", re.IGNORECASE)


@dataclass(frozen=True)
class DetectedFile:
    """What the content of an accepted upload turned out to be."""

    kind: str  # one of KINDS
    extension: str  # canonical extension of the kind, without the dot ("pdf", "jpg", ...)
    size: int  # bytes
    sha256: str  # hex digest of the content, stored so a material can be proven unchanged
    safe_name: str  # the sender's file name, sanitised, for display and download only


def max_file_size() -> int:
    return int(getattr(settings, "UPLOAD_MAX_FILE_SIZE", MAX_FILE_SIZE))


def max_case_total() -> int:
    return int(getattr(settings, "UPLOAD_MAX_CASE_TOTAL", MAX_CASE_TOTAL))


def _mb(size: int) -> str:
    return f"{size / MB:.1f}"


def _kinds_text(kinds: set[str] | frozenset[str]) -> str:
    return "、".join(str(KINDS[k][2]) for k in KINDS if k in kinds)


def sanitize_filename(name: str) -> str:
    """A display name that is safe anywhere it is shown or used as a download name.

    Keeps readable Chinese, drops any directory part (``../../etc/passwd``, ``C:\\x\\y.pdf``), control and
    format characters (including the right-to-left override that disguises ``exe.pdf`` as ``fdp.exe``),
    characters reserved on Windows, leading dots (hidden files) and trailing dots/spaces, and shortens the
    stem so that the extension survives.
    """
    name = unicodedata.normalize("NFC", str(name or ""))
    name = re.split(r"[/\\]", name)[-1]
    name = re.sub(r"\s", " ", name)  # tabs and line breaks become spaces before control characters go
    name = "".join(ch for ch in name if not unicodedata.category(ch).startswith("C"))
    name = _RESERVED_CHARS.sub("_", name)
    name = re.sub(r"\s+", " ", name).strip().lstrip(".").rstrip(". ").strip()
    if _WINDOWS_RESERVED.match(name):
        name = "_" + name
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    ext = ext[:10]
    if not stem.strip():
        stem = "未命名"
    limit = MAX_FILENAME_LENGTH - (len(ext) + 1 if ext else 0)
    stem = stem[:limit].rstrip(". ")
    return f"{stem}.{ext}" if ext else stem


def random_storage_name(kind: str, *, prefix: str = "materials") -> str:
    """A path in the file store that reveals nothing and cannot be guessed: prefix/YYYY/MM/<uuid4>.<ext>.

    The year/month folders keep directories small and make backups by period easy.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown upload kind {kind!r}")
    today = timezone.localdate()
    return f"{prefix}/{today:%Y}/{today:%m}/{uuid.uuid4().hex}.{KINDS[kind][0]}"


@contextmanager
def files_removed_on_failure(storage: Storage | None = None) -> Iterator[Callable[[str, Any], str]]:
    """Give a ``store(name, content) -> saved name`` function; if the block raises, delete what it stored.

    Django has no hook for a rolled-back transaction, and the file store is outside the database, so a
    failure after the file was written (a database error, the audit entry, the commit itself) would leave a
    file that no record points to. Put this *outside* the transaction, so a failed commit is caught too, and
    make that transaction the outermost one (``atomic(durable=True)``): inside a caller's transaction a
    later rollback of the caller would still strand the file. The original exception is re-raised; a file
    that cannot be deleted is logged, never allowed to hide that exception.
    """
    storage = storage or default_storage
    stored: list[str] = []

    def store(name: str, content: Any) -> str:
        try:
            saved = storage.save(name, content)
        except OSError as exc:  # full disk, read-only or missing mount: a clear 503 (invest.errors), not a 500
            from .errors import FileStoreUnavailable

            raise FileStoreUnavailable(str(exc)) from exc
        stored.append(saved)
        return saved

    try:
        yield store
    except BaseException:
        for saved in stored:
            try:
                storage.delete(saved)
            except Exception:  # noqa: BLE001 - the failure that rolled the transaction back matters more
                logger.exception("could not delete %s after a failed upload; remove it by hand", saved)
        raise


def check_case_total(existing_bytes: int, new_bytes: int) -> None:
    """Refuse a file that would take a case's materials over the per-case total."""
    limit = max_case_total()
    if existing_bytes + new_bytes > limit:
        raise ValidationError(
            _(
                "本案件的材料总大小将达到 %(total)s MB，超过每个案件 %(limit)s MB 的上限。"
                "请删除不需要的材料，或将文件压缩后再上传。"
            ),
            code="case_total_exceeded",
            params={"total": _mb(existing_bytes + new_bytes), "limit": _mb(limit)},
        )


def _file_size(f: Any) -> int:
    size = getattr(f, "size", None)
    if size is None:
        f.seek(0, 2)
        size = f.tell()
    return int(size)


def _zip_kind(f: IO[bytes]) -> str | None:
    """Tell OFD, DOCX and XLSX apart by the entries in the ZIP container (names only, nothing extracted)."""
    f.seek(0)
    try:
        with zipfile.ZipFile(f) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, EOFError, ValueError, OSError):
        return "damaged"
    if "OFD.xml" in names or "ofd.xml" in {n.lower() for n in names}:
        return "ofd"
    if "word/document.xml" in names:
        return "docx_macro" if "word/vbaProject.bin" in names else "docx"
    if "xl/workbook.xml" in names:
        return "xlsx_macro" if "xl/vbaProject.bin" in names else "xlsx"
    return None


# The leading signatures, as the pinned `filetype` library knows them (only the four families we accept, so
# anything else is "unknown"). What filetype cannot tell — whether a PDF was cut off, and OFD, DOCX and XLSX,
# which are all ZIP containers — is decided here from the end marker and the container's entries.
_SIGNATURES = {
    Pdf: "pdf",
    Jpeg: "jpeg",
    Png: "png",
    Zip: "zip",
}
_MATCHERS = [matcher() for matcher in _SIGNATURES]


def detect_kind(f: IO[bytes], size: int) -> str | None:
    """The kind of the content, "damaged" for a recognised but broken file, or None when unknown."""
    f.seek(0)
    matched = filetype.match(f.read(8192), matchers=_MATCHERS)
    family = _SIGNATURES[type(matched)] if matched else None
    if family == "pdf":
        # A PDF ends with %%EOF (some writers add a little trailing junk); no marker means it was cut off.
        f.seek(max(0, size - 2048))
        return "pdf" if b"%%EOF" in f.read() else "damaged"
    if family == "zip":
        return _zip_kind(f)
    return family


def _sha256(f: Any) -> str:
    digest = hashlib.sha256()
    f.seek(0)
    if hasattr(f, "chunks"):
        for chunk in f.chunks():
            digest.update(chunk)
    else:
        for chunk in iter(lambda: f.read(1024 * 1024), b""):
            digest.update(chunk)
    f.seek(0)
    return digest.hexdigest()


def validate_upload(
    uploaded_file: Any,
    *,
    allowed_kinds: set[str] | frozenset[str] | None = None,
    max_size: int | None = None,
) -> DetectedFile:
    """Accept a file only when its content is one of the allowed kinds and matches its extension.

    Raises ValidationError with a message that tells the applicant what to do. When CLAMAV_SOCKET is
    configured the file is also scanned; if the scanner is unreachable the file is refused (fail closed),
    because accepting unscanned files on a bad day would quietly defeat the scan.
    Leaves the file positioned at its start so the caller can save it.
    """
    allowed = frozenset(allowed_kinds) if allowed_kinds is not None else ALL_KINDS
    unknown = allowed - ALL_KINDS
    if unknown:
        raise ValueError(f"unknown upload kinds {sorted(unknown)!r}")
    limit = max_file_size() if max_size is None else max_size
    safe_name = sanitize_filename(getattr(uploaded_file, "name", "") or "")
    size = _file_size(uploaded_file)

    if size == 0:
        raise ValidationError(
            _("文件「%(name)s」是空的（0 字节）。请检查文件是否完整，然后重新选择并上传。"),
            code="empty",
            params={"name": safe_name},
        )
    if size > limit:
        raise ValidationError(
            _("文件「%(name)s」大小为 %(size)s MB，超过单个文件 %(limit)s MB 的上限。请压缩或拆分后重新上传。"),
            code="too_large",
            params={"name": safe_name, "size": _mb(size), "limit": _mb(limit)},
        )

    _stem, dot, raw_ext = safe_name.rpartition(".")
    ext = raw_ext.lower() if dot else ""
    claimed = _KIND_BY_EXTENSION.get(ext)
    if claimed is None or claimed not in allowed:
        raise ValidationError(
            _("不接受「%(ext)s」类型的文件「%(name)s」。此处只接受：%(kinds)s。请转换格式后重新上传。"),
            code="type_not_allowed",
            params={"ext": f".{ext}" if ext else _("无扩展名"), "name": safe_name, "kinds": _kinds_text(allowed)},
        )

    kind = detect_kind(uploaded_file, size)
    if kind in ("docx_macro", "xlsx_macro"):
        raise ValidationError(
            _("文件「%(name)s」含有宏代码，出于安全原因不能接收。请另存为不含宏的文档后重新上传。"),
            code="macro",
            params={"name": safe_name},
        )
    if kind == "damaged":
        raise ValidationError(
            _("文件「%(name)s」已损坏或不完整（可能上传中断）。请用原程序打开确认无误后重新上传。"),
            code="damaged",
            params={"name": safe_name},
        )
    if kind is None:
        raise ValidationError(
            _(
                "无法识别文件「%(name)s」的内容，它不是有效的%(claimed)s。"
                "请确认选择了正确的文件，或用原程序重新导出为 %(kinds)s 后上传。"
            ),
            code="content_unknown",
            params={"name": safe_name, "claimed": KINDS[claimed][2], "kinds": _kinds_text(allowed)},
        )
    if kind != claimed:
        raise ValidationError(
            _(
                "文件「%(name)s」的扩展名是「.%(ext)s」，但内容实际是%(actual)s。"
                "请确认选择了正确的文件，或将其另存为正确格式后重新上传。"
            ),
            code="content_mismatch",
            params={"name": safe_name, "ext": ext, "actual": KINDS[kind][2]},
        )

    # Active content in a PDF, data hidden after an image's end, images too large to decode safely.
    from .upload_content import check_content

    check_content(uploaded_file, kind, safe_name)

    digest = _sha256(uploaded_file)
    scan_for_viruses(uploaded_file, name=safe_name)
    return DetectedFile(kind=kind, extension=KINDS[kind][0], size=size, sha256=digest, safe_name=safe_name)


def scan_for_viruses(uploaded_file: Any, *, name: str) -> None:
    """The one place an uploaded file meets the virus scanner (materials, licences, import files).

    Raises ValidationError when the scanner finds something or cannot be asked; leaves the file at its start.
    """
    if getattr(settings, "CLAMAV_SOCKET", ""):
        from . import clamav

        clamav.ensure_clean(uploaded_file, name=name)
        uploaded_file.seek(0)
