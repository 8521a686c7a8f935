"""The lead pipeline, declared once.

Every other place that needs to know about lead stages reads this table: the `@transition` methods on
`Lead`, the refusal messages of `services.advance`, the action buttons on the lead page, the admin and
the pipeline figures. Keys are fixed English identifiers; only labels are translated, so changing the
site language can never strand a lead in a stage nobody can name.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

NEW = "new"
CONTACTED = "contacted"
NEGOTIATING = "negotiating"
AGREEMENT_SIGNED = "agreement_signed"
SETTLED = "settled"
LOST = "lost"

# Order matters: it is the order of the funnel on the pipeline page.
STATES: dict[str, Promise] = {
    NEW: _("线索"),
    CONTACTED: _("已接洽"),
    NEGOTIATING: _("洽谈中"),
    AGREEMENT_SIGNED: _("已签约"),
    SETTLED: _("已落地"),
    LOST: _("未落地"),
}
STATE_CHOICES = list(STATES.items())
OPEN_STATES = (NEW, CONTACTED, NEGOTIATING, AGREEMENT_SIGNED)
CLOSED_STATES = (SETTLED, LOST)


@dataclass(frozen=True)
class LeadTransition:
    """One arrow of the funnel: where it may start, where it ends, and what the person must supply."""

    key: str
    label: Promise
    sources: tuple[str, ...]
    target: str
    help: Promise
    role: str = "manager"
    reason_required: bool = False
    needs_credit_code: bool = False
    needs_agreement: bool = False
    primary: bool = True

    def fsm(self) -> dict:
        """Keyword arguments for django_fsm.transition, so the model methods follow this table."""
        return {"source": list(self.sources), "target": self.target}


TRANSITIONS: tuple[LeadTransition, ...] = (
    LeadTransition(
        key="contact",
        label=_("记录首次接洽"),
        sources=(NEW,),
        target=CONTACTED,
        help=_("已与对方取得联系。接洽日期用于统计从接洽到落地的天数。"),
    ),
    LeadTransition(
        key="negotiate",
        label=_("进入洽谈"),
        sources=(CONTACTED,),
        target=NEGOTIATING,
        help=_("双方已开始就投资或拍摄条件进行洽谈。"),
    ),
    LeadTransition(
        key="sign_agreement",
        label=_("登记签约"),
        sources=(NEGOTIATING,),
        target=AGREEMENT_SIGNED,
        help=_("登记协议约定的投资额、承诺兑现的扶持项目和一企一策条款。"),
        needs_agreement=True,
    ),
    LeadTransition(
        key="settle",
        label=_("确认落地"),
        sources=(AGREEMENT_SIGNED,),
        target=SETTLED,
        help=_("企业已在江津注册或剧组已在江津开机。按统一社会信用代码关联企业档案；档案尚未导入的，导入后自动关联。"),
        needs_credit_code=True,
    ),
    LeadTransition(
        key="lose",
        label=_("标记未落地"),
        sources=OPEN_STATES,
        target=LOST,
        help=_("项目不再推进。必须写明原因，便于复盘招商工作。"),
        reason_required=True,
        primary=False,
    ),
)

BY_KEY: dict[str, LeadTransition] = {t.key: t for t in TRANSITIONS}


def state_label(key: str) -> str:
    return str(STATES.get(key, key))


def transitions_from(state: str) -> list[LeadTransition]:
    """The transitions the table allows out of `state`, in table order."""
    return [t for t in TRANSITIONS if state in t.sources]
