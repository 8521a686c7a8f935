"""The workflow table is the single source: the model, the command and the docs follow it."""

import json
import re
from io import StringIO
from pathlib import Path

from django.core.management import call_command

from applications import workflow
from applications.models import Application

DOC = Path(__file__).resolve().parents[2] / "docs" / "workflow.md"


def test_docs_embed_the_diagram_generated_from_the_table():
    text = DOC.read_text(encoding="utf-8")
    embedded = re.search(
        r"<!-- BEGIN GENERATED MERMAID -->\n```mermaid\n(.*?)```\n<!-- END GENERATED MERMAID -->", text, re.S
    )
    assert embedded, "docs/workflow.md lost its generated diagram markers"
    assert embedded.group(1) == workflow.as_mermaid(), "run `manage.py workflow --mermaid` and update docs/workflow.md"
    for t in workflow.TRANSITIONS:
        assert f"| `{t.key}` |" in text, f"docs/workflow.md does not list {t.key}"


def test_every_row_of_the_table_is_a_transition_method_of_the_model():
    declared = {(t.key, s, target) for t in workflow.TRANSITIONS for s in t.sources for target in t.targets}
    generated = {
        (t.name, t.source, target)
        for t in Application(state="draft").get_all_state_transitions()
        # a target decided from the record is django-fsm's GET_STATE, with the states it may answer
        for target in getattr(t.target, "allowed_states", None) or [t.target]
    }
    assert generated == declared


def test_state_field_choices_are_the_states_of_the_table():
    field = Application._meta.get_field("state")
    assert [key for key, _label in field.choices] == list(workflow.STATE_KEYS)
    assert field.protected


def test_workflow_command_prints_json_with_both_languages():
    out = StringIO()
    call_command("workflow", "--json", stdout=out)
    data = json.loads(out.getvalue())
    states = {s["key"]: s["label"] for s in data["states"]}
    assert states["correction_requested"] == {"zh-hans": "待补正", "en": "Correction requested"}
    approve = next(t for t in data["transitions"] if t["key"] == "approve")
    assert approve["roles"] == ["approver"] and approve["document_kind"] is None
    conclude = next(t for t in data["transitions"] if t["key"] == "conclude_notice")
    assert conclude["target"] == "approved" and conclude["document_kind"] == "approval_decision"
    assert data["deadlines_working_days"] == {"acceptance": 5, "correction": 10, "public_notice": 5}


def test_workflow_command_prints_mermaid():
    out = StringIO()
    call_command("workflow", "--mermaid", stdout=out)
    assert out.getvalue() == workflow.as_mermaid()
    assert "pending_decision --> public_notice: approve (approver)" in out.getvalue()


def test_document_kinds_match_the_team_interface():
    kinds = {t.key: t.document_kind for t in workflow.TRANSITIONS if t.document_kind}
    assert kinds == {
        "accept": "acceptance_notice",
        "request_correction": "correction_notice",
        "not_accept": "not_accepted_notice",
        "conclude_notice": "approval_decision",
        "reject": "rejection_decision",
        "uphold_objection": "rejection_decision",
        "disburse": "disbursement_notice",
    }
    assert workflow.TRANSITION_BY_KEY["claw_back"].document_kind is None


def test_the_approval_decision_is_issued_on_every_way_into_approved_and_nowhere_else():
    """DOMAIN.md puts the approval decision (with its number) on the state 已批准, after the public notice."""
    into_approved = {t.key for t in workflow.TRANSITIONS if t.target == "approved" and "approved" not in t.sources}
    issuing = {t.key for t in workflow.TRANSITIONS if t.document_kind == "approval_decision"}
    assert into_approved == issuing == {"conclude_notice"}


def test_docs_list_the_document_of_each_transition():
    text = DOC.read_text(encoding="utf-8")
    for t in workflow.TRANSITIONS:
        row = next(line for line in text.splitlines() if line.startswith(f"| `{t.key}` |"))
        last = row.strip()[1:-1].split("|")[-1].strip()  # the 文书 column
        expected = f"`{t.document_kind}`" if t.document_kind else ""
        assert last == expected, f"docs/workflow.md: {t.key} issues {t.document_kind!r}, the row says {last!r}"


def test_admin_lists_cases_read_only(admin_client, db):
    from tests.factories.applications import ApplicationFactory

    app = ApplicationFactory(submitted=True)
    response = admin_client.get("/admin/applications/application/")
    assert response.status_code == 200 and app.case_number in response.content.decode()
    response = admin_client.get(f"/admin/applications/application/{app.pk}/change/")
    assert response.status_code == 200
    assert admin_client.get("/admin/applications/calendaryear/").status_code == 200


def test_every_row_declares_what_it_does_besides_the_state():
    """One row owns its transition: the clock, the handler, the documents, the notice and the locks are read
    from it (or, for the handler, from a dict checked complete), never decided by its key elsewhere."""
    from applications.documents.constants import DocumentKind
    from applications.services.effects import HANDLERS

    assert set(HANDLERS) == set(workflow.TRANSITION_BY_KEY), "every row needs a handler decision (a handler or None)"
    for t in workflow.TRANSITIONS:
        assert isinstance(t.deadline, workflow.DeadlineEffect) and callable(t.deadline.apply), t.key
        assert str(t.deadline.text), t.key
        assert t.applicant_notice is not workflow.UNDECLARED, t.key
        for target in t.targets:
            notice = t.notice_for(target)
            assert notice is None or "%(case)s" in str(notice), (t.key, target)
        assert t.document_kind is None or t.document_kind in DocumentKind.values, t.key
        assert all(kind in DocumentKind.values for kind in t.revokes), t.key
        assert set(t.locks) <= set(workflow.LOCKABLE), t.key
        assert not t.bulk_via or t.bulk, t.key


def test_the_approval_decision_is_revoked_on_every_way_into_rejected_or_clawed_back():
    revoking = {t.key for t in workflow.TRANSITIONS if "approval_decision" in t.revokes}
    into = {t.key for t in workflow.TRANSITIONS if {"rejected", "clawed_back"} & set(t.targets)}
    assert revoking == into == {"reject", "uphold_objection", "claw_back"}


def test_the_money_decisions_lock_their_round_and_company_and_bulk_approval_goes_through_the_notice_batch():
    approve, claw_back = workflow.TRANSITION_BY_KEY["approve"], workflow.TRANSITION_BY_KEY["claw_back"]
    assert approve.locks == ("round", "company") and claw_back.locks == ("company",)
    assert approve.bulk_via == "start_public_notice"
    assert {t.key for t in workflow.TRANSITIONS if t.locks} == {"approve", "claw_back"}


def test_the_clawback_notice_takes_the_ban_from_the_table():
    sentence = workflow.TRANSITION_BY_KEY["claw_back"].applicant_sentence("clawed_back", title="片", case="JJYS-1")
    assert f"本单位{workflow.BAN_YEARS}年内不得申报" in sentence
