"""Writes of the investment pipeline. Pages, admin and commands all come through here, so a rule is written once."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from companies import uscc
from companies.models import Company
from invest import money as amounts
from invest.audit import EventType, audit, audit_each
from invest.roles import has_role

from . import workflow
from .models import Agreement, FollowUp, Lead, Milestone, PromisedSupport, validate_item_code


class TransitionRefused(Exception):
    """A stage change that cannot happen, with a reason the person can act on and a machine-readable code."""

    def __init__(self, reason: str, code: str):
        super().__init__(reason)
        self.reason = reason
        self.code = code

    def __str__(self) -> str:
        return self.reason


def can_manage(user) -> bool:
    """Leads are followed by managers; superusers stand in for them."""
    return bool(getattr(user, "is_authenticated", False)) and (user.is_superuser or has_role(user, "manager"))


def money(value, label: str) -> Decimal:
    """A non-negative amount in yuan, rounded half-up to the fen; refuses floats and words with a clear reason."""
    try:
        amount = amounts.parse(value)
    except ValueError:
        amount = None
    if amount is None:
        raise TransitionRefused(
            _("“%(label)s”应为以元为单位的金额，例如 5000000.00。") % {"label": label}, "invalid_amount"
        )
    if amount < 0:
        raise TransitionRefused(
            _("“%(label)s”不能为负数，请填写以元为单位的金额。") % {"label": label}, "invalid_amount"
        )
    return amounts.to_fen(amount)


def _occurred_on(data: dict, label: str) -> date:
    on = data.get("on") or timezone.localdate()
    if isinstance(on, str):
        try:
            on = date.fromisoformat(on)
        except ValueError:
            raise TransitionRefused(_("“%(label)s”应为日期，格式如 2026-05-18。") % {"label": label}, "invalid_date")
    if on > timezone.localdate():
        raise TransitionRefused(_("“%(label)s”不能晚于今天，请填写实际发生的日期。") % {"label": label}, "invalid_date")
    return on


def normalized_credit_code(raw: str) -> str:
    """Normalise and validate; raises TransitionRefused with the validator's own Chinese message."""
    code = uscc.normalize(raw or "")
    found = uscc.problems(code)
    if found:
        raise TransitionRefused(found[0], "invalid_credit_code")
    return code


def can(lead: Lead, user, transition: str) -> tuple[bool, str]:
    """Whether `user` may apply `transition` to `lead` now, and if not, why (for buttons, the API and refusals)."""
    spec = workflow.BY_KEY.get(transition)
    if spec is None:
        return False, _("没有“%(key)s”这个操作，请从页面上的按钮中选择。") % {"key": transition}
    if not can_manage(user):
        return False, _("只有招商管理员可以变更线索阶段，请联系管理员办理。")
    if lead.state not in spec.sources:
        allowed = "、".join(workflow.state_label(s) for s in spec.sources)
        return False, _("该线索当前为“%(state)s”，不能“%(action)s”：只有处于%(allowed)s阶段的线索可以这样操作。") % {
            "state": lead.state_label,
            "action": spec.label,
            "allowed": allowed,
        }
    return True, ""


def allowed_transitions(lead: Lead, user) -> list[workflow.LeadTransition]:
    return [t for t in workflow.transitions_from(lead.state) if can(lead, user, t.key)[0]]


def _role(actor) -> str:
    return "manager" if has_role(actor, "manager") else ""


def _snapshot(lead: Lead) -> dict:
    return {
        "state": lead.state,
        "credit_code": lead.credit_code,
        "company": lead.company_id,
        "contacted_on": lead.contacted_on,
        "settled_on": lead.settled_on,
        "lost_reason": lead.lost_reason,
    }


