"""Money rules at decision time: reviewed ≤ computed, caps, the company's yearly cap, the round budget, 就高不重复."""

from decimal import Decimal

import pytest

from applications import services
from applications.models import NoticeBatch
from applications.services import TransitionRefused, perform
from tests.factories.applications import ApplicationFactory, CaseItemFactory, CaseRoundFactory
from tests.factories.companies import CompanyFactory

pytestmark = pytest.mark.django_db


def refused_code(app, key, user, **data):
    with pytest.raises(TransitionRefused) as refused:
        perform(app, key, user, **data)
    app.refresh_from_db()
    return refused.value.code


def test_reviewer_may_reduce_with_a_reason_but_never_raise(staff):
    app = ApplicationFactory(in_preliminary_review=True, computed_amount=Decimal("100000.00"))
    services.assign_experts([app], [staff["expert"]], staff["reviewer"])
    assert refused_code(app, "send_to_experts", staff["reviewer"], amount="100000.01") == "invalid_amount"
    assert refused_code(app, "send_to_experts", staff["reviewer"], amount="90000") == "comment_required"
    assert app.state == "preliminary_review" and app.reviewed_amount is None
    perform(app, "send_to_experts", staff["reviewer"], amount="90000", comment="场地费不属于本地消费")
    assert app.reviewed_amount == Decimal("90000.00")


def test_sending_to_experts_needs_an_expert(staff):
    app = ApplicationFactory(in_preliminary_review=True)
    assert refused_code(app, "send_to_experts", staff["reviewer"]) == "no_experts"


def test_approval_never_above_the_reviewed_amount(staff):
    app = ApplicationFactory(pending_decision=True, reviewed_amount=Decimal("80000.00"))
    assert refused_code(app, "approve", staff["approver"], amount="80000.01") == "invalid_amount"
    assert app.state == "pending_decision" and app.approved_amount is None


def test_round_budget_is_never_exceeded(staff):
    rnd = CaseRoundFactory(budget=Decimal("250000.00"))
    item = CaseItemFactory(policy=rnd.policy)
    first, second, third = (
        ApplicationFactory(pending_decision=True, item=item, round=rnd, reviewed_amount=Decimal("100000.00"))
        for _ in range(3)
    )
    perform(first, "approve", staff["approver"], amount="100000")
    perform(second, "approve", staff["approver"], amount="100000")
    assert refused_code(third, "approve", staff["approver"], amount="100000") == "over_budget"
    perform(third, "approve", staff["approver"], amount="50000")
    assert third.approved_amount == Decimal("50000.00")


def test_budget_freed_by_a_rejection_after_objection_can_be_used_again(staff):
    rnd = CaseRoundFactory(budget=Decimal("100000.00"))
    item = CaseItemFactory(policy=rnd.policy)
    first = ApplicationFactory(in_objection_review=True, item=item, round=rnd)
    second = ApplicationFactory(pending_decision=True, item=item, round=rnd)
    assert refused_code(second, "approve", staff["approver"], amount="100000") == "over_budget"
    perform(first, "uphold_objection", staff["approver"], comment="异议属实")
    perform(second, "approve", staff["approver"], amount="100000")


def company_with_4_5_million_approved_this_year(cap_per_company_year: str):
    """A case reviewed at 600,000 for a company already approved 4,500,000 this year, under the given cap."""
    company = CompanyFactory()
    rnd = CaseRoundFactory(budget=Decimal("20000000.00"), policy__cap_per_company_year=Decimal(cap_per_company_year))
    big = CaseItemFactory(policy=rnd.policy, cap_per_application=None)
    ApplicationFactory(approved=True, company=company, item=big, round=rnd, approved_amount=Decimal("4500000.00"))
    return ApplicationFactory(
        pending_decision=True, company=company, item=big, round=rnd, reviewed_amount=Decimal("600000.00")
    )


def test_company_yearly_cap_of_five_million(staff):
    app = company_with_4_5_million_approved_this_year("5000000.00")
    with pytest.raises(TransitionRefused) as refused:
        perform(app, "approve", staff["approver"], amount="600000")
    assert refused.value.code == "over_company_cap"
    assert "500,000.00" in refused.value.reason or "500000.00" in refused.value.reason
    perform(app, "approve", staff["approver"], amount="500000")


