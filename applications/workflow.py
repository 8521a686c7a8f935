"""The review workflow, declared once as data.

Everything else follows from these two tables: the ``@transition`` methods on ``Application`` (models.py),
the permission rules (rules.py), ``allowed_transitions``, ``can`` and ``perform`` (services/transitions.py: each
row's locks, deadline effect and handler), the applicant's notices, the documents issued and revoked, the buttons
a user sees, the API's allowed actions, ``manage.py workflow --json|--mermaid`` and the diagram in docs/workflow.md.

Keys (states, transitions, roles, conditions) are fixed English identifiers and never translated; only the
labels go through gettext, so switching the site language can never strand a case in a state nobody knows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from invest import workflow as base
from invest.workflow import PUBLIC, SYSTEM  # noqa: F401  (the pseudo roles, named once in the base)

from . import deadline_effects as clock

#: Working days of each clock (DOMAIN.md). A correction request may set a different deadline.
DEADLINE_DAYS = {"acceptance": 5, "correction": 10, "public_notice": 5}
#: Years a company may not apply after its support was clawed back (DOMAIN.md: 追回资金并禁入).
BAN_YEARS = 5


def counted(text: Any, **numbers: Any) -> Any:
    """A lazy text with its numbers (working days, years) filled in when it is shown, in the language of the
    moment, so texts take their numbers from DEADLINE_DAYS and BAN_YEARS instead of typing them."""
    return lazy(lambda: str(text) % numbers, str)()


class DeadlineEffect(str):
    """What a transition does to the case's deadline clock: its key (the effect is that string, so the JSON
    description, the docs and DEADLINE_EFFECTS read it as before), what it says (``text``) and the change
    itself, ``apply(case, context)`` (a function of applications.deadline_effects)."""

    text: Any
    apply: Callable[[Any, dict[str, Any]], None]

    def __new__(cls, key: str, text: Any, apply: Callable[[Any, dict[str, Any]], None]) -> DeadlineEffect:
        effect = super().__new__(cls, key)
        effect.text, effect.apply = text, apply
        return effect

    def __getnewargs__(self) -> tuple[str, Any, Callable[[Any, dict[str, Any]], None]]:
        return (str(self), self.text, self.apply)  # copies (and deep copies of a row) keep the effect


KEEP = DeadlineEffect("keep", _("不影响期限"), clock.keep)
START_ACCEPTANCE = DeadlineEffect(
    "start_acceptance",
    counted(_("开始计算受理期限（%(days)s个工作日）"), days=DEADLINE_DAYS["acceptance"]),
    clock.start_acceptance,
)
PAUSE_FOR_CORRECTION = DeadlineEffect(
    "pause_for_correction",
    counted(_("受理期限暂停，开始计算补正期限（默认%(days)s个工作日）"), days=DEADLINE_DAYS["correction"]),
    clock.pause_for_correction,
)
RESUME = DeadlineEffect("resume", _("补正完成，受理期限恢复计算（剩余工作日）"), clock.resume)
START_NOTICE = DeadlineEffect(
    "start_notice",
    counted(_("开始（或重新开始）公示期（%(days)s个工作日）"), days=DEADLINE_DAYS["public_notice"]),
    clock.start_notice,
)
HOLD = DeadlineEffect("hold", _("公示期因异议暂停"), clock.keep)
STOP = DeadlineEffect("stop", _("停止计时"), clock.stop)

#: What each effect on the deadline clock says, by its key.
DEADLINE_EFFECTS: dict[str, Any] = {
    e: e.text for e in (KEEP, START_ACCEPTANCE, PAUSE_FOR_CORRECTION, RESUME, START_NOTICE, HOLD, STOP)
}

#: The rows a transition locks before the case, in this order (rounds, then companies, each by id), so that
#: simultaneous money decisions cannot deadlock: ``round`` for the budget, ``company`` for its caps and ban.
LOCKABLE = ("round", "company")

#: An entry's ``applicant_notice`` left undeclared (the table check refuses it): say a text, a dict by arrival
#: state, or None for a step the applicant is not told about.
UNDECLARED: Any = type("Undeclared", (), {"__repr__": lambda self: "UNDECLARED"})()


#: The kinds of input a transition may ask for; applications.portal.forms and applications.api.serializers
#: each map every kind to their field (a web form field, a DRF serializer field).
INPUT_KINDS = ("text", "line", "amount", "date", "correction_items")


@dataclass(frozen=True)
class Input:
    """One thing the actor gives when taking a transition. The web form (portal.forms.TransitionForm) and the
    API's request serializer (api.serializers.transition_request_serializer) are both built from these.

    ``required`` is the web form's: the API takes every input as optional and leaves the check to the services,
    which refuse with a code (``comment_required``, ``voucher_required``…)."""

    name: str
    kind: str
    label: Any = ""
    required: bool = False
    help: Any = ""
    #: What the OpenAPI schema says of the field (English), after the keys of the transitions that read it.
    api_help: str = ""
    max_length: int | None = None
    #: The case attribute the web form prefills the field with (e.g. ``remaining_to_disburse``), or None.
    initial: str | None = None
    #: The web form's error messages by code (required, invalid…).
    messages: dict[str, Any] = field(default_factory=dict, compare=False)
    #: An amount below this case attribute needs a reason in the comment (a reduction, 核减); the message says so.
    reason_below: str | None = None
    reason_below_message: Any = ""


def comment_input(spec: Transition) -> Input:
    """The comment every transition takes: required when the table says the actor must give a reason."""
    return Input(
        "comment",
        "text",
        _("理由或说明") if spec.comment_required else _("说明（可选）"),
        required=spec.comment_required,
        max_length=5000,
        messages={"required": _("办理这一步必须写明理由，请填写。")},
    )


@dataclass(frozen=True)
class State(base.State):
    """A case state (key, label, terminal, label_en: see invest.workflow.State) and its place in the stepper."""

    #: The short name of the step in the applicant's progress stepper (提交 → 受理 → … → 归档), for the states
    #: of the main path, in the order of this table; "" for the others.
    step: Any = ""
    #: A detour off the main path (补正, 异议核查): shown in the stepper after the step it leaves from, only when
    #: the case went through it.
    detour: bool = False
    #: What happens next, and who is waiting on whom, as the applicant reads it on the case page.
    next_step: Any = ""


@dataclass(frozen=True)
class Transition(base.Transition):
    """A case transition: the common fields (key, sources, target, roles, label, comment_required, confirm,
    label_en: see invest.workflow.Transition) and what it does to the case."""

    #: Which amount field the transition sets from the ``amount`` the actor gives, or None.
    amount: str | None = None
    #: What it does to the deadline clock (one of the DeadlineEffect constants above).
    deadline: DeadlineEffect = KEEP
    #: Which numbered document the documents app issues for it (see applications.signals).
    document_kind: str | None = None
    #: Which kinds of document it revokes, when issued before (documents.receivers).
    revokes: tuple[str, ...] = ()
    #: What the applicant is told afterwards, as a sentence with %(title)s and %(case)s (and %(years)s, the
    #: ban): a text, a dict by arrival state for a transition that decides its target, or None for a step the
    #: applicant is not told about. Every row says which (see UNDECLARED).
    applicant_notice: Any = field(default=UNDECLARED, compare=False)
    #: Keys of CONDITIONS that must hold before the transition may run.
    conditions: tuple[str, ...] = ()
    #: The rows locked before the case (see LOCKABLE).
    locks: tuple[str, ...] = ()
    #: What the page says besides the arrival state, the clock and the document, before the actor confirms.
    explanation: Any = ""
    #: The applicant's submission from its source state (提交 a draft, 提交补正材料 after a correction): taken with
    #: the integrity pledge ticked at that moment (services.submit), behind the page's one submit button.
    submission: bool = False
    #: Offered as a bulk action on lists of cases.
    bulk: bool = False
    #: For a bulk transition taken on many cases together rather than case by case: the service that does it
    #: (approval in bulk is ``start_public_notice``, because a notice batch goes out together or not at all).
    bulk_via: str = ""
    #: What the actor gives, besides the comment (which every transition takes; declare an Input named
    #: "comment" to word it differently). See Input.
    inputs: tuple[Input, ...] = ()

    @property
    def all_inputs(self) -> tuple[Input, ...]:
        """The declared inputs, then the comment (unless declared among them): the web form's order."""
        if any(i.name == "comment" for i in self.inputs):
            return self.inputs
        return (*self.inputs, comment_input(self))

    def notice_for(self, target: str) -> Any:
        """What the applicant is told after this transition ended in ``target`` (None: nothing)."""
        notice = self.applicant_notice
        return notice.get(target) if isinstance(notice, dict) else notice

    def applicant_sentence(self, target: str, *, title: str, case: str) -> str | None:
        """The applicant's sentence, with the case and the numbers of the table filled in."""
        notice = self.notice_for(target)
        return None if notice is None else str(notice) % {"title": title, "case": case, "years": BAN_YEARS}

    described: ClassVar[tuple[str, ...]] = (
        "automatic",
        "comment_required",
        "amount",
        "deadline",
        "document_kind",
        "conditions",
        "submission",
        "bulk",
        "confirm",
        "other_targets",
        "revokes",
        "locks",
        "bulk_via",
    )


