"""Reviewer workbench through the test client: queues per role, filters, the case page's actions, bulk actions."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from applications.models import Application, ExpertAssignment, NoticeBatch
from tests.factories.applications import ApplicationFactory, CaseItemFactory
from tests.factories.companies import MembershipFactory

pytestmark = pytest.mark.django_db


def test_queue_per_role_shows_only_cases_waiting_for_that_role(client, staff, member, case_of):
    submitted = case_of(member, submitted=True)
    accepted = case_of(member, accepted=True)
    pending = case_of(member, pending_decision=True)
    client.force_login(staff["clerk"])
    text = client.get(reverse("portal:workbench")).text
    assert submitted.case_number in text and accepted.case_number not in text and pending.case_number not in text
    client.force_login(staff["approver"])
    text = client.get(reverse("portal:workbench")).text
    assert pending.case_number in text and submitted.case_number not in text
    client.force_login(staff["reviewer"])
    text = client.get(reverse("portal:workbench")).text
    assert accepted.case_number in text and pending.case_number not in text


def test_queue_filters_and_sorting(client, staff, member, case_of, open_round):
    late = case_of(member, submitted=True, due_date=timezone.localdate() - timedelta(days=3))
    soon = case_of(member, submitted=True)
    other_item = ApplicationFactory(company=member.company, item=CaseItemFactory(code="T-OTHER-9"), submitted=True)
    client.force_login(staff["clerk"])
    url = reverse("portal:workbench")
    overdue = client.get(url, {"overdue": "on"}).text
    assert late.case_number in overdue and soon.case_number not in overdue
    by_item = client.get(url, {"item": "T-OTHER-9"}).text
    assert other_item.case_number in by_item and late.case_number not in by_item
    by_round = client.get(url, {"round": open_round.pk}).text
    assert late.case_number in by_round and other_item.case_number not in by_round
    ordered = client.get(url, {"sort": "due"}).text
    assert ordered.index(late.case_number) < ordered.index(soon.case_number)
    stage = client.get(url, {"stage": "accepted"}).text
    assert late.case_number not in stage


def test_assigned_to_me_filter_for_experts(client, staff, member, case_of):
    mine = case_of(member, in_expert_review=True)
    ExpertAssignment.objects.create(application=mine, expert=staff["expert"])
    not_mine = case_of(member, in_expert_review=True)
    client.force_login(staff["expert"])
    text = client.get(reverse("portal:workbench"), {"mine": "on"}).text
    assert mine.case_number in text and not_mine.case_number not in text
    # An expert cannot open a case they are not assigned to.
    assert client.get(reverse("portal:staff_case", args=[not_mine.pk])).status_code == 404
    assert client.get(reverse("portal:staff_case", args=[mine.pk])).status_code == 200


def test_case_page_offers_only_allowed_actions_and_says_what_happens(client, staff, member, case_of):
    app = case_of(member, submitted=True)
    client.force_login(staff["clerk"])
    text = client.get(reverse("portal:staff_case", args=[app.pk])).text
    for key in ("accept", "request_correction", "not_accept"):
        assert reverse("portal:staff_act", args=[app.pk, key]) in text
    assert reverse("portal:staff_act", args=[app.pk, "approve"]) not in text
    assert "系统将签发《受理通知书》" in text
    assert "受理期限" in text  # the deadline in the stage bar
    client.force_login(staff["approver"])
    text = client.get(reverse("portal:staff_case", args=[app.pk])).text
    assert reverse("portal:staff_act", args=[app.pk, "accept"]) not in text
    assert "您当前没有可办理的操作" in text


def test_refusal_is_shown_with_its_reason(client, staff, member, case_of):
    app = case_of(member, in_preliminary_review=True)
    client.force_login(staff["reviewer"])
    page = client.get(reverse("portal:staff_case", args=[app.pk])).text
    assert "请先为本案件指定至少一名评审专家" in page  # send_to_experts refused with why
    response = client.post(
        reverse("portal:staff_act", args=[app.pk, "send_to_experts"]), {"amount": "200,000.00", "comment": ""}
    )
    assert response.status_code == 409
    assert "请先为本案件指定至少一名评审专家" in response.text
    app.refresh_from_db()
    assert app.state == "preliminary_review"


def test_comment_required_error_next_to_field(client, staff, member, case_of):
    app = case_of(member, submitted=True)
    client.force_login(staff["clerk"])
    response = client.post(reverse("portal:staff_act", args=[app.pk, "not_accept"]), {"comment": ""})
    assert response.status_code == 400
    assert "办理这一步必须写明理由" in response.text


def test_reviewer_reduces_amount_then_sends_to_experts(client, staff, member, case_of):
    app = case_of(member, in_preliminary_review=True)
    client.force_login(staff["reviewer"])
    client.post(reverse("portal:staff_assign", args=[app.pk]), {"experts": [staff["expert"].pk]})
    too_high = client.post(reverse("portal:staff_act", args=[app.pk, "send_to_experts"]), {"amount": "200000"})
    assert too_high.status_code == 409 and "初审金额不能高于测算金额" in too_high.text
    ok = client.post(
        reverse("portal:staff_act", args=[app.pk, "send_to_experts"]), {"amount": "80,000", "comment": "发票核减"}
    )
    assert ok.status_code == 302
    app.refresh_from_db()
    assert app.state == "expert_review" and app.reviewed_amount == Decimal("80000.00")
    client.force_login(staff["expert"])
    client.post(reverse("portal:staff_declare", args=[app.pk]), {"declaration": "none"})
    response = client.post(
        reverse("portal:staff_opinion", args=[app.pk]), {"opinion": "support", "score": "88", "comment": ""}
    )
    assert response.status_code == 302
    app.refresh_from_db()
    assert app.state == "pending_decision"


def test_bulk_assign_experts(client, staff, member, case_of):
    cases = [case_of(member, in_preliminary_review=True) for _ in range(3)]
    client.force_login(staff["reviewer"])
    response = client.post(
        reverse("portal:bulk"),
        {"action": "assign", "cases": [c.pk for c in cases], "experts": [staff["expert"].pk]},
    )
    assert response.status_code == 302
    assert ExpertAssignment.objects.filter(expert=staff["expert"]).count() == 3


def test_the_queue_offers_exactly_the_tables_bulk_transitions_of_the_users_roles(client, staff, member, case_of):
    from applications import workflow

    case_of(member, in_preliminary_review=True)
    case_of(member, pending_decision=True)
    for role in ("reviewer", "approver", "clerk"):
        client.force_login(staff[role])
        page = client.get(reverse("portal:workbench")).text
        offered = {t.key for t in workflow.TRANSITIONS if f'name="action" value="{t.key}"' in page}
        expected = {t.key for t in workflow.TRANSITIONS if t.bulk and role in t.roles}
        assert offered == expected, role
    assert expected == set() and {"send_to_experts", "approve"} <= {t.key for t in workflow.TRANSITIONS if t.bulk}


def test_bulk_send_to_experts_takes_each_case_and_names_those_it_could_not(client, staff, member, case_of):
    ready, no_expert = case_of(member, in_preliminary_review=True), case_of(member, in_preliminary_review=True)
    ExpertAssignment.objects.create(application=ready, expert=staff["expert"])
    client.force_login(staff["reviewer"])
    response = client.post(
        reverse("portal:bulk"), {"action": "send_to_experts", "cases": [ready.pk, no_expert.pk]}, follow=True
    )
    ready.refresh_from_db(), no_expert.refresh_from_db()
    assert ready.state == "expert_review" and ready.reviewed_amount == ready.computed_amount
    assert no_expert.state == "preliminary_review"
    assert "已对 1 个案件办理" in response.text and f"{no_expert.case_number}：" in response.text


def test_bulk_approve_starts_one_notice_batch_and_shows_progress(
    client, staff, member, case_of, django_capture_on_commit_callbacks
):
    cases = [case_of(member, pending_decision=True) for _ in range(2)]
    client.force_login(staff["approver"])
    with django_capture_on_commit_callbacks() as rendering:
        response = client.post(
            reverse("portal:bulk"),
            {"action": "approve", "cases": [c.pk for c in cases], "title": "2026年第一批公示", "confirmed": "1"},
        )
    batch = NoticeBatch.objects.get()
    polling = client.get(response.url, headers={"HX-Request": "true"})
    # Before the documents are rendered the fragment keeps polling and says how far it is. Approval issues the
    # batch's public-notice list only; each case's approval decision follows when the notice period ends.
    assert "已生成 0 / 1 份" in polling.text and 'hx-trigger="every 2s"' in polling.text
    for callback in rendering:
        callback()
    assert response.status_code == 302 and response.url == reverse("portal:batch", args=[batch.pk])
    assert set(Application.objects.values_list("state", flat=True)) == {"public_notice"}
    page = client.get(response.url)
    assert "2026年第一批公示" in page.text
    fragment = client.get(response.url, headers={"HX-Request": "true"})
    # Immediate task backend: the list is rendered, so the fragment stops polling.
    assert "已生成 1 / 1 份" in fragment.text
    assert "hx-trigger" not in fragment.text


def test_bulk_approve_refuses_whole_batch_naming_the_case(client, staff, member, case_of):
    ok = case_of(member, pending_decision=True)
    wrong = case_of(member, accepted=True)
    client.force_login(staff["approver"])
    response = client.post(
        reverse("portal:bulk"), {"action": "approve", "cases": [ok.pk, wrong.pk], "confirmed": "1"}, follow=True
    )
    assert wrong.case_number in response.text
    ok.refresh_from_db()
    assert ok.state == "pending_decision" and not NoticeBatch.objects.exists()


def test_bulk_actions_refused_for_other_roles(client, staff, member, case_of):
    app = case_of(member, pending_decision=True)
    client.force_login(staff["clerk"])
    assert client.post(reverse("portal:bulk"), {"action": "approve", "cases": [app.pk]}).status_code == 403
    applicant = MembershipFactory(company=member.company).user
    client.force_login(applicant)
    assert client.get(reverse("portal:workbench")).status_code == 403
    assert client.get(reverse("portal:staff_case", args=[app.pk])).status_code == 403


def test_material_preview_is_inline_for_staff(client, staff, member, case_of):
    from applications import services

    from .conftest import pdf_file

    app = case_of(member)
    material = services.add_material(app, member.user, key="licence", uploaded_file=pdf_file())
    client.force_login(staff["clerk"])
    response = client.get(reverse("portal:material", args=[material.pk]), {"inline": "1"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline")
    assert response["X-Frame-Options"] == "SAMEORIGIN"


def test_pdf_first_page_preview_is_a_png_for_those_who_may_see_the_case(client, staff, member, case_of):
    from io import BytesIO

    from django.core.files.uploadedfile import SimpleUploadedFile
    from pypdf import PdfWriter

    from applications import services

    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    buffer = BytesIO()
    writer.write(buffer)
    app = case_of(member)
    material = services.add_material(
        app, member.user, key="licence", uploaded_file=SimpleUploadedFile("licence.pdf", buffer.getvalue())
    )
    url = reverse("portal:material_preview", args=[material.pk])
    client.force_login(staff["reviewer"])
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response.content.startswith(b"\x89PNG")
    assert url in client.get(reverse("portal:staff_case", args=[app.pk])).text
    client.force_login(MembershipFactory().user)
    assert client.get(url).status_code == 404


def test_finance_records_partial_then_final_disbursement(client, staff, member, case_of):
    app = case_of(member, approved=True)
    client.force_login(staff["finance"])
    page = client.get(reverse("portal:staff_case", args=[app.pk])).text
    assert "凭证号" in page and "拨付日期" in page
    # One 登记拨付: a part leaves the case approved, what is left (prefilled) ends it disbursed
    act = reverse("portal:staff_act", args=[app.pk, "disburse"])
    assert act in page and 'value="100,000.00"' in page
    missing = client.post(act, {"amount": "40,000"})
    assert missing.status_code == 400 and "请填写付款凭证号" in missing.text
    data = {"amount": "40,000", "paid_on": "2026-11-20", "voucher_number": "CZ-2026-001"}
    asked = client.post(act, data)
    assert asked.status_code == 200 and "确认登记拨付" in asked.text and "40,000.00" in asked.text
    assert "小于余额时，案件仍为“已批准”" in asked.text
    app.refresh_from_db()
    assert app.disbursed_amount == 0  # nothing recorded before 确认
    part = client.post(act, {**data, "confirmed": "1", "seen_state": "approved"}, follow=True)
    assert "已办理“登记拨付”，案件当前阶段：已批准" in part.text
    app.refresh_from_db()
    assert app.state == "approved" and app.disbursed_amount == Decimal("40000.00")
    page = client.get(reverse("portal:staff_case", args=[app.pk])).text
    assert 'value="60,000.00"' in page  # what is left is offered for the last payment
    final = client.post(
        act,
        {
            "amount": "60,000.00",
            "paid_on": "2026-11-25",
            "voucher_number": "CZ-2026-002",
            "confirmed": "1",
            "seen_state": "approved",
        },
        follow=True,
    )
    assert "已办理“登记拨付”，案件当前阶段：已拨付" in final.text
    app.refresh_from_db()
    assert app.state == "disbursed" and app.disbursed_amount == Decimal("100000.00")


def test_applicant_timeline_names_the_office_by_role_only(client, staff, member, case_of):
    from applications import services

    app = case_of(member, submitted=True)
    services.perform(app, "accept", staff["clerk"])
    client.force_login(member.user)
    text = client.get(reverse("portal:case", args=[app.pk])).text
    assert "受理员" in text and staff["clerk"].username not in text
    client.force_login(staff["reviewer"])
    assert staff["clerk"].username in client.get(reverse("portal:staff_case", args=[app.pk])).text


def test_queue_is_paged_and_the_page_links_keep_the_filters(
    client, staff, member, case_of, django_assert_max_num_queries
):
    from applications.portal.views import QUEUE_PAGE_SIZE

    today = timezone.localdate()
    # Every case has a deadline, so each row computes one (one calendar for the page, not one per row).
    cases = [case_of(member, submitted=True, due_date=today + timedelta(days=n)) for n in range(QUEUE_PAGE_SIZE + 3)]
    client.force_login(staff["clerk"])
    url = reverse("portal:workbench")
    first = client.get(url, {"sort": "due"})
    text = first.text
    assert first.context["page"].paginator.count == QUEUE_PAGE_SIZE + 3
    assert f"（{QUEUE_PAGE_SIZE + 3} 件）" in text
    assert cases[0].case_number in text and cases[QUEUE_PAGE_SIZE - 1].case_number in text
    assert cases[QUEUE_PAGE_SIZE].case_number not in text
    assert 'href="?sort=due&amp;page=2"' in text
    second = client.get(url, {"sort": "due", "page": 2}).text
    assert all(c.case_number in second for c in cases[QUEUE_PAGE_SIZE:])
    assert cases[0].case_number not in second
    # Out-of-range or garbage page numbers show the nearest page instead of an error.
    assert client.get(url, {"sort": "due", "page": 999}).context["page"].number == 2
    assert client.get(url, {"page": "x"}).context["page"].number == 1
    # The number of queries does not depend on how many rows have deadlines (13: the capped count, PostgreSQL's
    # estimate beside it, the page's ids, then its rows; invest.paging).
    with django_assert_max_num_queries(13):
        client.get(url, {"sort": "due"})


@pytest.mark.parametrize("value", ["²", "9" * 30, "-1", " 1"])
def test_bulk_ignores_what_is_no_case_number_and_says_to_pick_cases(client, staff, value):
    client.force_login(staff["approver"])
    response = client.post(reverse("portal:bulk"), {"action": "approve", "cases": [value]}, follow=True)
    assert response.status_code == 200 and "请先在列表中勾选案件" in response.text
