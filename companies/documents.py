"""The company's document store (单位证照库): documents a company keeps once — the business licence and the
other materials that an item's material list marks reusable (``"reusable": true, "document_kind": "<kind>"``) —
with their validity, chosen on an application instead of uploaded again (applications.services.drafts.
use_company_document).

A replacement never overwrites: it is a new CompanyDocument with a new stored file, the old row is superseded
and its file kept, because the cases that chose the old one keep serving it (their Material names that file
and holds the hash copied when it was chosen).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from invest.audit import EventType, audit
from invest.roles import has_role

from .models import Company, CompanyDocument
from .selectors import member_company_ids

#: File types a company document may have when no item names any for its kind.
DEFAULT_KINDS = frozenset({"pdf", "ofd", "jpeg", "png"})


@dataclass
class DocumentKind:
    key: str
    label: str
    accepted: set[str] = field(default_factory=set)


def document_kinds() -> dict[str, DocumentKind]:
    """The kinds of document the store keeps: every ``document_kind`` of a reusable material on any item, with
    the label the items give it and the file types they accept (the union)."""
    from invest.uploads import ALL_KINDS
    from policies.models import SupportItem

    kinds: dict[str, DocumentKind] = {}
    for materials in SupportItem.objects.order_by("sort_order", "code").values_list("materials", flat=True):
        for spec in materials or []:
            key = reusable_kind(spec)
            if not key:
                continue
            kind = kinds.setdefault(key, DocumentKind(key=key, label=str(spec.get("label") or key)))
            kind.accepted |= set(spec.get("accepted_types") or []) & set(ALL_KINDS)
    for kind in kinds.values():
        kind.accepted = kind.accepted or set(DEFAULT_KINDS)
    return kinds


def reusable_kind(material_spec: dict) -> str:
    """The document kind of a material of an item's list, or "" when it is not kept in the store."""
    if not isinstance(material_spec, dict) or not material_spec.get("reusable"):
        return ""
    return str(material_spec.get("document_kind") or material_spec.get("key") or "")


def current_documents(company: Company) -> dict[str, CompanyDocument]:
    """The company's current (not superseded) document of each kind."""
    return {d.kind: d for d in CompanyDocument.objects.filter(company=company, superseded_at__isnull=True)}


def document_history(company: Company) -> QuerySet[CompanyDocument]:
    return CompanyDocument.objects.filter(company=company, superseded_at__isnull=False).order_by("-superseded_at")


def may_manage_documents(user, company: Company) -> bool:
    """The company's confirmed members keep its documents."""
    return has_role(user, "applicant") and company.pk in member_company_ids(user)


def may_view_document(user, document: CompanyDocument) -> bool:
    """The company's members, and the office roles that see every company; never another company."""
    from invest.roles import ALL_CASES_ROLES

    return may_manage_documents(user, document.company) or has_role(user, *ALL_CASES_ROLES)


def upload_document(
    company: Company, actor, *, kind: str, uploaded_file, valid_until: dt.date | None
) -> CompanyDocument:
    """Store a document of one kind for the company, through the same upload checks as a case's materials
    (invest.uploads.validate_upload: type by content, size, virus scan). The current document of that kind, if
    any, is superseded and its file kept. Raises ValidationError keyed by field, PermissionDenied for a stranger.
    """
    from applications.workdays import today
    from invest.uploads import files_removed_on_failure, random_storage_name, validate_upload

    if not may_manage_documents(actor, company):
        raise PermissionDenied(_("只有该企业已确认的成员可以管理单位证照。"))
    kinds = document_kinds()
    if kind not in kinds:
        raise ValidationError({"kind": [_("“%(kind)s”不是可在单位证照库保存的证照类别。") % {"kind": kind}]})
    if valid_until is not None and valid_until < today():
        raise ValidationError(
            {"valid_until": [_("有效期已过（%(date)s），请上传在有效期内的证照。") % {"date": valid_until}]}
        )
    try:
        detected = validate_upload(uploaded_file, allowed_kinds=kinds[kind].accepted)
    except ValidationError as exc:
        raise ValidationError({"file": exc.messages}, code=getattr(exc, "code", None)) from exc
    with files_removed_on_failure() as store, transaction.atomic(durable=True):
        Company.objects.select_for_update().get(pk=company.pk)  # one replacement at a time per company
        old = CompanyDocument.objects.filter(company=company, kind=kind, superseded_at__isnull=True).first()
        if old is not None:
            old.superseded_at = timezone.now()
            old.save(update_fields=["superseded_at"])
        document = CompanyDocument.objects.create(
            company=company,
            kind=kind,
            file=store(random_storage_name(detected.kind, prefix="company-documents"), uploaded_file),
            original_name=detected.safe_name,
            file_kind=detected.kind,
            size=detected.size,
            sha256=detected.sha256,
            valid_until=valid_until,
            uploaded_by=actor,
        )
        audit(
            actor,
            EventType.COMPANY_DOCUMENT_REPLACE if old else EventType.COMPANY_DOCUMENT_UPLOAD,
            company,
            before={"kind": kind, "sha256": old.sha256, "document": old.pk} if old else None,
            after={
                "kind": kind,
                "sha256": document.sha256,
                "document": document.pk,
                "name": document.original_name,
                "valid_until": valid_until,
            },
            role="applicant",
        )
    return document
