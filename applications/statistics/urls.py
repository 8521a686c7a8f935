from django.urls import path

from . import views

app_name = "statistics"
urlpatterns = [
    path("statistics/", views.page, name="page"),
    path("statistics.xlsx", views.export, name="export"),
]
