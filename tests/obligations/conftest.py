"""Cases approved the way the office approves them: the applicant's draft, materials and submission, the clerk's
acceptance, the reviewer's review with two experts, the approver's decision, and the public notice ending on
the daily run (tick_deadlines → conclude_notice, which makes the obligations)."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from applications import services
from applications.services import review
from tests.browser.test_portal_flow import pdf_bytes
from tests.factories.companies import CompanyFactory, MembershipFactory, UserFactory


def pdf(name: str = "报告.pdf", label: str = "report") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, pdf_bytes(label), content_type="application/pdf")


@pytest.fixture
def catalogue(db):
    """The seeded policy, its items, this year's round and the seeded obligation rules (seed_policies)."""
    from django.core.management import call_command

    call_command("seed_policies", verbosity=0, stdout=open("/dev/null", "w"))


class World:
    def __init__(self, staff, clock):
        self.staff = staff
        self.clock = clock
        self.experts = [
            UserFactory(username="expert-a", roles=["expert"]),
            UserFactory(username="expert-b", roles=["expert"]),
        ]

    def member(self, company=None, username=None):
        company = company or CompanyFactory()
        kwargs = {"user__username": username} if username else {}
        return MembershipFactory(company=company, **kwargs).user

    def approved(self, code: str, facts: dict | None = None, *, owner=None, company=None, amount=None):
        """A case of item ``code`` taken to 已批准 through the services the pages call. Returns (case, owner)."""
        from policies.models import Round, SupportItem

        item = SupportItem.objects.get(code=code)
        owner = owner or self.member(company)
        company = owner.memberships.get().company
        app = services.create_draft(
            owner,
            company=company,
            item=item,
            round=Round.objects.get(year=self.clock.today.year),
            project_title=f"{code} 测试项目",
            facts=facts or {},
        )
        for m in item.materials:
            services.add_material(app, owner, key=m["key"], uploaded_file=pdf(f"{m['key']}.pdf", m["key"]))
        services.update_draft(app, owner, integrity_pledge=True)
        services.perform(app, "submit", owner)
        services.perform(app, "accept", self.staff["clerk"])
        services.perform(app, "start_review", self.staff["reviewer"])
        services.assign_experts([app], self.experts, self.staff["reviewer"])
        services.perform(app, "send_to_experts", self.staff["reviewer"])
        for expert in self.experts:
            if hasattr(review, "declare_interest"):  # the conflict-of-interest declaration, where it exists
                review.declare_interest(app, expert, conflict=False)
            rubric = list(item.rubric.all()) if hasattr(item, "rubric") else []  # a scoring rubric, where seeded
            if rubric:
                services.give_opinion(app, expert, opinion="support", scores={c.pk: c.maximum for c in rubric})
            else:
                services.give_opinion(app, expert, opinion="support", score=90)
        app.refresh_from_db()
        assert app.state == "pending_decision", app.state
        services.perform(app, "approve", self.staff["approver"], amount=str(amount or app.reviewed_amount))
        app.refresh_from_db()
        self.clock.set(app.due_date)
        self.clock.advance_working_days(1)
        services.tick_deadlines()
        app.refresh_from_db()
        assert app.state == "approved", app.state
        return app, owner

    def pay(self, app, amount=None, paid_on: date | None = None, voucher: str | None = None):
        return services.record_disbursement(
            app,
            self.staff["finance"],
            amount=str(amount or app.remaining_to_disburse),
            paid_on=paid_on or self.clock.today,
            voucher_number=voucher or f"PZ-{app.pk}-{app.disbursements.count() + 1}",
        )


@pytest.fixture
def world(catalogue, staff, clock):
    return World(staff, clock)
