"""Working days from the mainland public-holiday calendar kept in the database.

A day is a working day when it is a make-up working day (调休上班), or when it is Monday–Friday and not a
holiday. For a year with no schedule on file the plain weekend rule applies, which is right for most days
and is why managers are warned (``next_year_schedule_missing``) until the new schedule is entered.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.utils import timezone


def today() -> date:
    """Today in Asia/Shanghai (the service's TIME_ZONE)."""
    return timezone.localdate()


class WorkingCalendar:
    """Loads each year's exceptions once; use one instance per computation."""

    def __init__(self) -> None:
        self._years: dict[int, tuple[frozenset[date], frozenset[date]] | None] = {}

    def _year(self, year: int) -> tuple[frozenset[date], frozenset[date]] | None:
        if year not in self._years:
            from invest import hotcache

            # The years read so far by this process, for the calendar's current version: a manager's edit
            # (or a re-seed) writes a new version, and the next request reads the year again.
            known = hotcache.shared(hotcache.CALENDAR)
            if year not in known:
                known[year] = self._load(year)
            self._years[year] = known[year]
        return self._years[year]

    @staticmethod
    def _load(year: int) -> tuple[frozenset[date], frozenset[date]] | None:
        from .models import CalendarDay, CalendarYear

        if not CalendarYear.objects.filter(year=year).exists():
            return None
        rows = list(CalendarDay.objects.filter(year__year=year).values_list("date", "kind"))
        holidays = frozenset(d for d, k in rows if k == CalendarDay.Kind.HOLIDAY)
        workdays = frozenset(d for d, k in rows if k == CalendarDay.Kind.WORKDAY)
        return holidays, workdays

    def has_schedule(self, year: int) -> bool:
        return self._year(year) is not None

    def is_working_day(self, day: date) -> bool:
        schedule = self._year(day.year)
        if schedule is not None:
            holidays, workdays = schedule
            if day in workdays:
                return True
            if day in holidays:
                return False
        return day.weekday() < 5

    def add_working_days(self, start: date, days: int) -> date:
        """The date `days` working days after `start` (start itself not counted)."""
        if days < 0:
            raise ValueError("days must not be negative")
        current = start
        remaining = days
        while remaining:
            current += timedelta(days=1)
            if self.is_working_day(current):
                remaining -= 1
        return current

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after `start` up to and including `end` (0 when end <= start)."""
        count = 0
        current = start
        while current < end:
            current += timedelta(days=1)
            if self.is_working_day(current):
                count += 1
        return count


def is_working_day(day: date) -> bool:
    return WorkingCalendar().is_working_day(day)


def add_working_days(start: date, days: int) -> date:
    return WorkingCalendar().add_working_days(start, days)


def working_days_between(start: date, end: date) -> int:
    return WorkingCalendar().working_days_between(start, end)


def seed_from_package(years: list[int] | None = None, *, overwrite: bool = False) -> list[int]:
    """Copy the schedule of the years `chinese-calendar` knows into the database.

    A year already on file is left alone unless `overwrite`, so a manager's correction is never undone by a
    re-seed. Returns the years written.
    """
    import chinese_calendar

    from .models import CalendarDay, CalendarYear

    known: dict[int, list[tuple[date, str, str]]] = {}
    for day, name in chinese_calendar.holidays.items():
        if day.weekday() < 5:  # a holiday on a weekend changes nothing
            known.setdefault(day.year, []).append((day, CalendarDay.Kind.HOLIDAY, str(name or "")))
    for day, name in chinese_calendar.workdays.items():
        if day.weekday() >= 5:  # a "workday" on a weekday is the plain rule
            known.setdefault(day.year, []).append((day, CalendarDay.Kind.WORKDAY, str(name or "")))
    written = []
    for year in sorted(known):
        if years is not None and year not in years:
            continue
        existing = CalendarYear.objects.filter(year=year).first()
        if existing and not overwrite:
            continue
        if existing:
            existing.days.all().delete()
            cal_year = existing
            cal_year.source = CalendarYear.Source.PACKAGE
            cal_year.save()
        else:
            cal_year = CalendarYear.objects.create(year=year, source=CalendarYear.Source.PACKAGE)
        CalendarDay.objects.bulk_create(
            [CalendarDay(year=cal_year, date=d, kind=k, name=n) for d, k, n in sorted(known[year])]
        )
        written.append(year)
    if written:
        calendar_changed()  # bulk_create sends no signals
    return written


def calendar_changed(*args, **kwargs) -> None:
    """Receiver of CalendarYear and CalendarDay saves and deletes (applications.apps): every process reads the
    calendar again on its next request."""
    from invest import hotcache

    hotcache.bump(hotcache.CALENDAR)
