import json

from django.core.management.base import BaseCommand

from applications.obligations.catalogue import seed_rules as seed_obligation_rules
from policies.services import seed_catalogue


class Command(BaseCommand):
    help = "载入《江津区影视产业发展扶持办法（试行）》、JJ-FILM-01…09 与当年的年度批次（可重复执行，新的一年再执行时补上当年批次）。"

    def handle(self, *args, **options):
        created = seed_catalogue()
        # The items' commitments (履约规则, applications.obligations), beside the catalogue they belong to.
        rules = seed_obligation_rules()
        self.stdout.write(json.dumps({"created": created, "obligation_rules": rules}, ensure_ascii=False))
