"""django-tasks-db's ``db_worker``, which also puts tasks that a dead worker left RUNNING back in the queue and
rides out a database outage.

It shadows the library's command because ``invest`` is listed before ``django_tasks_db`` in INSTALLED_APPS.
On start it requeues stale tasks (see ``invest.task_queue``) before taking any task; a long-running worker
(not ``--batch``) keeps doing so every ``sweep_interval()`` seconds.

The library's worker exits on the first database error that is not a locked SQLite file, so a PostgreSQL
restart or failover left the queue without workers until someone noticed. ``ResilientWorker`` instead closes
the broken connection, waits (1 s, doubling up to ``RECONNECT_MAX_WAIT``), logs each try, and goes on once the
database answers again. A task that was running when the database went away stays RUNNING and is requeued by
the stale-task sweep like a killed worker's. Everything else is the library's worker.
"""

from __future__ import annotations

import logging
import os
import time

from django.core.management.base import CommandError
from django.db import DatabaseError, InterfaceError, OperationalError, connections
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV, run_with_reloader
from django_tasks_db.management.commands.db_worker import Command as LibraryWorkerCommand
from django_tasks_db.management.commands.db_worker import Worker

from invest.task_queue import StaleTaskSweeper, sweep_quietly

logger = logging.getLogger("invest.db_worker")

RECONNECT_FIRST_WAIT = 1.0
RECONNECT_MAX_WAIT = 30.0
DATABASE_GONE = (OperationalError, InterfaceError)


def _close_connections() -> None:
    for connection in connections.all(initialized_only=True):
        try:
            connection.close()
        except DatabaseError:  # closing a connection the server already dropped may fail too
            pass


def wait_for_database(*, is_running=lambda: True) -> None:
    """Return once the database answers; until then close the broken connection, back off and log."""
    from django.db import router
    from django_tasks_db.models import DBTaskResult

    alias = router.db_for_read(DBTaskResult)
    wait = RECONNECT_FIRST_WAIT
    while is_running():
        try:
            connections[alias].ensure_connection()
            with connections[alias].cursor() as cursor:
                cursor.execute("SELECT 1")
            return
        except DATABASE_GONE as exc:
            logger.warning("Database unavailable (%s); trying again in %.0f s.", str(exc).strip(), wait)
            _close_connections()
            time.sleep(wait)
            wait = min(wait * 2, RECONNECT_MAX_WAIT)


class ResilientWorker(Worker):
    """The library's worker loop, restarted after the database went away instead of exiting."""

    def run(self) -> None:
        while self.running:
            try:
                return super().run()
            except DATABASE_GONE as exc:
                if not self.running:
                    return None
                self.running_task = False
                logger.warning("Lost the database connection (%s); waiting for it to come back.", str(exc).strip())
                _close_connections()
                wait_for_database(is_running=lambda: self.running)
                if self.running:
                    logger.warning("Database reachable again; the worker goes on.")
                    self.startup_delay = False
        return None


class Command(LibraryWorkerCommand):
    help = (
        "Run a database background worker; tasks a dead worker left RUNNING are queued again first, and a "
        "database outage is waited out instead of ending the worker."
    )

    def handle(self, *args, **options) -> None:
        reloader_parent = options["reload"] and not options["batch"] and os.environ.get(DJANGO_AUTORELOAD_ENV) != "true"
        if reloader_parent:  # only watches files and restarts the child, which sweeps
            return super().handle(*args, **options)
        backend_name = options["backend_name"]
        self.configure_logging(options["verbosity"])
        while True:
            try:
                swept = sweep_quietly(backend_name)
                break
            except DATABASE_GONE as exc:
                logger.warning("Database unavailable at start (%s); waiting for it.", str(exc).strip())
                _close_connections()
                wait_for_database()
        if options["verbosity"] and (swept.requeued or swept.failed):
            self.stdout.write(
                f"Stale tasks of dead workers: {swept.requeued} queued again, {swept.failed} marked failed."
            )
        sweeper = None
        if not options["batch"]:
            sweeper = StaleTaskSweeper(backend_name)
            sweeper.start()
        try:
            return self._run_worker(**options)
        finally:
            if sweeper is not None:
                sweeper.stop()

    def _run_worker(self, **options) -> None:
        # The library's handle() with ResilientWorker in place of its Worker (same options, same behaviour).
        queue_names = options["queue_name"].split(",")
        exclude = options["exclude_queues"]
        if exclude and "*" not in queue_names:
            raise CommandError("--exclude-queues can only be used with --queue-name=*")
        worker = ResilientWorker(
            queue_names=queue_names,
            interval=options["interval"],
            batch=options["batch"],
            backend_name=options["backend_name"],
            startup_delay=options["startup_delay"],
            max_tasks=options["max_tasks"],
            worker_id=options["worker_id"],
            excluded_queue_names=exclude.split(",") if exclude else [],
        )
        if options["reload"] and not options["batch"]:
            worker.configure_signals()
            run_with_reloader(worker.run)
        else:
            worker.configure_signals()
            worker.run()
