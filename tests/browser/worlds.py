"""Cases the browser tests start from, built through the services an applicant and a clerk use."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from applications import services
from tests.factories.companies import CompanyFactory, MembershipFactory, UserFactory

from .test_portal_flow import pdf_bytes


def accepted_film_case(*, company: str, username: str, clerk: str, title: str):
    """A JJ-FILM-01 case of a new company whose member `username` filled it in, uploaded every material as a
    real PDF, submitted it with the pledge, and the clerk `clerk` accepted it. Returns (case, materials)."""
    from policies.models import Round, SupportItem

    item = SupportItem.objects.get(code="JJ-FILM-01")
    owner = MembershipFactory(company=CompanyFactory(name=company), user__username=username).user
    accepting = UserFactory(username=clerk, roles=["clerk"])
    app = services.create_draft(
        owner,
        company=owner.memberships.get().company,
        item=item,
        round=Round.objects.get(),
        project_title=title,
        facts={"has_filing": True, "shooting_days_in_jiangjin": "20", "local_spend": "800000"},
    )
    materials = [
        services.add_material(
            app, owner, key=m["key"], uploaded_file=SimpleUploadedFile(f"{m['key']}.pdf", pdf_bytes(m["key"]))
        )
        for m in item.materials
    ]
    services.update_draft(app, owner, integrity_pledge=True)
    services.perform(app, "submit", owner)
    services.perform(app, "accept", accepting)
    return app, materials
