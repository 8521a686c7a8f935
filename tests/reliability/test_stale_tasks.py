"""Tasks that a dead worker left RUNNING are queued again (invest.task_queue), on SQLite and on PostgreSQL.

The end-to-end fault (a real worker process killed with SIGKILL mid-render) is in test_worker_fault.py, on a
file SQLite database; these run on whatever DATABASE_URL names, so `scripts/with-postgres` covers PostgreSQL.
"""

from __future__ import annotations

import io
import signal
import threading
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connections
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from applications.documents.models import Document
from applications.documents.tasks import render_document_task
from invest.task_queue import StaleTaskSweeper, Swept, WorkerLost, requeue_stale_tasks, sweep_interval
from tests.factories.documents import DocumentFactory

READY, RUNNING = TaskResultStatus.READY, TaskResultStatus.RUNNING
SUCCESSFUL, FAILED = TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED


@pytest.fixture(autouse=True)
def _database_task_backend(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    settings.TASKS_STALE_AFTER = 600
    settings.TASKS_MAX_ATTEMPTS = 3


def task(document_id: int = 1, *, status=RUNNING, started_ago: float | None = 0, workers: int = 1) -> DBTaskResult:
    """A render task as a worker left it: claimed ``workers`` times, the last time ``started_ago`` seconds ago."""
    result = render_document_task.enqueue(document_id)
    now = timezone.now()
    DBTaskResult.objects.filter(pk=result.id).update(
        status=status,
        started_at=None if started_ago is None else now - timedelta(seconds=started_ago),
        finished_at=now if status in (SUCCESSFUL, FAILED) else None,
        worker_ids=[f"dead-worker-{n}" for n in range(workers)],
    )
    return DBTaskResult.objects.get(pk=result.id)


def snapshot(row: DBTaskResult) -> tuple:
    row = DBTaskResult.objects.get(pk=row.pk)
    return row.status, row.started_at, row.finished_at, row.worker_ids, row.exception_class_path, row.traceback


@pytest.mark.django_db
def test_a_task_running_longer_than_the_threshold_is_queued_again_and_nothing_else_moves():
    stale = task(started_ago=601)
    fresh = task(started_ago=30)
    others = [
        task(status=SUCCESSFUL, started_ago=5000),
        task(status=FAILED, started_ago=5000),
        task(status=READY, started_ago=None),
    ]
    untouched = [snapshot(row) for row in (fresh, *others)]

    assert requeue_stale_tasks() == Swept(requeued=1, failed=0)

    stale.refresh_from_db()
    assert stale.status == READY and stale.worker_ids == ["dead-worker-0"]  # the dead worker stays on record
    assert DBTaskResult.objects.ready().filter(pk=stale.pk).exists()  # what a worker takes next
    assert [snapshot(row) for row in (fresh, *others)] == untouched
    assert requeue_stale_tasks() == Swept()  # a second sweep finds nothing


@pytest.mark.django_db
def test_the_threshold_comes_from_the_setting(settings):
    row = task(started_ago=90)
    assert requeue_stale_tasks() == Swept()
    settings.TASKS_STALE_AFTER = 60
    assert requeue_stale_tasks() == Swept(requeued=1)
    assert DBTaskResult.objects.get(pk=row.pk).status == READY


@pytest.mark.django_db
def test_a_task_whose_workers_died_max_attempts_times_is_marked_failed_instead_of_looping():
    twice = task(started_ago=700, workers=2)
    three_times = task(started_ago=700, workers=3)

    assert requeue_stale_tasks() == Swept(requeued=1, failed=1)

    assert DBTaskResult.objects.get(pk=twice.pk).status == READY
    failed = DBTaskResult.objects.get(pk=three_times.pk)
    assert failed.status == FAILED and failed.finished_at is not None
    (error,) = failed.task_result.errors
    assert error.exception_class is WorkerLost
    assert "3 time(s)" in error.traceback and "dead-worker-2" in error.traceback


@pytest.mark.django_db
def test_requeue_stale_tasks_command_reports_and_refuses_a_zero_threshold():
    task(started_ago=120)
    out = io.StringIO()
    call_command("requeue_stale_tasks", stdout=out)
    assert out.getvalue().strip() == "0 task(s) queued again, 0 marked failed"
    call_command("requeue_stale_tasks", "--stale-after", "60", stdout=out)
    assert out.getvalue().strip().splitlines()[-1] == "1 task(s) queued again, 0 marked failed"
    with pytest.raises(CommandError, match="more than 0 seconds"):
        call_command("requeue_stale_tasks", "--stale-after", "0")


def test_a_running_worker_sweeps_at_half_the_threshold_between_one_second_and_a_minute():
    assert sweep_interval(600) == 60
    assert sweep_interval(30) == 15
    assert sweep_interval(1) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_eight_workers_starting_at_once_queue_each_stale_task_once():
    rows = [task(started_ago=3600) for _ in range(20)]
    start = threading.Barrier(8)
    results: list[Swept] = []
    errors: list[BaseException] = []

    def sweep():
        try:
            start.wait(timeout=30)
            results.append(requeue_stale_tasks())
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sweep) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    assert len(results) == 8
    assert sum(r.requeued for r in results) == len(rows)  # each task counted by exactly one sweep
    assert DBTaskResult.objects.filter(status=READY).count() == len(rows)


