"""Factories for the investment pipeline. `LeadFactory(stage="negotiating")` walks the lead there through
services.advance, so a test's starting point is reached the same way users reach it."""

from datetime import date, timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from companies.investment import services, workflow
from companies.investment.models import Agreement, Lead, ProjectKind, PromisedSupport, PromotionEvent

from .companies import UserFactory, next_credit_code

# The steps from `new` to each stage, by transition key.
PATH = {
    workflow.NEW: [],
    workflow.CONTACTED: ["contact"],
    workflow.NEGOTIATING: ["contact", "negotiate"],
    workflow.AGREEMENT_SIGNED: ["contact", "negotiate", "sign_agreement"],
    workflow.SETTLED: ["contact", "negotiate", "sign_agreement", "settle"],
    workflow.LOST: ["lose"],
}


def days_ago(n: int) -> date:
    """Dates relative to today, so a stage date is never in the future whenever the suite runs."""
    return timezone.localdate() - timedelta(days=n)


def step_data(key: str, lead: Lead, **overrides) -> dict:
    """Plausible data for each transition (contact 90 days ago, settled 30 days ago); tests override what they check."""
    defaults = {
        "contact": {"on": days_ago(90)},
        "negotiate": {},
        "sign_agreement": {
            "committed_investment": Decimal("10000000.00"),
            "signed_on": days_ago(60),
            "support_items": ["JJ-FILM-02", "JJ-FILM-03"],
            "terms": "前三年办公用房租金全额补贴（一企一策）",
        },
        "settle": {"on": days_ago(30), "credit_code": lead.credit_code or next_credit_code()},
        "lose": {"reason": "已选择在其他区县落户"},
    }[key]
    return {**defaults, **overrides.get(key, {})}


def manager():
    return UserFactory(roles=["manager"])


class PromotionEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PromotionEvent

    name = factory.Sequence(lambda n: f"2026重庆影视城招商推介会第{n}场")
    kind = PromotionEvent.Kind.PROMOTION
    date = date(2026, 2, 20)
    place = "重庆影视城（江津白沙）"

    class Params:
        film_week = factory.Trait(
            kind=PromotionEvent.Kind.FILM_WEEK, name=factory.Sequence(lambda n: f"江津影视产业周{n}")
        )


class LeadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lead
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"北京测试影业有限公司{n}")
    contact_person = "李洽谈"
    contact_phone = "13800000000"
    event = factory.SubFactory(PromotionEventFactory)
    project_kind = ProjectKind.SETTLE_COMPANY
    owner = factory.LazyFunction(manager)
    expected_investment = Decimal("10000000.00")
    expected_local_spend = Decimal("2000000.00")

    @factory.post_generation
    def stage(self, create, extracted, **kwargs):
        """LeadFactory(stage="settled", stage__settle={"credit_code": code}) walks the path via the service."""
        if not create or not extracted:
            return
        actor = self.owner or manager()
        lead = self
        for key in PATH[extracted]:
            lead = services.advance(lead, key, actor, **step_data(key, lead, **kwargs))
        self.refresh_from_db()


class AgreementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agreement

    lead = factory.SubFactory(LeadFactory)
    committed_investment = Decimal("10000000.00")
    signed_on = date(2026, 4, 1)


class PromisedSupportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PromisedSupport

    agreement = factory.SubFactory(AgreementFactory)
    item_code = "JJ-FILM-02"
