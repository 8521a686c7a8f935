"""Onboarding and membership pages: register, my companies, claim a registered company or register a new one,
the office's page of pending registrations and membership requests, company profile and its members."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_POST

from invest.previews import page_preview_response, stored_file_response

from . import selectors, services, uscc
from .documents import may_manage_documents
from .forms import CompanyProfileForm, CompanyRegistrationForm, DecisionForm, JoinCompanyForm, RegistrationForm
from .models import Company, CompanyRegistration, Membership
from .selectors import can_edit_profile, can_see_bank_account, companies_visible_to, memberships_of


def register(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("companies:mine")
    form = RegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(
            request, _("注册成功。下一步：认领已在本系统登记的企业，或登记新企业；确认后即可为企业办理申报。")
        )
        return redirect("companies:mine")
    return render(request, "companies/register.html", {"form": form})


def _safe_next(request: HttpRequest) -> str:
    target = request.GET.get("next") or request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return ""


@login_required
def my_companies(request: HttpRequest) -> HttpResponse:
    """The hub of onboarding: memberships and registrations with their state, and what to do next."""
    return render(
        request,
        "companies/mine.html",
        {
            "memberships": memberships_of(request.user).exclude(status=Membership.Status.ENDED),
            "registrations": selectors.registrations_of(request.user),
            "state": selectors.onboarding_state(request.user),
            "wanted": _safe_next(request),
        },
    )


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
                _("已提交加入“%(name)s”的申请。管理员或该企业第一位成员确认后，您即可为该企业办理申报。")
                % {"name": membership.company.name},
            )
            return redirect("companies:mine")
    return render(request, "companies/join.html", {"form": form})


def _add_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


@login_required
def register_company(request: HttpRequest) -> HttpResponse:
    """登记新企业: the request with the business licence, verified by the office."""
    form = CompanyRegistrationForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "licence"}
        try:
            registration = services.register_company(request.user, data, form.cleaned_data["licence"])
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(
                request,
                _("已提交“%(name)s”的登记申请。管理员核对营业执照后会通知您，通常在 1 至 3 个工作日内。")
                % {"name": registration.name},
            )
            return redirect("companies:registration", pk=registration.pk)
    return render(request, "companies/register_company.html", {"form": form})


def _registration_for(request: HttpRequest, pk: int) -> CompanyRegistration:
    """The requester and the office see a registration; for anyone else it does not exist."""
    registration = get_object_or_404(CompanyRegistration.objects.select_related("requested_by", "company"), pk=pk)
    if registration.requested_by_id != request.user.pk and not services.can_manage_memberships(request.user):
        raise Http404
    return registration


@login_required
def registration(request: HttpRequest, pk: int) -> HttpResponse:
    """A registration: its state for the requester (with the correction form when refused), and the check
    and decision for the office."""
    reg = _registration_for(request, pk)
    is_requester = reg.requested_by_id == request.user.pk
    form = None
    if is_requester and reg.status == CompanyRegistration.Status.REFUSED:
        initial = {name: getattr(reg, name) for name in services.REGISTRATION_FIELDS}
        form = CompanyRegistrationForm(
            request.POST or None, request.FILES or None, initial=initial, licence_required=False
        )
        if request.method == "POST" and form.is_valid():
            data = {k: v for k, v in form.cleaned_data.items() if k != "licence"}
            try:
                services.resubmit_registration(reg, request.user, data, form.cleaned_data.get("licence"))
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("已重新提交登记申请，管理员核实后会通知您。"))
                return redirect("companies:registration", pk=reg.pk)
    elif request.method == "POST":
        return redirect("companies:registration", pk=reg.pk)
    decision = None
    if services.can_manage_memberships(request.user) and reg.status == CompanyRegistration.Status.REQUESTED:
        decision = DecisionForm(prefix="decision")
    return render(
        request,
        "companies/registration.html",
        {"registration": reg, "form": form, "decision": decision, "is_requester": is_requester},
        status=400 if form is not None and form.errors else 200,
    )


@login_required
@require_POST
def registration_decide(request: HttpRequest, pk: int) -> HttpResponse:
    if not services.can_manage_memberships(request.user):
        raise PermissionDenied(_("只有管理员可以核实企业登记申请。"))
    reg = get_object_or_404(CompanyRegistration.objects.select_related("requested_by"), pk=pk)
    decision = DecisionForm(request.POST, prefix="decision")
    if decision.is_valid():
        confirm = decision.cleaned_data["decision"] == "confirm"
        try:
            services.decide_registration(reg, request.user, confirm=confirm, reason=decision.cleaned_data["reason"])
        except ValidationError as exc:
            _add_errors(decision, exc)
        else:
            if confirm:
                messages.success(request, _("已确认“%(name)s”的登记，申请人已成为该企业的成员。") % {"name": reg.name})
            else:
                messages.success(request, _("已拒绝“%(name)s”的登记申请，申请人会看到拒绝理由。") % {"name": reg.name})
            return redirect("companies:requests")
    return render(
        request,
        "companies/registration.html",
        {"registration": reg, "form": None, "decision": decision, "is_requester": False},
        status=400,
    )


@never_cache
@xframe_options_sameorigin
@login_required
@require_GET
def registration_licence(request: HttpRequest, pk: int) -> HttpResponse:
    """The business licence of a registration, to its requester and the office only (sandboxed like materials)."""
    reg = _registration_for(request, pk)
    if request.GET.get("preview") == "1" and reg.licence_kind == "pdf":
        return page_preview_response(reg.licence)
    return stored_file_response(
        reg.licence, kind=reg.licence_kind, name=reg.licence_name, inline=request.GET.get("inline") == "1"
    )


def _visible_company(request: HttpRequest, code: str) -> Company:
    """404 for a company the user may not see: a stranger cannot even learn that the code is registered."""
    company = companies_visible_to(request.user).filter(credit_code=uscc.normalize(code)).first()
    if company is None:
        raise Http404(_("没有找到该企业，或您不是该企业的成员。"))
    return company


@login_required
def detail(request: HttpRequest, code: str) -> HttpResponse:
    company = _visible_company(request, code)
    may_manage_members = services.can_manage_memberships(request.user) or services.is_first_member(
        request.user, company
    )
    return render(
        request,
        "companies/detail.html",
        {
            "company": company,
            "bank_account": company.bank_account_number
            if can_see_bank_account(request.user)
            else company.masked_bank_account,
            "can_edit": can_edit_profile(request.user, company),
            "may_keep_documents": may_manage_documents(request.user, company),
            "former_names": company.former_names.all(),
            "may_manage_members": may_manage_members,
            "members": selectors.confirmed_members(company) if may_manage_members else (),
            "member_requests": selectors.pending_memberships(company) if may_manage_members else (),
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
    """The office's page: new-company registrations to verify and membership requests to confirm."""
    if not services.can_manage_memberships(request.user):
        raise PermissionDenied(_("只有管理员可以处理企业登记和成员申请。"))
    return render(
        request,
        "companies/requests.html",
        {"registrations": selectors.pending_registrations(), "pending": selectors.pending_memberships()},
    )


