"""Freeze what a document says at the moment it is issued.

The context is plain JSON (strings, with amounts already formatted in figures and capitals), built inside
the issuing transaction from the case as it is then. Later edits to the company name, a policy title or the
case never change an issued document; a re-render (only when the file is missing) prints the same words.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils import timezone

from .constants import DocumentKind, issuing_authority
from .money import amount_in_capitals, amount_in_figures
from .rendering import date_text


def _local_date_text(value) -> str:
    if not value:
        return ""
    if hasattr(value, "tzinfo"):
        value = timezone.localtime(value).date()
    return date_text(value)


def _money(prefix: str, amount: Decimal | None) -> dict[str, str]:
    amount = amount if amount is not None else Decimal("0")
    return {
        prefix: str(amount),
        f"{prefix}_figures": amount_in_figures(amount),
        f"{prefix}_capitals": amount_in_capitals(amount),
    }


def _labels(item) -> dict[str, str]:
    """Material and form-field keys of a support item → their labels, for the correction notice."""
    labels: dict[str, str] = {}
    for entry in list(getattr(item, "form_fields", None) or []) + list(getattr(item, "materials", None) or []):
        if isinstance(entry, dict) and entry.get("key"):
            labels[entry["key"]] = entry.get("label") or entry["key"]
    return labels


def case_context(kind: str, application, *, comment: str = "") -> dict[str, Any]:
    """The frozen context of a document about one case."""
    company = application.company
    item = application.item
    policy = getattr(item, "policy", None)
    policy_name = (
        f"《{policy.title}》" if policy is not None and policy.title else "《江津区影视产业发展扶持办法（试行）》"
    )
    context: dict[str, Any] = {
        "title": str(DocumentKind(kind).label),
        "authority": issuing_authority(),
        "company_name": company.name,
        "credit_code": company.credit_code,
        "case_number": application.case_number,
        "item_code": item.code,
        "item_name": item.name,
        "project_title": application.project_title,
        "policy_name": policy_name,
        "legal_basis": f"{policy_name}{('（' + policy.document_number + '）') if getattr(policy, 'document_number', '') else ''}",
        "submitted_on_text": _local_date_text(application.submitted_at) or _local_date_text(timezone.now()),
        "comment": comment or "",
        **_money("requested", application.requested_amount),
    }
    if kind == DocumentKind.CORRECTION_NOTICE:
        request = application.correction_requests.order_by("-requested_at", "-id").first()
        labels = _labels(item)
        items = []
        if request is not None:
            for entry in request.items.all():
                label = labels.get(entry.key, entry.key)
                items.append({"label": f"{label}（{entry.get_problem_display()}）", "note": entry.note})
            context["deadline"] = request.deadline.isoformat()
            context["deadline_text"] = date_text(request.deadline)
            # Only a general text of the clerk's: each item's reason is printed once, beside the item.
            context["comment"] = request.comment
        context["correction_items"] = items
    elif kind in (DocumentKind.NOT_ACCEPTED_NOTICE, DocumentKind.REJECTION_DECISION):
        context["reason"] = comment or ""
    elif kind == DocumentKind.APPROVAL_DECISION:
        context.update(_money("approved", application.approved_amount))
        context["amount"] = context["approved"]
    elif kind == DocumentKind.DISBURSEMENT_NOTICE:
        disbursement = application.disbursements.order_by("-recorded_at", "-id").first()
        approval = application.documents.filter(kind=DocumentKind.APPROVAL_DECISION).order_by("-issued_at").first()
        context.update(
            {
                "decision_number": approval.number if approval else "",
                "bank_name": company.bank_name,
                "bank_account_masked": company.masked_bank_account,
                **_money("disbursed", disbursement.amount if disbursement else application.disbursed_amount),
                "disbursed_on_text": date_text(disbursement.paid_on) if disbursement else "",
                "voucher_number": disbursement.voucher_number if disbursement else "",
            }
        )
        context["amount"] = context["disbursed"]
    return context


def batch_context(batch, *, contact_phone: str = "") -> dict[str, Any]:
    """The frozen public-notice list of a batch: every case in it with the amount proposed."""
    rows = []
    total = Decimal("0")
    policy_name = ""
    for application in batch.applications.select_related("company", "item", "item__policy").order_by("case_number"):
        amount = application.approved_amount or application.reviewed_amount or Decimal("0")
        total += amount
        policy_name = policy_name or f"《{application.item.policy.title}》"
        rows.append(
            {
                "case_number": application.case_number,
                "company_name": application.company.name,
                "credit_code": application.company.credit_code,
                "item_name": application.item.name,
                "project_title": application.project_title,
                "amount": str(amount),
                "amount_figures": f"{amount:,.2f}",
            }
        )
    started = batch.started_at or timezone.now()
    return {
        "title": str(DocumentKind.PUBLIC_NOTICE_LIST.label),
        "authority": issuing_authority(),
        "batch_name": batch.title,
        "policy_name": policy_name or "《江津区影视产业发展扶持办法（试行）》",
        "starts_on_text": _local_date_text(started),
        "ends_on_text": date_text(batch.ends_on),
        "rows": rows,
        "total": str(total),
        "total_figures": f"{total:,.2f}",
        "contact_phone": contact_phone or "023-47521234",
    }
