"""perform() under threads: django-fsm-2's refresh_from_db is not thread-safe.

django-fsm-2 4.2.4 (``FSMModelMixin.refresh_from_db``) switches the protection off by setting
``field.protected = False`` on the model's *shared* field object, refreshes, and switches it back on. Two
threads refreshing at the same time interleave: the first one to finish switches the protection back on
while the second is still setting the state, which then raises ``AttributeError: Direct state modification
is not allowed``. ``applications.services.perform`` ends with ``application.refresh_from_db()`` AFTER its
transaction has committed, so under a threaded server (gunicorn ``--threads``, ASGI) a transition that
succeeded reports a 500 to its user; meanwhile other threads briefly run with the protection off.
Seen for real in tests/reliability/test_concurrency.py (PostgreSQL, 40 transitions in threads), reproduced
here deterministically without a database. Fixed in ``Application.refresh_from_db``, which drops the cached
state instead of touching the shared flag.
"""

from __future__ import annotations

import threading
from unittest import mock

from django.db import models

from applications.models import Application


def test_two_threads_refreshing_cases_at_once_do_not_trip_the_state_protection():
    second_inside, first_done = threading.Event(), threading.Event()
    failures = []

    def base_refresh(self, *args, **kwargs):
        """Stands in for Model.refresh_from_db (no database): set the state read back, as Django does."""
        if threading.current_thread().name == "first":
            second_inside.wait(5)
        else:
            second_inside.set()
            first_done.wait(5)
        self.state = "accepted"

    def refresh(case, name):
        try:
            case.refresh_from_db()
        except AttributeError as exc:
            failures.append(f"{name}: {exc}")
        finally:
            if name == "first":
                first_done.set()

    cases = [Application(state="submitted"), Application(state="submitted")]
    with mock.patch.object(models.Model, "refresh_from_db", base_refresh):
        threads = [
            threading.Thread(target=refresh, args=(c, n), name=n)
            for c, n in zip(cases, ("first", "second"), strict=True)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=10)
    assert not failures, failures
