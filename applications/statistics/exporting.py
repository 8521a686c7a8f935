"""The statistics page as an XLSX workbook: one sheet per table of the page, the same figures (amounts as
numbers, written through invest.exporting so that no text, such as a district typed into the registry, can
become a formula)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from companies.models import Industry
from invest.exporting import add_sheet, new_workbook, workbook_bytes

from .queries import Figures

MEASURE_HEADERS = (
    _lazy("申报件数"),
    _lazy("批准件数"),
    _lazy("批准金额（元）"),
    _lazy("拨付金额（元）"),
    _lazy("追回金额（元）"),
)


def _measures(row: dict) -> list:
    return [row["submitted"], row["approved_n"], row["approved"], row["paid"], row["reclaimed"]]


def _headers(*names) -> list[str]:
    return [str(name) for name in names]


def filter_rows(figures: Figures) -> list[list]:
    f = figures.filters
    round_name = ""
    if f.round:
        from policies.models import Round

        round_name = str(Round.objects.filter(pk=f.round).values_list("name", flat=True).first() or f.round)
    return [
        [_("年度"), f.year],
        [_("扶持事项"), f.item or _("全部事项")],
        [_("申报批次"), round_name or _("全部批次")],
        [_("注册区县"), f.district or _("全部区县")],
        [_("企业类型"), str(Industry(f.industry).label) if f.industry else _("全部类型")],
        [_("导出时间"), timezone.localtime().replace(tzinfo=None, microsecond=0)],
    ]


def workbook(figures: Figures) -> bytes:
    year = figures.filters.year
    book = new_workbook()
    add_sheet(book, _("筛选条件"), [_("条件"), _("取值")], filter_rows(figures), widths=[16, 40])
    add_sheet(
        book,
        _("本年与上年"),
        [_("指标"), str(year), str(year - 1), _("增减幅度（百分比）")],
        (
            [r["label"], r["this"], r["last"], round(r["change"], 1) if r["change"] is not None else None]
            for r in figures.year_on_year
        ),
        money_columns=(1, 2),
        widths=[18, 18, 18, 12],
    )
    add_sheet(
        book,
        _("各月"),
        [*_headers(_("月份"), *MEASURE_HEADERS), _("上年同月批准金额（元）"), _("上年同月拨付金额（元）")],
        (
            [m["label"], *_measures(m), c["approved_last"], c["paid_last"]]
            for m, c in zip(figures.months, figures.month_comparison, strict=True)
        ),
        money_columns=(3, 4, 5, 6, 7),
    )
    add_sheet(
        book,
        _("各季度"),
        _headers(_("季度"), *MEASURE_HEADERS),
        ([q["label"], *_measures(q)] for q in figures.quarters),
        money_columns=(3, 4, 5),
    )
    for title, rows, first in (
        (_("各事项"), figures.items, _("扶持事项")),
        (_("各区县"), figures.districts, _("注册区县")),
        (_("各企业类型"), figures.industries, _("企业类型")),
    ):
        add_sheet(
            book,
            title,
            _headers(first, *MEASURE_HEADERS),
            ([r["label"], *_measures(r)] for r in rows),
            money_columns=(3, 4, 5),
            widths=[34, 12, 12, 18, 18, 18],
        )
    add_sheet(
        book,
        _("批次预算"),
        _headers(
            _("申报批次"),
            _("年度"),
            _("预算（元）"),
            _("已批准（元）"),
            _("已拨付（元）"),
            _("余额（元）"),
            _("预算使用率（百分比）"),
        ),
        (
            [b["label"], b["round"].year, b["budget"], b["used"], b["paid"], b["left"], round(b["used_pct"], 1)]
            for b in figures.budgets
        ),
        money_columns=(2, 3, 4, 5),
        widths=[28, 8, 18, 18, 18, 18, 14],
    )
    add_sheet(
        book, _("各阶段案件数"), _headers(_("阶段"), _("案件数")), ([s["label"], s["count"]] for s in figures.stages)
    )
    add_sheet(
        book,
        _("各阶段办理时长"),
        _headers(_("阶段"), _("办结次数"), _("中位数（工作日）"), _("平均（工作日）")),
        ([d["label"], d["n"], d["median"], round(d["mean"], 1)] for d in figures.durations),
        money_columns=(2, 3),
        number_format="0.0",
    )
    return workbook_bytes(book)
