"""The office's import page: a manager uploads a company file, it is checked in the background, the preview
shows each error beside the value typed, and the manager imports every row, or only the valid ones.

The check is a dry run of the same `import_rows` the command and the admin use, so a row is judged the same
way on every path. The rows that cannot be imported are written to a file in the upload's own format, with the
original headings and one more column "错误原因": fixed and uploaded again, that column is ignored (an unknown
heading is), so the manager works in the file they know.

Both steps run as tasks on the database queue, so a large XLSX (openpyxl reads ~1,500 rows/s) never holds a
web worker; the page polls the job's progress.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import tempfile
import uuid
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from companies.models import ImportJob
from invest.audit import audit
from invest.roles import has_role
from invest.uploads import sanitize_filename, scan_for_viruses, validate_upload

from .columns import BY_FIELD, HeaderError, map_headers
from .importer import ImportReport, import_rows
from .reader import FileError, open_table
from .reports import RejectedRowsFile

logger = logging.getLogger(__name__)

#: Problems and sample rows kept on the job for the preview page; the rejected-rows file has all of them.
PREVIEW_PROBLEMS = 200
PREVIEW_SAMPLES = 20
EXTENSIONS = ("csv", "xlsx")
REASON_HEADING = "错误原因"


def max_import_size() -> int:
    return int(getattr(settings, "IMPORT_MAX_FILE_SIZE", 50 * 1024 * 1024))


def can_import(user) -> tuple[bool, str]:
    """Managers (and the superuser) import company records; everyone else is told why not."""
    if not getattr(user, "is_authenticated", False):
        return False, _("请先登录。")
    if user.is_superuser or has_role(user, "manager"):
        return True, ""
    return False, _("只有管理员可以批量导入企业名录。如需导入，请联系本单位管理员。")


def start(actor, uploaded) -> ImportJob:
    """Check the upload, keep it in the file store and queue its check. Raises ValidationError for a bad file."""
    name = sanitize_filename(getattr(uploaded, "name", "") or "")
    ext = name.rpartition(".")[2].lower() if "." in name else ""
    if ext == "xls":
        raise ValidationError(_("这是旧版Excel（.xls）文件，请在Excel中另存为XLSX后再上传。"), code="xls")
    if ext not in EXTENSIONS:
        raise ValidationError(
            _("只接受 CSV 或 XLSX 格式的企业名单（文件「%(name)s」不是）。请在Excel中另存为这两种格式之一后重新上传。")
            % {"name": name},
            code="type_not_allowed",
        )
    limit = max_import_size()
    if ext == "xlsx":
        validate_upload(uploaded, allowed_kinds={"xlsx"}, max_size=limit)
    else:
        if not uploaded.size:
            raise ValidationError(
                _("文件「%(name)s」是空的，请选择要导入的企业名单文件。") % {"name": name}, code="empty"
            )
        if uploaded.size > limit:
            raise ValidationError(
                _("文件「%(name)s」超过 %(limit)d MB 的上限。请拆分成几个文件后分别导入。")
                % {"name": name, "limit": limit // (1024 * 1024)},
                code="too_large",
            )
        scan_for_viruses(uploaded, name=name)
    uploaded.seek(0)
    digest = hashlib.sha256()
    for piece in uploaded.chunks():  # the upload is stored and hashed a piece at a time, never held whole
        digest.update(piece)
    uploaded.seek(0)
    path = default_storage.save(f"imports/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.{ext}", File(uploaded))
    with transaction.atomic():
        job = ImportJob.objects.create(
            created_by=actor, file_name=name, file_sha256=digest.hexdigest(), stored_file=path
        )
        audit(actor, "company_import_uploaded", job, after={"file_name": name, "sha256": job.file_sha256})
        transaction.on_commit(lambda: _enqueue("check", job.pk))
    return job


def confirm(actor, job: ImportJob, *, only_valid: bool) -> ImportJob:
    """The manager's go: import the checked file (all rows, or the valid ones when `only_valid`)."""
    with transaction.atomic():
        locked = ImportJob.objects.select_for_update().get(pk=job.pk)
        if locked.status != ImportJob.Status.CHECKED:
            raise ValidationError(_("这个文件已经在导入、已导入或已放弃，请刷新页面查看。"), code="not_checked")
        if locked.invalid and not only_valid:
            raise ValidationError(
                _("文件中有 %(n)d 行错误，不能全部导入。请选择“只导入正确的行”，或改正错误行后重新上传。")
                % {"n": locked.invalid},
                code="has_errors",
            )
        if not locked.valid_rows:
            raise ValidationError(_("文件中没有可以导入的行。请下载错误行，改正后重新上传。"), code="nothing")
        locked.status = ImportJob.Status.IMPORTING
        locked.skip_invalid = bool(locked.invalid)
        locked.save(update_fields=["status", "skip_invalid"])
        audit(
            actor,
            "company_import_confirmed",
            locked,
            before={"status": ImportJob.Status.CHECKED},
            after={"status": locked.status, "only_valid": locked.skip_invalid, "rows": locked.valid_rows},
        )
        transaction.on_commit(lambda: _enqueue("apply", locked.pk))
    return locked


