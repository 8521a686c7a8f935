"""The policy catalogue: policies, their application rounds and budgets, support items and their rules.

Every number a manager may change (thresholds, rates, caps) lives in these rows, never in code. Rules are text in
the rule-engine language, compiled against a typed context on save (see `rules.py`)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

money = {"max_digits": 16, "decimal_places": 2, "validators": [MinValueValidator(Decimal("0"))]}


class ChineseColumnSave(models.Model):
    """The original column of a text with an English translation (policies/translation.py) keeps the Chinese:
    modeltranslation writes the active language's text into it, so saves run with Chinese active."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        from django.utils import translation

        with translation.override(settings.MODELTRANSLATION_DEFAULT_LANGUAGE):
            super().save(*args, **kwargs)


class Policy(ChineseColumnSave):
    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        PUBLISHED = "published", _("已发布")
        EXPIRED = "expired", _("已失效")

    title = models.CharField(_("政策名称"), max_length=200)
    issuing_body = models.CharField(_("发文机关"), max_length=200)
    document_number = models.CharField(
        _("文号"), max_length=100, blank=True, help_text=_("按原文填写，如 江津府发〔2024〕1号")
    )
    summary = models.TextField(_("政策摘要"), blank=True)
    effective_from = models.DateField(_("生效日期"))
    effective_to = models.DateField(_("失效日期"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    cap_per_company_year = models.DecimalField(
        _("单个企业年度奖补上限（元）"),
        null=True,
        blank=True,
        help_text=_("同一企业一个自然年度内在本政策下获得的奖补总额上限；留空表示不限。"),
        **money,
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("扶持政策")
        verbose_name_plural = _("扶持政策")
        ordering = ["-effective_from", "title"]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        if self.effective_to and self.effective_from and self.effective_to < self.effective_from:
            raise ValidationError({"effective_to": _("失效日期不能早于生效日期，请检查后重新填写。")})


class Round(models.Model):
    """An application window of a policy, with its budget that approvals may never exceed."""

    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="rounds", verbose_name=_("政策"))
    name = models.CharField(_("批次名称"), max_length=100)
    year = models.PositiveIntegerField(_("年度"))
    opens_at = models.DateTimeField(_("申报开始时间"))
    closes_at = models.DateTimeField(_("申报截止时间"))
    budget = models.DecimalField(_("预算（元）"), **money)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("申报批次")
        verbose_name_plural = _("申报批次")
        ordering = ["-year", "-opens_at"]
        constraints = [models.UniqueConstraint(fields=["policy", "name"], name="unique_round_name_per_policy")]

    def __str__(self) -> str:
        return f"{self.policy.title} {self.name}"

    def clean(self) -> None:
        if self.opens_at and self.closes_at and self.closes_at <= self.opens_at:
            raise ValidationError({"closes_at": _("申报截止时间必须晚于开始时间，请调整。")})

    def is_open(self, at=None) -> bool:
        at = at or timezone.now()
        return self.opens_at <= at < self.closes_at


class SupportItem(ChineseColumnSave):
    class Applicants(models.TextChoices):
        JIANGJIN = "jiangjin", _("在江津区注册的企业")
        ANYWHERE = "anywhere", _("各地影视制作企业")

    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="items", verbose_name=_("政策"))
    code = models.CharField(
        _("事项编码"), max_length=30, unique=True, help_text=_("稳定的编码，如 JJ-FILM-01，发布后不要修改。")
    )
    name = models.CharField(_("事项名称"), max_length=200)
    description = models.TextField(_("事项说明"), blank=True)
    applicants = models.CharField(_("申报主体"), max_length=20, choices=Applicants.choices, default=Applicants.JIANGJIN)
    form_fields = models.JSONField(
        _("申报表字段"), default=list, blank=True, help_text=_("列表，每项含 key、label、type、unit、required。")
    )
    materials = models.JSONField(
        _("申报材料"), default=list, blank=True, help_text=_("列表，每项含 key、label、required、accepted_types。")
    )
    amount_expression = models.TextField(
        _("金额计算式"),
        help_text=_(
            "规则引擎表达式，结果为金额（元）；分档用 条件 ? 金额 : 金额，例如 box_office >= 100000000 ? 2000000 : 1000000。"
        ),
    )
    amount_explanation = models.CharField(_("金额说明"), max_length=300, blank=True)
    stacking_group = models.CharField(
        _("就高不重复组"),
        max_length=50,
        blank=True,
        help_text=_("同一作品在同组事项中只按最高额兑现，如 work_award；留空表示不参与。"),
    )
    cap_per_application = models.DecimalField(_("单次申报上限（元）"), null=True, blank=True, **money)
    cap_per_company_year = models.DecimalField(_("单个企业年度上限（元）"), null=True, blank=True, **money)
    once_per_company = models.BooleanField(_("每个企业限享受一次"), default=False)
    cap_note = models.CharField(
        _("上限说明"), max_length=200, blank=True, help_text=_("如 每个项目100万元、每部作品200万元。")
    )
    sort_order = models.PositiveIntegerField(_("排序"), default=0)
    rules_version = models.PositiveIntegerField(_("规则版本"), default=1, editable=False)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("扶持事项")
        verbose_name_plural = _("扶持事项")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def clean(self) -> None:
        from .expressions import validate_amount_expression, validate_form_fields

        errors = {}
        for field, check in (("amount_expression", validate_amount_expression), ("form_fields", validate_form_fields)):
            try:
                check(getattr(self, field))
            except ValidationError as exc:
                errors[field] = exc.messages
        if errors:
            raise ValidationError(errors)


class Criterion(ChineseColumnSave):
    """One eligibility condition: shown to the applicant with its values whether it passed or not."""

    item = models.ForeignKey(
        SupportItem,
        on_delete=models.CASCADE,
        related_name="criteria",
        verbose_name=pgettext_lazy("support item", "事项"),
    )
    order = models.PositiveIntegerField(_("顺序"), default=0)
    label = models.CharField(_("条件"), max_length=200)
    expression = models.TextField(
        _("规则表达式"), help_text=_("规则引擎表达式，结果为真或假，例如 shooting_days_in_jiangjin >= 15。")
    )
    failure_message = models.CharField(
        _("不满足时的提示"),
        max_length=300,
        help_text=_("可用 {变量名} 插入申报值，例如：在江津拍摄天数 {shooting_days_in_jiangjin} 天，少于 15 天"),
    )
    success_message = models.CharField(
        _("满足时的提示"), max_length=300, blank=True, help_text=_("可留空；可用 {变量名} 插入申报值。")
    )

    class Meta:
        verbose_name = _("资格条件")
        verbose_name_plural = _("资格条件")
        ordering = ["item", "order", "id"]

    def __str__(self) -> str:
        return self.label

    def clean(self) -> None:
        from .expressions import validate_condition, validate_message

        errors = {}
        for field, check in (
            ("expression", validate_condition),
            ("failure_message", validate_message),
            ("success_message", validate_message),
        ):
            try:
                check(getattr(self, field))
            except ValidationError as exc:
                errors[field] = exc.messages
        if errors:
            raise ValidationError(errors)


class RubricCriterion(models.Model):
    """One row of an item's expert scoring rubric (评分标准): the expert scores it from 0 to ``maximum``; the
    total is the weighted share, sum(score / maximum × weight) / sum(weight) × 100, rounded half-up to 0.01
    (applications.services.review.rubric_total)."""

    item = models.ForeignKey(
        SupportItem,
        on_delete=models.CASCADE,
        related_name="rubric",
        verbose_name=pgettext_lazy("support item", "事项"),
    )
    order = models.PositiveIntegerField(_("顺序"), default=0)
    label = models.CharField(_("评分项"), max_length=200)
    weight = models.DecimalField(
        _("权重"),
        max_digits=6,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text=_("各评分项权重之比决定其在总分（100 分）中的占比，例如 40、30、30。"),
    )
    maximum = models.DecimalField(
        _("满分"),
        max_digits=6,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text=_("专家在本项可打的最高分，例如 10。"),
    )

    class Meta:
        verbose_name = _("评分标准")
        verbose_name_plural = _("评分标准")
        ordering = ["item", "order", "id"]

    def __str__(self) -> str:
        return self.label


class Invitation(models.Model):
    """免申即享: a company found eligible from registry facts alone is invited to apply, once per item and round."""

    class Status(models.TextChoices):
        NEW = "new", _("待查看")
        STARTED = "started", _("已发起申报")
        DISMISSED = "dismissed", _("已忽略")

    # Two indexes only, since a match writes a hundred thousand rows at once: the unique (round, item, company)
    # constraint serves lookups by round and by round and item; company keeps its own for the company's pages.
    company = models.ForeignKey(
        "companies.Company", on_delete=models.CASCADE, related_name="policy_invitations", verbose_name=_("企业")
    )
    item = models.ForeignKey(
        SupportItem,
        on_delete=models.CASCADE,
        related_name="invitations",
        verbose_name=pgettext_lazy("support item", "事项"),
        db_index=False,
    )
    round = models.ForeignKey(
        Round, on_delete=models.CASCADE, related_name="invitations", verbose_name=_("批次"), db_index=False
    )
    estimated_amount = models.DecimalField(_("预计金额（元）"), null=True, blank=True, **money)
    snapshot = models.JSONField(_("匹配结果"), default=dict)
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.NEW)
    created_at = models.DateTimeField(_("推送时间"), default=timezone.now)
    seen_at = models.DateTimeField(_("查看时间"), null=True, blank=True)
    seen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )

    class Meta:
        verbose_name = _("政策推送")
        verbose_name_plural = _("政策推送")
        ordering = ["-created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "item", "company"], name="unique_invitation_per_round_item_company"
            )
        ]

    def __str__(self) -> str:
        return f"{self.company} · {self.item.code} · {self.round.name}"
