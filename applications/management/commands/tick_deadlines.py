"""The daily timer: lapse overdue corrections, conclude finished public notices, flag overdue acceptances.

Safe to run more than once a day: a second run finds nothing left to do.
"""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from applications.services import tick_deadlines


class Command(BaseCommand):
    help = "Apply working-day deadlines to cases (idempotent; run daily)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--on",
            metavar="YYYY-MM-DD",
            help="Judge deadlines as on this date (e.g. to catch up a day the job did not run); default today.",
        )

    def handle(self, *args, **options):
        on = None
        if options.get("on"):
            try:
                on = dt.date.fromisoformat(options["on"])
            except ValueError:
                raise CommandError(f"--on 应为 YYYY-MM-DD 格式的日期，例如 2026-12-01（收到：{options['on']}）。")
        result = tick_deadlines(on=on)
        self.stdout.write(
            f"lapsed={result.lapsed} concluded={result.concluded} held={result.held} "
            f"flagged_overdue={result.flagged} unflagged={result.unflagged}"
        )
        for line in result.refusals:
            self.stdout.write(f"  held: {line}")