def create_lead(actor, **fields) -> Lead:
    """Register a lead by hand; imports use the resource in importing.py, which records its own history."""
    if not can_manage(actor):
        raise TransitionRefused(_("只有招商管理员可以登记线索。"), "not_your_role")
    if fields.get("credit_code"):
        fields["credit_code"] = normalized_credit_code(fields["credit_code"])
    with transaction.atomic():
        lead = Lead(**fields)
        lead.full_clean()
        lead.save()
        audit(actor, EventType.LEAD_CREATE, lead, after=_snapshot(lead), role=_role(actor))
    return lead


def advance(lead: Lead, transition: str, actor, **data) -> Lead:
    """Move a lead one step along workflow.TRANSITIONS.

    The row is locked for the whole change, so two managers pressing buttons at the same time cannot both
    move it; and the stage the caller saw must still be the stage in the database, otherwise the change is
    refused rather than applied to a lead that moved on under them.

    `state_seen` (optional) is the stage the person saw on their page; by default the stage of `lead` as passed.
    Data by transition: contact(on=date); sign_agreement(committed_investment, signed_on, support_items=[codes
    or dicts], terms, number); settle(credit_code, on=date); lose(reason). Every transition takes `comment`.
    """
    spec = workflow.BY_KEY.get(transition)
    if spec is None:
        raise TransitionRefused(
            _("没有“%(key)s”这个操作，请从页面上的按钮中选择。") % {"key": transition}, "unknown_transition"
        )
    if not can_manage(actor):
        raise TransitionRefused(_("只有招商管理员可以变更线索阶段，请联系管理员办理。"), "not_your_role")

    comment = str(data.get("comment") or "").strip()
    seen = data.get("state_seen") or lead.state
    with transaction.atomic():
        locked = Lead.objects.select_for_update().get(pk=lead.pk)
        if locked.state != seen:
            raise TransitionRefused(
                _("该线索已被他人变更为“%(state)s”，请刷新页面后再操作。") % {"state": locked.state_label},
                "changed_under_you",
            )
        allowed, reason = can(locked, actor, transition)
        if not allowed:
            raise TransitionRefused(reason, "wrong_stage")

        before = _snapshot(locked)
        done = STEPS[spec.key](locked, data) or {}
        comment = comment or done.get("reason", "")
        locked.save()
        agreement = _create_agreement(locked, actor, done["agreement"]) if "agreement" in done else None
        after = _snapshot(locked)
        if agreement is not None:
            after["agreement"] = agreement.pk
        # One entry is the step in the audit log and in the lead's history (selectors.lead_history).
        event = workflow.TABLE.event_type(spec.key)
        audit(actor, event, locked, before=before, after=after, reason=comment, role=_role(actor))
        if spec.needs_credit_code and locked.company_id:
            _audit_link(locked, actor, role=_role(actor))
    return locked


def _not_before_contact(lead: Lead, occurred_on: date, message: str) -> None:
    if lead.contacted_on and occurred_on < lead.contacted_on:
        raise TransitionRefused(message % {"d": lead.contacted_on}, "invalid_date")


def _contact(lead: Lead, data: dict) -> None:
    lead.contact(on=_occurred_on(data, _("接洽日期")))


def _negotiate(lead: Lead, data: dict) -> None:
    lead.negotiate()


def _sign_agreement(lead: Lead, data: dict) -> dict:
    agreement = _agreement_data(data)
    _not_before_contact(lead, agreement["signed_on"], _("签约日期不能早于首次接洽日期（%(d)s），请核对。"))
    lead.sign_agreement()
    return {"agreement": agreement}  # written once the lead is saved


def _settle(lead: Lead, data: dict) -> None:
    raw_code = data.get("credit_code") or lead.credit_code
    if not raw_code:
        raise TransitionRefused(_("确认落地需要填写企业的统一社会信用代码，以便关联企业档案。"), "missing_credit_code")
    code = normalized_credit_code(raw_code)
    occurred_on = _occurred_on(data, _("落地日期"))
    _not_before_contact(lead, occurred_on, _("落地日期不能早于首次接洽日期（%(d)s），请核对。"))
    lead.settle(on=occurred_on, credit_code=code, company=Company.objects.filter(credit_code=code).first())


