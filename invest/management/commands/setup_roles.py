"""Create the role groups and their admin permissions. Idempotent; safe in production (run after migrate)."""

from django.core.management.base import BaseCommand

from invest.roles import ROLE_KEYS, ensure_groups


class Command(BaseCommand):
    help = (
        "Create the role groups (applicant, clerk, reviewer, …) and give managers and auditors their admin permissions."
    )

    def handle(self, *args, **options):
        ensure_groups()
        self.stdout.write("Role groups ready: " + ", ".join(ROLE_KEYS))