STATES: tuple[State, ...] = (
    State("draft", _("草稿"), label_en="Draft", next_step=_("等待您填写申报表、上传材料并确认诚信承诺后提交")),
    State(
        "submitted",
        _("已提交"),
        label_en="Submitted",
        step=pgettext_lazy("progress step", "提交"),
        next_step=_("等待受理员受理"),
    ),
    State(
        "correction_requested",
        _("待补正"),
        label_en="Correction requested",
        step=pgettext_lazy("progress step", "补正"),
        detour=True,
        next_step=_("等待您补正材料"),
    ),
    State(
        "not_accepted",
        _("不予受理"),
        terminal=True,
        label_en="Not accepted",
        next_step=_("本申报不予受理，办理已终止；理由见《不予受理通知书》"),
    ),
    State(
        "accepted",
        _("已受理"),
        label_en="Accepted",
        step=pgettext_lazy("progress step", "受理"),
        next_step=_("等待初审员开始初审"),
    ),
    State(
        "preliminary_review",
        _("初审中"),
        label_en="Preliminary review",
        step=pgettext_lazy("progress step", "初审"),
        next_step=_("等待初审员完成初审"),
    ),
    State(
        "expert_review",
        _("联审/专家评审中"),
        label_en="Expert review",
        step=pgettext_lazy("progress step", "专家评审"),
        next_step=_("等待评审专家提交评审意见"),
    ),
    State(
        "pending_decision",
        _("待审定"),
        label_en="Pending decision",
        step=pgettext_lazy("progress step", "审定"),
        next_step=_("等待审定人审定"),
    ),
    State(
        "public_notice",
        _("公示中"),
        label_en="Public notice",
        step=pgettext_lazy("progress step", "公示"),
        next_step=_("正在公示，公示期满无异议后签发审批决定书"),
    ),
    State(
        "objection_review",
        _("异议核查"),
        label_en="Objection review",
        step=pgettext_lazy("progress step", "异议核查"),
        detour=True,
        next_step=_("公示暂停（异议核查中），等待审定人核查异议"),
    ),
    State(
        "approved",
        _("已批准"),
        label_en="Approved",
        step=pgettext_lazy("progress step", "批准"),
        next_step=_("等待财务拨付资金"),
    ),
    State(
        "disbursed",
        _("已拨付"),
        label_en="Disbursed",
        step=pgettext_lazy("progress step", "拨付"),
        next_step=_("资金已拨付完毕，等待管理员归档"),
    ),
    State(
        "archived",
        _("已归档"),
        terminal=True,
        label_en="Archived",
        step=pgettext_lazy("progress step", "归档"),
        next_step=_("案件已办结归档"),
    ),
    State(
        "rejected",
        _("不予批准"),
        terminal=True,
        label_en="Rejected",
        next_step=_("本申报不予批准，办理已终止；理由和救济途径见《不予批准决定书》"),
    ),
    State("withdrawn", _("已撤回"), terminal=True, label_en="Withdrawn", next_step=_("本申报已撤回，办理已终止")),
    State(
        "lapsed",
        _("逾期未补正"),
        terminal=True,
        label_en="Lapsed",
        next_step=_("补正期限已过，未提交补正材料，办理已终止"),
    ),
    State(
        "clawed_back",
        _("已追回"),
        terminal=True,
        label_en="Clawed back",
        next_step=counted(_("扶持资金已追回，本单位%(years)s年内不得申报"), years=BAN_YEARS),
    ),
)


