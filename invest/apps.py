from django.apps import AppConfig


class InvestConfig(AppConfig):
    name = "invest"
    verbose_name = "Jiangjin film-industry support service"

    def ready(self) -> None:
        from . import checks, twins  # noqa: F401 - register the production start-up checks and the twins' check
