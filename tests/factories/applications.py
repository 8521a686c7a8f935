"""Factories for cases. Traits put a case straight into a stage (``submitted``, ``pending_decision``,
``in_public_notice``, ``approved`` ...) with the amounts and deadlines it would have there, so a test reads
like its scenario. The protected state field is set only at construction, never changed afterwards; moves
after that go through applications.services.perform.

The Policy/Round/SupportItem factories here are deliberately small (one criterion-free item whose amount is
10 % of local_spend) so workflow tests do not depend on the seeded catalogue.
"""

import itertools
from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from applications.models import Application, ExpertAssignment
from policies.models import Policy, Round, SupportItem

from .companies import CompanyFactory, MembershipFactory, UserFactory

_case_serial = itertools.count(1)

MATERIALS = [
    {"key": "licence", "label": "营业执照", "required": True, "accepted_types": ["pdf", "jpeg", "png"]},
    {"key": "invoices", "label": "江津供应商发票及付款凭证", "required": True, "accepted_types": ["pdf"]},
    {"key": "schedule", "label": "拍摄计划及场地清单", "required": False, "accepted_types": ["pdf", "docx"]},
]
FORM_FIELDS = [
    {"key": "local_spend", "label": "在江津消费金额", "type": "number", "unit": "元", "required": True},
    {"key": "shooting_days_in_jiangjin", "label": "在江津拍摄天数", "type": "number", "unit": "天", "required": True},
]


class CasePolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Policy

    title = factory.Sequence(lambda n: f"测试扶持办法{n}")
    issuing_body = "江津区委宣传部"
    effective_from = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=365))
    status = "published"


class CaseRoundFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Round

    policy = factory.SubFactory(CasePolicyFactory)
    name = factory.Sequence(lambda n: f"第{n}批")
    year = factory.LazyFunction(lambda: timezone.localdate().year)
    opens_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=30))
    closes_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=30))
    budget = Decimal("20000000.00")


class CaseItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SupportItem

    policy = factory.SubFactory(CasePolicyFactory)
    code = factory.Sequence(lambda n: f"T-CASE-{n:03d}")
    name = factory.Sequence(lambda n: f"测试扶持事项{n}")
    form_fields = FORM_FIELDS
    materials = MATERIALS
    amount_expression = "local_spend * 0.1"
    cap_per_application = Decimal("1000000.00")

    class Params:
        work_award = factory.Trait(stacking_group="work_award", cap_per_application=Decimal("2000000.00"))


def _round_for(app):
    return CaseRoundFactory(policy=app.item.policy)


class ApplicationFactory(factory.django.DjangoModelFactory):
    """A draft by default; ``ApplicationFactory(approved=True)`` etc. for later stages."""

    class Meta:
        model = Application

    case_number = factory.LazyFunction(lambda: f"T-{next(_case_serial):06d}")
    company = factory.SubFactory(CompanyFactory)
    item = factory.SubFactory(CaseItemFactory)
    round = factory.LazyAttribute(_round_for)
    project_title = factory.Sequence(lambda n: f"电影《江津往事{n}》")
    facts = factory.LazyFunction(lambda: {"local_spend": "1000000", "shooting_days_in_jiangjin": 20})
    integrity_pledge_at = factory.LazyFunction(timezone.now)
    state = "draft"

    class Params:
        submitted = factory.Trait(
            state="submitted",
            submitted_at=factory.LazyFunction(timezone.now),
            requested_amount=Decimal("100000.00"),
            computed_amount=Decimal("100000.00"),
            due_kind="acceptance",
            due_date=factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=7)),
        )
        accepted = factory.Trait(submitted=True, state="accepted", due_kind="", due_date=None)
        in_preliminary_review = factory.Trait(accepted=True, state="preliminary_review")
        in_expert_review = factory.Trait(
            in_preliminary_review=True, state="expert_review", reviewed_amount=Decimal("100000.00")
        )
        pending_decision = factory.Trait(in_expert_review=True, state="pending_decision")
        in_public_notice = factory.Trait(
            pending_decision=True,
            state="public_notice",
            approved_amount=Decimal("100000.00"),
            decided_at=factory.LazyFunction(timezone.now),
            decision_basis={"award": "100000.00", "already_paid_in_group": "0.00", "payable": "100000.00"},
            due_kind="public_notice",
            due_date=factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=7)),
        )
        in_objection_review = factory.Trait(in_public_notice=True, state="objection_review")
        approved = factory.Trait(in_public_notice=True, state="approved", due_kind="", due_date=None)
        disbursed = factory.Trait(approved=True, state="disbursed", disbursed_amount=Decimal("100000.00"))
        archived = factory.Trait(disbursed=True, state="archived")


class ExpertAssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExpertAssignment

    application = factory.SubFactory(ApplicationFactory, in_expert_review=True)
    expert = factory.SubFactory(UserFactory, roles=["expert"])


def applicant_for(app) -> object:
    """A confirmed member (role applicant) of the case's company."""
    return MembershipFactory(company=app.company).user
