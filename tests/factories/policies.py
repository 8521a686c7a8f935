"""The policy catalogue, one factory per model: a policy, its support items and rounds, criteria, invitations.

Defaults are small and self-contained (one criterion-free item whose amount is 10 % of local_spend, a round open
from 30 days ago to 90 days ahead), so tests do not depend on the seeded catalogue or on the calendar year.
Traits name the variants: ``RoundFactory(closed=True)``, ``SupportItemFactory(box_office=True)``,
``PolicyFactory(documented=True)`` (the title and document number the issued documents print).
"""

from decimal import Decimal

import factory
from django.utils import timezone

from policies.models import Criterion, Invitation, Policy, Round, SupportItem

from .dates import days_ago, moment

MATERIALS = [
    {"key": "licence", "label": "营业执照", "required": True, "accepted_types": ["pdf", "jpeg", "png"]},
    {"key": "invoices", "label": "江津供应商发票及付款凭证", "required": True, "accepted_types": ["pdf"]},
    {"key": "schedule", "label": "拍摄计划及场地清单", "required": False, "accepted_types": ["pdf", "docx"]},
]
FORM_FIELDS = [
    {"key": "local_spend", "label": "在江津消费金额", "type": "number", "unit": "元", "required": True},
    {"key": "shooting_days_in_jiangjin", "label": "在江津拍摄天数", "type": "number", "unit": "天", "required": True},
]
BOX_OFFICE_MATERIALS = [
    {"key": "licence", "label": "营业执照", "required": True, "accepted_types": ["pdf"]},
    {"key": "box_office_proof", "label": "票房证明", "required": True, "accepted_types": ["pdf"]},
]
BOX_OFFICE_FIELDS = [{"key": "box_office", "label": "票房收入", "type": "number", "unit": "元", "required": True}]


class PolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Policy

    title = factory.Sequence(lambda n: f"测试扶持办法{n}")
    issuing_body = "江津区委宣传部"
    effective_from = factory.LazyFunction(lambda: days_ago(365))
    status = Policy.Status.PUBLISHED

    class Params:
        documented = factory.Trait(title="江津区影视产业发展扶持办法（试行）", document_number="江津府发〔2026〕8号")


class RoundFactory(factory.django.DjangoModelFactory):
    """Open now: from 30 days ago to 90 days ahead, in this year."""

    class Meta:
        model = Round

    policy = factory.SubFactory(PolicyFactory)
    name = factory.Sequence(lambda n: f"第{n}批")
    year = factory.LazyFunction(lambda: timezone.localdate().year)
    opens_at = factory.LazyFunction(lambda: moment(-30))
    closes_at = factory.LazyFunction(lambda: moment(90))
    budget = Decimal("20000000.00")

    class Params:
        closed = factory.Trait(
            opens_at=factory.LazyFunction(lambda: moment(-120)), closes_at=factory.LazyFunction(lambda: moment(-1))
        )
        upcoming = factory.Trait(
            opens_at=factory.LazyFunction(lambda: moment(30)), closes_at=factory.LazyFunction(lambda: moment(120))
        )


class SupportItemFactory(factory.django.DjangoModelFactory):
    """A location-shooting item: two required materials, amount 10 % of local_spend, capped at 1,000,000."""

    class Meta:
        model = SupportItem

    policy = factory.SubFactory(PolicyFactory)
    code = factory.Sequence(lambda n: f"T-ITEM-{n:03d}")
    name = factory.Sequence(lambda n: f"测试扶持事项{n}")
    form_fields = FORM_FIELDS
    materials = MATERIALS
    amount_expression = "local_spend * 0.1"
    cap_per_application = Decimal("1000000.00")

    class Params:
        work_award = factory.Trait(stacking_group="work_award", cap_per_application=Decimal("2000000.00"))
        # The cinema box-office award of the issued documents: a fixed 1,000,000, no cap.
        box_office = factory.Trait(
            name="院线票房奖励",
            materials=BOX_OFFICE_MATERIALS,
            form_fields=BOX_OFFICE_FIELDS,
            amount_expression="1000000",
            cap_per_application=None,
        )


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
    round = factory.SubFactory(RoundFactory, policy=factory.SelfAttribute("..item.policy"))
    estimated_amount = Decimal("50000.00")