def _amount(label: Any, *, initial: str | None = None, required: bool = True, **more: Any) -> Input:
    return Input(
        "amount",
        "amount",
        label,
        required=required,
        initial=initial,
        messages={"required": _("请填写金额（元）。")} if required else {},
        api_help="the amount in yuan (元).",
        **more,
    )


#: What finance gives for a payment.
_PAYMENT = (
    Input(
        "paid_on",
        "date",
        _("拨付日期"),
        required=True,
        api_help="payment date.",
        messages={"required": _("请填写拨付日期。"), "invalid": _("请按 2026-01-31 的格式填写日期。")},
    ),
    Input(
        "voucher_number",
        "line",
        _("凭证号"),
        required=True,
        max_length=60,
        api_help="payment voucher number.",
        messages={"required": _("请填写付款凭证号。")},
    ),
)


def _paid_in_full_or_not(app, *args: Any, **kwargs: Any) -> str:
    """Where a payment leaves the case (asked after it was added to the disbursed amount)."""
    return "disbursed" if app.remaining_to_disburse <= 0 else "approved"


_BEFORE_DECISION = ("draft", "submitted", "correction_requested", "accepted", "preliminary_review", "expert_review")

TRANSITIONS: tuple[Transition, ...] = (
    Transition(
        "submit",
        ("draft",),
        "submitted",
        ("applicant",),
        _("提交申报"),
        deadline=START_ACCEPTANCE,
        conditions=("company_not_banned", "materials_complete", "pledge_accepted"),
        submission=True,
        label_en="Submit",
        applicant_notice=_("您的申报“%(title)s”（%(case)s）已提交，等待受理员受理。"),
    ),
    Transition(
        "withdraw",
        _BEFORE_DECISION,
        "withdrawn",
        ("applicant",),
        _("撤回申报"),
        deadline=STOP,
        confirm=True,
        label_en="Withdraw",
        applicant_notice=_("您的申报“%(title)s”（%(case)s）已撤回，办理已终止。"),
    ),
    Transition(
        "accept",
        ("submitted",),
        "accepted",
        ("clerk",),
        _("受理"),
        deadline=STOP,
        document_kind="acceptance_notice",
        confirm=True,
        label_en="Accept",
        applicant_notice=_("您的申报“%(title)s”（%(case)s）已受理，可在案件页面下载《受理通知书》。"),
    ),
    Transition(
        "request_correction",
        ("submitted",),
        "correction_requested",
        ("clerk",),
        _("通知补正"),
        # Each item of the notice carries its own reason (services.effects._on_request_correction checks them).
        deadline=PAUSE_FOR_CORRECTION,
        document_kind="correction_notice",
        confirm=True,
        label_en="Request correction",
        applicant_notice=_("您的申报“%(title)s”（%(case)s）需要补正材料，请按《补正通知书》逐项补正后重新提交。"),
        inputs=(
            Input(
                "items",
                "correction_items",
                _("需要补正的材料或数据（可多选）"),
                required=True,
                api_help="what to correct.",
                messages={"required": _("请至少勾选一项需要补正的材料或数据。")},
            ),
            Input(
                "deadline",
                "date",
                _("补正期限"),
                help=counted(_("留空按%(days)s个工作日计算。"), days=DEADLINE_DAYS["correction"]),
                api_help=f"deadline (default {DEADLINE_DAYS['correction']} working days).",
            ),
            Input("comment", "text", _("补充说明（可选）"), max_length=5000),
        ),
    ),
    Transition(
        "not_accept",
        ("submitted",),
        "not_accepted",
        ("clerk",),
        _("不予受理"),
        comment_required=True,
        deadline=STOP,
        document_kind="not_accepted_notice",
        confirm=True,
        label_en="Do not accept",
        applicant_notice=_("您的申报“%(title)s”（%(case)s）不予受理，理由见《不予受理通知书》。"),
    ),
    Transition(
        "resubmit",
        ("correction_requested",),
        "submitted",
        ("applicant",),
        _("提交补正材料"),
        deadline=RESUME,
        conditions=("company_not_banned", "corrections_answered", "materials_complete"),
        submission=True,
        label_en="Resubmit",
        applicant_notice=_("您已为申报“%(title)s”（%(case)s）提交补正材料，等待受理员重新审查。"),
    ),
    Transition(
        "lapse",
        ("correction_requested",),
        "lapsed",
        (SYSTEM,),
        _("逾期未补正"),
        deadline=STOP,
        conditions=("correction_overdue",),
        label_en="Lapse",
        applicant_notice=_("您的申报“%(title)s”（%(case)s）补正期限已过，未收到补正材料，办理已终止。"),
    ),
    Transition(
        "start_review",
        ("accepted",),
        "preliminary_review",
        ("reviewer",),
        _("开始初审"),
        label_en="Start review",
        applicant_notice=None,
    ),
    Transition(
        "send_to_experts",
        ("preliminary_review",),
        "expert_review",
        ("reviewer",),
        _("初审完成，提交专家评审"),
        amount="reviewed_amount",
        conditions=("experts_assigned",),
        bulk=True,
        label_en="Send to experts",
        explanation=_("全部专家提交意见后自动转入审定。"),
        applicant_notice=None,
        inputs=(
            _amount(
                _("初审金额（元）"),
                initial="computed_amount",
                reason_below="computed_amount",
                reason_below_message=_("初审金额 %(amount)s 元低于测算金额 %(computed)s 元（核减），请写明核减理由。"),
            ),
            # The service refuses a reduction without a reason: the label says so before anyone tries.
            Input(
                "comment",
                "text",
                _("说明（核减时必填）"),
                help=_("初审金额低于测算金额（核减）时，请写明核减理由。"),
                max_length=5000,
            ),
        ),
    ),
    Transition(
        "complete_expert_review",
        ("expert_review",),
        "pending_decision",
        (SYSTEM,),
        _("专家评审完成"),
        conditions=("all_opinions_in",),
        label_en="Expert review complete",
        applicant_notice=None,
    ),
    Transition(
        "approve",
        ("pending_decision",),
        "public_notice",
        ("approver",),
        _("审定通过并公示"),
        amount="approved_amount",
        deadline=START_NOTICE,
        # No document of its own: the batch's public-notice list (公示名单) is issued by start_public_notice
        # (notice_batch_started); the approval decision waits until the notice period ends (conclude_notice).
        bulk=True,
        confirm=True,
        label_en="Approve and publish notice",
        applicant_notice=_("您的申报“%(title)s”（%(case)s）已通过审定，正在公示；公示期满无异议即获批准。"),
        locks=("round", "company"),
        bulk_via="start_public_notice",
        inputs=(_amount(_("批准金额（元）"), initial="reviewed_amount"),),
    ),
    Transition(
        "reject",
        ("pending_decision",),
        "rejected",
        ("approver",),
        _("不予批准"),
        comment_required=True,
        deadline=STOP,
        document_kind="rejection_decision",
        confirm=True,
        label_en="Reject",
        applicant_notice=_("您的申报“%(title)s”（%(case)s）未获批准，理由和救济途径见《不予批准决定书》。"),
        revokes=("approval_decision",),
    ),
    Transition(
        "file_objection",
        ("public_notice",),
        "objection_review",
        (PUBLIC,),
        _("提出异议"),
        comment_required=True,
        deadline=HOLD,
        label_en="File objection",
        applicant_notice=_("您的申报“%(title)s”（%(case)s）在公示期间收到异议，公示暂停，审定人正在核查。"),
        inputs=(
            Input("name", "line", _("真实姓名"), required=True, max_length=100, api_help="your real name."),
            Input(
                "contact", "line", _("联系电话或电子邮箱"), required=True, max_length=100, api_help="phone or e-mail."
            ),
        ),
    ),
    Transition(
        "uphold_objection",
        ("objection_review",),
        "rejected",
        ("approver",),
        _("异议成立，不予批准"),
        comment_required=True,
        deadline=STOP,
        document_kind="rejection_decision",
        confirm=True,
        label_en="Uphold objection",
        applicant_notice=_("经核查，对您的申报“%(title)s”（%(case)s）提出的异议成立，申报不予批准。"),
        revokes=("approval_decision",),
    ),
    Transition(
        "dismiss_objection",
        ("objection_review",),
        "public_notice",
        ("approver",),
        _("异议不成立，重新公示"),
        comment_required=True,
        deadline=START_NOTICE,
        label_en="Dismiss objection",
        applicant_notice=_("经核查，对您的申报“%(title)s”（%(case)s）提出的异议不成立，申报重新公示。"),
    ),
    Transition(
        "conclude_notice",
        ("public_notice",),
        "approved",
        (SYSTEM,),
        _("公示期满无异议"),
        deadline=STOP,
        # DOMAIN.md: the approval decision, with its document number, is issued when the case becomes
        # `approved`, i.e. after the public notice (also after a dismissed objection restarted it).
        document_kind="approval_decision",
        conditions=("notice_period_over", "no_open_objection"),
        label_en="Notice period over",
        applicant_notice=_("您的申报“%(title)s”（%(case)s）公示期满，无人提出异议，已获批准。"),
    ),
    Transition(
        "disburse",
        ("approved",),
        "disbursed",
        ("finance",),
        _("登记拨付"),
        amount="disbursed_amount",
        document_kind="disbursement_notice",
        confirm=True,
        label_en="Record disbursement",
        # One payment at a time: the last one (the amount covers what is left) ends in 已拨付, a part stays 已批准.
        decide_target=_paid_in_full_or_not,
        other_targets=("approved",),
        explanation=_(
            "本次金额等于尚未拨付的全部余额时，登记后拨付完毕；小于余额时，案件仍为“已批准”，余额留待以后拨付。"
        ),
        applicant_notice={
            "disbursed": _("您的申报“%(title)s”（%(case)s）的扶持资金已全部拨付。"),
            "approved": _("已为您的申报“%(title)s”（%(case)s）拨付部分扶持资金。"),
        },
        # What is left is prefilled: the finance officer types a part over it.
        inputs=(_amount(_("本次拨付金额（元）"), initial="remaining_to_disburse"), *_PAYMENT),
    ),
    Transition(
        "archive",
        ("disbursed",),
        "archived",
        ("manager",),
        _("归档"),
        confirm=True,
        label_en="Archive",
        applicant_notice=_("您的申报“%(title)s”（%(case)s）已办结归档。"),
    ),
    Transition(
        "claw_back",
        ("approved", "disbursed", "archived"),
        "clawed_back",
        ("manager",),
        _("追回资金并禁入"),
        comment_required=True,
        amount="reclaimed_amount",
        deadline=STOP,
        confirm=True,
        label_en="Claw back",
        applicant_notice=_("您的申报“%(title)s”（%(case)s）的扶持资金已追回，本单位%(years)s年内不得申报。"),
        revokes=("approval_decision",),
        locks=("company",),
        inputs=(_amount(_("追回金额（元）"), required=False),),
    ),
)


