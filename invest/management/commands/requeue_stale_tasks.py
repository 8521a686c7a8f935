"""Queue again the tasks that dead workers left RUNNING, without starting a worker (see invest.task_queue)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from invest.task_queue import requeue_stale_tasks


class Command(BaseCommand):
    help = (
        "Make tasks RUNNING for longer than TASKS_STALE_AFTER seconds READY again, so a worker runs them; "
        "a task whose worker died TASKS_MAX_ATTEMPTS times is marked failed. db_worker does this on start."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--stale-after",
            type=float,
            help="seconds a task may be RUNNING before its worker counts as dead (default: TASKS_STALE_AFTER)",
        )

    def handle(self, *args, stale_after: float | None, **options):
        if stale_after is not None and stale_after <= 0:
            raise CommandError(
                "--stale-after must be more than 0 seconds: a shorter threshold would requeue tasks that live "
                "workers are running right now."
            )
        swept = requeue_stale_tasks(stale_after=stale_after)
        self.stdout.write(f"{swept.requeued} task(s) queued again, {swept.failed} marked failed")
