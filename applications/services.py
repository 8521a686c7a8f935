"""Everything that changes a case goes through here: the web pages, the API, the admin and the commands.

``perform`` is the one door for state changes. It runs each transition in one database transaction with
the case row locked (and, for money decisions, the round and the company rows too, always in the order
round → company → case so that simultaneous decisions cannot deadlock), checks the table's rules, applies
the transition's own business (a handler per transition key), moves the deadline clock as the table says,
appends to the audit log, sends ``case_transitioned`` inside the transaction and queues notifications.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransition, TransitionNotAllowed

from companies.models import Company, Membership
from invest.audit import EventType, audit
from invest.formats import yuan
from invest.notify import mark_read, notify
from invest.roles import has_role

from . import workflow
from .models import (
    Application,
    CaseCounter,
    Clawback,
    CorrectionItem,
    CorrectionRequest,
    Disbursement,
    ExpertAssignment,
    Material,
    NoticeBatch,
    Objection,
    Revision,
)
from .rules import may_take
from .signals import case_transitioned, notice_batch_started
from .workdays import WorkingCalendar, today

FEN = Decimal("0.01")
BAN_YEARS = 5


class TransitionRefused(Exception):
    """A refused action, with a stable ``code`` for programs and a translated ``reason`` for people."""

    def __init__(self, code: str, reason: Any, **details: Any) -> None:
        self.code = code
        self.reason = str(reason)
        self.details = details
        super().__init__(f"{code}: {self.reason}")


# --------------------------------------------------------------------------------------------------------
# Permission checks (why not)
# --------------------------------------------------------------------------------------------------------


def _spec(key: str) -> workflow.Transition:
    try:
        return workflow.TRANSITION_BY_KEY[key]
    except KeyError:
        raise TransitionRefused("unknown_transition", _("没有“%(key)s”这个办理步骤。") % {"key": key})


def _actor_user(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def _refusal(application: Application, user, spec: workflow.Transition) -> TransitionRefused | None:
    user = _actor_user(user)
    if spec.automatic:
        if user is not None:
            return TransitionRefused("not_your_role", _("“%(t)s”由系统自动办理，不能手动操作。") % {"t": spec.label})
    elif not spec.public and not may_take(user, application, spec.key):
        if user is not None and "applicant" in spec.roles and has_role(user, "applicant"):
            return TransitionRefused(
                "not_your_case",
                _("您不是该申报单位已确认的成员，不能代其办理。请先申请加入企业并等待管理员确认。"),
            )
        from invest.roles import role_label

        roles = "、".join(str(role_label(r)) for r in spec.roles)
        return TransitionRefused(
            "not_your_role",
            _("“%(t)s”只能由%(roles)s办理，您没有这个角色。") % {"t": spec.label, "roles": roles},
        )
    if application.state not in spec.sources:
        return TransitionRefused(
            "wrong_stage",
            _("案件当前处于“%(state)s”阶段，不能办理“%(t)s”。") % {"state": application.state_label, "t": spec.label},
        )
    for key in spec.conditions:
        condition = workflow.CONDITIONS[key]
        if not condition.check(application):
            reason = condition.reason
            if key == "materials_complete":
                labels = _material_labels(application)
                missing = "、".join(labels.get(k, k) for k in application.missing_materials())
                reason = _("还缺少必需的申报材料：%(missing)s。请上传后再提交。") % {"missing": missing}
            return TransitionRefused(condition.code, reason)
    return None


def can(application: Application, user, transition: str) -> tuple[bool, str]:
    """(allowed, reason): the page shows the reason next to a disabled button, the API returns it."""
    try:
        refusal = _refusal(application, user, _spec(transition))
    except TransitionRefused as exc:
        refusal = exc
    return (refusal is None, "" if refusal is None else refusal.reason)


def allowed_transitions(application: Application, user) -> list[workflow.Transition]:
    """The table rows this user may take on this case now (the buttons to show, the API's allowed actions).

    Uses django-fsm's own view (stage, conditions, permission), which is generated from the same table.
    Automatic transitions are never offered to a person, and public ones (a named objection) belong on the
    public notice page rather than among a case's actions.
    """
    user = _actor_user(user)
    if user is None:
        return []
    available = {t.name for t in application.get_available_user_state_transitions(user)}
    return [t for t in workflow.TRANSITIONS if t.key in available and not t.automatic and not t.public]


# --------------------------------------------------------------------------------------------------------
# perform
# --------------------------------------------------------------------------------------------------------


def _clean_text(value: Any) -> str:
    """Text as typed, without control and format characters (NUL, escape sequences, bidi overrides)."""
    import unicodedata

    text = str(value or "")
    return "".join(ch for ch in text if ch in "\n\t" or not unicodedata.category(ch).startswith("C")).strip()


def _money(value: Any, *, field: str = "amount") -> Decimal:
    try:
        amount = Decimal(str(value)).quantize(FEN, rounding=ROUND_HALF_UP)
    except (InvalidOperation, TypeError, ValueError):
        raise TransitionRefused("invalid_amount", _("请填写正确的金额（元，最多两位小数）。"))
    if amount < 0:
        raise TransitionRefused("invalid_amount", _("金额不能为负数。"))
    return amount


def _acting_role(user, spec: workflow.Transition) -> str:
    if spec.automatic:
        return workflow.SYSTEM
    for role in spec.roles:
        if role in (workflow.SYSTEM, workflow.PUBLIC):
            continue
        if user is not None and has_role(user, role):
            return role
    return workflow.PUBLIC if spec.public else ""


def _lock_parents(spec: workflow.Transition, applications: Iterable[Application]) -> None:
    """Lock the rows a money decision reads, in one global order: rounds, then companies (both by id)."""
    from policies.models import Round

    applications = list(applications)
    if spec.key == "approve":
        round_ids = sorted({a.round_id for a in applications})
        list(Round.objects.select_for_update().filter(pk__in=round_ids).order_by("pk").values_list("pk"))
    if spec.key in ("approve", "claw_back"):
        company_ids = sorted({a.company_id for a in applications})
        list(Company.objects.select_for_update().filter(pk__in=company_ids).order_by("pk").values_list("pk"))


AMOUNT_FIELDS = ("requested_amount", "computed_amount", "reviewed_amount", "approved_amount", "disbursed_amount")


def _amounts(app: Application) -> dict[str, Any]:
    return {f: getattr(app, f) for f in (*AMOUNT_FIELDS, "reclaimed_amount")}


def perform(application: Application, transition: str, actor, *, on: date | None = None, **data: Any) -> Application:
    """Take one transition of the table on a case, or raise TransitionRefused saying why not.

    ``application`` is the case as the actor saw it: if its state changed since (someone else acted
    first), the action is refused with code ``changed_under_you`` rather than applied to a case the actor
    has not seen. The passed instance is refreshed afterwards; the locked, updated instance is returned.
    Data by transition: ``comment``; ``amount``; request_correction ``items`` (list of dicts with
    kind/key/problem/note) and optional ``deadline``; file_objection ``name``, ``contact``; disburse
    ``paid_on``, ``voucher_number``; approve optional ``batch`` (else a batch of one is started).
    ``on`` is the date deadline conditions (correction overdue, notice period over) are judged on;
    default today.
    """
    spec = _spec(transition)
    user = _actor_user(actor)
    try:
        with transaction.atomic():
            _lock_parents(spec, [application])
            locked = (
                Application.objects.select_for_update(of=("self",))
                .select_related("company", "item", "round")
                .get(pk=application.pk)
            )
            if locked.state != application.state:
                raise TransitionRefused(
                    "changed_under_you",
                    _("案件已被他人处理，当前阶段为“%(state)s”。请刷新页面查看最新情况后再操作。")
                    % {"state": locked.state_label},
                )
            if on is not None:
                locked.as_of = on  # read by the workflow's deadline conditions
            if spec.key == "disburse" and "amount" in data:
                remaining = locked.remaining_to_disburse
                if _money(data["amount"]) < remaining:
                    spec = workflow.TRANSITION_BY_KEY["disburse_partial"]
            refusal = _refusal(locked, user, spec)
            if refusal:
                raise refusal
            comment = _clean_text(data.get("comment"))
            if spec.comment_required and not comment:
                raise TransitionRefused("comment_required", _("办理“%(t)s”必须填写理由或说明。") % {"t": spec.label})
            before = _amounts(locked)
            source = locked.state
            context: dict[str, Any] = {"comment": comment, "user": user, "spec": spec}
            handler = HANDLERS.get(spec.key)
            if handler:
                handler(locked, data, context)
                # A handler may state the reason itself (a correction request's per-item reasons).
                comment = context["comment"]
            try:
                getattr(locked, spec.key)()
            except TransitionNotAllowed:
                raise TransitionRefused(
                    "wrong_stage",
                    _("案件当前阶段不能办理“%(t)s”。") % {"t": spec.label},
                )
            _apply_deadline(locked, spec, data, context)
            locked.save()
            after_handler = AFTER_SAVE.get(spec.key)
            if after_handler:
                after_handler(locked, data, context)
            after = _amounts(locked)
            changed = {k: v for k, v in after.items() if before[k] != v}
            audit(
                user,
                workflow.TABLE.event_type(spec.key),
                locked,
                before={"state": source, **{k: before[k] for k in changed}},
                after={"state": locked.state, **changed},
                reason=comment,
                role=_acting_role(user, spec),
            )
            case_transitioned.send(
                sender=Application,
                application=locked,
                transition=spec.key,
                source=source,
                target=locked.state,
                actor=user,
                comment=comment,
                document_kind=spec.document_kind,
            )
            _notify_transition(locked, spec, comment)
    except ConcurrentTransition:
        raise TransitionRefused("changed_under_you", _("案件已被他人处理。请刷新页面查看最新情况后再操作。"))
    application.refresh_from_db()
    return locked


# --------------------------------------------------------------------------------------------------------
# Deadlines
# --------------------------------------------------------------------------------------------------------


def _apply_deadline(app: Application, spec: workflow.Transition, data: dict, context: dict) -> None:
    effect = spec.deadline
    calendar = WorkingCalendar()
    now = today()
    if effect == "start_acceptance":
        app.due_kind, app.due_date = "acceptance", calendar.add_working_days(now, workflow.DEADLINE_DAYS["acceptance"])
        app.paused_working_days = None
        app.overdue_since = None
    elif effect == "pause_for_correction":
        remaining = 0
        if app.due_kind == "acceptance" and app.due_date:
            remaining = calendar.working_days_between(now, app.due_date)
        app.paused_working_days = remaining
        app.due_kind, app.due_date = "correction", context["correction_deadline"]
        app.overdue_since = None
    elif effect == "resume":
        days = app.paused_working_days if app.paused_working_days is not None else workflow.DEADLINE_DAYS["acceptance"]
        app.due_kind, app.due_date = "acceptance", calendar.add_working_days(now, days)
        app.paused_working_days = None
    elif effect == "start_notice":
        app.due_kind = "public_notice"
        app.due_date = calendar.add_working_days(now, workflow.DEADLINE_DAYS["public_notice"])
    elif effect == "stop":
        app.due_kind, app.due_date, app.paused_working_days, app.overdue_since = "", None, None, None
    # "keep" and "hold": the clock is left as it is; an open objection stops conclude_notice by itself.


# --------------------------------------------------------------------------------------------------------
# Handlers: the business of each transition, run inside perform's transaction before the state moves
# --------------------------------------------------------------------------------------------------------


def _material_labels(app: Application) -> dict[str, str]:
    return {m["key"]: str(m.get("label") or m["key"]) for m in (app.item.materials or [])}


def _material_hashes(app: Application) -> dict[str, str]:
    return dict(app.current_materials().values_list("key", "sha256"))


def _check_round_open(app: Application) -> None:
    rnd = app.round
    now = timezone.now()

    def as_dt(value, end: bool) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, datetime):
            return value
        moment = datetime.combine(value + timedelta(days=1) if end else value, datetime.min.time())
        return timezone.make_aware(moment)

    opens, closes = as_dt(getattr(rnd, "opens_at", None), False), as_dt(getattr(rnd, "closes_at", None), True)
    if (opens and now < opens) or (closes and now >= closes):
        raise TransitionRefused(
            "round_closed", _("“%(round)s”当前不在申报期内，不能提交。请关注下一批次的申报通知。") % {"round": rnd}
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


def _on_submit(app: Application, data: dict, context: dict) -> None:
    _check_round_open(app)
    _store_evaluation(app, _evaluate(app))
    app.submitted_at = timezone.now()
    Revision.objects.create(
        application=app,
        number=app.revision,
        facts=app.facts,
        materials=_material_hashes(app),
        submitted_by=context["user"],
    )


def _on_resubmit(app: Application, data: dict, context: dict) -> None:
    previous = app.revisions.order_by("-number").first()
    if previous is None or previous.facts != app.facts:
        # The applicant corrected facts: the corrected statement is evaluated (rules in force now).
        _store_evaluation(app, _evaluate(app))
    app.revision += 1
    Revision.objects.create(
        application=app,
        number=app.revision,
        facts=app.facts,
        materials=_material_hashes(app),
        submitted_by=context["user"],
    )
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
        deadline = WorkingCalendar().add_working_days(today(), workflow.DEADLINE_DAYS["correction"])
    elif deadline <= today():
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


def _on_complete_expert_review(app: Application, data: dict, context: dict) -> None:
    pass


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
            ends_on=WorkingCalendar().add_working_days(today(), workflow.DEADLINE_DAYS["public_notice"]),
        )
        context["started_batch"] = batch
    app.notice_batch = batch


def _after_approve(app: Application, data: dict, context: dict) -> None:
    batch = context.get("started_batch")
    if batch is not None:
        notice_batch_started.send(sender=NoticeBatch, batch=batch, actor=context["user"])


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
    spec = context["spec"]
    amount = _money(data.get("amount"))
    remaining = app.remaining_to_disburse
    if amount <= 0 or amount > remaining:
        raise TransitionRefused(
            "invalid_amount",
            _("拨付金额必须大于零且不超过尚未拨付的 %(left)s 元。") % {"left": yuan(remaining)},
        )
    if spec.key == "disburse" and amount != remaining:
        raise TransitionRefused("invalid_amount", _("本次拨付后仍有余额，请按部分拨付登记。"))
    if spec.key == "disburse_partial" and amount == remaining:
        raise TransitionRefused(
            "invalid_amount",
            _("本次金额等于尚未拨付的 %(left)s 元，拨付后即拨付完毕，请选择“登记拨付（拨付完毕）”。")
            % {"left": yuan(remaining)},
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
    now = today()
    try:
        banned_until = now.replace(year=now.year + BAN_YEARS)
    except ValueError:  # 29 February
        banned_until = now.replace(year=now.year + BAN_YEARS, day=28)
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


HANDLERS = {
    "submit": _on_submit,
    "resubmit": _on_resubmit,
    "request_correction": _on_request_correction,
    "lapse": _on_lapse,
    "withdraw": _on_withdraw,
    "send_to_experts": _on_send_to_experts,
    "complete_expert_review": _on_complete_expert_review,
    "approve": _on_approve,
    "reject": _on_reject,
    "file_objection": _on_file_objection,
    "uphold_objection": _decide_objections(Objection.Status.UPHELD),
    "dismiss_objection": _decide_objections(Objection.Status.DISMISSED),
    "disburse": _on_disburse,
    "disburse_partial": _on_disburse,
    "claw_back": _on_claw_back,
}
AFTER_SAVE = {"approve": _after_approve}


# --------------------------------------------------------------------------------------------------------
# Bulk actions
# --------------------------------------------------------------------------------------------------------


def start_public_notice(
    applications: Iterable[Application],
    actor,
    *,
    amounts: dict[int, Any] | None = None,
    title: str = "",
    comment: str = "",
) -> NoticeBatch:
    """Approve many cases and put them into public notice together, as one batch, or none of them.

    ``amounts`` maps case id → approved amount; a case without one is approved at its reviewed amount.
    A refusal for any case refuses the whole batch and names the case.
    """
    applications = sorted(applications, key=lambda a: a.pk)
    if not applications:
        raise TransitionRefused("empty_batch", _("请至少选择一个案件。"))
    spec = workflow.TRANSITION_BY_KEY["approve"]
    amounts = amounts or {}
    user = _actor_user(actor)
    with transaction.atomic():
        _lock_parents(spec, applications)
        batch = NoticeBatch.objects.create(
            title=title or _("%(date)s 拟支持项目公示") % {"date": today().isoformat()},
            started_by=user,
            ends_on=WorkingCalendar().add_working_days(today(), workflow.DEADLINE_DAYS["public_notice"]),
        )
        for app in applications:
            try:
                perform(
                    app,
                    "approve",
                    actor,
                    amount=amounts.get(app.pk, app.reviewed_amount),
                    comment=comment,
                    batch=batch,
                )
            except TransitionRefused as exc:
                raise TransitionRefused(exc.code, f"{app.case_number}：{exc.reason}", case=app.pk)
        notice_batch_started.send(sender=NoticeBatch, batch=batch, actor=user)
    return batch


def perform_many(
    applications: Iterable[Application], transition: str, actor, **data: Any
) -> list[tuple[Application, TransitionRefused | None]]:
    """A bulk action on a list of cases: each case in its own transaction, a refusal reported per case.

    Only transitions the table marks ``bulk`` are offered this way. Approval in bulk is
    ``start_public_notice`` instead, because a notice batch goes out together or not at all.
    """
    spec = _spec(transition)
    if not spec.bulk or spec.key == "approve":
        raise TransitionRefused("not_bulk", _("“%(t)s”不能批量办理。") % {"t": spec.label})
    results: list[tuple[Application, TransitionRefused | None]] = []
    for app in sorted(applications, key=lambda a: a.pk):
        try:
            perform(app, transition, actor, **data)
            results.append((app, None))
        except TransitionRefused as exc:
            results.append((app, exc))
    return results


def mark_notifications_read(user, ids: Iterable[int] | None = None) -> int:
    """Mark the user's inbox entries read (all, or the given ids). Returns how many changed."""
    return mark_read(user, ids=ids)


def assign_experts(applications: Iterable[Application], experts: Iterable, actor) -> int:
    """Assign experts to one or many cases in preliminary or expert review. Returns new assignments."""
    user = _actor_user(actor)
    if user is None or not has_role(user, "reviewer"):
        raise TransitionRefused("not_your_role", _("只有初审员可以指派评审专家。"))
    experts = list(experts)
    if not experts:
        raise TransitionRefused("no_experts", _("请至少选择一名评审专家。"))
    for expert in experts:
        if not has_role(expert, "expert"):
            raise TransitionRefused("not_an_expert", _("%(user)s 不是评审专家。") % {"user": expert})
    created = 0
    with transaction.atomic():
        for app in sorted(applications, key=lambda a: a.pk):
            locked = Application.objects.select_for_update().get(pk=app.pk)
            if locked.state not in ("preliminary_review", "expert_review"):
                raise TransitionRefused(
                    "wrong_stage",
                    _("%(case)s 当前处于“%(state)s”阶段，不能指派专家。")
                    % {"case": locked.case_number, "state": locked.state_label},
                )
            for expert in experts:
                _assignment, new = ExpertAssignment.objects.get_or_create(
                    application=locked, expert=expert, defaults={"assigned_by": user}
                )
                if new:
                    created += 1
                    audit(user, EventType.CASE_ASSIGN_EXPERT, locked, after={"expert": expert.pk}, role="reviewer")
                    _notify(
                        [expert],
                        locked,
                        "expert_assigned",
                        _("请评审案件 %(case)s") % {"case": locked.case_number},
                        _("您被指派评审“%(title)s”，请登录系统提交评审意见。") % {"title": locked.project_title},
                    )
    return created


def give_opinion(
    application: Application,
    expert,
    *,
    opinion: str,
    score: Any,
    comment: str = "",
    suggested_amount: Any = None,
) -> ExpertAssignment:
    """Record one expert's opinion; when it is the last one, the case moves on to decision by itself."""
    if opinion not in ExpertAssignment.Opinion.values:
        raise TransitionRefused("invalid_opinion", _("请选择评审意见：同意、同意但核减或不同意。"))
    try:
        score = Decimal(str(score))
    except (InvalidOperation, TypeError, ValueError):
        score = None
    if score is None or not (0 <= score <= 100):
        raise TransitionRefused("invalid_score", _("评分须在 0 到 100 之间。"))
    if opinion == ExpertAssignment.Opinion.SUPPORT_WITH_REDUCTION and suggested_amount is None:
        raise TransitionRefused("invalid_amount", _("“同意但核减”须填写建议金额。"))
    if opinion != ExpertAssignment.Opinion.SUPPORT and not str(comment).strip():
        raise TransitionRefused("comment_required", _("核减或不同意时须写明理由。"))
    with transaction.atomic():
        locked = Application.objects.select_for_update().get(pk=application.pk)
        assignment = locked.expert_assignments.filter(expert=expert).first()
        if assignment is None:
            raise TransitionRefused("not_your_case", _("您没有被指派评审此案件。"))
        if locked.state != "expert_review":
            raise TransitionRefused(
                "wrong_stage", _("案件当前处于“%(state)s”阶段，不能提交评审意见。") % {"state": locked.state_label}
            )
        if assignment.answered_at is not None:
            raise TransitionRefused("already_answered", _("您已提交过对本案件的评审意见。"))
        assignment.opinion = opinion
        assignment.score = score
        assignment.comment = str(comment).strip()
        assignment.suggested_amount = None if suggested_amount is None else _money(suggested_amount)
        assignment.answered_at = timezone.now()
        assignment.save()
        audit(
            expert,
            EventType.CASE_EXPERT_OPINION,
            locked,
            after={"opinion": opinion, "score": score, "suggested_amount": assignment.suggested_amount},
            reason=assignment.comment,
            role="expert",
        )
        if workflow.CONDITIONS["all_opinions_in"].check(locked):
            perform(locked, "complete_expert_review", None)
    application.refresh_from_db()
    return assignment


#: The same objection (same case, name, contact and text) filed again within this time is the same objection:
#: a double click, a browser retry or a resubmitted form, not a second person objecting.
OBJECTION_REPEAT_WINDOW = timedelta(minutes=10)


def _repeated_objection(app: Application, name: str, contact: str, content: str) -> Objection | None:
    since = timezone.now() - OBJECTION_REPEAT_WINDOW
    return (
        app.objections.filter(
            name=_clean_text(name), contact=_clean_text(contact), content=_clean_text(content), filed_at__gte=since
        )
        .order_by("id")
        .first()
    )


def file_objection(application: Application, *, name: str, contact: str, content: str, actor=None) -> Objection:
    """Anyone may object during public notice; the first objection holds the case, later ones join it.

    Posting the same objection again within OBJECTION_REPEAT_WINDOW returns the one already filed instead of
    a second row. The case row is locked first, so simultaneous posts queue up behind each other and each sees
    what the one before it stored (PostgreSQL row lock; SQLite writes one transaction at a time).
    """
    with transaction.atomic():
        locked = Application.objects.select_for_update(of=("self",)).get(pk=application.pk)
        repeated = _repeated_objection(locked, name, contact, content)
        if repeated is not None:
            application.refresh_from_db()
            return repeated
        if locked.state == "objection_review":
            objection = _new_objection(locked, {"name": name, "contact": contact}, content.strip(), _actor_user(actor))
            audit(
                _actor_user(actor),
                workflow.TABLE.event_type("file_objection"),
                locked,
                reason=content,
                role=workflow.PUBLIC,
            )
            application.refresh_from_db()
            return objection
        perform(locked, "file_objection", actor, name=name, contact=contact, comment=content)
    application.refresh_from_db()
    return application.objections.order_by("-id").first()


def submit(application: Application, actor, *, pledge: bool) -> Application:
    """The applicant submits a draft, or resubmits after a correction, ticking the integrity pledge (诚信承诺)
    at this very submission.

    The pledge and the submission are one transaction: a refused submission (pledge not ticked, material
    missing, round closed …) leaves the case exactly as it was, with no pledge stored and no audit row.
    """
    key = "resubmit" if application.state == "correction_requested" else "submit"
    if not pledge:
        raise TransitionRefused("pledge_missing", workflow.CONDITIONS["pledge_accepted"].reason)
    with transaction.atomic():
        Application.objects.filter(pk=application.pk, state=application.state).update(
            integrity_pledge_at=timezone.now()
        )
        return perform(application, key, actor)


def record_disbursement(application: Application, actor, *, amount: Any, paid_on: date, voucher_number: str):
    """Finance records a payment; the last one (reaching the approved amount) marks the case disbursed."""
    return perform(application, "disburse", actor, amount=amount, paid_on=paid_on, voucher_number=voucher_number)


# --------------------------------------------------------------------------------------------------------
# Drafts and materials
# --------------------------------------------------------------------------------------------------------


def _require_member(user, company: Company) -> None:
    if user is None or not has_role(user, "applicant"):
        raise TransitionRefused("not_your_role", _("只有申报单位的经办人可以填写申报。"))
    if not Membership.objects.filter(user=user, company=company, status=Membership.Status.CONFIRMED).exists():
        raise TransitionRefused(
            "not_your_case",
            _("您不是该企业已确认的成员，不能代其申报。请先申请加入企业并等待管理员确认。"),
        )


def _next_case_number(year: int) -> str:
    """Case numbers come from a counter row locked in this transaction (the unique case_number has the last word)."""
    CaseCounter.objects.get_or_create(year=year)
    counter = CaseCounter.objects.select_for_update().get(year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"JJYS-{year}-{counter.last:05d}"


def create_draft(
    actor,
    *,
    company: Company,
    item,
    round,
    project_title: str,
    facts: dict | None = None,
    work_key: str = "",
    requested_amount: Any = None,
) -> Application:
    user = _actor_user(actor)
    _require_member(user, company)
    if company.is_banned():
        raise TransitionRefused(
            "company_banned",
            _("本单位因失信被禁止申报至 %(until)s，禁入期内不能申报。") % {"until": company.banned_until},
        )
    if getattr(item, "policy_id", None) and getattr(round, "policy_id", None) and item.policy_id != round.policy_id:
        raise TransitionRefused("wrong_round", _("该扶持项目不属于所选申报批次的政策。"))
    project_title = _clean_text(project_title)
    if not project_title:
        raise TransitionRefused("title_required", _("请填写项目或作品名称。"))
    with transaction.atomic():
        app = Application.objects.create(
            case_number=_next_case_number(today().year),
            company=company,
            item=item,
            round=round,
            project_title=str(project_title).strip(),
            work_key=str(work_key).strip(),
            facts=dict(facts or {}),
            requested_amount=None if requested_amount in (None, "") else _money(requested_amount),
            created_by=user,
        )
        audit(
            user,
            EventType.CASE_CREATE,
            app,
            after={"state": app.state, "item": item.pk, "round": round.pk},
            role="applicant",
        )
    return app


def update_draft(
    application: Application,
    actor,
    *,
    facts: dict | None = None,
    project_title: str | None = None,
    requested_amount: Any = None,
    integrity_pledge: bool | None = None,
) -> Application:
    """Edit a draft; during a correction only the facts the correction notice names may change."""
    user = _actor_user(actor)
    with transaction.atomic():
        app = Application.objects.select_for_update(of=("self",)).select_related("company").get(pk=application.pk)
        _require_member(user, app.company)
        if app.state == "correction_requested":
            if project_title is not None or requested_amount is not None:
                raise TransitionRefused("wrong_stage", _("补正期间只能修改补正通知中列出的事项。"))
            allowed = {i.key: i for i in app.unanswered_correction_items() + _answered_items(app) if i.kind == "fact"}
            changed = {k for k, v in (facts or {}).items() if app.facts.get(k) != v}
            outside = changed - set(allowed)
            if outside:
                raise TransitionRefused(
                    "not_in_correction",
                    _("补正期间只能修改补正通知中列出的事项，以下事项未列出：%(keys)s。")
                    % {"keys": "、".join(sorted(outside))},
                )
            for key in changed:
                CorrectionItem.objects.filter(pk=allowed[key].pk).update(answered=True)
        elif app.state != "draft":
            raise TransitionRefused(
                "wrong_stage", _("案件已提交（当前“%(state)s”），不能再修改。") % {"state": app.state_label}
            )
        before = {"facts": app.facts, "project_title": app.project_title, "requested_amount": app.requested_amount}
        if facts is not None:
            app.facts = {**app.facts, **facts}
        if project_title is not None:
            app.project_title = str(project_title).strip()
        if requested_amount is not None:
            app.requested_amount = _money(requested_amount)
        if integrity_pledge is not None:
            app.integrity_pledge_at = timezone.now() if integrity_pledge else None
        app.save()
        audit(
            user,
            EventType.CASE_UPDATE,
            app,
            before=before,
            after={"facts": app.facts, "project_title": app.project_title, "requested_amount": app.requested_amount},
            role="applicant",
        )
    application.refresh_from_db()
    return app


def _answered_items(app: Application) -> list[CorrectionItem]:
    request = app.open_correction()
    return [i for i in request.items.all() if i.answered] if request else []


def add_material(application: Application, actor, *, key: str, uploaded_file) -> Material:
    """Store one material file through the upload checks; a replacement keeps the older file.

    In a draft any material of the item may be uploaded or replaced; during a correction only those the
    correction notice lists.
    """
    from invest.uploads import (
        ALL_KINDS,
        check_case_total,
        files_removed_on_failure,
        random_storage_name,
        validate_upload,
    )

    user = _actor_user(actor)
    # The file is written before the rows that point to it; if anything after it fails, the transaction
    # rolls back and files_removed_on_failure deletes the file again. Durable: the rollback that matters is
    # this transaction's, not a caller's that could come after the file was kept.
    with files_removed_on_failure() as store, transaction.atomic(durable=True):
        app = (
            Application.objects.select_for_update(of=("self",)).select_related("company", "item").get(pk=application.pk)
        )
        _require_member(user, app.company)
        specs = {m["key"]: m for m in (app.item.materials or [])}
        if key not in specs:
            raise TransitionRefused("unknown_material", _("“%(key)s”不是本项目要求的材料。") % {"key": key})
        correction_item = None
        if app.state == "correction_requested":
            request = app.open_correction()
            correction_item = (
                request.items.filter(kind=CorrectionItem.Kind.MATERIAL, key=key).first() if request else None
            )
            if correction_item is None:
                raise TransitionRefused("not_in_correction", _("补正期间只能重新上传补正通知中列出的材料。"))
        elif app.state != "draft":
            raise TransitionRefused(
                "wrong_stage", _("案件已提交（当前“%(state)s”），不能再更换材料。") % {"state": app.state_label}
            )
        accepted = set(specs[key].get("accepted_types") or []) & set(ALL_KINDS) or None
        try:
            detected = validate_upload(uploaded_file, allowed_kinds=accepted)
            existing = sum(app.current_materials().exclude(key=key).values_list("size", flat=True))
            check_case_total(existing, detected.size)
        except ValidationError as exc:
            # A scanner that cannot be asked is our fault, not the file's: the page and the API say "try later".
            code = "scanner_unavailable" if exc.code == "scanner_unavailable" else "invalid_file"
            raise TransitionRefused(code, " ".join(exc.messages))
        stored = store(random_storage_name(detected.kind), uploaded_file)
        now = timezone.now()
        old = list(app.current_materials().filter(key=key))
        app.current_materials().filter(key=key).update(superseded_at=now)
        material = Material.objects.create(
            application=app,
            key=key,
            revision=app.revision + (1 if app.state == "correction_requested" else 0),
            file=stored,
            original_name=detected.safe_name,
            kind=detected.kind,
            size=detected.size,
            sha256=detected.sha256,
            uploaded_by=user,
        )
        if correction_item is not None:
            CorrectionItem.objects.filter(pk=correction_item.pk).update(answered=True)
        audit(
            user,
            EventType.CASE_MATERIAL,
            app,
            before={"key": key, "sha256": [m.sha256 for m in old]} if old else None,
            after={"key": key, "sha256": detected.sha256, "name": detected.safe_name},
            role="applicant",
        )
    return material


# --------------------------------------------------------------------------------------------------------
# Deadlines (tick_deadlines)
# --------------------------------------------------------------------------------------------------------


@dataclass
class TickResult:
    lapsed: int = 0
    concluded: int = 0
    flagged: int = 0
    unflagged: int = 0
    held: int = 0
    refusals: list[str] = field(default_factory=list)


def tick_deadlines(on: date | None = None) -> TickResult:
    """The daily run: lapse overdue corrections, conclude finished notices, flag overdue acceptances.

    Idempotent: a second run on the same day finds nothing left to do.
    """
    now = on or today()
    result = TickResult()
    for app in Application.objects.filter(state="correction_requested", due_kind="correction", due_date__lt=now):
        try:
            perform(
                app,
                "lapse",
                None,
                on=now,
                comment=str(_("补正期限 %(d)s 已过，未提交补正材料。") % {"d": app.due_date}),
            )
            result.lapsed += 1
        except TransitionRefused:
            pass
    for app in Application.objects.filter(state="public_notice", due_kind="public_notice", due_date__lt=now):
        try:
            perform(app, "conclude_notice", None, on=now)
            result.concluded += 1
        except TransitionRefused as exc:
            result.held += 1
            result.refusals.append(f"{app.case_number}: {exc.reason}")
    overdue = Application.objects.filter(state="submitted", due_kind="acceptance", due_date__lt=now)
    result.flagged = overdue.filter(overdue_since__isnull=True).update(overdue_since=now)
    result.unflagged = (
        Application.objects.filter(overdue_since__isnull=False)
        .exclude(pk__in=overdue.values("pk"))
        .update(overdue_since=None)
    )
    return result


# --------------------------------------------------------------------------------------------------------
# Notifications
# --------------------------------------------------------------------------------------------------------

#: Internal steps the applicant does not need a message about.
APPLICANT_SILENT = frozenset({"start_review", "send_to_experts", "complete_expert_review"})

#: What the applicant is told after each step, as a sentence (a transition's label is an action, "提出异议", and
#: "已" + label read "已提出异议"). Keyed by transition key; every step not in APPLICANT_SILENT has one (checked
#: below, at import).
APPLICANT_MESSAGES: dict[str, Any] = {
    "submit": _("您的申报“%(title)s”（%(case)s）已提交，等待受理员受理。"),
    "withdraw": _("您的申报“%(title)s”（%(case)s）已撤回，办理已终止。"),
    "accept": _("您的申报“%(title)s”（%(case)s）已受理，可在案件页面下载《受理通知书》。"),
    "request_correction": _("您的申报“%(title)s”（%(case)s）需要补正材料，请按《补正通知书》逐项补正后重新提交。"),
    "not_accept": _("您的申报“%(title)s”（%(case)s）不予受理，理由见《不予受理通知书》。"),
    "resubmit": _("您已为申报“%(title)s”（%(case)s）提交补正材料，等待受理员重新审查。"),
    "lapse": _("您的申报“%(title)s”（%(case)s）补正期限已过，未收到补正材料，办理已终止。"),
    "approve": _("您的申报“%(title)s”（%(case)s）已通过审定，正在公示；公示期满无异议即获批准。"),
    "reject": _("您的申报“%(title)s”（%(case)s）未获批准，理由和救济途径见《不予批准决定书》。"),
    "file_objection": _("您的申报“%(title)s”（%(case)s）在公示期间收到异议，公示暂停，审定人正在核查。"),
    "uphold_objection": _("经核查，对您的申报“%(title)s”（%(case)s）提出的异议成立，申报不予批准。"),
    "dismiss_objection": _("经核查，对您的申报“%(title)s”（%(case)s）提出的异议不成立，申报重新公示。"),
    "conclude_notice": _("您的申报“%(title)s”（%(case)s）公示期满，无人提出异议，已获批准。"),
    "disburse_partial": _("已为您的申报“%(title)s”（%(case)s）拨付部分扶持资金。"),
    "disburse": _("您的申报“%(title)s”（%(case)s）的扶持资金已全部拨付。"),
    "archive": _("您的申报“%(title)s”（%(case)s）已办结归档。"),
    "claw_back": _("您的申报“%(title)s”（%(case)s）的扶持资金已追回，本单位五年内不得申报。"),
}
_unspoken = {t.key for t in workflow.TRANSITIONS} - APPLICANT_SILENT - set(APPLICANT_MESSAGES)
if _unspoken or set(APPLICANT_MESSAGES) - set(workflow.TRANSITION_BY_KEY):
    raise ImproperlyConfigured(
        f"APPLICANT_MESSAGES must name every transition the applicant hears about: missing {sorted(_unspoken)}, "
        f"unknown {sorted(set(APPLICANT_MESSAGES) - set(workflow.TRANSITION_BY_KEY))}"
    )


def _applicant_users(app: Application) -> list:
    User = get_user_model()
    return list(
        User.objects.filter(
            memberships__company_id=app.company_id, memberships__status=Membership.Status.CONFIRMED, is_active=True
        ).distinct()
    )


def _queue_users(app: Application) -> list:
    roles = workflow.roles_acting_in(app.state) - {"applicant"}
    if not roles:
        return []
    User = get_user_model()
    return list(User.objects.filter(groups__name__in=roles, is_active=True).distinct())


def _notify(users: Iterable, app: Application | None, event: str, subject: Any, body: Any) -> None:
    """Inbox entries now, e-mail and SMS after the commit: all through ``invest.notify.notify``."""
    notify(users, event=event, subject=str(subject), body=str(body), application=app)


def _notify_transition(app: Application, spec: workflow.Transition, comment: str) -> None:
    state = workflow.STATE_BY_KEY[app.state]
    if spec.key not in APPLICANT_SILENT:
        body = str(APPLICANT_MESSAGES[spec.key] % {"title": app.project_title, "case": app.case_number})
        if comment:
            body = f"{body}\n{_('说明：')}{comment}"
        if app.due_date and app.due_kind == "correction":
            body = f"{body}\n" + str(_("请在 %(d)s 前完成补正。") % {"d": app.due_date})
        _notify(
            _applicant_users(app),
            app,
            f"case.{spec.key}",
            _("【%(case)s】%(state)s") % {"case": app.case_number, "state": state.label},
            body,
        )
    queue = _queue_users(app)
    if queue and spec.target != spec.sources[0]:
        _notify(
            queue,
            app,
            "queue",
            _("待办：%(case)s %(state)s") % {"case": app.case_number, "state": state.label},
            _("案件“%(title)s”已进入“%(state)s”阶段，等待您办理。")
            % {"title": app.project_title, "state": state.label},
        )
