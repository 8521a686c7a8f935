"""Drafts, materials through the upload checks, fact corrections, commands."""

from datetime import date
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from applications import services
from applications.models import Material, Notification
from applications.services import TransitionRefused, perform
from tests.factories.applications import ApplicationFactory, CaseItemFactory, CaseRoundFactory, applicant_for
from tests.factories.companies import CompanyFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_only_confirmed_applicants_start_a_draft_for_their_company():
    company = CompanyFactory()
    item = CaseItemFactory()
    rnd = CaseRoundFactory(policy=item.policy)
    outsider = MembershipFactory().user
    with pytest.raises(TransitionRefused) as refused:
        services.create_draft(outsider, company=company, item=item, round=rnd, project_title="片名")
    assert refused.value.code == "not_your_case"
    clerk = UserFactory(roles=["clerk"])
    with pytest.raises(TransitionRefused) as refused:
        services.create_draft(clerk, company=company, item=item, round=rnd, project_title="片名")
    assert refused.value.code == "not_your_role"
    member = MembershipFactory(company=company).user
    first = services.create_draft(member, company=company, item=item, round=rnd, project_title="片名")
    second = services.create_draft(member, company=company, item=item, round=rnd, project_title="片名二")
    assert first.state == "draft"
    assert int(second.case_number[-5:]) == int(first.case_number[-5:]) + 1


def test_a_file_whose_content_does_not_match_is_refused(pdf):
    app = ApplicationFactory()
    png_named_pdf = SimpleUploadedFile("发票.pdf", b"\x89PNG\r\n\x1a\n" + b"0" * 20)
    with pytest.raises(TransitionRefused) as refused:
        services.add_material(app, applicant_for(app), key="invoices", uploaded_file=png_named_pdf)
    assert refused.value.code == "invalid_file" and "发票.pdf" in refused.value.reason
    with pytest.raises(TransitionRefused) as refused:
        services.add_material(app, applicant_for(app), key="tax_receipt", uploaded_file=pdf())
    assert refused.value.code == "unknown_material"
    assert not Material.objects.exists()


def test_materials_are_stored_under_random_names_with_their_hash(pdf):
    app = ApplicationFactory()
    material = services.add_material(app, applicant_for(app), key="licence", uploaded_file=pdf("../../营业执照.pdf"))
    assert material.original_name == "营业执照.pdf"
    assert material.file.name.startswith("materials/") and "营业执照" not in material.file.name
    assert len(material.sha256) == 64 and material.kind == "pdf"


def test_submission_refused_when_not_eligible_and_when_round_closed(pdf):
    app = ApplicationFactory(facts={"shooting_days_in_jiangjin": 20})  # local_spend missing: no amount
    applicant = applicant_for(app)
    services.add_material(app, applicant, key="licence", uploaded_file=pdf())
    services.add_material(app, applicant, key="invoices", uploaded_file=pdf())
    from policies.models import Criterion

    Criterion.objects.create(
        item=app.item,
        label="在江津拍摄不少于15天",
        expression="shooting_days_in_jiangjin >= 15",
        failure_message="在江津拍摄 {shooting_days_in_jiangjin} 天，少于 15 天",
    )
    services.update_draft(app, applicant, facts={"local_spend": "600000", "shooting_days_in_jiangjin": 10})
    with pytest.raises(TransitionRefused) as refused:
        perform(app, "submit", applicant)
    assert refused.value.code == "not_eligible" and "少于 15 天" in refused.value.reason
    services.update_draft(app, applicant, facts={"shooting_days_in_jiangjin": 16})
    type(app.round).objects.filter(pk=app.round_id).update(closes_at=date(2020, 1, 1).isoformat() + "T00:00:00+08:00")
    with pytest.raises(TransitionRefused) as refused:
        perform(app, "submit", applicant)
    assert refused.value.code == "round_closed"
    assert app.state == "draft"


def test_a_submitted_case_cannot_be_edited():
    app = ApplicationFactory(submitted=True)
    with pytest.raises(TransitionRefused) as refused:
        services.update_draft(app, applicant_for(app), facts={"local_spend": "9999999"})
    assert refused.value.code == "wrong_stage"


def test_a_correction_of_facts_changes_only_the_listed_fact(staff):
    app = ApplicationFactory(submitted=True)
    applicant = applicant_for(app)
    perform(
        app,
        "request_correction",
        staff["clerk"],
        comment="消费金额与发票合计不符",
        items=[{"kind": "fact", "key": "local_spend", "problem": "faulty"}],
    )
    with pytest.raises(TransitionRefused) as refused:
        services.update_draft(app, applicant, facts={"shooting_days_in_jiangjin": 40})
    assert refused.value.code == "not_in_correction"
    services.update_draft(app, applicant, facts={"local_spend": "900000"})
    assert app.unanswered_correction_items() == []
    assert app.facts["local_spend"] == "900000"


def test_bulk_transition_reports_each_case(staff):
    ok = ApplicationFactory(in_preliminary_review=True)
    no_expert = ApplicationFactory(in_preliminary_review=True)
    services.assign_experts([ok], [staff["expert"]], staff["reviewer"])
    results = dict(services.perform_many([ok, no_expert], "send_to_experts", staff["reviewer"]))
    assert results[ok] is None and results[no_expert].code == "no_experts"
    with pytest.raises(TransitionRefused):
        services.perform_many([ok], "accept", staff["clerk"])


def test_notifications_can_be_marked_read(staff):
    app = ApplicationFactory(submitted=True)
    applicant = applicant_for(app)
    perform(app, "accept", staff["clerk"])
    assert services.mark_notifications_read(applicant) == 1
    assert not Notification.objects.filter(recipient=applicant, read_at__isnull=True).exists()


def test_tick_deadlines_command_is_idempotent(staff, clock):
    app = ApplicationFactory(in_public_notice=True)
    clock.set(app.due_date)
    clock.advance_working_days(1)
    out = StringIO()
    call_command("tick_deadlines", stdout=out)
    assert "concluded=1" in out.getvalue()
    out = StringIO()
    call_command("tick_deadlines", stdout=out)
    assert "concluded=0" in out.getvalue()
    app.refresh_from_db()
    assert app.state == "approved"


def test_seed_calendar_command_keeps_existing_years():
    out = StringIO()
    call_command("seed_calendar", stdout=out)
    assert "seeded years: none" in out.getvalue()
