"""Document kinds and issuers. Kinds are fixed English keys; labels are translated Chinese source text."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class DocumentKind(models.TextChoices):
    ACCEPTANCE_NOTICE = "acceptance_notice", _("受理通知书")
    CORRECTION_NOTICE = "correction_notice", _("补正通知书")
    NOT_ACCEPTED_NOTICE = "not_accepted_notice", _("不予受理通知书")
    APPROVAL_DECISION = "approval_decision", _("扶持资金审批决定书")
    REJECTION_DECISION = "rejection_decision", _("不予批准决定书")
    DISBURSEMENT_NOTICE = "disbursement_notice", _("扶持资金拨付通知书")
    PUBLIC_NOTICE_LIST = "public_notice_list", _("扶持资金拟支持项目公示名单")


class DocumentStatus(models.TextChoices):
    ISSUED = "issued", _("有效")
    REVOKED = "revoked", _("已撤销")


# Each kind is numbered in the series of one issuer abbreviation: decisions share 江津影扶, notices run their own
# series so that a busy acceptance week does not consume decision numbers. Override with settings.DOCUMENT_ISSUERS.
DEFAULT_ISSUERS: dict[str, str] = {
    DocumentKind.APPROVAL_DECISION: "江津影扶",
    DocumentKind.REJECTION_DECISION: "江津影扶",
    DocumentKind.ACCEPTANCE_NOTICE: "江津影扶受",
    DocumentKind.CORRECTION_NOTICE: "江津影扶受",
    DocumentKind.NOT_ACCEPTED_NOTICE: "江津影扶受",
    DocumentKind.DISBURSEMENT_NOTICE: "江津影扶拨",
    DocumentKind.PUBLIC_NOTICE_LIST: "江津影扶公",
}

# The name printed at the head and under the seal of every document.
DEFAULT_ISSUING_AUTHORITY = "重庆市江津区影视产业发展扶持资金管理办公室"


def issuer_for(kind: str) -> str:
    issuers = {**DEFAULT_ISSUERS, **getattr(settings, "DOCUMENT_ISSUERS", {})}
    return issuers[kind]


def issuing_authority() -> str:
    return getattr(settings, "DOCUMENT_ISSUING_AUTHORITY", DEFAULT_ISSUING_AUTHORITY)


def format_number(issuer: str, year: int, sequence: int) -> str:
    """江津影扶〔2026〕12号: full year in hexagonal brackets, no leading zeros, no 第."""
    return f"{issuer}〔{year}〕{sequence}号"