def _lose(lead: Lead, data: dict) -> dict:
    reason = str(data.get("reason") or "").strip()
    if not reason:
        raise TransitionRefused(_("标记未落地必须写明原因，例如“已选择在其他区县落户”。"), "missing_reason")
    lead.lose(reason=reason)
    return {"reason": reason}


#: What each step of the table does to the lead before it is saved: the checks of its inputs, then the state
#: move. It may return {"reason": …} (recorded when the comment is empty) and {"agreement": …} (the agreement
#: to write once the lead is saved). One function per row of the table, checked below.
STEPS = {
    "contact": _contact,
    "negotiate": _negotiate,
    "sign_agreement": _sign_agreement,
    "settle": _settle,
    "lose": _lose,
}
workflow.TABLE.require_every_transition(STEPS, "investment STEPS")


def _agreement_data(data: dict) -> dict:
    if data.get("committed_investment") in (None, ""):
        raise TransitionRefused(
            _("登记签约需要填写协议约定的投资额（元）；没有投资额的请填 0。"), "missing_committed_investment"
        )
    committed = money(data["committed_investment"], _("承诺投资额"))
    signed_on = data.get("signed_on")
    signed_on = _occurred_on({"on": signed_on}, _("签约日期"))
    items = []
    for item in data.get("support_items") or []:
        entry = {"item_code": item} if isinstance(item, str) else dict(item)
        entry["item_code"] = str(entry.get("item_code", "")).strip().upper()
        try:
            validate_item_code(entry["item_code"])
        except ValidationError as exc:
            raise TransitionRefused(exc.messages[0], "invalid_item_code")
        if entry.get("promised_amount") not in (None, ""):
            entry["promised_amount"] = money(entry["promised_amount"], _("承诺金额上限"))
        else:
            entry["promised_amount"] = None
        items.append(entry)
    codes = [i["item_code"] for i in items]
    if len(codes) != len(set(codes)):
        raise TransitionRefused(
            _("同一扶持项目在一份协议中只能承诺一次，请合并重复的项目编码。"), "duplicate_item_code"
        )
    return {
        "committed_investment": committed,
        "signed_on": signed_on,
        "terms": str(data.get("terms") or "").strip(),
        "number": str(data.get("number") or "").strip(),
        "items": items,
    }


