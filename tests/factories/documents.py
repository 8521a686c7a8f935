"""Factories for issued documents. ``DocumentFactory(application=case)`` issues through the service (a real
number from the locked counter, a frozen context); traits ``revoked`` and ``rendered``."""

from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from applications.documents import services
from applications.documents.constants import DocumentKind
from applications.documents.contexts import case_context
from applications.documents.models import Document
from applications.documents.samples import sample_context

from .companies import CompanyFactory, MembershipFactory


class DocumentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Document
        skip_postgeneration_save = True

    kind = DocumentKind.APPROVAL_DECISION
    application = None
    issued_at = None
    revoke_reason = ""
    render = False

    class Params:
        revoked = factory.Trait(revoke_reason="骗取扶持资金，已追回")
        rendered = factory.Trait(render=True)

    @classmethod
    def _create(cls, model_class, *, kind, application=None, issued_at=None, revoke_reason="", render=False, **kw):
        context = case_context(kind, application) if application is not None else sample_context(kind)
        document = services.issue_document(
            kind, context=context, application=application, issued_at=issued_at, render_after_commit=False
        )
        if render:
            document = services.render_document(document.pk)
        if revoke_reason:
            document = services.revoke_document(document, reason=revoke_reason)
        return document


class DocPolicyFactory(factory.django.DjangoModelFactory):
    """A small policy of our own, so document tests do not depend on the seeded catalogue."""

    class Meta:
        model = "policies.Policy"

    title = "江津区影视产业发展扶持办法（试行）"
    issuing_body = "江津区委宣传部"
    document_number = "江津府发〔2026〕8号"
    effective_from = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=365))
    status = "published"


class DocItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "policies.SupportItem"

    policy = factory.SubFactory(DocPolicyFactory)
    code = factory.Sequence(lambda n: f"T-DOC-{n:03d}")
    name = "院线票房奖励"
    materials = [
        {"key": "licence", "label": "营业执照", "required": True, "accepted_types": ["pdf"]},
        {"key": "box_office_proof", "label": "票房证明", "required": True, "accepted_types": ["pdf"]},
    ]
    form_fields = [{"key": "box_office", "label": "票房收入", "type": "number", "unit": "元", "required": True}]
    amount_expression = "1000000"


class DocRoundFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "policies.Round"

    policy = factory.SubFactory(DocPolicyFactory)
    name = factory.Sequence(lambda n: f"2026年第{n}批")
    year = factory.LazyFunction(lambda: timezone.localdate().year)
    opens_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=30))
    closes_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=30))
    budget = Decimal("20000000.00")


class DocCaseFactory(factory.django.DjangoModelFactory):
    """A case at a given stage (state set at construction only; later moves go through perform())."""

    class Meta:
        model = "applications.Application"

    case_number = factory.Sequence(lambda n: f"JJYS-DOC-{n:05d}")
    company = factory.SubFactory(CompanyFactory)
    item = factory.SubFactory(DocItemFactory)
    round = factory.LazyAttribute(lambda app: DocRoundFactory(policy=app.item.policy))
    project_title = factory.Sequence(lambda n: f"电影《白沙往事{n}》")
    facts = factory.LazyFunction(lambda: {"box_office": "120000000"})
    integrity_pledge_at = factory.LazyFunction(timezone.now)
    submitted_at = factory.LazyFunction(timezone.now)
    requested_amount = Decimal("1000000.00")
    computed_amount = Decimal("1000000.00")
    state = "submitted"

    class Params:
        approved = factory.Trait(
            state="approved",
            reviewed_amount=Decimal("1000000.00"),
            approved_amount=Decimal("1000000.00"),
            decided_at=factory.LazyFunction(timezone.now),
        )
        pending_decision = factory.Trait(state="pending_decision", reviewed_amount=Decimal("1000000.00"))


def member_of(company):
    """A confirmed applicant user of the company."""
    return MembershipFactory(company=company).user
