"""Calculator → application in one click (立即申报), the date prefill format, and the item page's link."""

import datetime as dt
import re
from decimal import Decimal
from html import unescape

from django.urls import reverse
from django.utils import timezone, translation

from invest.widgets import HtmlDateInput
from policies.forms import CalculatorForm
from tests.factories.companies import CompanyFactory, MembershipFactory

FILM_01_OK = {
    "calculate": "1",
    "registration_district": "江津区",
    "tax_district": "江津区",
    "has_filing": "true",
    "shooting_days_in_jiangjin": "20",
    "local_spend": "1200000",
}


def _apply_links(content: str) -> dict[str, str]:
    """item code → href of its 立即申报 link in the result table."""
    links = {}
    for href, code in re.findall(r'<a class="button primary" href="([^"]+)" aria-label="立即申报 (\S+) ', content):
        links[code] = unescape(href)
    return links


def test_date_input_value_is_iso_in_every_language():
    for language in ("zh-hans", "en"):
        with translation.override(language):
            html = HtmlDateInput().render("established_on", dt.date(2021, 3, 15))
        assert 'value="2021-03-15"' in html, (language, html)
        assert 'type="date"' in html


def test_calculator_prefills_the_founding_date_as_a_browser_reads_it(client, catalogue):
    membership = MembershipFactory(company=CompanyFactory(established_on=dt.date(2021, 3, 15)))
    client.force_login(membership.user)
    with translation.override("zh-hans"):
        content = client.get(reverse("policies:calculator")).content.decode()
    field = re.search(r'<input type="date" name="established_on"[^>]*>', content).group(0)
    assert 'value="2021-03-15"' in field
    assert "2021/03/15" not in content


def test_the_calculator_form_reads_the_iso_date_back():
    form = CalculatorForm({"established_on": "2021-03-15"})
    assert form.is_valid(), form.errors
    assert form.facts()["established_on"] == dt.date(2021, 3, 15)


def test_apply_now_only_beside_eligible_results(client, catalogue, seeded_round):
    response = client.get(reverse("policies:calculator"), FILM_01_OK)
    results = {item.code: (evaluation, link) for item, evaluation, link in response.context["results"]}
    links = _apply_links(response.content.decode())
    assert results["JJ-FILM-01"][0].eligible
    assert "JJ-FILM-01" in links
    for code, (evaluation, _link) in results.items():
        assert (code in links) == evaluation.eligible, code
    assert "JJ-FILM-05" not in links  # no box office entered: not eligible, so no link
    href = links["JJ-FILM-01"]
    assert href.startswith("/my/apply/JJ-FILM-01/?")
    assert "local_spend=1200000" in href and "shooting_days_in_jiangjin=20" in href and "has_filing=true" in href
    # registry facts come from the company on the apply page, not from the link
    assert "registration_district" not in href


def test_results_are_the_anchor_the_form_goes_to(client, catalogue):
    content = client.get(reverse("policies:calculator"), FILM_01_OK).content.decode()
    assert 'action="#results"' in content
    assert re.search(r'<section id="results"[^>]*tabindex="-1"[^>]*data-focus-on-load', content)


def test_apply_now_opens_the_apply_page_filled_in_as_calculated(client, catalogue, seeded_round):
    membership = MembershipFactory()
    client.force_login(membership.user)
    response = client.get(reverse("policies:calculator"), {**FILM_01_OK, "company": membership.company.pk})
    href = _apply_links(response.content.decode())["JJ-FILM-01"]
    assert f"company={membership.company.pk}" in href
    page = client.get(href)
    assert page.status_code == 200
    form = page.context["form"]
    assert form.initial["local_spend"] == Decimal("1200000")
    assert form.initial["shooting_days_in_jiangjin"] == Decimal("20")
    assert form.initial["has_filing"] == "true"
    assert page.context["start"].initial["company"] == membership.company
    content = page.content.decode()
    assert re.search(r'name="local_spend"[^>]*value="1,200,000.00"', content)


def test_item_page_offers_apply_now_while_a_round_is_open(client, catalogue, seeded_round):
    content = client.get(reverse("policies:item", args=["JJ-FILM-01"])).content.decode()
    assert 'href="/my/apply/JJ-FILM-01/"' in content
    assert "立即申报" in content


def test_item_page_without_an_open_round_says_so(client, catalogue, seeded_round):
    seeded_round.closes_at = timezone.now() - dt.timedelta(days=1)
    seeded_round.save()
    content = client.get(reverse("policies:item", args=["JJ-FILM-01"])).content.decode()
    assert "立即申报" not in content
    assert "该事项当前没有开放的申报批次" in content
