"""The daily timer: lapse overdue corrections, conclude finished public notices, flag overdue acceptances.

Safe to run more than once a day: a second run finds nothing left to do.
"""

from django.core.management.base import BaseCommand

from applications.services import tick_deadlines


class Command(BaseCommand):
    help = "Apply working-day deadlines to cases (idempotent; run daily)."

    def handle(self, *args, **options):
        result = tick_deadlines()
        self.stdout.write(
            f"lapsed={result.lapsed} concluded={result.concluded} held={result.held} "
            f"flagged_overdue={result.flagged} unflagged={result.unflagged}"
        )
        for line in result.refusals:
            self.stdout.write(f"  held: {line}")
