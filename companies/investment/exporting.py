"""The pipeline as an XLSX workbook: the same figures as the page, plus every lead, for offline reporting."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from invest.exporting import add_sheet, new_workbook, workbook_bytes

from . import selectors, workflow
from .models import Lead


def _sheet(book, title: str, header: list[str], rows: list[list], money_columns: set[int] = frozenset()):
    # Lead names and notes come from imported files: invest.exporting writes formula-like text as text.
    return add_sheet(book, title, header, rows, money_columns=money_columns)


def pipeline_workbook(leads: QuerySet[Lead]) -> bytes:
    """Four sheets: 汇总 (summary), 按阶段 (by stage), 按活动 (by event), 线索明细 (every lead). Amounts are numbers."""
    figures = selectors.pipeline(leads)
    book = new_workbook()

    _sheet(
        book,
        _("汇总"),
        [_("指标"), _("数值")],
        [
            [_("导出时间"), timezone.localtime().strftime("%Y-%m-%d %H:%M")],
            [_("线索总数"), figures.total],
            [_("已落地"), figures.settled_count],
            [_("转化率（%）"), figures.conversion],
            [_("签约承诺投资额（元）"), figures.committed_investment],
            [_("已落地投资额（元）"), figures.settled_investment],
            [_("在谈线索预计投资额（元）"), figures.expected_open_investment],
            [_("接洽至落地平均天数"), figures.average_days_to_settle],
        ],
    )
    _sheet(
        book,
        _("按阶段"),
        [_("阶段"), _("线索数"), _("预计投资额（元）")],
        [[s.label, s.count, s.expected_investment] for s in figures.stages],
        {2},
    )
    _sheet(
        book,
        _("按活动"),
        [
            _("来源活动"),
            _("线索数"),
            *[str(state.label) for state in workflow.STATES],
            _("转化率（%）"),
            _("签约承诺投资额（元）"),
            _("已落地投资额（元）"),
        ],
        [
            [r.name, r.total, *r.stage_counts(), r.conversion, r.committed_investment, r.settled_investment]
            for r in figures.events
        ],
        {len(workflow.STATES) + 3, len(workflow.STATES) + 4},
    )
    rows = []
    for lead in leads.select_related("event", "owner", "company").prefetch_related("agreements").order_by("id"):
        rows.append(
            [
                lead.pk,
                lead.name,
                lead.credit_code,
                lead.get_project_kind_display(),
                lead.state_label,
                str(lead.event) if lead.event else "",
                lead.owner.get_username() if lead.owner else "",
                lead.expected_investment,
                lead.expected_local_spend,
                sum((a.committed_investment for a in lead.agreements.all()), selectors.ZERO),
                lead.contacted_on,
                lead.settled_on,
                str(lead.company) if lead.company else "",
                lead.lost_reason,
            ]
        )
    _sheet(
        book,
        _("线索明细"),
        [
            _("编号"),
            _("线索名称"),
            _("统一社会信用代码"),
            _("项目类型"),
            _("阶段"),
            _("来源活动"),
            _("跟进人"),
            _("预计投资额（元）"),
            _("预计本地消费（元）"),
            _("协议投资额（元）"),
            _("首次接洽日期"),
            _("落地日期"),
            _("落地企业"),
            _("未落地原因"),
        ],
        rows,
        {7, 8, 9},
    )
    return workbook_bytes(book)
