"""Reading the audit log for people: which entries match a filter, one page at a time, and how an entry reads.

The log grows to millions of rows (issue 18 measures this page at a million cases), so nothing here counts or
skips rows: a page is found by seeking from the last entry seen, on (at, id) descending (keyset paging), and
each filter is one that an index serves — (target_type, target_id, at) for an object, (actor, at) for a
person, action and at for the rest. The lists of types and actions present are read by hopping from one
distinct value to the next along their indexes, a query per value, not by scanning the table.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from invest.audit import EventType
from invest.models import AuditEntry
from invest.workflow import PUBLIC, SYSTEM

APPLICATION = "applications.application"
#: Entries per page of the viewer.
PAGE_SIZE = 50
#: At most this many entries go into one export (newest first); the file says so in its last row when cut.
EXPORT_CAP = 100_000
#: How long the lists of types and actions present are kept (seconds): a new kind of entry shows up in the
#: selects within this time.
CHOICES_TTL = 300
#: A changed value longer than this is cut on the page (the export keeps the whole JSON).
VALUE_CHARS = 120

#: The select's groups, by how an action key starts (the first that fits), in this order.
ACTION_GROUPS = (
    ("case.", gettext_lazy("申报案件")),
    ("lead.", gettext_lazy("招商线索")),
    ("agreement.", gettext_lazy("招商线索")),
    ("obligation.", gettext_lazy("履约与追回")),
    ("clawback.", gettext_lazy("履约与追回")),
    ("document.", gettext_lazy("文书")),
    ("company", gettext_lazy("企业与成员")),
    ("membership", gettext_lazy("企业与成员")),
    ("policies.", gettext_lazy("政策与扶持事项")),
    ("account.", gettext_lazy("办公账户")),
    ("api_token", gettext_lazy("办公账户")),
)

#: Actions written under a plain key rather than an EventType (companies, accounts, policies, documents): their
#: labels for the viewer. tests/auditlog/test_labels.py fails when the code writes a key that has no label.
OTHER_LABELS = {
    "company_created": gettext_lazy("新建企业档案"),
    "company_profile_updated": gettext_lazy("修改企业信息"),
    "company_registration_requested": gettext_lazy("申请登记企业"),
    "company_registration_resubmitted": gettext_lazy("重新提交企业登记"),
    "company_registration_confirmed": gettext_lazy("确认企业登记"),
    "company_registration_refused": gettext_lazy("退回企业登记"),
    "company_import": gettext_lazy("导入企业档案"),
    "company_import_uploaded": gettext_lazy("上传企业导入文件"),
    "company_import_confirmed": gettext_lazy("确认企业导入"),
    "company_import_discarded": gettext_lazy("放弃企业导入"),
    "company.ban": gettext_lazy("禁止申报（骗取资金）"),
    "membership_requested": gettext_lazy("申请成为企业成员"),
    "membership_confirmed": gettext_lazy("确认企业成员"),
    "membership_refused": gettext_lazy("拒绝成员申请"),
    "membership_ended": gettext_lazy("终止企业成员"),
    "agreement.edit": gettext_lazy("修改协议"),
    "document.issue": gettext_lazy("签发文书"),
    "document.revoke": gettext_lazy("作废文书"),
    "policies.item_created": gettext_lazy("新增扶持事项"),
    "policies.rules_edited": gettext_lazy("修改扶持事项及规则"),
    "policies.matched": gettext_lazy("免申即享匹配"),
    "policies.invitation_started": gettext_lazy("按推送开始申报"),
    "account.created": gettext_lazy("创建办公账户"),
    "account.updated": gettext_lazy("修改办公账户"),
    "account.roles_changed": gettext_lazy("变更账户角色"),
    "account.deactivated": gettext_lazy("停用账户"),
    "account.reactivated": gettext_lazy("恢复账户"),
    "account.password_link_sent": gettext_lazy("发送设置密码链接"),
    "api_token_revoked": gettext_lazy("吊销接口令牌"),
}


def action_labels() -> dict[str, str]:
    """Every action key the code names, with its label: the named event types, both workflows' transitions and
    the plain keys (OTHER_LABELS)."""
    from applications import workflow as cases
    from companies.investment import workflow as leads

    labels = {t.value: str(t.label) for t in EventType}
    for table in (cases.TABLE, leads.TABLE):
        for transition in table.transitions:
            labels.setdefault(table.event_type(transition.key), str(transition.label))
    for key, label in OTHER_LABELS.items():
        labels.setdefault(key, str(label))
    return labels


def action_group(key: str) -> str:
    return next((str(name) for prefix, name in ACTION_GROUPS if key.startswith(prefix)), _("其他"))


def action_label(key: str, labels: dict[str, str] | None = None) -> str:
    labels = action_labels() if labels is None else labels
    return labels.get(key, key)


def _distinct(column: str) -> list[str]:
    """The distinct values of an indexed column, each found by one index seek past the previous one."""
    values: list[str] = []
    rows = AuditEntry.objects.order_by(column).values_list(column, flat=True)
    value = rows.first()
    while value is not None:
        values.append(value)
        value = rows.filter(**{f"{column}__gt": value}).first()
    return values


def present(column: str) -> list[str]:
    """The target types or actions that occur in the log (kept CHOICES_TTL seconds)."""
    assert column in ("target_type", "action")
    key = f"auditlog:present:{column}"
    values = cache.get(key)
    if values is None:
        values = _distinct(column)
        cache.set(key, values, CHOICES_TTL)
    return values


def type_label(target_type: str) -> str:
    """A target type as people name it: the model's verbose name, or the stored key."""
    try:
        return str(apps.get_model(target_type)._meta.verbose_name)
    except (LookupError, ValueError):
        return target_type