@dataclass(frozen=True)
class Condition:
    """A precondition of a transition: the check, and what the refusal says (code and reason)."""

    key: str
    code: str
    reason: Any
    check: Callable[[Any], bool] = field(compare=False)


def _materials_complete(app) -> bool:
    return not app.missing_materials()


def _corrections_answered(app) -> bool:
    return not app.unanswered_correction_items()


def _experts_assigned(app) -> bool:
    """At least one expert who has not recused (a declared conflict takes the assignment out of the review)."""
    return app.expert_assignments.filter(recused_at__isnull=True).exists()


def _all_opinions_in(app) -> bool:
    """Every expert who has not recused gave an opinion (a recused one is neither outstanding nor given)."""
    assignments = app.expert_assignments.filter(recused_at__isnull=True)
    return assignments.exists() and not assignments.filter(answered_at__isnull=True).exists()


def _as_of(app):
    """The date a deadline condition is judged on: the ``on`` date given to ``services.perform`` (the
    deadline run for a given day sets it on the locked case), else today."""
    from .workdays import today

    return getattr(app, "as_of", None) or today()


def _correction_overdue(app) -> bool:
    return app.due_kind == "correction" and app.due_date is not None and app.due_date < _as_of(app)


def _notice_period_over(app) -> bool:
    return app.due_kind == "public_notice" and app.due_date is not None and app.due_date < _as_of(app)


