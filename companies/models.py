"""The company registry. A company's identity is its unified social credit code: names change, the code does not."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import uscc

JIANGJIN = "江津区"


class Industry(models.TextChoices):
    PRODUCTION = "production", _("影视制作")
    DISTRIBUTION = "distribution", _("发行")
    POST_PRODUCTION = "post_production", _("后期制作")
    EQUIPMENT = "equipment", _("器材租赁")
    PROPS = "props", _("道具服装")
    STUDIO = "studio", _("影视基地与场景服务")
    PERFORMING_AGENCY = "performing_agency", _("演艺经纪")
    OTHER = "other", _("其他")


class BusinessStatus(models.TextChoices):
    ACTIVE = "active", _("存续")
    SUSPENDED = "suspended", _("停业")
    REVOKED = "revoked", _("吊销")
    DEREGISTERED = "deregistered", _("注销")


class CreditCodeField(models.CharField):
    """A CharField that stores credit codes normalised, so lookups and uniqueness see one spelling."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", uscc.LENGTH)
        super().__init__(*args, **kwargs)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return uscc.normalize(value) if value else value

    def to_python(self, value):
        value = super().to_python(value)
        return uscc.normalize(value) if value else value


money = {"max_digits": 16, "decimal_places": 2, "validators": [MinValueValidator(Decimal("0"))]}


class Company(models.Model):
    credit_code = CreditCodeField(
        _("统一社会信用代码"),
        unique=True,
        validators=[uscc.validate_credit_code],
        help_text=_("18位，可含空格或全角字符，系统会自动规范化。"),
    )
    name = models.CharField(_("企业名称"), max_length=200, db_index=True)
    legal_representative = models.CharField(_("法定代表人"), max_length=100, blank=True)
    registered_capital = models.DecimalField(_("注册资本（元）"), null=True, blank=True, **money)
    paid_in_capital = models.DecimalField(_("实缴资本（元）"), null=True, blank=True, **money)
    established_on = models.DateField(_("成立日期"), null=True, blank=True)
    registration_district = models.CharField(_("注册区县"), max_length=50, blank=True, db_index=True)
    tax_district = models.CharField(_("税务登记区县"), max_length=50, blank=True)
    registered_address = models.CharField(_("注册地址"), max_length=300, blank=True)
    industry = models.CharField(_("行业类别"), max_length=30, choices=Industry.choices, default=Industry.PRODUCTION)
    business_status = models.CharField(
        _("经营状态"), max_length=20, choices=BusinessStatus.choices, default=BusinessStatus.ACTIVE
    )
    in_hq_park = models.BooleanField(_("入驻重庆影视城总部园区"), default=False)
    in_hq_park_since = models.DateField(_("入驻日期"), null=True, blank=True)
    contact_person = models.CharField(_("联系人"), max_length=100, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=50, blank=True)
    contact_email = models.EmailField(_("电子邮箱"), blank=True)
    bank_account_name = models.CharField(_("开户名称"), max_length=200, blank=True)
    bank_name = models.CharField(_("开户银行"), max_length=200, blank=True)
    bank_account_number = models.CharField(_("银行账号"), max_length=64, blank=True)
    banned_until = models.DateField(_("失信禁入截止日"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="Membership",
        through_fields=("company", "user"),
        related_name="companies",
        blank=True,
    )

    class Meta:
        verbose_name = _("企业")
        verbose_name_plural = _("企业")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name}（{self.credit_code}）"

    def save(self, *args, **kwargs):
        self.credit_code = uscc.normalize(self.credit_code)
        super().save(*args, **kwargs)

    @property
    def is_jiangjin(self) -> bool:
        return self.registration_district == JIANGJIN

    def is_banned(self, on=None) -> bool:
        on = on or timezone.localdate()
        return bool(self.banned_until and self.banned_until >= on)

    @property
    def masked_bank_account(self) -> str:
        number = self.bank_account_number
        if len(number) <= 4:
            return "*" * len(number)
        return "*" * (len(number) - 4) + number[-4:]


