"""The seeded catalogue: 江津区影视产业发展扶持办法（试行） with items JJ-FILM-01 … 09 and the current year's round, as in
DOMAIN.md. This is seed data: once loaded, managers own every number through the admin, so seeding never
overwrites an item that already exists."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
JJ = '"江津区"'

POLICY = {
    "title": "江津区影视产业发展扶持办法（试行）",
    "issuing_body": "重庆市江津区人民政府",
    "document_number": "",
    "summary": "设立2000万元影视产业发展专项资金，支持影视企业落户江津、在江津拍摄制作，奖励优秀作品。",
    "effective_from": dt.date(2026, 1, 1),
    "status": "published",
    "cap_per_company_year": Decimal("5000000.00"),
}

ROUND_BUDGET = Decimal("20000000.00")


def year_round(year: int) -> dict:
    """The round of one calendar year, open from 1 January to the next 1 January. The seeded round is the
    current year's, so the demo keeps working when the year turns (a re-seed adds the new year's); in real
    use a manager opens next year's round."""
    return {
        "name": f"{year}年度",
        "year": year,
        "opens_at": dt.datetime(year, 1, 1, 0, 0, tzinfo=SHANGHAI),
        "closes_at": dt.datetime(year + 1, 1, 1, 0, 0, tzinfo=SHANGHAI),
        "budget": ROUND_BUDGET,
    }


DOCS = ["pdf", "ofd", "jpeg", "png"]
SHEETS = ["pdf", "ofd", "xlsx"]


def _field(key, label, type_, unit="", required=True, default=None):
    field = {"key": key, "label": label, "type": type_, "unit": unit, "required": required}
    if default is not None:
        field["default"] = default
    return field


def _material(key, label, accepted=DOCS, required=True):
    return {"key": key, "label": label, "required": required, "accepted_types": list(accepted)}


#: Kept once in the company's document store (单位证照库) and chosen on each application.
LICENCE = {**_material("business_licence", "营业执照"), "reusable": True, "document_kind": "business_licence"}
PLEDGE = _material("integrity_pledge", "诚信承诺书（签章）", ["pdf", "ofd"])

C_REG = {
    "label": "注册地在江津区",
    "expression": f"registration_district == {JJ}",
    "failure_message": "注册地为 {registration_district}，不在江津区",
}
C_TAX = {
    "label": "税务登记在江津区",
    "expression": f"tax_district == {JJ}",
    "failure_message": "税务登记地为 {tax_district}，不在江津区",
}
C_FIRST = {
    "label": "申报单位为第一出品单位",
    "expression": "first_producer",
    "failure_message": "申报单位不是第一出品单位，只有第一出品单位可以申报",
}
F_FIRST = _field("first_producer", "为第一出品单位", "boolean")