def _no_open_objection(app) -> bool:
    return not app.objections.filter(status="open").exists()


def _company_not_banned(app) -> bool:
    return not app.company.is_banned()


def _pledge_accepted(app) -> bool:
    return app.integrity_pledge_at is not None


CONDITIONS: dict[str, Condition] = {
    c.key: c
    for c in (
        Condition(
            "company_not_banned",
            "company_banned",
            _("本单位因失信被禁止申报，禁入期内不能提交申报。如有疑问请联系管理部门。"),
            _company_not_banned,
        ),
        Condition(
            "pledge_accepted",
            "pledge_missing",
            _("请先阅读并勾选诚信承诺，再提交申报。"),
            _pledge_accepted,
        ),
        Condition(
            "materials_complete",
            "missing_material",
            _("还缺少必需的申报材料，请上传后再提交。"),
            _materials_complete,
        ),
        Condition(
            "corrections_answered",
            "missing_material",
            _("补正通知中列出的材料尚未全部重新上传，请逐项补正后再提交。"),
            _corrections_answered,
        ),
        Condition(
            "correction_overdue",
            "not_due",
            _("补正期限尚未届满。"),
            _correction_overdue,
        ),
        Condition(
            "experts_assigned",
            "no_experts",
            _("请先为本案件指定至少一名评审专家。"),
            _experts_assigned,
        ),
        Condition(
            "all_opinions_in",
            "opinions_pending",
            _("还有评审专家尚未提交意见。"),
            _all_opinions_in,
        ),
        Condition(
            "notice_period_over",
            "not_due",
            _("公示期尚未届满。"),
            _notice_period_over,
        ),
        Condition(
            "no_open_objection",
            "open_objection",
            _("本案件有尚未处理的异议，请先核查异议。"),
            _no_open_objection,
        ),
    )
}


