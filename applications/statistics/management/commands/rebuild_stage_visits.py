"""Rebuild every case's stage stays from the audit log, with the working-day calendar as it is now.

A stay's working days are fixed when it ends; after a manager corrects a year's holiday schedule, this brings
the stays of that year (and all others) in line with it. The audit log is read, never changed.
"""

from __future__ import annotations

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from applications.statistics.visits import rebuild


class Command(BaseCommand):
    help = "Rebuild the stage stays behind 统计分析's working days per stage from the audit log."

    def handle(self, *args, **options) -> None:
        with transaction.atomic():
            written = rebuild(apps)
        if options["verbosity"]:
            self.stdout.write(f"{written} stage visits written")
