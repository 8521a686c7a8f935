"""Applicant pages through the test client: start, live calculation, materials, submit, correction, withdraw."""

from decimal import Decimal

import pytest
from django.urls import reverse

from applications import services
from applications.models import Application

from .conftest import pdf_file

pytestmark = pytest.mark.django_db


def login(client, user):
    client.force_login(user)
    return client


def test_my_cases_lists_own_company_cases_only(client, member, case_of):
    mine = case_of(member, submitted=True)
    other = case_of(__import__("tests.factories.companies", fromlist=["MembershipFactory"]).MembershipFactory())
    login(client, member.user)
    response = client.get(reverse("portal:my_cases"))
    assert response.status_code == 200
    assert mine.case_number in response.text
    assert other.case_number not in response.text


def test_apply_form_is_built_from_item_fields_with_units_and_prefilled_company(client, member, item, open_round):
    login(client, member.user)
    response = client.get(reverse("portal:apply", args=[item.code]))
    assert response.status_code == 200
    text = response.text
    assert "在江津消费金额" in text and "在江津拍摄天数" in text
    assert 'id="id_local_spend_unit">元<' in text and 'aria-describedby="id_local_spend_unit"' in text
    assert 'id="id_shooting_days_in_jiangjin_unit">天<' in text
    assert member.company.name in text
    assert 'hx-post="' + reverse("portal:evaluate", args=[item.code]) in text


def test_live_evaluation_shows_amount_with_separators(client, member, item, open_round):
    login(client, member.user)
    response = client.post(
        reverse("portal:evaluate", args=[item.code]),
        {"project_title": "x", "local_spend": "1,234,567.8", "shooting_days_in_jiangjin": "20"},
    )
    assert response.status_code == 200
    assert "¥123,456.78" in response.text


def test_apply_creates_draft_and_errors_sit_next_to_the_field(client, member, item, open_round):
    login(client, member.user)
    url = reverse("portal:apply", args=[item.code])
    bad = client.post(
        url, {"company": member.company.pk, "round": open_round.pk, "project_title": "", "local_spend": "abc"}
    )
    assert bad.status_code == 200
    assert "请填写项目或作品名称。" in bad.text
    assert "请填写数字" in bad.text
    assert not Application.objects.exists()
    ok = client.post(
        url,
        {
            "company": member.company.pk,
            "round": open_round.pk,
            "project_title": "电影《白沙》",
            "local_spend": "1,000,000",
            "shooting_days_in_jiangjin": "20",
        },
    )
    app = Application.objects.get()
    assert ok.status_code == 302 and ok.url == reverse("portal:case", args=[app.pk])
    assert app.state == "draft" and app.facts["local_spend"] == "1000000.00"


def test_upload_submit_and_refusals(client, member, case_of):
    app = case_of(member, integrity_pledge_at=None)
    login(client, member.user)
    # Submitting without materials is refused with the missing materials named.
    response = client.post(reverse("portal:case_submit", args=[app.pk]), {"pledge": "on"})
    assert response.status_code == 409
    assert "营业执照" in response.text
    # A file of the wrong type is refused next to its material, by the server.
    bad = client.post(
        reverse("portal:material_upload", args=[app.pk, "invoices"]),
        {"file": pdf_file("x.png", b"not really")},
    )
    assert bad.status_code == 400
    for key in ("licence", "invoices"):
        response = client.post(reverse("portal:material_upload", args=[app.pk, key]), {"file": pdf_file(f"{key}.pdf")})
        assert response.status_code == 302
    no_pledge = client.post(reverse("portal:case_submit", args=[app.pk]), {})
    assert no_pledge.status_code == 400 and "诚信承诺" in no_pledge.text
    response = client.post(reverse("portal:case_submit", args=[app.pk]), {"pledge": "on"})
    assert response.status_code == 302
    app.refresh_from_db()
    assert app.state == "submitted" and app.computed_amount == Decimal("100000.00")
    page = client.get(reverse("portal:case", args=[app.pk]))
    assert "受理期限" in page.text and "提交申报" in page.text


def test_correction_only_replaces_listed_materials(client, member, case_of, staff):
    app = case_of(member)
    for key in ("licence", "invoices"):
        services.add_material(app, member.user, key=key, uploaded_file=pdf_file(f"{key}.pdf"))
    services.perform(app, "submit", member.user)
    services.perform(
        app,
        "request_correction",
        staff["clerk"],
        comment="发票不清晰",
        items=[{"kind": "material", "key": "invoices", "problem": "faulty", "note": "请重新扫描"}],
    )
    login(client, member.user)
    page = client.get(reverse("portal:case", args=[app.pk]))
    assert "补正通知" in page.text and "请重新扫描" in page.text
    assert reverse("portal:material_upload", args=[app.pk, "invoices"]) in page.text
    assert reverse("portal:material_upload", args=[app.pk, "licence"]) not in page.text
    refused = client.post(reverse("portal:material_upload", args=[app.pk, "licence"]), {"file": pdf_file()})
    assert refused.status_code == 400 and "补正通知中列出的材料" in refused.text
    client.post(reverse("portal:material_upload", args=[app.pk, "invoices"]), {"file": pdf_file("new.pdf", b"v2")})
    response = client.post(reverse("portal:case_submit", args=[app.pk]), {"pledge": "on"})
    assert response.status_code == 302
    app.refresh_from_db()
    assert app.state == "submitted" and app.revision == 2


