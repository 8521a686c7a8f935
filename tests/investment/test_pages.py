"""The manager pages: access by role, the figures shown, the XLSX export, actions on the lead page."""

import io
import re
from decimal import Decimal

import openpyxl
import pytest
from django.template import Context, Template
from django.urls import reverse

from companies.investment import workflow
from companies.investment.models import Agreement, Lead
from tests.factories import CompanyFactory, UserFactory
from tests.factories.companies import next_credit_code
from tests.factories.investment import LeadFactory, PromotionEventFactory, days_ago

pytestmark = pytest.mark.django_db


@pytest.fixture
def boss(client):
    user = UserFactory(roles=["manager"])
    client.force_login(user)
    return user


def page_urls():
    lead = LeadFactory()
    company = CompanyFactory()
    return [
        reverse("investment:pipeline"),
        reverse("investment:export"),
        reverse("investment:lead", args=[lead.pk]),
        reverse("investment:company", args=[company.pk]),
    ]


def test_anonymous_visitors_are_sent_to_login(client):
    for url in page_urls():
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login")), url


@pytest.mark.parametrize("roles", [["reviewer"], ["applicant"], ["finance"], ["approver"], []])
def test_other_roles_are_refused(client, roles):
    client.force_login(UserFactory(roles=roles))
    for url in page_urls():
        assert client.get(url).status_code == 403, url
    lead = LeadFactory()
    response = client.post(reverse("investment:advance", args=[lead.pk]), {"contact-transition": "contact"})
    assert response.status_code == 403
    assert Lead.objects.get(pk=lead.pk).state == workflow.NEW


def test_managers_and_superusers_see_every_page(client):
    urls = page_urls()
    for user in (UserFactory(roles=["manager"]), UserFactory(is_superuser=True, is_staff=True)):
        client.force_login(user)
        for url in urls:
            assert client.get(url).status_code == 200, (user, url)


def test_pipeline_page_shows_the_figures(client, boss):
    week = PromotionEventFactory(name="江津影视产业周2026")
    LeadFactory(
        event=week,
        stage=workflow.SETTLED,
        stage__sign_agreement={"committed_investment": "12345678.9", "signed_on": days_ago(20)},
        stage__contact={"on": days_ago(40)},
        stage__settle={"on": days_ago(10)},
    )
    LeadFactory(event=week)

    page = client.get(reverse("investment:pipeline")).content.decode()

    assert "江津影视产业周2026" in page
    assert "12,345,678.90" in page  # committed = settled investment, with thousands separators
    assert "50.0%" in page  # 1 of 2 settled
    assert "30.0" in page  # days from contact to settling


def test_pipeline_filter_by_event_and_stage(client, boss):
    week, fair = PromotionEventFactory(), PromotionEventFactory()
    LeadFactory(event=week, name="周线索")
    LeadFactory(event=fair, name="会线索", stage=workflow.CONTACTED)

    page = client.get(reverse("investment:pipeline"), {"event": week.pk}).content.decode()
    assert "周线索" in page and "会线索" not in page
    page = client.get(reverse("investment:pipeline"), {"stage": "contacted"}).content.decode()
    assert "会线索" in page and "周线索" not in page


def test_export_is_an_xlsx_with_the_same_figures(client, boss):
    LeadFactory(stage=workflow.SETTLED, stage__sign_agreement={"committed_investment": "1000000.5"})
    LeadFactory(name="未接洽线索")

    response = client.get(reverse("investment:export"))

    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["汇总", "按阶段", "按活动", "线索明细"]
    summary = {row[0]: row[1] for row in book["汇总"].iter_rows(min_row=2, values_only=True)}
    assert summary["线索总数"] == 2
    assert Decimal(str(summary["已落地投资额（元）"])) == Decimal("1000000.5")
    names = [row[1] for row in book["线索明细"].iter_rows(min_row=2, values_only=True)]
    assert "未接洽线索" in names


def test_lead_page_offers_the_actions_of_the_table(client, boss):
    lead = LeadFactory(stage=workflow.NEGOTIATING)
    page = client.get(reverse("investment:lead", args=[lead.pk])).content.decode()
    offered = {spec.key for spec in workflow.TRANSITIONS if f'name="{spec.key}-transition"' in page}
    assert offered == {"sign_agreement", "lose"}
    assert "登记签约" in page and "标记未落地" in page


def test_signing_on_the_lead_page(client, boss):
    lead = LeadFactory(stage=workflow.NEGOTIATING)
    response = client.post(
        reverse("investment:advance", args=[lead.pk]),
        {
            "sign_agreement-transition": "sign_agreement",
            "sign_agreement-state_seen": "negotiating",
            "sign_agreement-committed_investment": "8000000",
            "sign_agreement-support_items": "JJ-FILM-02，jj-film-08",
            "sign_agreement-terms": "一企一策：场地租金减半",
        },
    )
    assert response.status_code == 302
    assert Lead.objects.get(pk=lead.pk).state == workflow.AGREEMENT_SIGNED
    agreement = Agreement.objects.get(lead=lead)
    assert sorted(agreement.promised_items.values_list("item_code", flat=True)) == ["JJ-FILM-02", "JJ-FILM-08"]


