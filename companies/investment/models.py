"""Investment attraction: promotion events, the leads they produce, and the agreements signed with them.

A lead's identity towards the company registry is its unified social credit code. The code is often
unknown at first contact and the company record may be imported long after the lead settles, so the
link to `Company` is made by code, whichever of the two arrives first (see services.link_waiting_leads).
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin

from companies import uscc
from companies.models import Company, CreditCodeField

from . import workflow

money = {"max_digits": 16, "decimal_places": 2, "validators": [MinValueValidator(Decimal("0"))]}

ITEM_CODE_RE = re.compile(r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$")


def validate_item_code(value: str) -> None:
    if not ITEM_CODE_RE.match(value or ""):
        raise ValidationError(
            _("扶持项目编码“%(code)s”格式不对，应类似 JJ-FILM-02（大写字母、数字和连字符）。"),
            code="invalid_item_code",
            params={"code": value},
        )


class PromotionEvent(models.Model):
    class Kind(models.TextChoices):
        FILM_WEEK = "film_week", _("影视产业周")
        PROMOTION = "promotion", _("招商推介会")
        NEGOTIATION = "negotiation", _("项目洽谈会")
        VISIT = "visit", _("上门拜访")
        OTHER = "other", _("其他")

    name = models.CharField(_("活动名称"), max_length=200, unique=True)
    kind = models.CharField(_("活动类型"), max_length=20, choices=Kind.choices, default=Kind.PROMOTION)
    date = models.DateField(_("活动日期"))
    place = models.CharField(_("活动地点"), max_length=200, blank=True)
    notes = models.TextField(_("备注"), blank=True)

    class Meta:
        verbose_name = _("招商活动")
        verbose_name_plural = _("招商活动")
        ordering = ["-date", "name"]

    def __str__(self) -> str:
        return f"{self.name}（{self.date:%Y-%m-%d}）"


class ProjectKind(models.TextChoices):
    SETTLE_COMPANY = "settle_company", _("企业落户")
    PRODUCTION_SHOOT = "production_shoot", _("剧组拍摄")
    STUDIO_INVESTMENT = "studio_investment", _("影视基地及道具库投资")


# The transition methods of Lead are generated from workflow.TRANSITIONS; services.advance is the only caller.
# Their bodies only set the fields that belong to the arrival stage; checks, locking and records live in the service.


def _contact(lead, *, on) -> None:
    lead.contacted_on = on


def _settle(lead, *, on, credit_code: str, company: Company | None) -> None:
    lead.settled_on = on
    lead.credit_code = credit_code
    lead.company = company


def _lose(lead, *, reason: str) -> None:
    lead.lost_reason = reason


LeadTransitions = workflow.TABLE.transition_methods(
    "LeadTransitions", __name__, bodies={"contact": _contact, "settle": _settle, "lose": _lose}
)


class Lead(LeadTransitions, FSMModelMixin, models.Model):
    """A prospective company or project. Its stage only moves through services.advance."""

    name = models.CharField(_("线索名称"), max_length=200, help_text=_("企业名称或项目名称。"))
    credit_code = CreditCodeField(
        _("统一社会信用代码"),
        blank=True,
        db_index=True,
        validators=[uscc.validate_credit_code],
        help_text=_("已知时填写，可含空格或全角字符；落地时必须填写，用于关联企业档案。"),
    )
    contact_person = models.CharField(_("联系人"), max_length=100, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=50, blank=True)
    contact_email = models.EmailField(_("电子邮箱"), blank=True)
    event = models.ForeignKey(
        PromotionEvent,
        verbose_name=_("来源活动"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="leads",
    )
    project_kind = models.CharField(
        _("项目类型"), max_length=30, choices=ProjectKind.choices, default=ProjectKind.SETTLE_COMPANY
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("跟进人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="investment_leads",
        limit_choices_to={"groups__name": "manager"},
    )
    expected_investment = models.DecimalField(_("预计投资额（元）"), default=Decimal("0.00"), **money)
    expected_local_spend = models.DecimalField(_("预计本地消费（元）"), default=Decimal("0.00"), **money)
    notes = models.TextField(_("备注"), blank=True)
    company = models.ForeignKey(
        Company,
        verbose_name=_("落地企业"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="investment_leads",
    )
    state = FSMField(
        _("阶段"), max_length=30, choices=workflow.STATE_CHOICES, default=workflow.NEW, protected=True, db_index=True
    )
    contacted_on = models.DateField(_("首次接洽日期"), null=True, blank=True)
    settled_on = models.DateField(_("落地日期"), null=True, blank=True)
    lost_reason = models.TextField(_("未落地原因"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("招商线索")
        verbose_name_plural = _("招商线索")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(state=workflow.LOST) | ~models.Q(lost_reason=""),
                name="investment_lost_lead_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean_fields(self, exclude=None):
        """Skip the protected stage field: full_clean would re-assign it, which django-fsm refuses.

        The stage is only ever set by the transition methods, so there is nothing to validate there.
        """
        super().clean_fields(exclude={*(exclude or ()), "state"})

    @property
    def state_label(self) -> str:
        return workflow.state_label(self.state)

    @property
    def is_open(self) -> bool:
        return self.state in workflow.OPEN_STATES


class Agreement(models.Model):
    """What the district and the company agreed: the yardstick a later subsidy application is checked against."""

    lead = models.ForeignKey(Lead, verbose_name=_("招商线索"), on_delete=models.PROTECT, related_name="agreements")
    number = models.CharField(_("协议编号"), max_length=60, blank=True)
    committed_investment = models.DecimalField(_("承诺投资额（元）"), **money)
    terms = models.TextField(_("一企一策条款"), blank=True)
    signed_on = models.DateField(_("签约日期"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("投资协议")
        verbose_name_plural = _("投资协议")
        ordering = ["signed_on", "id"]

    def __str__(self) -> str:
        return f"{self.lead} · {self.number or self.signed_on}"


class PromisedSupport(models.Model):
    """One support item promised in an agreement, by item code (the policies app owns the items themselves)."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="promised_items")
    item_code = models.CharField(_("扶持项目编码"), max_length=30, validators=[validate_item_code], db_index=True)
    promised_amount = models.DecimalField(
        _("承诺金额上限（元）"), null=True, blank=True, help_text=_("不填表示按政策标准兑现。"), **money
    )
    note = models.CharField(_("说明"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("承诺扶持项目")
        verbose_name_plural = _("承诺扶持项目")
        ordering = ["item_code"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "item_code"], name="investment_unique_promised_item")
        ]

    def __str__(self) -> str:
        return self.item_code

    def save(self, *args, **kwargs):
        self.item_code = (self.item_code or "").strip().upper()
        super().save(*args, **kwargs)


