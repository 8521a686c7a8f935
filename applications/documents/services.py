"""Writes of the documents app: issue a numbered document, render its PDF once, revoke it.

Numbers come from a DocumentCounter row locked with SELECT … FOR UPDATE inside the caller's transaction
(the transition that issues the document), so they are gap-free: a transition that rolls back also rolls
back its number. The unique constraint (issuer, year, sequence) is the last word if anything else went wrong.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import date
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from invest.audit import audit

from . import rendering
from .constants import DocumentKind, DocumentStatus, format_number, issuer_for
from .models import Document, DocumentCounter

logger = logging.getLogger(__name__)


def allocate_number(issuer: str, year: int) -> int:
    """The next sequence number of this issuer and year. Must run inside the issuing transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("allocate_number must run inside the transaction that issues the document")
    # INSERT … ON CONFLICT DO NOTHING: the first document of a year creates the row; a concurrent creator waits.
    DocumentCounter.objects.bulk_create([DocumentCounter(issuer=issuer, year=year)], ignore_conflicts=True)
    counter = DocumentCounter.objects.select_for_update().get(issuer=issuer, year=year)
    DocumentCounter.objects.filter(pk=counter.pk).update(last_number=F("last_number") + 1)
    return counter.last_number + 1


def issue_document(
    kind: str,
    *,
    context: dict[str, Any],
    application=None,
    batch=None,
    actor=None,
    transition: str = "",
    issued_at=None,
    render_after_commit: bool = True,
) -> Document:
    """Number a document and freeze its context, in the caller's transaction; render the PDF after commit."""
    kind = DocumentKind(kind).value
    issued_at = issued_at or timezone.now()
    year = timezone.localtime(issued_at).year
    with transaction.atomic():
        issuer = issuer_for(kind)
        sequence = allocate_number(issuer, year)
        document = Document.objects.create(
            kind=kind,
            issuer=issuer,
            year=year,
            sequence=sequence,
            number=format_number(issuer, year, sequence),
            context=context,
            application=application,
            batch=batch,
            issued_at=issued_at,
            issued_by=actor if getattr(actor, "is_authenticated", False) else None,
            transition=transition,
        )
        audit(
            actor,
            "document.issue",
            document,
            after={"kind": kind, "number": document.number, "application": getattr(application, "pk", None)},
        )
        if render_after_commit:
            transaction.on_commit(lambda: enqueue_render(document.pk))
    return document


def enqueue_render(document_id: int) -> None:
    """Hand the rendering to the task queue; a queue outage leaves the document unrendered, not lost."""
    from .tasks import render_document_task

    try:
        render_document_task.enqueue(document_id)
    except Exception:  # the document exists; `render_pending_documents` picks it up later
        logger.exception("could not enqueue rendering of document %s", document_id)


def render_document(document_id: int) -> Document:
    """Write the PDF of a document unless it already has one. Safe to call twice, from two workers at once.

    WeasyPrint runs outside any transaction (on SQLite a write transaction would serialise the workers for
    the whole render); the result is stored in a short locked transaction that first checks nobody stored
    a file meanwhile, so the first stored PDF and its hash are the only ones.
    """
    document = Document.objects.get(pk=document_id)
    if document.is_rendered:
        return document
    try:
        pdf = rendering.render_pdf(
            kind=document.kind,
            context=document.context,
            number=document.number,
            code=document.verification_code,
            issued_on=timezone.localtime(document.issued_at).date(),
        )
    except Exception as exc:
        Document.objects.filter(pk=document.pk).update(
            render_attempts=F("render_attempts") + 1, render_error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        raise
    with transaction.atomic():
        document = Document.objects.select_for_update().get(pk=document_id)
        if document.is_rendered:
            return document
        document.file.save(f"{document.year}/{document.verification_code}.pdf", ContentFile(pdf), save=False)
        document.sha256 = hashlib.sha256(pdf).hexdigest()
        document.size = len(pdf)
        document.rendered_at = timezone.now()
        document.render_attempts += 1
        document.render_error = ""
        document.save(update_fields=["file", "sha256", "size", "rendered_at", "render_attempts", "render_error"])
    return document


def render_pending_documents() -> int:
    """Render every document that has no file yet (after a queue outage); returns how many were rendered."""
    count = 0
    for pk in Document.objects.filter(sha256="").values_list("pk", flat=True):
        render_document(pk)
        count += 1
    return count


def revoke_document(document: Document, *, actor=None, reason: str) -> Document:
    """Mark a document revoked (the verification page then says so); its number and file stay as they were."""
    with transaction.atomic():
        document = Document.objects.select_for_update().get(pk=document.pk)
        if document.status == DocumentStatus.REVOKED:
            return document
        document.status = DocumentStatus.REVOKED
        document.revoked_at = timezone.now()
        document.revoked_reason = reason
        document.save(update_fields=["status", "revoked_at", "revoked_reason"])
        audit(
            actor, "document.revoke", document, before={"status": "issued"}, after={"status": "revoked"}, reason=reason
        )
    return document


def issued_on(document: Document) -> date:
    return timezone.localtime(document.issued_at).date()
