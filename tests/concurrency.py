"""Actions run at the same moment, each in its own thread and database connection (the PostgreSQL row-lock tests).

Each action is either a callable, or a ``{"prepare": ..., "run": ...}`` pair whose ``prepare`` runs in the thread
before the start (so each reads the record it will act on, as two people's pages would) and whose ``run`` gets
what ``prepare`` returned. The outcome of each action is "ok", the code of a refusal (an exception of the
``refused`` types: its ``code``, or its class name), or "error: …" for anything else, so the test shows it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from django.db import connections

Action = Callable[[], Any] | dict[str, Callable[..., Any]]


def run_simultaneously(actions: Sequence[Action], *, refused: tuple[type[Exception], ...]) -> list[str | None]:
    barrier = threading.Barrier(len(actions))
    outcomes: list[str | None] = [None] * len(actions)

    def worker(i: int, action: Action) -> None:
        try:
            if isinstance(action, dict):
                prepared = action["prepare"]()
                barrier.wait(timeout=30)
                action["run"](prepared)
            else:
                barrier.wait(timeout=30)
                action()
            outcomes[i] = "ok"
        except refused as exc:
            outcomes[i] = getattr(exc, "code", None) or type(exc).__name__
        except Exception as exc:  # noqa: BLE001 - reported as the outcome so the test shows it
            outcomes[i] = f"error: {exc!r}"
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i, a)) for i, a in enumerate(actions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return outcomes