def test_withdraw(client, member, case_of):
    app = case_of(member, submitted=True)
    login(client, member.user)
    asked = client.post(reverse("portal:case_withdraw", args=[app.pk]), {"comment": "项目延期"})
    assert asked.status_code == 200 and "确认撤回申报" in asked.text and "项目延期" in asked.text
    app.refresh_from_db()
    assert app.state == "submitted"  # nothing happens before 确认
    response = client.post(reverse("portal:case_withdraw", args=[app.pk]), {"comment": "项目延期", "confirmed": "1"})
    assert response.status_code == 302
    app.refresh_from_db()
    assert app.state == "withdrawn"


def test_other_company_gets_404_on_every_applicant_url(client, member, case_of):
    from tests.factories.companies import MembershipFactory

    app = case_of(member)
    material = services.add_material(app, member.user, key="licence", uploaded_file=pdf_file())
    stranger = MembershipFactory().user
    login(client, stranger)
    for url in (
        reverse("portal:case", args=[app.pk]),
        reverse("portal:material", args=[material.pk]),
    ):
        assert client.get(url).status_code == 404, url
    for url in (
        reverse("portal:case_save", args=[app.pk]),
        reverse("portal:case_submit", args=[app.pk]),
        reverse("portal:case_withdraw", args=[app.pk]),
        reverse("portal:material_upload", args=[app.pk, "licence"]),
        reverse("portal:case_evaluate", args=[app.pk]),
    ):
        assert client.post(url, {"pledge": "on"}).status_code == 404, url
    app.refresh_from_db()
    assert app.state == "draft"


def test_staff_cannot_open_applicant_pages_and_anonymous_must_log_in(client, member, case_of, staff):
    app = case_of(member)
    assert client.get(reverse("portal:case", args=[app.pk])).status_code == 302
    login(client, staff["clerk"])
    assert client.get(reverse("portal:my_cases")).status_code == 403


def test_apply_from_an_invitation_prefills_its_facts_and_marks_it_started(client, member, item, open_round):
    from policies.models import Invitation

    invitation = Invitation.objects.create(
        company=member.company,
        item=item,
        round=open_round,
        estimated_amount=Decimal("60000.00"),
        snapshot={"facts": {"local_spend": "600000", "shooting_days_in_jiangjin": 18}},
    )
    login(client, member.user)
    listing = client.get(reverse("portal:my_cases")).text
    start = reverse("portal:apply", args=[item.code]) + f"?invitation={invitation.pk}"
    assert start.replace("&", "&amp;") in listing or start in listing
    form = client.get(start).text
    assert 'value="600,000.00"' in form and 'value="18"' in form
    assert "¥60,000.00" in form  # the live panel starts from the pre-filled facts
    response = client.post(
        start,
        {
            "company": member.company.pk,
            "round": open_round.pk,
            "project_title": "剧集《江津》",
            "local_spend": "600,000.00",
            "shooting_days_in_jiangjin": "18",
        },
    )
    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.STARTED


def test_pages_render_in_english_too(client, member, case_of, staff):
    app = case_of(member, submitted=True)
    client.cookies["django_language"] = "en"
    client.force_login(member.user)
    response = client.get(reverse("portal:case", args=[app.pk]))
    assert response.status_code == 200 and '<html lang="en">' in response.text
    client.force_login(staff["manager"])
    for url in (reverse("portal:dashboard"), reverse("portal:workbench"), reverse("portal:notices")):
        response = client.get(url)
        assert response.status_code == 200 and '<html lang="en">' in response.text


def test_my_cases_are_paged(client, member, case_of):
    from applications.portal.views import CASES_PAGE_SIZE

    cases = [case_of(member, submitted=True) for _ in range(CASES_PAGE_SIZE + 2)]
    client.force_login(member.user)
    url = reverse("portal:my_cases")
    first = client.get(url)
    assert first.context["page"].paginator.count == CASES_PAGE_SIZE + 2
    shown = [c for c in cases if c.case_number in first.text]
    assert len(shown) == CASES_PAGE_SIZE
    second = client.get(url, {"page": 2}).text
    assert {c.case_number for c in cases} - {c.case_number for c in shown} == {
        c.case_number for c in cases if c.case_number in second
    }
