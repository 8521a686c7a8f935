"""Linking settled leads to companies by credit code in both orders; promises; pipeline figures on known data."""

from decimal import Decimal

import pytest
from django.db import transaction

from companies.investment import selectors, services, workflow
from companies.investment.models import Lead
from companies.investment.selectors import lead_history
from companies.investment.services import advance
from companies.models import Company
from invest.models import AuditEntry
from tests.factories import CompanyFactory, UserFactory
from tests.factories.companies import next_credit_code
from tests.factories.investment import LeadFactory, PromotionEventFactory, days_ago

pytestmark = pytest.mark.django_db


@pytest.fixture
def boss():
    return UserFactory(roles=["manager"])


def spaced(code: str) -> str:
    """How people type codes: lower case, full-width digits, spaces."""
    full = code.lower().translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"})
    return f"{full[:6]} {full[6:12]} {full[12:]}"


def test_company_already_registered_is_linked_when_the_lead_settles(boss):
    company = CompanyFactory()
    lead = LeadFactory(stage=workflow.AGREEMENT_SIGNED)

    settled = advance(lead, "settle", boss, credit_code=spaced(company.credit_code))

    assert settled.company == company
    assert settled.credit_code == company.credit_code
    assert [(e.label, e.comment) for e in [e for e in lead_history(lead) if e.action == "lead.link_company"]] == [
        ("关联企业档案", str(company))
    ]


def test_company_imported_later_is_linked_when_its_record_is_created(boss):
    code = next_credit_code()
    lead = LeadFactory(stage=workflow.AGREEMENT_SIGNED)
    settled = advance(lead, "settle", boss, credit_code=code)
    assert settled.company is None

    company = CompanyFactory(credit_code=spaced(code))

    lead.refresh_from_db()
    assert lead.company == company
    [link] = [e for e in lead_history(lead) if e.action == "lead.link_company"]
    assert company.name in link.comment
    assert AuditEntry.objects.filter(action="lead.link_company", target_id=str(lead.pk)).exists()


def test_company_with_another_code_or_unsettled_leads_are_not_linked(boss):
    settled = LeadFactory(stage=workflow.SETTLED)  # settled under its own code
    code = next_credit_code()
    negotiating = LeadFactory(stage=workflow.NEGOTIATING, credit_code=code)

    CompanyFactory(credit_code=code)

    settled.refresh_from_db()
    negotiating.refresh_from_db()
    assert settled.company is None
    assert negotiating.company is None


def test_rolled_back_company_import_leaves_the_lead_waiting(boss):
    code = next_credit_code()
    lead = advance(LeadFactory(stage=workflow.AGREEMENT_SIGNED), "settle", boss, credit_code=code)

    with pytest.raises(RuntimeError):
        with transaction.atomic():
            CompanyFactory(credit_code=code)
            raise RuntimeError("import failed on a later row")

    lead.refresh_from_db()
    assert lead.company is None
    assert not [e for e in lead_history(lead) if e.action == "lead.link_company"]


def test_sweep_links_companies_written_without_signals(boss):
    """A bulk company import (bulk_create sends no post_save) is caught up by link_all_waiting_leads."""
    code = next_credit_code()
    lead = advance(LeadFactory(stage=workflow.AGREEMENT_SIGNED), "settle", boss, credit_code=code)
    Company.objects.bulk_create([Company(credit_code=code, name="重庆后导入影业有限公司")])

    results = services.link_all_waiting_leads()

    lead.refresh_from_db()
    assert lead.company.credit_code == code
    assert [r.leads for r in results] == [[lead.pk]]
    assert services.link_all_waiting_leads() == []  # nothing left to link


def test_companies_bulk_import_links_waiting_leads(boss):
    """The companies import writes rows without post_save; its import record triggers the sweep."""
    importer = pytest.importorskip("companies.io.importer", reason="companies bulk import not available")
    code = next_credit_code()
    lead = advance(LeadFactory(stage=workflow.AGREEMENT_SIGNED), "settle", boss, credit_code=code)

    report = importer.import_rows(["统一社会信用代码", "企业名称"], [[code, "重庆批量落地影业有限公司"]], actor=boss)

    assert report.applied
    lead.refresh_from_db()
    assert lead.company.name == "重庆批量落地影业有限公司"
    assert len([e for e in lead_history(lead) if e.action == "lead.link_company"]) == 1