def _create_agreement(lead: Lead, actor, data: dict) -> Agreement:
    agreement = Agreement.objects.create(
        lead=lead,
        number=data["number"],
        committed_investment=data["committed_investment"],
        terms=data["terms"],
        signed_on=data["signed_on"],
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    PromisedSupport.objects.bulk_create(
        PromisedSupport(
            agreement=agreement,
            item_code=i["item_code"],
            promised_amount=i["promised_amount"],
            note=str(i.get("note") or "")[:300],
        )
        for i in data["items"]
    )
    return agreement


def add_agreement(lead: Lead, actor, **data) -> Agreement:
    """A supplementary agreement for a lead already signed or settled (e.g. an added 一企一策 term)."""
    if not can_manage(actor):
        raise TransitionRefused(_("只有招商管理员可以登记协议。"), "not_your_role")
    with transaction.atomic():
        locked = Lead.objects.select_for_update().get(pk=lead.pk)
        if locked.state not in (workflow.AGREEMENT_SIGNED, workflow.SETTLED):
            raise TransitionRefused(
                _("只有已签约或已落地的线索可以补充协议；当前为“%(state)s”，请先“登记签约”。")
                % {"state": locked.state_label},
                "wrong_stage",
            )
        agreement = _create_agreement(locked, actor, _agreement_data(data))
        audit(
            actor,
            EventType.LEAD_ADD_AGREEMENT,
            locked,
            after={"agreement": agreement.pk, "committed_investment": agreement.committed_investment},
            role=_role(actor),
        )
    return agreement


@dataclass(frozen=True)
class LinkResult:
    company: Company
    leads: list[int]


def link_waiting_leads(company: Company, actor=None) -> LinkResult:
    """Link settled leads that carry this company's credit code but no company yet.

    Called by the post_save receiver on Company (signals.py) and safe to call again from any import that
    bypasses signals (bulk_create): leads already linked are left alone.
    """
    code = uscc.normalize(company.credit_code)
    waiting = list(
        Lead.objects.select_for_update().filter(state=workflow.SETTLED, company__isnull=True, credit_code=code)
    )
    for lead in waiting:
        lead.company = company
        lead.save(update_fields=["company", "updated_at"])
        _audit_link(lead, actor)
    return LinkResult(company=company, leads=[lead.pk for lead in waiting])


def _audit_link(lead: Lead, actor, role: str = "") -> None:
    audit(
        actor,
        EventType.LEAD_LINK_COMPANY,
        lead,
        before={"company": None},
        after={"company": lead.company_id},
        role=role,
    )


def link_all_waiting_leads(actor=None) -> list[LinkResult]:
    """Sweep every settled-but-unlinked lead; for imports that wrote companies without post_save."""
    codes = set(
        Lead.objects.filter(state=workflow.SETTLED, company__isnull=True)
        .exclude(credit_code="")
        .values_list("credit_code", flat=True)
    )
    results = []
    with transaction.atomic():
        for company in Company.objects.filter(credit_code__in=codes):
            result = link_waiting_leads(company, actor)
            if result.leads:
                results.append(result)
    return results


def record_imported(leads: Iterable[Lead], actor, source_name: str) -> None:
    """History entries for leads created by an import, one per lead, naming the file (the import itself is
    audited once, by the caller, as EventType.LEAD_IMPORT)."""
    audit_each(actor, EventType.LEAD_IMPORTED, leads, after=lambda lead: {"state": lead.state}, reason=source_name)


# --- after the first contact: the follow-up log and the agreement's milestones ---


def _text(data: dict, name: str, limit: int | None = None) -> str:
    value = str(data.get(name) or "").strip()
    return value[:limit] if limit else value


def _day(value, label: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value or "").strip())
    except ValueError:
        raise TransitionRefused(
            _("“%(label)s”应为日期，例如 2026-03-01。") % {"label": label}, "invalid_date"
        ) from None


