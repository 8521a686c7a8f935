"""The company registry's columns, declared once as a django-import-export Resource, and the admin's glue.

`CompanyResource` declares every column of the company spreadsheet: the model field, the Chinese heading,
the other headings accepted, and the widget that reads and writes its cells (companies.io.widgets). The
admin's import and export, the `import_companies` command, the office's import page and the bulk importer
(companies.io.importer, through companies.io.columns) all take the columns from this declaration.

The Resource does not import row by row the library's way. Its `import_data` hands the dataset to
`companies.io.importer.import_rows`, the service the `import_companies` command also calls, and turns
the service's report into the library's `Result`, so the admin preview shows exactly what the command
would do, with the same row numbers and messages. Exports write the same Chinese headings the importer
reads, with formula-like values neutralised, so an export re-imports unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import tablib
from django.core.exceptions import ValidationError
from django.utils.html import format_html
from import_export import resources
from import_export.formats.base_formats import Format
from import_export.results import Error, Result, RowResult
from import_export.tmp_storages import TempFolderStorage

from .io.files import write_csv, write_xlsx
from .io.reader import FileError, RowStream, open_table, read_table
from .io.widgets import (
    BooleanWidget,
    ChoiceWidget,
    Column,
    CreditCodeWidget,
    DateWidget,
    EmailWidget,
    MoneyWidget,
    TextWidget,
)
from .models import BusinessStatus, Company, Industry

if TYPE_CHECKING:
    from .io.importer import ImportReport

#: Rows of each kind (new, changed, unchanged, invalid) the admin's preview lists; the counts are the file's.
ADMIN_PREVIEW_ROWS = 1000


def _text_column(name: str, header: str, *, required: bool = False, aliases: tuple[str, ...] = ()) -> Column:
    widget = TextWidget(Company._meta.get_field(name).max_length, required=required)
    return Column(name, header, widget, aliases=aliases)


class CompanyResource(resources.ModelResource):
    """The columns of the company file, in the order of exports (the credit code, the key, first)."""

    credit_code = Column("credit_code", "统一社会信用代码", CreditCodeWidget(), aliases=("信用代码", "社会信用代码"))
    name = _text_column("name", "企业名称", required=True, aliases=("单位名称", "公司名称"))
    legal_representative = _text_column("legal_representative", "法定代表人")
    registered_capital = Column("registered_capital", "注册资本", MoneyWidget(), aliases=("注册资本（元）",))
    paid_in_capital = Column("paid_in_capital", "实缴资本", MoneyWidget(), aliases=("实缴资本（元）",))
    established_on = Column("established_on", "成立日期", DateWidget())
    registration_district = _text_column("registration_district", "注册区县")
    tax_district = _text_column("tax_district", "税务登记区县")
    registered_address = _text_column("registered_address", "注册地址")
    industry = Column("industry", "行业类别", ChoiceWidget(Industry, Industry.PRODUCTION))
    business_status = Column("business_status", "经营状态", ChoiceWidget(BusinessStatus, BusinessStatus.ACTIVE))
    in_hq_park = Column(
        "in_hq_park", "入驻重庆影视城总部园区", BooleanWidget(), aliases=("入驻总部园区", "是否入驻园区")
    )
    in_hq_park_since = Column("in_hq_park_since", "入驻日期", DateWidget())
    contact_person = _text_column("contact_person", "联系人")
    contact_phone = _text_column("contact_phone", "联系电话")
    contact_email = Column("contact_email", "电子邮箱", EmailWidget())
    bank_account_name = _text_column("bank_account_name", "开户名称")
    bank_name = _text_column("bank_name", "开户银行")
    bank_account_number = _text_column("bank_account_number", "银行账号")
    banned_until = Column("banned_until", "失信禁入截止日", DateWidget())

    class Meta:
        model = Company
        import_id_fields = ("credit_code",)
        skip_unchanged = True
        report_skipped = True

    # The columns above, in their order, for import and export (the library would put model fields first).
    Meta.fields = Meta.import_order = Meta.export_order = tuple(
        name for name, value in list(locals().items()) if isinstance(value, Column)
    )

    @classmethod
    def columns(cls) -> tuple[Column, ...]:
        """The declared columns in their order (the class's own fields: no copy per call)."""
        return tuple(cls.fields[name] for name in cls._meta.fields)

    # --- import ------------------------------------------------------------------------------------

    def import_data(self, dataset, dry_run=False, raise_errors=False, use_transactions=None, **kwargs):
        """Validate and apply through the shared service; all or nothing, as on the command line."""
        from .io.importer import import_rows  # the importer reads this module's declaration

        headers = list(dataset.headers or [])
        if getattr(dataset, "source_rows", None) is not None:
            rows = dataset.source_rows
        else:
            rows = [list(row) for row in dataset]
        report = import_rows(
            headers,
            rows,
            actor=kwargs.get("user"),
            file_name=kwargs.get("file_name") or "",
            file_sha256=getattr(dataset, "sha256", ""),
            source="admin",
            dry_run=dry_run,
            keep_rows=ADMIN_PREVIEW_ROWS if dry_run else False,  # the confirmed import reports its counts only
        )
        return self.report_to_result(report)

    @staticmethod
    def report_to_result(report: ImportReport) -> Result:
        result = Result()
        result.report = report
        if report.file_error:
            result.append_base_error(Error(ValueError(report.file_error)))
            return result
        shown = [CompanyResource.fields[name] for name in report.fields]
        result.diff_headers = [column.header for column in shown]
        for row in report.rows:
            if row.kind == "invalid":
                messages: dict[str, list[str]] = {}
                for header, message in row.errors:
                    messages.setdefault(header, []).append(message)
                values = {column.header: column.write(row.values.get(column.field)) for column in shown}
                result.append_invalid_row(row.number, values, ValidationError(messages))
                continue
            row_result = RowResult()
            row_result.import_type = row.kind
            row_result.object_repr = f"{row.values.get('name', '')}（{row.code}）"
            diff = []
            for column in shown:
                now = column.write(row.values.get(column.field))
                if column.field in row.before:
                    was = column.write(row.before[column.field])
                    diff.append(format_html("<del>{}</del> <ins>{}</ins>", was, now))
                else:
                    diff.append(now)
            row_result.diff = diff
            result.append_row_result(row_result)
        # The counts of the whole file; the rows shown are at most ADMIN_PREVIEW_ROWS of each kind.
        result.total_rows = report.new + report.updated + report.unchanged + report.invalid
        result.totals[RowResult.IMPORT_TYPE_NEW] = report.new
        result.totals[RowResult.IMPORT_TYPE_UPDATE] = report.updated
        result.totals[RowResult.IMPORT_TYPE_SKIP] = report.unchanged
        result.totals[RowResult.IMPORT_TYPE_INVALID] = report.invalid
        return result

    # --- export ------------------------------------------------------------------------------------

    def export(self, queryset=None, **kwargs):
        chosen = kwargs.get("export_fields") or FIELDS
        names = [name for name in FIELDS if name in chosen or self.fields[name].header in chosen]
        if queryset is None:
            queryset = self.get_queryset()
        dataset = tablib.Dataset(headers=[self.fields[name].header for name in names])
        for company in queryset.order_by("credit_code").iterator(chunk_size=2000):
            dataset.append(export_row(company, names))
        return dataset


FIELDS = CompanyResource._meta.fields
HEADERS = tuple(column.header for column in CompanyResource.columns())


def export_row(company: Company, fields: Sequence[str] = FIELDS) -> list[str]:
    return [CompanyResource.fields[name].write(getattr(company, name)) for name in fields]


def export_companies(queryset=None, *, file_format: str = "xlsx") -> bytes:
    """The whole registry (or a queryset of it) as XLSX or CSV bytes, Chinese headings, formulas neutralised."""
    queryset = Company.objects.all() if queryset is None else queryset
    rows = (export_row(company) for company in queryset.order_by("credit_code").iterator(chunk_size=2000))
    if file_format == "csv":
        return write_csv(HEADERS, rows)
    return write_xlsx(HEADERS, rows)


class _CompanyFileFormat(Format):
    """Reads either kind of file by content (the admin's format choice cannot get the encoding wrong)."""

    extension = ""
    content_type = ""

    def __init__(self, encoding=None):
        self.encoding = encoding  # accepted because the admin passes it; the content decides

    def get_title(self):
        return self.extension

    def get_extension(self):
        return self.extension

    def get_content_type(self):
        return self.content_type

    def is_binary(self):
        return True

    def get_read_mode(self):
        return "rb"

    def can_import(self):
        return True

    def can_export(self):
        return True

    def create_dataset(self, in_stream, **kwargs):
        """The admin's dataset: headings, and the file's rows for the service, read from disk a block at a
        time when the upload is on disk (`UploadOnDisk`)."""
        try:
            if isinstance(in_stream, StoredUpload):
                table = open_table(in_stream.path)
            else:
                if isinstance(in_stream, str):
                    in_stream = in_stream.encode("utf-8")
                table = read_table(in_stream)
        except FileError as exc:
            raise ValueError(str(exc)) from exc
        dataset = tablib.Dataset(headers=[("" if h is None else str(h)) for h in table.headers])
        # The service reads the rows as they were (blank rows included, so row numbers stay right);
        # tablib's own copy is only there for the admin's "is the file empty" check.
        dataset.source_rows = table.rows
        dataset.sha256 = table.sha256
        width = len(dataset.headers)
        if isinstance(table.rows, RowStream):
            if table.estimated_rows:
                dataset.append([None] * width)
        else:
            for row in table.rows[:1]:
                dataset.append((list(row) + [None] * width)[:width])
        return dataset


class StoredUpload:
    """An upload in django-import-export's temporary folder, given to the formats by path."""

    def __init__(self, path: str):
        self.path = path


class UploadOnDisk(TempFolderStorage):
    """The admin's temporary copy of an upload, handed on by path (the library's own reads it whole)."""

    def save(self, data) -> None:
        with self._open(mode="wb") as file:
            if isinstance(data, bytes | str):
                file.write(data.encode("utf-8") if isinstance(data, str) else data)
            else:  # an uploaded file: copied a piece at a time
                for piece in data.chunks():
                    file.write(piece)

    def read(self) -> StoredUpload:
        return StoredUpload(self.get_full_path())


class CompanyCSV(_CompanyFileFormat):
    extension = "csv"
    content_type = "text/csv"

    def export_data(self, dataset, **kwargs):
        return write_csv(dataset.headers, dataset)


class CompanyXLSX(_CompanyFileFormat):
    extension = "xlsx"
    content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

    def export_data(self, dataset, **kwargs):
        return write_xlsx(dataset.headers, dataset)