#: The table, checked by the base when built (keys unique, sources and targets known, terminal states final).
#: Terminal means no further regular work; only a clawback reaches back into a finished case.
class CaseTable(base.Table):
    def event_types(self) -> list[str]:
        """The event types of the transitions, and of those since merged into another: the audit log is
        append-only, so their entries stay, and they still are state changes of the case."""
        from invest.audit import EventType

        return [*super().event_types(), EventType.CASE_DISBURSE_PARTIAL]


TABLE = CaseTable(STATES, TRANSITIONS, subject="case", reopening=("claw_back",))
STATE_BY_KEY: dict[str, State] = TABLE.state_by_key
TRANSITION_BY_KEY: dict[str, Transition] = TABLE.transition_by_key
STATE_KEYS: tuple[str, ...] = TABLE.state_keys
TERMINAL_STATES: frozenset[str] = TABLE.terminal_states
#: States in which an approved amount is committed against budgets and yearly caps.
COMMITTED_STATES: frozenset[str] = frozenset({"public_notice", "objection_review", "approved", "disbursed", "archived"})
#: Roles that take at least one transition (pseudo roles excluded).
ACTING_ROLES: tuple[str, ...] = TABLE.acting_roles()
state_choices = TABLE.state_choices
transitions_from = TABLE.transitions_from


