import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import factory

from policies.models import Criterion, Invitation, Policy, Round, SupportItem

SHANGHAI = ZoneInfo("Asia/Shanghai")


class PolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Policy

    title = factory.Sequence(lambda n: f"测试扶持办法{n}")
    issuing_body = "重庆市江津区人民政府"
    effective_from = dt.date(2026, 1, 1)
    status = Policy.Status.PUBLISHED


class RoundFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Round

    policy = factory.SubFactory(PolicyFactory)
    name = factory.Sequence(lambda n: f"测试批次{n}")
    year = 2026
    opens_at = dt.datetime(2026, 1, 1, tzinfo=SHANGHAI)
    closes_at = dt.datetime(2027, 1, 1, tzinfo=SHANGHAI)
    budget = Decimal("20000000.00")


class SupportItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SupportItem

    policy = factory.SubFactory(PolicyFactory)
    code = factory.Sequence(lambda n: f"TEST-{n:03d}")
    name = factory.Sequence(lambda n: f"测试事项{n}")
    amount_expression = "local_spend * 0.1"


class CriterionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Criterion

    item = factory.SubFactory(SupportItemFactory)
    label = "拍摄天数"
    expression = "shooting_days_in_jiangjin >= 15"
    failure_message = "在江津拍摄天数 {shooting_days_in_jiangjin} 天，少于 15 天"


class InvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invitation

    company = factory.SubFactory("tests.factories.companies.CompanyFactory")
    item = factory.SubFactory(SupportItemFactory)
    round = factory.SubFactory(RoundFactory)
    estimated_amount = Decimal("50000.00")
