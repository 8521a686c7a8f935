"""Models of the applications app: the case and its records, and the working-day calendar."""

from .calendar import CalendarDay, CalendarYear  # noqa: F401
