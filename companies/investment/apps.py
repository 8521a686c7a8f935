from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InvestmentConfig(AppConfig):
    name = "companies.investment"
    label = "investment"
    verbose_name = _("招商引资")

    def ready(self) -> None:
        from . import signals

        signals.connect_bulk_import_hook()
