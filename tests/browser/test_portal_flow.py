"""The portal end to end in Chromium: an applicant applies for JJ-FILM-01 with materials, the clerk asks for a
correction, the applicant corrects, the case goes through acceptance, review, expert review, decision and public
notice to approval, and the applicant downloads the approval decision, whose PDF text is checked.

The notice period is ended by running tick_deadlines on a day after it (the clock moved with time-machine
around that one call, so the signed-in sessions stay fresh), exactly what the daily job does. Tasks run immediately so the PDFs exist.
"""

from __future__ import annotations

import re
import subprocess
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from applications import services, workdays
from applications.models import Application
from tests.browser_fixtures import tick
from tests.factories.companies import CompanyFactory, MembershipFactory, UserFactory

from .conftest import login

PASSWORD = "jiangjin-demo"


@pytest.fixture
def portal_settings(settings, immediate_tasks):
    settings.AXES_ENABLED = False


@pytest.fixture
def catalogue(portal_settings):
    """The seeded policy with its round opened around today, so the test does not depend on the calendar year."""
    from policies.models import Round
    from policies.services import seed_catalogue

    seed_catalogue()
    now = timezone.now()
    Round.objects.update(opens_at=now - timedelta(days=30), closes_at=now + timedelta(days=90), year=now.year)


@pytest.fixture
def people(catalogue):
    company = CompanyFactory(name="重庆白沙影视文化有限公司")
    return {
        "applicant": MembershipFactory(company=company, user__username="shenbao").user,
        "clerk": UserFactory(username="shouli", roles=["clerk"]),
        "reviewer": UserFactory(username="chushen", roles=["reviewer"]),
        "expert": UserFactory(username="zhuanjia", roles=["expert"], first_name="专家甲"),
        "approver": UserFactory(username="shending", roles=["approver"]),
        "manager": UserFactory(username="guanli", roles=["manager"]),
        "company": company,
    }


def pdf_bytes(label: str) -> bytes:
    """A real one-page PDF (so the in-page preview shows a page), different for each label."""
    from io import BytesIO

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.add_metadata({"/Title": label})
    buffer = BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def licence_pdf() -> bytes:
    """A business licence scan stand-in with visible text, for the preview in the screenshot."""
    from weasyprint import HTML

    return HTML(
        string="<h1 style='text-align:center'>营业执照</h1><p>名称：重庆白沙影视文化有限公司</p>"
        "<p>统一社会信用代码：91500116000000001K</p><p>住所：重庆市江津区白沙镇</p>"
    ).write_pdf()


def new_page(page, live_server, username: str):
    context = page.context.browser.new_context(
        base_url=live_server.url, locale="zh-CN", viewport={"width": 1280, "height": 900}
    )
    other = context.new_page()
    other.set_default_timeout(30000)
    login(other, username, PASSWORD)
    return other


def stage_of(page) -> str:
    return page.locator(".stage-bar .stage").inner_text().strip()


