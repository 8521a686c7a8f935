"""统计分析: the page and its XLSX export, for the roles that see the figures (invest.roles.STATISTICS_ROLES)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from applications.portal.selectors import DASHBOARD_FIGURES_TTL
from applications.portal.views.common import role_required
from invest.exporting import XLSX_CONTENT_TYPE
from invest.roles import STATISTICS_ROLES

from . import charts, exporting, queries
from .forms import StatisticsFilterForm


def _figures(request: HttpRequest):
    form = StatisticsFilterForm(request.GET or None)
    figures, at = queries.cached_figures(form.filters())
    return form, figures, at


@role_required(*STATISTICS_ROLES)
@require_GET
def page(request: HttpRequest) -> HttpResponse:
    form, figures, at = _figures(request)
    year = figures.filters.year
    money = [("approved", _("批准金额")), ("paid", _("拨付金额"))]
    return render(
        request,
        "statistics/page.html",
        {
            "filter_form": form,
            "figures": figures,
            "figures_at": at,
            "figures_ttl_minutes": DASHBOARD_FIGURES_TTL // 60,
            "year": year,
            "last_year": year - 1,
            "totals": figures.totals,
            "year_on_year": figures.year_on_year,
            "months": figures.months,
            "quarters": figures.quarters,
            "comparison": figures.month_comparison,
            "month_chart": charts.grouped_bars(figures.months, money),
            "quarter_chart": charts.grouped_bars(figures.quarters, money),
            "comparison_chart": charts.grouped_bars(
                figures.month_comparison,
                [("paid", _("%(y)s年拨付") % {"y": year}), ("paid_last", _("%(y)s年拨付") % {"y": year - 1})],
            ),
            "item_chart": charts.grouped_bars(figures.items, money, label_key="key"),
            "district_chart": charts.grouped_bars(figures.districts, money),
            "industry_chart": charts.grouped_bars(figures.industries, money),
            "budget_chart": charts.grouped_bars(
                figures.budgets, [("budget", _("预算")), ("used", _("已批准")), ("paid", _("已拨付"))]
            ),
            "stage_chart": charts.grouped_bars(figures.stages, [("count", _("案件数"))]),
            "duration_chart": charts.grouped_bars(figures.durations, [("median", _("中位数（工作日）"))], decimals=1),
            "query": request.GET.urlencode(),
        },
    )


@role_required(*STATISTICS_ROLES)
@require_GET
def export(request: HttpRequest) -> HttpResponse:
    """The page's tables as an XLSX workbook, one sheet per table, with the same filters."""
    _form, figures, _at = _figures(request)
    response = HttpResponse(exporting.workbook(figures), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="statistics-{figures.filters.year}.xlsx"'
    return response