class FormerName(models.Model):
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="former_names")
    name = models.CharField(_("曾用名"), max_length=200)
    used_from = models.DateField(_("起始日期"), null=True, blank=True)
    used_until = models.DateField(_("截止日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("曾用名")
        verbose_name_plural = _("曾用名")
        ordering = ["-used_until"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A user acting for a company. Requested by the user, confirmed by a manager."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("待确认")
        CONFIRMED = "confirmed", _("已确认")
        REFUSED = "refused", _("已拒绝")
        ENDED = "ended", _("已结束")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="memberships")
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.REQUESTED)
    requested_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    decided_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(_("拒绝理由"), blank=True)
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("企业成员")
        verbose_name_plural = _("企业成员")
        constraints = [models.UniqueConstraint(fields=["user", "company"], name="unique_membership")]

    def __str__(self) -> str:
        return f"{self.user} → {self.company}"


class CompanyRegistration(models.Model):
    """A user's request to enter a new company in the registry, with its business licence.

    A manager checks the data against the licence and confirms (the Company and the requester's confirmed
    Membership are created then) or refuses with a reason. A refused request is corrected and sent again on
    the same row: ``revision`` counts the sendings, and the audit log keeps every earlier reason and data.
    """

    class Status(models.TextChoices):
        REQUESTED = "requested", _("待核实")
        CONFIRMED = "confirmed", _("已确认")
        REFUSED = "refused", _("未通过")

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="company_registrations"
    )
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.REQUESTED)
    revision = models.PositiveIntegerField(_("提交次数"), default=1)
    credit_code = CreditCodeField(_("统一社会信用代码"), validators=[uscc.validate_credit_code])
    name = models.CharField(_("企业名称"), max_length=200)
    legal_representative = models.CharField(_("法定代表人"), max_length=100)
    registration_district = models.CharField(_("注册区县"), max_length=50)
    tax_district = models.CharField(_("税务登记区县"), max_length=50)
    contact_person = models.CharField(_("联系人"), max_length=100)
    contact_phone = models.CharField(_("联系电话"), max_length=50)
    contact_email = models.EmailField(_("联系邮箱"))
    licence = models.FileField(_("营业执照"), max_length=255)
    licence_name = models.CharField(_("营业执照文件名"), max_length=120)
    licence_kind = models.CharField(_("文件类型"), max_length=10)
    licence_size = models.PositiveBigIntegerField(_("大小（字节）"))
    licence_sha256 = models.CharField(_("SHA-256"), max_length=64)
    requested_at = models.DateTimeField(_("提交时间"), default=timezone.now)
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(_("未通过的原因"), blank=True)
    company = models.ForeignKey(Company, null=True, blank=True, on_delete=models.SET_NULL, related_name="registrations")

    class Meta:
        verbose_name = _("企业登记申请")
        verbose_name_plural = _("企业登记申请")
        ordering = ["requested_at", "id"]
        constraints = [
            # One pending registration per credit code: the office verifies one licence at a time.
            models.UniqueConstraint(
                fields=["credit_code"], condition=models.Q(status="requested"), name="one_pending_registration"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.credit_code}）"


class CompanyDocument(models.Model):
    """A document the company keeps once (单位证照库): the business licence and the other materials an item's
    material list marks reusable (``"reusable": true, "document_kind": "<kind>"``), chosen on an application
    instead of uploaded again. A replacement is a new row with its own file; the old row is superseded, its file
    kept, because cases that chose it keep serving it."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="documents", verbose_name=_("企业"))
    kind = models.CharField(_("证照类别"), max_length=60, db_index=True)
    file = models.FileField(_("文件"), max_length=255)
    original_name = models.CharField(_("原文件名"), max_length=120)
    file_kind = models.CharField(_("文件类型"), max_length=10)
    size = models.PositiveBigIntegerField(_("大小（字节）"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    valid_until = models.DateField(_("有效期至"), null=True, blank=True, help_text=_("长期有效的证照留空。"))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    superseded_at = models.DateTimeField(_("被替换时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("单位证照")
        verbose_name_plural = _("单位证照")
        ordering = ["company", "kind", "-uploaded_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "kind"],
                condition=models.Q(superseded_at__isnull=True),
                name="one_current_company_document_per_kind",
            )
        ]

    def __str__(self) -> str:
        return f"{self.company}: {self.kind}（{self.original_name}）"

    def is_valid_on(self, day) -> bool:
        return self.valid_until is None or self.valid_until >= day


class CompanyImport(models.Model):
    """One bulk import of company records: who, when, which file (name and SHA-256) and what came of it.

    Written for every run, dry runs and refused files included, so an office can always answer
    "where did this record come from".
    """

    class Outcome(models.TextChoices):
        APPLIED = "applied", _("已导入")
        DRY_RUN = "dry_run", _("试运行（未写入）")
        REFUSED = "refused", _("有错误，未导入")

    at = models.DateTimeField(_("导入时间"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    source = models.CharField(_("来源"), max_length=20, default="command")  # "command", "admin", "bench"
    # For command-line runs without --user: the operating-system account that ran the command.
    operator = models.CharField(_("操作系统用户"), max_length=100, blank=True)
    file_name = models.CharField(_("文件名"), max_length=255, blank=True)
    file_sha256 = models.CharField(_("文件SHA-256"), max_length=64, blank=True)
    outcome = models.CharField(_("结果"), max_length=20, choices=Outcome.choices)
    skip_invalid = models.BooleanField(_("跳过错误行"), default=False)
    new = models.PositiveIntegerField(_("新增"), default=0)
    updated = models.PositiveIntegerField(_("更新"), default=0)
    unchanged = models.PositiveIntegerField(_("未变化"), default=0)
    invalid = models.PositiveIntegerField(_("错误"), default=0)
    seconds = models.DecimalField(_("用时（秒）"), max_digits=10, decimal_places=3, default=Decimal("0"))
    message = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("企业导入记录")
        verbose_name_plural = _("企业导入记录")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.file_name}"

    def counts(self) -> dict[str, int]:
        return {"new": self.new, "updated": self.updated, "unchanged": self.unchanged, "invalid": self.invalid}


class ImportJob(models.Model):
    """A company file uploaded on the office's import page: checked in the background, shown to the manager
    with every error beside the value typed, then imported (all rows, or only the valid ones) when they say so.

    The file is kept in the file store under a random name until the job is done, so the check and the import
    read the very same bytes (its SHA-256 is recorded, and the CompanyImport of the import repeats it).
    """

    class Status(models.TextChoices):
        CHECKING = "checking", _("正在检查")
        CHECKED = "checked", _("已检查，待确认导入")
        IMPORTING = "importing", _("正在导入")
        DONE = "done", _("已导入")
        REFUSED = "refused", _("文件无法导入")
        FAILED = "failed", _("处理出错")
        DISCARDED = "discarded", _("已放弃")

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True, db_index=True)
    file_name = models.CharField(_("文件名"), max_length=255)
    file_sha256 = models.CharField(_("文件SHA-256"), max_length=64)
    stored_file = models.CharField(max_length=255)
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.CHECKING)
    total_rows = models.PositiveIntegerField(_("数据行数"), default=0)
    checked_rows = models.PositiveIntegerField(_("已检查行数"), default=0)
    new = models.PositiveIntegerField(_("新增"), default=0)
    updated = models.PositiveIntegerField(_("更新"), default=0)
    unchanged = models.PositiveIntegerField(_("未变化"), default=0)
    invalid = models.PositiveIntegerField(_("错误行"), default=0)
    problem_count = models.PositiveIntegerField(_("问题数"), default=0)
    # The first problems and sample rows, for the preview page (the whole list is in the rejected-rows file).
    problems = models.JSONField(default=list, blank=True)
    samples = models.JSONField(default=list, blank=True)
    rejected_file = models.CharField(max_length=255, blank=True)
    skip_invalid = models.BooleanField(_("只导入正确的行"), default=False)
    message = models.TextField(_("说明"), blank=True)
    result = models.ForeignKey(CompanyImport, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("企业导入任务")
        verbose_name_plural = _("企业导入任务")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_status_display()})"

    @property
    def valid_rows(self) -> int:
        return self.new + self.updated + self.unchanged

    @property
    def percent(self) -> int:
        return int(100 * self.checked_rows / self.total_rows) if self.total_rows else 0

    @property
    def busy(self) -> bool:
        return self.status in (self.Status.CHECKING, self.Status.IMPORTING)
