"""Every lead stage change through services.advance, and the refusals of the impossible ones."""

import json
import re
import threading
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection, connections

from companies.investment import services, workflow
from companies.investment.models import Agreement, Lead
from companies.investment.selectors import lead_history
from companies.investment.services import TransitionRefused, advance
from invest.models import AuditEntry
from invest.workflow import State, Table, Transition
from tests.factories import CompanyFactory, UserFactory
from tests.factories.companies import next_credit_code
from tests.factories.investment import PATH, LeadFactory, days_ago, step_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def boss():
    return UserFactory(roles=["manager"])


def test_table_and_model_methods_agree():
    """The model's @transition methods are the table's: same keys, same sources and targets."""
    for spec in workflow.TRANSITIONS:
        meta = getattr(Lead, spec.key)._django_fsm
        for source in spec.sources:
            assert meta.has_transition(source), (spec.key, source)
            assert meta.next_state(source) == spec.target
        for state in workflow.STATE_KEYS:
            if state not in spec.sources:
                assert not meta.has_transition(state), (spec.key, state)


def test_state_field_cannot_be_set_directly():
    lead = LeadFactory()
    with pytest.raises(AttributeError):
        lead.state = workflow.SETTLED


@pytest.mark.parametrize(
    "spec,source",
    [(t, s) for t in workflow.TRANSITIONS for s in t.sources],
    ids=lambda v: v.key if isinstance(v, workflow.LeadTransition) else v,
)
def test_every_allowed_change_moves_the_lead_and_is_recorded(spec, source, boss):
    lead = LeadFactory(stage=source)
    audits_before = AuditEntry.objects.filter(action=f"lead.{spec.key}").count()

    moved = advance(lead, spec.key, boss, comment="第一次电话沟通", **step_data(spec.key, lead))

    assert moved.state == spec.target
    assert Lead.objects.get(pk=lead.pk).state == spec.target
    event = lead_history(lead)[-1]
    assert (event.transition, event.source, event.target, event.actor) == (spec.key, source, spec.target, boss)
    assert event.comment and event.label == str(spec.label)
    entry = AuditEntry.objects.filter(action=f"lead.{spec.key}").first()
    assert AuditEntry.objects.filter(action=f"lead.{spec.key}").count() == audits_before + 1
    assert entry.actor == boss and entry.before["state"] == source and entry.after["state"] == spec.target


@pytest.mark.parametrize(
    "spec,source",
    [(t, s) for t in workflow.TRANSITIONS for s in workflow.STATE_KEYS if s not in t.sources],
    ids=lambda v: v.key if isinstance(v, workflow.LeadTransition) else v,
)
def test_every_impossible_change_is_refused_and_leaves_no_trace(spec, source, boss):
    lead = LeadFactory(stage=source)
    events = len(lead_history(lead))

    with pytest.raises(TransitionRefused) as refused:
        advance(lead, spec.key, boss, **step_data(spec.key, lead))

    assert refused.value.code == "wrong_stage"
    assert workflow.state_label(source) in refused.value.reason
    assert Lead.objects.get(pk=lead.pk).state == source
    assert len(lead_history(lead)) == events


def test_full_path_sets_dates_and_agreement(boss):
    company = CompanyFactory()
    lead = LeadFactory()
    lead = advance(lead, "contact", boss, on=days_ago(100))
    lead = advance(lead, "negotiate", boss)
    lead = advance(
        lead,
        "sign_agreement",
        boss,
        committed_investment="12,000,000.005",
        signed_on=days_ago(50),
        support_items=["jj-film-02", {"item_code": "JJ-FILM-03", "promised_amount": "100000"}],
        terms="一企一策：前三年租金全额补贴",
        number="江津招商〔2026〕3号",
    )
    lead = advance(lead, "settle", boss, credit_code=company.credit_code.lower(), on=days_ago(10))

    assert lead.contacted_on == days_ago(100) and lead.settled_on == days_ago(10)
    assert lead.company == company
    agreement = Agreement.objects.get(lead=lead)
    assert agreement.committed_investment == Decimal("12000000.01")  # half-up to the fen
    assert sorted(agreement.promised_items.values_list("item_code", flat=True)) == ["JJ-FILM-02", "JJ-FILM-03"]
    assert agreement.promised_items.get(item_code="JJ-FILM-03").promised_amount == Decimal("100000.00")
    history = lead_history(lead)
    assert [e.action for e in history].count("lead.link_company") == 1
    assert [(e.transition, e.occurred_on) for e in history if e.transition] == [
        ("contact", days_ago(100)),
        ("negotiate", None),
        ("sign_agreement", days_ago(50)),
        ("settle", days_ago(10)),
    ]
    assert history[-1].comment == str(company)  # the link names the company, after the settling