def submission_from(state: str) -> Transition | None:
    """The applicant's submission from this state (submit, resubmit), or None where there is nothing to submit."""
    return next((t for t in transitions_from(state) if t.submission), None)


def roles_acting_in(state: str) -> set[str]:
    """Which roles have work to do on a case in this state: whose queue the case lands in."""
    return {r for t in transitions_from(state) for r in t.roles if r not in (SYSTEM, PUBLIC)}


#: The main path of the progress stepper (提交 → … → 归档), in table order.
MAIN_STEPS: tuple[State, ...] = tuple(s for s in STATES if s.step and not s.detour)


def detour_anchor(state: str) -> str:
    """The main-path state a detour leaves from (from the transitions into it): 补正 after 提交, 异议核查 after 公示."""
    return next(t.sources[0] for t in TRANSITIONS if t.target == state and t.sources[0] != state)


def _check_table() -> None:
    """Fail at import rather than at run time when the case fields contradict the rest (TABLE checks the base)."""
    for t in TRANSITIONS:
        base.require(isinstance(t.deadline, DeadlineEffect) and t.deadline in DEADLINE_EFFECTS, t.key)
        base.require(t.applicant_notice is not UNDECLARED, f"{t.key}: say what the applicant is told, or None")
        if isinstance(t.applicant_notice, dict):
            base.require(set(t.applicant_notice) == set(t.targets), t.key)
        base.require(set(t.locks) <= set(LOCKABLE), t.key)
        base.require(not t.bulk_via or t.bulk, t.key)
        base.require(all(i.kind in INPUT_KINDS for i in t.inputs), t.key)
        base.require(len({i.name for i in t.inputs}) == len(t.inputs), t.key)
        base.require(all(c in CONDITIONS for c in t.conditions), t.key)
    for s in STATES:
        # The stepper places a detour after the step it leaves from, which must be on the main path.
        base.require(not s.detour or STATE_BY_KEY[detour_anchor(s.key)] in MAIN_STEPS, s.key)


_check_table()


def as_dict() -> dict[str, Any]:
    """The table as JSON-able data (``manage.py workflow --json``, the API's description of the workflow)."""
    return {
        **TABLE.describe(),
        "deadlines_working_days": dict(DEADLINE_DAYS),
        "deadline_effects": {k: str(v) for k, v in DEADLINE_EFFECTS.items()},
    }


#: A stateDiagram of the table, labelled with transition keys and roles (docs/workflow.md embeds it).
as_mermaid = TABLE.as_mermaid
