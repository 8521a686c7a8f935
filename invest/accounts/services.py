"""Office accounts: a manager (or the superuser) creates staff accounts, grants and removes roles, deactivates
and reactivates them and sends a password-set link. Every change is audited (before → after).

A manager never grants superuser (no path here sets `is_superuser`), never changes a superuser's account and
cannot lock themselves out (remove their own manager role or deactivate themselves). Who may sign in to the
admin (`is_staff`) follows from the roles through `invest.roles.admin_access`, in one place.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from invest.audit import audit
from invest.roles import OFFICE_ROLES, ROLE_KEYS, admin_access, ensure_groups, forget_roles, has_role, role_label

User = get_user_model()


# ---------------------------------------------------------------- permission checks: (allowed, reason)


def can_manage_accounts(actor) -> tuple[bool, str]:
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return False, _("请先登录。")
    if actor.is_superuser or has_role(actor, "manager"):
        return True, ""
    return False, _("只有管理员可以管理办公账户。如需开通或调整账户，请联系本单位的管理员。")


def can_change_account(actor, user) -> tuple[bool, str]:
    allowed, reason = can_manage_accounts(actor)
    if not allowed:
        return allowed, reason
    if user.is_superuser and not actor.is_superuser:
        return False, _("这是超级用户的账户，只有超级用户本人可以修改。")
    return True, ""


def _require(check: tuple[bool, str]) -> None:
    allowed, reason = check
    if not allowed:
        raise PermissionDenied(reason)


# ---------------------------------------------------------------- reads


def office_roles_of(user) -> list[str]:
    """The office role keys of a user, in the order of ROLE_KEYS."""
    held = set(user.groups.filter(name__in=OFFICE_ROLES).values_list("name", flat=True))
    return [key for key in OFFICE_ROLES if key in held]


def _snapshot(user) -> dict:
    return {
        "username": user.username,
        "full_name": user.first_name,
        "email": user.email,
        "roles": office_roles_of(user),
        "is_active": user.is_active,
        "is_staff": user.is_staff,
    }


def _clean_roles(roles: Iterable[str]) -> list[str]:
    roles = list(dict.fromkeys(roles))
    unknown = [r for r in roles if r not in OFFICE_ROLES]
    if unknown:
        raise ValidationError(
            _("无法授予“%(roles)s”：办公账户只能授予以下角色：%(allowed)s。")
            % {"roles": "、".join(unknown), "allowed": "、".join(role_label(r) for r in OFFICE_ROLES)},
            code="unknown_role",
        )
    return [key for key in OFFICE_ROLES if key in roles]


def _check_email(email: str, user=None) -> str:
    email = (email or "").strip()
    if not email:
        raise ValidationError(_("请填写电子邮箱：设置密码的链接发到这里。"), code="email_required")
    others = User.objects.filter(email__iexact=email)
    if user is not None:
        others = others.exclude(pk=user.pk)
    if others.exists():
        raise ValidationError(_("该电子邮箱已被另一个账户使用，请填写本人的工作邮箱。"), code="email_taken")
    return email


def _apply_roles(user, roles: list[str]) -> None:
    groups = {g.name: g for g in Group.objects.filter(name__in=ROLE_KEYS)}
    if any(r not in groups for r in roles):  # a new install that has not run setup_roles yet
        ensure_groups()
        groups = {g.name: g for g in Group.objects.filter(name__in=ROLE_KEYS)}
    user.groups.remove(*[groups[k] for k in OFFICE_ROLES if k in groups and k not in roles])
    user.groups.add(*[groups[k] for k in roles])
    forget_roles(user)
    staff = admin_access(user, roles)
    if user.is_staff != staff:
        user.is_staff = staff
        user.save(update_fields=["is_staff"])


# ---------------------------------------------------------------- writes


@transaction.atomic
def create_office_account(actor, *, username: str, full_name: str, email: str, roles: Iterable[str]):
    """A staff account with the given roles and no usable password: the person sets it through the link."""
    _require(can_manage_accounts(actor))
    username = (username or "").strip()
    if not username:
        raise ValidationError(_("请填写用户名。"), code="username_required")
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError(
            _("用户名“%(username)s”已被使用，请换一个。") % {"username": username}, code="username_taken"
        )
    roles = _clean_roles(roles)
    email = _check_email(email)
    user = User(username=username, first_name=(full_name or "").strip(), email=email, is_active=True)
    user.set_unusable_password()
    user.save()
    _apply_roles(user, roles)
    audit(actor, "account.created", user, before=None, after=_snapshot(user), role=_actor_role(actor))
    return user


@transaction.atomic
def update_account(actor, user, *, full_name: str, email: str) -> None:
    _require(can_change_account(actor, user))
    before = _snapshot(user)
    user.first_name = (full_name or "").strip()
    user.email = _check_email(email, user)
    if (before["full_name"], before["email"]) == (user.first_name, user.email):
        return
    user.save(update_fields=["first_name", "email"])
    audit(actor, "account.updated", user, before=before, after=_snapshot(user), role=_actor_role(actor))


@transaction.atomic
def set_roles(actor, user, roles: Iterable[str]) -> None:
    """Replace the user's office roles (the applicant role, which follows a membership, is left alone)."""
    _require(can_change_account(actor, user))
    roles = _clean_roles(roles)
    if user.pk == actor.pk and not actor.is_superuser and "manager" not in roles:
        raise PermissionDenied(_("不能去掉您自己的管理员角色，否则您将无法再管理账户。请让另一位管理员来调整。"))
    before = _snapshot(user)
    if before["roles"] == roles:
        return
    _apply_roles(user, roles)
    audit(
        actor,
        "account.roles_changed",
        user,
        before={"roles": before["roles"], "is_staff": before["is_staff"]},
        after={"roles": roles, "is_staff": user.is_staff},
        role=_actor_role(actor),
    )