def upload(page, key: str, label: str, data: bytes | None = None) -> None:
    data = data or pdf_bytes(label)
    page.set_input_files(f"#file-{key}", files=[{"name": f"{key}.pdf", "mimeType": "application/pdf", "buffer": data}])
    page.locator(f"#material-{key} form button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    assert page.locator(f"#material-{key} .badge.ok").count() == 1, page.locator(f"#material-{key}").inner_text()


def act(page, key: str, fields: dict[str, str] | None = None) -> None:
    """Fill and press an action's form; an irreversible one (confirm in the workflow table) is then confirmed
    on the page that restates it ("确认受理" …)."""
    from applications import workflow

    form = page.locator(f"form[action$='/act/{key}']")
    for name, value in (fields or {}).items():
        form.locator(f"[name={name}]").fill(value)
    form.locator("button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    spec = workflow.TRANSITION_BY_KEY[key]
    if spec.confirm:
        confirm(page, str(spec.label))


def confirm(page, label: str) -> None:
    assert page.locator("h1").inner_text().strip() == f"请确认：{label}"
    page.get_by_role("button", name=f"确认{label}", exact=True).click()
    page.wait_for_load_state("networkidle")


@pytest.mark.django_db(transaction=True)
def test_applicant_to_approval_decision(page, live_server, people, screenshot, axe_check):
    # --- the applicant fills the JJ-FILM-01 form; the amount and each condition update as they type ----------
    login(page, "shenbao", PASSWORD)
    page.goto("/my/cases/")
    page.get_by_role("link", name=re.compile("在线申报 剧组拍摄消费补贴")).click()
    page.get_by_label("项目/作品名称").fill("电影《白沙往事》")
    page.get_by_label("已取得备案或立项").select_option("true")
    page.get_by_label("在江津拍摄天数").fill("12")
    page.get_by_label("在江津消费金额").fill("1200000")
    page.get_by_label("在江津消费金额").blur()
    expect_text(page, "#evaluation", "在江津拍摄天数 12 天，少于 15 天")
    assert page.get_by_label("在江津消费金额").input_value() == "1,200,000"  # thousands separators while typing
    page.get_by_label("在江津拍摄天数").fill("32")
    expect_text(page, "#evaluation", "¥180,000.00")
    axe_check(page)
    screenshot(page, "portal-applicant-form")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "portal-applicant-form-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling on a phone
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("button", name="保存草稿，下一步上传材料").click()
    page.wait_for_load_state("networkidle")
    assert stage_of(page) == "草稿"
    case = Application.objects.get()

    # --- materials: the browser refuses a wrong type before upload; the right files go through -------------
    page.set_input_files(
        "#file-audit_report", files=[{"name": "audit.docx", "mimeType": "application/octet-stream", "buffer": b"PK.."}]
    )
    assert "只接受" in page.locator("#file-audit_report-error").inner_text()
    upload(page, "business_licence", "licence", licence_pdf())
    for key in ("filing", "shooting_schedule", "invoices", "audit_report", "integrity_pledge"):
        upload(page, key, f"{key} v1")
    axe_check(page)
    page.get_by_label(re.compile("本单位承诺")).check()
    page.get_by_role("button", name="提交申报").click()
    page.wait_for_load_state("networkidle")
    assert stage_of(page) == "已提交"
    assert "受理期限" in page.locator(".stage-bar").inner_text()

    # --- the clerk asks for a correction of the invoices only ------------------------------------------------
    clerk = new_page(page, live_server, "shouli")
    clerk.goto("/workbench/")
    axe_check(clerk)
    screenshot(clerk, "portal-workbench")
    clerk.get_by_role("link", name=case.case_number).click()
    clerk.wait_for_load_state("networkidle")
    form = clerk.locator("form[action$='/act/request_correction']")
    tick(form.get_by_label("江津供应商发票及付款凭证", exact=True))
    form.get_by_label("“江津供应商发票及付款凭证”的补正要求").fill("发票扫描件不清晰，请重新上传加盖公章的清晰扫描件。")
    form.get_by_role("button", name="通知补正").click()
    clerk.wait_for_load_state("networkidle")
    assert "发票扫描件不清晰" in clerk.locator(".confirm-panel").inner_text()  # the reason restated
    axe_check(clerk)
    screenshot(clerk, "portal-confirm-correction")
    confirm(clerk, "通知补正")
    assert stage_of(clerk) == "待补正"

    # --- the applicant replaces only that material and resubmits ---------------------------------------------
    page.reload()
    assert "补正通知" in page.content()
    assert page.locator(".stepper [aria-current=step]").inner_text().split()[1] == "补正"
    axe_check(page)
    screenshot(page, "portal-applicant-correction-stepper")
    assert page.locator("#file-business_licence").count() == 0  # only the listed material can be replaced
    upload(page, "invoices", "invoices v2")
    page.get_by_label(re.compile("本单位承诺")).check()
    page.get_by_role("button", name="提交补正材料").click()
    page.wait_for_load_state("networkidle")
    assert stage_of(page) == "已提交"

    # --- acceptance, review with an expert, decision ----------------------------------------------------------
    clerk.reload()
    act(clerk, "accept")
    assert stage_of(clerk) == "已受理"

    reviewer = new_page(page, live_server, "chushen")
    reviewer.goto(f"/workbench/cases/{case.pk}/")
    act(reviewer, "start_review")
    assert stage_of(reviewer) == "初审中"
    assert "第 1 版与第 2 版的差异" in reviewer.content()
    assert "请先为本案件指定至少一名评审专家" in reviewer.content()  # refused now, with the reason
    reviewer.locator("form[action$='/assign']").get_by_label("专家甲").check()
    reviewer.locator("form[action$='/assign']").get_by_role("button", name="指派").click()
    reviewer.wait_for_load_state("networkidle")
    axe_check(reviewer)
    reviewer.evaluate("window.scrollTo(0, 0)")
    reviewer.wait_for_timeout(500)  # let the PDF preview paint
    screenshot(reviewer, "portal-reviewer-case")
    act(reviewer, "send_to_experts")
    assert stage_of(reviewer) == "联审/专家评审中"

    expert = new_page(page, live_server, "zhuanjia")
    expert.goto("/workbench/")
    expert.get_by_role("link", name=case.case_number).click()
    # The conflict-of-interest declaration comes first; the materials and the opinion form open after it.
    expert.get_by_label("无利益冲突").check()
    expert.get_by_role("button", name="提交声明").click()
    expert.wait_for_load_state("networkidle")
    expert.get_by_label("同意", exact=True).check()
    for score in expert.locator("input[name^='score_']").all():  # the item's scoring rubric, one per criterion
        score.fill("9")
    expert.get_by_role("button", name="提交评审意见").click()
    expert.wait_for_load_state("networkidle")
    assert stage_of(expert) == "待审定"

    approver = new_page(page, live_server, "shending")
    approver.goto(f"/workbench/cases/{case.pk}/")
    assert approver.locator("form[action$='/act/approve'] [name=amount]").input_value() == "180,000.00"
    act(approver, "approve")
    assert stage_of(approver) == "公示中"

    # --- public notice: listed publicly; after 5 working days with no objection the case is approved ---------
    page.goto("/notices/")
    assert case.case_number in page.content() and "180,000.00" in page.content()
    axe_check(page)
    page.get_by_role("link", name=f"提出异议 {case.case_number}").click()
    page.get_by_role("button", name="提交异议").click()  # empty: the errors say what to fill in
    assert "请填写您的真实姓名" in page.content()
    axe_check(page)
    later = timezone.now() + (workdays.add_working_days(workdays.today(), 6) - workdays.today())
    with time_machine.travel(later):
        assert services.tick_deadlines().concluded == 1

    # --- the applicant downloads the approval decision --------------------------------------------------------
    page.goto(f"/my/cases/{case.pk}/")
    assert stage_of(page) == "已批准"
    axe_check(page)
    assert "公示期满无异议" in page.locator("#timeline-heading + ol").inner_text()
    row = page.locator(".case-documents tr", has_text="扶持资金审批决定书")
    link = row.get_by_role("link", name=re.compile("下载 PDF"))
    with page.expect_download() as download_info:
        link.click()
    data = open(download_info.value.path(), "rb").read()
    assert data.startswith(b"%PDF")
    text = "".join(
        subprocess.run(["pdftotext", "-enc", "UTF-8", "-", "-"], input=data, capture_output=True, check=True)
        .stdout.decode()
        .split()
    )
    assert "扶持资金审批决定书" in text or "审批决定书" in text
    assert "重庆白沙影视文化有限公司" in text
    assert "电影《白沙往事》" in text
    assert "180,000.00" in text and "壹拾捌万元整" in text

    # --- the manager's dashboard ------------------------------------------------------------------------------
    manager = new_page(page, live_server, "guanli")
    manager.goto("/dashboard/")
    assert "180,000.00" in manager.content()
    axe_check(manager)
    manager.evaluate("window.scrollTo(0, 0)")
    screenshot(manager, "portal-dashboard")
    for other in (clerk, reviewer, expert, approver, manager):
        other.context.close()


def expect_text(page, selector: str, text: str) -> None:
    page.locator(selector).filter(has_text=text).first.wait_for()