def _back(request: HttpRequest, default: str) -> HttpResponse:
    return redirect(_safe_next(request) or default)


@login_required
@require_POST
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm or refuse a membership request: the office, or the company's first confirmed member."""
    membership = get_object_or_404(Membership.objects.select_related("user", "company"), pk=pk)
    allowed, why = services.can_decide_membership(request.user, membership)
    if not allowed and membership.status == Membership.Status.REQUESTED:
        raise PermissionDenied(why)
    default = "companies:requests" if services.can_manage_memberships(request.user) else "companies:mine"
    form = DecisionForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
        return _back(request, default)
    confirm = form.cleaned_data["decision"] == "confirm"
    try:
        services.decide_membership(membership, request.user, confirm=confirm, reason=form.cleaned_data["reason"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        text = (
            _("已确认 %(user)s 为“%(company)s”的成员。") if confirm else _("已拒绝 %(user)s 加入“%(company)s”的申请。")
        )
        messages.success(request, text % {"user": membership.user.username, "company": membership.company.name})
    return _back(request, default)


@login_required
@require_POST
def end_membership(request: HttpRequest, pk: int) -> HttpResponse:
    """End a confirmed membership: the office, or the company's first member for a colleague."""
    membership = get_object_or_404(Membership.objects.select_related("user", "company"), pk=pk)
    allowed, why = services.can_end_membership(request.user, membership)
    if not allowed and membership.status == Membership.Status.CONFIRMED:
        raise PermissionDenied(why)
    try:
        services.end_membership(membership, request.user, reason=request.POST.get("reason", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("已结束 %(user)s 在“%(company)s”的成员资格。")
            % {"user": membership.user.username, "company": membership.company.name},
        )
    return _back(request, "companies:mine")
