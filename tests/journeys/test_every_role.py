"""Every role's journey from an empty install, through the pages alone (issue 15).

The database holds only the migrations, ``seed_policies`` and one superuser (see conftest.new_install). From
there, people in a real Chromium do everything:

1. the superuser creates a manager; the manager creates the office: clerk, reviewer, two experts, approver and
   finance; each sets a password through the link in the e-mail;
2. a film company registers, registers its new company with a licence, is confirmed by the manager and told so
   in its inbox, uses the policy calculator and applies from the result, is asked for two corrections with a
   reason each and a deadline three working days ahead, finds the daily reminder (sent once, though the timer
   runs three times) in its inbox, corrects, and follows the stepper — all of it with the keyboard only (Tab,
   Enter, Space);
3. the office accepts, reviews with a reduction and a reason, assigns 专家甲, who declares a conflict of
   interest and is recused; the reviewer, told so, assigns 专家乙, who declares none and scores the rubric; the
   approver decides; the case enters 公示; a visitor objects; the approver dismisses; ``tick_deadlines`` with a
   date past the notice's end ends it; finance records 部分拨付 then 拨付完毕; the manager archives; the
   company uploads the proof its commitment asks for under 我的履约事项 and the reviewer accepts it;
4. the company downloads its acceptance notice and approval decision, the public verifies the decision, and the
   company's inbox holds a notice for each change it must know about.

No factory, no ORM write, no management command but the daily timers ``tick_deadlines`` and ``send_reminders``;
the database is only read, to assert.
A screenshot of every step goes to tests/artifacts/journey-NN-<step>.png; axe runs on every distinct page and
any violation fails the test at the end with rule id, page and target.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.core import mail
from django.core.management import call_command

from tests.browser_fixtures import tick

from .conftest import SUPERUSER, SUPERUSER_PASSWORD
from .support import (
    Journey,
    credit_code,
    focused,
    licence_pdf,
    login,
    mail_links,
    pdf_bytes,
    pdf_text,
    tab_to,
    type_into,
)

PASSWORD = "Baisha-Studio-2026!"
COMPANY = "重庆白沙影视文化有限公司"
CODE = credit_code("91500116MA5U7B80X")
PROJECT = "电影《白沙往事》"
OFFICE = {  # username: (role label as the accounts page shows it, role key, display name)
    "shouli": ("受理员", "clerk", "王受理"),
    "chushen": ("初审员", "reviewer", "李初审"),
    "zhuanjia1": ("评审专家", "expert", "专家甲"),
    "zhuanjia2": ("评审专家", "expert", "专家乙"),
    "shending": ("审定人", "approver", "赵审定"),
    "caiwu": ("财务", "finance", "钱财务"),
}
INVOICE_REASON = "发票扫描件不清晰，请上传加盖公章的清晰扫描件。"
AUDIT_REASON = "审计报告缺少第3页，请上传完整的审计报告。"
MATERIALS = ("business_licence", "filing", "shooting_schedule", "invoices", "audit_report", "integrity_pledge")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_every_role_from_an_empty_install(new_install, browser):
    j = Journey(browser, new_install.url)
    try:
        office_accounts(j)
        company = company_onboarding(j)
        case_pk = company_applies(j, company)
        office_walks_the_case(j, case_pk)
        company_reports_on_its_obligation(j, case_pk)
        company_final_view(j, case_pk)
    finally:
        j.close()
    assert not j.violations, "axe found violations:\n" + "\n".join(j.violations)


# --- 1. office accounts ------------------------------------------------------------------------------------


def set_password_from_mail(j: Journey, page, email: str, password: str, step: str) -> None:
    """Open the newest link e-mailed to ``email`` and set the password there."""
    sent = [m for m in mail.outbox if email in m.to and "设置您在" in m.subject]
    assert sent, f"no password-set e-mail went to {email}: {[(m.to, m.subject) for m in mail.outbox]}"
    links = [link for link in mail_links(sent, email) if "/accounts/reset/" in link]
    assert links, f"the password-set e-mail to {email} holds no link: {sent[-1].body}"
    page.goto(links[-1])
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").first.inner_text() == "设置新密码", page.locator("main").inner_text()[:300]
    page.get_by_label(re.compile(r"^新密码\s*\*?$")).fill(password)
    page.get_by_label(re.compile(r"^新密码确认\s*\*?$")).fill(password)
    j.step(page, step)
    page.get_by_role("button", name="设置密码", exact=True).click()
    page.wait_for_load_state("networkidle")
    assert "密码已设置" in page.locator("main").inner_text(), page.locator("main").inner_text()[:300]


def create_staff(j: Journey, page, username: str, name: str, role_label: str, step: str) -> None:
    page.goto("/office/accounts/")
    page.get_by_role("link", name="新建账户").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").first.inner_text() == "新建办公账户"
    page.get_by_role("textbox", name="用户名", exact=True).fill(username)
    page.get_by_role("textbox", name="姓名", exact=True).fill(name)
    page.get_by_role("textbox", name="电子邮箱", exact=True).fill(f"{username}@jiangjin.example")
    page.get_by_role("checkbox", name=role_label, exact=True).check()
    assert page.get_by_role("checkbox", name="立即发送设置密码的链接").is_checked()
    assert page.get_by_text(re.compile("超级用户|superuser", re.I)).count() == 0  # nobody grants superuser here
    j.step(page, f"{step}-form")
    page.get_by_role("button", name="创建账户", exact=True).click()
    page.wait_for_load_state("networkidle")
    assert f"已创建账户“{username}”" in page.locator("main").inner_text(), page.locator("main").inner_text()[:400]
    j.step(page, f"{step}-created")


def office_accounts(j: Journey) -> None:
    from django.contrib.auth import get_user_model

    User = get_user_model()
    root = j.person("superuser")
    login(root, SUPERUSER, SUPERUSER_PASSWORD)
    j.step(root, "01-superuser-home")
    response = root.goto("/office/accounts/")
    assert response.status == 200, f"/office/accounts/ answers {response.status}"
    assert root.locator("h1").first.inner_text() == "办公账户"
    j.step(root, "01-superuser-accounts")
    create_staff(j, root, "guanli", "周管理", "管理员", "01-manager")
    manager = User.objects.get(username="guanli")
    assert {g.name for g in manager.groups.all()} == {"manager"}
    assert not manager.is_superuser

    page = j.person("manager")
    set_password_from_mail(j, page, "guanli@jiangjin.example", PASSWORD, "01-manager-password-form")
    j.step(page, "01-manager-password-set")
    login(page, "guanli", PASSWORD)
    j.step(page, "01-manager-home")
    nav = page.get_by_role("navigation").first
    assert nav.get_by_role("link", name="管理后台").count() == 1, "the manager's menu has no entry to the admin"
    for username, (label, _key, name) in OFFICE.items():
        create_staff(j, page, username, name, label, f"01-{username}")
    page.goto("/office/accounts/")
    j.step(page, "01-manager-accounts-list")
    for username, (_label, key, _name) in OFFICE.items():
        assert page.get_by_text(username, exact=True).count() >= 1, f"{username} is not listed"
        assert set(User.objects.get(username=username).groups.values_list("name", flat=True)) == {key}
        person = j.person(username)
        set_password_from_mail(j, person, f"{username}@jiangjin.example", PASSWORD, f"01-{username}-password")
        login(person, username, PASSWORD)
    j.step(j.person("shouli"), "01-clerk-signed-in")


# --- 2. the company: registers, is confirmed, calculates, applies — keyboard only -------------------------------


def choose(page, name, option: str) -> None:
    """Keyboard only: Tab to a field; a select picks the option by typing its text, a text box takes it."""
    tab_to(page, name)
    if focused(page)[0] == "combobox":  # a closed select: ArrowDown moves the choice, as a person would
        for _ in range(30):
            if page.evaluate("document.activeElement.selectedOptions[0]?.text.trim()") == option:
                return
            page.keyboard.press("ArrowDown")
        raise AssertionError(f"no option {option!r} in {name!r}")
    else:
        page.keyboard.press("Control+A")
        page.keyboard.type(option)


def press_button(page, name: str | re.Pattern) -> None:
    tab_to(page, name, "button")
    enter_and_load(page)


def enter_and_load(page) -> None:
    """Press Enter on the focused link or button and wait for the page it leads to."""
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_load_state("networkidle")


def company_onboarding(j: Journey):
    """Keyboard only: register an account, register the company with its licence; the manager confirms."""
    from companies.models import Company

    page = j.person("company")
    page.goto("/")
    j.step(page, "02-home-visitor")
    follow(page, "注册")
    assert "/accounts/register/" in page.url
    type_into(page, "用户名", "baisha")
    type_into(page, "电子邮箱", "baisha@example.com")
    type_into(page, "密码", PASSWORD)
    type_into(page, re.compile("^密码确认|^确认密码"), PASSWORD)
    j.step(page, "02-register-form")
    press_button(page, re.compile("^注册"))
    j.step(page, "02-registered")

    assert page.locator("h1").first.inner_text() == "我的企业", page.url
    tab_to(page, "登记新企业")
    enter_and_load(page)
    assert page.locator("h1").first.inner_text() == "登记新企业"
    type_into(page, "统一社会信用代码", CODE)
    type_into(page, "企业名称", COMPANY)
    type_into(page, "法定代表人", "陈白沙")
    choose(page, "注册区县", "江津区")
    choose(page, "税务登记区县", "江津区")
    type_into(page, "联系人", "陈白沙")
    type_into(page, "联系电话", "023-47000000")
    type_into(page, "联系邮箱", "baisha@example.com")
    tab_to(page, "营业执照")
    open_chooser(page, [{"name": "licence.pdf", "mimeType": "application/pdf", "buffer": licence_pdf(COMPANY, CODE)}])
    j.step(page, "02-company-form")
    press_button(page, "提交登记申请")
    j.step(page, "02-company-pending")
    assert "/companies/registrations/" in page.url and "待核实" in page.locator("main").inner_text()
    page.goto("/my/cases/")  # never a 403 while the request is pending: what waits and what happens next
    text = page.locator("main").inner_text()
    assert "/companies/" in page.url and "下一步" in text, text
    j.step(page, "02-company-pending-my-cases")

    manager = j.person("manager")
    manager.goto("/companies/requests/")
    j.step(manager, "02-manager-requests")
    manager.get_by_role("link", name=f"核实 {COMPANY} 的登记申请").click()
    manager.wait_for_load_state("networkidle")
    assert manager.locator("iframe, img").count() >= 1, "no licence preview"
    manager.wait_for_timeout(500)  # let the PDF preview paint
    j.step(manager, "02-manager-registration")
    manager.get_by_role("button", name="确认登记").click()
    manager.wait_for_load_state("networkidle")
    j.step(manager, "02-manager-confirmed")
    company = Company.objects.get(credit_code=CODE)
    assert company.name == COMPANY and company.registration_district == "江津区"

    page.reload()  # the company's page as it is after the confirmation: the header counts the new entry
    follow(page, re.compile(r"^通知\s*（未读通知 \d+ 条）"))
    j.step(page, "02-company-inbox-confirmed")
    assert f"“{COMPANY}”已登记，您已是该企业的成员" in page.locator("main").inner_text()
    return company


def company_applies(j: Journey, company) -> int:
    """Keyboard only: the calculator, 立即申报, the form, materials, pledge, submit; two corrections answered."""
    from applications.models import Application

    page = j.person("company")
    calculate_and_start(j, page)
    fill_and_submit(j, page, company)
    case = Application.objects.get(company=company)
    ask_and_answer_corrections(j, page, case)
    return case.pk


def follow(page, name) -> None:
    """Keyboard only: Tab to the link named ``name`` and press Enter."""
    tab_to(page, name, "link")
    enter_and_load(page)


def calculate_and_start(j: Journey, page) -> None:
    follow(page, "政策计算器")
    j.step(page, "02-calculator")
    assert "政策计算器" in page.locator("h1").inner_text()
    choose(page, "已取得备案或立项", "是")
    type_into(page, "在江津拍摄天数", "32")
    type_into(page, "在江津消费金额", "1200000")
    press_button(page, "开始测算")
    j.step(page, "02-calculator-result", axe=True)  # same address, now with the results
    assert "180,000.00" in page.locator("#results, main").first.inner_text()
    tab_to(page, re.compile("^立即申报 JJ-FILM-01"), "link")
    enter_and_load(page)


def fill_and_submit(j: Journey, page, company) -> None:
    from applications.models import Application

    j.step(page, "02-apply-form")
    # the facts typed into the calculator arrive in the form
    assert page.get_by_label(re.compile("^在江津拍摄天数")).input_value() == "32"
    assert page.get_by_label(re.compile("^在江津消费金额")).input_value().replace(",", "") in ("1200000", "1200000.00")
    assert page.get_by_label(re.compile("^已取得备案或立项")).input_value() == "true"
    type_into(page, "项目/作品名称", PROJECT)
    press_button(page, re.compile("保存草稿"))
    j.step(page, "02-draft-saved")
    case = Application.objects.filter(company=company).first()
    assert case is not None, f"no draft saved: {page.locator('main').inner_text()[:600]}"
    assert case.state == "draft"
    for key in MATERIALS:
        upload_by_keyboard(page, key, licence_pdf(COMPANY, CODE) if key == "business_licence" else pdf_bytes(key))
    j.step(page, "02-materials")
    tab_to(page, re.compile("本单位承诺"), "checkbox")
    page.keyboard.press("Space")
    press_button(page, "提交申报")
    case.refresh_from_db()
    assert case.state == "submitted", page.locator("main").inner_text()
    j.step(page, "02-submitted")


def ask_and_answer_corrections(j: Journey, page, case) -> None:
    from applications import workdays
    from applications.models import CorrectionItem, Notification

    clerk = j.person("shouli")
    clerk.goto(f"/workbench/cases/{case.pk}/")
    j.step(clerk, "02-clerk-case")
    form = clerk.locator("form[action$='/act/request_correction']")
    form.get_by_role("checkbox", name="江津供应商发票及付款凭证", exact=True).check()
    form.get_by_role("checkbox", name="专项审计报告", exact=True).check()
    form.get_by_label("“江津供应商发票及付款凭证”的补正要求").fill(INVOICE_REASON)
    form.get_by_label("“专项审计报告”的补正要求").fill(AUDIT_REASON)
    due = workdays.add_working_days(workdays.today(), 3)  # a short deadline, so the daily reminder is due today
    said = confirm_action(j, clerk, form, "通知补正", {"补正期限": due.isoformat()}, step="02-clerk-correction")
    assert INVOICE_REASON in said and AUDIT_REASON in said, f"the confirmation does not restate the reasons: {said}"
    case.refresh_from_db()
    assert case.state == "correction_requested" and case.due_date == due, (case.state, case.due_date)
    notes = {i.key: i.note for i in CorrectionItem.objects.filter(request__application=case)}
    assert notes == {"invoices": INVOICE_REASON, "audit_report": AUDIT_REASON}, notes
    j.step(clerk, "02-clerk-correction-requested")

    # The daily timer (docs/operations.md) runs the reminders three times; the company is reminded once.
    for _ in range(3):
        call_command("send_reminders", verbosity=0)
    page.goto("/inbox/")
    j.step(page, "02-company-inbox-reminder")
    reminder = f"【{case.case_number}】补正期限提醒：还剩 3 个工作日"
    assert reminder in page.locator("main").inner_text(), page.locator("main").inner_text()
    sent = Notification.objects.filter(recipient__username="baisha", event="reminder.correction_due")
    assert sent.count() == 1, list(sent.values_list("subject", flat=True))

    page.goto("/")
    follow(page, "我的申报")
    j.step(page, "02-company-my-cases")
    follow(page, case.case_number)
    j.step(page, "02-company-correction")
    notice = page.locator("section", has=page.get_by_role("heading", name="补正通知")).last
    listed = notice.inner_text()
    assert listed.count(INVOICE_REASON) == 1 and listed.count(AUDIT_REASON) == 1, listed  # each reason once
    upload_by_keyboard(page, "invoices", pdf_bytes("invoices v2"))
    upload_by_keyboard(page, "audit_report", pdf_bytes("audit v2"))
    assert "需补正" not in page.locator("#material-invoices").inner_text()
    tab_to(page, re.compile("本单位承诺"), "checkbox")
    page.keyboard.press("Space")
    press_button(page, "提交补正材料")
    case.refresh_from_db()
    assert case.state == "submitted"
    j.step(page, "02-company-resubmitted")
    # the stepper: back at 提交 (now waiting for acceptance), the correction detour shown as done, what comes next
    stepper = page.locator("ol.stepper")
    assert stepper.count() == 1, "no progress stepper on the applicant's case page"
    assert stepper.locator("li[aria-current=step]").inner_text().split()[-2:] == ["提交", "当前"]
    assert "已完成" in stepper.locator("li.step-detour", has_text="补正").inner_text()
    assert "下一步：等待受理员受理" in page.locator(".progress-panel").inner_text()


def open_chooser(page, files: list[dict]) -> None:
    """Space on the focused file field opens the file chooser (Enter, if the first press was lost).

    The person's window comes to the front first: Chromium opens no file chooser for a page in a background
    window, and each person of the journey has a window of their own (seen once in a full PostgreSQL run).
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for key in ("Space", "Enter", "Space"):
        page.bring_to_front()
        try:
            with page.expect_file_chooser(timeout=5000) as chooser:
                page.keyboard.press(key)
        except PlaywrightTimeout:
            print(f"no file chooser after {key} on {focused(page)}")
            continue
        chooser.value.set_files(files=files)
        return
    raise AssertionError(f"neither Space nor Enter opened the file chooser on {focused(page)}")


