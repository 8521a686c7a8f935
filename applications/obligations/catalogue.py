"""The seeded commitments (履约规则) of 江津区影视产业发展扶持办法: data, which managers edit in the admin."""

from __future__ import annotations

from decimal import Decimal

from .models import Basis, Kind

DOCS = ["pdf", "ofd", "jpeg", "png"]

RULES = [
    {
        "item": "JJ-FILM-02",
        "kind": Kind.STAY,
        "label": "拨付后3年内注册和税务登记保持在江津区",
        "description": "获得落户奖励的企业，自首次拨付之日起3年内不得将注册地或税务登记地迁出江津区。"
        "系统按企业名录核对，无需上传材料；迁出的，按规定追回奖励资金。",
        "upload_label": "",
        "basis": Basis.PAYMENT,
        "months": 36,
    },
    {
        "item": "JJ-FILM-03",
        "kind": Kind.REPORT,
        "label": "补贴年度内不转租办公用房",
        "description": "享受租金补贴的办公用房在补贴年度内须自用，不得转租、转借。年度结束时提交说明。",
        "upload_label": "办公用房自用情况说明（承诺未转租）及全年租金支付凭证",
        "basis": Basis.APPROVAL,
        "months": 12,
    },
    {
        "item": "JJ-FILM-01",
        "kind": Kind.REPORT,
        "label": "项目完成或上映（播出）证明",
        "description": "获得剧组拍摄消费补贴的项目，须在首次拨付后12个月内提交项目完成或公映、播出的证明。",
        "upload_label": "完成片备案或公映许可证、发行许可证、播出证明（任一）",
        "basis": Basis.PAYMENT,
        "months": 12,
    },
    {
        "item": None,
        "kind": Kind.PERFORMANCE,
        "label": "绩效自评报告",
        "description": "批准金额超过50万元的扶持项目，须在首次拨付后12个月内提交绩效自评报告，"
        "说明资金使用情况、产出和效益。",
        "upload_label": "绩效自评报告（签章）",
        "basis": Basis.PAYMENT,
        "months": 12,
        "min_amount": Decimal("500000.00"),
    },
]


def seed_rules() -> int:
    """Create the seeded rules that are not there yet (same item and label); never overwrites a manager's edit.
    Items not in the database (a catalogue not seeded) are skipped. Returns how many were created."""
    from policies.models import SupportItem

    from .models import ObligationRule

    created = 0
    for order, spec in enumerate(RULES, start=1):
        spec = dict(spec)
        code = spec.pop("item")
        item = SupportItem.objects.filter(code=code).first() if code else None
        if code and item is None:
            continue
        if ObligationRule.objects.filter(item=item, label=spec["label"]).exists():
            continue
        ObligationRule.objects.create(item=item, accepted_types=list(DOCS), sort_order=order, **spec)
        created += 1
    return created
