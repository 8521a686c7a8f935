"""Roles are Django groups named by fixed English keys; their labels live in settings.ROLES."""

from __future__ import annotations

from django.conf import settings

ROLE_KEYS = ("applicant", "clerk", "reviewer", "expert", "approver", "finance", "manager", "auditor")


def role_label(key: str) -> str:
    return str(settings.ROLES.get(key, key))


def user_roles(user) -> frozenset[str]:
    """The role keys of a user, from the group names cached on the user object for the request: the same cache
    as django-rules' `is_group_member`, which the permission predicates use, so both always agree. Across
    requests the names come from the shared cache (invest.hotcache), invalidated when the groups change."""
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    names = getattr(user, "_group_names_cache", None)
    if names is None:
        from . import hotcache

        names = user._group_names_cache = set(
            hotcache.cached(hotcache.roles_key(user.pk), lambda: sorted(user.groups.values_list("name", flat=True)))
        )
    return frozenset(names) & frozenset(ROLE_KEYS)


def forget_roles(user) -> None:
    """Drop the cached group names after the user's groups changed (on the object and in the shared cache)."""
    from . import hotcache

    if hasattr(user, "_group_names_cache"):
        del user._group_names_cache
    if getattr(user, "pk", None) is not None:
        hotcache.forget([hotcache.roles_key(user.pk)])


def groups_changed(sender, instance, action, reverse, pk_set, **kwargs) -> None:
    """m2m_changed receiver of User.groups (connected in invest.apps): whoever gained or lost a group, from
    either side (user.groups.add, group.user_set.remove, clear), is read again on their next request."""
    from . import hotcache

    if not reverse:  # instance is the user
        if action in ("post_add", "post_remove", "post_clear"):
            forget_roles(instance)
        return
    if action == "pre_clear":  # instance is the group: its users, before they are gone
        user_ids = list(instance.user_set.values_list("pk", flat=True))
    elif action in ("post_add", "post_remove"):
        user_ids = list(pk_set or ())
    else:
        return
    hotcache.forget([hotcache.roles_key(pk) for pk in user_ids])


def group_renamed_or_deleted(sender, instance, **kwargs) -> None:
    """post_save / pre_delete receiver of Group: its members' names changed, and the ids by name."""
    from . import hotcache

    hotcache.forget([hotcache.GROUP_IDS])
    if instance.pk is not None and not kwargs.get("created"):
        hotcache.forget([hotcache.roles_key(pk) for pk in instance.user_set.values_list("pk", flat=True)])


def holders(*keys: str):
    """The active users holding any of these roles, each once (a queryset).

    The roles' group ids (from the shared cache, invest.hotcache) go into the query as numbers: PostgreSQL
    then estimates from the membership table's own statistics that a role few people hold matches few rows.
    Joined by group name it assumes an average group (an eighth of 100,000 applicants) and scans every user to
    find the one expert: 22 ms against 0.2 ms at a province's size (bench/scale.py)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from . import hotcache

    ids = hotcache.cached(hotcache.GROUP_IDS, lambda: dict(Group.objects.values_list("name", "pk")))
    group_ids = [ids[key] for key in keys if key in ids]
    users = get_user_model().objects.filter(groups__in=group_ids, is_active=True)
    return users.distinct() if len(group_ids) > 1 else users


def users_with_roles(*keys: str) -> list:
    """The active users holding any of these roles, each once, in a stable order: who is told about a queue, a
    report to review or a proposal to decide."""
    return list(holders(*keys).order_by("pk"))


def has_role(user, *keys: str) -> bool:
    return bool(user_roles(user) & set(keys))


# Model permissions each role gets in the admin (object-level rules still decide per case and company).
# Managers maintain the registry, policies, rules, rounds, calendar and leads; auditors read everything.
ADMIN_APPS = ("companies", "investment", "policies", "applications", "documents", "obligations", "invest")
ROLE_MODEL_PERMISSIONS = {
    "manager": {"apps": ADMIN_APPS, "actions": ("view", "add", "change", "delete")},
    "auditor": {"apps": ADMIN_APPS, "actions": ("view",)},
}
# Roles whose users may sign in to the admin site (Django's is_staff).
ADMIN_ROLES = frozenset(ROLE_MODEL_PERMISSIONS)
# The role groups, each named once. Roles of office accounts, which a manager grants on the accounts page
# (`applicant` follows from a confirmed company membership instead, companies.services); every office
# account has the workbench.
OFFICE_ROLES = tuple(key for key in ROLE_KEYS if key != "applicant")
# Office roles that see every case and every company: all but `expert`, an outside expert who sees only the
# cases assigned to them.
ALL_CASES_ROLES = tuple(key for key in OFFICE_ROLES if key != "expert")
# Roles that see the figures dashboard and its export.
DASHBOARD_ROLES = ("manager", "auditor", "approver")
# Roles that see the statistics (统计分析) and their export: the dashboard's.
STATISTICS_ROLES = DASHBOARD_ROLES
# Roles that read the audit log (审计日志, invest.auditlog): every entry, filtered and exported, never changed.
AUDIT_LOG_ROLES = ("auditor", "manager")
# Roles that review a funded company's obligation reports (履约材料: accept or return with a reason).
OBLIGATION_REVIEW_ROLES = ("reviewer", "manager")
# Roles that decide a clawback proposal raised by a breach or a missed report (forward or dismiss).
CLAWBACK_PROPOSAL_ROLES = ("approver",)


def admin_access(user, roles) -> bool:
    """Whether a user with these role keys may sign in to the admin (is_staff): superusers and ADMIN_ROLES."""
    return bool(user.is_superuser or set(roles) & ADMIN_ROLES)


def ensure_groups() -> None:
    """Create the role groups and give managers and auditors their admin permissions. Idempotent."""
    from django.contrib.auth.models import Group, Permission

    for key in ROLE_KEYS:
        group, _ = Group.objects.get_or_create(name=key)
        grant = ROLE_MODEL_PERMISSIONS.get(key)
        if grant:
            perms = Permission.objects.filter(content_type__app_label__in=grant["apps"]).filter(
                codename__regex=r"^({})_".format("|".join(grant["actions"]))
            )
            # The audit log stays append-only, also for managers.
            perms = perms.exclude(content_type__model="auditentry", codename__regex=r"^(add|change|delete)_")
            group.permissions.add(*perms)
