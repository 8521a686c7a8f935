"""The company's document store (单位证照): a licence kept once, chosen on an application, frozen by its hash at
submission; a replacement in the store never changes a submitted case; an expired licence is not offered; other
companies see nothing of it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from applications import services
from applications.models import Application
from companies.models import CompanyDocument
from tests.factories.companies import CompanyFactory, MembershipFactory

pytestmark = pytest.mark.django_db


def pdf(name: str, body: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4\n" + body + b"\n%%EOF\n", content_type="application/pdf")


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def catalogue(db):
    from policies.services import seed_catalogue

    seed_catalogue()


@pytest.fixture
def member(catalogue):
    return MembershipFactory(company=CompanyFactory(name="山城影业有限公司"), user__username="shancheng").user


@pytest.fixture
def stranger(catalogue):
    return MembershipFactory(company=CompanyFactory(name="别家影业有限公司"), user__username="other").user


def upload_licence(user, body: bytes, valid_until: dt.date | None, name="营业执照.pdf"):
    company = user.memberships.get().company
    return signed_in(user).post(
        reverse("companies:document_upload", args=[company.credit_code, "business_licence"]),
        {"file": pdf(name, body), "valid_until": valid_until.isoformat() if valid_until else ""},
    )


def draft_for(user) -> Application:
    from policies.models import Round, SupportItem

    item = SupportItem.objects.get(code="JJ-FILM-01")
    app = services.create_draft(
        user,
        company=user.memberships.get().company,
        item=item,
        round=Round.objects.get(),
        project_title="《山城》剧组",
        facts={"has_filing": True, "shooting_days_in_jiangjin": "20", "local_spend": "800000"},
    )
    for material in item.materials:
        if material["key"] != "business_licence":
            services.add_material(app, user, key=material["key"], uploaded_file=pdf(f"{material['key']}.pdf", b"x"))
    return app


def served(client: Client, material_pk: int) -> bytes:
    response = client.get(reverse("portal:material", args=[material_pk]))
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def test_a_reused_licence_is_frozen_by_its_hash_at_submission(member, clock):
    today = clock.today
    store_page = reverse("companies:documents", args=[member.memberships.get().company.credit_code])
    assert upload_licence(member, b"licence 2026", today + dt.timedelta(days=365)).status_code == 302
    page = signed_in(member).get(store_page).content.decode()
    assert "营业执照.pdf" in page and 'badge ok">有效<' in page and (today + dt.timedelta(days=365)).isoformat() in page
    first = CompanyDocument.objects.get()

    app = draft_for(member)
    client = signed_in(member)
    case_page = client.get(reverse("portal:case", args=[app.pk])).content.decode()
    assert "使用单位证照库中的文件" in case_page
    chosen = client.post(reverse("portal:material_from_store", args=[app.pk, "business_licence"]))
    assert chosen.status_code == 302
    material = app.current_materials().get(key="business_licence")
    assert material.company_document == first and material.sha256 == first.sha256
    assert "来自单位证照库" in client.get(reverse("portal:case", args=[app.pk])).content.decode()

    submitted = client.post(reverse("portal:case_submit", args=[app.pk]), {"pledge": "on"})
    assert submitted.status_code == 302
    app.refresh_from_db()
    assert app.state == "submitted"
    assert app.revisions.get().materials["business_licence"] == first.sha256

    # The licence is renewed in the store: a new file; the submitted case keeps the one it was given.
    assert upload_licence(member, b"licence 2027", today + dt.timedelta(days=730), "新营业执照.pdf").status_code == 302
    renewed = CompanyDocument.objects.get(superseded_at__isnull=True)
    first.refresh_from_db()
    assert renewed.sha256 != first.sha256 and first.superseded_at is not None
    assert renewed.file.name != first.file.name
    material.refresh_from_db()
    assert material.sha256 == first.sha256 and material.original_name == "营业执照.pdf"
    assert b"licence 2026" in served(client, material.pk)
    assert app.revisions.get().materials["business_licence"] == first.sha256
    assert "营业执照.pdf" in client.get(reverse("portal:case", args=[app.pk])).content.decode()
    office = signed_in(_reviewer())
    assert b"licence 2026" in served(office, material.pk)
    assert "已被替换的证照" in signed_in(member).get(store_page).content.decode()

    # A new application takes the renewed licence.
    later = draft_for(member)
    signed_in(member).post(reverse("portal:material_from_store", args=[later.pk, "business_licence"]))
    assert later.current_materials().get(key="business_licence").sha256 == renewed.sha256


def _reviewer():
    from tests.factories.companies import UserFactory

    return UserFactory(username="reviewer1", roles=["reviewer"])


def test_an_expired_licence_is_not_offered_and_cannot_be_chosen(member, clock):
    today = clock.today
    past = upload_licence(member, b"old", today - dt.timedelta(days=1))
    assert past.status_code == 400 and "有效期已过" in past.content.decode()
    assert upload_licence(member, b"licence", today + dt.timedelta(days=2)).status_code == 302
    app = draft_for(member)
    clock.set(today + dt.timedelta(days=10))

    client = signed_in(member)
    page = client.get(reverse("portal:case", args=[app.pk])).content.decode()
    assert "使用单位证照库中的文件" not in page
    assert "过期，不能选用" in page
    refused = client.post(reverse("portal:material_from_store", args=[app.pk, "business_licence"]))
    assert refused.status_code == 400 and "过期，不能选用" in refused.content.decode()
    assert not app.current_materials().filter(key="business_licence").exists()
    store = client.get(reverse("companies:documents", args=[member.memberships.get().company.credit_code]))
    assert "已过期，不能选用，请更换" in store.content.decode()


def test_other_companies_cannot_see_or_use_the_store(member, stranger, clock):
    assert upload_licence(member, b"licence", clock.today + dt.timedelta(days=30)).status_code == 302
    document = CompanyDocument.objects.get()
    company = member.memberships.get().company
    other = signed_in(stranger)
    assert other.get(reverse("companies:documents", args=[company.credit_code])).status_code == 404
    assert other.get(reverse("companies:document_file", args=[document.pk])).status_code == 404
    forged = other.post(
        reverse("companies:document_upload", args=[company.credit_code, "business_licence"]),
        {"file": pdf("假执照.pdf", b"fake"), "valid_until": ""},
    )
    assert forged.status_code == 404 and CompanyDocument.objects.count() == 1

    # The stranger's own application offers nothing from the other company's store.
    theirs = draft_for(stranger)
    page = other.get(reverse("portal:case", args=[theirs.pk])).content.decode()
    assert "使用单位证照库中的文件" not in page and "营业执照.pdf" not in page
    refused = other.post(reverse("portal:material_from_store", args=[theirs.pk, "business_licence"]))
    assert refused.status_code == 400 and "单位证照库中还没有" in refused.content.decode()
    # The member's own file is theirs: it opens for them.
    assert signed_in(member).get(reverse("companies:document_file", args=[document.pk])).status_code == 200


def test_the_store_takes_uploads_through_the_same_checks_as_materials(member, clock):
    fake = signed_in(member).post(
        reverse("companies:document_upload", args=[member.memberships.get().company.credit_code, "business_licence"]),
        {"file": SimpleUploadedFile("营业执照.pdf", b"MZ\x90\x00 not a pdf"), "valid_until": ""},
    )
    assert fake.status_code == 400 and not CompanyDocument.objects.exists()
