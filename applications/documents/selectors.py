"""Reads of the documents app: who may download what, and what the public verification page shows."""

from __future__ import annotations

import hashlib
import logging

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from invest.roles import ALL_CASES_ROLES, has_role

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


def _is_member(user, company_id) -> bool:
    from companies.models import Membership

    return Membership.objects.filter(user=user, company_id=company_id, status=Membership.Status.CONFIRMED).exists()


def can_download(user, document: Document) -> tuple[bool, str]:
    """(allowed, why not): the case's company's confirmed members, the office, and experts assigned to the case."""
    if not getattr(user, "is_authenticated", False):
        return False, str(_("请先登录。"))
    if has_role(user, *ALL_CASES_ROLES):
        return True, ""
    application = document.application
    if application is not None:
        if _is_member(user, application.company_id):
            return True, ""
        if has_role(user, "expert") and application.expert_assignments.filter(expert=user).exists():
            return True, ""
    elif document.batch_id is not None:
        company_ids = document.batch.applications.values_list("company_id", flat=True)
        from companies.models import Membership

        if Membership.objects.filter(
            user=user, company_id__in=company_ids, status=Membership.Status.CONFIRMED
        ).exists():
            return True, ""
    return False, str(_("您无权查看该文书。"))


def documents_for_application(application) -> QuerySet[Document]:
    return Document.objects.filter(application=application).order_by("issued_at", "id")


def documents_for_user(user) -> QuerySet[Document]:
    """Documents of the companies the user is a confirmed member of (for an applicant's document list)."""
    from companies.models import Membership

    company_ids = Membership.objects.filter(user=user, status=Membership.Status.CONFIRMED).values("company_id")
    return Document.objects.filter(application__company_id__in=company_ids).select_related("application")


def read_verified_pdf(document: Document) -> bytes | None:
    """The stored PDF, but only if it still has the hash recorded at rendering: a changed file is never served."""
    with document.file.open("rb") as fh:
        data = fh.read()
    if hashlib.sha256(data).hexdigest() != document.sha256:
        logger.error("stored PDF of document %s (%s) no longer matches its SHA-256", document.pk, document.number)
        return None
    return data
