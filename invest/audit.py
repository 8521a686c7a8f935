"""The one way into the audit log: every state change, import, rule edit and document issue calls `audit`."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _

from .models import AuditEntry


class EventType(models.TextChoices):
    """The named event types of cases and leads: an entry's ``action`` is one of these, or the event of a
    workflow transition (``transition_event``). The values are stored and the API shows them: never rename one."""

    CASE_CREATE = "case.create", _("创建申报草稿")
    CASE_UPDATE = "case.update", _("保存申报表")
    CASE_MATERIAL = "case.material", _("上传材料")
    CASE_ASSIGN_EXPERT = "case.assign_expert", _("指派评审专家")
    CASE_EXPERT_OPINION = "case.expert_opinion", _("专家提交评审意见")
    CASE_EXPERT_DECLARATION = "case.expert_declaration", _("专家作出利益冲突声明")
    CASE_EXPERT_RECUSED = "case.expert_recused", _("专家声明利益冲突并回避")
    COMPANY_DOCUMENT_UPLOAD = "company.document_upload", _("上传单位证照")
    COMPANY_DOCUMENT_REPLACE = "company.document_replace", _("更换单位证照")
    #: A part payment, before part and last payments became the one ``disburse`` transition of the case table:
    #: entries written then keep their label (and count as state changes: workflow.CaseTable.event_types).
    CASE_DISBURSE_PARTIAL = "case.disburse_partial", _("登记部分拨付")
    LEAD_CREATE = "lead.create", _("登记线索")
    #: One per lead an import created; the import as a whole is LEAD_IMPORT, on the file.
    LEAD_IMPORTED = "lead.imported", _("批量导入")
    LEAD_IMPORT = "lead.import", _("导入线索文件")
    LEAD_EDIT = "lead.edit", _("修改线索")
    LEAD_LINK_COMPANY = "lead.link_company", _("关联企业档案")
    LEAD_ADD_AGREEMENT = "lead.add_agreement", _("登记协议")
    # Obligations and performance reports (applications.obligations), and the clawback proposals they raise.
    OBLIGATION_CREATE = "obligation.create", _("生成履约事项")
    OBLIGATION_DUE = "obligation.due", _("确定履约截止日")
    OBLIGATION_REPORT = "obligation.report", _("提交履约材料")
    OBLIGATION_ACCEPT = "obligation.accept", _("履约材料审核通过")
    OBLIGATION_RETURN = "obligation.return", _("退回履约材料")
    OBLIGATION_OVERDUE = "obligation.overdue", _("履约材料逾期未提交")
    OBLIGATION_BREACH = "obligation.breach", _("违反履约承诺")
    OBLIGATION_COMPLETE = "obligation.complete", _("履约期满")
    OBLIGATION_CLOSE = "obligation.close", _("履约事项终止")
    CLAWBACK_PROPOSE = "clawback.propose", _("提出追回建议")
    CLAWBACK_FORWARD = "clawback.forward", _("追回建议转追回程序")
    CLAWBACK_DISMISS = "clawback.dismiss", _("追回建议不予追回")
    #: The case's funds were reclaimed (claw_back), which settles its open and forwarded proposals.
    CLAWBACK_DONE = "clawback.done", _("资金已追回，追回建议办结")
    LEAD_FOLLOW_UP = "lead.follow_up", _("登记跟进")
    LEAD_MILESTONE_PLAN = "lead.milestone_plan", _("登记协议里程碑")
    LEAD_MILESTONE_REACHED = "lead.milestone_reached", _("里程碑完成")


def transition_event(subject: str, key: str) -> str:
    """The event type of a workflow transition: ``case.submit``, ``lead.settle`` (see invest.workflow.Table)."""
    return f"{subject}.{key}"


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
    entry = _entry(actor, action, target, before=before, after=after, reason=reason, role=role)
    entry.save()
    return entry


def audit_each(actor, action: str, targets: Iterable, *, after: Callable[[Any], Any], reason: str = "", role: str = ""):
    """Append one record per target in one query (an import's created rows); ``after(target)`` is its value."""
    AuditEntry.objects.bulk_create(
        _entry(actor, action, target, after=after(target), reason=reason, role=role) for target in targets
    )


def _entry(actor, action: str, target, *, before: Any = None, after: Any = None, reason: str = "", role: str = ""):
    if isinstance(target, tuple):
        target_type, target_id = target
    else:
        target_type, target_id = target._meta.label_lower, target.pk
    return AuditEntry(
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
