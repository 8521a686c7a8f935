"""The case (Application) and everything recorded on it.

The state field is protected: nothing writes it except the transition methods generated from the workflow
table, and those are only called by ``applications.services.perform`` inside a locked transaction.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField

from .. import workflow

MONEY = {"max_digits": 16, "decimal_places": 2, "validators": [MinValueValidator(Decimal("0"))]}


def _user_may(key: str):
    def check(instance, user) -> bool:
        from ..rules import may_take

        return may_take(user, instance, key)

    check.__name__ = f"may_{key}"
    return check


def _condition(key: str):
    return workflow.CONDITIONS[key].check


#: One generated @transition method per row of the workflow table (invest.workflow.Table.transition_methods);
#: they change the state only, the side effects live in applications.services (one place, one transaction).
WorkflowTransitions = workflow.TABLE.transition_methods(
    "WorkflowTransitions",
    __name__,
    conditions=lambda spec: [_condition(c) for c in spec.conditions],
    permission=lambda spec: _user_may(spec.key),
)


class CaseCounter(models.Model):
    """The last case number handed out per year; locked while the next one is taken."""

    year = models.PositiveIntegerField(unique=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("案件编号计数器")
        verbose_name_plural = _("案件编号计数器")

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class Application(WorkflowTransitions, ConcurrentTransitionMixin, models.Model):
    case_number = models.CharField(_("案件编号"), max_length=30, unique=True)
    company = models.ForeignKey(
        "companies.Company", on_delete=models.PROTECT, related_name="applications", verbose_name=_("申报单位")
    )
    item = models.ForeignKey(
        "policies.SupportItem", on_delete=models.PROTECT, related_name="applications", verbose_name=_("扶持项目")
    )
    round = models.ForeignKey(
        "policies.Round", on_delete=models.PROTECT, related_name="applications", verbose_name=_("申报批次")
    )
    project_title = models.CharField(_("项目/作品名称"), max_length=200)
    work_key = models.CharField(
        _("作品标识"),
        max_length=200,
        blank=True,
        db_index=True,
        help_text=_("同一部作品的各项奖励按“就高不重复”合并计算；留空时按项目/作品名称识别。"),
    )
    facts = models.JSONField(_("申报数据"), default=dict, blank=True)
    snapshot = models.JSONField(_("提交时的审核依据快照"), default=dict, blank=True)
    state = FSMField(_("状态"), default="draft", choices=workflow.state_choices(), protected=True, db_index=True)
    requested_amount = models.DecimalField(_("申请金额"), null=True, blank=True, **MONEY)
    computed_amount = models.DecimalField(_("测算金额"), null=True, blank=True, **MONEY)
    reviewed_amount = models.DecimalField(_("初审金额"), null=True, blank=True, **MONEY)
    approved_amount = models.DecimalField(_("批准金额"), null=True, blank=True, **MONEY)
    disbursed_amount = models.DecimalField(_("已拨付金额"), default=Decimal("0.00"), **MONEY)
    reclaimed_amount = models.DecimalField(_("追回金额"), default=Decimal("0.00"), **MONEY)
    decision_basis = models.JSONField(_("审定计算依据"), default=dict, blank=True)
    integrity_pledge_at = models.DateTimeField(_("诚信承诺确认时间"), null=True, blank=True)
    revision = models.PositiveIntegerField(_("当前版本"), default=1)
    due_date = models.DateField(_("当前期限"), null=True, blank=True, db_index=True)
    due_kind = models.CharField(_("期限类型"), max_length=20, blank=True)
    paused_working_days = models.PositiveIntegerField(_("暂停时剩余工作日"), null=True, blank=True)
    overdue_since = models.DateField(_("逾期标记日期"), null=True, blank=True, db_index=True)
    notice_batch = models.ForeignKey(
        "NoticeBatch",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="applications",
        verbose_name=_("公示批次"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("创建人")
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    decided_at = models.DateTimeField(_("审定时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("申报案件")
        verbose_name_plural = _("申报案件")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["round", "state"]),
            models.Index(fields=["company", "state"]),
            # The queue's stage and its sorts (portal.selectors.SORTS): a page's ids come from one of these,
            # read in order or index-only, then the page's 50 rows by id (invest.paging), however many cases
            # wait in the stage.
            models.Index(fields=["state", "due_date", "submitted_at", "id"], name="case_queue_due_idx"),
            models.Index(fields=["state", "submitted_at", "id"], name="case_queue_submitted_idx"),
            models.Index(fields=["state", "computed_amount", "id"], name="case_queue_amount_idx"),
            models.Index(fields=["state", "case_number"], name="case_queue_number_idx"),
            # the queue over every stage (全部阶段), by deadline: read in order, the few drafts skipped
            models.Index(fields=["due_date", "submitted_at", "id"], name="case_due_idx"),
            # the queue filtered by item or by round, by deadline: counted and read in order from these
            models.Index(fields=["state", "item", "due_date", "submitted_at", "id"], name="case_queue_item_idx"),
            models.Index(fields=["state", "round", "due_date", "submitted_at", "id"], name="case_queue_round_idx"),
            # Meta.ordering, the applicant's list and the API's: newest first
            models.Index(fields=["created_at", "id"], name="case_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.case_number} {self.project_title}"

    def refresh_from_db(self, using=None, fields=None, from_queryset=None):
        """Reload without touching the field's `protected` flag.

        django-fsm-2 4.2.4 turns the protection off for the whole process while it refreshes, which is not
        thread-safe: a transition running at the same moment in another thread can fail with "Direct state
        modification is not allowed" or run unprotected. The descriptor only refuses a value when the instance
        already holds one, so dropping this instance's cached state lets Django load it as usual.
        """
        for field in self.state_fields:
            if fields is None or field.name in fields or field.attname in fields:
                self.__dict__.pop(field.name, None)
        models.Model.refresh_from_db(self, using=using, fields=fields, from_queryset=from_queryset)
        self._update_initial_state()

    @property
    def state_label(self) -> str:
        return str(workflow.STATE_BY_KEY[self.state].label)

    @property
    def work(self) -> str:
        return (self.work_key or self.project_title).strip()

    def required_material_keys(self) -> list[str]:
        return [m["key"] for m in (self.item.materials or []) if m.get("required")]

    def current_materials(self) -> models.QuerySet[Material]:
        return self.materials.filter(superseded_at__isnull=True)

    def missing_materials(self) -> list[str]:
        present = set(self.current_materials().values_list("key", flat=True))
        return [key for key in self.required_material_keys() if key not in present]

    def open_correction(self) -> CorrectionRequest | None:
        return self.correction_requests.filter(status=CorrectionRequest.Status.OPEN).first()

    def unanswered_correction_items(self) -> list[CorrectionItem]:
        request = self.open_correction()
        if request is None:
            return []
        return [i for i in request.items.all() if not i.answered]

    @property
    def remaining_to_disburse(self) -> Decimal:
        return (self.approved_amount or Decimal("0")) - self.disbursed_amount


class Revision(models.Model):
    """One submitted version of the case: facts as sent, and which materials were current then."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField(_("版本号"))
    facts = models.JSONField(_("申报数据"), default=dict)
    materials = models.JSONField(_("材料清单"), default=dict, help_text=_("材料键 → 文件摘要（sha256）"))
    submitted_at = models.DateTimeField(_("提交时间"), auto_now_add=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("提交版本")
        verbose_name_plural = _("提交版本")
        ordering = ["application", "number"]
        constraints = [models.UniqueConstraint(fields=["application", "number"], name="unique_revision_number")]

    def __str__(self) -> str:
        return f"{self.application.case_number} v{self.number}"


class Material(models.Model):
    """An uploaded file for one material key. A replacement supersedes it; the old file is kept."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="materials")
    key = models.CharField(_("材料类别"), max_length=60)
    revision = models.PositiveIntegerField(_("所属版本"), default=1)
    file = models.FileField(_("文件"), max_length=255)
    original_name = models.CharField(_("原文件名"), max_length=120)
    kind = models.CharField(_("文件类型"), max_length=10)
    size = models.PositiveBigIntegerField(_("大小（字节）"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    #: Chosen from the company's document store (单位证照库) instead of uploaded: ``file`` names the same stored
    #: file and ``sha256`` is the hash copied when it was chosen; a later replacement in the store is a new
    #: CompanyDocument with its own file, so this material keeps serving what the case was given.
    company_document = models.ForeignKey(
        "companies.CompanyDocument",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="materials",
        verbose_name=_("单位证照"),
    )
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    superseded_at = models.DateTimeField(_("被替换时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("申报材料")
        verbose_name_plural = _("申报材料")
        ordering = ["application", "key", "uploaded_at", "id"]

    def __str__(self) -> str:
        return f"{self.key}: {self.original_name}"


class CorrectionRequest(models.Model):
    """One 补正 notice: every missing or faulty item at once, with a deadline."""

    class Status(models.TextChoices):
        OPEN = "open", _("待补正")
        ANSWERED = "answered", _("已补正")
        LAPSED = "lapsed", _("逾期未补正")
        WITHDRAWN = "withdrawn", _("申报已撤回")

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="correction_requests")
    revision = models.PositiveIntegerField(_("针对版本"))
    comment = models.TextField(_("补正说明"))
    deadline = models.DateField(_("补正期限"))
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.OPEN)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    requested_at = models.DateTimeField(_("通知时间"), auto_now_add=True)
    answered_at = models.DateTimeField(_("补正时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("补正通知")
        verbose_name_plural = _("补正通知")
        ordering = ["application", "-requested_at"]

    def __str__(self) -> str:
        return f"{self.application.case_number} 补正（{self.deadline}）"


class CorrectionItem(models.Model):
    class Kind(models.TextChoices):
        MATERIAL = "material", _("材料")
        FACT = "fact", _("申报数据")

    class Problem(models.TextChoices):
        MISSING = "missing", _("缺少")
        FAULTY = "faulty", _("有误或不清晰")

    request = models.ForeignKey(CorrectionRequest, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(_("类别"), max_length=10, choices=Kind.choices, default=Kind.MATERIAL)
    key = models.CharField(_("材料或数据项"), max_length=60)
    problem = models.CharField(_("问题"), max_length=10, choices=Problem.choices, default=Problem.FAULTY)
    note = models.CharField(_("具体说明"), max_length=500, blank=True)
    answered = models.BooleanField(_("已补正"), default=False)

    class Meta:
        verbose_name = _("补正事项")
        verbose_name_plural = _("补正事项")
        ordering = ["request", "id"]
        constraints = [models.UniqueConstraint(fields=["request", "kind", "key"], name="unique_correction_item")]

    def __str__(self) -> str:
        return f"{self.key}: {self.get_problem_display()}"


class ExpertAssignment(models.Model):
    class Opinion(models.TextChoices):
        SUPPORT = "support", _("同意")
        SUPPORT_WITH_REDUCTION = "support_with_reduction", _("同意但核减")
        OPPOSE = "oppose", _("不同意")

    class Declaration(models.TextChoices):
        NONE = "none", _("无利益冲突")
        CONFLICT = "conflict", _("存在利益冲突")

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="expert_assignments")
    expert = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="expert_assignments", verbose_name=_("专家")
    )
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    assigned_at = models.DateTimeField(_("指派时间"), auto_now_add=True)
    opinion = models.CharField(_("评审意见"), max_length=30, choices=Opinion.choices, blank=True)
    score = models.DecimalField(
        _("评分"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    suggested_amount = models.DecimalField(_("建议金额"), null=True, blank=True, **MONEY)
    comment = models.TextField(_("意见说明"), blank=True)
    answered_at = models.DateTimeField(_("提交意见时间"), null=True, blank=True)
    #: The conflict-of-interest declaration, given before the expert may open the case's materials and facts.
    declaration = models.CharField(_("利益冲突声明"), max_length=10, choices=Declaration.choices, blank=True)
    conflict_reason = models.CharField(_("利益冲突说明"), max_length=500, blank=True)
    declared_at = models.DateTimeField(_("声明时间"), null=True, blank=True)
    #: Set when the expert declared a conflict: the assignment no longer counts, the expert loses the case.
    recused_at = models.DateTimeField(_("回避时间"), null=True, blank=True)
    #: The rubric as scored: [{"criterion", "label", "weight", "maximum", "score"}], decimals as text, so a later
    #: edit of the item's rubric never changes a given opinion; ``score`` holds the computed total.
    scores = models.JSONField(_("分项评分"), default=list, blank=True)

    class Meta:
        verbose_name = _("专家评审")
        verbose_name_plural = _("专家评审")
        ordering = ["application", "id"]
        constraints = [models.UniqueConstraint(fields=["application", "expert"], name="unique_expert_per_case")]

    def __str__(self) -> str:
        return f"{self.application.case_number} ← {self.expert}"

    @property
    def active(self) -> bool:
        """Counts for the review: not recused."""
        return self.recused_at is None

    @property
    def cleared(self) -> bool:
        """The expert declared no conflict (and so may open the case's materials)."""
        return self.recused_at is None and self.declaration == self.Declaration.NONE


class NoticeBatch(models.Model):
    """Cases that went into public notice (公示) together."""

    title = models.CharField(_("公示标题"), max_length=200)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    started_at = models.DateTimeField(_("公示开始时间"), auto_now_add=True)
    ends_on = models.DateField(_("公示截止日期"))

    class Meta:
        verbose_name = _("公示批次")
        verbose_name_plural = _("公示批次")
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return self.title


class Objection(models.Model):
    """A named objection raised during public notice; it holds the case until an approver decides."""

    class Status(models.TextChoices):
        OPEN = "open", _("待核查")
        UPHELD = "upheld", _("异议成立")
        DISMISSED = "dismissed", _("异议不成立")

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="objections")
    name = models.CharField(_("异议人真实姓名"), max_length=100)
    contact = models.CharField(_("联系方式"), max_length=100)
    content = models.TextField(_("异议内容"))
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    filed_at = models.DateTimeField(_("提出时间"), auto_now_add=True)
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.OPEN)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(_("核查时间"), null=True, blank=True)
    decision = models.TextField(_("核查结论"), blank=True)

    class Meta:
        verbose_name = _("公示异议")
        verbose_name_plural = _("公示异议")
        ordering = ["application", "filed_at", "id"]

    def __str__(self) -> str:
        return f"{self.application.case_number} 异议（{self.name}）"


