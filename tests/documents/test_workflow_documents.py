"""Each transition that issues a document does so in its own transaction, and the PDF says what was decided."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from applications.documents.constants import DocumentKind, DocumentStatus
from applications.documents.models import Document
from applications.documents.services import render_document
from applications.services import perform
from tests.factories import UserFactory
from tests.factories.applications import ApplicationFactory
from tests.factories.dates import days_ahead

from .conftest import pdf_text


def rendered_text(document: Document) -> str:
    document = render_document(document.pk)
    with document.file.open("rb") as fh:
        return pdf_text(fh.read())


def only_document(app, kind) -> Document:
    documents = list(Document.objects.filter(application=app, kind=kind))
    assert len(documents) == 1, documents
    return documents[0]


def approve_and_conclude(app, amount: Decimal):
    """Approve the case, then let its public notice run out: the approval decision is issued only then."""
    perform(app, "approve", UserFactory(roles=["approver"]), amount=amount)
    app.refresh_from_db()
    return conclude(app)


def conclude(app):
    """The daily deadline run on the first day after the notice period (what tick_deadlines does)."""
    perform(app, "conclude_notice", None, on=app.due_date + timedelta(days=1))
    app.refresh_from_db()
    assert app.state == "approved"
    return app


@pytest.fixture
def clerk(roles):
    return UserFactory(roles=["clerk"])


@pytest.mark.django_db
def test_accepting_a_case_issues_a_numbered_acceptance_notice(clerk):
    app = ApplicationFactory(box_office=True, submitted=True, company__name="重庆白沙影业有限公司")
    perform(app, "accept", clerk)
    document = only_document(app, DocumentKind.ACCEPTANCE_NOTICE)
    assert document.number == f"江津影扶受〔{document.year}〕1号"
    assert document.transition == "accept"
    text = rendered_text(document)
    assert "受理通知书" in text
    assert "重庆白沙影业有限公司" in text
    assert document.number in text
    assert app.case_number in text


@pytest.mark.django_db
def test_correction_notice_lists_every_item_and_the_deadline(clerk):
    app = ApplicationFactory(box_office=True, submitted=True)
    deadline = days_ahead(15)
    perform(
        app,
        "request_correction",
        clerk,
        comment="请一次性补齐以下材料",
        items=[
            {"kind": "material", "key": "licence", "problem": "faulty", "note": "扫描件不清晰"},
            {"kind": "material", "key": "box_office_proof", "problem": "missing", "note": "须加盖公章"},
        ],
        deadline=deadline,
    )
    document = only_document(app, DocumentKind.CORRECTION_NOTICE)
    text = rendered_text(document)
    assert "补正通知书" in text
    assert "营业执照（有误或不清晰）：扫描件不清晰" in text
    assert "票房证明（缺少）：须加盖公章" in text
    assert f"{deadline.year}年{deadline.month}月{deadline.day}日" in text
    assert app.company.name in text


@pytest.mark.django_db
def test_not_accepted_notice_gives_the_reason(clerk):
    app = ApplicationFactory(box_office=True, submitted=True)
    perform(app, "not_accept", clerk, comment="申报单位注册地不在江津区。")
    text = rendered_text(only_document(app, DocumentKind.NOT_ACCEPTED_NOTICE))
    assert "不予受理通知书" in text
    assert "申报单位注册地不在江津区。" in text
    assert app.company.name in text


@pytest.mark.django_db
def test_approval_decision_prints_the_amount_in_figures_and_capitals(roles):
    app = ApplicationFactory(box_office=True, pending_decision=True, reviewed_amount=Decimal("1000000.05"))
    approve_and_conclude(app, Decimal("1000000.05"))
    document = only_document(app, DocumentKind.APPROVAL_DECISION)
    assert document.number == f"江津影扶〔{document.year}〕1号"
    text = rendered_text(document)
    for expected in (
        "扶持资金审批决定书",
        app.company.name,
        app.company.credit_code,
        app.item.name,
        app.project_title,
        "¥1,000,000.05",
        "壹佰万元零伍分",
        "江津区影视产业发展扶持办法（试行）",
        document.number,
        document.verification_code[:4],
    ):
        assert expected in text, expected


@pytest.mark.django_db
def test_approval_issues_the_public_notice_list_and_the_decision_waits_for_the_notice_to_end(roles):
    """DOMAIN.md: the approval decision with its number comes with the state 已批准, after the 公示."""
    app = ApplicationFactory(box_office=True, pending_decision=True, reviewed_amount=Decimal("300000.00"))
    perform(app, "approve", UserFactory(roles=["approver"]), amount=Decimal("300000.00"))
    app.refresh_from_db()
    assert app.state == "public_notice"
    assert not Document.objects.filter(application=app).exists()  # no decision while the notice runs
    notice_list = Document.objects.get(kind=DocumentKind.PUBLIC_NOTICE_LIST, batch=app.notice_batch)
    assert notice_list.number == f"江津影扶公〔{notice_list.year}〕1号"
    conclude(app)
    decision = only_document(app, DocumentKind.APPROVAL_DECISION)
    assert decision.number == f"江津影扶〔{decision.year}〕1号"
    assert decision.transition == "conclude_notice"
    assert decision.context["approved"] == "300000.00"
    assert Document.objects.filter(kind=DocumentKind.PUBLIC_NOTICE_LIST).count() == 1  # not issued again
    text = rendered_text(notice_list)
    assert "公示名单" in text
    assert app.case_number in text
    assert app.company.name in text
    assert "300,000.00" in text


@pytest.mark.django_db
def test_rejection_decision_states_reason_and_appeal_rights(roles):
    app = ApplicationFactory(box_office=True, pending_decision=True)
    perform(app, "reject", UserFactory(roles=["approver"]), comment="票房未达到三千万元的申报条件。")
    text = rendered_text(only_document(app, DocumentKind.REJECTION_DECISION))
    assert "不予批准决定书" in text
    assert "票房未达到三千万元的申报条件。" in text
    assert "六十日内" in text and "行政复议" in text
    assert "六个月内" in text and "行政诉讼" in text


@pytest.mark.django_db
def test_disbursement_notice_prints_amount_date_and_voucher(roles):
    app = ApplicationFactory(box_office=True, approved=True)
    perform(
        app,
        "disburse",
        UserFactory(roles=["finance"]),
        amount=Decimal("1000000.00"),
        paid_on=date(2026, 11, 20),
        voucher_number="JJCZ-2026-0815",
    )
    text = rendered_text(only_document(app, DocumentKind.DISBURSEMENT_NOTICE))
    for expected in ("¥1,000,000.00", "壹佰万元整", "2026年11月20日", "JJCZ-2026-0815", app.company.name):
        assert expected in text, expected
    assert app.company.bank_account_number not in text  # only the masked account is printed


@pytest.mark.django_db
def test_claw_back_revokes_the_approval_decision_and_keeps_its_number(roles):
    app = ApplicationFactory(box_office=True, pending_decision=True)
    app = approve_and_conclude(app, Decimal("1000000.00"))
    decision = only_document(app, DocumentKind.APPROVAL_DECISION)
    perform(app, "claw_back", UserFactory(roles=["manager"]), comment="虚报票房，骗取扶持资金。")
    decision.refresh_from_db()
    assert decision.status == DocumentStatus.REVOKED
    assert decision.revoked_reason == "虚报票房，骗取扶持资金。"
    assert decision.number == f"江津影扶〔{decision.year}〕1号"


@pytest.mark.django_db
def test_a_refused_transition_issues_no_document_and_uses_no_number(roles):
    from applications.services import TransitionRefused

    app = ApplicationFactory(box_office=True, pending_decision=True)
    with pytest.raises(TransitionRefused):
        perform(app, "reject", UserFactory(roles=["approver"]), comment="")  # a reason is required
    assert not Document.objects.exists()
    other = ApplicationFactory(box_office=True, pending_decision=True)
    perform(other, "reject", UserFactory(roles=["approver"]), comment="不符合条件。")
    assert only_document(other, DocumentKind.REJECTION_DECISION).sequence == 1


@pytest.mark.django_db
def test_an_upheld_objection_issues_a_rejection_and_no_approval_decision(roles):
    app = ApplicationFactory(box_office=True, pending_decision=True)
    perform(app, "approve", UserFactory(roles=["approver"]), amount=Decimal("1000000.00"))
    perform(app, "file_objection", None, name="张三", contact="13800000000", comment="该片票房数据造假。")
    perform(app, "uphold_objection", UserFactory(roles=["approver"]), comment="经核查，票房数据不实。")
    assert not Document.objects.filter(application=app, kind=DocumentKind.APPROVAL_DECISION).exists()
    rejection = only_document(app, DocumentKind.REJECTION_DECISION)
    assert rejection.context["reason"] == "经核查，票房数据不实。"
    assert rejection.number == f"江津影扶〔{rejection.year}〕1号"  # no approval decision took a number first


@pytest.mark.django_db
def test_a_dismissed_objection_restarts_the_notice_and_the_decision_is_issued_once_at_its_end(roles):
    app = ApplicationFactory(box_office=True, pending_decision=True)
    perform(app, "approve", UserFactory(roles=["approver"]), amount=Decimal("1000000.00"))
    perform(app, "file_objection", None, name="张三", contact="13800000000", comment="该片票房数据造假。")
    perform(app, "dismiss_objection", UserFactory(roles=["approver"]), comment="经核查，票房数据属实。")
    app.refresh_from_db()
    assert app.state == "public_notice"
    assert not Document.objects.filter(application=app, kind=DocumentKind.APPROVAL_DECISION).exists()
    conclude(app)
    decision = only_document(app, DocumentKind.APPROVAL_DECISION)
    assert decision.status == DocumentStatus.ISSUED and decision.sequence == 1


@pytest.mark.django_db
def test_a_case_that_got_its_decision_at_approval_under_the_old_timing_gets_no_second_one(roles):
    """Cases already in public notice when the decision moved to conclude_notice hold one from `approve`."""
    from applications.documents.contexts import case_context
    from applications.documents.services import issue_document

    app = ApplicationFactory(box_office=True, pending_decision=True)
    perform(app, "approve", UserFactory(roles=["approver"]), amount=Decimal("1000000.00"))
    app.refresh_from_db()
    earlier = issue_document(
        DocumentKind.APPROVAL_DECISION,
        context=case_context(DocumentKind.APPROVAL_DECISION, app),
        application=app,
        transition="approve",
    )
    conclude(app)
    assert only_document(app, DocumentKind.APPROVAL_DECISION).pk == earlier.pk
    assert Document.objects.filter(kind=DocumentKind.APPROVAL_DECISION).count() == 1


@pytest.mark.django_db
def test_render_pending_renders_documents_left_without_a_file():
    from django.core.management import call_command

    from tests.factories.documents import DocumentFactory

    documents = [DocumentFactory(application=ApplicationFactory(box_office=True, approved=True)) for _ in range(2)]
    call_command("render_document", "pending")
    assert all(Document.objects.get(pk=d.pk).is_rendered for d in documents)