def test_company_yearly_cap_follows_the_policy_data_when_a_manager_raises_it(staff):
    """The 5,000,000 is policy data, not code: a raised cap lets a larger approval through."""
    app = company_with_4_5_million_approved_this_year("6000000.00")
    perform(app, "approve", staff["approver"], amount="600000")
    app.refresh_from_db()
    assert app.approved_amount == Decimal("600000.00")


def test_item_yearly_cap_and_once_per_company(staff):
    company = CompanyFactory()
    rnd = CaseRoundFactory()
    rent = CaseItemFactory(policy=rnd.policy, cap_per_company_year=Decimal("100000.00"))
    ApplicationFactory(approved=True, company=company, item=rent, round=rnd, approved_amount=Decimal("80000.00"))
    app = ApplicationFactory(pending_decision=True, company=company, item=rent, round=rnd)
    assert refused_code(app, "approve", staff["approver"], amount="30000") == "over_cap"
    perform(app, "approve", staff["approver"], amount="20000")

    settling = CaseItemFactory(policy=rnd.policy, once_per_company=True)
    ApplicationFactory(archived=True, company=company, item=settling, round=rnd, approved_amount=Decimal("50000.00"))
    again = ApplicationFactory(pending_decision=True, company=company, item=settling, round=rnd)
    assert refused_code(again, "approve", staff["approver"], amount="50000") == "once_per_company"


def test_stacking_group_pays_only_the_difference_for_one_work(staff):
    company = CompanyFactory()
    rnd = CaseRoundFactory()
    box_office = CaseItemFactory(policy=rnd.policy, work_award=True)
    award_prize = CaseItemFactory(policy=rnd.policy, work_award=True)
    def shan_cheng(**traits):  # one work: every case below is for the film 《山城》
        return ApplicationFactory(company=company, round=rnd, project_title="电影《山城》", **traits)

    shan_cheng(
        approved=True,
        item=box_office,
        approved_amount=Decimal("1000000.00"),
        decision_basis={"award": "1000000.00"},
    )
    later = shan_cheng(pending_decision=True, item=award_prize, reviewed_amount=Decimal("2000000.00"))
    lower = shan_cheng(pending_decision=True, item=award_prize, reviewed_amount=Decimal("500000.00"))
    other_work = ApplicationFactory(
        pending_decision=True, company=company, item=award_prize, round=rnd, project_title="电影《江城》"
    )
    assert refused_code(lower, "approve", staff["approver"], amount="500000") == "stacking_covered"
    perform(later, "approve", staff["approver"], amount="2000000")
    assert later.approved_amount == Decimal("1000000.00")  # the difference to the earlier 1,000,000
    assert later.decision_basis == {
        "award": "2000000.00",
        "already_paid_in_group": "1000000.00",
        "payable": "1000000.00",
    }
    perform(other_work, "approve", staff["approver"], amount="100000")
    assert other_work.approved_amount == Decimal("100000.00")


def test_bulk_public_notice_is_all_or_nothing_within_the_budget(staff, signals_seen):
    rnd = CaseRoundFactory(budget=Decimal("250000.00"))
    item = CaseItemFactory(policy=rnd.policy)
    cases = [ApplicationFactory(pending_decision=True, item=item, round=rnd) for _ in range(3)]
    with pytest.raises(TransitionRefused) as refused:
        services.start_public_notice(cases, staff["approver"], title="2026年第一批公示")
    assert refused.value.code == "over_budget" and cases[2].case_number in refused.value.reason
    for app in cases:
        app.refresh_from_db()
        assert app.state == "pending_decision" and app.approved_amount is None
    # Receivers ran inside the rolled-back transaction, so whatever they wrote is gone too; no batch started.
    assert not [s for s in signals_seen if s["signal"] == "notice_batch_started"]
    assert not NoticeBatch.objects.exists()

    batch = services.start_public_notice(cases[:2], staff["approver"], title="2026年第一批公示")
    assert set(batch.applications.values_list("state", flat=True)) == {"public_notice"}
    assert batch.applications.count() == 2
    started = [s for s in signals_seen if s["signal"] == "notice_batch_started"]
    assert len(started) == 1 and started[0]["batch"] == batch
