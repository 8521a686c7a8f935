"""``perform``, the one door for state changes, and the questions asked before it: may this user take this
transition on this case now, and if not, why not.

``perform`` runs each transition in one database transaction with the case row locked (and first the rows the
table says the transition locks, always in the order round → company → case so that simultaneous decisions
cannot deadlock), checks the table's rules, runs the transition's handler (effects.HANDLERS), moves the
deadline clock as the table says, appends to the audit log, sends ``case_transitioned`` inside the transaction
and queues the notifications.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransition, TransitionNotAllowed

from companies.models import Company
from invest.audit import audit
from invest.roles import has_role

from .. import workflow
from ..models import Application
from ..rules import may_take
from ..signals import case_transitioned
from .common import TransitionRefused, _actor_user, _clean_text
from .effects import HANDLERS, _material_labels
from .notifications import _notify_transition


def _spec(key: str) -> workflow.Transition:
    try:
        return workflow.TRANSITION_BY_KEY[key]
    except KeyError:
        raise TransitionRefused("unknown_transition", _("没有“%(key)s”这个办理步骤。") % {"key": key})


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
    """Lock the rows the table says the transition reads (a money decision's round and company), in one global
    order: the kinds in workflow.LOCKABLE order, each by id."""
    from policies.models import Round

    models = {"round": (Round, "round_id"), "company": (Company, "company_id")}
    applications = list(applications)
    for kind in workflow.LOCKABLE:
        if kind in spec.locks:
            model, column = models[kind]
            ids = sorted({getattr(a, column) for a in applications})
            list(model.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk"))


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
            refusal = _refusal(locked, user, spec)
            if refusal:
                raise refusal
            comment = _clean_text(data.get("comment"))
            if spec.comment_required and not comment:
                raise TransitionRefused("comment_required", _("办理“%(t)s”必须填写理由或说明。") % {"t": spec.label})
            before = _amounts(locked)
            source = locked.state
            context: dict[str, Any] = {"comment": comment, "user": user, "spec": spec, "after_save": []}
            handler = HANDLERS[spec.key]
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
            spec.deadline.apply(locked, context)
            locked.save()
            for then in context["after_save"]:
                then()
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


def perform_many(
    applications: Iterable[Application], transition: str, actor, **data: Any
) -> list[tuple[Application, TransitionRefused | None]]:
    """A bulk action on a list of cases: each case in its own transaction, a refusal reported per case.

    Only transitions the table marks ``bulk`` are offered this way, and not those it says are taken together
    by another service (``bulk_via``: approval in bulk is ``start_public_notice``).
    """
    spec = _spec(transition)
    if not spec.bulk or spec.bulk_via:
        raise TransitionRefused("not_bulk", _("“%(t)s”不能批量办理。") % {"t": spec.label})
    results: list[tuple[Application, TransitionRefused | None]] = []
    for app in sorted(applications, key=lambda a: a.pk):
        try:
            perform(app, transition, actor, **data)
            results.append((app, None))
        except TransitionRefused as exc:
            results.append((app, exc))
    return results


def record_disbursement(application: Application, actor, *, amount: Any, paid_on: date, voucher_number: str):
    """Finance records a payment; the last one (reaching the approved amount) marks the case disbursed."""
    return perform(application, "disburse", actor, amount=amount, paid_on=paid_on, voucher_number=voucher_number)
