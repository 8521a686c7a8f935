"""The working-day calendar, kept in the database.

The State Council publishes each year's holiday schedule around November, so a packaged calendar always
ends at some year. The rows here are seeded from `chinese-calendar` for the years it knows and edited by
managers in the admin when a new schedule is published. A year without a CalendarYear row falls back to
plain weekends (see applications.workdays).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class CalendarYear(models.Model):
    """That a year's official schedule is on file (and where it came from)."""

    class Source(models.TextChoices):
        PACKAGE = "package", _("chinese-calendar 软件包")
        MANUAL = "manual", _("管理员录入")

    year = models.PositiveIntegerField(_("年份"), unique=True)
    source = models.CharField(_("来源"), max_length=20, choices=Source.choices, default=Source.MANUAL)
    note = models.CharField(_("备注"), max_length=200, blank=True, help_text=_("例如国务院办公厅通知的文号。"))
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("节假日安排年度")
        verbose_name_plural = _("节假日安排年度")
        ordering = ["-year"]

    def __str__(self) -> str:
        return str(self.year)


class CalendarDay(models.Model):
    """A day that differs from the plain Monday–Friday rule: a holiday on a weekday, or a make-up working day."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("法定节假日（休息）")
        WORKDAY = "workday", _("调休上班日")

    year = models.ForeignKey(CalendarYear, on_delete=models.CASCADE, related_name="days")
    date = models.DateField(_("日期"), unique=True)
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("节日名称"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("节假日与调休日")
        verbose_name_plural = _("节假日与调休日")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()}"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.date and self.year_id and self.date.year != self.year.year:
            raise ValidationError({"date": _("日期必须在所属年份之内。")})
