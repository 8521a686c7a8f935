"""Writes to the company registry outside bulk imports: membership requests and decisions, profile edits.

Bulk imports live in companies.io.importer (`import_rows`), re-exported here as the app's write API.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from invest.audit import audit
from invest.roles import has_role

from . import uscc
from .io.importer import import_rows  # noqa: F401  (the bulk import service)
from .models import Company, Membership

MEMBER_EDITABLE = (
    "registered_address",
    "contact_person",
    "contact_phone",
    "contact_email",
    "bank_account_name",
    "bank_name",
    "bank_account_number",
)


def can_manage_memberships(user) -> bool:
    return user.is_authenticated and (user.is_superuser or has_role(user, "manager"))


def request_membership(user, raw_code: str) -> Membership:
    """A user asks to act for the company with this credit code; a manager decides later."""
    code = uscc.normalize(raw_code)
    uscc.validate_credit_code(code)
    company = Company.objects.filter(credit_code=code).first()
    if company is None:
        raise ValidationError(
            _("没有找到统一社会信用代码为%(code)s的企业。请核对营业执照上的代码；如企业尚未登记，请联系管理员。")
            % {"code": code},
            code="unknown_company",
        )
    with transaction.atomic():
        existing = Membership.objects.select_for_update().filter(user=user, company=company).first()
        if existing is not None:
            if existing.status == Membership.Status.CONFIRMED:
                raise ValidationError(_("您已是该企业的成员，无需再次申请。"), code="already_member")
            if existing.status == Membership.Status.REQUESTED:
                raise ValidationError(_("您已申请加入该企业，请等待管理员确认。"), code="already_requested")
            existing.status = Membership.Status.REQUESTED  # refused before: ask again
            existing.requested_at = timezone.now()
            existing.decided_at = existing.decided_by = None
            existing.save()
            membership = existing
        else:
            membership = Membership.objects.create(user=user, company=company)
        audit(user, "membership_requested", membership, after={"company": code, "user": user.username})
    return membership


def decide_membership(membership: Membership, actor, *, confirm: bool, reason: str = "") -> Membership:
    """A manager confirms or refuses a pending request; the row is locked so two managers cannot both decide."""
    if not can_manage_memberships(actor):
        raise PermissionDenied(_("只有管理员可以确认企业成员申请。"))
    with transaction.atomic():
        locked = Membership.objects.select_for_update().get(pk=membership.pk)
        if locked.status != Membership.Status.REQUESTED:
            raise ValidationError(_("该申请已经处理过了，请刷新页面查看。"), code="already_decided")
        before = locked.status
        locked.status = Membership.Status.CONFIRMED if confirm else Membership.Status.REFUSED
        locked.decided_at = timezone.now()
        locked.decided_by = actor
        locked.save(update_fields=["status", "decided_at", "decided_by"])
        audit(
            actor,
            "membership_confirmed" if confirm else "membership_refused",
            locked,
            before={"status": before},
            after={"status": locked.status, "company": locked.company.credit_code, "user": locked.user.username},
            reason=reason,
            role="manager",
        )
    return locked


def _masked(field: str, value):
    if field == "bank_account_number" and value:
        return "*" * max(len(value) - 4, 0) + value[-4:]
    return value


def update_profile(company: Company, actor, changes: dict) -> Company:
    """Save a member's edit of the contact and bank details, with an audit record of what changed."""
    changed = {name: value for name, value in changes.items() if getattr(company, name) != value}
    if not changed:
        return company
    with transaction.atomic():
        before = {name: _masked(name, getattr(company, name)) for name in changed}
        for name, value in changed.items():
            setattr(company, name, value)
        company.save(update_fields=[*changed, "updated_at"])
        audit(
            actor,
            "company_profile_updated",
            company,
            before=before,
            after={name: _masked(name, value) for name, value in changed.items()},
        )
    return company
