"""Seed the working-day calendar from chinese-calendar for the years the package knows (2004–2026 in 1.11.0)."""

from django.db import migrations


def seed(apps, schema_editor):
    import chinese_calendar

    CalendarYear = apps.get_model("applications", "CalendarYear")
    CalendarDay = apps.get_model("applications", "CalendarDay")
    known = {}
    for day, name in chinese_calendar.holidays.items():
        if day.weekday() < 5:
            known.setdefault(day.year, []).append((day, "holiday", str(name or "")))
    for day, name in chinese_calendar.workdays.items():
        if day.weekday() >= 5:
            known.setdefault(day.year, []).append((day, "workday", str(name or "")))
    for year in sorted(known):
        if CalendarYear.objects.filter(year=year).exists():
            continue
        cal_year = CalendarYear.objects.create(year=year, source="package")
        CalendarDay.objects.bulk_create(
            [CalendarDay(year=cal_year, date=d, kind=k, name=n) for d, k, n in sorted(known[year])]
        )


class Migration(migrations.Migration):
    dependencies = [("applications", "0001_calendar")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
