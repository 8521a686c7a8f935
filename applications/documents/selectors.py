"""Reads of the documents app: who may download what, and what the public verification page shows."""

from __future__ import annotations

import hashlib
import logging

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from .models import CODE_ALPHABET, CODE_LENGTH, Document

logger = logging.getLogger(__name__)


def normalize_code(code: str) -> str | None:
    """Codes are printed in groups (ABCD-EFGH-…); people type them in lower case, with spaces or dashes."""
    cleaned = "".join(ch for ch in code.upper() if ch not in " -")
    if len(cleaned) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in cleaned):
        return None
    return cleaned


def document_by_code(code: str) -> Document | None:
    cleaned = normalize_code(code)
    if cleaned is None:
        return None
    return Document.objects.filter(verification_code=cleaned).first()


def can_download(user, document: Document) -> tuple[bool, str]:
    """(allowed, why not): a case's document, whoever sees the case (applications.visibility: the office, the
    experts assigned, the company's confirmed members); a public-notice batch's, the office and the confirmed
    members of a company with a case in the batch (not the experts)."""
    from applications.visibility import APPLICANT, cases_visible_to, may_open_details, sees_every_case

    if not getattr(user, "is_authenticated", False):
        return False, str(_("请先登录。"))
    if sees_every_case(user):
        allowed = True
    elif document.application_id is not None:
        # An expert opens the case's documents after declaring no conflict of interest, like its materials.
        allowed = may_open_details(user, document.application)
    elif document.batch_id is not None:
        batch_cases = cases_visible_to(user, frozenset({APPLICANT})).filter(notice_batch_id=document.batch_id)
        allowed = batch_cases.exists()
    else:
        allowed = False
    return (True, "") if allowed else (False, str(_("您无权查看该文书。")))


def documents_for_application(application) -> QuerySet[Document]:
    return Document.objects.filter(application=application).order_by("issued_at", "id")


def read_verified_pdf(document: Document) -> bytes | None:
    """The stored PDF, but only if it still has the hash recorded at rendering: a changed file is never served."""
    with document.file.open("rb") as fh:
        data = fh.read()
    if hashlib.sha256(data).hexdigest() != document.sha256:
        logger.error("stored PDF of document %s (%s) no longer matches its SHA-256", document.pk, document.number)
        return None
    return data
