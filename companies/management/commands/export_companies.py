"""python manage.py export_companies OUT.xlsx|OUT.csv

Writes the whole registry with the importer's Chinese headings (CSV in UTF-8 with BOM); values that a
spreadsheet would run as a formula are neutralised. The file re-imports unchanged.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from companies.models import Company
from companies.resources import export_companies


class Command(BaseCommand):
    help = "导出企业名录为XLSX或CSV（中文表头，可原样重新导入）。"

    def add_arguments(self, parser):
        parser.add_argument("out", help="输出文件，扩展名 .xlsx 或 .csv")

    def handle(self, *args, **options):
        path = Path(options["out"])
        suffix = path.suffix.lower().lstrip(".")
        if suffix not in ("xlsx", "csv"):
            raise CommandError("输出文件的扩展名应为 .xlsx 或 .csv。")
        path.write_bytes(export_companies(file_format=suffix))
        self.stdout.write(f"已导出{Company.objects.count()}家企业到 {path}")
