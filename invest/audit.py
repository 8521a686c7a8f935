"""The one way into the audit log: every state change, import, rule edit and document issue calls `audit`."""

from __future__ import annotations

import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

from .models import AuditEntry


def _jsonable(value: Any) -> Any:
    if value is None:
        return None
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False))


def audit(
    actor,
    action: str,
    target,
    *,
    before: Any = None,
    after: Any = None,
    reason: str = "",
    role: str = "",
) -> AuditEntry:
    """Append one record. `target` is a model instance or a (type, id) pair."""
    if isinstance(target, tuple):
        target_type, target_id = target
    else:
        target_type, target_id = target._meta.label_lower, target.pk
    return AuditEntry.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        actor_role=role,
        action=action,
        target_type=str(target_type),
        target_id=str(target_id),
        before=_jsonable(before),
        after=_jsonable(after),
        reason=reason or "",
    )


def trail(target) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(target_type=target._meta.label_lower, target_id=str(target.pk))
        .select_related("actor")
        .order_by("at", "id")
    )
