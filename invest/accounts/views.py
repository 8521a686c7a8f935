"""Office accounts (/office/accounts/) and the password set / reset pages (/accounts/password-reset/ …).

Thin views: the rules and the audit live in invest.accounts.services.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from invest.models import AuditEntry
from invest.roles import OFFICE_ROLES, role_label

from . import services
from .forms import AccountFilterForm, AccountForm, NewAccountForm, ResetRequestForm

User = get_user_model()
PAGE_SIZE = 25


ACTIONS = {
    "account.created": gettext_lazy("创建账户"),
    "account.updated": gettext_lazy("修改姓名或电子邮箱"),
    "account.roles_changed": gettext_lazy("调整角色"),
    "account.deactivated": gettext_lazy("停用账户"),
    "account.reactivated": gettext_lazy("重新启用账户"),
    "account.password_link_sent": gettext_lazy("发送设置密码的链接"),
}
FIELDS = {
    "username": gettext_lazy("用户名"),
    "full_name": gettext_lazy("姓名"),
    "email": gettext_lazy("电子邮箱"),
    "roles": gettext_lazy("角色"),
    "is_active": gettext_lazy("在用"),
    "is_staff": gettext_lazy("可登录管理后台"),
}


def _describe(values) -> str:
    """An audit snapshot as a person reads it: 角色：受理员、初审员；在用：是."""
    if not isinstance(values, dict):
        return ""
    parts = []
    for key, value in values.items():
        if key == "roles":
            value = "、".join(role_label(r) for r in value) or "—"
        elif isinstance(value, bool):
            value = _("是") if value else _("否")
        parts.append(f"{FIELDS.get(key, key)}：{value or '—'}")
    return "；".join(parts)


def _manager_only(request: HttpRequest) -> None:
    allowed, reason = services.can_manage_accounts(request.user)
    if not allowed:
        raise PermissionDenied(reason)


def _add_errors(form, exc: ValidationError) -> None:
    code_field = {
        "username_taken": "username",
        "username_required": "username",
        "email_taken": "email",
        "email_required": "email",
        "unknown_role": "roles",
    }
    for error in exc.error_list:
        field = code_field.get(error.code)
        form.add_error(field if field in form.fields else None, error)


@login_required
def account_list(request: HttpRequest) -> HttpResponse:
    _manager_only(request)
    filters = AccountFilterForm(request.GET or None)
    users = User.objects.filter(Q(is_staff=True) | Q(groups__name__in=OFFICE_ROLES) | Q(is_superuser=True))
    if filters.is_valid():
        data = filters.cleaned_data
        if data["role"]:
            users = users.filter(groups__name=data["role"])
        if data["active"] in ("0", "1"):
            users = users.filter(is_active=data["active"] == "1")
        if data["q"].strip():
            q = data["q"].strip()
            users = users.filter(
                Q(username__icontains=q)
                | Q(first_name__icontains=q)
                | Q(last_name__icontains=q)
                | Q(email__icontains=q)
            )
    users = users.distinct().order_by("-is_active", "username").prefetch_related("groups")
    page = Paginator(users, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [
        {"user": u, "roles": [role_label(g.name) for g in u.groups.all() if g.name in OFFICE_ROLES]}
        for u in page.object_list
    ]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "accounts/list.html",
        {"filters": filters, "page": page, "rows": rows, "page_query": query.urlencode()},
    )


@login_required
def account_new(request: HttpRequest) -> HttpResponse:
    _manager_only(request)
    form = NewAccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.create_office_account(
                request.user,
                username=data["username"],
                full_name=data["full_name"],
                email=data["email"],
                roles=data["roles"],
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            text = _("已创建账户“%(username)s”。") % {"username": user.username}
            if data["send_link"]:
                services.send_password_set_link(request.user, user, request)
                text += _("设置密码的链接已发到 %(email)s，%(hours)s 小时内有效。") % {
                    "email": user.email,
                    "hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
                }
            else:
                text += _("需要时请在本页点“发送设置密码的链接”。")
            messages.success(request, text)
            return redirect("accounts:detail", pk=user.pk)
    return render(request, "accounts/new.html", {"form": form})


@login_required
def account_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _manager_only(request)
    account = get_object_or_404(User, pk=pk)
    can_change, why_not = services.can_change_account(request.user, account)
    initial = {"full_name": account.first_name, "email": account.email, "roles": services.office_roles_of(account)}
    form = AccountForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if not can_change:
            raise PermissionDenied(why_not)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.update_account(request.user, account, full_name=data["full_name"], email=data["email"])
                services.set_roles(request.user, account, data["roles"])
            except ValidationError as exc:
                _add_errors(form, exc)
            except PermissionDenied as exc:
                form.add_error("roles", str(exc))
            else:
                messages.success(request, _("已保存“%(username)s”的修改。") % {"username": account.username})
                return redirect("accounts:detail", pk=account.pk)
    history = [
        {
            "entry": e,
            "what": str(ACTIONS.get(e.action, e.action)),
            "before": _describe(e.before),
            "after": _describe(e.after),
        }
        for e in AuditEntry.objects.filter(
            target_type=account._meta.label_lower, target_id=str(account.pk), action__startswith="account."
        )
        .select_related("actor")
        .order_by("-at", "-id")[:50]
    ]
    return render(
        request,
        "accounts/detail.html",
        {
            "account": account,
            "form": form,
            "can_change": can_change,
            "why_not": why_not,
            "roles": [role_label(r) for r in services.office_roles_of(account)],
            "history": history,
        },
    )


@login_required
@require_POST
def account_active(request: HttpRequest, pk: int) -> HttpResponse:
    _manager_only(request)
    account = get_object_or_404(User, pk=pk)
    active = request.POST.get("active") == "1"
    try:
        services.set_active(request.user, account, active)
    except PermissionDenied as exc:
        if not services.can_change_account(request.user, account)[0]:
            raise
        messages.error(request, str(exc))
    else:
        if active:
            messages.success(
                request, _("已重新启用“%(username)s”，此人可以再次登录。") % {"username": account.username}
            )
        else:
            messages.success(
                request, _("已停用“%(username)s”：此人不能再登录，其办理记录保留。") % {"username": account.username}
            )
    return redirect("accounts:detail", pk=account.pk)


@login_required
@require_POST
def account_send_link(request: HttpRequest, pk: int) -> HttpResponse:
    _manager_only(request)
    account = get_object_or_404(User, pk=pk)
    try:
        services.send_password_set_link(request.user, account, request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("设置密码的链接已发到 %(email)s，%(hours)s 小时内有效；设置密码后链接即失效。")
            % {"email": account.email, "hours": settings.PASSWORD_RESET_TIMEOUT // 3600},
        )
    return redirect("accounts:detail", pk=account.pk)


# ---------------------------------------------------------------- password set / reset (public)


class PasswordResetView(auth_views.PasswordResetView):
    """Always answers the same page, whether or not the address belongs to an account."""

    form_class = ResetRequestForm
    template_name = "accounts/password_reset_form.html"
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"
    success_url = reverse_lazy("password_reset_done")

    def get_extra_email_context(self):
        return {"site_url": settings.SITE_URL.rstrip("/"), "hours": settings.PASSWORD_RESET_TIMEOUT // 3600}

    extra_email_context = property(get_extra_email_context)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Serves both the public reset link and the manager's password-set link."""

    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"
