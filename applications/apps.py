from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApplicationsConfig(AppConfig):
    name = "applications"
    verbose_name = _("申报与审核")

    def ready(self) -> None:
        from . import reminders  # noqa: F401 - registers the case reminders with invest.reminders
