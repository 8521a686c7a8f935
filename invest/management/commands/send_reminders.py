"""Send the reminders due today (or on --date): run it daily, as often as you like; each reminder goes once."""

from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from invest.reminders import send_due


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--date {value!r} is not a date; write it as YYYY-MM-DD, e.g. 2027-03-15.") from exc


class Command(BaseCommand):
    help = (
        "Send every registered reminder (invest.reminders) that is due and not sent yet: inbox, e-mail and SMS. "
        "Idempotent: each reminder has a unique key in ReminderLog, so running it again sends nothing twice."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="the day to run for, YYYY-MM-DD (default: today in Asia/Shanghai)")

    def handle(self, *args, date: str | None = None, **options):
        errors: list[str] = []
        sent = send_due(_day(date) if date else None, errors=errors)
        if options.get("verbosity", 1):
            self.stdout.write(f"{sent} reminder(s) sent")
        if errors:
            for line in errors:
                self.stderr.write(line)
            raise CommandError(f"{len(errors)} reminder source(s) or reminder(s) failed; see above and the log.")
