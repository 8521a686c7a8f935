"""Working days follow the mainland holiday calendar kept in the database, with plain weekends as fallback."""

from datetime import date

import pytest

from applications.models import CalendarDay, CalendarYear
from applications.selectors import next_year_schedule_missing
from applications.workdays import WorkingCalendar, add_working_days, is_working_day, seed_from_package

pytestmark = pytest.mark.django_db


def test_seeded_from_the_package_for_the_years_it_knows():
    years = set(CalendarYear.objects.values_list("year", flat=True))
    assert {2004, 2025, 2026} <= years
    assert 2027 not in years
    assert CalendarYear.objects.get(year=2026).source == CalendarYear.Source.PACKAGE


def test_national_day_2026_is_not_a_working_day():
    # Thursday 1 October 2026 is National Day.
    assert date(2026, 10, 1).weekday() == 3
    assert not is_working_day(date(2026, 10, 1))
    assert not is_working_day(date(2026, 10, 7))


def test_make_up_saturday_is_a_working_day():
    # Saturday 10 October 2026 is worked in exchange for the National Day holiday.
    assert date(2026, 10, 10).weekday() == 5
    assert is_working_day(date(2026, 10, 10))
    assert not is_working_day(date(2026, 10, 17))  # an ordinary Saturday


def test_adding_working_days_skips_the_holiday_and_counts_the_make_up_day():
    # From Wednesday 30 September: 8 and 9 Oct (Thu, Fri) are the first working days, then Sat 10 Oct.
    assert add_working_days(date(2026, 9, 30), 1) == date(2026, 10, 8)
    assert add_working_days(date(2026, 9, 30), 3) == date(2026, 10, 10)
    assert add_working_days(date(2026, 9, 30), 5) == date(2026, 10, 13)


def test_a_year_without_a_schedule_falls_back_to_weekends():
    # 1 October 2027 is a Friday: with no 2027 schedule on file it counts as a working day.
    assert not CalendarYear.objects.filter(year=2027).exists()
    assert is_working_day(date(2027, 10, 1))
    assert not is_working_day(date(2027, 10, 2))
    # A deadline set in late December 2026 runs into 2027 without failing.
    assert add_working_days(date(2026, 12, 28), 10) == date(2027, 1, 11)


def test_a_manager_entered_schedule_takes_effect():
    year = CalendarYear.objects.create(year=2027, source=CalendarYear.Source.MANUAL)
    CalendarDay.objects.create(year=year, date=date(2027, 10, 1), kind=CalendarDay.Kind.HOLIDAY, name="国庆节")
    CalendarDay.objects.create(year=year, date=date(2027, 9, 26), kind=CalendarDay.Kind.WORKDAY, name="国庆节")
    calendar = WorkingCalendar()
    assert not calendar.is_working_day(date(2027, 10, 1))
    assert calendar.is_working_day(date(2027, 9, 26))  # a Sunday


def test_reseeding_keeps_a_managers_corrections():
    CalendarDay.objects.filter(date=date(2026, 10, 10)).delete()  # a manager's (mistaken) edit
    assert seed_from_package([2026]) == []
    assert not CalendarDay.objects.filter(date=date(2026, 10, 10)).exists()
    assert seed_from_package([2026], overwrite=True) == [2026]
    assert CalendarDay.objects.filter(date=date(2026, 10, 10), kind=CalendarDay.Kind.WORKDAY).exists()


def test_managers_are_warned_while_next_years_schedule_is_missing():
    assert next_year_schedule_missing(date(2026, 6, 1)) is None
    assert next_year_schedule_missing(date(2026, 11, 26)) == 2027
    CalendarYear.objects.create(year=2027)
    assert next_year_schedule_missing(date(2026, 11, 26)) is None
