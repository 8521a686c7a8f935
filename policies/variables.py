"""The facts a rule may name, with their types. This is the typed context that makes a misspelt variable or a
number compared with a string a save-time error instead of a surprise at evaluation time.

A variable's `source` says where its value comes from: `registry` facts are read from the company record (and
are all proactive matching may use); `form` facts are what the applicant enters for one project."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext
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
    # Numbers only: the range a real fact can have, and whether it counts things (days, episodes, years).
    minimum: Decimal = Decimal(0)
    maximum: Decimal | None = None
    integral: bool = False


AWARD_LEVELS: tuple[tuple[str, str], ...] = (
    ("wugeyi", _("五个一工程奖")),
    ("national", _("金鸡奖、华表奖、飞天奖、金鹰奖、白玉兰奖")),
    ("nomination", _("上述奖项提名")),
)

MAX_YUAN = Decimal(10) ** 12  # one trillion yuan: far above any film project, far below what breaks the arithmetic


def _yuan(key: str, label) -> Variable:
    return Variable(key, label, NUMBER, FORM, _("元"), maximum=MAX_YUAN)


def _count(key: str, label, unit, maximum: int, minimum: int = 0, source: str = FORM) -> Variable:
    return Variable(key, label, NUMBER, source, unit, minimum=Decimal(minimum), maximum=Decimal(maximum), integral=True)


VARIABLES: dict[str, Variable] = {
    v.key: v
    for v in (
        Variable("registration_district", _("注册区县"), TEXT, REGISTRY),
        Variable("tax_district", _("税务登记区县"), TEXT, REGISTRY),
        Variable("established_on", _("成立日期"), DATE, REGISTRY),
        Variable("paid_in_capital", _("实缴资本"), NUMBER, REGISTRY, _("元"), maximum=MAX_YUAN),
        Variable("in_hq_park", _("入驻总部园区"), BOOLEAN, REGISTRY),
        Variable("banned_until", _("失信禁入截止日"), DATE, REGISTRY),
        _count("shooting_days_in_jiangjin", _("在江津拍摄天数"), _("天"), 366),
        _yuan("local_spend", _("在江津消费金额")),
        Variable("has_filing", _("已取得备案或立项"), BOOLEAN, FORM),
        Variable("first_producer", _("为第一出品单位"), BOOLEAN, FORM),
        _yuan("box_office", _("院线票房")),
        _count("cctv1_prime_episodes", _("央视一套黄金时段播出集数"), _("集"), 10000),
        _count("satellite_prime_episodes", _("省级卫视黄金时段播出集数"), _("集"), 10000),
        _count("streaming_episodes", _("主流视频平台播出集数"), _("集"), 10000),
        Variable("award_level", _("获奖等级"), CHOICE, FORM, "", AWARD_LEVELS),
        _yuan("annual_rent", _("年度租金")),
        _count("subsidy_year", _("补贴年度（第几年）"), _("年"), 100, minimum=1),
        Variable("sublet", _("存在转租"), BOOLEAN, FORM),
        _yuan("district_tax_contribution", _("区级经营贡献")),
        _yuan("fixed_asset_investment", _("在江津固定资产投资")),
        _yuan("loan_interest_paid", _("已付贷款利息")),
    )
}

REGISTRY_KEYS: frozenset[str] = frozenset(k for k, v in VARIABLES.items() if v.source == REGISTRY)


def number_problem(variable: Variable, number: Decimal) -> str:
    """Why `number` cannot be this fact, in words for the person who typed it; empty when it can.

    The one range check for numeric facts: the calculator API, the calculator page, the portal's application
    form and `evaluate_item` all reach it (through `policies.services.normalize_facts` or `validate_number`)."""
    values = {"label": variable.label, "unit": variable.unit}
    if not number.is_finite():
        return gettext("“%(label)s”请填写数字。") % values
    if number < variable.minimum:
        if variable.minimum == 0:
            return gettext("“%(label)s”不能为负数，请填写 0 或更大的数。") % values
        return gettext("“%(label)s”不能小于 %(min)s，请核对后填写。") % {**values, "min": variable.minimum}
    if variable.integral and number != number.to_integral_value():
        return gettext("“%(label)s”应为整数（单位：%(unit)s），请不要填写小数。") % values
    if variable.maximum is not None and number > variable.maximum:
        return gettext("“%(label)s”不能超过 %(max)s%(unit)s，请核对后填写。") % {
            **values,
            "max": f"{variable.maximum:,}",
        }
    return ""


def validate_number(key: str):
    """A form-field validator for the numeric fact `key` (a no-op for keys outside the table)."""

    def validate(value) -> None:
        variable = VARIABLES.get(key)
        if variable is None or variable.type != NUMBER or value is None:
            return
        problem = number_problem(variable, Decimal(value))
        if problem:
            raise ValidationError(problem, code="fact_out_of_range")

    return validate