def add_follow_up(lead: Lead, actor, **data) -> FollowUp:
    """One visit, call, meeting, assessment or answer, in the lead's follow-up log (and its history).

    ``kind`` is a FollowUp.Kind value, ``on`` the day it happened (not in the future), ``people`` who took
    part and ``notes`` what was said. The log's first contact, assessment and answer stop the response clocks
    (response.CLOCKS)."""
    if not can_manage(actor):
        raise TransitionRefused(_("只有招商管理员可以登记跟进情况。"), "not_your_role")
    kind = str(data.get("kind") or "")
    if kind not in FollowUp.Kind.values:
        raise TransitionRefused(_("请选择跟进方式（走访、电话、会谈、项目研判、答复企业或其他）。"), "invalid_kind")
    on = _day(data.get("on") or timezone.localdate(), _("日期"))
    if on > timezone.localdate():
        raise TransitionRefused(_("跟进日期不能晚于今天，请填写实际发生的日期。"), "future_date")
    notes = _text(data, "notes")
    if not notes:
        raise TransitionRefused(_("请写明跟进情况，例如谈了什么、对方有什么诉求、下一步怎么做。"), "missing_notes")
    with transaction.atomic():
        locked = Lead.objects.select_for_update().get(pk=lead.pk)
        if not locked.is_open:
            raise TransitionRefused(
                _("线索已“%(state)s”，不再登记跟进；签约后的进展请登记在协议里程碑中。")
                % {"state": locked.state_label},
                "closed_lead",
            )
        if locked.created_at and on < timezone.localdate(locked.created_at):
            raise TransitionRefused(_("跟进日期不能早于线索登记日期。"), "before_lead")
        follow_up = FollowUp.objects.create(
            lead=locked,
            kind=kind,
            on=on,
            people=_text(data, "people", 300),
            notes=notes,
            recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        audit(
            actor,
            EventType.LEAD_FOLLOW_UP,
            locked,
            after={"follow_up": follow_up.pk, "kind": kind, "on": on},
            reason=notes,
            role=_role(actor),
        )
    return follow_up


def _signed_agreement(lead: Lead, agreement_id) -> Agreement:
    agreement = Agreement.objects.filter(lead=lead, pk=agreement_id).first() if agreement_id else None
    if agreement is None:
        agreement = lead.agreements.order_by("-signed_on", "-id").first()
    if agreement is None or lead.state not in (workflow.AGREEMENT_SIGNED, workflow.SETTLED):
        raise TransitionRefused(_("签约后才能登记协议里程碑，请先“登记签约”。"), "wrong_stage")
    return agreement


def plan_milestone(lead: Lead, actor, **data) -> Milestone:
    """A milestone the agreement sets (开工, 到资 with its amount, 投产) and its date."""
    if not can_manage(actor):
        raise TransitionRefused(_("只有招商管理员可以登记协议里程碑。"), "not_your_role")
    kind = str(data.get("kind") or "")
    if kind not in Milestone.Kind.values:
        raise TransitionRefused(_("请选择里程碑：开工、到资或投产。"), "invalid_kind")
    planned_on = _day(data.get("planned_on"), _("约定日期"))
    planned_amount = data.get("planned_amount")
    if kind == Milestone.Kind.CAPITAL:
        if planned_amount in (None, ""):
            raise TransitionRefused(_("到资里程碑请填写约定到资金额（元）。"), "missing_amount")
        planned_amount = money(planned_amount, _("约定到资金额（元）"))
    else:
        planned_amount = None
    with transaction.atomic():
        locked = Lead.objects.select_for_update().get(pk=lead.pk)
        agreement = _signed_agreement(locked, data.get("agreement"))
        milestone = Milestone.objects.create(
            agreement=agreement,
            kind=kind,
            planned_on=planned_on,
            planned_amount=planned_amount,
            note=_text(data, "note", 300),
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        audit(
            actor,
            EventType.LEAD_MILESTONE_PLAN,
            locked,
            after={
                "milestone": milestone.pk,
                "agreement": agreement.pk,
                "kind": kind,
                "planned_on": planned_on,
                "planned_amount": planned_amount,
            },
            role=_role(actor),
        )
    return milestone


def reach_milestone(milestone: Milestone, actor, **data) -> Milestone:
    """The day a milestone was reached, and for 到资 the amount that arrived."""
    if not can_manage(actor):
        raise TransitionRefused(_("只有招商管理员可以登记里程碑完成情况。"), "not_your_role")
    reached_on = _day(data.get("reached_on") or timezone.localdate(), _("实际完成日期"))
    if reached_on > timezone.localdate():
        raise TransitionRefused(_("完成日期不能晚于今天。"), "future_date")
    amount = data.get("amount")
    with transaction.atomic():
        locked = Milestone.objects.select_for_update().select_related("agreement__lead").get(pk=milestone.pk)
        if locked.reached_on is not None:
            raise TransitionRefused(_("这个里程碑已登记完成，无需重复登记。"), "already_reached")
        if locked.kind == Milestone.Kind.CAPITAL:
            if amount in (None, ""):
                raise TransitionRefused(_("请填写实际到资金额（元）。"), "missing_amount")
            locked.amount = money(amount, _("实际到资金额（元）"))
        locked.reached_on = reached_on
        locked.save(update_fields=["reached_on", "amount"])
        audit(
            actor,
            EventType.LEAD_MILESTONE_REACHED,
            locked.agreement.lead,
            before={"milestone": locked.pk, "reached_on": None},
            after={"milestone": locked.pk, "kind": locked.kind, "reached_on": reached_on, "amount": locked.amount},
            role=_role(actor),
        )
    return locked
