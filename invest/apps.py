from django.apps import AppConfig


class InvestConfig(AppConfig):
    name = "invest"
    verbose_name = "Jiangjin film-industry support service"

    def ready(self) -> None:
        from . import checks  # noqa: F401 - registers the production start-up checks
