"""Import of leads from XLSX or CSV, through django-import-export.

Spreadsheets reach the office from event organisers and partner agencies: CSV saved by Excel in GBK, UTF-8
with or without a BOM, Chinese or English headers. The file is read once, every row is checked in a dry run,
and by default nothing is written unless every row is good (all or nothing); with `skip_invalid` the good
rows are written and the bad ones reported. Every problem names the spreadsheet row (as Excel numbers it,
header = row 1), the column as it is headed in the file, and what to fix.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

import tablib
from django.contrib.auth import get_user_model
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from import_export import fields, resources, widgets

from companies import uscc
from companies.io import reader
from companies.io.reader import RowError
from invest.audit import EventType, audit
from invest.exporting import ESCAPE
from invest.money import to_fen
from invest.roles import has_role

from . import services
from .models import Lead, ProjectKind, PromotionEvent

MAX_YUAN = Decimal("1e14")  # Lead money fields hold 16 digits with 2 decimals
_GROUPED = re.compile(r"^\d{1,3}(,\d{3})+(\.\d+)?$")


class ImportFileError(Exception):
    """The file as a whole cannot be read (wrong type, no header, a required column missing)."""


# Canonical key → (label shown in reports, accepted header spellings). Matching ignores case, spaces,
# full-width forms and a trailing unit such as （元）.
COLUMNS: dict[str, tuple[str, tuple[str, ...]]] = {
    "name": ("线索名称", ("线索名称", "企业名称", "项目名称", "企业/项目名称", "名称", "name", "lead", "company")),
    "credit_code": (
        "统一社会信用代码",
        ("统一社会信用代码", "信用代码", "社会信用代码", "credit_code", "creditcode", "uscc"),
    ),
    "contact_person": ("联系人", ("联系人", "联系人姓名", "contact", "contact_person", "contactperson")),
    "contact_phone": ("联系电话", ("联系电话", "电话", "手机", "手机号", "phone", "contact_phone", "contactphone")),
    "contact_email": ("电子邮箱", ("电子邮箱", "邮箱", "email", "contact_email", "contactemail")),
    "event": ("来源活动", ("来源活动", "活动", "活动名称", "招商活动", "event", "source_event", "sourceevent")),
    "project_kind": ("项目类型", ("项目类型", "类型", "project_kind", "projectkind", "kind")),
    "owner": ("跟进人", ("跟进人", "负责人", "跟进人账号", "owner")),
    "expected_investment": (
        "预计投资额（元）",
        ("预计投资额", "预计投资", "投资额", "expected_investment", "expectedinvestment"),
    ),
    "expected_local_spend": (
        "预计本地消费（元）",
        ("预计本地消费", "本地消费", "预计在江津消费", "expected_local_spend", "expectedlocalspend"),
    ),
    "notes": ("备注", ("备注", "说明", "notes", "note", "remarks")),
}
REQUIRED = ("name",)


#: Matched through the shared reader: case, spaces and full-width forms do not matter, nor a trailing unit.
_ALIASES = reader.HeaderAliases(
    ((key, aliases) for key, (_label, aliases) in COLUMNS.items()), units=("(元)", "(万元)", "(yuan)", "(cny)")
)


@dataclass
class Table:
    headers: list[str]  # as written in the file
    rows: list[tuple[int, list]]  # (spreadsheet row number, cells); blank rows dropped
    format: str
    encoding: str


def read_table(data: bytes, filename: str = "") -> Table:
    """Read an XLSX (first sheet) or CSV file into its header and numbered rows, numbered as Excel shows them,
    through the reader company imports use (companies.io.reader: encoding detection, XLSX by content)."""
    try:
        table = reader.read_table(data, columns=False, xlsx=Path(filename).suffix.lower() == ".xlsx")
    except reader.FileError as exc:
        raise ImportFileError(str(exc)) from None
    return _table(table.headers, enumerate(table.rows, start=2), table.format, table.encoding)


def _table(header_cells, numbered_rows, fmt: str, encoding: str) -> Table:
    headers = ["" if h is None else str(h).strip() for h in header_cells]
    if not any(headers):
        raise ImportFileError(_("第1行应为表头（如“线索名称”“统一社会信用代码”），但这一行是空的。"))
    rows = []
    for index, cells in numbered_rows:
        cells = list(cells)
        if all(c is None or str(c).strip() == "" for c in cells):
            continue
        rows.append((index, cells))
    return Table(headers=headers, rows=rows, format=fmt, encoding=encoding)


def _text(value) -> str:
    """Spreadsheet cells arrive as numbers too (phone numbers, all-digit codes): render them without '.0'."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFKC", str(value)).strip() if not isinstance(value, str) else value.strip()