def upload_by_keyboard(page, key: str, data: bytes) -> None:
    """Tab to the material's file field, open the file chooser with Space, then Tab to its upload button."""
    field = page.locator(f"#file-{key}")
    label = field.evaluate("e => (e.labels && e.labels[0] ? e.labels[0].innerText : e.getAttribute('aria-label'))")
    for _ in range(200):
        page.keyboard.press("Tab")
        if field.evaluate("e => e === document.activeElement"):
            break
    else:
        raise AssertionError(f"Tab never reached the file field {label!r}")
    open_chooser(page, [{"name": f"{key}.pdf", "mimeType": "application/pdf", "buffer": data}])
    button = page.locator(f"#material-{key} form button[type=submit]")
    for _ in range(10):
        page.keyboard.press("Tab")
        if button.evaluate("e => e === document.activeElement"):
            break
    else:
        raise AssertionError(f"Tab never reached the upload button of {label!r}")
    enter_and_load(page)
    uploaded = page.locator(f"#material-{key} .badge.ok", has_text="已上传")
    assert uploaded.count() == 1, page.locator(f"#material-{key}").inner_text()


# --- 3. the office walks the case ------------------------------------------------------------------------------


def confirm_action(j: Journey, page, form, button: str, fields: dict | None = None, step: str = "") -> str:
    """Submit a workflow form; where the step is irreversible the same address answers with a page that
    restates what will happen (h1 "请确认：…"): read it, then press "确认…".

    Returns the confirmation page's text (empty when the step asks none)."""
    for label, value in (fields or {}).items():
        form.get_by_label(label).fill(value)
    form.get_by_role("button", name=button, exact=True).click()
    page.wait_for_load_state("networkidle")
    heading = page.locator("h1").first.inner_text()
    if not heading.startswith("请确认"):
        return ""
    said = page.locator("main").inner_text()
    j.step(page, f"{step or button}-confirm")
    page.get_by_role("button", name=f"确认{button}", exact=True).click()
    page.wait_for_load_state("networkidle")
    return said


