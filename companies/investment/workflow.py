"""The lead pipeline, declared once.

Every other place that needs to know about lead stages reads this table: the `@transition` methods on
`Lead`, the refusal messages of `services.advance`, the action buttons on the lead page, the admin and
the pipeline figures. Keys are fixed English identifiers; only labels are translated, so changing the
site language can never strand a lead in a stage nobody can name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from django.utils.translation import gettext_lazy as _

from invest import workflow as base
from invest.workflow import State

NEW = "new"
CONTACTED = "contacted"
NEGOTIATING = "negotiating"
AGREEMENT_SIGNED = "agreement_signed"
SETTLED = "settled"
LOST = "lost"

# Order matters: it is the order of the funnel on the pipeline page.
STATES: tuple[State, ...] = (
    State(NEW, _("线索"), label_en="Lead"),
    State(CONTACTED, _("已接洽"), label_en="Contacted"),
    State(NEGOTIATING, _("洽谈中"), label_en="In negotiation"),
    State(AGREEMENT_SIGNED, _("已签约"), label_en="Signed"),
    State(SETTLED, _("已落地"), terminal=True, label_en="Settled"),
    State(LOST, _("未落地"), terminal=True, label_en="Not settled"),
)
OPEN_STATES = (NEW, CONTACTED, NEGOTIATING, AGREEMENT_SIGNED)
CLOSED_STATES = (SETTLED, LOST)
MANAGER = ("manager",)


@dataclass(frozen=True)
class LeadInput:
    """A field the manager fills in when taking a step; the lead page's form is built from these
    (forms.transition_form_class), after them the reason (when comment_required) or the optional comment."""

    name: str
    #: "date" (blank means today), "amount" (yuan), "text" or "long_text".
    kind: str
    label: Any
    required: bool = False
    help: Any = ""
    max_length: int | None = None


@dataclass(frozen=True)
class LeadTransition(base.Transition):
    """One arrow of the funnel: the common fields (invest.workflow.Transition) and what the person must supply."""

    help: Any = ""
    #: The lead's date this step sets: the history shows it as the date the step happened (for the signing,
    #: needs_agreement, it is the agreement's signing date).
    date_field: str = ""
    needs_credit_code: bool = False
    needs_agreement: bool = False
    #: Drawn as the main button; the others (losing a lead) as a danger button.
    primary: bool = True
    #: What the manager gives, besides the comment or reason (see LeadInput).
    inputs: tuple[LeadInput, ...] = ()

    described: ClassVar[tuple[str, ...]] = (
        "automatic",
        "comment_required",
        "needs_credit_code",
        "needs_agreement",
        "primary",
        "confirm",
    )


TRANSITIONS: tuple[LeadTransition, ...] = (
    LeadTransition(
        key="contact",
        label=_("记录首次接洽"),
        label_en="Record first contact",
        sources=(NEW,),
        target=CONTACTED,
        roles=MANAGER,
        help=_("已与对方取得联系。接洽日期用于统计从接洽到落地的天数。"),
        date_field="contacted_on",
        inputs=(LeadInput("on", "date", _("接洽日期")),),
    ),
    LeadTransition(
        key="negotiate",
        label=_("进入洽谈"),
        label_en="Start negotiation",
        sources=(CONTACTED,),
        target=NEGOTIATING,
        roles=MANAGER,
        help=_("双方已开始就投资或拍摄条件进行洽谈。"),
    ),
    LeadTransition(
        key="sign_agreement",
        label=_("登记签约"),
        label_en="Record signing",
        sources=(NEGOTIATING,),
        target=AGREEMENT_SIGNED,
        roles=MANAGER,
        help=_("登记协议约定的投资额、承诺兑现的扶持项目和一企一策条款。"),
        needs_agreement=True,
        inputs=(
            LeadInput("committed_investment", "amount", _("承诺投资额（元）"), required=True),
            LeadInput("signed_on", "date", _("签约日期")),
            LeadInput("number", "text", _("协议编号"), max_length=60),
            LeadInput(
                "support_items",
                "text",
                _("承诺兑现的扶持项目编码"),
                help=_("多个编码用逗号或空格分隔，例如 JJ-FILM-02, JJ-FILM-03。"),
            ),
            LeadInput("terms", "long_text", _("一企一策条款")),
        ),
    ),
    LeadTransition(
        key="settle",
        label=_("确认落地"),
        label_en="Confirm settlement",
        sources=(AGREEMENT_SIGNED,),
        target=SETTLED,
        roles=MANAGER,
        help=_("企业已在江津注册或剧组已在江津开机。按统一社会信用代码关联企业档案；档案尚未导入的，导入后自动关联。"),
        date_field="settled_on",
        needs_credit_code=True,
        inputs=(
            LeadInput("credit_code", "text", _("统一社会信用代码"), help=_("已在线索中登记的可不填。"), max_length=40),
            LeadInput("on", "date", _("落地日期")),
        ),
    ),
    LeadTransition(
        key="lose",
        label=_("标记未落地"),
        label_en="Mark as not settled",
        sources=OPEN_STATES,
        target=LOST,
        roles=MANAGER,
        help=_("项目不再推进。必须写明原因，便于复盘招商工作。"),
        comment_required=True,
        primary=False,
    ),
)

#: The table, checked by the base when built (keys unique, sources and targets known, settled/lost final).
TABLE = base.Table(STATES, TRANSITIONS, subject="lead")
STATE_BY_KEY: dict[str, State] = TABLE.state_by_key
STATE_KEYS: tuple[str, ...] = TABLE.state_keys
BY_KEY: dict[str, LeadTransition] = TABLE.transition_by_key
STATE_CHOICES = TABLE.state_choices()
state_label = TABLE.state_label
transitions_from = TABLE.transitions_from
base.require(
    set(OPEN_STATES) | set(CLOSED_STATES) == set(STATE_KEYS) and set(CLOSED_STATES) == TABLE.terminal_states,
    "OPEN_STATES and CLOSED_STATES must split the lead states, the closed ones being the final ones",
)
