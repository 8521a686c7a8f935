"""Everything that changes an obligation, a report or a clawback proposal: the pages, the case workflow's
handlers and receivers, the import hook and the daily command all call these.

Each function audits its change (invest.audit) and tells people through invest.notify; a refusal raises
``TransitionRefused`` with a code and a Chinese reason that says what to do, like the case services.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from applications import workdays, workflow
from applications.services.common import TransitionRefused, _actor_user, _clean_text
from companies.models import JIANGJIN
from companies.selectors import member_company_ids, member_users
from invest.audit import EventType, audit
from invest.notify import notify
from invest.roles import CLAWBACK_PROPOSAL_ROLES, OBLIGATION_REVIEW_ROLES, has_role, users_with_roles

from .models import Basis, ClawbackProposal, Kind, Obligation, ObligationReport, ObligationRule

#: Case states in which a company's commitments run (approved and after, until a clawback ends them).
RUNNING_STATES = ("approved", "disbursed", "archived")


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later; the month's last day where it has no such day (31 January + 1 → 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


# ---------------------------------------------------------------------------------------------------- who


def company_members(app) -> list:
    return member_users(app.company_id)


def officers() -> list:
    """Who hears of reports to review and of breaches: the report reviewers."""
    return users_with_roles(*OBLIGATION_REVIEW_ROLES)


def may_review(user) -> tuple[bool, str]:
    if has_role(user, *OBLIGATION_REVIEW_ROLES):
        return True, ""
    return False, str(_("只有初审员或管理员可以审核履约材料。"))


def may_decide_proposal(user) -> tuple[bool, str]:
    if has_role(user, *CLAWBACK_PROPOSAL_ROLES):
        return True, ""
    return False, str(_("追回建议由审定人审定。"))


def _require(check: tuple[bool, str]) -> None:
    ok, reason = check
    if not ok:
        raise TransitionRefused("forbidden", reason)


def obligation_url(obligation: Obligation) -> str:
    return reverse("obligations:detail", args=[obligation.pk])


# ---------------------------------------------------------------------------------------------- creation


def rules_for(app) -> list[ObligationRule]:
    rules = ObligationRule.objects.filter(active=True).filter(Q(item_id=app.item_id) | Q(item__isnull=True))
    return [rule for rule in rules.select_related("item") if rule.applies_to(app)]


def _set_start(obligation: Obligation, start: date) -> None:
    obligation.starts_on = start
    obligation.due_on = add_months(start, obligation.months)


def create_for_case(app, actor=None) -> list[Obligation]:
    """The case's obligations, made from the rules in force at approval (conclude_notice) and frozen there.

    Idempotent: a rule already made into an obligation of this case is skipped. Obligations counted from the
    approval get their due date now; those counted from payment when the first payment is recorded.
    """
    today = workdays.today()
    first_paid = app.disbursements.order_by("paid_on").values_list("paid_on", flat=True).first() if app.pk else None
    made = []
    existing = set(Obligation.objects.filter(application=app).values_list("rule_id", flat=True))
    for rule in rules_for(app):
        if rule.pk in existing:
            continue
        terms = rule.terms()
        obligation = Obligation(
            application=app,
            rule=rule,
            kind=rule.kind,
            label=rule.label,
            description=rule.description,
            upload_label=rule.upload_label if rule.kind != Kind.STAY else "",
            accepted_types=list(rule.accepted_types or []),
            basis=rule.basis,
            months=rule.months,
            terms=terms,
        )
        start = today if rule.basis == Basis.APPROVAL else first_paid
        if start is not None:
            _set_start(obligation, start)
        obligation.save()
        audit(actor, EventType.OBLIGATION_CREATE, obligation, after={**terms, "due_on": obligation.due_on})
        made.append(obligation)
    if made:
        lines = [f"· {o.label}（{_('截止')}：{o.due_text}）" for o in made]
        notify(
            company_members(app),
            event="obligation.created",
            subject=_("【%(case)s】请按期履行扶持资金承诺事项") % {"case": app.case_number},
            body=str(
                _("您的申报“%(title)s”已批准。获得扶持资金后须履行以下事项，可在“我的履约事项”中查看并提交材料：")
                % {"title": app.project_title}
            )
            + "\n"
            + "\n".join(lines),
            application=app,
        )
    return made


def start_payment_clocks(app, actor=None) -> int:
    """After the first payment: the obligations counted from payment get their start and due dates."""
    first_paid = app.disbursements.order_by("paid_on").values_list("paid_on", flat=True).first()
    if first_paid is None:
        return 0
    waiting = list(Obligation.objects.filter(application=app, basis=Basis.PAYMENT, starts_on__isnull=True))
    for obligation in waiting:
        _set_start(obligation, first_paid)
        obligation.save(update_fields=["starts_on", "due_on"])
        audit(actor, EventType.OBLIGATION_DUE, obligation, before={"due_on": None}, after={"due_on": obligation.due_on})
    if waiting:
        notify(
            company_members(app),
            event="obligation.due",
            subject=_("【%(case)s】履约事项截止日已确定") % {"case": app.case_number},
            body="\n".join(f"· {o.label}：{o.due_on:%Y-%m-%d}" for o in waiting),
            application=app,
        )
    return len(waiting)


# ---------------------------------------------------------------------------------------------- reports


def submit_report(obligation: Obligation, actor, *, uploaded_file, note: str = "") -> ObligationReport:
    """The company uploads a report or proof, checked like every material (type by content, size, scan)."""
    from invest.uploads import ALL_KINDS, files_removed_on_failure, random_storage_name, validate_upload

    user = _actor_user(actor)
    with files_removed_on_failure() as store, transaction.atomic(durable=True):
        obligation = Obligation.objects.select_for_update().select_related("application").get(pk=obligation.pk)
        app = obligation.application
        if user is None or app.company_id not in member_company_ids(user):
            raise TransitionRefused("forbidden", _("只有本单位已确认的成员可以提交履约材料。"))
        if not obligation.needs_upload:
            raise TransitionRefused("no_upload", _("该事项由系统按企业名录核对注册和税务登记地，无需上传材料。"))
        if not obligation.may_upload:
            raise TransitionRefused(
                "wrong_status",
                _("该事项当前“%(status)s”，不能再提交材料。") % {"status": obligation.get_status_display()},
            )
        accepted = set(obligation.accepted_types or []) & set(ALL_KINDS) or None
        try:
            detected = validate_upload(uploaded_file, allowed_kinds=accepted)
        except ValidationError as exc:
            code = "scanner_unavailable" if exc.code == "scanner_unavailable" else "invalid_file"
            raise TransitionRefused(code, " ".join(exc.messages))
        stored = store(random_storage_name(detected.kind, prefix="obligations"), uploaded_file)
        report = ObligationReport.objects.create(
            obligation=obligation,
            file=stored,
            original_name=detected.safe_name,
            file_kind=detected.kind,
            size=detected.size,
            sha256=detected.sha256,
            note=_clean_text(note)[:2000],
            uploaded_by=user,
        )
        before = obligation.status
        obligation.status = Obligation.Status.SUBMITTED
        obligation.status_changed_at = timezone.now()
        obligation.save(update_fields=["status", "status_changed_at"])
        audit(
            user,
            EventType.OBLIGATION_REPORT,
            obligation,
            before={"status": before},
            after={"status": obligation.status, "sha256": detected.sha256, "name": detected.safe_name},
            role="applicant",
        )
        notify(
            officers(),
            event="obligation.report",
            subject=_("【%(case)s】履约材料待审核：%(label)s") % {"case": app.case_number, "label": obligation.label},
            body=_("%(company)s 提交了“%(label)s”的材料，请审核。")
            % {"company": app.company.name, "label": obligation.label},
            url=obligation_url(obligation),
        )
    return report


def review_report(report: ObligationReport, actor, *, accept: bool, reason: str = "") -> ObligationReport:
    """An officer accepts the latest report, or returns it with a reason (the company may upload again)."""
    user = _actor_user(actor)
    _require(may_review(user))
    reason = _clean_text(reason)
    if not accept and not reason:
        raise TransitionRefused("comment_required", _("退回时必须写明理由，告诉企业需要怎样修改或补充。"))
    with transaction.atomic():
        obligation = Obligation.objects.select_for_update().select_related("application").get(pk=report.obligation_id)
        report = ObligationReport.objects.get(pk=report.pk)
        latest = obligation.reports.order_by("-uploaded_at", "-pk").first()
        if report.status != ObligationReport.Status.SUBMITTED or latest is None or latest.pk != report.pk:
            raise TransitionRefused("wrong_status", _("这份材料已审核过或已有更新的材料，请刷新页面后查看最新情况。"))
        report.status = ObligationReport.Status.ACCEPTED if accept else ObligationReport.Status.RETURNED
        report.reviewed_by, report.reviewed_at, report.review_reason = user, timezone.now(), reason
        report.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_reason"])
        before = obligation.status
        obligation.status = Obligation.Status.ACCEPTED if accept else Obligation.Status.RETURNED
        obligation.status_changed_at = timezone.now()
        obligation.save(update_fields=["status", "status_changed_at"])
        role = next((r for r in OBLIGATION_REVIEW_ROLES if has_role(user, r)), "")
        audit(
            user,
            EventType.OBLIGATION_ACCEPT if accept else EventType.OBLIGATION_RETURN,
            obligation,
            before={"status": before},
            after={"status": obligation.status, "report": report.pk},
            reason=reason,
            role=role,
        )
        app = obligation.application
        if accept:
            subject = _("【%(case)s】履约材料已通过：%(label)s")
            body = _("您提交的“%(label)s”材料已审核通过。")
        else:
            subject = _("【%(case)s】履约材料被退回：%(label)s")
            body = _("您提交的“%(label)s”材料被退回，请按以下意见修改后重新提交。")
        body = str(body % {"label": obligation.label})
        if reason:
            body = f"{body}\n{_('说明：')}{reason}"
        if not accept and obligation.due_on:
            body = f"{body}\n" + str(_("截止日：%(d)s。") % {"d": obligation.due_on})
        notify(
            company_members(app),
            event="obligation.accept" if accept else "obligation.return",
            subject=subject % {"case": app.case_number, "label": obligation.label},
            body=body,
            url=obligation_url(obligation),
        )
    return report


# --------------------------------------------------------------------------------- breaches and overdue


def _propose(obligation: Obligation, cause: str, reason: str) -> ClawbackProposal | None:
    proposal, created = ClawbackProposal.objects.get_or_create(
        obligation=obligation,
        cause=cause,
        defaults={"application_id": obligation.application_id, "reason": reason},
    )
    if not created:
        return None
    audit(None, EventType.CLAWBACK_PROPOSE, proposal, after={"cause": cause, "status": proposal.status}, reason=reason)
    app = obligation.application
    notify(
        users_with_roles(*CLAWBACK_PROPOSAL_ROLES),
        event="clawback.proposed",
        subject=_("【%(case)s】追回建议待审定") % {"case": app.case_number},
        body=str(_("%(company)s 的“%(label)s”：%(reason)s 请审定是否启动追回程序。"))
        % {"company": app.company.name, "label": obligation.label, "reason": reason},
        url=reverse("obligations:proposals"),
    )
    return proposal


def raise_breach(obligation: Obligation, reason: str, actor=None) -> ClawbackProposal | None:
    """Record a breach of a commitment and put a clawback proposal to the approver."""
    with transaction.atomic():
        obligation = Obligation.objects.select_for_update().select_related("application__company").get(pk=obligation.pk)
        if obligation.status not in Obligation.OPEN_STATUSES:
            return None
        before = obligation.status
        obligation.status = Obligation.Status.BREACHED
        obligation.breach_reason = reason
        obligation.status_changed_at = timezone.now()
        obligation.save(update_fields=["status", "breach_reason", "status_changed_at"])
        audit(
            actor,
            EventType.OBLIGATION_BREACH,
            obligation,
            before={"status": before},
            after={"status": obligation.status},
            reason=reason,
        )
        app = obligation.application
        notify(
            officers(),
            event="obligation.breach",
            subject=_("【%(case)s】违反履约承诺：%(label)s") % {"case": app.case_number, "label": obligation.label},
            body=reason,
            url=obligation_url(obligation),
        )
        return _propose(obligation, ClawbackProposal.Cause.BREACH, reason)


def _district_text(value: str) -> str:
    return value or str(_("（空）"))


def check_registry(company_ids: Iterable[int] | None = None, actor=None) -> int:
    """Breaches of the "stay in 江津区" commitments, from the registry as it is now: a company whose registration
    or tax district is no longer 江津区 while a stay obligation runs. ``company_ids`` limits it to those companies
    (an import names the ones whose districts changed); None checks every running stay obligation."""
    running = Obligation.objects.filter(
        kind=Kind.STAY, status__in=Obligation.OPEN_STATUSES, application__state__in=RUNNING_STATES
    ).select_related("application__company")
    wanted = None if company_ids is None else set(company_ids)
    if wanted is not None and not wanted:
        return 0
    # The few running stays of companies now outside 江津区; the import's list of companies (up to a whole
    # registry) is matched in Python rather than sent as an IN list (SQLite limits a query's parameters).
    running = running.exclude(
        application__company__registration_district=JIANGJIN, application__company__tax_district=JIANGJIN
    )
    count = 0
    for obligation in running:
        company = obligation.application.company
        if wanted is not None and company.pk not in wanted:
            continue
        reason = str(
            _(
                "企业名录显示 %(company)s 的注册区县为“%(reg)s”、税务登记区县为“%(tax)s”，不再均在江津区，违反“%(label)s”的承诺。"
            )
            % {
                "company": company.name,
                "reg": _district_text(company.registration_district),
                "tax": _district_text(company.tax_district),
                "label": obligation.label,
            }
        )
        if raise_breach(obligation, reason, actor) is not None:
            count += 1
    return count


@dataclass
class DailyResult:
    breached: int = 0
    overdue: int = 0
    completed: int = 0


def mark_overdue(today: date | None = None) -> tuple[int, int]:
    """Reports not in by their due date become overdue (with a clawback proposal); stay commitments whose
    period ended without a breach are completed. Idempotent. Returns (overdue, completed)."""
    today = today or workdays.today()
    overdue = 0
    late = Obligation.objects.filter(
        status__in=Obligation.OPEN_STATUSES, due_on__lt=today, application__state__in=RUNNING_STATES
    ).exclude(kind=Kind.STAY)
    for pk in list(late.values_list("pk", flat=True)):
        with transaction.atomic():
            obligation = Obligation.objects.select_for_update().select_related("application__company").get(pk=pk)
            if obligation.status not in Obligation.OPEN_STATUSES:
                continue
            before = obligation.status
            obligation.status = Obligation.Status.OVERDUE
            obligation.status_changed_at = timezone.now()
            obligation.save(update_fields=["status", "status_changed_at"])
            reason = str(
                _("“%(label)s”的截止日 %(due)s 已过，未提交合格的材料。")
                % {"label": obligation.label, "due": obligation.due_on}
            )
            audit(
                None,
                EventType.OBLIGATION_OVERDUE,
                obligation,
                before={"status": before},
                after={"status": obligation.status},
                reason=reason,
            )
            _propose(obligation, ClawbackProposal.Cause.OVERDUE, reason)
            overdue += 1
    completed = 0
    ended = Obligation.objects.filter(
        kind=Kind.STAY, status__in=Obligation.OPEN_STATUSES, due_on__lt=today, application__state__in=RUNNING_STATES
    )
    for obligation in list(ended.select_related("application__company")):
        company = obligation.application.company
        if company.registration_district != JIANGJIN or company.tax_district != JIANGJIN:
            continue  # check_registry raises it as a breach
        with transaction.atomic():
            Obligation.objects.filter(pk=obligation.pk).update(
                status=Obligation.Status.COMPLETED, status_changed_at=timezone.now()
            )
            audit(
                None,
                EventType.OBLIGATION_COMPLETE,
                obligation,
                before={"status": obligation.status},
                after={"status": Obligation.Status.COMPLETED},
            )
        completed += 1
    return overdue, completed


def run_daily(today: date | None = None) -> DailyResult:
    """The daily run (``manage.py check_obligations``): registry breaches first, then overdue and completed."""
    result = DailyResult()
    result.breached = check_registry()
    result.overdue, result.completed = mark_overdue(today)
    return result


# -------------------------------------------------------------------------------------------- proposals


def _decide(proposal: ClawbackProposal, actor, status: str, note: str, event: str) -> ClawbackProposal:
    user = _actor_user(actor)
    _require(may_decide_proposal(user))
    with transaction.atomic():
        proposal = (
            ClawbackProposal.objects.select_for_update().select_related("application", "obligation").get(pk=proposal.pk)
        )
        if proposal.status != ClawbackProposal.Status.OPEN:
            raise TransitionRefused(
                "wrong_status",
                _("该追回建议已审定（%(status)s），请刷新页面。") % {"status": proposal.get_status_display()},
            )
        before = proposal.status
        proposal.status, proposal.decided_by, proposal.decided_at, proposal.decision = (
            status,
            user,
            timezone.now(),
            note,
        )
        proposal.save(update_fields=["status", "decided_by", "decided_at", "decision"])
        audit(user, event, proposal, before={"status": before}, after={"status": status}, reason=note, role="approver")
    return proposal


def forward_proposal(proposal: ClawbackProposal, actor, *, note: str = "") -> ClawbackProposal:
    """The approver sends the proposal on to the case's clawback path (``claw_back``, taken by a manager)."""
    note = _clean_text(note)
    proposal = _decide(proposal, actor, ClawbackProposal.Status.FORWARDED, note, EventType.CLAWBACK_FORWARD)
    app = proposal.application
    body = str(_("审定人同意对“%(title)s”启动追回程序。原因：%(reason)s")) % {
        "title": app.project_title,
        "reason": proposal.reason,
    }
    if note:
        body = f"{body}\n{_('审定意见：')}{note}"
    notify(
        users_with_roles(*workflow.TRANSITION_BY_KEY["claw_back"].roles),
        event="clawback.forwarded",
        subject=_("【%(case)s】请办理资金追回") % {"case": app.case_number},
        body=body,
        url=reverse("obligations:proposal", args=[proposal.pk]),
    )
    return proposal