class Disbursement(models.Model):
    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="disbursements")
    amount = models.DecimalField(_("拨付金额"), **MONEY)
    paid_on = models.DateField(_("拨付日期"))
    voucher_number = models.CharField(_("凭证号"), max_length=60, unique=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("拨付记录")
        verbose_name_plural = _("拨付记录")
        ordering = ["application", "paid_on", "id"]

    def __str__(self) -> str:
        return f"{self.application.case_number} {self.amount}（{self.voucher_number}）"


class Clawback(models.Model):
    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="clawbacks")
    amount = models.DecimalField(_("追回金额"), **MONEY)
    reason = models.TextField(_("追回原因"))
    banned_until = models.DateField(_("禁入截止日"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("资金追回")
        verbose_name_plural = _("资金追回")
        ordering = ["-recorded_at"]

    def __str__(self) -> str:
        return f"{self.application.case_number} 追回 {self.amount}"


class Notification(models.Model):
    """An entry in a user's inbox (``/inbox/``); the same text, with its link, also goes out by e-mail.

    Written only by ``invest.notify.notify``. An entry about a case links to the case page the recipient may
    open (the applicant's or the office's); an entry about something else links to ``url``. The e-mail is sent
    after the commit by a task (``invest.notify_tasks``); ``email_status`` says how that went.
    """

    class EmailStatus(models.TextChoices):
        NONE = "none", _("无邮箱")
        PENDING = "pending", _("待发送")
        SENT = "sent", _("已发送")
        FAILED = "failed", _("发送失败")

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    application = models.ForeignKey(
        Application, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    event = models.CharField(_("事件"), max_length=60)
    subject = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    url = models.CharField(_("链接"), max_length=500, blank=True, help_text=_("不属于某个案件的通知所指向的页面"))
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)
    read_at = models.DateTimeField(_("阅读时间"), null=True, blank=True)
    email_status = models.CharField(
        _("邮件"), max_length=10, choices=EmailStatus.choices, default=EmailStatus.NONE
    )
    email_attempts = models.PositiveSmallIntegerField(_("邮件发送次数"), default=0)
    email_error = models.TextField(_("邮件发送错误"), blank=True)

    class Meta:
        verbose_name = _("站内通知")
        verbose_name_plural = _("站内通知")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self) -> str:
        return self.subject
