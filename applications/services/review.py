"""Review work around the transitions: approving many cases into one public notice, assigning experts,
recording their opinions (the last one moves the case on) and public objections."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from invest.audit import EventType, audit
from invest.roles import has_role, users_with_roles

from .. import workdays, workflow
from ..models import Application, ExpertAssignment, NoticeBatch, Objection
from ..signals import notice_batch_started
from .common import TransitionRefused, _actor_user, _clean_text, _money
from .effects import _new_objection
from .notifications import _notify
from .transitions import _lock_parents, perform


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
            title=title or _("%(date)s 拟支持项目公示") % {"date": workdays.today().isoformat()},
            started_by=user,
            ends_on=workdays.WorkingCalendar().add_working_days(
                workdays.today(), workflow.DEADLINE_DAYS["public_notice"]
            ),
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
                assignment, new = ExpertAssignment.objects.get_or_create(
                    application=locked, expert=expert, defaults={"assigned_by": user}
                )
                if not new and not assignment.active:
                    raise TransitionRefused(
                        "expert_recused",
                        _("%(user)s 已就案件 %(case)s 声明利益冲突并回避，请另行指派其他专家。")
                        % {"user": expert.get_full_name() or expert.username, "case": locked.case_number},
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


def declare_interest(application: Application, expert, *, conflict: bool, reason: str = "") -> ExpertAssignment:
    """The expert's conflict-of-interest declaration (利益冲突声明), given before the case's materials open.

    No conflict: the expert may open the materials and give an opinion. A conflict (with a short reason, which
    is required): the assignment is recused — it no longer counts for the review, the expert loses the case —
    and the reviewers are told to assign another expert. Given once; it cannot be changed afterwards.
    """
    reason = _clean_text(reason or "")
    if conflict and not reason:
        raise TransitionRefused("reason_required", _("请简要说明存在的利益冲突（如与申报单位的关系）。"))
    if len(reason) > 500:
        raise TransitionRefused("reason_too_long", _("利益冲突说明请控制在 500 字以内。"))
    with transaction.atomic():
        locked = Application.objects.select_for_update().get(pk=application.pk)
        assignment = locked.expert_assignments.select_for_update().filter(expert=expert).first()
        if assignment is None or not assignment.active:
            raise TransitionRefused("not_your_case", _("您没有被指派评审此案件。"))
        if assignment.declaration:
            raise TransitionRefused("already_declared", _("您已就本案件作出利益冲突声明，不能更改。"))
        now = timezone.now()
        assignment.declared_at = now
        if conflict:
            assignment.declaration = ExpertAssignment.Declaration.CONFLICT
            assignment.conflict_reason = reason
            assignment.recused_at = now
        else:
            assignment.declaration = ExpertAssignment.Declaration.NONE
        assignment.save(update_fields=["declaration", "conflict_reason", "declared_at", "recused_at"])
        audit(
            expert,
            EventType.CASE_EXPERT_RECUSED if conflict else EventType.CASE_EXPERT_DECLARATION,
            locked,
            after={"expert": expert.pk, "declaration": assignment.declaration},
            reason=reason,
            role="expert",
        )
        if conflict:
            name = expert.get_full_name() or expert.username
            _notify(
                users_with_roles("reviewer"),
                locked,
                "expert_recused",
                _("专家回避：%(case)s，请另行指派专家") % {"case": locked.case_number},
                _("专家 %(name)s 就“%(title)s”声明存在利益冲突并已回避（%(reason)s）。请另行指派专家。")
                % {"name": name, "title": locked.project_title, "reason": reason},
            )
    return assignment


def rubric_total(rows: list[dict]) -> Decimal:
    """The total of a scored rubric out of 100: sum(score / maximum × weight) / sum(weight) × 100, in Decimal,
    rounded half-up to 0.01. Each row has ``score``, ``maximum`` and ``weight``."""
    from decimal import ROUND_HALF_UP

    weights = sum((Decimal(str(r["weight"])) for r in rows), Decimal("0"))
    if not rows or weights <= 0:
        raise TransitionRefused("no_rubric", _("本事项没有设置评分标准。"))
    share = sum(
        (Decimal(str(r["score"])) * Decimal(str(r["weight"])) / Decimal(str(r["maximum"])) for r in rows),
        Decimal("0"),
    )
    return (share * 100 / weights).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _scored_rubric(application: Application, scores: dict | None) -> list[dict]:
    """The item's rubric with the expert's score on each criterion (0..maximum), as stored on the assignment."""
    rows = []
    scores = {str(k): v for k, v in (scores or {}).items()}
    for criterion in application.item.rubric.all():
        raw = scores.get(str(criterion.pk))
        try:
            value = Decimal(str(raw).strip())
        except (InvalidOperation, TypeError, ValueError):
            value = None
        if raw in (None, "") or value is None or not value.is_finite() or not (0 <= value <= criterion.maximum):
            raise TransitionRefused(
                "invalid_score",
                _("“%(label)s”的评分须在 0 到 %(max)s 之间。")
                % {"label": criterion.label, "max": f"{criterion.maximum.normalize():f}"},
            )
        rows.append(
            {
                "criterion": criterion.pk,
                "label": criterion.label,
                "weight": str(criterion.weight),
                "maximum": str(criterion.maximum),
                "score": str(value),
            }
        )
    return rows


def give_opinion(
    application: Application,
    expert,
    *,
    opinion: str,
    score: Any = None,
    scores: dict | None = None,
    comment: str = "",
    suggested_amount: Any = None,
) -> ExpertAssignment:
    """Record one expert's opinion; when it is the last one, the case moves on to decision by itself.

    The expert must have declared no conflict of interest first. Where the item has a scoring rubric, ``scores``
    gives a score per criterion (criterion id → 0..maximum) and the total is computed (rubric_total); an item
    without one takes a single ``score`` from 0 to 100.
    """
    if opinion not in ExpertAssignment.Opinion.values:
        raise TransitionRefused("invalid_opinion", _("请选择评审意见：同意、同意但核减或不同意。"))
    rubric = _scored_rubric(application, scores) if application.item.rubric.exists() else []
    if rubric:
        score = rubric_total(rubric)
    else:
        try:
            score = Decimal(str(score))
        except (InvalidOperation, TypeError, ValueError):
            score = None
        if score is None or not score.is_finite() or not (0 <= score <= 100):
            raise TransitionRefused("invalid_score", _("评分须在 0 到 100 之间。"))
    if opinion == ExpertAssignment.Opinion.SUPPORT_WITH_REDUCTION and suggested_amount is None:
        raise TransitionRefused("invalid_amount", _("“同意但核减”须填写建议金额。"))
    if opinion != ExpertAssignment.Opinion.SUPPORT and not str(comment).strip():
        raise TransitionRefused("comment_required", _("核减或不同意时须写明理由。"))
    with transaction.atomic():
        locked = Application.objects.select_for_update().get(pk=application.pk)
        assignment = locked.expert_assignments.filter(expert=expert).first()
        if assignment is None or not assignment.active:
            raise TransitionRefused("not_your_case", _("您没有被指派评审此案件。"))
        if not assignment.cleared:
            raise TransitionRefused(
                "declaration_required", _("请先作出利益冲突声明，声明无利益冲突后才能查看材料并提交评审意见。")
            )
        if locked.state != "expert_review":
            raise TransitionRefused(
                "wrong_stage", _("案件当前处于“%(state)s”阶段，不能提交评审意见。") % {"state": locked.state_label}
            )
        if assignment.answered_at is not None:
            raise TransitionRefused("already_answered", _("您已提交过对本案件的评审意见。"))
        assignment.opinion = opinion
        assignment.score = score
        assignment.scores = rubric
        assignment.comment = str(comment).strip()
        assignment.suggested_amount = None if suggested_amount is None else _money(suggested_amount)
        assignment.answered_at = timezone.now()
        assignment.save()
        audit(
            expert,
            EventType.CASE_EXPERT_OPINION,
            locked,
            after={
                "opinion": opinion,
                "score": score,
                "scores": {r["criterion"]: r["score"] for r in rubric},
                "suggested_amount": assignment.suggested_amount,
            },
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