def type_choices() -> list[tuple[str, str]]:
    return sorted(((t, f"{type_label(t)}（{t}）") for t in present("target_type")), key=lambda c: c[0])


def action_choices() -> list[tuple[str, Any]]:
    """The select's options: every labelled action and any other key found in the log, grouped by subject."""
    labels = action_labels()
    groups: dict[str, list[tuple[str, str]]] = {}
    for key in sorted(set(labels) | set(present("action"))):
        label = labels.get(key)
        groups.setdefault(action_group(key), []).append((key, f"{label}（{key}）" if label else key))
    order = list(dict.fromkeys([str(name) for _prefix, name in ACTION_GROUPS] + [_("其他")]))
    return [(group, groups[group]) for group in order if group in groups]


# --- the filter -------------------------------------------------------------------------------------------


@dataclass
class Filters:
    """What a valid filter form resolved to: an object, a set of actors, an action, a date range (inclusive)."""

    target_type: str = ""
    target_id: str = ""
    actor_ids: list[int] | None = None
    #: Only what the service recorded by itself (no person: the daily run, a notice issued on a timer).
    system_only: bool = False
    action: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min), timezone.get_default_timezone())


def matching(filters: Filters) -> QuerySet[AuditEntry]:
    """The entries a filter selects, newest first, (at, id) descending."""
    qs = AuditEntry.objects.all()
    if filters.target_type:
        qs = qs.filter(target_type=filters.target_type)
    if filters.target_id:
        qs = qs.filter(target_id=filters.target_id)
    if filters.actor_ids is not None:
        qs = qs.filter(actor_id__in=filters.actor_ids)
    if filters.system_only:
        qs = qs.filter(actor__isnull=True).exclude(actor_role=PUBLIC)
    if filters.action:
        qs = qs.filter(action=filters.action)
    if filters.date_from:
        qs = qs.filter(at__gte=_day_start(filters.date_from))
    if filters.date_to:
        qs = qs.filter(at__lt=_day_start(filters.date_to + dt.timedelta(days=1)))
    return qs.order_by("-at", "-id")


