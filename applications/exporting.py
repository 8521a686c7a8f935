"""The dashboard's case list as an XLSX workbook, for offline reporting by the managers.

Written through invest.exporting like every other export: project titles and company names come from
applicants, so text a spreadsheet would run as a formula is written as text.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from invest.exporting import add_sheet, new_workbook, workbook_bytes

from .models import Application

HEADERS = (
    _lazy("案件编号"),
    _lazy("申报单位"),
    _lazy("统一社会信用代码"),
    _lazy("扶持事项"),
    _lazy("申报批次"),
    _lazy("项目/作品名称"),
    _lazy("阶段"),
    _lazy("测算金额（元）"),
    _lazy("初审金额（元）"),
    _lazy("批准金额（元）"),
    _lazy("已拨付金额（元）"),
    _lazy("提交时间"),
    _lazy("当前期限"),
)
WIDTHS = (18, 30, 22, 26, 28, 30, 14, 16, 16, 16, 16, 18, 12)
MONEY_COLUMNS = (7, 8, 9, 10)  # 0-based: computed, reviewed, approved, disbursed


def case_row(case: Application) -> list:
    return [
        case.case_number,
        case.company.name,
        case.company.credit_code,
        f"{case.item.code} {case.item.name}",
        str(case.round),
        case.project_title,
        case.state_label,
        case.computed_amount,
        case.reviewed_amount,
        case.approved_amount,
        case.disbursed_amount,
        timezone.localtime(case.submitted_at).replace(tzinfo=None) if case.submitted_at else None,
        case.due_date,
    ]


def cases_workbook(cases: Iterable[Application]) -> bytes:
    """One sheet 案件清单: one row per case, amounts as numbers with a thousands format."""
    book = new_workbook()
    add_sheet(
        book,
        _("案件清单"),
        [str(h) for h in HEADERS],
        (case_row(c) for c in cases),
        money_columns=MONEY_COLUMNS,
        widths=WIDTHS,
    )
    return workbook_bytes(book)