def dismiss_proposal(proposal: ClawbackProposal, actor, *, reason: str) -> ClawbackProposal:
    """The approver decides not to reclaim, with a reason (kept in the audit log)."""
    reason = _clean_text(reason)
    if not reason:
        raise TransitionRefused("comment_required", _("不予追回时必须写明理由。"))
    proposal = _decide(proposal, actor, ClawbackProposal.Status.DISMISSED, reason, EventType.CLAWBACK_DISMISS)
    notify(
        officers(),
        event="clawback.dismissed",
        subject=_("【%(case)s】追回建议不予追回") % {"case": proposal.application.case_number},
        body=reason,
        url=obligation_url(proposal.obligation),
    )
    return proposal


def close_for_clawback(app, actor=None) -> None:
    """The case's funds were reclaimed (claw_back): its proposals are done, its commitments end."""
    for proposal in ClawbackProposal.objects.filter(
        application=app, status__in=(ClawbackProposal.Status.OPEN, ClawbackProposal.Status.FORWARDED)
    ):
        before = proposal.status
        ClawbackProposal.objects.filter(pk=proposal.pk).update(status=ClawbackProposal.Status.CLAWED_BACK)
        audit(
            actor,
            EventType.CLAWBACK_DONE,
            proposal,
            before={"status": before},
            after={"status": ClawbackProposal.Status.CLAWED_BACK},
        )
    for obligation in Obligation.objects.filter(
        application=app, status__in=(*Obligation.OPEN_STATUSES, Obligation.Status.SUBMITTED)
    ):
        before = obligation.status
        Obligation.objects.filter(pk=obligation.pk).update(
            status=Obligation.Status.CLOSED, status_changed_at=timezone.now()
        )
        audit(actor, EventType.OBLIGATION_CLOSE, obligation, before={"status": before}, after={"status": "closed"})
