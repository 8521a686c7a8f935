"""link_settled_leads: link settled leads to company records written without post_save (bulk imports)."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand

from companies.investment.services import link_all_waiting_leads


class Command(BaseCommand):
    help = "按统一社会信用代码把已落地但尚未关联的招商线索关联到企业档案（用于绕过保存信号的批量导入之后）。"

    def handle(self, *args, **options):
        results = link_all_waiting_leads()
        summary = {"linked": sum(len(r.leads) for r in results), "companies": [r.company.pk for r in results]}
        self.stdout.write(json.dumps(summary, ensure_ascii=False))
