"""Expert review, queues and notifications."""

from decimal import Decimal

import pytest

from applications import services
from applications.models import Notification
from applications.services import TransitionRefused
from applications.visibility import cases_visible_to
from tests.factories.applications import ApplicationFactory, ExpertAssignmentFactory, applicant_for
from tests.factories.companies import UserFactory

pytestmark = pytest.mark.django_db


def test_bulk_assignment_of_experts_to_many_cases(staff):
    cases = [ApplicationFactory(in_preliminary_review=True) for _ in range(3)]
    experts = [UserFactory(roles=["expert"]), UserFactory(roles=["expert"])]
    assert services.assign_experts(cases, experts, staff["reviewer"]) == 6
    assert services.assign_experts(cases, experts, staff["reviewer"]) == 0  # already assigned
    for expert in experts:
        assert Notification.objects.filter(recipient=expert, event="expert_assigned").count() == 3
        assert set(cases_visible_to(expert)) == set(cases)


def test_only_reviewers_assign_and_only_experts_are_assigned(staff):
    app = ApplicationFactory(in_preliminary_review=True)
    with pytest.raises(TransitionRefused) as refused:
        services.assign_experts([app], [staff["expert"]], staff["clerk"])
    assert refused.value.code == "not_your_role"
    with pytest.raises(TransitionRefused) as refused:
        services.assign_experts([app], [staff["clerk"]], staff["reviewer"])
    assert refused.value.code == "not_an_expert"
    with pytest.raises(TransitionRefused) as refused:
        services.assign_experts([ApplicationFactory(pending_decision=True)], [staff["expert"]], staff["reviewer"])
    assert refused.value.code == "wrong_stage"


def test_expert_opinions_are_checked_and_given_once():
    assignment = ExpertAssignmentFactory()
    app, expert = assignment.application, assignment.expert
    second = ExpertAssignmentFactory(application=app)
    with pytest.raises(TransitionRefused) as refused:
        services.give_opinion(app, expert, opinion="oppose", score=40)
    assert refused.value.code == "comment_required"
    with pytest.raises(TransitionRefused) as refused:
        services.give_opinion(app, expert, opinion="support", score=101)
    assert refused.value.code == "invalid_score"
    with pytest.raises(TransitionRefused) as refused:
        services.give_opinion(app, expert, opinion="support_with_reduction", score=70, comment="偏高")
    assert refused.value.code == "invalid_amount"
    with pytest.raises(TransitionRefused) as refused:
        services.give_opinion(app, UserFactory(roles=["expert"]), opinion="support", score=90)
    assert refused.value.code == "not_your_case"

    services.give_opinion(app, expert, opinion="oppose", score=40, comment="本地消费凭证不足")
    with pytest.raises(TransitionRefused) as refused:
        services.give_opinion(app, expert, opinion="support", score=90)
    assert refused.value.code == "already_answered"
    app.refresh_from_db()
    assert app.state == "expert_review"
    services.give_opinion(app, second.expert, opinion="support", score=Decimal("85.5"))
    app.refresh_from_db()
    assert app.state == "pending_decision"
    assignment.refresh_from_db()
    assert assignment.opinion == "oppose" and assignment.score == Decimal("40")


def test_applicants_see_only_their_companys_cases():
    mine = ApplicationFactory(submitted=True)
    ApplicationFactory(submitted=True)
    assert list(cases_visible_to(applicant_for(mine))) == [mine]
