import json

from django.core.management.base import BaseCommand, CommandError

from policies.matching import default_round, match_policies
from policies.models import Round


class Command(BaseCommand):
    help = "免申即享：按企业登记信息匹配只需登记信息的扶持事项，为符合条件的企业推送申报邀请（同一企业、事项、批次只推送一次）。"

    def add_arguments(self, parser):
        parser.add_argument("--round", dest="round_", help="批次编号或名称（如 2026年度）；默认当前开放的批次")

    def handle(self, *args, round_=None, **options):
        if round_:
            query = Round.objects.filter(pk=int(round_)) if round_.isdigit() else Round.objects.filter(name=round_)
            target = query.first()
            if target is None:
                raise CommandError(f"没有找到批次“{round_}”，请用批次编号或名称（如 2026年度）。")
        else:
            target = default_round()
            if target is None:
                raise CommandError("还没有申报批次，请先运行 python manage.py seed_policies 或在后台新建批次。")
        self.stdout.write(json.dumps(match_policies(target), ensure_ascii=False))