# C0 control characters (and DEL) other than tab and line breaks: a NUL breaks PostgreSQL text columns and
# escape sequences end up in terminals and exports; nobody types them on purpose, so the row is refused.
_CONTROL = {chr(c) for c in range(32) if chr(c) not in "\t\n\r"} | {"\x7f"}


class TextWidget(widgets.CharWidget):
    """Text cells. Single-line fields (names, contacts) turn tabs and line breaks into a space; notes keep them."""

    def __init__(self, *, multiline: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.multiline = multiline

    def clean(self, value, row=None, **kwargs):
        text = _text(value)
        if text.startswith(ESCAPE):
            text = text[1:]  # the export's formula guard (invest.exporting.neutralise): re-imports unchanged
        if any(ch in _CONTROL for ch in text):
            raise ValueError(
                _("含有不可见的控制字符（如 NUL、ESC），请删除后重新导入；可在 Excel 中用 CLEAN 函数清除。")
            )
        if self.multiline:
            return text.replace("\r\n", "\n").replace("\r", "\n")
        return " ".join(text.split()) if any(ch in text for ch in "\t\r\n") else text


class CreditCodeWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        code = uscc.normalize(_text(value))
        if not code:
            return ""
        found = uscc.problems(code)
        if found:
            raise ValueError(found[0])
        return code


class YuanWidget(widgets.Widget):
    """Amounts in yuan: accepts 1,000,000 / ¥1000000.00 / numbers from Excel; rounds half-up to the fen."""

    def clean(self, value, row=None, **kwargs):
        text = _text(value)
        for ch in "¥￥元 ":
            text = text.replace(ch, "")
        text = text.replace("，", ",")
        not_amount = _("“%(value)s”不是金额，请填写以元为单位的数字，例如 5000000.00。") % {"value": _text(value)}
        if "," in text:
            # Thousands separators only every three digits: "1,2,3" is more likely three numbers than 123.
            if not _GROUPED.match(text.lstrip("-")):
                raise ValueError(not_amount)
            text = text.replace(",", "")
        if not text:
            return Decimal("0.00")
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise ValueError(not_amount)
        if not amount.is_finite() or amount < 0:
            raise ValueError(_("金额不能为负数，请填写以元为单位的数字。"))
        if amount >= MAX_YUAN:
            # Checked before quantize, which raises a bare InvalidOperation for 1e400.
            raise ValueError(
                _("金额“%(value)s”过大，请填写以元为单位的数字（不超过 99999999999999.99 元），例如 5000000.00。")
                % {"value": _text(value)}
            )
        return to_fen(amount)


class ProjectKindWidget(widgets.Widget):
    """Accepts the key (settle_company) or the Chinese label (企业落户); blank means settling a company."""

    def clean(self, value, row=None, **kwargs):
        text = _text(value)
        if not text:
            return ProjectKind.SETTLE_COMPANY
        for key, label in ProjectKind.choices:
            if text.lower() == key or text == str(label):
                return key
        allowed = "、".join(str(label) for _key, label in ProjectKind.choices)
        raise ValueError(_("项目类型“%(value)s”无法识别，请填写：%(allowed)s。") % {"value": text, "allowed": allowed})


class EventWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        text = _text(value)
        if not text:
            return None
        event = PromotionEvent.objects.filter(name=text).first()
        if event is None:
            raise ValueError(
                _("找不到名为“%(value)s”的招商活动。请先在管理后台登记该活动，或核对活动名称。") % {"value": text}
            )
        return event


class OwnerWidget(widgets.Widget):
    """The following manager by user name; blank falls back to the person importing, if they are a manager."""

    def __init__(self, default=None):
        super().__init__()
        self.default = default

    def clean(self, value, row=None, **kwargs):
        text = _text(value)
        if not text:
            return self.default
        user = get_user_model().objects.filter(username=text).first()
        if user is None:
            raise ValueError(_("找不到用户名为“%(value)s”的跟进人，请填写系统登录用户名。") % {"value": text})
        if not has_role(user, "manager"):
            raise ValueError(_("“%(value)s”不是招商管理员，不能作为跟进人。") % {"value": text})
        return user


class LeadResource(resources.ModelResource):
    """Maps canonical columns (see COLUMNS) onto Lead. Stage fields are never imported: leads start as `new`."""

    name = fields.Field(attribute="name", column_name="name", widget=TextWidget())
    credit_code = fields.Field(attribute="credit_code", column_name="credit_code", widget=CreditCodeWidget())
    contact_person = fields.Field(attribute="contact_person", column_name="contact_person", widget=TextWidget())
    contact_phone = fields.Field(attribute="contact_phone", column_name="contact_phone", widget=TextWidget())
    contact_email = fields.Field(attribute="contact_email", column_name="contact_email", widget=TextWidget())
    event = fields.Field(attribute="event", column_name="event", widget=EventWidget())
    project_kind = fields.Field(attribute="project_kind", column_name="project_kind", widget=ProjectKindWidget())
    owner = fields.Field(attribute="owner", column_name="owner", widget=OwnerWidget())
    expected_investment = fields.Field(
        attribute="expected_investment", column_name="expected_investment", widget=YuanWidget()
    )
    expected_local_spend = fields.Field(
        attribute="expected_local_spend", column_name="expected_local_spend", widget=YuanWidget()
    )
    notes = fields.Field(attribute="notes", column_name="notes", widget=TextWidget(multiline=True))

    class Meta:
        model = Lead
        fields = tuple(COLUMNS)
        import_order = tuple(COLUMNS)
        force_init_instance = True
        clean_model_instances = True
        skip_diff = True
        use_transactions = True

    def __init__(self, *, default_owner=None, **kwargs):
        super().__init__(**kwargs)
        self.fields["owner"].widget = OwnerWidget(default=default_owner)
        self.saved: list[Lead] = []

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        """Refuse a lead already registered under the same name and source event, so importing the same
        list twice (or a list with a repeated line) does not double the pipeline figures."""
        errors = dict(import_validation_errors or {})
        if "name" not in errors and instance.name:
            if Lead.objects.filter(name=instance.name, event=instance.event).exists():
                errors["name"] = ValidationError(
                    _("“%(name)s”已登记为该来源活动的线索（可能重复导入或文件中重复出现），请删除该行。")
                    % {"name": instance.name},
                    code="duplicate_lead",
                )
        super().validate_instance(instance, errors, validate_unique)

    def after_save_instance(self, instance, row, **kwargs):
        if not kwargs.get("dry_run"):
            self.saved.append(instance)


@dataclass
class ImportReport:
    file: str
    format: str
    encoding: str
    rows: int = 0
    valid: int = 0
    created: int = 0
    dry_run: bool = False
    skip_invalid: bool = False
    written: bool = False
    errors: list[RowError] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    lead_ids: list[int] = field(default_factory=list)
    #: The file's headings as written, for the problems report (reader.problems_csv).
    headers: list = field(default_factory=list)

    def problems_csv(self) -> bytes:
        """The rows that could not be imported, each with its reasons and its cells as typed: fixed, the
        lines import again (the same report as the company import's)."""
        return reader.problems_csv(self.headers, self.errors)

    @property
    def invalid_rows(self) -> int:
        return len({e.row for e in self.errors if e.row > 1})

    def as_dict(self) -> dict:
        return {
            "file": self.file,
            "format": self.format,
            "encoding": self.encoding,
            "rows": self.rows,
            "valid": self.valid,
            "invalid": self.invalid_rows,
            "created": self.created,
            "dry_run": self.dry_run,
            "skip_invalid": self.skip_invalid,
            "written": self.written,
            "ignored_columns": self.ignored_columns,
            "errors": [e.as_dict() for e in self.errors],
        }


def _map_headers(table: Table) -> tuple[dict[str, int], dict[str, str], list[str]]:
    """canonical key → column index, canonical key → header as written, and headers we do not know."""
    index: dict[str, int] = {}
    written: dict[str, str] = {}
    ignored = []
    for i, header in enumerate(table.headers):
        key = _ALIASES.get(header)
        if key is None or key in index:
            if header:
                ignored.append(header)
            continue
        index[key] = i
        written[key] = header
    return index, written, ignored


def _dataset(table: Table, index: dict[str, int], rows: list[tuple[int, list]]) -> tablib.Dataset:
    data = tablib.Dataset(headers=list(COLUMNS))
    for _number, cells in rows:
        data.append([cells[index[k]] if k in index and index[k] < len(cells) else "" for k in COLUMNS])
    return data


def import_leads(
    data: bytes,
    filename: str = "",
    *,
    actor=None,
    dry_run: bool = False,
    skip_invalid: bool = False,
) -> ImportReport:
    """Check every row, then write all of them (or, with skip_invalid, the good ones) in one transaction."""
    table = read_table(data, filename)
    report = ImportReport(
        file=Path(filename).name or "-",
        format=table.format,
        encoding=table.encoding,
        rows=len(table.rows),
        dry_run=dry_run,
        skip_invalid=skip_invalid,
        headers=list(table.headers),
    )
    index, written, report.ignored_columns = _map_headers(table)
    if not table.rows:
        report.errors.append(
            RowError(1, "", _("文件中没有数据行（只有表头），未导入任何线索。请在表头下方逐行填写线索后重新导入。"))
        )
        return report
    missing = [COLUMNS[k][0] for k in REQUIRED if k not in index]
    if missing:
        report.errors.append(
            RowError(
                1,
                "、".join(missing),
                _("缺少必需的列“%(cols)s”。表头可用中文或英文，例如“线索名称”或“name”。")
                % {"cols": "、".join(missing)},
            )
        )
        return report

    default_owner = actor if actor is not None and has_role(actor, "manager") else None

    def column_label(key: str) -> str:
        return written.get(key) or COLUMNS.get(key, (key,))[0]

    check = LeadResource(default_owner=default_owner).import_data(
        _dataset(table, index, table.rows), dry_run=True, use_transactions=True, raise_errors=False
    )
    bad: set[int] = set()
    width = len(table.headers)
    for position, (number, cells) in enumerate(table.rows):
        extra = [c for c in cells[width:] if c is not None and str(c).strip()]
        if extra:
            bad.add(position)
            report.errors.append(
                RowError(
                    number,
                    "",
                    _("该行比表头多出%(n)d列，常见原因是金额或备注中的逗号没有加引号；请在 Excel 中另存后重新导入。")
                    % {"n": len(cells) - width},
                )
            )
    for invalid in check.invalid_rows:
        if invalid.number - 1 in bad:
            continue
        number = table.rows[invalid.number - 1][0]
        bad.add(invalid.number - 1)
        for key, messages in invalid.error_dict.items():
            column = "" if key == NON_FIELD_ERRORS else column_label(key)
            for message in messages:
                report.errors.append(RowError(number, column, str(message)))
    for position, row_errors in check.row_errors():
        number = table.rows[position - 1][0]
        bad.add(position - 1)
        for error in row_errors:
            report.errors.append(RowError(number, "", _("无法导入该行：%(error)s") % {"error": error.error}))
    report.errors.sort(key=lambda e: e.row)
    cells_of = dict(table.rows)
    for error in report.errors:
        error.cells = cells_of.get(error.row, ())

    good_rows = [row for i, row in enumerate(table.rows) if i not in bad]
    report.valid = len(good_rows)
    if (bad and not skip_invalid) or dry_run or not good_rows:
        return report

    with transaction.atomic():
        resource = LeadResource(default_owner=default_owner)
        resource.import_data(_dataset(table, index, good_rows), dry_run=False, use_transactions=True, raise_errors=True)
        services.record_imported(resource.saved, actor, report.file)
        report.created = len(resource.saved)
        report.lead_ids = [lead.pk for lead in resource.saved]
        report.written = True
        audit(
            actor,
            EventType.LEAD_IMPORT,
            ("investment.leadimport", hashlib.sha256(data).hexdigest()[:32]),
            after={k: v for k, v in report.as_dict().items() if k != "errors"} | {"lead_ids": report.lead_ids},
            reason=_("%(n)d 行有误，已跳过") % {"n": report.invalid_rows} if report.errors else "",
            role="manager" if default_owner else "",
        )
    return report
