"""Tasks that a dead worker left RUNNING go back to the queue.

django-tasks-db (0.13) marks a task RUNNING when a worker claims it and only ever hands out READY tasks, so a
worker killed in the middle of a task (SIGKILL, the OOM killer, a power cut) leaves that task RUNNING for ever
and no other worker runs it. The database cannot tell a dead worker from a slow one, so a task that has been
RUNNING for longer than ``TASKS_STALE_AFTER`` seconds (far longer than any of our tasks takes) is taken to
belong to a dead worker: it is made READY again, and the next worker runs it. A task whose workers died
``TASKS_MAX_ATTEMPTS`` times is marked FAILED (``WorkerLost``) instead, so one task that kills every worker
that runs it cannot take the queue down in a loop.

Tasks must therefore be idempotent: if the threshold is ever shorter than a live task, that task runs twice.
``render_document_task`` is: the PDF is stored once, under a row lock, with the number the document was issued
with.

Each requeue is a compare-and-set UPDATE (still RUNNING, same start time), so two workers that start at once,
or a sweep racing with the dead task's own claim, requeue a task once, on SQLite and on PostgreSQL alike.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import OperationalError, connections
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import is_locked_database_exception

logger = logging.getLogger(__name__)


class WorkerLost(Exception):
    """Recorded as the error of a task whose worker died ``TASKS_MAX_ATTEMPTS`` times while running it."""


@dataclass(frozen=True)
class Swept:
    requeued: int = 0
    failed: int = 0


def requeue_stale_tasks(
    *,
    stale_after: float | None = None,
    max_attempts: int | None = None,
    backend_name: str | None = None,
    now: datetime | None = None,
) -> Swept:
    """Make tasks RUNNING for longer than ``stale_after`` seconds READY again (FAILED after ``max_attempts``)."""
    stale_after = settings.TASKS_STALE_AFTER if stale_after is None else stale_after
    max_attempts = settings.TASKS_MAX_ATTEMPTS if max_attempts is None else max_attempts
    now = now or timezone.now()
    stale = DBTaskResult.objects.running().filter(started_at__lt=now - timedelta(seconds=stale_after))
    if backend_name:
        stale = stale.filter(backend_name=backend_name)
    requeued = failed = 0
    for pk, started_at, worker_ids, task_path in stale.values_list("pk", "started_at", "worker_ids", "task_path"):
        same_run = DBTaskResult.objects.filter(pk=pk, status=TaskResultStatus.RUNNING, started_at=started_at)
        if len(worker_ids) >= max_attempts:
            if same_run.update(
                status=TaskResultStatus.FAILED,
                finished_at=now,
                exception_class_path=f"{WorkerLost.__module__}.{WorkerLost.__qualname__}",
                traceback=(
                    f"WorkerLost: the worker running this task stopped without finishing it {len(worker_ids)} "
                    f"time(s) (workers {', '.join(worker_ids)}); it is not retried again."
                ),
            ):
                failed += 1
                logger.error("task %s (%s) failed: its worker died %d times", pk, task_path, len(worker_ids))
        elif same_run.update(status=TaskResultStatus.READY):
            requeued += 1
            logger.warning(
                "task %s (%s) was RUNNING since %s on worker %s, which is gone: queued again",
                pk,
                task_path,
                started_at.isoformat(),
                worker_ids[-1] if worker_ids else "?",
            )
    return Swept(requeued=requeued, failed=failed)


def sweep_quietly(backend_name: str | None = None) -> Swept:
    """``requeue_stale_tasks`` for the worker: a locked SQLite database means "try at the next sweep"."""
    try:
        return requeue_stale_tasks(backend_name=backend_name)
    except OperationalError as exc:
        if not is_locked_database_exception(exc):
            raise
        logger.info("database locked; stale tasks are looked for again at the next sweep")
        return Swept()


def sweep_interval(stale_after: float | None = None) -> float:
    """How often a running worker looks for stale tasks: half the threshold, between 1 s and a minute."""
    stale_after = settings.TASKS_STALE_AFTER if stale_after is None else stale_after
    return min(60.0, max(1.0, stale_after / 2))


class StaleTaskSweeper(threading.Thread):
    """Requeues stale tasks every ``sweep_interval()`` seconds while the worker runs.

    A worker that systemd restarts straight after a kill starts before the dead task is stale; this thread
    is what requeues it once the threshold has passed, without waiting for yet another restart.
    """

    def __init__(self, backend_name: str | None = None, every: float | None = None):
        super().__init__(name="stale-task-sweeper", daemon=True)
        self.backend_name = backend_name
        self.every = sweep_interval() if every is None else every
        self._stopped = threading.Event()

    def run(self) -> None:
        while not self._stopped.wait(self.every):
            try:
                sweep_quietly(self.backend_name)
            except Exception:  # the worker goes on; the next sweep tries again
                logger.exception("looking for stale tasks failed")
            finally:
                connections.close_all()  # this thread's connections only

    def stop(self) -> None:
        self._stopped.set()
