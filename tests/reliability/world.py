"""One small world with an object behind every URL parameter and a user for every role.

Company A has a case in expert review (with a material, an assigned expert and an issued document), a draft
and a case in public notice; company B has its own member. Used by the access matrix.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.files.base import ContentFile
from django.utils import timezone

from applications.models import Material, NoticeBatch
from companies.models import CompanyDocument, CompanyRegistration, Membership
from tests.factories.applications import ApplicationFactory, CaseItemFactory, ExpertAssignmentFactory
from tests.factories.companies import CompanyFactory, MembershipFactory, UserFactory
from tests.factories.documents import DocumentFactory
from tests.factories.investment import LeadFactory
from tests.factories.policies import InvitationFactory

ROLES = (
    "anonymous",
    "applicant_a",
    "applicant_b",
    "clerk",
    "reviewer",
    "expert_assigned",
    "expert_other",
    "approver",
    "finance",
    "manager",
    "auditor",
)

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@dataclass
class World:
    users: dict[str, Any] = field(default_factory=dict)
    objects: dict[str, Any] = field(default_factory=dict)


def build_world() -> World:
    from invest.roles import ensure_groups

    ensure_groups()
    w = World()
    company_a, company_b = CompanyFactory(), CompanyFactory()
    w.users["applicant_a"] = MembershipFactory(company=company_a).user
    w.users["applicant_b"] = MembershipFactory(company=company_b).user
    for role in ("clerk", "reviewer", "approver", "finance", "manager", "auditor"):
        w.users[role] = UserFactory(roles=[role])
    w.users["expert_assigned"] = UserFactory(roles=["expert"])
    w.users["expert_other"] = UserFactory(roles=["expert"])

    item = CaseItemFactory()
    case = ApplicationFactory(company=company_a, item=item, in_expert_review=True)
    ExpertAssignmentFactory(application=case, expert=w.users["expert_assigned"])
    ExpertAssignmentFactory(application=case, expert=w.users["expert_other"]).delete()  # the expert exists, unassigned
    draft = ApplicationFactory(company=company_a, item=item, round=case.round)
    batch = NoticeBatch.objects.create(title="2026年第一批公示", ends_on=timezone.localdate())
    noticed = ApplicationFactory(
        company=company_a, item=item, round=case.round, in_public_notice=True, notice_batch=batch
    )
    material = Material(application=case, key="licence", original_name="营业执照.pdf", kind="pdf", size=len(PDF))
    material.file.save("materials/2026/11/access-matrix.pdf", ContentFile(PDF), save=False)
    material.sha256 = "0" * 64
    material.save()
    document = DocumentFactory(application=case)
    # A reusable material on an item, so the company document store (单位证照) has a kind; and one document.
    CaseItemFactory(
        policy=item.policy,
        materials=[
            {
                "key": "business_licence",
                "label": "营业执照",
                "required": True,
                "reusable": True,
                "document_kind": "business_licence",
            }
        ],
    )
    company_document = CompanyDocument(
        company=company_a, kind="business_licence", original_name="营业执照.pdf", file_kind="pdf", size=len(PDF)
    )
    company_document.file.save("company-documents/2026/11/access-matrix.pdf", ContentFile(PDF), save=False)
    company_document.sha256 = "0" * 64
    company_document.save()
    pending = Membership.objects.create(
        user=UserFactory(roles=["applicant"]), company=company_a, status=Membership.Status.REQUESTED
    )
    colleague = MembershipFactory(company=company_a, decided_at=timezone.now())  # after applicant_a, the first
    registration = CompanyRegistration(
        requested_by=UserFactory(),
        credit_code=CompanyFactory.build().credit_code,
        name="待核实的新企业",
        legal_representative="王",
        registration_district="江津区",
        tax_district="江津区",
        contact_person="王",
        contact_phone="023-1",
        contact_email="new@example.com",
        licence_name="营业执照.pdf",
        licence_kind="pdf",
        licence_size=len(PDF),
        licence_sha256="0" * 64,
    )
    registration.licence.save("licences/2026/11/access-matrix.pdf", ContentFile(PDF), save=False)
    registration.save()
    invitation = InvitationFactory(company=company_a, item=item, round=case.round)
    lead = LeadFactory()
    from applications.models import Notification
    from companies.models import ImportJob

    import_job = ImportJob.objects.create(
        created_by=w.users["manager"],
        file_name="名录.csv",
        file_sha256="0" * 64,
        stored_file="imports/access-matrix.csv",
        status=ImportJob.Status.CHECKED,
    )
    notification = Notification.objects.create(
        recipient=w.users["applicant_a"], application=case, event="case.submit", subject="【案件】已提交"
    )
    w.objects.update(
        company_a=company_a,
        company_b=company_b,
        item=item,
        case=case,
        draft=draft,
        batch=batch,
        noticed=noticed,
        material=material,
        document=document,
        pending_membership=pending,
        colleague_membership=colleague,
        registration=registration,
        invitation=invitation,
        lead=lead,
        import_job=import_job,
        notification=notification,
        company_document=company_document,
    )
    return w