@transaction.atomic
def set_active(actor, user, active: bool) -> None:
    """Deactivate (the person can no longer sign in; history stays) or reactivate an account."""
    _require(can_change_account(actor, user))
    if user.pk == actor.pk and not active:
        raise PermissionDenied(_("不能停用您自己的账户。请让另一位管理员来操作。"))
    if user.is_active == bool(active):
        return
    user.is_active = bool(active)
    user.save(update_fields=["is_active"])
    audit(
        actor,
        "account.reactivated" if active else "account.deactivated",
        user,
        before={"is_active": not user.is_active},
        after={"is_active": user.is_active},
        role=_actor_role(actor),
    )


def password_set_link(user) -> str:
    """The absolute link (from settings.SITE_URL) to the page where the person sets a new password."""
    path = reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    return settings.SITE_URL.rstrip("/") + path


def send_password_set_link(actor, user, request=None) -> str:
    """E-mail the person a one-time link to set their password (Django's token: it expires after
    PASSWORD_RESET_TIMEOUT and once the password is set). Returns the link."""
    _require(can_change_account(actor, user))
    if not user.is_active:
        raise ValidationError(_("该账户已停用。请先重新启用，再发送设置密码的链接。"), code="inactive")
    if not user.email:
        raise ValidationError(_("该账户没有电子邮箱。请先填写电子邮箱，再发送设置密码的链接。"), code="no_email")
    link = password_set_link(user)
    context = {
        "user": user,
        "link": link,
        "site_url": settings.SITE_URL,
        "hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
    }
    send_mail(
        _("设置您在江津区影视产业扶持服务平台的密码"),
        render_to_string("accounts/password_set_email.txt", context),
        None,
        [user.email],
    )
    audit(actor, "account.password_link_sent", user, after={"email": user.email}, role=_actor_role(actor))
    return link


def _actor_role(actor) -> str:
    return "superuser" if actor.is_superuser else "manager"
