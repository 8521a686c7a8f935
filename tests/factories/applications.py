"""Factories for cases. Traits put a case straight into a stage (``submitted``, ``pending_decision``,
``in_public_notice``, ``approved`` ...) with the amounts and deadlines it would have there, so a test reads
like its scenario. The protected state field is set only at construction, never changed afterwards; moves
after that go through applications.services.perform.

The item, its policy and the round come from tests/factories/policies.py (small, criterion-free, open now).
``amount`` (a parameter) is the sum every stage carries; ``box_office=True`` is the cinema box-office case of
the issued documents (item 院线票房奖励, the documented policy, 1,000,000).
"""

import itertools
from decimal import Decimal

import factory
from django.utils import timezone

from applications.models import Application, ExpertAssignment

from .companies import CompanyFactory, UserFactory, member_of
from .dates import days_ahead
from .policies import RoundFactory, SupportItemFactory

_case_serial = itertools.count(1)


def _round_for(app):
    return RoundFactory(policy=app.item.policy)


def _basis(app) -> dict:
    return {"award": str(app.amount), "already_paid_in_group": "0.00", "payable": str(app.amount)}


class ApplicationFactory(factory.django.DjangoModelFactory):
    """A draft by default; ``ApplicationFactory(approved=True)`` etc. for later stages."""

    class Meta:
        model = Application

    case_number = factory.LazyFunction(lambda: f"T-{next(_case_serial):06d}")
    company = factory.SubFactory(CompanyFactory)
    item = factory.SubFactory(SupportItemFactory)
    round = factory.LazyAttribute(_round_for)
    project_title = factory.Sequence(lambda n: f"电影《江津往事{n}》")
    facts = factory.LazyFunction(lambda: {"local_spend": "1000000", "shooting_days_in_jiangjin": 20})
    integrity_pledge_at = factory.LazyFunction(timezone.now)
    state = "draft"

    class Params:
        amount = Decimal("100000.00")
        box_office = factory.Trait(
            item=factory.SubFactory(SupportItemFactory, box_office=True, policy__documented=True),
            project_title=factory.Sequence(lambda n: f"电影《白沙往事{n}》"),
            facts=factory.LazyFunction(lambda: {"box_office": "120000000"}),
            amount=Decimal("1000000.00"),
        )
        submitted = factory.Trait(
            state="submitted",
            submitted_at=factory.LazyFunction(timezone.now),
            requested_amount=factory.SelfAttribute("amount"),
            computed_amount=factory.SelfAttribute("amount"),
            due_kind="acceptance",
            due_date=factory.LazyFunction(lambda: days_ahead(7)),
        )
        accepted = factory.Trait(submitted=True, state="accepted", due_kind="", due_date=None)
        in_preliminary_review = factory.Trait(accepted=True, state="preliminary_review")
        in_expert_review = factory.Trait(
            in_preliminary_review=True, state="expert_review", reviewed_amount=factory.SelfAttribute("amount")
        )
        pending_decision = factory.Trait(in_expert_review=True, state="pending_decision")
        in_public_notice = factory.Trait(
            pending_decision=True,
            state="public_notice",
            approved_amount=factory.SelfAttribute("amount"),
            decided_at=factory.LazyFunction(timezone.now),
            decision_basis=factory.LazyAttribute(_basis),
            due_kind="public_notice",
            due_date=factory.LazyFunction(lambda: days_ahead(7)),
        )
        in_objection_review = factory.Trait(in_public_notice=True, state="objection_review")
        approved = factory.Trait(in_public_notice=True, state="approved", due_kind="", due_date=None)
        disbursed = factory.Trait(approved=True, state="disbursed", disbursed_amount=factory.SelfAttribute("amount"))
        archived = factory.Trait(disbursed=True, state="archived")


class ExpertAssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExpertAssignment

    application = factory.SubFactory(ApplicationFactory, in_expert_review=True)
    expert = factory.SubFactory(UserFactory, roles=["expert"])
    # Declared no conflict of interest, so the expert may open the case and give an opinion; a test of the
    # declaration itself passes declaration="" (not yet declared).
    declaration = "none"


def applicant_for(app) -> object:
    """A confirmed member (role applicant) of the case's company."""
    return member_of(app.company)


# Old names, kept until every caller uses the family above (tests/factories/policies.py).
CaseItemFactory = SupportItemFactory
CaseRoundFactory = RoundFactory
