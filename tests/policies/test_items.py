"""Every seeded item on both sides of each threshold, every cap, and rounding to the fen."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from policies.services import evaluate_item

JJ = {"registration_district": "江津区", "tax_district": "江津区"}
OUTSIDE = {"registration_district": "渝中区", "tax_district": "渝中区"}


@pytest.fixture
def run(catalogue):
    def run(code, **facts):
        return evaluate_item(catalogue[code], facts=facts)

    return run


def failed_messages(evaluation):
    return [c["message"] for c in evaluation.criteria if not c["passed"]]


# --- JJ-FILM-01 crew local-spend subsidy ---------------------------------------------------------------------------

FILM01 = {"has_filing": True, "local_spend": Decimal("600000")}


@pytest.mark.parametrize(
    "days, eligible, amount",
    [(14, False, "0.00"), (15, True, "60000.00"), (29, True, "60000.00"), (30, True, "90000.00")],
)
def test_film01_shooting_days_thresholds(run, days, eligible, amount):
    evaluation = run("JJ-FILM-01", shooting_days_in_jiangjin=days, **FILM01)
    assert evaluation.eligible is eligible
    assert evaluation.amount == Decimal(amount)


def test_film01_explains_a_short_shoot_with_its_values(run):
    evaluation = run("JJ-FILM-01", shooting_days_in_jiangjin=12, **FILM01)
    assert failed_messages(evaluation) == ["在江津拍摄天数 12 天，少于 15 天"]
    days = next(c for c in evaluation.criteria if c["label"] == "在江津拍摄不少于15天")
    assert days["values"] == {"shooting_days_in_jiangjin": "12"}


@pytest.mark.parametrize("spend, eligible", [("499999.99", False), ("500000", True)])
def test_film01_local_spend_threshold(run, spend, eligible):
    evaluation = run("JJ-FILM-01", has_filing=True, shooting_days_in_jiangjin=20, local_spend=spend)
    assert evaluation.eligible is eligible
    if not eligible:
        assert failed_messages(evaluation) == ["在江津消费 499,999.99 元，少于 500,000.00 元"]
    else:
        assert evaluation.amount == Decimal("50000.00")


def test_film01_needs_a_filing(run):
    evaluation = run("JJ-FILM-01", has_filing=False, shooting_days_in_jiangjin=20, local_spend=600000)
    assert not evaluation.eligible
    assert failed_messages(evaluation) == ["项目未取得备案或立项，请先办理备案或立项"]


def test_film01_is_open_to_companies_from_anywhere(run):
    evaluation = run("JJ-FILM-01", shooting_days_in_jiangjin=20, **FILM01, **OUTSIDE)
    assert evaluation.eligible


def test_film01_caps_at_one_million_per_project(run):
    evaluation = run("JJ-FILM-01", has_filing=True, shooting_days_in_jiangjin=30, local_spend=10_000_000)
    assert evaluation.computed_amount == Decimal("1500000.00")
    assert evaluation.amount == Decimal("1000000.00")
    assert evaluation.capped_by == "cap_per_application"


def test_film01_just_under_the_cap_is_not_capped(run):
    evaluation = run("JJ-FILM-01", has_filing=True, shooting_days_in_jiangjin=30, local_spend="6666666.60")
    assert evaluation.amount == Decimal("999999.99")
    assert evaluation.capped_by == ""


def test_rounding_is_half_up_to_the_fen(run):
    # 500,000.05 × 10% = 50,000.005: half-up gives .01 where banker's rounding would give .00
    evaluation = run("JJ-FILM-01", has_filing=True, shooting_days_in_jiangjin=20, local_spend="500000.05")
    assert evaluation.amount == Decimal("50000.01")
    # 666,666.67 × 15% = 100,000.0005 → 100,000.00
    evaluation = run("JJ-FILM-01", has_filing=True, shooting_days_in_jiangjin=30, local_spend="666666.67")
    assert evaluation.amount == Decimal("100000.00")


def test_floats_never_enter_the_money(run):
    evaluation = run("JJ-FILM-01", has_filing=True, shooting_days_in_jiangjin=20, local_spend=500000.15)
    assert evaluation.amount == Decimal("50000.02")  # 50,000.015 half-up, not 50000.0149999 from a float
    assert isinstance(evaluation.amount, Decimal)


def test_missing_facts_say_what_to_fill_in(run):
    evaluation = run("JJ-FILM-01", has_filing=True)
    assert not evaluation.eligible
    assert "缺少“在江津拍摄天数”，请填写后再计算" in failed_messages(evaluation)


# --- JJ-FILM-02 settling-in award -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "capital, eligible, amount",
    [
        ("999999.99", False, "0.00"),
        ("1000000", True, "50000.00"),
        ("4999999.99", True, "50000.00"),
        ("5000000", True, "150000.00"),
        ("9999999.99", True, "150000.00"),
        ("10000000", True, "300000.00"),
        ("80000000", True, "300000.00"),
    ],
)
def test_film02_paid_in_capital_tiers(run, capital, eligible, amount):
    evaluation = run("JJ-FILM-02", paid_in_capital=capital, **JJ)
    assert evaluation.eligible is eligible
    assert evaluation.amount == Decimal(amount)


def test_film02_reads_the_company_record(catalogue):
    from tests.factories.companies import CompanyFactory

    company = CompanyFactory(paid_in_capital=Decimal("5000000.00"))
    evaluation = evaluate_item(catalogue["JJ-FILM-02"], company=company, facts={})
    assert evaluation.eligible and evaluation.amount == Decimal("150000.00")


@pytest.mark.parametrize(
    "district, message",
    [
        ({"registration_district": "渝中区", "tax_district": "江津区"}, "注册地为 渝中区，不在江津区"),
        ({"registration_district": "江津区", "tax_district": "渝中区"}, "税务登记地为 渝中区，不在江津区"),
    ],
)
def test_film02_needs_registration_and_tax_in_jiangjin(run, district, message):
    evaluation = run("JJ-FILM-02", paid_in_capital=2_000_000, **district)
    assert not evaluation.eligible
    assert failed_messages(evaluation) == [message]


def test_film02_cap_and_once_per_company_are_data_for_the_workflow(catalogue):
    item = catalogue["JJ-FILM-02"]
    assert item.once_per_company is True
    assert item.cap_per_application == Decimal("300000.00")


# --- JJ-FILM-03 office rent subsidy ---------------------------------------------------------------------------------

RENT = {"in_hq_park": True, "sublet": False, "annual_rent": Decimal("100000"), **JJ}


@pytest.mark.parametrize(
    "year, eligible, amount",
    [(1, True, "50000.00"), (2, True, "50000.00"), (3, True, "30000.00"), (4, False, "0.00")],
)
def test_film03_subsidy_years(run, year, eligible, amount):
    evaluation = run("JJ-FILM-03", subsidy_year=year, **RENT)
    assert evaluation.eligible is eligible
    assert evaluation.amount == Decimal(amount)
    if not eligible:
        assert failed_messages(evaluation) == ["申报第 4 年的补贴，超过 3 年"]


def test_film03_refuses_sublet_and_companies_outside_the_park(run):
    assert failed_messages(run("JJ-FILM-03", subsidy_year=1, **{**RENT, "sublet": True})) == [
        "办公用房存在转租，不能享受租金补贴"
    ]
    assert failed_messages(run("JJ-FILM-03", subsidy_year=1, **{**RENT, "in_hq_park": False})) == ["企业未入驻总部园区"]


def test_film03_sublet_defaults_to_no(run):
    facts = {k: v for k, v in RENT.items() if k != "sublet"}
    assert run("JJ-FILM-03", subsidy_year=1, **facts).eligible


def test_film03_caps_at_100000_a_year(run, catalogue):
    evaluation = run("JJ-FILM-03", subsidy_year=1, **{**RENT, "annual_rent": 300000})
    assert evaluation.computed_amount == Decimal("150000.00")
    assert evaluation.amount == Decimal("100000.00")
    assert evaluation.capped_by == "cap_per_company_year"
    assert catalogue["JJ-FILM-03"].cap_per_company_year == Decimal("100000.00")


# --- JJ-FILM-04 local contribution award ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "contribution, eligible, amount",
    [
        ("99999.99", False, "0.00"),
        ("100000", True, "50000.00"),
        ("4000000", True, "2000000.00"),
        ("5000000", True, "2000000.00"),
    ],
)
def test_film04_contribution_threshold_and_yearly_cap(run, catalogue, contribution, eligible, amount):
    evaluation = run("JJ-FILM-04", district_tax_contribution=contribution, **JJ)
    assert evaluation.eligible is eligible
    assert evaluation.amount == Decimal(amount)
    assert catalogue["JJ-FILM-04"].cap_per_company_year == Decimal("2000000.00")


# --- JJ-FILM-05 box office -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "box_office, eligible, amount",
    [
        ("29999999.99", False, "0.00"),
        ("30000000", True, "1000000.00"),
        ("99999999.99", True, "1000000.00"),
        ("100000000", True, "2000000.00"),
    ],
)
def test_film05_box_office_thresholds(run, box_office, eligible, amount):
    evaluation = run("JJ-FILM-05", first_producer=True, box_office=box_office, **JJ)
    assert evaluation.eligible is eligible
    assert evaluation.amount == Decimal(amount)


def test_film05_needs_first_producer_registered_in_jiangjin(run):
    evaluation = run("JJ-FILM-05", first_producer=False, box_office=50_000_000, **OUTSIDE)
    assert failed_messages(evaluation) == [
        "注册地为 渝中区，不在江津区",
        "申报单位不是第一出品单位，只有第一出品单位可以申报",
    ]


def test_film05_cap_and_stacking_group(catalogue):
    item = catalogue["JJ-FILM-05"]
    assert item.cap_per_application == Decimal("2000000.00")
    assert {catalogue[c].stacking_group for c in ("JJ-FILM-05", "JJ-FILM-06", "JJ-FILM-07")} == {"work_award"}


# --- JJ-FILM-06 broadcast award ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "episodes, eligible, amount",
    [
        ({}, False, "0.00"),
        ({"streaming_episodes": 1}, True, "10000.00"),
        ({"satellite_prime_episodes": 1}, True, "20000.00"),
        ({"cctv1_prime_episodes": 1}, True, "50000.00"),
        ({"cctv1_prime_episodes": 10, "satellite_prime_episodes": 10, "streaming_episodes": 10}, True, "800000.00"),
        ({"cctv1_prime_episodes": 20}, True, "1000000.00"),
        ({"cctv1_prime_episodes": 30}, True, "1000000.00"),
    ],
)
def test_film06_episodes_and_cap(run, episodes, eligible, amount):
    evaluation = run("JJ-FILM-06", first_producer=True, **JJ, **episodes)
    assert evaluation.eligible is eligible
    assert evaluation.amount == Decimal(amount)


# --- JJ-FILM-07 award prize ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "level, amount", [("wugeyi", "1000000.00"), ("national", "500000.00"), ("nomination", "100000.00")]
)
def test_film07_award_levels(run, level, amount):
    evaluation = run("JJ-FILM-07", first_producer=True, award_level=level, **JJ)
    assert evaluation.eligible
    assert evaluation.amount == Decimal(amount)


def test_film07_without_an_award_is_not_eligible(run, catalogue):
    evaluation = run("JJ-FILM-07", first_producer=True, **JJ)
    assert not evaluation.eligible
    assert catalogue["JJ-FILM-07"].cap_per_application == Decimal("1000000.00")


def test_unknown_award_level_is_refused_with_the_field_named(run):
    with pytest.raises(ValidationError) as exc:
        run("JJ-FILM-07", first_producer=True, award_level="oscar", **JJ)
    assert "获奖等级" in exc.value.messages[0]


# --- JJ-FILM-08 studio investment ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "investment, eligible, amount",
    [
        ("9999999.99", False, "0.00"),
        ("10000000", True, "1000000.00"),
        ("50000000", True, "5000000.00"),
        ("60000000", True, "5000000.00"),
    ],
)
def test_film08_investment_threshold_and_cap(run, investment, eligible, amount):
    evaluation = run("JJ-FILM-08", fixed_asset_investment=investment, **OUTSIDE)
    assert evaluation.eligible is eligible
    assert evaluation.amount == Decimal(amount)


# --- JJ-FILM-09 loan interest --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "interest, amount", [("0.01", "0.01"), ("100000", "50000.00"), ("2000000", "1000000.00"), ("3000000", "1000000.00")]
)
def test_film09_half_the_interest_capped_a_year(run, catalogue, interest, amount):
    evaluation = run("JJ-FILM-09", loan_interest_paid=interest, **JJ)
    assert evaluation.eligible
    assert evaluation.amount == Decimal(amount)
    assert catalogue["JJ-FILM-09"].cap_per_company_year == Decimal("1000000.00")


def test_film09_only_for_companies_registered_in_jiangjin(run):
    assert not run("JJ-FILM-09", loan_interest_paid=100000, **OUTSIDE).eligible


# --- across items ------------------------------------------------------------------------------------------------


def test_a_banned_company_is_not_eligible_for_any_item(catalogue):
    from tests.factories.companies import CompanyFactory

    company = CompanyFactory(banned=True, paid_in_capital=Decimal("20000000"))
    evaluation = evaluate_item(catalogue["JJ-FILM-02"], company=company, facts={})
    assert not evaluation.eligible
    assert evaluation.failed[0]["message"].startswith("企业处于失信禁入期（至 ")


def test_a_ban_that_has_ended_no_longer_counts(catalogue):
    import datetime as dt

    from tests.factories.companies import CompanyFactory

    company = CompanyFactory(banned_until=dt.date(2020, 1, 1), paid_in_capital=Decimal("1000000"))
    assert evaluate_item(catalogue["JJ-FILM-02"], company=company, facts={}).eligible


def test_facts_given_override_the_company_record(catalogue):
    from tests.factories.companies import CompanyFactory

    company = CompanyFactory(paid_in_capital=Decimal("500000"))
    assert not evaluate_item(catalogue["JJ-FILM-02"], company=company, facts={}).eligible
    evaluation = evaluate_item(catalogue["JJ-FILM-02"], company=company, facts={"paid_in_capital": "10000000"})
    assert evaluation.eligible and evaluation.amount == Decimal("300000.00")


def test_policy_wide_yearly_cap_is_data_for_the_workflow(catalogue):
    policy = catalogue["JJ-FILM-01"].policy
    assert policy.cap_per_company_year == Decimal("5000000.00")
