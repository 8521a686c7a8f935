"""API throttles hold across processes (issue 14, item 2).

With no CACHES setting DRF counted each gunicorn worker's requests in that worker's memory: 40 token requests
against the documented 10 a minute got 35 answers with 4 workers. The counts now live in one shared cache, the
database cache by default (Redis through CACHE_URL). Shown with two real server processes on loopback ports
sharing one database, answering token requests in turn.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from django.db import connection

import invest.settings as project_settings

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTED_TOKEN_RATE = project_settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["token"]  # "10/minute"


def test_the_default_cache_is_the_shared_database_cache_and_redis_is_djangos_own():
    assert project_settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.db.DatabaseCache"
    assert DOCUMENTED_TOKEN_RATE == "10/minute"
    code = "import django; django.setup(); from django.conf import settings as s; print(s.CACHES['default']['BACKEND'])"
    env = {**os.environ, "CACHE_URL": "redis://127.0.0.1:6379/0", "DJANGO_SETTINGS_MODULE": "invest.settings"}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "django.core.cache.backends.redis.RedisCache", result.stderr


@pytest.mark.django_db
def test_the_database_cache_counts_token_requests(client, settings):
    """In-process, on the cache table the test runner created: the documented rate, then 429."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "django_cache"}
    }
    limit = int(DOCUMENTED_TOKEN_RATE.split("/")[0])
    answers = [
        client.post("/api/v1/auth/token/", {"username": f"u{n}", "password": "x"}, content_type="application/json")
        for n in range(limit + 1)
    ]
    assert [a.status_code for a in answers] == [401] * limit + [429]
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM django_cache")
        assert cursor.fetchone()[0] >= 1


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def scratch_database(tmp_path: Path):
    """A database of its own for the servers, with only what the token endpoint touches (users, lockout, tokens,
    the cache table): a file for SQLite, a new database on the test's server for PostgreSQL."""
    if connection.vendor == "postgresql":
        import psycopg

        name = f"jj_cache_{uuid.uuid4().hex[:8]}"
        info = connection.settings_dict
        admin = dict(host=info["HOST"], port=info["PORT"] or 5432, user=info["USER"], password=info["PASSWORD"] or None)
        with psycopg.connect(dbname="postgres", autocommit=True, **admin) as pg:
            pg.execute(f'CREATE DATABASE "{name}"')
        auth = info["USER"] + (f":{info['PASSWORD']}" if info["PASSWORD"] else "")
        url = f"postgres://{auth}@{info['HOST']}:{info['PORT'] or 5432}/{name}"
    else:
        url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "invest.settings", "DEBUG": "0"}
    env.pop("CACHE_URL", None)
    setup = (
        "import django; django.setup(); from django.core.management import call_command as c; "
        "c('migrate', 'axes', verbosity=0); c('migrate', 'authtoken', verbosity=0); c('createcachetable')"
    )
    subprocess.run([sys.executable, "-c", setup], cwd=ROOT, env=env, check=True, timeout=180, capture_output=True)
    try:
        yield env
    finally:
        if connection.vendor == "postgresql":
            with psycopg.connect(dbname="postgres", autocommit=True, **admin) as pg:
                pg.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def server(env: dict, log: Path):
    """`manage.py runserver --noreload` on a free loopback port, stopped (and killed if need be) at the end."""
    port = _free_port()
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the server did not start: {log.read_text(errors='replace')[-2000:]}")
            time.sleep(0.3)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def token_request(base: str, username: str) -> int:
    request = urllib.request.Request(
        f"{base}/api/v1/auth/token/",
        data=json.dumps({"username": username, "password": "wrong"}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=20) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.mark.slow
@pytest.mark.process_kill
@pytest.mark.django_db(transaction=True)
def test_token_requests_alternating_between_two_server_processes_are_throttled_at_the_documented_rate(tmp_path):
    limit = int(DOCUMENTED_TOKEN_RATE.split("/")[0])
    with scratch_database(tmp_path) as env, ExitStack() as stack:
        servers = [stack.enter_context(server(env, tmp_path / f"server{n}.log")) for n in range(2)]
        # A new user name each time, so the login lockout (5 per name and address) never answers first.
        answers = [token_request(servers[n % 2], f"nobody{n}") for n in range(limit + 2)]
    assert answers[:limit] == [401] * limit, answers
    assert answers[limit:] == [429, 429], f"each process counted on its own: {answers}"
