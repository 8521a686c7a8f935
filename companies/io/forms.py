from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("企业名单文件"),
        help_text=_(
            "CSV 或 XLSX，第一行为表头（如“统一社会信用代码”“企业名称”），从第二行起每行一家企业。"
            "CSV 可为 UTF-8 或 GBK 编码。上传后先检查，确认后才写入。"
        ),
        error_messages={"required": _("请选择要导入的企业名单文件。")},
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )
