from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ObligationsConfig(AppConfig):
    name = "applications.obligations"
    label = "obligations"
    verbose_name = _("履约与绩效")

    def ready(self) -> None:
        from . import receivers, reminders  # noqa: F401 - they register themselves

        receivers.connect()
