import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from companies.models import Company
from companies.uscc import normalize
from policies.models import SupportItem
from policies.services import evaluate_item


class Command(BaseCommand):
    help = "按当前规则测算一个扶持事项，输出 JSON。命令行给出的事实优先于企业登记信息。"

    def add_arguments(self, parser):
        parser.add_argument("code", help="事项编码，如 JJ-FILM-01")
        parser.add_argument("--facts", default="{}", help="JSON 对象，如 '{\"shooting_days_in_jiangjin\": 20}'")
        parser.add_argument("--company", help="企业统一社会信用代码")

    def handle(self, *args, code, facts, company=None, **options):
        item = SupportItem.objects.filter(code=code.strip().upper()).first()
        if item is None:
            raise CommandError(f"没有编码为 {code} 的扶持事项，请检查编码（如 JJ-FILM-01）。")
        try:
            given = json.loads(facts)
        except json.JSONDecodeError as exc:
            raise CommandError(f"--facts 不是有效的 JSON：{exc.msg}（第 {exc.pos + 1} 个字符）。") from exc
        if not isinstance(given, dict):
            raise CommandError("--facts 必须是 JSON 对象，例如 '{\"local_spend\": 600000}'。")
        firm = None
        if company:
            firm = Company.objects.filter(credit_code=normalize(company)).first()
            if firm is None:
                raise CommandError(f"没有统一社会信用代码为 {company} 的企业，请先导入或登记企业。")
        try:
            evaluation = evaluate_item(item, company=firm, facts=given)
        except ValidationError as exc:
            raise CommandError("；".join(exc.messages)) from exc
        self.stdout.write(json.dumps(evaluation.to_dict(), ensure_ascii=False))
