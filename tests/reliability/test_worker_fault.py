"""The task worker killed with SIGKILL in the middle of rendering a document.

Real processes against a throw-away file SQLite database: a worker whose rendering hangs is killed while
the task is RUNNING; then a fresh worker is started. The document must end up rendered once, with the
number it was issued with.

django-tasks-db's worker only takes READY tasks, so the dead worker's task would stay RUNNING for ever. Our
``db_worker`` (invest/management/commands/db_worker.py, shadowing the library's) first queues again every task
RUNNING for longer than ``TASKS_STALE_AFTER`` seconds (invest.task_queue): the fresh worker below, started with
a one-second threshold once the killed task is older than that, renders the document with its number and one
file. The manual recovery, ``manage.py render_document pending``, does the same (second test). The requeue
logic itself, including the periodic sweep of a long-running worker, is tested on SQLite and PostgreSQL in
test_stale_tasks.py.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PY = sys.executable

pytestmark = [pytest.mark.slow, pytest.mark.process_kill]

ISSUE = """
from django.db import transaction
from applications.documents.constants import DocumentKind
from applications.documents.samples import sample_context
from applications.documents.services import issue_document
with transaction.atomic():
    d = issue_document(DocumentKind.APPROVAL_DECISION, context=sample_context(DocumentKind.APPROVAL_DECISION))
print(d.pk)
"""

STATE = """
import json
from applications.documents.models import Document
from django_tasks_db.models import DBTaskResult
d = Document.objects.get()
print(json.dumps({"number": d.number, "sequence": d.sequence, "rendered": d.is_rendered, "file": d.file.name,
                  "tasks": sorted(DBTaskResult.objects.values_list("status", flat=True))}))
"""


def manage(env, *args, timeout=300):
    return subprocess.run(
        [PY, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=True
    )


def shell(env, code):
    return manage(env, "shell", "-c", code).stdout.strip().splitlines()[-1]


@pytest.fixture
def killed_mid_render(tmp_path):
    """Issue one document, let a worker start rendering it, SIGKILL the worker; return (env, state before)."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "FILE_STORE": str(tmp_path / "files"),
        "DJANGO_SETTINGS_MODULE": "invest.settings",
    }
    env.pop("PYTEST_CURRENT_TEST", None)
    manage(env, "migrate", "--noinput")
    shell(env, ISSUE)
    marker = tmp_path / "rendering"
    worker = subprocess.Popen([PY, str(ROOT / "tests/reliability/slow_worker.py"), str(marker)], cwd=ROOT, env=env)
    try:
        for _ in range(600):
            if marker.exists() or worker.poll() is not None:
                break
            time.sleep(0.2)
        assert marker.exists(), "the worker never started rendering"
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
    before = json.loads(shell(env, STATE))
    assert before["tasks"] == ["RUNNING"] and not before["rendered"]
    return env, before, tmp_path


def pdfs(tmp_path):
    return sorted(p.name for p in (tmp_path / "files").rglob("*.pdf"))


def test_a_new_worker_renders_the_document_a_killed_worker_left_half_done(killed_mid_render):
    env, before, tmp_path = killed_mid_render
    stale_after = 1  # seconds; production waits TASKS_STALE_AFTER (10 minutes by default)
    time.sleep(stale_after + 0.5)  # the killed worker's task is now older than the threshold
    worker = manage(
        {**env, "TASKS_STALE_AFTER": str(stale_after)}, "db_worker", "--batch", "--no-startup-delay", timeout=300
    )
    assert "1 queued again" in worker.stdout, worker.stdout
    after = json.loads(shell(env, STATE))
    assert after["rendered"], after
    assert after["number"] == before["number"] and after["sequence"] == before["sequence"]
    assert after["tasks"] == ["SUCCESSFUL"]
    assert pdfs(tmp_path) == [Path(after["file"]).name]


def test_render_pending_after_the_kill_renders_with_the_same_number_and_one_file(killed_mid_render):
    env, before, tmp_path = killed_mid_render
    manage(env, "render_document", "pending", timeout=300)
    after = json.loads(shell(env, STATE))
    assert after["rendered"] and after["number"] == before["number"] and after["sequence"] == before["sequence"]
    assert len(pdfs(tmp_path)) == 1
    # running it again changes nothing: still one file with the same name
    manage(env, "render_document", "pending", timeout=300)
    assert pdfs(tmp_path) == [Path(after["file"]).name]


