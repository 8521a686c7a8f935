"""Membership pages: register, my companies, join by credit code, company profile, pending requests."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import services, uscc
from .forms import CompanyProfileForm, JoinCompanyForm, RegistrationForm
from .models import Company, Membership
from .selectors import can_edit_profile, can_see_bank_account, companies_visible_to, memberships_of


def register(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("companies:mine")
    form = RegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("注册成功。请输入企业的统一社会信用代码，申请成为企业成员。"))
        return redirect("companies:join")
    return render(request, "companies/register.html", {"form": form})


@login_required
def my_companies(request: HttpRequest) -> HttpResponse:
    return render(request, "companies/mine.html", {"memberships": memberships_of(request.user)})


@login_required
def join(request: HttpRequest) -> HttpResponse:
    form = JoinCompanyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            membership = services.request_membership(request.user, form.cleaned_data["credit_code"])
        except ValidationError as exc:
            form.add_error("credit_code", exc)
        else:
            messages.success(
                request,
                _("已提交加入“%(name)s”的申请，管理员确认后即可查看和办理该企业的事项。")
                % {"name": membership.company.name},
            )
            return redirect("companies:mine")
    return render(request, "companies/join.html", {"form": form})


def _visible_company(request: HttpRequest, code: str) -> Company:
    """404 for a company the user may not see: a stranger cannot even learn that the code is registered."""
    company = companies_visible_to(request.user).filter(credit_code=uscc.normalize(code)).first()
    if company is None:
        raise Http404(_("没有找到该企业，或您不是该企业的成员。"))
    return company


@login_required
def detail(request: HttpRequest, code: str) -> HttpResponse:
    company = _visible_company(request, code)
    return render(
        request,
        "companies/detail.html",
        {
            "company": company,
            "bank_account": company.bank_account_number
            if can_see_bank_account(request.user)
            else company.masked_bank_account,
            "can_edit": can_edit_profile(request.user, company),
            "former_names": company.former_names.all(),
        },
    )


@login_required
def edit(request: HttpRequest, code: str) -> HttpResponse:
    company = _visible_company(request, code)
    if not can_edit_profile(request.user, company):
        raise PermissionDenied(_("只有该企业已确认的成员或管理员可以修改企业资料。"))
    form = CompanyProfileForm(request.POST or None, instance=Company.objects.get(pk=company.pk))
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in services.MEMBER_EDITABLE}
        services.update_profile(company, request.user, changes)
        messages.success(request, _("企业资料已保存。"))
        return redirect("companies:detail", code=company.credit_code)
    return render(request, "companies/edit.html", {"company": company, "form": form})


@login_required
def pending_requests(request: HttpRequest) -> HttpResponse:
    if not services.can_manage_memberships(request.user):
        raise PermissionDenied(_("只有管理员可以处理企业成员申请。"))
    pending = (
        Membership.objects.filter(status=Membership.Status.REQUESTED)
        .select_related("user", "company")
        .order_by("requested_at")
    )
    return render(request, "companies/requests.html", {"pending": pending})


@login_required
@require_POST
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    if not services.can_manage_memberships(request.user):
        raise PermissionDenied(_("只有管理员可以处理企业成员申请。"))
    membership = get_object_or_404(Membership, pk=pk)
    confirm = request.POST.get("decision") == "confirm"
    try:
        services.decide_membership(membership, request.user, confirm=confirm)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        text = (
            _("已确认 %(user)s 为“%(company)s”的成员。") if confirm else _("已拒绝 %(user)s 加入“%(company)s”的申请。")
        )
        messages.success(request, text % {"user": membership.user.username, "company": membership.company.name})
    return redirect("companies:requests")
