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
            raise forms.ValidationError(_("该电子邮箱已注册。如忘记密码，请在登录页点“忘记密码？”找回。"))
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


class CompanyRegistrationForm(forms.Form):
    """登记新企业: the facts as on the business licence, a contact, and the licence itself."""

    credit_code = forms.CharField(
        label=_("统一社会信用代码"),
        max_length=40,
        help_text=_("营业执照上的18位代码，可含空格，大小写均可。"),
        validators=[uscc.validate_credit_code],
    )
    name = forms.CharField(label=_("企业名称"), max_length=200, help_text=_("与营业执照上的名称一致。"))
    legal_representative = forms.CharField(label=_("法定代表人"), max_length=100)
    registration_district = forms.CharField(
        label=_("注册区县"), max_length=50, help_text=_("营业执照登记机关所在区县，例如“江津区”。")
    )
    tax_district = forms.CharField(
        label=_("税务登记区县"), max_length=50, help_text=_("企业办理税务登记的区县，例如“江津区”。")
    )
    contact_person = forms.CharField(label=_("联系人"), max_length=100)
    contact_phone = forms.CharField(label=_("联系电话"), max_length=50)
    contact_email = forms.EmailField(label=_("联系邮箱"))
    licence = forms.FileField(
        label=_("营业执照"),
        help_text=_("营业执照的扫描件、照片或电子营业执照：PDF、JPG、PNG 或 OFD，单个文件不超过 20 MB。"),
    )

    def __init__(self, *args, licence_required: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not licence_required:
            self.fields["licence"].required = False
            self.fields["licence"].label = _("重新上传营业执照（不改可不选）")
        self.fields["licence"].widget.attrs["accept"] = ".pdf,.jpg,.jpeg,.png,.ofd"

    def clean_credit_code(self) -> str:
        return uscc.normalize(self.cleaned_data["credit_code"])

    def clean_registration_district(self) -> str:
        return self.cleaned_data["registration_district"].strip()

    def clean_tax_district(self) -> str:
        return self.cleaned_data["tax_district"].strip()


class DecisionForm(forms.Form):
    """Confirm or refuse a registration or a membership request; refusing needs a reason."""

    decision = forms.ChoiceField(choices=[("confirm", "confirm"), ("refuse", "refuse")])
    reason = forms.CharField(
        label=_("拒绝理由"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("拒绝时必填：说明哪里不符、应如何更正。申请人会看到这段话。"),
    )

    def clean(self):
        data = super().clean()
        if data.get("decision") == "refuse" and not (data.get("reason") or "").strip():
            self.add_error("reason", _("请填写拒绝理由，申请人会看到它并据此更正。"))
        return data


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


class CompanyDocumentForm(forms.Form):
    """Upload or replace one document of the company's store (单位证照库)."""

    file = forms.FileField(
        label=_("选择文件"),
        error_messages={"required": _("请选择要上传的文件。"), "empty": _("文件是空的，请重新选择。")},
    )
    valid_until = forms.DateField(
        label=_("有效期至"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("按证照上的有效期填写；长期有效的留空。"),
        error_messages={"invalid": _("请按 2026-12-31 的格式填写日期。")},
    )