# --- PostgreSQL stopped and started again under a running worker ------------------------------------------

ENQUEUE = "from tests.reliability.touch_task import touch; touch.enqueue({path!r})"


def _as_postgres(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@pytest.fixture
def postgres_server():
    """The data folder, pg_ctl and the start options of the PostgreSQL server this test session runs on."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    import psycopg

    info = connection.settings_dict
    admin = {"host": info["HOST"], "port": info["PORT"] or 5432, "user": info["USER"], "password": info["PASSWORD"]}
    with psycopg.connect(dbname="postgres", autocommit=True, **admin) as pg:
        data = pg.execute("SHOW data_directory").fetchone()[0]
    opts = (Path(data) / "postmaster.opts").read_text().split()
    pg_ctl = str(Path(opts[0].strip('"')).with_name("pg_ctl"))
    # postmaster.opts: the server binary, then its arguments, each in double quotes; -D is given to pg_ctl.
    args = [a.strip('"') for a in opts[1:]]
    while "-D" in args:
        index = args.index("-D")
        del args[index : index + 2]
    return {"data": data, "pg_ctl": pg_ctl, "options": " ".join(args), "admin": admin}


def _pg_ctl(server, *args):
    subprocess.run(
        _as_postgres([server["pg_ctl"], "-D", server["data"], *args]), check=True, capture_output=True, timeout=120
    )


@pytest.mark.postgres
def test_a_worker_waits_out_a_postgresql_restart_and_then_runs_new_tasks(tmp_path, postgres_server):
    """db_worker used to exit on the first error of a stopped server and stay down; now it waits, reconnects
    (logging each try) and runs a task enqueued after the server is back."""
    import uuid

    import psycopg
    from django.db import connections

    admin = postgres_server["admin"]
    name = f"jj_worker_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(dbname="postgres", autocommit=True, **admin) as pg:
        pg.execute(f'CREATE DATABASE "{name}"')
    auth = admin["user"] + (f":{admin['password']}" if admin["password"] else "")
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{auth}@{admin['host']}:{admin['port']}/{name}",
        "DJANGO_SETTINGS_MODULE": "invest.settings",
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
    }
    env.pop("PYTEST_CURRENT_TEST", None)
    worker = None
    try:
        try:
            manage(env, "migrate", "django_tasks_database", "--noinput")
        except subprocess.CalledProcessError as exc:
            pytest.fail(exc.stdout + exc.stderr)
        log = (tmp_path / "worker.log").open("w")
        worker = subprocess.Popen(
            [PY, "manage.py", "db_worker", "--no-startup-delay", "--interval", "0.2"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        before, after = tmp_path / "before", tmp_path / "after"
        manage(env, "shell", "-c", ENQUEUE.format(path=str(before)))
        deadline = time.monotonic() + 60
        while not before.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert before.exists(), "the worker did not run the first task"

        _pg_ctl(postgres_server, "stop", "-m", "fast", "-w")
        try:
            time.sleep(4)  # the worker's next look at the queue fails: it must wait, not exit
            assert worker.poll() is None, "db_worker exited when PostgreSQL went away"
        finally:
            log_file = str(Path(postgres_server["data"]).parent / "restart.log")  # the server's user may write there
            _pg_ctl(postgres_server, "start", "-w", "-l", log_file, "-o", postgres_server["options"])
        for connection in connections.all(initialized_only=True):  # this test process's own, now broken
            try:
                connection.close()
            except Exception:  # noqa: BLE001 - it is gone either way
                pass

        manage(env, "shell", "-c", ENQUEUE.format(path=str(after)))
        deadline = time.monotonic() + 90
        while not after.exists() and time.monotonic() < deadline and worker.poll() is None:
            time.sleep(0.2)
        assert after.exists(), "the worker did not run the task enqueued after the restart"
        assert worker.poll() is None
        text = (tmp_path / "worker.log").read_text()
        assert "Database unavailable" in text or "Lost the database connection" in text, text[-2000:]
    finally:
        if worker is not None:
            worker.terminate()
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
        with psycopg.connect(dbname="postgres", autocommit=True, **admin) as pg:
            pg.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
