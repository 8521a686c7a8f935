"""Dates relative to today, so the factories' world is the same whenever the suite runs (and whatever a test
clock says: these read ``timezone.now()`` when the object is built)."""

from datetime import date, datetime, timedelta

from django.utils import timezone


def days_ago(n: int) -> date:
    return timezone.localdate() - timedelta(days=n)


def days_ahead(n: int) -> date:
    return timezone.localdate() + timedelta(days=n)


def moment(days: int) -> datetime:
    """Now, moved by ``days`` (negative: in the past)."""
    return timezone.now() + timedelta(days=days)