def test_losing_requires_a_reason(boss):
    lead = LeadFactory(stage=workflow.NEGOTIATING)
    with pytest.raises(TransitionRefused) as refused:
        advance(lead, "lose", boss, reason="   ")
    assert refused.value.code == "missing_reason"
    assert "原因" in refused.value.reason
    assert Lead.objects.get(pk=lead.pk).state == workflow.NEGOTIATING

    lost = advance(lead, "lose", boss, reason="对方资金未到位")
    assert lost.lost_reason == "对方资金未到位"
    assert AuditEntry.objects.filter(action="lead.lose").first().reason == "对方资金未到位"


def test_settling_requires_a_valid_credit_code(boss):
    lead = LeadFactory(stage=workflow.AGREEMENT_SIGNED)
    with pytest.raises(TransitionRefused) as missing:
        advance(lead, "settle", boss)
    assert missing.value.code == "missing_credit_code"

    bad = next_credit_code()[:-1] + ("0" if next_credit_code()[-1] != "0" else "1")
    with pytest.raises(TransitionRefused) as invalid:
        advance(lead, "settle", boss, credit_code=bad)
    assert invalid.value.code == "invalid_credit_code"
    assert "校验位" in invalid.value.reason
    assert Lead.objects.get(pk=lead.pk).state == workflow.AGREEMENT_SIGNED


def test_signing_requires_the_committed_investment_and_valid_item_codes(boss):
    lead = LeadFactory(stage=workflow.NEGOTIATING)
    with pytest.raises(TransitionRefused) as missing:
        advance(lead, "sign_agreement", boss)
    assert missing.value.code == "missing_committed_investment"
    with pytest.raises(TransitionRefused) as negative:
        advance(lead, "sign_agreement", boss, committed_investment="-5")
    assert negative.value.code == "invalid_amount"
    with pytest.raises(TransitionRefused) as bad_code:
        advance(lead, "sign_agreement", boss, committed_investment="100", support_items=["租金补贴"])
    assert bad_code.value.code == "invalid_item_code"
    assert not Agreement.objects.filter(lead=lead).exists()


def test_dates_in_the_future_or_before_contact_are_refused(boss):
    lead = LeadFactory()
    with pytest.raises(TransitionRefused) as future:
        advance(lead, "contact", boss, on=days_ago(-3))
    assert future.value.code == "invalid_date"
    negotiating = LeadFactory(stage=workflow.NEGOTIATING)  # contacted 90 days ago
    with pytest.raises(TransitionRefused) as signed_early:
        advance(negotiating, "sign_agreement", boss, committed_investment="1", signed_on=days_ago(100))
    assert signed_early.value.code == "invalid_date"
    lead = LeadFactory(stage=workflow.AGREEMENT_SIGNED)  # contacted 90 days ago
    with pytest.raises(TransitionRefused) as early:
        advance(lead, "settle", boss, credit_code=next_credit_code(), on=days_ago(120))
    assert early.value.code == "invalid_date"


@pytest.mark.parametrize("roles", [[], ["reviewer"], ["applicant"], ["finance"]])
def test_only_managers_move_leads(roles):
    lead = LeadFactory()
    with pytest.raises(TransitionRefused) as refused:
        advance(lead, "contact", UserFactory(roles=roles))
    assert refused.value.code == "not_your_role"
    assert Lead.objects.get(pk=lead.pk).state == workflow.NEW


def test_superuser_may_move_leads():
    admin = UserFactory(is_superuser=True, is_staff=True)
    assert advance(LeadFactory(), "contact", admin).state == workflow.CONTACTED


def test_unknown_transition_is_refused(boss):
    with pytest.raises(TransitionRefused) as refused:
        advance(LeadFactory(), "teleport", boss)
    assert refused.value.code == "unknown_transition"


def test_stale_copy_is_refused_instead_of_applied(boss):
    """Two managers open the same lead; the second one's click must not act on the stage it no longer has."""
    lead = LeadFactory(stage=workflow.CONTACTED)
    stale = Lead.objects.get(pk=lead.pk)
    advance(lead, "lose", boss, reason="对方放弃")
    with pytest.raises(TransitionRefused) as refused:
        advance(stale, "negotiate", boss)
    assert refused.value.code == "changed_under_you"
    assert Lead.objects.get(pk=lead.pk).state == workflow.LOST