def act(j: Journey, page, key: str, step: str, fields: dict | None = None, irreversible: bool = False) -> None:
    form = page.locator(f"form[action$='/act/{key}']")
    assert form.count() == 1, f"no {key} form on {page.url}: {page.locator('main').inner_text()[:500]}"
    button = form.locator("button[type=submit]").inner_text().strip()
    said = confirm_action(j, page, form, button, fields, step)
    if irreversible:
        assert said, f"{button} is irreversible but the page asked no confirmation"
    j.step(page, step)


def office_walks_the_case(j: Journey, pk: int) -> None:
    from applications.models import Application

    case = Application.objects.get(pk=pk)
    clerk = j.person("shouli")
    clerk.goto(f"/workbench/cases/{pk}/")
    act(j, clerk, "accept", "03-clerk-accepted", irreversible=True)
    case.refresh_from_db()
    assert case.state == "accepted"

    reviewer = j.person("chushen")
    reviewer.goto("/workbench/")
    j.step(reviewer, "03-reviewer-queue")
    reviewer.get_by_role("link", name=case.case_number).first.click()
    act(j, reviewer, "start_review", "03-reviewer-started")
    assign_expert(j, reviewer, "专家甲", "03-reviewer-expert-assigned")
    computed = case.computed_amount if case.computed_amount is not None else Decimal("180000.00")
    reduced = computed - Decimal("30000.00")
    act(
        j,
        reviewer,
        "send_to_experts",
        "03-reviewer-sent-with-reduction",
        {
            re.compile("初审金额"): f"{reduced:,.2f}",
            re.compile("说明|理由"): "部分发票为拍摄前采购，按实际拍摄期间核减 30,000.00 元。",
        },
    )
    case.refresh_from_db()
    assert case.state == "expert_review" and case.reviewed_amount == reduced

    # 专家甲 declares a conflict and is recused; the reviewer is told and assigns 专家乙, who declares none.
    first = open_as_expert(j, "zhuanjia1", case)
    first.get_by_label("存在利益冲突").check()
    first.get_by_label("利益冲突说明").fill("本人曾担任该申报单位的财务顾问，与其存在利益关系。")
    first.get_by_role("button", name="提交声明").click()
    first.wait_for_load_state("networkidle")
    j.step(first, "03-zhuanjia1-recused")
    assert first.url.endswith("/workbench/"), first.url
    assert case.case_number not in " ".join(first.locator("main table").all_inner_texts()), "still in the queue"
    assert case.expert_assignments.get(expert__username="zhuanjia1").recused_at is not None

    reviewer.goto("/inbox/")
    j.step(reviewer, "03-reviewer-inbox-recusal")
    assert "回避" in reviewer.locator("main").inner_text(), reviewer.locator("main").inner_text()
    reviewer.goto(f"/workbench/cases/{pk}/")
    assign_expert(j, reviewer, "专家乙", "03-reviewer-second-expert")

    second = open_as_expert(j, "zhuanjia2", case)
    second.get_by_label("无利益冲突").check()
    second.get_by_role("button", name="提交声明").click()
    second.wait_for_load_state("networkidle")
    second.get_by_label("同意", exact=True).check()
    for box in second.locator("input[name^='score_']").all():  # the seeded rubric: 4 criteria, 0–10 each
        box.fill("9")
    second.get_by_role("button", name="提交评审意见").click()
    second.wait_for_load_state("networkidle")
    j.step(second, "03-zhuanjia2-opinion")
    case.refresh_from_db()
    assert case.state == "pending_decision"

    approver = j.person("shending")
    approver.goto(f"/workbench/cases/{pk}/")
    act(j, approver, "approve", "03-approver-approved", irreversible=True)
    case.refresh_from_db()
    assert case.state == "public_notice" and case.approved_amount == reduced

    visitor = j.person("visitor")
    visitor.goto("/notices/")
    j.step(visitor, "03-public-notices")
    assert case.case_number in visitor.content()
    visitor.get_by_role("link", name=f"提出异议 {case.case_number}").click()
    visitor.get_by_label("真实姓名").fill("张三")
    visitor.get_by_label("联系电话或电子邮箱").fill("13800000000")
    visitor.get_by_label("异议内容和理由").fill("该剧组在江津的实际拍摄天数不足 30 天，请核实。")
    j.step(visitor, "03-public-objection-form")
    visitor.get_by_role("button", name="提交异议").click()
    visitor.wait_for_load_state("networkidle")
    j.step(visitor, "03-public-objection-filed")
    case.refresh_from_db()
    assert case.state == "objection_review"

    approver.goto(f"/workbench/cases/{pk}/")
    j.step(approver, "03-approver-objection")
    act(
        j,
        approver,
        "dismiss_objection",
        "03-approver-dismissed",
        {re.compile("理由"): "经核查拍摄日志与酒店记录，实际拍摄 32 天，异议不成立。"},
    )
    case.refresh_from_db()
    assert case.state == "public_notice"

    ends = notice_end(case)
    call_command("tick_deadlines", on=ends.isoformat(), verbosity=0)
    case.refresh_from_db()
    assert case.state == "public_notice", "the notice must not end on its last day"
    from applications import workdays

    call_command("tick_deadlines", on=workdays.add_working_days(ends, 1).isoformat(), verbosity=0)
    case.refresh_from_db()
    assert case.state == "approved"

    finance = j.person("caiwu")
    finance.goto(f"/workbench/cases/{pk}/")
    j.step(finance, "03-finance-case")
    first = (reduced / 2).quantize(Decimal("0.01"))
    pay(j, finance, "disburse", first, "JJCZ-0001", "03-finance-partial")
    case.refresh_from_db()
    assert case.state == "approved" and case.disbursed_amount == first
    pay(j, finance, "disburse", reduced - first, "JJCZ-0002", "03-finance-final")
    case.refresh_from_db()
    assert case.state == "disbursed" and case.disbursed_amount == reduced

    manager = j.person("manager")
    manager.goto(f"/workbench/cases/{pk}/")
    act(j, manager, "archive", "03-manager-archived", irreversible=True)
    case.refresh_from_db()
    assert case.state == "archived"