def discard(actor, job: ImportJob) -> ImportJob:
    with transaction.atomic():
        locked = ImportJob.objects.select_for_update().get(pk=job.pk)
        if locked.status != ImportJob.Status.CHECKED:
            raise ValidationError(_("只有检查完、尚未导入的文件可以放弃。"), code="not_checked")
        locked.status = ImportJob.Status.DISCARDED
        locked.finished_at = timezone.now()
        locked.save(update_fields=["status", "finished_at"])
        audit(actor, "company_import_discarded", locked, before={"status": ImportJob.Status.CHECKED})
        path = locked.stored_file
        transaction.on_commit(lambda: default_storage.delete(path))
    return locked


def _enqueue(step: str, job_id: int) -> None:
    from companies.tasks import apply_import_task, check_import_task

    (check_import_task if step == "check" else apply_import_task).enqueue(job_id)


# --------------------------------------------------------------------------------------------------------
# The two background steps
# --------------------------------------------------------------------------------------------------------


def check(job_id: int) -> None:
    """Dry-run the stored file: counts, the first problems with the value typed, samples, the rejected rows."""
    job = ImportJob.objects.get(pk=job_id)
    if job.status != ImportJob.Status.CHECKING:
        return  # already checked (a task run twice)
    try:
        _check(job)
    except Exception:
        logger.exception("company import %s: check failed", job.pk)
        _fail(job, _("检查文件时出错。请重新上传；如再次出错，请把文件发给技术支持。"))


def _check(job: ImportJob) -> None:
    rejected = None
    with default_storage.open(job.stored_file, "rb") as handle:
        try:
            table = open_table(_seekable(handle))
            mapped = map_headers(table.headers)
        except (FileError, HeaderError) as exc:
            _refuse(job, str(exc))
            return
        job.total_rows = table.estimated_rows
        job.save(update_fields=["total_rows"])

        def progress(done: int, total: int) -> None:
            ImportJob.objects.filter(pk=job.pk).update(checked_rows=done, total_rows=total)

        rejected = RejectedRowsFile(table.headers)
        try:
            report = import_rows(
                table.headers,
                table.rows,
                actor=job.created_by,
                file_name=job.file_name,
                file_sha256=job.file_sha256,
                source="page",
                dry_run=True,
                keep_rows=PREVIEW_SAMPLES,
                progress=progress,
                estimated_rows=table.estimated_rows,
                on_problem=rejected.add,
            )
            if report.file_error:
                _refuse(job, report.file_error)
                return
            if report.invalid:
                job.rejected_file = _write_rejected(job, rejected)
        finally:
            rejected.close()
    position = {column.header: index for index, column in enumerate(mapped) if column is not None}
    job.total_rows = job.checked_rows = report.rows_read
    job.new, job.updated, job.unchanged, job.invalid = report.new, report.updated, report.unchanged, report.invalid
    job.problem_count = report.problem_count
    job.problems = [
        {
            "row": problem.row,
            "column": problem.column,
            "value": _typed(problem.cells, position.get(problem.column)),
            "message": problem.message,
        }
        for problem in report.problems[:PREVIEW_PROBLEMS]
    ]
    job.samples = _samples(report)
    job.status = ImportJob.Status.CHECKED
    job.save()


