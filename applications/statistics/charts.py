"""Geometry of the page's charts, drawn as inline SVG by templates/statistics/includes/chart.html (no script,
no inline style: the colours are CSS classes). Every chart has the same figures in a table beside it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

ROW_GAP = 10
BAR_H = 16
LABEL_W = 110
VALUE_W = 84


def grouped_bars(
    rows: Sequence[dict[str, Any]],
    series: Sequence[tuple[str, str]],
    *,
    label_key: str = "label",
    width: int = 420,
    decimals: int = 0,
) -> dict[str, Any]:
    """Horizontal bars, one group per row and one bar per series ``(value key, label)``, all on one scale.

    The series are told apart by their CSS class (``series-0``, ``series-1`` …) and named in the legend. Each
    value is written beside its bar with thousands separators and ``decimals`` places (the table beside the
    chart has the exact figure).
    """
    bar_w = width - LABEL_W - VALUE_W
    peak = max((float(r[key] or 0) for r in rows for key, _label in series), default=0.0) or 1.0
    group_h = BAR_H * len(series) + ROW_GAP
    legend_h = 24 if len(series) > 1 else 0
    groups = []
    for i, row in enumerate(rows):
        top = legend_h + i * group_h
        bars = []
        for j, (key, label) in enumerate(series):
            value = row[key] or 0
            y = top + j * BAR_H
            bars.append(
                {
                    "y": y,
                    "text_y": y + BAR_H - 4,
                    "w": max(1.0, round(bar_w * float(value) / peak, 1)) if value else 0,
                    "value": value,
                    "text": f"{float(value):,.{decimals}f}",
                    "css": f"series-{j}",
                    "series": label,
                }
            )
        groups.append({"label": row[label_key], "label_y": top + (group_h - ROW_GAP) / 2 + 5, "bars": bars})
    legend = [
        {"label": label, "css": f"series-{j}", "x": j * 150, "text_x": j * 150 + 18}
        for j, (_k, label) in enumerate(series)
    ]
    return {
        "groups": groups,
        "legend": legend if legend_h else [],
        "width": width,
        "height": max(group_h, legend_h + len(rows) * group_h),
        "label_x": LABEL_W - 8,
        "bar_x": LABEL_W,
        "value_x": width - 4,
    }
