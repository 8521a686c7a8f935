"""Copy the holiday schedules chinese-calendar knows into the database (years already on file are kept)."""

from django.core.management.base import BaseCommand

from applications.selectors import next_year_schedule_missing
from applications.workdays import seed_from_package


class Command(BaseCommand):
    help = "Seed the working-day calendar from the chinese-calendar package."

    def add_arguments(self, parser):
        parser.add_argument("years", nargs="*", type=int, help="only these years (default: all the package knows)")
        parser.add_argument("--overwrite", action="store_true", help="replace years already on file")

    def handle(self, *args, **options):
        written = seed_from_package(options["years"] or None, overwrite=options["overwrite"])
        self.stdout.write(f"seeded years: {', '.join(map(str, written)) or 'none'}")
        missing = next_year_schedule_missing()
        if missing:
            self.stdout.write(self.style.WARNING(f"the holiday schedule for {missing} is not on file yet"))
