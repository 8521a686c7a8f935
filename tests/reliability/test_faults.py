"""Faults: the database going away for a moment, and the task worker dying in the middle of a render."""

from __future__ import annotations

import time
from unittest import mock

import pytest
from django.db import OperationalError, connection, connections


@pytest.mark.django_db(transaction=True)  # outside a test transaction, so dropping the connection really drops it
def test_healthz_reports_the_database_while_it_is_unavailable_and_recovers_without_a_restart(client):
    """Stand-in for an outage on any database: the connection's cursor fails for one request, then works."""
    assert client.get("/healthz").status_code == 200
    with mock.patch.object(
        connections["default"], "cursor", side_effect=OperationalError("server closed the connection")
    ):
        down = client.get("/healthz")
    assert down.status_code == 503
    assert down.json() == {"status": "unavailable", "database": "unavailable"}
    again = client.get("/healthz")
    assert again.status_code == 200 and again.json()["database"] == "ok"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_healthz_after_the_server_drops_our_connection_says_503_then_reconnects(client):
    """On PostgreSQL the server really ends the web process's session (pg_terminate_backend from another
    session, as a restart or failover would); the next health check says so, the one after reconnects."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    import psycopg

    assert client.get("/healthz").status_code == 200
    pid = connection.connection.info.backend_pid
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params, autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])
        for _ in range(100):  # the session ends asynchronously; wait until the server has let it go
            if not other.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone():
                break
            time.sleep(0.1)
    down = client.get("/healthz")
    assert down.status_code == 503
    assert down.json()["database"] == "unavailable"
    again = client.get("/healthz")
    assert again.status_code == 200 and again.json()["database"] == "ok"
    assert connection.connection.info.backend_pid != pid