def find_actors(text: str, limit: int = 500) -> list[int]:
    """The accounts whose user name is ``text`` or whose name contains it (from trigram indexes on PostgreSQL,
    invest migration 0005)."""
    from django.contrib.auth import get_user_model

    text = text.strip()
    users = get_user_model().objects.filter(
        Q(username__iexact=text) | Q(first_name__icontains=text) | Q(last_name__icontains=text)
    )
    return list(users.order_by("pk").values_list("pk", flat=True)[:limit])


def find_case(text: str) -> int | None:
    """The case with this case number (JJYS-2026-00012, any case, in either case of letters), or None. Case
    numbers are written in capitals (applications.services.drafts), so the number's unique index finds it."""
    from applications.models import Application

    return Application.objects.filter(case_number=text.strip().upper()).values_list("pk", flat=True).first()


# --- one page ---------------------------------------------------------------------------------------------


@dataclass
class Page:
    entries: list[AuditEntry]
    #: The entry ids to seek from for the older (next) and newer (previous) page, or None at either end.
    next_after: int | None = None
    prev_before: int | None = None


def _cursor(pk: int | None) -> AuditEntry | None:
    if pk is None:
        return None
    return AuditEntry.objects.filter(pk=pk).only("pk", "at").first()


def page(
    qs: QuerySet[AuditEntry], *, after: int | None = None, before: int | None = None, size: int = PAGE_SIZE
) -> Page:
    """The ``size`` entries older than entry ``after`` (or newer than ``before``, or the newest), by seeking.

    The bound on ``at`` alone is repeated beside the (at, id) comparison so that the database can start the
    index scan there instead of reading every newer entry and throwing it away.
    """
    older, newer = _cursor(after), _cursor(before)
    if newer is not None:
        rows = list(
            qs.filter(at__gte=newer.at)
            .filter(Q(at__gt=newer.at) | Q(at=newer.at, id__gt=newer.pk))
            .order_by("at", "id")
            .select_related("actor")[: size + 1]
        )
        more = len(rows) > size
        rows = rows[:size][::-1]
        return Page(rows, next_after=rows[-1].pk if rows else None, prev_before=rows[0].pk if more and rows else None)
    if older is not None:
        qs = qs.filter(at__lte=older.at).filter(Q(at__lt=older.at) | Q(at=older.at, id__lt=older.pk))
    rows = list(qs.select_related("actor")[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    return Page(
        rows,
        next_after=rows[-1].pk if more else None,
        prev_before=rows[0].pk if older is not None and rows else None,
    )


# --- how an entry reads -----------------------------------------------------------------------------------


@dataclass
class Change:
    key: str
    old: str
    new: str


@dataclass
class Row:
    entry: AuditEntry
    actor: str
    role: str
    action: str
    type_label: str
    object_label: str
    object_url: str
    changes: list[Change] = field(default_factory=list)


def actor_name(entry: AuditEntry) -> str:
    """The person, or 公众 (someone not signed in, e.g. an objection to a public notice), or 系统."""
    if entry.actor is None:
        return _("公众") if entry.actor_role == PUBLIC else _("系统")
    return entry.actor.get_full_name() or entry.actor.username


def role_name(key: str) -> str:
    if not key:
        return ""
    if key == SYSTEM:
        return _("系统")
    if key == PUBLIC:
        return _("公众")
    return str(settings.ROLES.get(key, key))


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """A dict's values by dotted key (facts.local_spend); anything else under the prefix (or "值")."""
    if isinstance(value, dict) and value:
        out: dict[str, Any] = {}
        for key, inner in value.items():
            out.update(_flatten(inner, f"{prefix}.{key}" if prefix else str(key)))
        return out
    return {prefix or _("值"): value}


def _states() -> dict[str, str]:
    from applications import workflow as cases
    from companies.investment import workflow as leads

    return {"applications.application": cases.STATE_BY_KEY, "investment.lead": leads.STATE_BY_KEY}


def _show(value: Any, key: str, states: dict | None) -> str:
    if value is _MISSING or value is None:
        return "—"
    if key in ("state", "stage") and states and isinstance(value, str) and value in states:
        return str(states[value].label)
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    if text == "":
        return "“”"
    return text if len(text) <= VALUE_CHARS else text[: VALUE_CHARS - 1] + "…"


_MISSING = object()


def changes(entry: AuditEntry) -> list[Change]:
    """The keys whose value differs between before and after, each as key: old → new (state keys as labels)."""
    before = _flatten(entry.before) if entry.before is not None else {}
    after = _flatten(entry.after) if entry.after is not None else {}
    states = _states().get(entry.target_type)
    out = []
    for key in list(dict.fromkeys([*before, *after])):
        old, new = before.get(key, _MISSING), after.get(key, _MISSING)
        if old == new:
            continue
        out.append(Change(key, _show(old, key, states), _show(new, key, states)))
    return out


def rows(entries: Iterable[AuditEntry]) -> list[Row]:
    """The page's rows: who, in which role, did what to which object, what changed."""
    from applications.models import Application

    entries = list(entries)
    labels = action_labels()
    case_ids = [int(e.target_id) for e in entries if e.target_type == APPLICATION and e.target_id.isdigit()]
    numbers = dict(Application.objects.filter(pk__in=case_ids).values_list("pk", "case_number")) if case_ids else {}
    type_labels: dict[str, str] = {}
    out = []
    for e in entries:
        kind = type_labels.setdefault(e.target_type, type_label(e.target_type))
        label, url = f"#{e.target_id}", ""
        if e.target_type == APPLICATION and e.target_id.isdigit() and int(e.target_id) in numbers:
            label = numbers[int(e.target_id)]
            url = reverse("portal:staff_case", args=[int(e.target_id)])
        out.append(
            Row(
                entry=e,
                actor=actor_name(e),
                # "系统 · 系统" says nothing twice: without a person the role is the actor's name already.
                role="" if e.actor is None and e.actor_role in ("", SYSTEM, PUBLIC) else role_name(e.actor_role),
                action=action_label(e.action, labels),
                type_label=kind,
                object_label=label,
                object_url=url,
                changes=changes(e),
            )
        )
    return out


# --- the export -------------------------------------------------------------------------------------------

EXPORT_HEADER = (
    gettext_lazy("时间"),
    gettext_lazy("操作人"),
    gettext_lazy("角色"),
    gettext_lazy("事项代码"),
    pgettext_lazy("action", "事项"),
    gettext_lazy("对象类型"),
    gettext_lazy("对象编号"),
    gettext_lazy("变更前（JSON）"),
    gettext_lazy("变更后（JSON）"),
    gettext_lazy("理由"),
)


def _json(value: Any) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


def export_rows(qs: QuerySet[AuditEntry], cap: int = EXPORT_CAP) -> Iterator[list[Any]]:
    """The export's rows, newest first, at most ``cap``; a last row says so when there were more."""
    labels = action_labels()
    count = 0
    for e in qs.select_related("actor")[: cap + 1].iterator(chunk_size=2000):
        if count == cap:
            yield [
                _(
                    "（已截断）本文件只含按时间从新到旧的前 %(cap)s 条记录，符合条件的记录更多。"
                    "请缩小筛选范围（对象、操作人、事项或日期）后分批导出。"
                )
                % {"cap": f"{cap:,}"}
            ]
            return
        count += 1
        yield [
            timezone.localtime(e.at).replace(tzinfo=None),
            actor_name(e),
            role_name(e.actor_role),
            e.action,
            action_label(e.action, labels),
            e.target_type,
            e.target_id,
            _json(e.before),
            _json(e.after),
            e.reason,
        ]
