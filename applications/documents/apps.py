from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    name = "applications.documents"
    label = "documents"
    verbose_name = _("文书")

    def ready(self) -> None:
        from .receivers import connect

        connect()
