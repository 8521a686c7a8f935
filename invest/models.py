"""Cross-cutting records: the one append-only audit log of the whole service."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class AuditEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):  # pragma: no cover - guard
        raise PermissionError("The audit log is append-only.")

    def delete(self):  # pragma: no cover - guard
        raise PermissionError("The audit log is append-only.")


class AuditEntry(models.Model):
    """Who did what, when, to which record, from which value to which, and why. Never changed, never deleted."""

    at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_role = models.CharField(_("角色"), max_length=30, blank=True)
    action = models.CharField(pgettext_lazy("action", "事项"), max_length=60, db_index=True)
    target_type = models.CharField(_("对象类型"), max_length=60, db_index=True)
    target_id = models.CharField(_("对象"), max_length=64, db_index=True)
    before = models.JSONField(_("变更前"), null=True, blank=True)
    after = models.JSONField(_("变更后"), null=True, blank=True)
    reason = models.TextField(_("理由"), blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["target_type", "target_id", "at"]),
            # The audit viewer's filter by person, newest first (invest.auditlog).
            models.Index(fields=["actor", "at"], name="audit_actor_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.target_type}#{self.target_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("The audit log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("The audit log is append-only.")


class ReminderLog(models.Model):
    """One row per reminder sent (invest.reminders): its unique key is what makes the daily run idempotent.

    The row is written in the same transaction as the notices it stands for, so a reminder is either recorded
    and in the inbox, or neither; a second run (or a concurrent one) meets the unique key and sends nothing.
    """

    key = models.CharField(_("提醒标识"), max_length=200, unique=True)
    event = models.CharField(_("通知类型"), max_length=60, db_index=True)
    sent_at = models.DateTimeField(_("发送时间"), auto_now_add=True)
    recipient_count = models.PositiveIntegerField(_("接收人数"), default=0)

    class Meta:
        verbose_name = _("提醒记录")
        verbose_name_plural = _("提醒记录")
        ordering = ["-sent_at", "-id"]

    def __str__(self) -> str:
        return self.key
