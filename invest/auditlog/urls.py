from django.urls import path

from . import views

app_name = "auditlog"
urlpatterns = [
    path("", views.log, name="list"),
    path("export.xlsx", views.export, name="export"),
]
