"""Writes to the company registry outside bulk imports: onboarding (new-company registrations, membership
requests and decisions, ending a membership), profile edits.

Bulk imports live in companies.io.importer (`import_rows`), re-exported here as the app's write API.

What a user may do as an applicant follows from a confirmed membership: the `applicant` group is granted in
the transaction that confirms a membership and taken away in the one that ends the user's last, so a user
confirmed this second can apply this second, and nobody keeps the role after leaving their company.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from invest.audit import audit
from invest.notify import notify
from invest.roles import forget_roles, has_role, holders

from . import uscc
from .io.importer import import_rows  # noqa: F401  (the bulk import service)
from .models import Company, CompanyRegistration, Membership

MEMBER_EDITABLE = (
    "registered_address",
    "contact_person",
    "contact_phone",
    "contact_email",
    "bank_account_name",
    "bank_name",
    "bank_account_number",
)

#: The company facts a registration carries, copied onto the Company when a manager confirms it.
REGISTRATION_FIELDS = (
    "credit_code",
    "name",
    "legal_representative",
    "registration_district",
    "tax_district",
    "contact_person",
    "contact_phone",
    "contact_email",
)
#: Business licences: the kinds a licence comes in (a scan, a photo, or the electronic licence).
LICENCE_KINDS = frozenset({"pdf", "jpeg", "png", "ofd"})


def can_manage_memberships(user) -> bool:
    return user.is_authenticated and (user.is_superuser or has_role(user, "manager"))


# --------------------------------------------------------------------------------------------------------
# the applicant role follows confirmed memberships
# --------------------------------------------------------------------------------------------------------


def _sync_applicant_role(user) -> None:
    """Give the user the applicant group when they have a confirmed membership, take it away when not.

    Call inside the transaction that changed a membership. The user row is locked so that confirming one
    membership while another one ends cannot leave the group out of step with the memberships.
    """
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()
    group, _created = Group.objects.get_or_create(name="applicant")
    if Membership.objects.filter(user=user, status=Membership.Status.CONFIRMED).exists():
        user.groups.add(group)
    else:
        user.groups.remove(group)
    forget_roles(user)  # invest.roles caches the roles on the user object


def first_member(company: Company) -> Membership | None:
    """The company's first confirmed member (the earliest confirmation among those still confirmed)."""
    return (
        Membership.objects.filter(company=company, status=Membership.Status.CONFIRMED)
        .select_related("user")
        .order_by(F("decided_at").asc(nulls_first=True), "pk")
        .first()
    )


def is_first_member(user, company: Company) -> bool:
    member = first_member(company)
    return bool(member and getattr(user, "is_authenticated", False) and member.user_id == user.pk)


def can_decide_membership(user, membership: Membership) -> tuple[bool, str]:
    """May this user confirm or refuse this membership request? The office may; so may the first confirmed
    member of the same company, for colleagues (not for themselves)."""
    if not getattr(user, "is_authenticated", False):
        return False, _("请先登录。")
    if membership.status != Membership.Status.REQUESTED:
        return False, _("该申请已经处理过了，请刷新页面查看。")
    if can_manage_memberships(user):
        return True, ""
    if membership.user_id == user.pk:
        return False, _("不能确认自己的申请，请等待管理员或企业第一位成员处理。")
    if is_first_member(user, membership.company):
        return True, ""
    return False, _("只有管理员或“%(company)s”的第一位已确认成员可以处理该企业的成员申请。") % {
        "company": membership.company.name
    }


def can_end_membership(user, membership: Membership) -> tuple[bool, str]:
    """May this user end this confirmed membership? The office may; the first member may, for colleagues."""
    if not getattr(user, "is_authenticated", False):
        return False, _("请先登录。")
    if membership.status != Membership.Status.CONFIRMED:
        return False, _("该成员资格已经结束或尚未确认，请刷新页面查看。")
    if can_manage_memberships(user):
        return True, ""
    if membership.user_id != user.pk and is_first_member(user, membership.company):
        return True, ""
    return False, _("只有管理员或“%(company)s”的第一位已确认成员可以结束该企业其他成员的资格。") % {
        "company": membership.company.name
    }


def _actor_role(actor) -> str:
    return "manager" if can_manage_memberships(actor) else "applicant"


# --------------------------------------------------------------------------------------------------------
# membership requests
# --------------------------------------------------------------------------------------------------------