ITEMS = [
    {
        "code": "JJ-FILM-01",
        "name": "剧组拍摄消费补贴",
        "description": "在江津拍摄的剧组，按在江津的消费金额给予补贴。各地影视制作企业均可申报。",
        "applicants": "anywhere",
        "criteria": [
            {
                "label": "项目已取得备案或立项",
                "expression": "has_filing",
                "failure_message": "项目未取得备案或立项，请先办理备案或立项",
            },
            {
                "label": "在江津拍摄不少于15天",
                "expression": "shooting_days_in_jiangjin >= 15",
                "failure_message": "在江津拍摄天数 {shooting_days_in_jiangjin} 天，少于 15 天",
                "success_message": "在江津拍摄天数 {shooting_days_in_jiangjin} 天，不少于 15 天",
            },
            {
                "label": "在江津消费不少于50万元",
                "expression": "local_spend >= 500000",
                "failure_message": "在江津消费 {local_spend} 元，少于 500,000.00 元",
                "success_message": "在江津消费 {local_spend} 元，不少于 500,000.00 元",
            },
        ],
        "amount_expression": "shooting_days_in_jiangjin >= 30 ? local_spend * 0.15 : local_spend * 0.10",
        "amount_explanation": "在江津消费金额的10%；在江津拍摄满30天的按15%",
        "cap_per_application": Decimal("1000000.00"),
        "cap_note": "每个项目最高100万元",
        "form_fields": [
            _field("has_filing", "已取得备案或立项", "boolean"),
            _field("shooting_days_in_jiangjin", "在江津拍摄天数", "number", "天"),
            _field("local_spend", "在江津消费金额", "number", "元"),
        ],
        "materials": [
            LICENCE,
            _material("filing", "项目备案或立项文件"),
            _material("shooting_schedule", "拍摄计划及拍摄地点清单", DOCS + ["xlsx"]),
            _material("invoices", "江津供应商发票及付款凭证"),
            _material("audit_report", "专项审计报告", ["pdf", "ofd"]),
            PLEDGE,
        ],
    },
    {
        "code": "JJ-FILM-02",
        "name": "落户奖励",
        "description": "在江津区注册并纳税的影视企业，按实缴资本给予一次性落户奖励。",
        "criteria": [
            C_REG,
            C_TAX,
            {
                "label": "实缴资本不少于100万元",
                "expression": "paid_in_capital >= 1000000",
                "failure_message": "实缴资本 {paid_in_capital} 元，少于 1,000,000.00 元",
                "success_message": "实缴资本 {paid_in_capital} 元，不少于 1,000,000.00 元",
            },
        ],
        "amount_expression": "paid_in_capital >= 10000000 ? 300000 : (paid_in_capital >= 5000000 ? 150000 : 50000)",
        "amount_explanation": "实缴资本100万元以上奖励5万元，500万元以上15万元，1000万元以上30万元",
        "cap_per_application": Decimal("300000.00"),
        "once_per_company": True,
        "cap_note": "每个企业最高30万元，限享受一次",
        "form_fields": [],
        # 免申即享: facts from the registry, materials the company keeps once (单位证照库), the pledge ticked
        # online when the invitation is confirmed (policies.instant), so no signed pledge file is asked for.
        "materials": [
            LICENCE,
            {
                **_material("capital_proof", "实缴资本证明（验资报告或银行进账单）"),
                "reusable": True,
                "document_kind": "capital_proof",
            },
        ],
    },
    {
        "code": "JJ-FILM-03",
        "name": "办公用房租金补贴",
        "description": "入驻总部园区的江津影视企业，前三年按年度租金给予补贴。",
        "criteria": [
            C_REG,
            C_TAX,
            {
                "label": "入驻总部园区",
                "expression": "in_hq_park",
                "failure_message": "企业未入驻总部园区",
            },
            {
                "label": "办公用房未转租",
                "expression": "not sublet",
                "failure_message": "办公用房存在转租，不能享受租金补贴",
            },
            {
                "label": "补贴年度不超过第3年",
                "expression": "subsidy_year <= 3",
                "failure_message": "申报第 {subsidy_year} 年的补贴，超过 3 年",
                "success_message": "申报第 {subsidy_year} 年的补贴，未超过 3 年",
            },
        ],
        "amount_expression": "subsidy_year <= 2 ? annual_rent * 0.5 : annual_rent * 0.3",
        "amount_explanation": "第1至2年按年度租金的50%，第3年按30%",
        "cap_per_company_year": Decimal("100000.00"),
        "cap_note": "每年最高10万元",
        "form_fields": [
            _field("annual_rent", "年度租金", "number", "元"),
            _field("subsidy_year", "补贴年度（第几年）", "number", "年"),
            _field("sublet", "存在转租", "boolean", default=False),
        ],
        "materials": [
            LICENCE,
            _material("lease", "租赁合同"),
            _material("rent_receipts", "租金支付凭证及发票"),
            PLEDGE,
        ],
    },
    {
        "code": "JJ-FILM-04",
        "name": "经营贡献奖励",
        "description": "按企业上年度形成的区级经营贡献给予奖励。",
        "criteria": [
            C_REG,
            C_TAX,
            {
                "label": "区级经营贡献不少于10万元",
                "expression": "district_tax_contribution >= 100000",
                "failure_message": "区级经营贡献 {district_tax_contribution} 元，少于 100,000.00 元",
                "success_message": "区级经营贡献 {district_tax_contribution} 元，不少于 100,000.00 元",
            },
        ],
        "amount_expression": "district_tax_contribution * 0.5",
        "amount_explanation": "区级经营贡献的50%",
        "cap_per_company_year": Decimal("2000000.00"),
        "cap_note": "每年最高200万元",
        "form_fields": [_field("district_tax_contribution", "区级经营贡献", "number", "元")],
        "materials": [LICENCE, _material("tax_certificates", "完税证明"), PLEDGE],
    },
    {
        "code": "JJ-FILM-05",
        "name": "院线票房奖励",
        "description": "江津影视企业作为第一出品单位的院线电影，按票房给予奖励。",
        "stacking_group": "work_award",
        "criteria": [
            C_REG,
            C_FIRST,
            {
                "label": "院线票房不少于3000万元",
                "expression": "box_office >= 30000000",
                "failure_message": "院线票房 {box_office} 元，少于 30,000,000.00 元",
                "success_message": "院线票房 {box_office} 元，不少于 30,000,000.00 元",
            },
        ],
        "amount_expression": "box_office >= 100000000 ? 2000000 : 1000000",
        "amount_explanation": "票房3000万元以上奖励100万元，1亿元以上奖励200万元",
        "cap_per_application": Decimal("2000000.00"),
        "cap_note": "每部作品最高200万元",
        "form_fields": [F_FIRST, _field("box_office", "院线票房", "number", "元")],
        "materials": [
            LICENCE,
            _material("release_licence", "电影公映许可证"),
            _material("box_office_proof", "票房证明"),
            _material("producer_proof", "出品单位排名证明"),
            PLEDGE,
        ],
    },
    {
        "code": "JJ-FILM-06",
        "name": "播映奖励",
        "description": "江津影视企业作为第一出品单位的剧集在央视、卫视黄金时段或主流视频平台播出的，按集数给予奖励。",
        "stacking_group": "work_award",
        "criteria": [
            C_REG,
            C_FIRST,
            {
                "label": "至少有1集符合条件的播出",
                "expression": "cctv1_prime_episodes + satellite_prime_episodes + streaming_episodes >= 1",
                "failure_message": "符合条件的播出集数为 0，至少需要 1 集",
            },
        ],
        "amount_expression": (
            "cctv1_prime_episodes * 50000 + satellite_prime_episodes * 20000 + streaming_episodes * 10000"
        ),
        "amount_explanation": "央视一套黄金时段每集5万元，省级卫视黄金时段每集2万元，主流视频平台每集1万元",
        "cap_per_application": Decimal("1000000.00"),
        "cap_note": "每部作品最高100万元",
        "form_fields": [
            F_FIRST,
            _field("cctv1_prime_episodes", "央视一套黄金时段播出集数", "number", "集", default=0),
            _field("satellite_prime_episodes", "省级卫视黄金时段播出集数", "number", "集", default=0),
            _field("streaming_episodes", "主流视频平台播出集数", "number", "集", default=0),
        ],
        "materials": [
            LICENCE,
            _material("distribution_licence", "电视剧发行许可证"),
            _material("broadcast_proof", "播出证明"),
            _material("producer_proof", "出品单位排名证明"),
            PLEDGE,
        ],
    },
    {
        "code": "JJ-FILM-07",
        "name": "获奖奖励",
        "description": "江津影视企业作为第一出品单位的作品获得国家级奖项或提名的，给予奖励。",
        "stacking_group": "work_award",
        "criteria": [
            C_REG,
            C_FIRST,
            {
                "label": "作品获得规定奖项或提名",
                "expression": 'award_level in ["wugeyi", "national", "nomination"]',
                "failure_message": "未填写符合条件的获奖等级",
                "success_message": "获奖等级：{award_level}",
            },
        ],
        "amount_expression": 'award_level == "wugeyi" ? 1000000 : (award_level == "national" ? 500000 : 100000)',
        "amount_explanation": "五个一工程奖100万元；金鸡、华表、飞天、金鹰、白玉兰奖50万元；提名10万元",
        "cap_per_application": Decimal("1000000.00"),
        "cap_note": "每部作品最高100万元",
        "form_fields": [F_FIRST, _field("award_level", "获奖等级", "choice")],
        "materials": [
            LICENCE,
            _material("award_certificate", "获奖证书或提名证明"),
            _material("producer_proof", "出品单位排名证明"),
            PLEDGE,
        ],
    },
    {
        "code": "JJ-FILM-08",
        "name": "影视基地及道具库投资补助",
        "description": "在江津投资建设影视基地、道具库的，按固定资产投资给予补助。",
        "applicants": "anywhere",
        "criteria": [
            {
                "label": "在江津固定资产投资不少于1000万元",
                "expression": "fixed_asset_investment >= 10000000",
                "failure_message": "在江津固定资产投资 {fixed_asset_investment} 元，少于 10,000,000.00 元",
                "success_message": "在江津固定资产投资 {fixed_asset_investment} 元，不少于 10,000,000.00 元",
            },
        ],
        "amount_expression": "fixed_asset_investment * 0.1",
        "amount_explanation": "固定资产投资的10%",
        "cap_per_application": Decimal("5000000.00"),
        "cap_note": "每个项目最高500万元",
        "form_fields": [_field("fixed_asset_investment", "在江津固定资产投资", "number", "元")],
        "materials": [
            LICENCE,
            _material("investment_audit", "固定资产投资专项审计报告", ["pdf", "ofd"]),
            _material("investment_invoices", "投资发票及付款凭证"),
            PLEDGE,
        ],
    },
    {
        "code": "JJ-FILM-09",
        "name": "贷款贴息",
        "description": "江津影视企业用于影视项目的贷款，按已付利息给予贴息。",
        "criteria": [C_REG],
        "amount_expression": "loan_interest_paid * 0.5",
        "amount_explanation": "已付贷款利息的50%",
        "cap_per_company_year": Decimal("1000000.00"),
        "cap_note": "每年最高100万元",
        "form_fields": [_field("loan_interest_paid", "已付贷款利息", "number", "元")],
        "materials": [
            LICENCE,
            _material("loan_contract", "贷款合同"),
            _material("interest_receipts", "利息支付凭证"),
            PLEDGE,
        ],
    },
]