def assign_expert(j: Journey, reviewer, name: str, step: str) -> None:
    assign = reviewer.locator("form[action$='/assign']")
    tick(assign.get_by_label(name))
    assign.get_by_role("button", name="指派").click()
    reviewer.wait_for_load_state("networkidle")
    j.step(reviewer, step)
    assert name in reviewer.locator("main").inner_text()


def open_as_expert(j: Journey, username: str, case):
    """The expert finds the case in their queue and opens it: the declaration comes before any material."""
    expert = j.person(username)
    expert.goto("/workbench/")
    j.step(expert, f"03-{username}-queue")
    expert.get_by_role("link", name=case.case_number).first.click()
    expert.wait_for_load_state("networkidle")
    j.step(expert, f"03-{username}-declaration")
    assert expert.get_by_role("heading", name="利益冲突声明").count() == 1, expert.locator("main").inner_text()
    assert expert.locator("a[href*='/materials/']").count() == 0, "materials offered before the declaration"
    return expert


def notice_end(case):
    """The last day of the (restarted) public notice, as the case's deadline says (read, never written)."""
    assert case.due_kind == "public_notice" and case.due_date, (case.due_kind, case.due_date)
    return case.due_date


def pay(j: Journey, page, key: str, amount: Decimal, voucher: str, step: str) -> None:
    from applications import workdays

    form = page.locator(f"form[action$='/act/{key}']")
    assert form.count() == 1, f"no {key} form: {page.locator('main').inner_text()[:400]}"
    form.get_by_label("本次拨付金额（元）").fill(f"{amount:,.2f}")
    form.get_by_label("拨付日期").fill(workdays.today().isoformat())
    form.get_by_label("凭证号").fill(voucher)
    button = form.locator("button[type=submit]").inner_text().strip()
    said = confirm_action(j, page, form, button, step=step)
    assert said, f"{button} is irreversible but the page asked no confirmation"
    j.step(page, step)


