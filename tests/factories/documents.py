"""Factories for issued documents. ``DocumentFactory(application=case)`` issues through the service (a real
number from the locked counter, a frozen context); traits ``revoked`` and ``rendered``. The case a document is
about: ``ApplicationFactory(box_office=True, approved=True)`` (tests/factories/applications.py)."""

import factory

from applications.documents import services
from applications.documents.constants import DocumentKind
from applications.documents.contexts import case_context
from applications.documents.models import Document
from applications.documents.samples import sample_context


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
