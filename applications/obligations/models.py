"""What a funded company commits to (履约) and reports on (绩效), and what the office makes of it.

``ObligationRule`` is data a manager edits per support item (or for every item, above an amount). When a
case is approved its rules are copied into ``Obligation`` rows (frozen with the case, like its rules in
``Application.snapshot``): a later edit of a rule never changes what an approved company committed to. The
company uploads ``ObligationReport`` files, an officer accepts or returns each; a breach (the registry moved
the company out of 江津区) or a missed report opens a ``ClawbackProposal`` that the approver decides —
nothing is reclaimed automatically.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

MONEY = {"max_digits": 16, "decimal_places": 2, "validators": [MinValueValidator(Decimal("0"))]}


class Kind(models.TextChoices):
    #: Stay registered and taxed in 江津区 for the period: checked against the registry, nothing to upload.
    STAY = "stay", _("留驻江津（注册和税务登记在江津区）")
    #: A report or proof to upload by the due date (completion, release, no subletting …).
    REPORT = "report", _("提交履约材料")
    #: The performance self-assessment (绩效自评) by the due date.
    PERFORMANCE = "performance", _("绩效自评")


class Basis(models.TextChoices):
    PAYMENT = "payment", _("首次拨付")
    APPROVAL = "approval", _("批准")


def default_types() -> list[str]:
    return ["pdf", "ofd", "jpeg", "png"]


class ObligationRule(models.Model):
    """One commitment a funded company takes on, as data: which item (or every item), what, by when."""

    item = models.ForeignKey(
        "policies.SupportItem",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="obligation_rules",
        verbose_name=_("扶持事项"),
        help_text=_("留空表示适用于所有事项（可配合“批准金额高于”使用）。"),
    )
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices, default=Kind.REPORT)
    label = models.CharField(_("履约事项"), max_length=200)
    description = models.TextField(_("具体要求"), blank=True)
    upload_label = models.CharField(
        _("需提交的材料"), max_length=200, blank=True, help_text=_("留驻江津类由系统核对企业名录，无需上传。")
    )
    accepted_types = models.JSONField(_("可接受的文件类型"), default=default_types, blank=True)
    basis = models.CharField(_("期限起算"), max_length=20, choices=Basis.choices, default=Basis.PAYMENT)
    months = models.PositiveSmallIntegerField(
        _("期限（月）"), help_text=_("起算后多少个月内提交；留驻江津类为承诺期长度，期满即履约完毕。")
    )
    min_amount = models.DecimalField(
        _("批准金额高于（元）"),
        null=True,
        blank=True,
        help_text=_("只对批准金额高于此数的案件适用；留空不限。"),
        **MONEY,
    )
    active = models.BooleanField(
        _("启用"), default=True, help_text=_("停用后不再用于新批准的案件，已生成的履约事项不变。")
    )
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("履约规则")
        verbose_name_plural = _("履约规则")
        ordering = ["sort_order", "pk"]

    def __str__(self) -> str:
        scope = self.item.code if self.item_id else _("所有事项")
        return f"{scope}：{self.label}"

    def applies_to(self, app) -> bool:
        if self.item_id is not None and self.item_id != app.item_id:
            return False
        if self.min_amount is not None and (app.approved_amount is None or app.approved_amount <= self.min_amount):
            return False
        return True

    def terms(self) -> dict:
        """The rule as it reads now, frozen into each obligation made from it."""
        return {
            "rule": self.pk,
            "item": self.item.code if self.item_id else "",
            "kind": self.kind,
            "label": self.label,
            "description": self.description,
            "upload_label": self.upload_label,
            "accepted_types": list(self.accepted_types or []),
            "basis": self.basis,
            "months": self.months,
            "min_amount": str(self.min_amount) if self.min_amount is not None else None,
        }


class Obligation(models.Model):
    """One commitment of one approved case, with the rule's terms frozen as they were at approval."""

    class Status(models.TextChoices):
        OPEN = "open", _("待履行")
        SUBMITTED = "submitted", _("已提交，待审核")
        RETURNED = "returned", _("已退回，待重新提交")
        ACCEPTED = "accepted", _("已通过")
        COMPLETED = "completed", _("期满履约")
        OVERDUE = "overdue", _("逾期未提交")
        BREACHED = "breached", _("违约")
        CLOSED = "closed", _("已终止（资金已追回）")

    #: Statuses in which the company still owes something (reminders, registry checks, overdue detection).
    OPEN_STATUSES = (Status.OPEN, Status.RETURNED)

    application = models.ForeignKey(
        "applications.Application", on_delete=models.PROTECT, related_name="obligations", verbose_name=_("案件")
    )
    rule = models.ForeignKey(
        ObligationRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("来源规则")
    )
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    label = models.CharField(_("履约事项"), max_length=200)
    description = models.TextField(_("具体要求"), blank=True)
    upload_label = models.CharField(_("需提交的材料"), max_length=200, blank=True)
    accepted_types = models.JSONField(_("可接受的文件类型"), default=default_types, blank=True)
    basis = models.CharField(_("期限起算"), max_length=20, choices=Basis.choices)
    months = models.PositiveSmallIntegerField(_("期限（月）"))
    terms = models.JSONField(_("批准时的履约规则"), default=dict, blank=True)
    starts_on = models.DateField(_("起算日"), null=True, blank=True, help_text=_("按拨付起算的，首次拨付后填入。"))
    due_on = models.DateField(_("截止日"), null=True, blank=True, db_index=True)
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.OPEN, db_index=True)
    breach_reason = models.TextField(_("违约情况"), blank=True)
    status_changed_at = models.DateTimeField(_("状态变更时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("生成时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("履约事项")
        verbose_name_plural = _("履约事项")
        ordering = ["due_on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["application", "rule"], name="obligation_once_per_rule"),
        ]

    def __str__(self) -> str:
        return f"{self.application.case_number}：{self.label}"

    @property
    def needs_upload(self) -> bool:
        return self.kind != Kind.STAY

    @property
    def may_upload(self) -> bool:
        """The company may upload (again): not for registry-checked stays, nor once accepted or ended."""
        return self.needs_upload and self.status in (self.Status.OPEN, self.Status.RETURNED, self.Status.OVERDUE)

    @property
    def due_text(self) -> str:
        """By when, in words: the date, or "拨付后N个月" while the payment it counts from is not made yet."""
        if self.due_on:
            return self.due_on.isoformat()
        if self.basis == Basis.PAYMENT:
            return str(_("首次拨付后%(n)s个月") % {"n": self.months})
        return str(_("批准后%(n)s个月") % {"n": self.months})


class ObligationReport(models.Model):
    """One file the company uploaded for an obligation, and the officer's decision on it."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("待审核")
        RETURNED = "returned", _("已退回")
        ACCEPTED = "accepted", _("已通过")

    obligation = models.ForeignKey(Obligation, on_delete=models.PROTECT, related_name="reports")
    file = models.FileField(_("文件"), max_length=255)
    original_name = models.CharField(_("原文件名"), max_length=120)
    file_kind = models.CharField(_("文件类型"), max_length=10)
    size = models.PositiveBigIntegerField(_("大小（字节）"))
    sha256 = models.CharField(_("文件摘要"), max_length=64)
    note = models.TextField(_("说明"), blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(_("提交时间"), auto_now_add=True)
    status = models.CharField(_("审核结果"), max_length=20, choices=Status.choices, default=Status.SUBMITTED)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    review_reason = models.TextField(_("审核意见"), blank=True)

    class Meta:
        verbose_name = _("履约材料")
        verbose_name_plural = _("履约材料")
        ordering = ["-uploaded_at", "-pk"]

    def __str__(self) -> str:
        return self.original_name


class ClawbackProposal(models.Model):
    """A breach or a missed report, put to the approver: forward to the clawback path, or dismiss."""

    class Cause(models.TextChoices):
        BREACH = "breach", _("违约")
        OVERDUE = "overdue", _("逾期未提交")

    class Status(models.TextChoices):
        OPEN = "open", _("待审定")
        FORWARDED = "forwarded", _("已转追回程序")
        DISMISSED = "dismissed", _("不予追回")
        CLAWED_BACK = "clawed_back", _("已追回")

    obligation = models.ForeignKey(Obligation, on_delete=models.PROTECT, related_name="proposals")
    application = models.ForeignKey(
        "applications.Application", on_delete=models.PROTECT, related_name="clawback_proposals"
    )
    cause = models.CharField(_("原因类别"), max_length=20, choices=Cause.choices)
    reason = models.TextField(_("情况说明"))
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.OPEN, db_index=True)
    created_at = models.DateTimeField(_("提出时间"), auto_now_add=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(_("审定时间"), null=True, blank=True)
    decision = models.TextField(_("审定意见"), blank=True)

    class Meta:
        verbose_name = _("追回建议")
        verbose_name_plural = _("追回建议")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["obligation", "cause"], name="clawback_proposal_once_per_cause"),
        ]

    def __str__(self) -> str:
        return f"{self.application.case_number}：{self.get_cause_display()}"
