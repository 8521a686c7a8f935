"""Roles are Django groups named by fixed English keys; their labels live in settings.ROLES."""

from __future__ import annotations

from django.conf import settings

ROLE_KEYS = ("applicant", "clerk", "reviewer", "expert", "approver", "finance", "manager", "auditor")


def role_label(key: str) -> str:
    return str(settings.ROLES.get(key, key))


def user_roles(user) -> frozenset[str]:
    """The role keys of a user, cached on the user object for the request."""
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    cached = getattr(user, "_role_keys", None)
    if cached is None:
        cached = frozenset(user.groups.filter(name__in=ROLE_KEYS).values_list("name", flat=True))
        user._role_keys = cached
    return cached


def has_role(user, *keys: str) -> bool:
    return bool(user_roles(user) & set(keys))


def ensure_groups() -> None:
    from django.contrib.auth.models import Group

    for key in ROLE_KEYS:
        Group.objects.get_or_create(name=key)