class FollowUp(models.Model):
    """One contact with the people behind a lead: a visit, a call, a meeting, an assessment or an answer."""

    class Kind(models.TextChoices):
        VISIT = "visit", _("走访")
        CALL = "call", _("电话")
        MEETING = "meeting", _("会谈")
        ASSESSMENT = "assessment", _("项目研判")
        FEEDBACK = "feedback", _("答复企业")
        OTHER = "other", _("其他")

    lead = models.ForeignKey(Lead, verbose_name=_("招商线索"), on_delete=models.CASCADE, related_name="follow_ups")
    kind = models.CharField(_("方式"), max_length=20, choices=Kind.choices)
    on = models.DateField(_("日期"))
    people = models.CharField(_("参加人员"), max_length=300, blank=True)
    notes = models.TextField(_("情况记录"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("跟进日志")
        verbose_name_plural = _("跟进日志")
        ordering = ["-on", "-id"]
        indexes = [models.Index(fields=["lead", "kind", "on"], name="investment_followup_kind_on")]

    def __str__(self) -> str:
        return f"{self.lead} · {self.get_kind_display()} · {self.on}"


class ResponseTarget(models.Model):
    """How many working days a lead may wait for one response (首次接洽、研判、答复): a manager edits the days.

    What starts and ends each clock is in ``response.CLOCKS`` (one entry per key of ``Key``)."""

    class Key(models.TextChoices):
        FIRST_CONTACT = "first_contact", _("首次接洽")
        ASSESSMENT = "assessment", _("项目研判")
        FEEDBACK = "feedback", _("答复企业")

    key = models.CharField(_("响应事项"), max_length=20, choices=Key.choices, unique=True)
    working_days = models.PositiveSmallIntegerField(_("时限（工作日）"))
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("招商响应时限")
        verbose_name_plural = _("招商响应时限")
        ordering = ["key"]

    def __str__(self) -> str:
        return f"{self.get_key_display()}：{self.working_days}"


class Milestone(models.Model):
    """A step of a signed agreement (开工、到资、投产) with its planned date, and when it was reached."""

    class Kind(models.TextChoices):
        GROUNDBREAKING = "groundbreaking", _("开工")
        CAPITAL = "capital", _("到资")
        PRODUCTION = "production", _("投产")

    agreement = models.ForeignKey(
        Agreement, verbose_name=_("投资协议"), on_delete=models.CASCADE, related_name="milestones"
    )
    kind = models.CharField(_("里程碑"), max_length=20, choices=Kind.choices)
    planned_on = models.DateField(_("约定日期"))
    planned_amount = models.DecimalField(
        _("约定到资金额（元）"), null=True, blank=True, help_text=_("到资填写；开工、投产不填。"), **money
    )
    reached_on = models.DateField(_("实际完成日期"), null=True, blank=True)
    amount = models.DecimalField(_("实际到资金额（元）"), null=True, blank=True, **money)
    note = models.CharField(_("说明"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("协议里程碑")
        verbose_name_plural = _("协议里程碑")
        ordering = ["agreement", "planned_on", "id"]

    def __str__(self) -> str:
        return f"{self.agreement} · {self.get_kind_display()} · {self.planned_on}"

    def is_overdue(self, today: date) -> bool:
        return self.reached_on is None and self.planned_on < today
