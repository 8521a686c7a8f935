"""Forms of the office-accounts pages and the password-reset request."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import PasswordResetForm
from django.utils.translation import gettext_lazy as _

from invest.roles import OFFICE_ROLES, role_label


def _role_choices():
    return [(key, role_label(key)) for key in OFFICE_ROLES]


class RolesField(forms.MultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs):
        super().__init__(choices=_role_choices, required=False, label=_("角色"), **kwargs)


class AccountForm(forms.Form):
    full_name = forms.CharField(label=_("姓名"), max_length=150)
    email = forms.EmailField(label=_("电子邮箱"), help_text=_("设置密码的链接和通知发到这里。"))
    roles = RolesField(help_text=_("管理员和审计可登录管理后台。"))


class NewAccountForm(AccountForm):
    username = forms.CharField(label=_("用户名"), max_length=150, help_text=_("登录时使用，建议用姓名拼音。"))
    send_link = forms.BooleanField(label=_("立即发送设置密码的链接"), required=False, initial=True)

    field_order = ["username", "full_name", "email", "roles", "send_link"]

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        get_user_model().username_validator(username)
        return username


class AccountFilterForm(forms.Form):
    role = forms.ChoiceField(label=_("角色"), required=False)
    active = forms.ChoiceField(
        label=_("状态"), required=False, choices=[("", _("全部")), ("1", _("在用")), ("0", _("已停用"))]
    )
    q = forms.CharField(label=_("搜索"), required=False, help_text=_("姓名、用户名或电子邮箱"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [("", _("全部角色")), *_role_choices()]


class ResetRequestForm(PasswordResetForm):
    """Django's form; also offers the link to an active account that has no password yet (made by a manager)."""

    email = forms.EmailField(
        label=_("电子邮箱"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )

    def get_users(self, email):
        User = get_user_model()
        return (u for u in User._default_manager.filter(email__iexact=email, is_active=True) if u.email)
