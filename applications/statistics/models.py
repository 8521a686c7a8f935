"""One row per stay of a case in a stage (a visit), so that how long stages take is a query, not a walk
through the audit log.

A case has one open visit (``left_at`` empty) for the stage it is in, and one finished visit for every stage
it has left; a case that comes back to a stage (an objection dismissed restarts 公示) has one visit per stay.
``working_days`` is counted when the visit ends, with the calendar of that day (applications.workdays), from
the day the case entered the stage to the day it left, in Asia/Shanghai: after the entry day, up to and
including the leaving day, so a stage entered and left on one day took 0 working days.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from applications import workflow


class StageVisit(models.Model):
    application = models.ForeignKey(
        "applications.Application", on_delete=models.CASCADE, related_name="stage_visits", verbose_name=_("申报案件")
    )
    state = models.CharField(_("阶段"), max_length=30, choices=workflow.state_choices())
    entered_at = models.DateTimeField(_("进入时间"))
    left_at = models.DateTimeField(_("离开时间"), null=True, blank=True)
    working_days = models.PositiveIntegerField(_("办理工作日"), null=True, blank=True)

    class Meta:
        verbose_name = _("阶段停留记录")
        verbose_name_plural = _("阶段停留记录")
        ordering = ["application", "entered_at", "id"]
        indexes = [
            # the medians: finished visits of one stage ended in a year, in order of their length
            models.Index(fields=["state", "left_at", "working_days"], name="stagevisit_state_left_days"),
        ]
        constraints = [
            # the stage a case is in now: at most one open visit per case
            models.UniqueConstraint(
                fields=["application"], condition=models.Q(left_at__isnull=True), name="one_open_stage_visit"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application_id} {self.state} {self.entered_at:%Y-%m-%d}–{self.left_at or ''}"