def test_refusal_is_shown_next_to_the_field(client, boss):
    lead = LeadFactory(stage=workflow.AGREEMENT_SIGNED)
    code = next_credit_code()
    response = client.post(
        reverse("investment:advance", args=[lead.pk]),
        {"settle-transition": "settle", "settle-state_seen": "agreement_signed", "settle-credit_code": code[:-1] + "I"},
    )
    assert response.status_code == 400
    assert "不能出现在统一社会信用代码中" in response.content.decode()
    assert Lead.objects.get(pk=lead.pk).state == workflow.AGREEMENT_SIGNED


def test_page_opened_before_someone_else_moved_the_lead_is_refused(client, boss):
    lead = LeadFactory(stage=workflow.CONTACTED)
    response = client.post(
        reverse("investment:advance", args=[lead.pk]),
        {"lose-transition": "lose", "lose-state_seen": "new", "lose-reason": "对方放弃"},
    )
    assert response.status_code == 409
    assert "刷新" in response.content.decode()
    assert Lead.objects.get(pk=lead.pk).state == workflow.CONTACTED


def test_company_history_fragment_for_managers_only(client, boss):
    code = next_credit_code()
    LeadFactory(name="落地线索甲", stage=workflow.SETTLED, stage__settle={"credit_code": code})
    company = CompanyFactory(credit_code=code)
    template = Template("{% load investment_tags %}{% investment_history company %}")

    shown = template.render(Context({"company": company, "user": boss}))
    hidden = template.render(Context({"company": company, "user": UserFactory(roles=["applicant"])}))

    assert "落地线索甲" in shown and "JJ-FILM-02" in shown and "10,000,000.00" in shown
    assert "落地线索甲" not in hidden
    page = client.get(reverse("investment:company", args=[company.pk])).content.decode()
    assert "落地线索甲" in page and "已落地" in page


def test_admin_pages_load(client):
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    lead = LeadFactory(stage=workflow.AGREEMENT_SIGNED)
    for url in [
        reverse("admin:investment_lead_changelist"),
        reverse("admin:investment_lead_change", args=[lead.pk]),
        reverse("admin:investment_lead_add"),
        reverse("admin:investment_promotionevent_changelist"),
        reverse("admin:investment_agreement_changelist"),
        reverse("admin:investment_agreement_change", args=[lead.agreements.get().pk]),
    ]:
        assert client.get(url).status_code == 200, url
    # The lead's history (from the audit log) is on its admin page, as on the lead page.
    page = client.get(reverse("admin:investment_lead_change", args=[lead.pk])).content.decode()
    assert all(str(workflow.BY_KEY[key].label) in page for key in ("contact", "negotiate", "sign_agreement"))


def test_navigation_links_the_pipeline_for_managers_only(client):
    client.force_login(UserFactory(roles=["manager"]))
    assert reverse("investment:pipeline") in client.get(reverse("home")).content.decode()
    client.force_login(UserFactory(roles=["applicant"]))
    assert reverse("investment:pipeline") not in client.get(reverse("home")).content.decode()


def test_admin_keeps_the_credit_code_of_a_settled_lead(client):
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    settled = LeadFactory(stage=workflow.SETTLED)
    page = client.get(reverse("admin:investment_lead_change", args=[settled.pk])).content.decode()
    assert 'name="credit_code"' not in page
    page = client.get(reverse("admin:investment_lead_change", args=[LeadFactory().pk])).content.decode()
    assert 'name="credit_code"' in page


def _history_rows(page: str) -> list[list[str]]:
    section = re.search(r'<h2 id="history-heading">.*?</table>', page, re.S).group(0)
    return [
        [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", cell)).strip() for cell in re.findall(r"<td>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", section.split("<tbody>")[1], re.S)
    ]


def test_lead_page_shows_the_whole_history_in_order_and_words(client, boss):
    """Each line of the lead's history: what happened, the stage change, the day it happened, who, the comment."""
    from companies.investment import services

    boss.first_name, boss.last_name = "明", "王"
    boss.save()
    company = CompanyFactory(name="重庆历史影业有限公司")
    lead = services.create_lead(boss, name="历史线索", owner=boss)
    lead = services.advance(lead, "contact", boss, on=days_ago(40), comment="电话沟通")
    lead = services.advance(lead, "negotiate", boss)
    lead = services.advance(lead, "sign_agreement", boss, committed_investment="1000000", signed_on=days_ago(20))
    lead = services.advance(lead, "settle", boss, credit_code=company.credit_code, on=days_ago(10))
    services.add_agreement(lead, boss, committed_investment="5000", signed_on=days_ago(5), number="补充协议1号")

    rows = _history_rows(client.get(reverse("investment:lead", args=[lead.pk])).content.decode())

    who = boss.get_full_name()
    assert [row[1:] for row in rows] == [
        ["登记线索", "线索", "—", who, "—"],
        ["记录首次接洽", "线索 → 已接洽", f"{days_ago(40):%Y-%m-%d}", who, "电话沟通"],
        ["进入洽谈", "已接洽 → 洽谈中", "—", who, "—"],
        ["登记签约", "洽谈中 → 已签约", f"{days_ago(20):%Y-%m-%d}", who, "—"],
        ["确认落地", "已签约 → 已落地", f"{days_ago(10):%Y-%m-%d}", who, "—"],
        ["关联企业档案", "—", "—", who, str(company)],
        ["登记协议", "—", "—", who, "补充协议1号"],
    ]
