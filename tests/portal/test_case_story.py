"""The applicant's case page tells the story (issue 15 part 4) and every irreversible office action asks first
(part 7): the progress stepper with its detours, what happens next, grouped uploads, the confirmation page,
per-item correction reasons, the pledge at each submission, and the small details of part 9."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from applications import services, workflow
from applications.documents.constants import DocumentKind
from applications.documents.contexts import case_context
from applications.models import Application
from applications.portal.selectors import progress
from invest.models import AuditEntry

from .conftest import pdf_file

pytestmark = pytest.mark.django_db


def steps_of(app):
    return [(s.label, s.status) for s in progress(app)]


def current_step(html: str) -> str:
    """The text of the one stepper entry marked aria-current="step"."""
    found = re.findall(r'<li class="step[^"]*" aria-current="step">(.*?)</li>', html, re.S)
    assert len(found) == 1, found
    return " ".join(re.sub(r"<[^>]+>", " ", found[0]).split())


def submitted_through_services(member, case_of):
    app = case_of(member)
    for key in ("licence", "invoices"):
        services.add_material(app, member.user, key=key, uploaded_file=pdf_file(f"{key}.pdf"))
    services.submit(app, member.user, pledge=True)
    return app


def ask_correction(app, clerk, *items):
    services.perform(
        app,
        "request_correction",
        clerk,
        items=[{"kind": "material", "key": key, "note": note} for key, note in items],
    )


# --- the stepper ---------------------------------------------------------------------------------------------


def test_the_stepper_is_the_main_path_of_the_workflow_table(client, member, case_of):
    app = case_of(member)
    assert [label for label, _status in steps_of(app)] == [str(s.step) for s in workflow.MAIN_STEPS]
    assert [label for label, _ in steps_of(app)] == [
        "提交",
        "受理",
        "初审",
        "专家评审",
        "审定",
        "公示",
        "批准",
        "拨付",
        "归档",
    ]
    client.force_login(member.user)
    page = client.get(reverse("portal:case", args=[app.pk])).text
    assert current_step(page) == "1 提交 当前"
    assert "等待您填写申报表、上传材料并确认诚信承诺后提交。" in page


def test_a_submitted_case_says_who_it_waits_for_and_until_when(client, member, case_of):
    app = submitted_through_services(member, case_of)
    assert steps_of(app)[:2] == [("提交", "current"), ("受理", "upcoming")]
    client.force_login(member.user)
    page = client.get(reverse("portal:case", args=[app.pk])).text
    assert f"等待受理员受理，截止 {app.due_date.isoformat()}。" in page
    assert "提交" in current_step(page)


def test_the_correction_detour_shows_while_it_runs_and_after_it(client, member, case_of, staff):
    app = submitted_through_services(member, case_of)
    ask_correction(app, staff["clerk"], ("invoices", "发票扫描件不清晰"))
    app.refresh_from_db()
    assert steps_of(app)[:3] == [("提交", "done"), ("补正", "current"), ("受理", "upcoming")]
    client.force_login(member.user)
    page = client.get(reverse("portal:case", args=[app.pk])).text
    assert "补正" in current_step(page)
    assert f"等待您补正材料，截止 {app.due_date.isoformat()}。" in page

    services.add_material(app, member.user, key="invoices", uploaded_file=pdf_file("new.pdf", b"v2"))
    services.submit(app, member.user, pledge=True)
    services.perform(app, "accept", staff["clerk"])
    app.refresh_from_db()
    assert steps_of(app)[:4] == [("提交", "done"), ("补正", "done"), ("受理", "current"), ("初审", "upcoming")]
    page = client.get(reverse("portal:case", args=[app.pk])).text
    assert "受理" in current_step(page) and "等待初审员开始初审。" in page
    # A case never corrected has no 补正 step.
    other = submitted_through_services(member, case_of)
    assert "补正" not in [label for label, _ in steps_of(other)]


def test_a_terminal_state_ends_the_stepper_where_the_case_stopped(client, member, case_of, staff):
    app = submitted_through_services(member, case_of)
    services.perform(app, "not_accept", staff["clerk"], comment="注册地不在江津区")
    app.refresh_from_db()
    assert steps_of(app) == [("提交", "done"), ("不予受理", "end")]
    client.force_login(member.user)
    page = client.get(reverse("portal:case", args=[app.pk])).text
    assert "不予受理" in current_step(page) and "办理终止" in current_step(page)
    assert "办理结果：" in page and "本申报不予受理，办理已终止" in page

    draft = case_of(member)
    services.perform(draft, "withdraw", member.user)
    draft.refresh_from_db()
    assert steps_of(draft) == [("已撤回", "end")]


def test_objection_review_is_a_detour_of_the_notice_and_pauses_its_countdown(client, member, case_of, staff):
    app = case_of(member, in_public_notice=True)
    services.file_objection(app, name="张三", contact="13800000000", content="票房数据有误")
    app.refresh_from_db()
    assert app.state == "objection_review"
    labels = steps_of(app)
    assert ("公示", "done") in labels and ("异议核查", "current") in labels
    assert labels.index(("异议核查", "current")) == labels.index(("公示", "done")) + 1
    client.force_login(member.user)
    page = client.get(reverse("portal:case", args=[app.pk])).text
    assert "公示暂停（异议核查中）" in page and "剩余" not in page
    client.force_login(staff["approver"])
    staff_page = client.get(reverse("portal:staff_case", args=[app.pk])).text
    assert "公示暂停（异议核查中）" in staff_page and "剩余" not in staff_page
    # Dismissed: the notice restarts with its countdown again.
    services.perform(app, "dismiss_objection", staff["approver"], comment="经核查票房数据属实")
    staff_page = client.get(reverse("portal:staff_case", args=[app.pk])).text
    assert "公示截止" in staff_page and "剩余" in staff_page


# --- the timeline -------------------------------------------------------------------------------------------


def test_repeated_uploads_are_one_timeline_line_with_details(client, member, case_of, staff):
    app = case_of(member)
    for n in range(5):
        services.add_material(app, member.user, key="licence", uploaded_file=pdf_file(f"licence-{n}.pdf", b"%d" % n))
    client.force_login(member.user)
    page = client.get(reverse("portal:case", args=[app.pk])).text
    timeline = page[page.index('id="timeline-heading"') :]
    assert timeline.count("上传材料") == 1 and "上传材料 ×5" in timeline
    assert "<details" in timeline and "licence-4.pdf" in timeline


def test_the_applicant_never_sees_experts_names(client, member, case_of, staff):
    app = case_of(member, in_preliminary_review=True)
    staff["expert"].first_name = "王专家"
    staff["expert"].save()
    services.assign_experts([app], [staff["expert"]], staff["reviewer"])
    client.force_login(member.user)
    page = client.get(reverse("portal:case", args=[app.pk])).text
    assert "王专家" not in page and staff["expert"].username not in page
    # The reviewer sees who is already assigned, beside the assign form.
    client.force_login(staff["reviewer"])
    staff_page = client.get(reverse("portal:staff_case", args=[app.pk])).text
    assigned = staff_page[
        staff_page.index("已指派的专家") : staff_page.index(reverse("portal:staff_assign", args=[app.pk]))
    ]
    assert "王专家" in assigned and "待声明利益冲突" in assigned  # assigned, not yet declared (no conflict or one)


# --- confirmation before irreversible actions ---------------------------------------------------------------

#: Each confirm transition of the table: the case's starting trait, the role, and a valid form.
CONFIRM_CASES = {
    "accept": ("submitted", "clerk", {}),
    "not_accept": ("submitted", "clerk", {"comment": "注册地不在江津区"}),
    "request_correction": (
        "submitted",
        "clerk",
        {"items": ["material:invoices"], "note-material-invoices": "发票扫描件不清晰"},
    ),
    "approve": ("pending_decision", "approver", {"amount": "100,000.00"}),
    "reject": ("pending_decision", "approver", {"comment": "不符合条件"}),
    "uphold_objection": ("in_objection_review", "approver", {"comment": "异议属实"}),
    "disburse": ("approved", "finance", {"amount": "100,000.00", "paid_on": "2026-11-20", "voucher_number": "CZ-2"}),
    "archive": ("disbursed", "manager", {}),
    "claw_back": ("approved", "manager", {"comment": "虚报拍摄天数", "amount": "0"}),
}


def test_every_irreversible_transition_of_the_table_is_confirmed_and_covered_here():
    confirmed = {t.key for t in workflow.TRANSITIONS if t.confirm}
    assert confirmed - {"withdraw"} == set(CONFIRM_CASES)  # withdraw: the applicant's page, tested below
    # The list: 受理, 不予受理, 通知补正, 批准, 不予批准, 拨付, 追回, 归档
    assert {"accept", "not_accept", "request_correction", "approve", "reject", "disburse", "claw_back", "archive"} <= (
        confirmed
    )


@pytest.mark.parametrize("key", sorted(CONFIRM_CASES))
def test_the_confirmation_page_comes_first_and_nothing_happens_until_confirmed(client, staff, member, case_of, key):
    trait, role, data = CONFIRM_CASES[key]
    app = case_of(member, **{trait: True})
    before = (app.state, AuditEntry.objects.count())
    spec = workflow.TRANSITION_BY_KEY[key]
    client.force_login(staff[role])
    url = reverse("portal:staff_act", args=[app.pk, key])
    asked = client.post(url, data)
    assert asked.status_code == 200
    assert f"请确认：{spec.label}" in asked.text and f"确认{spec.label}" in asked.text and "返回修改" in asked.text
    assert "不能撤销" in asked.text
    app.refresh_from_db()
    assert (app.state, AuditEntry.objects.count()) == before  # nothing done yet
    # The confirmation restates the inputs and carries them on.
    for name, value in data.items():
        if name == "items":
            continue
        assert f'name="{name}" value="{value}"' in asked.text
    if key == "request_correction":
        assert "发票扫描件不清晰" in asked.text and "江津供应商发票及付款凭证" in asked.text
    # 返回修改: the case page again, with the inputs kept, still nothing done.
    back = client.post(url, {**data, "back": "1"})
    assert back.status_code == 200 and "<h1>" in back.text and "请确认" not in back.text
    app.refresh_from_db()
    assert app.state == before[0]
    done = client.post(url, {**data, "confirmed": "1", "seen_state": app.state})
    assert done.status_code == 302, done.content.decode()[:2000]
    app.refresh_from_db()
    assert app.state == spec.target
    assert AuditEntry.objects.filter(action=f"case.{key}", target_id=str(app.pk)).exists()


def test_a_confirmation_for_a_case_someone_else_moved_on_is_refused(client, staff, member, case_of):
    app = case_of(member, submitted=True)
    client.force_login(staff["clerk"])
    url = reverse("portal:staff_act", args=[app.pk, "not_accept"])
    response = client.post(url, {"comment": "x", "confirmed": "1", "seen_state": "accepted"})
    assert response.status_code == 409 and "案件已被他人处理" in response.text
    app.refresh_from_db()
    assert app.state == "submitted"


def test_reversible_steps_are_taken_without_a_confirmation(client, staff, member, case_of):
    app = case_of(member, accepted=True)
    client.force_login(staff["reviewer"])
    response = client.post(reverse("portal:staff_act", args=[app.pk, "start_review"]), {})
    assert response.status_code == 302
    app.refresh_from_db()
    assert app.state == "preliminary_review"


# --- correction reasons per item ------------------------------------------------------------------------------


def test_each_correction_item_has_its_own_reason_once_in_the_notice_and_on_the_page(client, staff, member, case_of):
    app = submitted_through_services(member, case_of)
    client.force_login(staff["clerk"])
    page = client.get(reverse("portal:staff_case", args=[app.pk])).text
    assert "“江津供应商发票及付款凭证”的补正要求" in page and "补充说明（可选）" in page
    url = reverse("portal:staff_act", args=[app.pk, "request_correction"])
    missing_reason = client.post(
        url, {"items": ["material:invoices", "material:licence"], "note-material-licence": "x"}
    )
    assert missing_reason.status_code == 400
    assert "请写明“江津供应商发票及付款凭证”需要怎样补正。" in missing_reason.text
    data = {
        "items": ["material:invoices", "material:licence"],
        "note-material-invoices": "发票须加盖公章",
        "note-material-licence": "营业执照扫描件不清晰",
        "confirmed": "1",
        "seen_state": "submitted",
    }
    assert client.post(url, data).status_code == 302
    app.refresh_from_db()
    assert app.state == "correction_requested"
    notes = {i.key: i.note for i in app.open_correction().items.all()}
    assert notes == {"invoices": "发票须加盖公章", "licence": "营业执照扫描件不清晰"}
    # The notice: each reason once, no general "说明" repeating them.
    context = case_context(DocumentKind.CORRECTION_NOTICE, app, comment="营业执照：营业执照扫描件不清晰")
    assert context["comment"] == ""
    from django.template.loader import render_to_string

    notice = render_to_string("documents/pdf/correction_notice.html", {"c": context, "document": None})
    assert notice.count("发票须加盖公章") == 1 and notice.count("营业执照扫描件不清晰") == 1
    assert "说明：" not in notice
    # The applicant's page: each reason once.
    client.force_login(member.user)
    page = client.get(reverse("portal:case", args=[app.pk])).text
    panel = page[page.index('id="corr-heading"') : page.index("</section>", page.index('id="corr-heading"'))]
    assert panel.count("发票须加盖公章") == 1 and panel.count("营业执照扫描件不清晰") == 1


def test_a_corrected_material_no_longer_shows_needs_correction(client, staff, member, case_of):
    app = submitted_through_services(member, case_of)
    ask_correction(app, staff["clerk"], ("invoices", "发票须加盖公章"), ("licence", "营业执照不清晰"))
    client.force_login(member.user)

    def badges(key):
        page = client.get(reverse("portal:case", args=[app.pk])).text
        start = page.index(f'id="material-{key}"')
        return page[start : page.index("</li>", start)]

    assert "需补正" in badges("invoices") and "需补正" in badges("licence")
    client.post(reverse("portal:material_upload", args=[app.pk, "invoices"]), {"file": pdf_file("v2.pdf", b"v2")})
    assert "需补正" not in badges("invoices") and "已补正" in badges("invoices")
    assert "需补正" in badges("licence")


# --- the pledge at each submission ------------------------------------------------------------------------------


def test_a_refused_submission_changes_nothing(client, member, case_of):
    app = case_of(member, integrity_pledge_at=None)
    client.force_login(member.user)
    audit_rows = AuditEntry.objects.filter(target_id=str(app.pk)).count()
    # Pledge ticked but materials missing: refused, and neither the pledge nor an audit row is kept.
    refused = client.post(reverse("portal:case_submit", args=[app.pk]), {"pledge": "on"})
    assert refused.status_code == 409
    app.refresh_from_db()
    assert app.state == "draft" and app.integrity_pledge_at is None
    assert AuditEntry.objects.filter(target_id=str(app.pk)).count() == audit_rows


def test_a_submit_without_the_pledge_shows_the_error_at_the_top_and_beside_the_field(client, member, case_of):
    app = case_of(member, integrity_pledge_at=None)
    for key in ("licence", "invoices"):
        services.add_material(app, member.user, key=key, uploaded_file=pdf_file(f"{key}.pdf"))
    client.force_login(member.user)
    audit_rows = AuditEntry.objects.filter(target_id=str(app.pk)).count()
    response = client.post(reverse("portal:case_submit", args=[app.pk]), {})
    assert response.status_code == 400
    text = response.text
    summary = text.index('class="error-summary"')
    assert summary < text.index('id="progress-heading"')  # at the top of the page
    assert 'href="#id_pledge"' in text[summary : text.index("</div>", summary)]
    assert 'id="id_pledge_error"' in text  # and beside the field
    app.refresh_from_db()
    assert app.state == "draft" and app.integrity_pledge_at is None
    assert AuditEntry.objects.filter(target_id=str(app.pk)).count() == audit_rows


def test_the_pledge_is_ticked_again_at_each_submission(client, member, case_of, staff):
    app = submitted_through_services(member, case_of)
    ask_correction(app, staff["clerk"], ("invoices", "发票须加盖公章"))
    services.add_material(app, member.user, key="invoices", uploaded_file=pdf_file("v2.pdf", b"v2"))
    client.force_login(member.user)
    page = client.get(reverse("portal:case", args=[app.pk])).text
    pledge = re.search(r'<input type="checkbox" name="pledge"[^>]*>', page).group(0)
    assert "checked" not in pledge  # not carried over from the first submission
    assert client.post(reverse("portal:case_submit", args=[app.pk]), {}).status_code == 400
    app.refresh_from_db()
    assert app.state == "correction_requested"
    first = app.integrity_pledge_at
    assert client.post(reverse("portal:case_submit", args=[app.pk]), {"pledge": "on"}).status_code == 302
    app.refresh_from_db()
    assert app.state == "submitted" and app.integrity_pledge_at > first


# --- details of part 9 ----------------------------------------------------------------------------------------


def test_amounts_in_refusals_have_thousands_separators(staff, member, case_of):
    app = case_of(member, in_preliminary_review=True, computed_amount=Decimal("120000.00"))
    services.assign_experts([app], [staff["expert"]], staff["reviewer"])
    with pytest.raises(services.TransitionRefused) as refused:
        services.perform(app, "send_to_experts", staff["reviewer"], amount="130000", comment="x")
    assert "不能高于测算金额 120,000.00 元" in refused.value.reason
    approved = case_of(member, approved=True, approved_amount=Decimal("1234567.00"))
    with pytest.raises(services.TransitionRefused) as refused:
        services.perform(
            approved, "disburse", staff["finance"], amount="2000000", paid_on="2026-11-20", voucher_number="V-1"
        )
    assert "1,234,567.00 元" in refused.value.reason


def test_the_reduction_reason_is_labelled_required_and_checked_by_the_form(client, staff, member, case_of):
    app = case_of(member, in_preliminary_review=True)
    services.assign_experts([app], [staff["expert"]], staff["reviewer"])
    client.force_login(staff["reviewer"])
    page = client.get(reverse("portal:staff_case", args=[app.pk])).text
    form = page[page.index("/act/send_to_experts") :]
    assert "说明（核减时必填）" in form[: form.index("</form>")]
    assert "说明（可选）" not in form[: form.index("</form>")]
    url = reverse("portal:staff_act", args=[app.pk, "send_to_experts"])
    reduced = client.post(url, {"amount": "80,000", "comment": ""})
    assert reduced.status_code == 400
    assert "初审金额 80,000.00 元低于测算金额 100,000.00 元（核减），请写明核减理由。" in reduced.text
    assert client.post(url, {"amount": "100,000.00", "comment": ""}).status_code == 302  # no reduction: optional


def test_partial_and_final_payments_are_distinct_and_the_company_sees_what_was_paid(client, staff, member, case_of):
    app = case_of(member, approved=True)
    with pytest.raises(services.TransitionRefused) as refused:
        services.perform(
            app, "disburse", staff["finance"], amount="100000.01", paid_on="2026-11-20", voucher_number="V-0"
        )
    assert "不超过尚未拨付的 100,000.00 元" in refused.value.reason
    services.perform(app, "disburse", staff["finance"], amount="40000", paid_on="2026-11-20", voucher_number="V-1")
    client.force_login(member.user)
    page = client.get(reverse("portal:case", args=[app.pk])).text
    paid = page[page.index('id="paid-heading"') :]
    assert "已拨付合计" in paid and "¥40,000.00" in paid and "尚未拨付 ¥60,000.00" in paid
    services.perform(app, "disburse", staff["finance"], amount="60000", paid_on="2026-11-25", voucher_number="V-2")
    page = client.get(reverse("portal:case", args=[app.pk])).text
    paid = page[page.index('id="paid-heading"') :]
    assert "¥100,000.00" in paid and "40,000.00" in paid and "60,000.00" in paid
    assert "2026-11-20" in paid and "2026-11-25" in paid


def test_objection_review_workbench_row_shows_the_pause(client, staff, member, case_of):
    app = case_of(member, in_objection_review=True)
    assert app.due_kind == "public_notice" and app.due_date is not None  # held, not stopped
    client.force_login(staff["approver"])
    text = client.get(reverse("portal:workbench")).text
    row = text[text.index(app.case_number) :]
    assert "公示暂停（异议核查中）" in row[: row.index("</tr>")]


def test_bulk_approval_lists_the_cases_and_amounts_before_anything_happens(client, staff, member, case_of):
    cases = [case_of(member, pending_decision=True) for _ in range(2)]
    client.force_login(staff["approver"])
    data = {"action": "approve", "cases": [c.pk for c in cases], "title": "第一批"}
    asked = client.post(reverse("portal:bulk"), data)
    assert asked.status_code == 200 and "确认审定通过并开始公示" in asked.text and "不能撤销" in asked.text
    assert all(c.case_number in asked.text for c in cases) and "200,000.00" in asked.text  # the total
    assert set(Application.objects.values_list("state", flat=True)) == {"pending_decision"}
    done = client.post(reverse("portal:bulk"), {**data, "confirmed": "1"})
    assert done.status_code == 302
    assert set(Application.objects.values_list("state", flat=True)) == {"public_notice"}


def test_withdrawing_asks_first_and_says_it_cannot_be_undone(client, member, case_of):
    app = case_of(member, submitted=True)
    client.force_login(member.user)
    url = reverse("portal:case_withdraw", args=[app.pk])
    asked = client.post(url, {"comment": "项目延期"})
    assert asked.status_code == 200
    assert "请确认：撤回申报" in asked.text and "确认撤回申报" in asked.text and "不能撤销" in asked.text
    app.refresh_from_db()
    assert app.state == "submitted"
    assert client.post(url, {"comment": "项目延期", "confirmed": "1"}).status_code == 302
    app.refresh_from_db()
    assert app.state == "withdrawn"


def test_the_timeline_joins_per_item_reasons_as_one_sentence(client, staff, member, case_of):
    app = submitted_through_services(member, case_of)
    ask_correction(app, staff["clerk"], ("invoices", "发票须加盖公章。"), ("licence", "营业执照不清晰。"))
    entry = AuditEntry.objects.get(action="case.request_correction", target_id=str(app.pk))
    assert entry.reason == "江津供应商发票及付款凭证：发票须加盖公章；营业执照：营业执照不清晰。"
