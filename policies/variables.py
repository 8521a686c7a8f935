"""The facts a rule may name, with their types. This is the typed context that makes a misspelt variable or a
number compared with a string a save-time error instead of a surprise at evaluation time.

A variable's `source` says where its value comes from: `registry` facts are read from the company record (and
are all proactive matching may use); `form` facts are what the applicant enters for one project."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

NUMBER = "number"
TEXT = "text"
BOOLEAN = "boolean"
DATE = "date"
CHOICE = "choice"

REGISTRY = "registry"
FORM = "form"


@dataclass(frozen=True)
class Variable:
    key: str
    label: str
    type: str
    source: str
    unit: str = ""
    choices: tuple[tuple[str, str], ...] = ()


AWARD_LEVELS: tuple[tuple[str, str], ...] = (
    ("wugeyi", _("五个一工程奖")),
    ("national", _("金鸡奖、华表奖、飞天奖、金鹰奖、白玉兰奖")),
    ("nomination", _("上述奖项提名")),
)

VARIABLES: dict[str, Variable] = {
    v.key: v
    for v in (
        Variable("registration_district", _("注册区县"), TEXT, REGISTRY),
        Variable("tax_district", _("税务登记区县"), TEXT, REGISTRY),
        Variable("established_on", _("成立日期"), DATE, REGISTRY),
        Variable("paid_in_capital", _("实缴资本"), NUMBER, REGISTRY, _("元")),
        Variable("in_hq_park", _("入驻总部园区"), BOOLEAN, REGISTRY),
        Variable("banned_until", _("失信禁入截止日"), DATE, REGISTRY),
        Variable("shooting_days_in_jiangjin", _("在江津拍摄天数"), NUMBER, FORM, _("天")),
        Variable("local_spend", _("在江津消费金额"), NUMBER, FORM, _("元")),
        Variable("has_filing", _("已取得备案或立项"), BOOLEAN, FORM),
        Variable("first_producer", _("为第一出品单位"), BOOLEAN, FORM),
        Variable("box_office", _("院线票房"), NUMBER, FORM, _("元")),
        Variable("cctv1_prime_episodes", _("央视一套黄金时段播出集数"), NUMBER, FORM, _("集")),
        Variable("satellite_prime_episodes", _("省级卫视黄金时段播出集数"), NUMBER, FORM, _("集")),
        Variable("streaming_episodes", _("主流视频平台播出集数"), NUMBER, FORM, _("集")),
        Variable("award_level", _("获奖等级"), CHOICE, FORM, "", AWARD_LEVELS),
        Variable("annual_rent", _("年度租金"), NUMBER, FORM, _("元")),
        Variable("subsidy_year", _("补贴年度（第几年）"), NUMBER, FORM, _("年")),
        Variable("sublet", _("存在转租"), BOOLEAN, FORM),
        Variable("district_tax_contribution", _("区级经营贡献"), NUMBER, FORM, _("元")),
        Variable("fixed_asset_investment", _("在江津固定资产投资"), NUMBER, FORM, _("元")),
        Variable("loan_interest_paid", _("已付贷款利息"), NUMBER, FORM, _("元")),
    )
}

REGISTRY_KEYS: frozenset[str] = frozenset(k for k, v in VARIABLES.items() if v.source == REGISTRY)
