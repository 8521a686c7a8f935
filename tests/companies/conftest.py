"""Helpers for the company tests: spreadsheets written in every format a clerk may bring."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from openpyxl import Workbook

HEADERS_ZH = [
    "统一社会信用代码",
    "企业名称",
    "法定代表人",
    "注册资本",
    "实缴资本",
    "成立日期",
    "注册区县",
    "税务登记区县",
    "行业类别",
    "入驻重庆影视城总部园区",
    "入驻日期",
    "电子邮箱",
]
HEADERS_EN = [
    "credit_code",
    "name",
    "legal_representative",
    "registered_capital",
    "paid_in_capital",
    "established_on",
    "registration_district",
    "tax_district",
    "industry",
    "in_hq_park",
    "in_hq_park_since",
    "contact_email",
]

# Real, published codes (Huawei, Alibaba China, Xiaomi, Baidu) and the worked example of the domain brief.
REAL_CODES = [
    "914403001922038216",
    "91330100716105852F",
    "91110108551385082Q",
    "91110000802100433B",
    "91350100M000100Y43",
]

ROWS = [
    [
        "914403001922038216",
        "重庆江津影视文化有限公司",
        "王一",
        "5000000",
        "2000000",
        "2022-06-01",
        "江津区",
        "江津区",
        "影视制作",
        "是",
        "2024-01-01",
        "a@example.com",
    ],
    [
        "91330100716105852F",
        "白沙影视器材租赁有限公司",
        "李二",
        "1,000,000.00",
        "1000000",
        "2021/3/15",
        "江津区",
        "江津区",
        "器材租赁",
        "否",
        "",
        "b@example.com",
    ],
    [
        "91110108551385082Q",
        "渝中区后期制作有限公司",
        "张三",
        "300000",
        "",
        "2020年1月2日",
        "渝中区",
        "渝中区",
        "post_production",
        "否",
        "",
        "",
    ],
]


def csv_bytes(headers, rows, encoding="utf-8") -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows([headers, *rows])
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(headers, rows) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def write_file(tmp_path):
    def write(data: bytes, name: str = "companies.csv") -> Path:
        path = tmp_path / name
        path.write_bytes(data)
        return path

    return write
