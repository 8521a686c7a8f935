"""import_leads FILE [--dry-run] [--skip-invalid] [--user NAME] [--report OUT.csv]: leads from XLSX/CSV; a JSON
summary is printed last; --report writes the rows that could not be imported, with their reasons."""

from __future__ import annotations

import json
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from companies.investment.importing import ImportFileError, import_leads


class Command(BaseCommand):
    help = "导入招商线索（XLSX 或 CSV；UTF-8、带 BOM 的 UTF-8、GBK/GB18030 均可）。默认全部正确才写入。"

    def add_arguments(self, parser):
        parser.add_argument("file", help="XLSX 或 CSV 文件路径")
        parser.add_argument("--dry-run", action="store_true", help="只检查，不写入")
        parser.add_argument("--skip-invalid", action="store_true", help="跳过有误的行，导入其余行")
        parser.add_argument("--user", help="以该用户名记录导入人；为招商管理员时也作为未填跟进人的默认跟进人")
        parser.add_argument("--report", metavar="OUT.csv", help="把有误的行及原因写入此CSV文件（改正后可再次导入）")

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"找不到文件：{path}")
        actor = None
        if options.get("user"):
            actor = get_user_model().objects.filter(username=options["user"]).first()
            if actor is None:
                raise CommandError(f"找不到用户：{options['user']}")
        try:
            report = import_leads(
                path.read_bytes(),
                path.name,
                actor=actor,
                dry_run=options["dry_run"],
                skip_invalid=options["skip_invalid"],
            )
        except ImportFileError as exc:
            summary = {
                "file": path.name,
                "written": False,
                "created": 0,
                "errors": [{"row": 0, "column": "", "reason": str(exc)}],
            }
            self.stdout.write(json.dumps(summary, ensure_ascii=False))
            raise CommandError(str(exc))
        for error in report.errors:
            self.stderr.write(f"第{error.row}行 {error.column}：{error.reason}")
        if options.get("report"):
            Path(options["report"]).write_bytes(report.problems_csv())
        self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False))
        if not report.rows:
            raise CommandError(report.errors[0].reason)
        if report.errors and not report.written and not report.dry_run:
            raise CommandError(
                f"{report.invalid_rows or 1} 行有误，未写入任何线索。修正后重新导入，或使用 --skip-invalid 跳过有误的行。"
            )