def request_membership(user, raw_code: str) -> Membership:
    """A user asks to act for the company with this credit code; a manager or its first member decides."""
    code = uscc.normalize(raw_code)
    uscc.validate_credit_code(code)
    company = Company.objects.filter(credit_code=code).first()
    if company is None:
        raise ValidationError(
            _(
                "没有找到统一社会信用代码为%(code)s的企业。请核对营业执照上的代码；"
                "如企业尚未在本系统登记，请选择“登记新企业”。"
            )
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
            existing.status = Membership.Status.REQUESTED  # refused or ended before: ask again
            existing.requested_at = timezone.now()
            existing.decided_at = existing.decided_by = None
            existing.ended_at = existing.ended_by = None
            existing.save()
            membership = existing
        else:
            membership = Membership.objects.create(user=user, company=company)
        audit(user, "membership_requested", membership, after={"company": code, "user": user.username})
        subject = _("%(user)s 申请加入“%(company)s”") % {"user": user.username, "company": company.name}
        body = _("%(user)s（%(email)s）申请成为“%(company)s”的成员，请核实后确认或拒绝。") % {
            "user": user.username,
            "email": user.email,
            "company": company.name,
        }
        first = first_member(company)
        if first is not None:
            notify(
                [first.user],
                event="membership.requested",
                subject=subject,
                body=body,
                url=reverse("companies:detail", args=[company.credit_code]),
            )
        notify(
            _office_users().exclude(pk=getattr(first, "user_id", None)),
            event="membership.requested",
            subject=subject,
            body=body,
            url=reverse("companies:requests"),
        )
    return membership


def _locked_for(membership: Membership, actor, may, status: str, code: str) -> Membership:
    """The membership row, locked, when ``may(actor, row)`` allows the step. A row no longer in ``status`` was
    handled by someone else meanwhile (a validation error with ``code``); otherwise a refusal is a 403."""
    locked = Membership.objects.select_for_update().select_related("company", "user").get(pk=membership.pk)
    allowed, why = may(actor, locked)
    if not allowed:
        if locked.status != status:
            raise ValidationError(why, code=code)
        raise PermissionDenied(why)
    return locked


def decide_membership(membership: Membership, actor, *, confirm: bool, reason: str = "") -> Membership:
    """The office or the company's first member confirms or refuses a pending request (a reason is required to
    refuse). The row is locked so that two people cannot both decide; confirming grants the applicant role."""
    reason = (reason or "").strip()
    with transaction.atomic():
        locked = _locked_for(membership, actor, can_decide_membership, Membership.Status.REQUESTED, "already_decided")
        if not confirm and not reason:
            raise ValidationError(_("请填写拒绝理由，申请人会看到它并据此补充或更正。"), code="reason_required")
        before = locked.status
        locked.status = Membership.Status.CONFIRMED if confirm else Membership.Status.REFUSED
        locked.decided_at = timezone.now()
        locked.decided_by = actor
        locked.reason = "" if confirm else reason
        locked.save(update_fields=["status", "decided_at", "decided_by", "reason"])
        if confirm:
            _sync_applicant_role(locked.user)
        audit(
            actor,
            "membership_confirmed" if confirm else "membership_refused",
            locked,
            before={"status": before},
            after={"status": locked.status, "company": locked.company.credit_code, "user": locked.user.username},
            reason=reason,
            role=_actor_role(actor),
        )
        company = locked.company.name
        if confirm:
            notify(
                [locked.user],
                event="membership.confirmed",
                subject=_("您已成为“%(company)s”的成员") % {"company": company},
                body=_("您加入“%(company)s”的申请已确认，现在可以为该企业办理申报。") % {"company": company},
                url=reverse("portal:my_cases"),
            )
        else:
            notify(
                [locked.user],
                event="membership.refused",
                subject=_("加入“%(company)s”的申请未通过") % {"company": company},
                body=_("您加入“%(company)s”的申请未通过。原因：%(reason)s\n核对后可在“我的企业”页面重新申请。")
                % {"company": company, "reason": reason},
                url=reverse("companies:mine"),
            )
    return locked


def end_membership(membership: Membership, actor, *, reason: str = "") -> Membership:
    """End a confirmed membership (the office, or the company's first member for a colleague). When it was
    the user's last confirmed membership, the applicant role goes in the same transaction."""
    with transaction.atomic():
        locked = _locked_for(membership, actor, can_end_membership, Membership.Status.CONFIRMED, "not_confirmed")
        locked.status = Membership.Status.ENDED
        locked.ended_at = timezone.now()
        locked.ended_by = actor
        locked.save(update_fields=["status", "ended_at", "ended_by"])
        _sync_applicant_role(locked.user)
        audit(
            actor,
            "membership_ended",
            locked,
            before={"status": Membership.Status.CONFIRMED},
            after={"status": locked.status, "company": locked.company.credit_code, "user": locked.user.username},
            reason=(reason or "").strip(),
            role=_actor_role(actor),
        )
        notify(
            [locked.user],
            event="membership.ended",
            subject=_("您在“%(company)s”的成员资格已结束") % {"company": locked.company.name},
            body=_("您已不再代表“%(company)s”办理事项。如有疑问，请联系该企业或管理员。")
            % {"company": locked.company.name},
            url=reverse("companies:mine"),
        )
    return locked


# --------------------------------------------------------------------------------------------------------
# registering a new company
# --------------------------------------------------------------------------------------------------------


def _check_code_free(code: str, *, exclude_pk: int | None = None) -> None:
    if Company.objects.filter(credit_code=code).exists():
        raise ValidationError(
            {
                "credit_code": ValidationError(
                    _("统一社会信用代码为%(code)s的企业已在本系统登记。请改为“认领已登记的企业”，申请成为其成员。")
                    % {"code": code},
                    code="company_exists",
                )
            }
        )
    pending = CompanyRegistration.objects.filter(credit_code=code, status=CompanyRegistration.Status.REQUESTED)
    if exclude_pk is not None:
        pending = pending.exclude(pk=exclude_pk)
    if pending.exists():
        raise ValidationError(
            {
                "credit_code": ValidationError(
                    _("该企业已有一份登记申请正在核实中，请勿重复提交。如非本企业人员提交，请联系管理员。"),
                    code="registration_pending",
                )
            }
        )


def _store_licence(store, uploaded_file) -> dict[str, Any]:
    from invest.uploads import random_storage_name, validate_upload

    try:
        detected = validate_upload(uploaded_file, allowed_kinds=LICENCE_KINDS)
    except ValidationError as exc:
        raise ValidationError({"licence": exc.messages}) from exc
    return {
        "licence": store(random_storage_name(detected.kind, prefix="licences"), uploaded_file),
        "licence_name": detected.safe_name,
        "licence_kind": detected.kind,
        "licence_size": detected.size,
        "licence_sha256": detected.sha256,
    }


def _snapshot(registration: CompanyRegistration) -> dict[str, Any]:
    data = {name: getattr(registration, name) for name in REGISTRATION_FIELDS}
    data.update(licence_name=registration.licence_name, licence_sha256=registration.licence_sha256)
    return data


def _office_users():
    return holders("manager")


def register_company(user, data: dict[str, Any], licence) -> CompanyRegistration:
    """A user asks to enter a new company in the registry; the licence is checked like every material.

    ``data`` holds REGISTRATION_FIELDS. Raises ValidationError keyed by field when the code is taken or
    pending, or the licence is refused. The licence file is removed again if anything after it fails.
    """
    from invest.uploads import files_removed_on_failure

    data = {name: (data.get(name) or "").strip() for name in REGISTRATION_FIELDS}
    data["credit_code"] = uscc.normalize(data["credit_code"])
    uscc.validate_credit_code(data["credit_code"])
    try:
        with files_removed_on_failure() as store, transaction.atomic(durable=True):
            _check_code_free(data["credit_code"])
            registration = CompanyRegistration.objects.create(
                requested_by=user, **data, **_store_licence(store, licence)
            )
            audit(user, "company_registration_requested", registration, after=_snapshot(registration))
            notify(
                _office_users(),
                event="company.registration_requested",
                subject=_("新的企业登记申请：%(name)s") % {"name": registration.name},
                body=_("%(user)s 申请登记“%(name)s”（%(code)s），请核对营业执照后确认或拒绝。")
                % {"user": user.username, "name": registration.name, "code": registration.credit_code},
                url=reverse("companies:registration", args=[registration.pk]),
            )
    except IntegrityError as exc:  # another request for the same code won the race
        raise ValidationError(
            {"credit_code": _("该企业已有一份登记申请正在核实中，请勿重复提交。")}, code="registration_pending"
        ) from exc
    return registration


def resubmit_registration(
    registration: CompanyRegistration, user, data: dict[str, Any], licence=None
) -> CompanyRegistration:
    """The requester corrects a refused registration and sends it again: same row, next revision. The old
    data and the reason it was refused stay in the audit log; a new licence replaces the old one (optional)."""
    from invest.uploads import files_removed_on_failure

    data = {name: (data.get(name) or "").strip() for name in REGISTRATION_FIELDS}
    data["credit_code"] = uscc.normalize(data["credit_code"])
    uscc.validate_credit_code(data["credit_code"])
    try:
        with files_removed_on_failure() as store, transaction.atomic(durable=True):
            locked = CompanyRegistration.objects.select_for_update().get(pk=registration.pk)
            if locked.requested_by_id != user.pk:
                raise PermissionDenied(_("只有提交该登记申请的用户可以修改并重新提交。"))
            if locked.status != CompanyRegistration.Status.REFUSED:
                raise ValidationError(
                    _("该登记申请不是“未通过”状态，无需重新提交。请刷新页面查看。"), code="not_refused"
                )
            _check_code_free(data["credit_code"], exclude_pk=locked.pk)
            before = {
                **_snapshot(locked),
                "status": locked.status,
                "reason": locked.reason,
                "revision": locked.revision,
            }
            for name, value in data.items():
                setattr(locked, name, value)
            if licence is not None:
                for name, value in _store_licence(store, licence).items():
                    setattr(locked, name, value)
            locked.status = CompanyRegistration.Status.REQUESTED
            locked.revision += 1
            locked.requested_at = timezone.now()
            locked.decided_at = locked.decided_by = None
            locked.save()
            audit(
                user,
                "company_registration_resubmitted",
                locked,
                before=before,
                after={**_snapshot(locked), "status": locked.status, "revision": locked.revision},
            )
            notify(
                _office_users(),
                event="company.registration_requested",
                subject=_("企业登记申请已更正并重新提交：%(name)s") % {"name": locked.name},
                body=_("%(user)s 已按拒绝理由更正“%(name)s”（%(code)s）的登记申请（第 %(n)s 次提交），请再次核实。")
                % {"user": user.username, "name": locked.name, "code": locked.credit_code, "n": locked.revision},
                url=reverse("companies:registration", args=[locked.pk]),
            )
    except IntegrityError as exc:
        raise ValidationError(
            {"credit_code": _("该企业已有一份登记申请正在核实中，请勿重复提交。")}, code="registration_pending"
        ) from exc
    return locked


def create_company(actor, data: dict[str, Any]) -> Company:
    """Enter a company in the registry (from a confirmed registration), audited."""
    company = Company(**{name: data[name] for name in REGISTRATION_FIELDS})
    company.full_clean()
    company.save()
    audit(actor, "company_created", company, after={name: data[name] for name in REGISTRATION_FIELDS})
    return company


def decide_registration(
    registration: CompanyRegistration, actor, *, confirm: bool, reason: str = ""
) -> CompanyRegistration:
    """A manager confirms (the Company, and a confirmed Membership with the applicant role for the requester,
    in one transaction) or refuses with a reason the requester sees. The row is locked: one decision only."""
    if not can_manage_memberships(actor):
        raise PermissionDenied(_("只有管理员可以核实企业登记申请。"))
    reason = (reason or "").strip()
    if not confirm and not reason:
        raise ValidationError(
            {"reason": _("请填写拒绝理由，说明哪里与营业执照不符、应如何更正。申请人会看到这段话。")},
            code="reason_required",
        )
    with transaction.atomic():
        locked = CompanyRegistration.objects.select_for_update().select_related("requested_by").get(pk=registration.pk)
        if locked.status != CompanyRegistration.Status.REQUESTED:
            raise ValidationError(_("该登记申请已经处理过了，请刷新页面查看。"), code="already_decided")
        requester = locked.requested_by
        now = timezone.now()
        if confirm:
            if Company.objects.filter(credit_code=locked.credit_code).exists():
                raise ValidationError(
                    _(
                        "统一社会信用代码为%(code)s的企业已在登记簿中，不能重复登记。请拒绝本申请，并请申请人认领该企业。"
                    )
                    % {"code": locked.credit_code},
                    code="company_exists",
                )
            company = create_company(actor, _snapshot(locked))
            membership, _created = Membership.objects.update_or_create(
                user=requester,
                company=company,
                defaults={"status": Membership.Status.CONFIRMED, "decided_at": now, "decided_by": actor},
            )
            _sync_applicant_role(requester)
            audit(
                actor,
                "membership_confirmed",
                membership,
                after={"status": membership.status, "company": company.credit_code, "user": requester.username},
                role="manager",
            )
            locked.company = company
            locked.reason = ""
        else:
            locked.reason = reason
        before = locked.status
        locked.status = CompanyRegistration.Status.CONFIRMED if confirm else CompanyRegistration.Status.REFUSED
        locked.decided_at, locked.decided_by = now, actor
        locked.save(update_fields=["status", "decided_at", "decided_by", "reason", "company"])
        audit(
            actor,
            "company_registration_confirmed" if confirm else "company_registration_refused",
            locked,
            before={"status": before, "revision": locked.revision},
            after={"status": locked.status, "credit_code": locked.credit_code, "user": requester.username},
            reason=reason,
            role="manager",
        )
        if confirm:
            notify(
                [requester],
                event="company.registration_confirmed",
                subject=_("“%(name)s”已登记，您已是该企业的成员") % {"name": locked.name},
                body=_("管理员已核实“%(name)s”的营业执照并完成登记，您现在可以为该企业办理申报。")
                % {"name": locked.name},
                url=reverse("portal:my_cases"),
            )
        else:
            notify(
                [requester],
                event="company.registration_refused",
                subject=_("“%(name)s”的登记申请未通过") % {"name": locked.name},
                body=_("“%(name)s”的登记申请未通过。原因：%(reason)s\n请按原因更正后重新提交。")
                % {"name": locked.name, "reason": reason},
                url=reverse("companies:registration", args=[locked.pk]),
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
