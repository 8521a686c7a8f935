from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StatisticsConfig(AppConfig):
    name = "applications.statistics"
    label = "statistics"
    verbose_name = _("统计分析")

    def ready(self) -> None:
        from .receivers import connect

        connect()