# English texts shown on English pages (django-modeltranslation `<field>_en`); managers edit them in the admin.
POLICY_TITLE_EN = "Jiangjin District Film Industry Development Support Measures (Trial)"
ITEM_NAMES_EN = {
    "JJ-FILM-01": "Production spending subsidy for crews shooting in Jiangjin",
    "JJ-FILM-02": "Relocation reward",
    "JJ-FILM-03": "Office rent subsidy",
    "JJ-FILM-04": "Business contribution reward",
    "JJ-FILM-05": "Box office reward",
    "JJ-FILM-06": "Broadcast reward",
    "JJ-FILM-07": "Award reward",
    "JJ-FILM-08": "Investment grant for film bases and prop stores",
    "JJ-FILM-09": "Loan interest subsidy",
}

#: The expert scoring rubric (评分标准) seeded for every item that goes to expert review (any item can):
#: (label, weight, maximum). Managers edit it per item in the admin; the total is normalised to 100.
RUBRIC = [
    ("申报材料真实完整", Decimal("30"), Decimal("10")),
    ("符合政策条件与扶持方向", Decimal("30"), Decimal("10")),
    ("申报金额测算合理", Decimal("20"), Decimal("10")),
    ("对江津影视产业的带动作用", Decimal("20"), Decimal("10")),
]


def rubric_rows() -> list[dict]:
    """The seeded rubric as rows of policies.RubricCriterion (without the item)."""
    return [
        {"order": order, "label": label, "weight": weight, "maximum": maximum}
        for order, (label, weight, maximum) in enumerate(RUBRIC, start=1)
    ]
