from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApplicationsConfig(AppConfig):
    name = "applications"
    verbose_name = _("申报与审核")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from . import reminders  # noqa: F401 - registers the case reminders with invest.reminders
        from .models import CalendarDay, CalendarYear
        from .workdays import calendar_changed

        # The working-day calendar is kept per process for its current version (applications.workdays).
        for model in (CalendarYear, CalendarDay):
            post_save.connect(calendar_changed, sender=model, dispatch_uid=f"hotcache-{model.__name__}-saved")
            post_delete.connect(calendar_changed, sender=model, dispatch_uid=f"hotcache-{model.__name__}-deleted")
