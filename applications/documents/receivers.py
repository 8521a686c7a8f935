"""The documents app listens to the workflow; it never calls into it.

Both receivers run inside the transaction of the transition (the workflow sends its signals there), so the
document number is taken — and given back on rollback — together with the state change.
"""

from __future__ import annotations

from applications import workflow

from .constants import DocumentKind, DocumentStatus
from .contexts import batch_context, case_context
from .services import issue_document, revoke_document

# Kinds a case holds at most one issued copy of. A case approved while the decision was still issued at
# `approve` already has it when its notice ends; it must not get a second number.
ONCE_PER_CASE = {DocumentKind.APPROVAL_DECISION}


def on_case_transitioned(
    sender, *, application, transition, target=None, actor=None, comment="", document_kind=None, **kwargs
) -> None:
    # The table says which issued documents no longer stand after the transition (the approval decision after a
    # clawback; after a rejection only for a case that got its decision at `approve`, before the decision moved
    # to the end of the public notice).
    revokes = workflow.TRANSITION_BY_KEY[transition].revokes
    for document in application.documents.filter(kind__in=revokes, status=DocumentStatus.ISSUED):
        revoke_document(document, actor=actor, reason=comment or transition)
    if (
        document_kind in ONCE_PER_CASE
        and application.documents.filter(kind=document_kind, status=DocumentStatus.ISSUED).exists()
    ):
        return
    if document_kind:
        issue_document(
            document_kind,
            context=case_context(document_kind, application, comment=comment or ""),
            application=application,
            actor=actor,
            transition=transition,
        )


def on_notice_batch_started(sender, *, batch, actor=None, **kwargs) -> None:
    issue_document(
        DocumentKind.PUBLIC_NOTICE_LIST,
        context=batch_context(batch),
        batch=batch,
        actor=actor,
        transition="start_public_notice",
    )


def connect() -> None:
    from applications.signals import case_transitioned, notice_batch_started

    case_transitioned.connect(on_case_transitioned, dispatch_uid="documents.on_case_transitioned")
    notice_batch_started.connect(on_notice_batch_started, dispatch_uid="documents.on_notice_batch_started")
