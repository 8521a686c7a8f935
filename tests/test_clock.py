"""The demo (make run) and the service keep working when the calendar passes 2027-01-01.

The clock is moved with time-machine to a day in a year the packaged holiday calendar (chinese-calendar
1.11.0, up to 2026) does not know, the demo is seeded on an empty database exactly as `make run` does, and
the demo applicant takes a case from draft to submitted through the same services the pages call. For such a
year the working-day calendar falls back to plain weekends and the manager's dashboard says the year's
holiday schedule is missing (DOMAIN.md: working days), rather than failing.
"""

from __future__ import annotations

import datetime as dt
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from applications import services
from applications.selectors import next_year_schedule_missing
from applications.workdays import WorkingCalendar
from companies.models import Company
from invest.management.commands.seed_demo import DEMO_COMPANY_CODE, DEMO_LICENCE, DEMO_PASSWORD
from policies.models import Round, SupportItem

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    "moment",
    [
        dt.datetime(2027, 1, 1, 0, 30, tzinfo=SHANGHAI),  # the first half hour after the old demo round closed
        dt.datetime(2027, 3, 15, 10, 0, tzinfo=SHANGHAI),
        dt.datetime(2028, 1, 10, 16, 45, tzinfo=SHANGHAI),
    ],
    ids=str,
)
def test_the_demo_works_after_2027_begins(moment, time_machine, client, django_user_model):
    time_machine.move_to(moment)
    year = moment.year
    call_command("seed_demo", stdout=StringIO())

    # The seeded round is this year's, open now.
    open_rounds = [r for r in Round.objects.all() if r.is_open()]
    assert [(r.name, r.year) for r in open_rounds] == [(f"{year}年度", year)]

    # The demo applicant applies for the settling-in award and submits.
    applicant = django_user_model.objects.get(username="applicant")
    company = Company.objects.get(credit_code=DEMO_COMPANY_CODE)
    item = SupportItem.objects.get(code="JJ-FILM-02")
    app = services.create_draft(
        applicant, company=company, item=item, round=open_rounds[0], project_title="落户奖励申请（演示）"
    )
    assert app.state == "draft"
    for material in item.materials:
        pdf = SimpleUploadedFile(f"{material['label']}.pdf", DEMO_LICENCE, content_type="application/pdf")
        services.add_material(app, applicant, key=material["key"], uploaded_file=pdf)
    services.submit(app, applicant, pledge=True)
    app.refresh_from_db()
    assert app.state == "submitted"
    assert str(year) in app.case_number

    # The working-day calendar answers for a year it has no schedule of: plain weekends, and a warning.
    calendar = WorkingCalendar()
    assert not calendar.has_schedule(year)
    assert app.due_date == calendar.add_working_days(timezone.localdate(), 5)
    assert app.due_date.weekday() < 5
    assert next_year_schedule_missing() == year
    client.login(username="manager", password=DEMO_PASSWORD)
    assert f"尚未录入 {year} 年的节假日和调休安排" in client.get(reverse("portal:dashboard")).text

    # Seeding again the next year adds that year's round and leaves this one as it is.
    time_machine.move_to(moment.replace(year=year + 1))
    call_command("seed_demo", stdout=StringIO())
    assert sorted(Round.objects.values_list("year", flat=True)) == [year, year + 1]
    assert [r.year for r in Round.objects.all() if r.is_open()] == [year + 1]
