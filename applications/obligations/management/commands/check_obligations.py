import json

from django.core.management.base import BaseCommand, CommandError

from applications.obligations.services import run_daily


class Command(BaseCommand):
    help = (
        "每日履约检查：按企业名录核对“留驻江津”承诺（迁出即违约），将逾期未提交的履约材料标为逾期，"
        "并为违约和逾期提出追回建议（由审定人审定，不自动追回）。可重复执行。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="按这一天检查（YYYY-MM-DD），默认今天")

    def handle(self, *args, **options):
        from datetime import date

        day = None
        if options.get("date"):
            try:
                day = date.fromisoformat(options["date"])
            except ValueError as exc:
                raise CommandError("日期格式应为 YYYY-MM-DD") from exc
        result = run_daily(day)
        self.stdout.write(json.dumps(result.__dict__, ensure_ascii=False))
