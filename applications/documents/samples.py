"""Sample frozen contexts, one per kind: for `render_document --sample`, the bench and template editors."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .constants import DocumentKind, issuing_authority
from .money import amount_in_capitals, amount_in_figures


def _company(index: int = 0) -> dict[str, str]:
    return {
        "company_name": f"重庆江津白沙影视文化传媒有限公司{index or ''}",
        "credit_code": "91500116MA5U8XYZ1K" if not index else f"915001160000{index:05d}X"[:18],
    }


def sample_context(kind: str, *, index: int = 0, amount: Decimal | None = None) -> dict[str, Any]:
    amount = amount if amount is not None else Decimal("1000000.00")
    base: dict[str, Any] = {
        "title": str(DocumentKind(kind).label),
        "authority": issuing_authority(),
        **_company(index),
        "case_number": f"JJ-2026-{index + 1:05d}",
        "item_code": "JJ-FILM-05",
        "item_name": "院线票房奖励",
        "project_title": "电影《白沙往事》",
        "policy_name": "《江津区影视产业发展扶持办法（试行）》",
        "legal_basis": "《江津区影视产业发展扶持办法（试行）》第十二条及区委宣传部审定意见",
        "submitted_on_text": "2026年9月1日",
        "requested_figures": amount_in_figures(amount),
        "requested_capitals": amount_in_capitals(amount),
        "amount": str(amount),
        "comment": "",
    }
    if kind == DocumentKind.CORRECTION_NOTICE:
        base["correction_items"] = [
            {"label": "营业执照副本", "note": "扫描件不清晰，请重新上传彩色扫描件"},
            {"label": "院线发行票房证明", "note": "须由国家电影专资办出具并加盖公章"},
            {"label": "诚信承诺书", "note": "须由法定代表人签字"},
        ]
        base["deadline_text"] = "2026年12月10日"
    elif kind == DocumentKind.NOT_ACCEPTED_NOTICE:
        base["reason"] = "申报单位注册地不在江津区，不属于本事项的支持范围。"
    elif kind == DocumentKind.APPROVAL_DECISION:
        base["approved_figures"] = amount_in_figures(amount)
        base["approved_capitals"] = amount_in_capitals(amount)
    elif kind == DocumentKind.REJECTION_DECISION:
        base["reason"] = "经核查，影片票房未达到三千万元的申报条件。"
    elif kind == DocumentKind.DISBURSEMENT_NOTICE:
        base.update(
            {
                "decision_number": "江津影扶〔2026〕12号",
                "bank_name": "重庆农村商业银行江津支行",
                "bank_account_masked": "***************4567",
                "disbursed_figures": amount_in_figures(amount),
                "disbursed_capitals": amount_in_capitals(amount),
                "disbursed_on_text": "2026年11月20日",
                "voucher_number": "JJCZ-2026-0815",
            }
        )
    elif kind == DocumentKind.PUBLIC_NOTICE_LIST:
        rows = [
            {
                "case_number": f"JJ-2026-{n:05d}",
                "company_name": _company(n)["company_name"],
                "item_name": "院线票房奖励",
                "project_title": f"电影《白沙往事{n}》",
                "amount_figures": f"{Decimal(100000 * n):,.2f}",
                "amount": str(Decimal(100000 * n)),
            }
            for n in range(1, 6)
        ]
        base.update(
            {
                "batch_name": "2026年度第一批",
                "starts_on_text": "2026年11月2日",
                "ends_on_text": "2026年11月6日",
                "rows": rows,
                "total_figures": f"{sum(Decimal(r['amount']) for r in rows):,.2f}",
                "contact_phone": "023-47521234",
            }
        )
    return base
