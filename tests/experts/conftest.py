"""A JJ-FILM-01 case of the seeded catalogue in preliminary review, built through the services its applicant,
clerk and reviewer use (the pages are tested with it in test_fair_review)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from applications import services
from tests.factories.companies import CompanyFactory, MembershipFactory, UserFactory


def pdf(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(
        f"{name}.pdf", b"%PDF-1.4\n" + name.encode() + b"\n%%EOF\n", content_type="application/pdf"
    )


@pytest.fixture
def catalogue(db):
    from policies.services import seed_catalogue

    seed_catalogue()


@pytest.fixture
def people(catalogue):
    """The applicant (a confirmed member of 山城影业), the office and three experts, with real names."""
    applicant = MembershipFactory(company=CompanyFactory(name="山城影业有限公司"), user__username="shancheng").user
    return {
        "applicant": applicant,
        "clerk": UserFactory(username="clerk1", roles=["clerk"]),
        "reviewer": UserFactory(username="reviewer1", roles=["reviewer"]),
        "approver": UserFactory(username="approver1", roles=["approver"]),
        "expert_a": UserFactory(username="expert-a", first_name="张评审", last_name="", roles=["expert"]),
        "expert_b": UserFactory(username="expert-b", first_name="李评审", last_name="", roles=["expert"]),
        "expert_c": UserFactory(username="expert-c", first_name="王评审", last_name="", roles=["expert"]),
    }


@pytest.fixture
def case(people):
    """Submitted with every material, accepted, and in preliminary review."""
    from policies.models import Round, SupportItem

    owner = people["applicant"]
    item = SupportItem.objects.get(code="JJ-FILM-01")
    app = services.create_draft(
        owner,
        company=owner.memberships.get().company,
        item=item,
        round=Round.objects.get(),
        project_title="《山城》剧组",
        facts={"has_filing": True, "shooting_days_in_jiangjin": "20", "local_spend": "800000"},
    )
    for material in item.materials:
        services.add_material(app, owner, key=material["key"], uploaded_file=pdf(material["key"]))
    services.update_draft(app, owner, integrity_pledge=True)
    services.perform(app, "submit", owner)
    services.perform(app, "accept", people["clerk"])
    services.perform(app, "start_review", people["reviewer"])
    app.refresh_from_db()
    return app
