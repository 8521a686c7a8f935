"""python manage.py import_companies FILE [--dry-run] [--skip-invalid] [--report OUT.csv]

Imports company records from XLSX or CSV (UTF-8 with or without BOM, GBK/GB18030: detected). Problems go
to standard error as "第N行［列］原因" lines; the last line printed on standard output is always the JSON
counts object. The exit status is 1 when the file was refused (nothing imported), 0 otherwise.
"""

from __future__ import annotations

import getpass
import json
import sys
import time
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from companies.io.importer import ImportReport, import_rows
from companies.io.reader import FileError, open_table
from companies.io.reports import ProblemsFile


class Command(BaseCommand):
    help = "导入企业名录（XLSX或CSV，按统一社会信用代码新增或更新）。"

    def add_arguments(self, parser):
        parser.add_argument("file", help="XLSX或CSV文件")
        parser.add_argument("--dry-run", action="store_true", help="只检查并报告，不写入数据库")
        parser.add_argument(
            "--skip-invalid", action="store_true", help="导入有效行，跳过错误行（默认有错误则全部不导入）"
        )
        parser.add_argument("--report", metavar="OUT.csv", help="把错误行及原因写入此CSV文件")
        parser.add_argument("--user", help="记录为执行导入的用户名（默认不记名）")

    def handle(self, *args, **options):
        started = time.perf_counter()
        path = Path(options["file"])
        actor = None
        if options["user"]:
            actor = get_user_model().objects.filter(username=options["user"]).first()
            if actor is None:
                raise CommandError(f"找不到用户“{options['user']}”。")
        try:
            handle = path.open("rb")
        except OSError as exc:
            raise CommandError(f"无法读取文件 {path}：{exc.strerror}")
        problems = ProblemsFile() if options["report"] else None

        def on_problem(problem) -> None:
            # Each problem is said as it is found and goes to the report file; none is kept for the end.
            self.stderr.write(str(problem))
            if problems is not None:
                problems.add(problem)

        try:
            with handle:
                try:
                    table = open_table(handle)
                except FileError as exc:
                    report = ImportReport(file_error=str(exc))
                    report.seconds = time.perf_counter() - started
                    self._finish(report, options)
                    return
                report = import_rows(
                    table.headers,
                    table.rows,
                    actor=actor,
                    file_name=path.name,
                    file_sha256=table.sha256,
                    dry_run=options["dry_run"],
                    skip_invalid=options["skip_invalid"],
                    started=started,
                    operator=_os_user(),
                    on_problem=on_problem,
                )
            if problems is not None:
                problems.write(Path(options["report"]), table.headers, report.file_error)
        finally:
            if problems is not None:
                problems.close()
        self._finish(report, options, said=True)

    def _finish(self, report: ImportReport, options, said: bool = False) -> None:
        if report.file_error:
            self.stderr.write(report.file_error)
        if not said:
            for problem in report.problems:
                self.stderr.write(str(problem))
        if report.invalid and not options["skip_invalid"]:
            self.stderr.write(
                f"有{report.invalid}行错误，整个文件未导入。改正后重新导入，或加 --skip-invalid 只导入正确的行。"
            )
        elif options["dry_run"]:
            self.stderr.write("试运行：未写入数据库。")
        self.stderr.flush()
        self.stdout.write(json.dumps(report.counts(), ensure_ascii=False))
        self.stdout.flush()
        refused = bool(report.file_error) or (report.invalid and not options["skip_invalid"])
        if refused:
            sys.exit(1)


def _os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name in a container without a passwd entry
        return ""
