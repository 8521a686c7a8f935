"""django-tasks-db's ``db_worker``, which also puts tasks that a dead worker left RUNNING back in the queue.

It shadows the library's command because ``invest`` is listed before ``django_tasks_db`` in INSTALLED_APPS.
On start it requeues stale tasks (see ``invest.task_queue``) before taking any task; a long-running worker
(not ``--batch``) keeps doing so every ``sweep_interval()`` seconds. Everything else is the library's worker.
"""

from __future__ import annotations

import os

from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands.db_worker import Command as LibraryWorkerCommand

from invest.task_queue import StaleTaskSweeper, sweep_quietly


class Command(LibraryWorkerCommand):
    help = "Run a database background worker; tasks a dead worker left RUNNING are queued again first."

    def handle(self, *args, **options) -> None:
        reloader_parent = options["reload"] and not options["batch"] and os.environ.get(DJANGO_AUTORELOAD_ENV) != "true"
        if reloader_parent:  # only watches files and restarts the child, which sweeps
            return super().handle(*args, **options)
        backend_name = options["backend_name"]
        swept = sweep_quietly(backend_name)
        if options["verbosity"] and (swept.requeued or swept.failed):
            self.stdout.write(
                f"Stale tasks of dead workers: {swept.requeued} queued again, {swept.failed} marked failed."
            )
        sweeper = None
        if not options["batch"]:
            sweeper = StaleTaskSweeper(backend_name)
            sweeper.start()
        try:
            return super().handle(*args, **options)
        finally:
            if sweeper is not None:
                sweeper.stop()
