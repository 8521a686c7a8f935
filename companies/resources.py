"""django-import-export glue: the admin's import (with its preview) and export of the company registry.

The Resource does not import row by row the library's way. Its `import_data` hands the dataset to
`companies.io.importer.import_rows`, the service the `import_companies` command also calls, and turns
the service's report into the library's `Result`, so the admin preview shows exactly what the command
would do, with the same row numbers and messages. Exports write the same Chinese headings the importer
reads, with formula-like values neutralised, so an export re-imports unchanged.
"""

from __future__ import annotations

import tablib
from django.core.exceptions import ValidationError
from django.utils.html import format_html
from import_export import fields, resources
from import_export.formats.base_formats import Format
from import_export.results import Error, Result, RowResult

from .io.columns import BY_FIELD, COLUMNS, FIELDS, HEADERS, export_row
from .io.files import FileError, read_table, write_csv, write_xlsx
from .io.importer import ImportReport, import_rows
from .models import Company


class CompanyResource(resources.ModelResource):
    # Declared so the admin lists the Chinese headings a file may use.
    for _column in COLUMNS:
        locals()[_column.field] = fields.Field(attribute=_column.field, column_name=_column.header)
    del _column

    class Meta:
        model = Company
        fields = FIELDS
        import_id_fields = ("credit_code",)
        skip_unchanged = True
        report_skipped = True

    # --- import ------------------------------------------------------------------------------------

    def import_data(self, dataset, dry_run=False, raise_errors=False, use_transactions=None, **kwargs):
        """Validate and apply through the shared service; all or nothing, as on the command line."""
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
            keep_rows=True,
        )
        return self.report_to_result(report)

    @staticmethod
    def report_to_result(report: ImportReport) -> Result:
        result = Result()
        result.report = report
        if report.file_error:
            result.append_base_error(Error(ValueError(report.file_error)))
            return result
        shown = [BY_FIELD[name] for name in report.fields]
        result.diff_headers = [column.header for column in shown]
        result.total_rows = len(report.rows)
        for row in report.rows:
            if row.kind == "invalid":
                messages: dict[str, list[str]] = {}
                for header, message in row.errors:
                    messages.setdefault(header, []).append(message)
                values = {column.header: column.write(row.values.get(column.field)) for column in shown}
                result.append_invalid_row(row.number, values, ValidationError(messages))
                result.totals[RowResult.IMPORT_TYPE_INVALID] += 1
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
            result.increment_row_result_total(row_result)
        return result

    # --- export ------------------------------------------------------------------------------------

    def export(self, queryset=None, **kwargs):
        chosen = kwargs.get("export_fields") or FIELDS
        names = [name for name in FIELDS if name in chosen or BY_FIELD[name].header in chosen]
        if queryset is None:
            queryset = self.get_queryset()
        dataset = tablib.Dataset(headers=[BY_FIELD[name].header for name in names])
        for company in queryset.order_by("credit_code").iterator(chunk_size=2000):
            dataset.append(export_row(company, names))
        return dataset


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
        if isinstance(in_stream, str):
            in_stream = in_stream.encode("utf-8")
        try:
            table = read_table(in_stream)
        except FileError as exc:
            raise ValueError(str(exc)) from exc
        dataset = tablib.Dataset(headers=[("" if h is None else str(h)) for h in table.headers])
        # The service reads the rows as they were (blank rows included, so row numbers stay right);
        # tablib's own copy is only there for the admin's "is the file empty" check.
        dataset.source_rows = table.rows
        dataset.sha256 = table.sha256
        width = len(dataset.headers)
        for row in table.rows[:1]:
            dataset.append((list(row) + [None] * width)[:width])
        return dataset


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