def test_link_command_reports_what_it_linked(boss):
    import io
    import json

    from django.core.management import call_command

    code = next_credit_code()
    advance(LeadFactory(stage=workflow.AGREEMENT_SIGNED), "settle", boss, credit_code=code)
    Company.objects.bulk_create([Company(credit_code=code, name="重庆批量导入影业有限公司")])
    out = io.StringIO()
    call_command("link_settled_leads", stdout=out)
    assert json.loads(out.getvalue())["linked"] == 1


def test_promised_support_says_what_the_agreement_promised(boss):
    code = next_credit_code()
    lead = LeadFactory(
        stage=workflow.AGREEMENT_SIGNED,
        stage__sign_agreement={
            "support_items": [{"item_code": "JJ-FILM-02", "promised_amount": "300000"}, "JJ-FILM-03"],
            "terms": "一企一策：前三年租金全额补贴",
        },
    )
    advance(lead, "settle", boss, credit_code=code)
    company = CompanyFactory(credit_code=code)

    promise = selectors.promised_support(company, "jj-film-02")
    assert promise.item_code == "JJ-FILM-02"
    assert promise.promised_amount == Decimal("300000.00")
    assert promise.terms == "一企一策：前三年租金全额补贴"
    assert selectors.promised_support(company, "JJ-FILM-03").promised_amount is None
    assert selectors.promised_support(company, "JJ-FILM-05") is None
    assert selectors.promised_support(CompanyFactory(), "JJ-FILM-02") is None


def test_promises_of_a_lead_lost_after_signing_no_longer_hold(boss):
    company = CompanyFactory()
    lead = LeadFactory(stage=workflow.AGREEMENT_SIGNED, credit_code=company.credit_code)
    assert selectors.promised_support(company, "JJ-FILM-02") is not None

    advance(lead, "lose", boss, reason="协议解除")

    assert selectors.promised_support(company, "JJ-FILM-02") is None


def test_supplementary_agreement_adds_a_later_promise(boss):
    company = CompanyFactory()
    lead = LeadFactory(stage=workflow.SETTLED, stage__settle={"credit_code": company.credit_code})
    services.add_agreement(
        lead,
        boss,
        committed_investment="0",
        signed_on=days_ago(5),
        support_items=["JJ-FILM-09"],
        terms="补充协议：贷款贴息",
    )
    assert selectors.promised_support(company, "JJ-FILM-09").terms == "补充协议：贷款贴息"
    with pytest.raises(services.TransitionRefused) as refused:
        services.add_agreement(LeadFactory(), boss, committed_investment="1", signed_on=days_ago(1))
    assert refused.value.code == "wrong_stage"


@pytest.fixture
def known_pipeline(boss):
    """Seven leads from two events and none, with known dates and amounts (see the test for the sums)."""
    week = PromotionEventFactory(film_week=True, date=days_ago(200))
    fair = PromotionEventFactory(date=days_ago(150))
    LeadFactory(
        event=week,
        stage=workflow.SETTLED,
        stage__contact={"on": days_ago(90)},
        stage__sign_agreement={"committed_investment": "10000000"},
        stage__settle={"on": days_ago(30)},
    )  # 60 days
    LeadFactory(
        event=week,
        stage=workflow.SETTLED,
        stage__contact={"on": days_ago(100)},
        stage__sign_agreement={"committed_investment": "5000000.50"},
        stage__settle={"on": days_ago(20)},
    )  # 80 days
    LeadFactory(event=week, stage=workflow.AGREEMENT_SIGNED, stage__sign_agreement={"committed_investment": "3000000"})
    advance(LeadFactory(event=week, stage=workflow.CONTACTED), "lose", boss, reason="去了外地")
    LeadFactory(event=fair, expected_investment=Decimal("1234.56"))
    signed_then_lost = LeadFactory(
        event=fair, stage=workflow.AGREEMENT_SIGNED, stage__sign_agreement={"committed_investment": "7000000"}
    )
    advance(signed_then_lost, "lose", boss, reason="协议解除")
    LeadFactory(event=None, stage=workflow.NEGOTIATING, expected_investment=Decimal("2000000"))
    return week, fair


