"""/accounts/register/: mounted from invest/urls.py without a namespace, beside login and logout."""

from django.urls import path

from . import views

urlpatterns = [
    path("register/", views.register, name="register"),
]
