"""Who may do what, generated from the workflow table: every role is refused every transition not its own."""

import pytest

from applications import workflow
from applications.rules import may_view
from applications.services import TransitionRefused, allowed_transitions, can, perform
from invest.roles import ROLE_KEYS
from tests.factories.applications import ApplicationFactory, ExpertAssignmentFactory, applicant_for
from tests.factories.companies import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

#: A factory trait that puts a case in each state a transition can start from.
TRAIT_FOR_STATE = {
    "draft": {},
    "submitted": {"submitted": True},
    "correction_requested": {"submitted": True, "state": "correction_requested"},
    "accepted": {"accepted": True},
    "preliminary_review": {"in_preliminary_review": True},
    "expert_review": {"in_expert_review": True},
    "pending_decision": {"pending_decision": True},
    "public_notice": {"in_public_notice": True},
    "objection_review": {"in_objection_review": True},
    "approved": {"approved": True},
    "disbursed": {"disbursed": True},
    "archived": {"archived": True},
}

PERSON_TRANSITIONS = [t for t in workflow.TRANSITIONS if not t.automatic and not t.public]
FOREIGN = [(t.key, role) for t in PERSON_TRANSITIONS for role in ROLE_KEYS if role not in t.roles]


def user_with_role(role, app):
    if role == "applicant":
        return applicant_for(app)
    if role == "expert":
        return ExpertAssignmentFactory(application=app).expert
    return UserFactory(roles=[role])


@pytest.mark.parametrize(("key", "role"), FOREIGN, ids=[f"{k}-by-{r}" for k, r in FOREIGN])
def test_every_role_is_refused_every_transition_that_is_not_its_own(key, role):
    spec = workflow.TRANSITION_BY_KEY[key]
    app = ApplicationFactory(**TRAIT_FOR_STATE[spec.sources[0]])
    user = user_with_role(role, app)
    allowed, reason = can(app, user, key)
    assert not allowed and reason
    assert key not in [t.key for t in allowed_transitions(app, user)]
    with pytest.raises(TransitionRefused) as refused:
        perform(app, key, user, comment="试图越权", amount="1")
    assert refused.value.code == "not_your_role"
    app.refresh_from_db()
    assert app.state == spec.sources[0]


@pytest.mark.parametrize("key", [t.key for t in PERSON_TRANSITIONS])
def test_each_transition_is_offered_to_its_own_role(key):
    spec = workflow.TRANSITION_BY_KEY[key]
    app = ApplicationFactory(**TRAIT_FOR_STATE[spec.sources[0]])
    user = user_with_role(spec.roles[0], app)
    offered = [t.key for t in allowed_transitions(app, user)]
    if spec.conditions:  # e.g. submit needs materials: the reason says so
        allowed, reason = can(app, user, key)
        assert allowed or reason
    else:
        assert key in offered
        assert can(app, user, key) == (True, "")


@pytest.mark.parametrize("key", [t.key for t in workflow.TRANSITIONS if t.automatic])
@pytest.mark.parametrize("role", ROLE_KEYS)
def test_automatic_transitions_are_refused_to_every_person(key, role):
    spec = workflow.TRANSITION_BY_KEY[key]
    app = ApplicationFactory(**TRAIT_FOR_STATE[spec.sources[0]])
    with pytest.raises(TransitionRefused) as refused:
        perform(app, key, user_with_role(role, app))
    assert refused.value.code == "not_your_role"


def test_a_superuser_gets_no_workflow_powers():
    app = ApplicationFactory(pending_decision=True)
    admin = UserFactory(is_superuser=True, is_staff=True)
    assert can(app, admin, "approve")[0] is False


def test_an_applicant_acts_only_for_their_own_company():
    app = ApplicationFactory(submitted=True)
    other = MembershipFactory().user  # a confirmed applicant of another company
    allowed, reason = can(app, other, "withdraw")
    assert not allowed and "成员" in reason
    with pytest.raises(TransitionRefused) as refused:
        perform(app, "withdraw", other)
    assert refused.value.code == "not_your_case"


def test_an_unconfirmed_member_cannot_act():
    app = ApplicationFactory(submitted=True)
    pending = MembershipFactory(company=app.company, status="requested").user
    with pytest.raises(TransitionRefused) as refused:
        perform(app, "withdraw", pending)
    assert refused.value.code == "not_your_case"


def test_wrong_stage_says_so():
    app = ApplicationFactory(accepted=True)
    clerk = UserFactory(roles=["clerk"])
    allowed, reason = can(app, clerk, "accept")
    assert not allowed and "已受理" in reason
    with pytest.raises(TransitionRefused) as refused:
        perform(app, "accept", clerk)
    assert refused.value.code == "wrong_stage"


def test_experts_see_only_cases_assigned_to_them():
    assignment = ExpertAssignmentFactory()
    other_case = ApplicationFactory(in_expert_review=True)
    assert may_view(assignment.expert, assignment.application)
    assert not may_view(assignment.expert, other_case)
    assert assignment.expert.has_perm("applications.view_application", assignment.application)
    assert not assignment.expert.has_perm("applications.view_application", other_case)


def test_staff_see_every_case_and_applicants_only_their_own():
    app = ApplicationFactory(submitted=True)
    assert may_view(UserFactory(roles=["auditor"]), app)
    assert may_view(applicant_for(app), app)
    assert not may_view(MembershipFactory().user, app)


def test_unknown_transition_is_refused_with_a_reason():
    app = ApplicationFactory()
    assert can(app, applicant_for(app), "teleport") == (False, "没有“teleport”这个办理步骤。")


def test_buttons_for_a_case_in_decision_are_the_approvers_two():
    app = ApplicationFactory(pending_decision=True)
    approver = UserFactory(roles=["approver"])
    assert [t.key for t in allowed_transitions(app, approver)] == ["approve", "reject"]
    assert allowed_transitions(app, None) == []
    notice = ApplicationFactory(in_public_notice=True)
    assert allowed_transitions(notice, approver) == []  # objections are filed on the public page
