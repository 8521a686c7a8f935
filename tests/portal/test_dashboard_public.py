"""Manager dashboard, XLSX export and the public notice pages."""

from decimal import Decimal
from io import BytesIO

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from applications.models import Objection

pytestmark = pytest.mark.django_db


def test_dashboard_figures_and_charts(client, staff, member, case_of):
    case_of(member, submitted=True)
    case_of(member, approved=True, approved_amount=Decimal("1234567.89"))
    client.force_login(staff["manager"])
    response = client.get(reverse("portal:dashboard"))
    assert response.status_code == 200
    text = response.text
    assert "<svg" in text and 'class="chart-bar"' in text
    assert "1,234,567.89" in text
    assert "20,000,000.00" in text  # the round's budget
    assert "已提交" in text and "已批准" in text


def test_dashboard_warns_when_next_years_holidays_are_missing(client, staff, monkeypatch):
    from applications import selectors

    monkeypatch.setattr("applications.portal.views.office.next_year_schedule_missing", lambda: 2027)
    client.force_login(staff["manager"])
    assert "尚未录入 2027 年的节假日和调休安排" in client.get(reverse("portal:dashboard")).text
    monkeypatch.setattr("applications.portal.views.office.next_year_schedule_missing", lambda: None)
    assert "尚未录入" not in client.get(reverse("portal:dashboard")).text
    assert selectors.next_year_schedule_missing  # the real selector exists


def test_export_xlsx_follows_the_filter(client, staff, member, case_of):
    submitted = case_of(member, submitted=True)
    approved = case_of(member, approved=True)
    client.force_login(staff["manager"])
    response = client.get(reverse("portal:export"), {"stage": "approved"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(BytesIO(response.content)).active
    numbers = [row[0].value for row in sheet.iter_rows(min_row=2)]
    assert numbers == [approved.case_number]
    assert submitted.case_number not in numbers
    assert sheet.cell(row=2, column=10).value == Decimal("100000.00") or sheet.cell(row=2, column=10).value == 100000
    assert sheet.cell(row=2, column=10).number_format == "#,##0.00"


def test_dashboard_refused_to_applicants_and_clerks(client, staff, member):
    client.force_login(staff["clerk"])
    assert client.get(reverse("portal:dashboard")).status_code == 403
    assert client.get(reverse("portal:export")).status_code == 403
    client.force_login(member.user)
    assert client.get(reverse("portal:dashboard")).status_code == 403


def test_public_notice_list_and_named_objection(client, member, case_of):
    app = case_of(member, in_public_notice=True)
    hidden = case_of(member, pending_decision=True)
    text = client.get(reverse("portal:notices")).text
    assert app.case_number in text and hidden.case_number not in text
    assert reverse("documents:verify_form") in text
    url = reverse("portal:objection", args=[app.pk])
    anonymous = client.post(url, {"name": "", "contact": "", "content": "金额不实"})
    assert anonymous.status_code == 400
    assert "请填写您的真实姓名" in anonymous.text and "请填写联系电话或电子邮箱" in anonymous.text
    response = client.post(url, {"name": "李明", "contact": "13800000000", "content": "拍摄天数不实"})
    assert response.status_code == 302
    app.refresh_from_db()
    assert app.state == "objection_review"
    assert Objection.objects.get().name == "李明"
    assert client.get(reverse("portal:objection", args=[hidden.pk])).status_code == 404
