"""The business of each transition: checks and records made inside ``perform``'s transaction, before the
state moves. HANDLERS says, for every row of the workflow table, which handler runs (None: the transition
changes the state, the clock and the log only); it is checked complete when this module loads.

A handler takes the locked case, the data the actor gave and the transition's context (``comment``, ``user``,
``spec``); it may restate the comment (a correction request's per-item reasons), leave values for the clock
(``correction_deadline``) and queue work for after the case is saved (``after_save``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from companies.models import Company
from invest.audit import audit
from invest.money import yuan

from .. import workdays, workflow
from ..models import (
    Application,
    Clawback,
    CorrectionItem,
    CorrectionRequest,
    Disbursement,
    NoticeBatch,
    Objection,
    Revision,
)
from ..signals import notice_batch_started
from .common import TransitionRefused, _clean_text, _money


def _material_labels(app: Application) -> dict[str, str]:
    return {m["key"]: str(m.get("label") or m["key"]) for m in (app.item.materials or [])}


def _material_hashes(app: Application) -> dict[str, str]:
    return dict(app.current_materials().values_list("key", "sha256"))


def _check_round_open(app: Application) -> None:
    from policies.selectors import open_rounds

    if not open_rounds().filter(pk=app.round_id).exists():
        raise TransitionRefused(
            "round_closed",
            _("“%(round)s”当前不在申报期内，不能提交。请关注下一批次的申报通知。") % {"round": app.round},
        )


def _evaluate(app: Application):
    from policies.services import evaluate_item

    return evaluate_item(app.item, company=app.company, facts=dict(app.facts or {}))


def _store_evaluation(app: Application, evaluation) -> None:
    if not evaluation.eligible:
        failed = "；".join(str(c.get("message") or c.get("label")) for c in evaluation.criteria if not c.get("passed"))
        raise TransitionRefused(
            "not_eligible", _("按当前申报数据不符合该项目的申报条件：%(failed)s。请核对后修改。") % {"failed": failed}
        )
    app.snapshot = evaluation.snapshot()
    app.computed_amount = _money(evaluation.amount)
    if app.requested_amount is None:
        app.requested_amount = app.computed_amount


def _keep_revision(app: Application, user) -> None:
    """What was submitted, kept as it was: the facts and the hash of each current material."""
    Revision.objects.create(
        application=app, number=app.revision, facts=app.facts, materials=_material_hashes(app), submitted_by=user
    )


def _on_submit(app: Application, data: dict, context: dict) -> None:
    _check_round_open(app)
    _store_evaluation(app, _evaluate(app))
    app.submitted_at = timezone.now()
    _keep_revision(app, context["user"])


def _on_resubmit(app: Application, data: dict, context: dict) -> None:
    previous = app.revisions.order_by("-number").first()
    if previous is None or previous.facts != app.facts:
        # The applicant corrected facts: the corrected statement is evaluated (rules in force now).
        _store_evaluation(app, _evaluate(app))
    app.revision += 1
    _keep_revision(app, context["user"])
    request = app.open_correction()
    request.status = CorrectionRequest.Status.ANSWERED
    request.answered_at = timezone.now()
    request.save(update_fields=["status", "answered_at"])


def _on_request_correction(app: Application, data: dict, context: dict) -> None:
    items = list(data.get("items") or [])
    if not items:
        raise TransitionRefused("items_required", _("补正通知必须逐项列出缺少或有误的材料，请至少选择一项。"))
    labels = _material_labels(app)
    fact_keys = {f["key"] for f in (app.item.form_fields or [])} | set(app.facts or {})
    deadline = data.get("deadline")
    if deadline is None:
        deadline = workdays.WorkingCalendar().add_working_days(workdays.today(), workflow.DEADLINE_DAYS["correction"])
    elif deadline <= workdays.today():
        raise TransitionRefused("invalid_deadline", _("补正期限必须晚于今天。"))
    context["correction_deadline"] = deadline
    general = context["comment"]
    request = CorrectionRequest.objects.create(
        application=app,
        revision=app.revision,
        comment=general,
        deadline=deadline,
        requested_by=context["user"],
    )
    field_labels = {f["key"]: str(f.get("label") or f["key"]) for f in (app.item.form_fields or [])}
    seen, summary = set(), []
    for raw in items:
        kind = raw.get("kind", CorrectionItem.Kind.MATERIAL)
        key = raw["key"]
        known = labels if kind == CorrectionItem.Kind.MATERIAL else fact_keys
        if key not in known or (kind, key) in seen:
            raise TransitionRefused("unknown_item", _("补正事项“%(key)s”不是本项目的材料或申报数据。") % {"key": key})
        seen.add((kind, key))
        label = labels.get(key) if kind == CorrectionItem.Kind.MATERIAL else field_labels.get(key, key)
        note = _clean_text(raw.get("note"))[:500]
        if not note and not general:
            # Each item says what is wrong with it; a general text may stand for items without their own.
            raise TransitionRefused(
                "comment_required", _("请写明“%(label)s”需要怎样补正。") % {"label": label}, item=f"{kind}:{key}"
            )
        summary.append(f"{label}：{note.rstrip('。；;.')}" if note else str(label))
        CorrectionItem.objects.create(
            request=request,
            kind=kind,
            key=key,
            problem=raw.get("problem", CorrectionItem.Problem.FAULTY),
            note=note,
        )
    if not general:
        # The audit row and the applicant's notice carry the reasons, once each.
        context["comment"] = "；".join(summary) + "。"


def _on_lapse(app: Application, data: dict, context: dict) -> None:
    CorrectionRequest.objects.filter(application=app, status=CorrectionRequest.Status.OPEN).update(
        status=CorrectionRequest.Status.LAPSED
    )


def _on_withdraw(app: Application, data: dict, context: dict) -> None:
    CorrectionRequest.objects.filter(application=app, status=CorrectionRequest.Status.OPEN).update(
        status=CorrectionRequest.Status.WITHDRAWN
    )


def _on_send_to_experts(app: Application, data: dict, context: dict) -> None:
    amount = app.computed_amount if data.get("amount") is None else _money(data["amount"])
    if amount is None or (app.computed_amount is not None and amount > app.computed_amount):
        raise TransitionRefused(
            "invalid_amount",
            _("初审金额不能高于测算金额 %(computed)s 元。") % {"computed": yuan(app.computed_amount)},
        )
    if app.computed_amount is not None and amount < app.computed_amount and not context["comment"]:
        raise TransitionRefused("comment_required", _("核减金额时必须写明核减理由。"))
    app.reviewed_amount = amount


def _committed(**filters) -> Any:
    return Application.objects.filter(state__in=workflow.COMMITTED_STATES, **filters)


def _sum(qs) -> Decimal:
    from django.db.models import Sum

    return qs.aggregate(total=Sum("approved_amount"))["total"] or Decimal("0.00")


def _on_approve(app: Application, data: dict, context: dict) -> None:
    """The money rules, checked with the round and company rows locked (see _lock_parents)."""
    if data.get("amount") is None:
        raise TransitionRefused("invalid_amount", _("请填写批准金额。"))
    award = _money(data["amount"])
    if award <= 0:
        raise TransitionRefused("invalid_amount", _("批准金额必须大于零；不予支持的请选择“不予批准”。"))
    ceiling = app.reviewed_amount if app.reviewed_amount is not None else app.computed_amount
    if ceiling is not None and award > ceiling:
        raise TransitionRefused(
            "invalid_amount", _("批准金额不能高于初审金额 %(reviewed)s 元。") % {"reviewed": yuan(ceiling)}
        )
    item, rnd = app.item, app.round
    year = rnd.year
    others = _committed().exclude(pk=app.pk)
    cap = getattr(item, "cap_per_application", None)
    if cap is not None and award > cap:
        raise TransitionRefused("over_cap", _("批准金额超过该项目每项申报上限 %(cap)s 元。") % {"cap": yuan(cap)})
    if getattr(item, "once_per_company", False) and others.filter(company_id=app.company_id, item=item).exists():
        raise TransitionRefused("once_per_company", _("该项目每家企业只能获得一次，本单位已获批过。"))
    payable, prior = award, Decimal("0.00")
    group = getattr(item, "stacking_group", "") or ""
    if group:
        # 就高不重复: for one work only the highest award in the group is paid; a later, higher award
        # pays the difference to what was already committed.
        siblings = [
            a for a in others.filter(company_id=app.company_id, item__stacking_group=group) if a.work == app.work
        ]
        prior = max((_money(a.decision_basis.get("award", a.approved_amount)) for a in siblings), default=prior)
        if award <= prior:
            raise TransitionRefused(
                "stacking_covered",
                _("同一作品已获同类奖励 %(prior)s 元（就高不重复），本次金额不高于已获奖励，不能重复支持。")
                % {"prior": yuan(prior)},
            )
        payable = award - prior
    year_cap = getattr(item, "cap_per_company_year", None)
    if year_cap is not None:
        used = _sum(others.filter(company_id=app.company_id, item=item, round__year=year))
        if used + payable > year_cap:
            raise TransitionRefused(
                "over_cap",
                _("该项目每家企业每年上限 %(cap)s 元，本年度已批 %(used)s 元，本次最多可批 %(left)s 元。")
                % {"cap": yuan(year_cap), "used": yuan(used), "left": yuan(max(year_cap - used, Decimal("0.00")))},
            )
    policy_cap = getattr(rnd.policy, "cap_per_company_year", None)
    if policy_cap is not None:
        used = _sum(others.filter(company_id=app.company_id, round__policy_id=rnd.policy_id, round__year=year))
        if used + payable > policy_cap:
            raise TransitionRefused(
                "over_company_cap",
                _("本政策每家企业每年奖补不超过 %(cap)s 元，本年度已批 %(used)s 元，本次最多可批 %(left)s 元。")
                % {"cap": yuan(policy_cap), "used": yuan(used), "left": yuan(max(policy_cap - used, Decimal("0.00")))},
            )
    used = _sum(others.filter(round=rnd))
    if used + payable > rnd.budget:
        raise TransitionRefused(
            "over_budget",
            _("“%(round)s”预算 %(budget)s 元，已批 %(used)s 元，剩余 %(left)s 元，不足以批准本案件。")
            % {
                "round": rnd,
                "budget": yuan(rnd.budget),
                "used": yuan(used),
                "left": yuan(max(rnd.budget - used, Decimal("0.00"))),
            },
        )
    app.approved_amount = payable
    app.decided_at = timezone.now()
    app.decision_basis = {"award": str(award), "already_paid_in_group": str(prior), "payable": str(payable)}
    batch = data.get("batch")
    if batch is None:
        batch = NoticeBatch.objects.create(
            title=_("%(case)s 拟支持项目公示") % {"case": app.case_number},
            started_by=context["user"],
            ends_on=workdays.WorkingCalendar().add_working_days(
                workdays.today(), workflow.DEADLINE_DAYS["public_notice"]
            ),
        )
        # A batch of one goes out when the case is saved (a bulk approval sends its batch itself).
        context["after_save"].append(
            lambda: notice_batch_started.send(sender=NoticeBatch, batch=batch, actor=context["user"])
        )
    app.notice_batch = batch


def _on_reject(app: Application, data: dict, context: dict) -> None:
    app.decided_at = timezone.now()


def _on_file_objection(app: Application, data: dict, context: dict) -> None:
    context["objection"] = _new_objection(app, data, context["comment"], context["user"])


def _new_objection(app: Application, data: dict, content: str, user) -> Objection:
    name, contact = _clean_text(data.get("name")), _clean_text(data.get("contact"))
    content = _clean_text(content)
    if not name or not contact:
        raise TransitionRefused("name_required", _("异议须实名提出：请填写真实姓名和联系方式，以便核查时与您联系。"))
    if not content:
        raise TransitionRefused("comment_required", _("请写明异议的具体内容和理由。"))
    return Objection.objects.create(application=app, name=name, contact=contact, content=content, filed_by=user)


def _decide_objections(status: str):
    def handler(app: Application, data: dict, context: dict) -> None:
        app.objections.filter(status=Objection.Status.OPEN).update(
            status=status, decided_by=context["user"], decided_at=timezone.now(), decision=context["comment"]
        )
        if status == Objection.Status.UPHELD:
            app.decided_at = timezone.now()

    return handler


def _on_disburse(app: Application, data: dict, context: dict) -> None:
    """One payment: a part, or what is left (the table's decide_target then ends the case in 已拨付)."""
    amount = _money(data.get("amount"))
    remaining = app.remaining_to_disburse
    if amount <= 0 or amount > remaining:
        raise TransitionRefused(
            "invalid_amount",
            _("拨付金额必须大于零且不超过尚未拨付的 %(left)s 元。") % {"left": yuan(remaining)},
        )
    voucher = str(data.get("voucher_number") or "").strip()
    paid_on = data.get("paid_on")
    if not voucher or paid_on is None:
        raise TransitionRefused("voucher_required", _("请填写拨付日期和凭证号。"))
    if Disbursement.objects.filter(voucher_number=voucher).exists():
        raise TransitionRefused("duplicate_voucher", _("凭证号 %(v)s 已登记过，请核对。") % {"v": voucher})
    Disbursement.objects.create(
        application=app, amount=amount, paid_on=paid_on, voucher_number=voucher, recorded_by=context["user"]
    )
    app.disbursed_amount += amount


def _on_claw_back(app: Application, data: dict, context: dict) -> None:
    amount = _money(data.get("amount") or 0)
    if amount > app.disbursed_amount:
        raise TransitionRefused(
            "invalid_amount", _("追回金额不能超过已拨付的 %(paid)s 元。") % {"paid": yuan(app.disbursed_amount)}
        )
    now = workdays.today()
    try:
        banned_until = now.replace(year=now.year + workflow.BAN_YEARS)
    except ValueError:  # 29 February
        banned_until = now.replace(year=now.year + workflow.BAN_YEARS, day=28)
    Clawback.objects.create(
        application=app,
        amount=amount,
        reason=context["comment"],
        banned_until=banned_until,
        recorded_by=context["user"],
    )
    app.reclaimed_amount = amount
    company = Company.objects.get(pk=app.company_id)
    before = company.banned_until
    if before is None or before < banned_until:
        Company.objects.filter(pk=company.pk).update(banned_until=banned_until)
        app.company.banned_until = banned_until
        audit(
            context["user"],
            "company.ban",
            company,
            before={"banned_until": before},
            after={"banned_until": banned_until},
            reason=context["comment"],
            role="manager",
        )


def _on_conclude_notice(app: Application, data: dict, context: dict) -> None:
    """The case is approved: the commitments of its item (applications.obligations) are made and frozen with it."""
    from applications.obligations.services import create_for_case

    create_for_case(app, context["user"])


#: The handler of every transition of the table, by key; None where the transition has no business of its own.
HANDLERS: dict[str, Any] = {
    "submit": _on_submit,
    "withdraw": _on_withdraw,
    "accept": None,
    "request_correction": _on_request_correction,
    "not_accept": None,
    "resubmit": _on_resubmit,
    "lapse": _on_lapse,
    "start_review": None,
    "send_to_experts": _on_send_to_experts,
    "complete_expert_review": None,
    "approve": _on_approve,
    "reject": _on_reject,
    "file_objection": _on_file_objection,
    "uphold_objection": _decide_objections(Objection.Status.UPHELD),
    "dismiss_objection": _decide_objections(Objection.Status.DISMISSED),
    "conclude_notice": _on_conclude_notice,
    "disburse": _on_disburse,
    "archive": None,
    "claw_back": _on_claw_back,
}
workflow.TABLE.require_every_transition(HANDLERS, "HANDLERS (a handler or None)")
