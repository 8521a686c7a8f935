"""Forms of the membership pages. Credit codes are normalised and checked by companies.uscc."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm
from django.utils.translation import gettext_lazy as _

from . import uscc
from .models import Company
from .services import MEMBER_EDITABLE


class RegistrationForm(UserCreationForm):
    email = forms.EmailField(label=_("电子邮箱"), help_text=_("用于接收申请进度通知。"))

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username", "email")

    def clean_email(self):
        email = self.cleaned_data["email"].strip()
        if get_user_model().objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(_("该电子邮箱已注册。如忘记密码，请联系管理员。"))
        return email


class JoinCompanyForm(forms.Form):
    credit_code = forms.CharField(
        label=_("统一社会信用代码"),
        max_length=40,
        help_text=_("营业执照上的18位代码，可含空格，大小写均可。"),
        validators=[uscc.validate_credit_code],
    )

    def clean_credit_code(self) -> str:
        return uscc.normalize(self.cleaned_data["credit_code"])


class CompanyProfileForm(forms.ModelForm):
    """What a member may change: address, contacts and bank details. Registry facts (name, capital,
    districts, park, status) change only through managers, because eligibility rules read them."""

    bank_account_number = forms.CharField(
        label=_("银行账号"),
        required=False,
        max_length=64,
        help_text=_("出于安全不显示原账号；留空表示不修改。"),
    )

    class Meta:
        model = Company
        fields = MEMBER_EDITABLE

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial["bank_account_number"] = ""

    def clean_bank_account_number(self) -> str:
        value = self.cleaned_data["bank_account_number"].replace(" ", "")
        if not value:
            return self.instance.bank_account_number
        if not value.isdigit() or not 8 <= len(value) <= 32:
            raise forms.ValidationError(_("银行账号应为8至32位数字，请核对后填写。"))
        return value