# --- 3b. after the payment: the company's commitment (履约) ---------------------------------------------------


OBLIGATION = "项目完成或上映（播出）证明"  # the seeded JJ-FILM-01 rule, frozen into the case when approved


def company_reports_on_its_obligation(j: Journey, pk: int) -> None:
    """The company finds its commitment under 我的履约事项, uploads the proof; the reviewer accepts it."""
    from applications.obligations.models import Obligation

    page = j.person("company")
    page.goto("/")
    follow(page, "我的履约事项")
    j.step(page, "03b-company-obligations")
    row = page.locator("main tr", has_text=OBLIGATION)
    assert row.count() == 1, page.locator("main").inner_text()
    row.get_by_role("link", name=re.compile("提交材料")).click()
    page.wait_for_load_state("networkidle")
    j.step(page, "03b-company-obligation")
    page.get_by_label("选择文件").set_input_files(
        files=[{"name": "release.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes("公映许可证")}]
    )
    page.get_by_label("说明（可选）").fill("影片已取得公映许可证，附许可证扫描件。")
    page.get_by_role("button", name="提交履约材料").click()
    page.wait_for_load_state("networkidle")
    j.step(page, "03b-company-obligation-submitted")
    obligation = Obligation.objects.get(application_id=pk, label=OBLIGATION)
    assert obligation.status == "submitted", (obligation.status, page.locator("main").inner_text()[:500])

    reviewer = j.person("chushen")
    reviewer.goto("/obligations/office/")
    j.step(reviewer, "03b-reviewer-obligations")
    reviewer.get_by_role("link", name=OBLIGATION).first.click()
    reviewer.wait_for_load_state("networkidle")
    reviewer.get_by_label("通过").check()
    reviewer.get_by_role("button", name="提交审核结果").click()
    reviewer.wait_for_load_state("networkidle")
    j.step(reviewer, "03b-reviewer-obligation-accepted")
    obligation.refresh_from_db()
    assert obligation.status == "accepted", obligation.status

    page.goto("/inbox/")
    j.step(page, "03b-company-inbox-obligation")
    assert f"履约材料已通过：{OBLIGATION}" in page.locator("main").inner_text()


# --- 4. the company's final view, documents, public verification, inbox ----------------------------------------


def download(page, row_text: str) -> bytes:
    row = page.locator(".case-documents tr", has_text=row_text)
    assert row.count() >= 1, f"no document {row_text} on the case page"
    with page.expect_download() as info:
        row.first.get_by_role("link", name=re.compile("下载")).click()
    return open(info.value.path(), "rb").read()


def company_final_view(j: Journey, pk: int) -> None:
    from applications import workflow
    from applications.documents.models import Document
    from applications.models import Application, Notification

    case = Application.objects.get(pk=pk)
    page = j.person("company")
    page.goto(f"/my/cases/{pk}/")
    j.step(page, "04-company-case-archived")
    text = page.locator("main").inner_text()
    assert f"{case.disbursed_amount:,.2f}" in text, "the company's final view shows the amount paid"
    stepper = page.locator("ol.stepper").inner_text()
    for name in ("提交", "补正", "受理", "初审", "专家评审", "审定", "公示", "异议核查", "批准", "拨付", "归档"):
        assert name in stepper, f"the stepper does not show {name} (with the detours taken): {stepper}"

    notice = download(page, "受理通知书")
    assert notice.startswith(b"%PDF") and COMPANY in pdf_text(notice)
    decision = download(page, "审批决定书")
    assert decision.startswith(b"%PDF")
    assert f"{case.approved_amount:,.2f}" in pdf_text(decision)

    code = Document.objects.get(application=case, kind="approval_decision").verification_code
    visitor = j.person("visitor")
    visitor.goto(f"/verify/{code}")
    j.step(visitor, "04-public-verify")
    assert COMPANY in visitor.locator("main").inner_text()

    page.goto("/inbox/")
    j.step(page, "04-company-inbox", axe=True)
    inbox = page.locator("main").inner_text()
    told = set(
        Notification.objects.filter(recipient__username="baisha", application=case).values_list("event", flat=True)
    )
    changes = ["submit", "request_correction", "resubmit", "accept", "approve", "file_objection"]
    changes += ["dismiss_objection", "conclude_notice", "disburse", "archive"]
    # (the part payment and the last one are both `disburse`, told apart by where they left the case)
    arrivals = [(key, workflow.TRANSITION_BY_KEY[key].target) for key in changes] + [("disburse", "approved")]
    for key, target in arrivals:
        assert f"case.{key}" in told, f"the applicant was not told about {key}: {sorted(told)}"
        spec = workflow.TRANSITION_BY_KEY[key]
        sentence = spec.applicant_sentence(target, title=case.project_title, case=case.case_number)
        assert sentence in inbox, f"the inbox page does not show: {sentence}"
