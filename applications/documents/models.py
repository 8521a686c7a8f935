"""Issued documents and their number counters.

A document is issued (numbered, its context frozen) inside the transaction of the decision that issues it,
and rendered to PDF later by a task. The number and the frozen context never change afterwards; the PDF is
written once, with its SHA-256, and only rendered again when there is no file yet.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .constants import DocumentKind, DocumentStatus, format_number

# Verification codes: 16 characters of a 32-character alphabet without look-alikes (0/O, 1/I/L) = 80 random bits.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 16


def new_verification_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


class DocumentCounter(models.Model):
    """The last number issued per issuer and year; its row is locked (select_for_update) while a number is taken."""

    issuer = models.CharField(_("发文机关代字"), max_length=30)
    year = models.PositiveIntegerField(_("年度"))
    last_number = models.PositiveIntegerField(_("已用最大序号"), default=0)

    class Meta:
        verbose_name = _("文号计数器")
        verbose_name_plural = _("文号计数器")
        constraints = [models.UniqueConstraint(fields=["issuer", "year"], name="documents_counter_issuer_year")]

    def __str__(self) -> str:
        return f"{self.issuer}〔{self.year}〕{self.last_number}"


class Document(models.Model):
    kind = models.CharField(_("文书类型"), max_length=40, choices=DocumentKind.choices)
    issuer = models.CharField(_("发文机关代字"), max_length=30)
    year = models.PositiveIntegerField(_("年度"))
    sequence = models.PositiveIntegerField(_("序号"))
    number = models.CharField(_("文号"), max_length=60, unique=True)
    verification_code = models.CharField(
        _("核验码"), max_length=CODE_LENGTH, unique=True, default=new_verification_code, editable=False
    )
    # The case the document is about, or (for the public-notice list) the batch.
    application = models.ForeignKey(
        "applications.Application",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="documents",
        verbose_name=_("申报案件"),
    )
    batch = models.ForeignKey(
        "applications.NoticeBatch",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="documents",
        verbose_name=_("公示批次"),
    )
    context = models.JSONField(_("签发时的内容"), default=dict, help_text=_("签发时冻结，之后不再改变。"))
    status = models.CharField(_("状态"), max_length=20, choices=DocumentStatus.choices, default=DocumentStatus.ISSUED)
    issued_at = models.DateTimeField(_("签发时间"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    transition = models.CharField(_("触发的流转"), max_length=40, blank=True)
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    revoked_reason = models.TextField(_("撤销原因"), blank=True)
    file = models.FileField(_("PDF 文件"), upload_to="documents/", blank=True, max_length=200)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    size = models.PositiveIntegerField(_("文件大小（字节）"), null=True, blank=True)
    rendered_at = models.DateTimeField(_("生成时间"), null=True, blank=True)
    render_attempts = models.PositiveIntegerField(_("生成尝试次数"), default=0)
    render_error = models.TextField(_("最近一次生成错误"), blank=True)

    class Meta:
        verbose_name = _("文书")
        verbose_name_plural = _("文书")
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["issuer", "year", "sequence"], name="documents_number_unique"),
        ]
        indexes = [models.Index(fields=["kind", "status"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}"

    def save(self, *args, **kwargs):
        if not self.number:
            self.number = format_number(self.issuer, self.year, self.sequence)
        super().save(*args, **kwargs)

    @property
    def is_rendered(self) -> bool:
        return bool(self.file and self.sha256)

    @property
    def is_valid(self) -> bool:
        return self.status == DocumentStatus.ISSUED

    @property
    def company_name(self) -> str:
        return self.context.get("company_name", "")

    @property
    def amount_figures(self) -> str:
        """The amount the document is about, as printed (approved, disbursed, requested or total)."""
        for key in ("approved_figures", "disbursed_figures", "total_figures", "requested_figures"):
            if self.context.get(key):
                return self.context[key]
        return ""
