from django.apps import AppConfig


class InvestConfig(AppConfig):
    name = "invest"
    verbose_name = "Jiangjin film-industry support service"