@pytest.fixture
def worker_signals():
    """db_worker installs its own SIGINT/SIGTERM handlers; put pytest's back, and stop a hung worker."""
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT, signal.SIGALRM)}

    def hung(signum, frame):
        raise TimeoutError("the worker never ran the stale task")

    signal.signal(signal.SIGALRM, hung)
    signal.alarm(60)
    yield
    signal.alarm(0)
    for sig, handler in saved.items():
        signal.signal(sig, handler)


def issued_document() -> Document:
    return DocumentFactory()  # numbered, not rendered


@pytest.mark.django_db(transaction=True)
def test_a_worker_started_after_the_threshold_renders_the_document_once_with_its_number(worker_signals):
    document = issued_document()
    row = task(document.pk, started_ago=601)

    out = io.StringIO()
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", stdout=out)

    assert "1 queued again" in out.getvalue()
    row.refresh_from_db()
    assert row.status == SUCCESSFUL and len(row.worker_ids) == 2
    after = Document.objects.get(pk=document.pk)
    assert after.is_rendered and after.number == document.number and after.sequence == document.sequence
    assert row.return_value == after.sha256


@pytest.mark.django_db(transaction=True)
def test_a_running_worker_queues_a_task_that_goes_stale_while_it_waits(settings, worker_signals):
    """systemd restarts a killed worker at once: its start-up sweep is too early, its periodic sweep is not."""
    settings.TASKS_STALE_AFTER = 4  # sweeps every 2 s; the start-up sweep comes well within 4 s of the claim
    document = issued_document()
    row = task(document.pk, started_ago=0)

    out = io.StringIO()
    # not --batch: the long-running worker; --max-tasks 1 ends it after the one task it takes
    call_command("db_worker", "--no-startup-delay", "--no-reload", "--interval", "0.1", "--max-tasks", "1", stdout=out)

    assert "queued again" not in out.getvalue()  # the start-up sweep found the task fresh
    row.refresh_from_db()
    assert row.status == SUCCESSFUL and len(row.worker_ids) == 2
    after = Document.objects.get(pk=document.pk)
    assert after.is_rendered and after.number == document.number


@pytest.mark.django_db(transaction=True)
def test_the_sweeper_thread_stops_when_asked():
    sweeper = StaleTaskSweeper(every=0.05)
    sweeper.start()
    sweeper.stop()
    sweeper.join(timeout=10)
    assert not sweeper.is_alive()