def apply(job_id: int) -> None:
    job = ImportJob.objects.get(pk=job_id)
    if job.status != ImportJob.Status.IMPORTING:
        return
    try:
        with default_storage.open(job.stored_file, "rb") as handle:
            table = open_table(_seekable(handle))
            report = import_rows(
                table.headers,
                table.rows,
                actor=job.created_by,
                file_name=job.file_name,
                file_sha256=job.file_sha256,
                source="page",
                skip_invalid=job.skip_invalid,
            )
    except Exception:
        logger.exception("company import %s: import failed", job.pk)
        _fail(job, _("导入时出错，没有写入任何数据。请稍后重试；如再次出错，请联系技术支持。"))
        return
    job.new, job.updated, job.unchanged, job.invalid = report.new, report.updated, report.unchanged, report.invalid
    job.result = report.record
    job.finished_at = timezone.now()
    if report.applied:
        job.status = ImportJob.Status.DONE
        default_storage.delete(job.stored_file)
    else:
        job.status = ImportJob.Status.REFUSED
        job.message = report.file_error or _("文件中有错误行，未导入。")
    job.save()


def _seekable(handle):
    """The stored upload as a binary file the reader can read twice (a local file is; another store's file
    object, if not seekable, is copied to a temporary file a piece at a time)."""
    raw = getattr(handle, "file", handle)
    if getattr(raw, "seekable", lambda: False)():
        return raw
    spool = tempfile.TemporaryFile()
    shutil.copyfileobj(raw, spool, 1 << 20)
    spool.seek(0)
    return spool


def _refuse(job: ImportJob, message: str) -> None:
    job.status = ImportJob.Status.REFUSED
    job.message = message
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "message", "finished_at"])


def _fail(job: ImportJob, message: str) -> None:
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.FAILED, message=message, finished_at=timezone.now()
    )


def _typed(cells: Sequence[Any], index: int | None) -> str:
    """The cell as the person typed it (empty for a missing cell)."""
    if index is None or index >= len(cells) or cells[index] is None:
        return ""
    return str(cells[index])


def _samples(report: ImportReport) -> list[dict[str, Any]]:
    samples = []
    for row in report.rows:
        if row.kind not in ("new", "update"):
            continue
        changes = [
            [BY_FIELD[name].header, _text(row.before.get(name)), _text(row.values.get(name))] for name in row.before
        ]
        name = row.values.get("name") or ""
        samples.append({"row": row.number, "kind": row.kind, "code": row.code, "name": name, "changes": changes})
        if len(samples) >= PREVIEW_SAMPLES:
            break
    return samples


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _write_rejected(job: ImportJob, rejected: RejectedRowsFile) -> str:
    """The rows that cannot be imported, as they were typed, with their reasons in a last column, in the
    upload's format; written to a temporary file and stored from there."""
    is_xlsx = job.stored_file.endswith(".xlsx")
    ext = "xlsx" if is_xlsx else "csv"
    with tempfile.TemporaryFile() as out:
        rejected.write(out, REASON_HEADING, xlsx=is_xlsx)
        out.seek(0)
        return default_storage.save(f"imports/{timezone.now():%Y/%m}/{uuid.uuid4().hex}-rejected.{ext}", File(out))