def test_allowed_transitions_follow_the_table(boss):
    lead = LeadFactory(stage=workflow.NEGOTIATING)
    assert [t.key for t in services.allowed_transitions(lead, boss)] == ["sign_agreement", "lose"]
    assert services.allowed_transitions(lead, UserFactory(roles=["reviewer"])) == []
    assert services.allowed_transitions(LeadFactory(stage=workflow.SETTLED), boss) == []


def test_paths_cover_every_state():
    assert set(PATH) == set(workflow.STATE_KEYS)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_managers_advancing_at_once_move_the_lead_once():
    if connection.vendor != "postgresql":
        pytest.skip("row locks are real only on PostgreSQL")
    first, second = UserFactory(roles=["manager"]), UserFactory(roles=["manager"])
    lead = LeadFactory(stage=workflow.CONTACTED)
    copies = [Lead.objects.get(pk=lead.pk), Lead.objects.get(pk=lead.pk)]
    barrier = threading.Barrier(2)
    outcomes = []

    def run(copy, actor, key, data):
        try:
            barrier.wait()
            advance(copy, key, actor, **data)
            outcomes.append("ok")
        except TransitionRefused as exc:
            outcomes.append(exc.code)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=run, args=(copies[0], first, "negotiate", {})),
        threading.Thread(target=run, args=(copies[1], second, "lose", {"reason": "对方放弃"})),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(outcomes) == ["changed_under_you", "ok"]
    assert len([e for e in lead_history(lead) if e.transition]) == 2  # contact + one


def test_create_lead_normalises_the_code_and_records_history(boss):
    code = next_credit_code()
    lead = services.create_lead(boss, name="重庆新线索影业", credit_code=f" {code.lower()} ", owner=boss)
    assert lead.credit_code == code and lead.state == workflow.NEW
    [created] = lead_history(lead)
    assert (created.action, created.label, created.target, created.actor) == ("lead.create", "登记线索", "new", boss)
    with pytest.raises(TransitionRefused):
        services.create_lead(UserFactory(roles=["reviewer"]), name="x")


def test_workflow_command_prints_the_leads_table_in_both_languages_and_the_docs_embed_its_diagram():
    """Leads share the cases' workflow base: `manage.py workflow --leads` prints their table like the cases'."""
    out = StringIO()
    call_command("workflow", "--json", "--leads", stdout=out)
    data = json.loads(out.getvalue())
    assert [s["key"] for s in data["states"]] == list(workflow.STATE_KEYS)
    assert data["states"][-1] == {"key": "lost", "label": {"zh-hans": "未落地", "en": "Not settled"}, "terminal": True}
    lose = next(t for t in data["transitions"] if t["key"] == "lose")
    assert lose["roles"] == ["manager"] and lose["comment_required"] is True
    assert lose["sources"] == list(workflow.OPEN_STATES)

    out = StringIO()
    call_command("workflow", "--mermaid", "--leads", stdout=out)
    assert "agreement_signed --> settled: settle (manager)" in out.getvalue()
    doc = (Path(__file__).resolve().parents[2] / "docs" / "workflow.md").read_text(encoding="utf-8")
    embedded = re.search(
        r"<!-- BEGIN GENERATED LEAD MERMAID -->\n```mermaid\n(.*?)```\n<!-- END GENERATED LEAD MERMAID -->", doc, re.S
    )
    assert embedded and embedded.group(1) == out.getvalue(), "run `manage.py workflow --mermaid --leads`"


def test_the_base_refuses_a_table_that_contradicts_itself():
    ok = Transition("go", ("a",), "b", ("manager",), "go")
    states = (State("a", "a"), State("b", "b", terminal=True))
    Table(states, (ok,), subject="t")
    with pytest.raises(ImproperlyConfigured):
        Table(states, (ok, Transition("go", ("a",), "b", ("manager",), "again")), subject="t")  # two rows, one key
    with pytest.raises(ImproperlyConfigured):
        Table(states, (Transition("go", ("a",), "nowhere", ("manager",), "go"),), subject="t")  # unknown target
    with pytest.raises(ImproperlyConfigured):
        Table(
            states, (ok, Transition("back", ("b",), "a", ("manager",), "back")), subject="t"
        )  # leaves a terminal state
    Table(states, (ok, Transition("back", ("b",), "a", ("manager",), "back")), subject="t", reopening=("back",))