def test_pipeline_figures_on_a_known_data_set(known_pipeline):
    week, fair = known_pipeline

    figures = selectors.pipeline()

    assert figures.total == 7
    assert {s.key: s.count for s in figures.stages} == {
        "new": 1,
        "contacted": 0,
        "negotiating": 1,
        "agreement_signed": 1,
        "settled": 2,
        "lost": 2,
    }
    assert figures.committed_investment == Decimal("18000000.50")
    assert figures.settled_investment == Decimal("15000000.50")
    # open leads: new (1,234.56) + negotiating (2,000,000) + signed (10,000,000 factory default)
    assert figures.expected_open_investment == Decimal("12001234.56")
    assert figures.average_days_to_settle == Decimal("70.0")
    assert figures.days_sample == 2
    assert figures.conversion == Decimal("28.6")  # 2 of 7

    rows = {r.event.pk if r.event else None: r for r in figures.events}
    assert [r.event for r in figures.events] == [fair, week, None]  # newest event first, unsourced last
    assert (rows[week.pk].total, rows[week.pk].settled, rows[week.pk].lost) == (4, 2, 1)
    assert rows[week.pk].conversion == Decimal("50.0")
    assert rows[week.pk].committed_investment == Decimal("18000000.50")
    assert rows[week.pk].settled_investment == Decimal("15000000.50")
    assert (rows[fair.pk].total, rows[fair.pk].conversion, rows[fair.pk].committed_investment) == (
        2,
        Decimal("0.0"),
        Decimal("0.00"),
    )
    assert rows[None].total == 1 and rows[None].open == 1


def test_pipeline_for_one_event(known_pipeline):
    week, _fair = known_pipeline
    figures = selectors.pipeline(selectors.leads_filtered(event=week))
    assert figures.total == 4
    assert figures.average_days_to_settle == Decimal("70.0")
    assert [r.event for r in figures.events] == [week]


def test_pipeline_by_event_year():
    from datetime import date

    LeadFactory(event=PromotionEventFactory(date=date(2024, 5, 18)))
    LeadFactory(event=PromotionEventFactory(date=date(2025, 5, 18)))
    LeadFactory(event=PromotionEventFactory(date=date(2025, 11, 2)))
    assert selectors.pipeline(selectors.leads_filtered(year=2025)).total == 2
    assert selectors.pipeline(selectors.leads_filtered(year=2024)).total == 1


def test_empty_pipeline_has_no_average_or_conversion():
    figures = selectors.pipeline()
    assert figures.total == 0 and figures.average_days_to_settle is None and figures.conversion is None


def test_company_history_lists_leads_agreements_and_events(boss, monkeypatch):
    code = next_credit_code()
    lead = advance(LeadFactory(stage=workflow.AGREEMENT_SIGNED), "settle", boss, credit_code=code, on=days_ago(7))
    company = CompanyFactory(credit_code=code)

    history = selectors.company_history(company)

    assert [x.pk for x in history.leads] == [lead.pk]
    assert history.settled_on == days_ago(7)
    assert history.committed_total == Decimal("10000000.00")
    assert [e.transition for e in history.leads[0].history if e.transition] == [
        "contact",
        "negotiate",
        "sign_agreement",
        "settle",
    ]

    monkeypatch.setattr(selectors, "_application_model", lambda: None)
    without = selectors.company_history(company)
    assert without.support_available is False and without.support == []


def test_lead_list_for_company_ignores_other_companies(boss):
    mine, other = CompanyFactory(), CompanyFactory()
    LeadFactory(stage=workflow.SETTLED, stage__settle={"credit_code": other.credit_code})
    assert list(selectors.leads_of_company(mine)) == []
    assert Lead.objects.filter(company=other).count() == 1


def test_company_history_counts_support_approved_since_settling(boss):
    factories = pytest.importorskip("tests.factories.applications", reason="applications app not available yet")
    from datetime import timedelta

    from django.utils import timezone

    code = next_credit_code()
    advance(LeadFactory(stage=workflow.AGREEMENT_SIGNED), "settle", boss, credit_code=code, on=days_ago(10))
    company = CompanyFactory(credit_code=code)
    paid = factories.ApplicationFactory(company=company, disbursed=True)
    factories.ApplicationFactory(company=company, in_public_notice=True)  # not yet approved
    factories.ApplicationFactory(
        company=company, approved=True, decided_at=timezone.now() - timedelta(days=40)
    )  # before settling
    factories.ApplicationFactory(disbursed=True)  # another company

    history = selectors.company_history(company)

    assert history.support_available is True
    assert [row.case_number for row in history.support] == [paid.case_number]
    assert history.approved_total == Decimal("100000.00")
    assert history.disbursed_total == Decimal("100000.00")
