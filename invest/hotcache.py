"""What nearly every request reads and seldom changes, in the shared cache, with one cache read per request.

A signed-in page needs the user's roles (their groups), the header's unread count, often their companies
(confirmed memberships), and pages with deadlines or filters need the working-day calendar and the item and
round choices. Each was a query or two per request. Now they sit in the shared cache (settings.CACHES: the
database cache by default, Redis with CACHE_URL), and the first of them a request asks for fetches all of this
request's keys in one ``get_many`` (one query on the database cache, one round trip on Redis); the rest come
from that answer.

The calendar and the choices are bigger and the same for everyone: the cache holds only a *version* of
each, and every process keeps the data of the current version in its own memory; a change writes a new
version, so each process reloads on its next request.

Every write that changes one of these invalidates it: the group signals (invest.apps), the membership ones
(companies.apps), the calendar's (applications.apps), the catalogue's (policies.apps), and invest.notify
when it writes or marks entries. The key is deleted at
once and again when the transaction commits (a request that read the old rows in between may have stored
them). Nothing read inside a transaction is stored in the shared cache: it may still be rolled back.
Outside a request (commands, workers) each read is a plain cache read.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from typing import Any

from django.contrib.auth import SESSION_KEY
from django.core.cache import cache
from django.db import connection, transaction

# Explicit invalidation is the rule; the timeout only bounds the life of an entry a missed signal left behind.
TIMEOUT = 600
CALENDAR = "hot:v:calendar"
CATALOGUE = "hot:v:catalogue"
_VERSIONS = (CALENDAR, CATALOGUE)
#: The groups' ids by name (invest.roles.holders), forgotten when a group is saved or deleted.
GROUP_IDS = "hot:group-ids"

_state: ContextVar[dict | None] = ContextVar("hotcache", default=None)
# Per process: version key -> (version, data), the data of the version the cache named last.
_local: dict[str, tuple[str, dict]] = {}


def roles_key(user_id: int) -> str:
    return f"hot:roles:{user_id}"


def members_key(user_id: int) -> str:
    return f"hot:members:{user_id}"


def unread_key(user_id: int) -> str:
    return f"hot:unread:{user_id}"


class RequestCacheMiddleware:
    """Gives each request its batch of hot keys (after AuthenticationMiddleware: the user's keys are in it)."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        token = _state.set({"request": request, "values": None, "fetched": set()})
        try:
            if request.session.get(SESSION_KEY):
                # Before anything asks: django-rules' is_group_member reads the names user_roles leaves
                # on the user, and would otherwise query the groups itself.
                from .roles import user_roles

                user_roles(request.user)
            return self.get_response(request)
        finally:
            _state.reset(token)


def _batch(request) -> list[str]:
    keys = [*_VERSIONS, GROUP_IDS]
    user = getattr(request, "user", None)
    if getattr(user, "is_authenticated", False):
        keys += [roles_key(user.pk), members_key(user.pk), unread_key(user.pk)]
    return keys


def get(key: str) -> Any:
    """The cached value of ``key`` or None; within a request, the first call reads the request's whole batch."""
    state = _state.get()
    if state is None:
        return cache.get(key)
    if state["values"] is None:
        keys = _batch(state["request"])
        if key not in keys:
            keys.append(key)
        state["values"] = cache.get_many(keys)
        state["fetched"].update(keys)
    elif key not in state["fetched"]:
        value = cache.get(key)
        state["fetched"].add(key)
        if value is not None:
            state["values"][key] = value
    return state["values"].get(key)


def _in_transaction() -> bool:
    """Inside a transaction of the code (not only a test case's), whose rows may still be rolled back."""
    return any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks)


def remember(key: str, value: Any) -> None:
    """Store a value just read from the database, unless it was read inside a transaction."""
    state = _state.get()
    if state is not None and state["values"] is not None:
        state["values"][key] = value
        state["fetched"].add(key)
    if not _in_transaction():
        cache.set(key, value, TIMEOUT)


def cached(key: str, load: Callable[[], Any]) -> Any:
    """The value of ``key``, loaded and remembered when the cache has none."""
    value = get(key)
    if value is None:
        value = load()
        remember(key, value)
    return value


def forget(keys: Iterable[str]) -> None:
    """Invalidate: delete now, in this request's batch too, and again when the transaction commits."""
    keys = list(keys)
    if not keys:
        return
    cache.delete_many(keys)
    state = _state.get()
    if state is not None and state["values"] is not None:
        for key in keys:
            state["values"].pop(key, None)
            state["fetched"].add(key)  # the next get answers None: the caller reloads
    if connection.in_atomic_block:
        transaction.on_commit(lambda: cache.delete_many(keys))


def shared(version_key: str, load: Callable[[], dict] | None = None) -> dict:
    """This process's data for the current version of ``version_key``: a dict the caller fills (per year,
    per language); a new version, written by ``bump``, starts an empty one."""
    version = get(version_key)
    if version is None:
        # Nothing in the cache (first use, eviction, a cleared cache): start a version; add() keeps one
        # another process started at the same moment.
        new = uuid.uuid4().hex
        version = new if cache.add(version_key, new, None) else (cache.get(version_key) or new)
        state = _state.get()
        if state is not None and state["values"] is not None:
            state["values"][version_key] = version
    if _in_transaction():
        return {}  # what is read now may be rolled back: not kept for later requests
    current = _local.get(version_key)
    if current is None or current[0] != version:
        current = _local[version_key] = (version, {})
    return current[1]


def bump(version_key: str) -> None:
    """The calendar or the catalogue changed: every process reloads it on its next request."""

    def write() -> None:
        cache.set(version_key, uuid.uuid4().hex, None)
        _local.pop(version_key, None)

    write()
    state = _state.get()
    if state is not None and state["values"] is not None:
        state["values"].pop(version_key, None)
        state["fetched"].discard(version_key)
    if connection.in_atomic_block:
        transaction.on_commit(write)
